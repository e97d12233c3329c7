"""schemathesis against the example service, as a client of its published contract would be.

The service (examples/inference_service) publishes `contracts/user_features.yaml` as the JSON
Schema of `/predict`'s request body, and its answers and refusals (`skewless.json_schema`).
schemathesis reads `/openapi.json` from a real uvicorn server on loopback and sends what the
schema allows and what it does not (`--mode all`: positive and negative data, the coverage and
fuzzing phases). Nothing may answer 5xx, and every answer must be one the document declares,
with the body it declares. Seeded, no example database, no network beyond 127.0.0.1
(schemathesis 4 has no telemetry or upload to turn off).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.loopback import serve

SERVICE = ROOT / "examples" / "inference_service"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",  # every status is one the document declares
    "content_type_conformance",
    "response_schema_conformance",  # scores match user_scores, refusals the gate's error shape
)
EXAMPLES = 40  # per operation: about 30 s with the coverage phase, on two cores
SEED = 20240501


def predict_statuses(events: Path) -> Counter[int]:
    """The status of every answer to POST /predict, from schemathesis's NDJSON event report."""
    statuses: Counter[int] = Counter()
    for line in events.read_text(encoding="utf-8").splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        if finished is None or finished["recorder"]["label"] != "POST /predict":
            continue
        for interaction in finished["recorder"].get("interactions", {}).values():
            if interaction.get("response") is not None:
                statuses[interaction["response"]["status_code"]] += 1
    return statuses


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_in_the_example_service(tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text("")  # no schemathesis.toml of the user's or a parent directory's
    events = tmp_path / "events.ndjson"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEMATHESIS_")}
    env["NO_COLOR"] = "1"
    with serve(SERVICE, "app:app") as server:
        command = [
            str(SCHEMATHESIS), "--config-file", str(config), "run", f"{server.url}/openapi.json",
            "--checks", ",".join(CHECKS), "--mode", "all", "--max-examples", str(EXAMPLES),
            "--seed", str(SEED), "--workers", "1", "--generation-database", "none",
            "--request-timeout", "10", "--output-sanitize", "false",
            "--report", "ndjson", "--report-ndjson-path", str(events),
        ]  # fmt: skip
        # cwd: schemathesis and hypothesis write their caches there.
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
        )
        shown = f"{done.stdout}{done.stderr}\n--- the service's log ---\n{server.output()}"
    assert done.returncode == 0, shown
    assert re.search(r"Tested:\s+3\b", done.stdout), shown  # /predict, /health, /skew/profile
    counts = re.search(r"(\d+) generated, (\d+) passed", done.stdout)
    assert counts is not None, shown
    assert int(counts[1]) == int(counts[2]) >= 2 * EXAMPLES, shown
    statuses = predict_statuses(events)
    # Both sides of the gate were reached: records it passed to the model, and refusals.
    assert statuses[200], (statuses, shown)
    assert statuses[422], (statuses, shown)
    assert not [s for s in statuses if s >= 500], (statuses, shown)
    assert sum(statuses.values()) >= EXAMPLES, (statuses, shown)
