"""`make demo`: the ETL gate on a bundled export, as a pipeline would run it.

1. lint the contract;
2. run the gate on yesterday's clean export (exit 0: the job goes on);
3. run it on today's export, broken upstream (exit 1: the job stops), with the report a
   person reads, plus the JSON and JUnit reports a pipeline keeps (in out/).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = "contracts/user_features.yaml"
CLEAN = "examples/data/user_events_clean.csv"
BROKEN = "examples/data/user_events.csv"
OUT = ROOT / "out"


def step(title: str) -> None:
    print(f"\n\033[1m== {title}\033[0m" if sys.stdout.isatty() else f"\n== {title}", flush=True)


def skewless(*args: str, stdout: Path | None = None) -> int:
    command = [sys.executable, "-m", "skewless", *args]
    print("$ skewless " + " ".join(args) + (f" > {stdout.relative_to(ROOT)}" if stdout else ""))
    if stdout is None:
        return subprocess.call(command, cwd=ROOT)
    with stdout.open("w") as fh:
        return subprocess.call(command, cwd=ROOT, stdout=fh)


def main() -> int:
    OUT.mkdir(exist_ok=True)
    expected = []
    step("1. The contract loads completely (or names the line that is wrong)")
    expected.append(skewless("lint", CONTRACT) == 0)
    step("2. Yesterday's export passes the gate: exit 0, the job goes on")
    expected.append(skewless("validate", CONTRACT, CLEAN) == 0)
    step("3. Today's export, after an upstream release: exit 1, the job stops")
    expected.append(skewless("validate", CONTRACT, BROKEN) == 1)
    step("4. The same verdict as JSON and JUnit, for the pipeline and CI")
    expected.append(
        skewless("validate", CONTRACT, BROKEN, "--format", "json", stdout=OUT / "report.json") == 1
    )
    expected.append(
        skewless("validate", CONTRACT, BROKEN, "--format", "junit", stdout=OUT / "report.xml") == 1
    )
    print(f"wrote {OUT.relative_to(ROOT)}/report.json and {OUT.relative_to(ROOT)}/report.xml")
    if all(expected):
        print("\ndemo ok: the gate passed the clean export and stopped the broken one.")
        return 0
    print("\ndemo FAILED: an exit code was not the documented one.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
