"""The gate's command-line surface: outputs, markdown summaries, progress on terminals only."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from tests.conftest import ROOT

CONTRACT = ROOT / "contracts" / "user_features.yaml"
BAD_ROWS = ROOT / "examples" / "data" / "user_events_bad_rows.csv"


def skewless(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "skewless", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )


def test_outputs_are_reported_in_text_and_json(tmp_path: Path) -> None:
    valid, held = tmp_path / "valid.parquet", tmp_path / "held.parquet"
    run = skewless("validate", CONTRACT, BAD_ROWS, "--valid-out", valid, "--quarantine", held)
    assert run.returncode == 1, run.stderr
    assert f"wrote 30 valid rows to {valid} and 10 quarantined rows to {held}" in run.stdout
    assert pq.read_table(valid).num_rows == 30
    run = skewless(
        "validate", CONTRACT, BAD_ROWS, "--valid-out", valid, "--quarantine", held, "-f", "json"
    )
    outputs = json.loads(run.stdout)["outputs"]
    assert outputs["valid_rows"] == 30
    assert outputs["quarantined_rows"] == 10
    assert outputs["valid_out"] == str(valid)
    assert len(outputs["run_id"]) == 16


def test_outputs_take_one_source(tmp_path: Path) -> None:
    run = skewless("validate", CONTRACT, BAD_ROWS, BAD_ROWS, "--valid-out", tmp_path / "v.parquet")
    assert run.returncode == 2
    assert "take one DATA source" in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_outputs_must_be_parquet(tmp_path: Path) -> None:
    run = skewless("validate", CONTRACT, BAD_ROWS, "--quarantine", tmp_path / "held.csv")
    assert run.returncode == 2
    assert "give a .parquet path" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert list(tmp_path.iterdir()) == []


def test_markdown_summary_escapes_what_came_from_data(tmp_path: Path) -> None:
    data = tmp_path / "evil.csv"
    header = BAD_ROWS.read_text().splitlines()[0]
    row = BAD_ROWS.read_text().splitlines()[1].split(",")
    row[13] = '"a|b\x1b[31m`x`\x00"'
    data.write_text(header + ",x|y\x1b[2J\n" + ",".join(row) + ",1\n")
    run = skewless("validate", CONTRACT, data, "--format", "markdown")
    assert run.returncode == 1
    out = run.stdout
    assert out.startswith("## skewless")
    assert "\x1b" not in out
    assert "\x00" not in out
    # The unexpected column's name, escaped: the ESC as text, then pipe, bracket and backslash
    # escaped for Markdown (it renders as 'x|y\x1b[2J').
    assert "'x\\|y\\\\x1b\\[2J'" in out
    assert "| row | column | code | value | message |" in out


def test_no_progress_without_a_terminal(tmp_path: Path) -> None:
    run = skewless("validate", CONTRACT, BAD_ROWS, "--chunk-rows", "3")
    assert "rows" not in run.stderr


def test_progress_shows_on_a_terminal_and_not_in_ci() -> None:
    code = (
        "from skewless.render import ChunkProgress\n"
        "ChunkProgress.DELAY = 0\n"
        "with ChunkProgress('data.csv', enabled=True) as p:\n"
        "    p.advance(1234)\n"
        "    import time; time.sleep(0.3)\n"
    )
    for ci, shown in ((None, True), ("true", False)):
        env = {k: v for k, v in os.environ.items() if k != "CI"}
        if ci:
            env["CI"] = ci
        parent, child = pty.openpty()
        proc = subprocess.Popen(
            [sys.executable, "-c", code], stderr=child, stdout=subprocess.DEVNULL, env=env
        )
        os.close(child)
        chunks = []
        while True:
            try:
                data = os.read(parent, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=30)
        os.close(parent)
        text = b"".join(chunks).decode("utf-8", "replace")
        assert ("1,234 rows" in text) is shown, text
