"""`make demo`: the ETL gate on bundled exports, as a pipeline would run it.

1. lint the contract;
2. run the gate on yesterday's clean export (exit 0: the job goes on);
3. run it on today's export, broken upstream by a column rename (exit 1: the job stops; a
   source whose columns do not match the contract has no valid row);
4. run it on an export with bad rows but the right columns: the valid rows go on, normalised,
   and the bad ones are held in a quarantine with their reasons (out/);
5. the same verdict as JSON, JUnit and Markdown for the pipeline and CI (out/).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = "contracts/user_features.yaml"
CLEAN = "examples/data/user_events_clean.csv"
BROKEN = "examples/data/user_events.csv"
BAD_ROWS = "examples/data/user_events_bad_rows.csv"
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


def show_quarantine(path: Path) -> None:
    import pyarrow.parquet as pq

    from skewless import escape

    table = pq.read_table(path, columns=["_row", "_run_id", "_violations"])
    print(f"\n{path.relative_to(ROOT)}: {table.num_rows} rows held")
    for row in table.to_pylist()[:5]:
        reasons = "; ".join(f"{v['column']}: {v['code']}" for v in row["_violations"])
        print(f"  row {row['_row']:>3}  run {row['_run_id']}  {escape(reasons)[1:-1]}")
    if table.num_rows > 5:
        print(f"  ... {table.num_rows - 5} more")


def main() -> int:
    OUT.mkdir(exist_ok=True)
    expected = []
    step("1. The contract loads completely (or names the line that is wrong)")
    expected.append(skewless("lint", CONTRACT) == 0)
    step("2. Yesterday's export passes the gate: exit 0, the job goes on")
    expected.append(skewless("validate", CONTRACT, CLEAN) == 0)
    step("3. Today's export, after an upstream release: exit 1, the job stops")
    expected.append(skewless("validate", CONTRACT, BROKEN) == 1)
    step("4. Bad rows, right columns: valid rows go on, bad rows are held with their reasons")
    valid, held = OUT / "valid.parquet", OUT / "quarantine.parquet"
    expected.append(
        skewless(
            "validate",
            CONTRACT,
            BAD_ROWS,
            "--valid-out",
            str(valid.relative_to(ROOT)),
            "--quarantine",
            str(held.relative_to(ROOT)),
        )
        == 1
    )
    show_quarantine(held)
    step("5. The same verdict as JSON, JUnit and Markdown, for the pipeline and CI")
    for fmt, name in (("json", "report.json"), ("junit", "report.xml"), ("markdown", "report.md")):
        expected.append(
            skewless("validate", CONTRACT, BROKEN, "--format", fmt, stdout=OUT / name) == 1
        )
    print("wrote out/report.json, out/report.xml and out/report.md")
    if all(expected):
        print(
            "\ndemo ok: the gate passed the clean export, stopped the renamed one, and split the "
            "one with bad rows into out/valid.parquet and out/quarantine.parquet."
        )
        return 0
    print("\ndemo FAILED: an exit code was not the documented one.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
