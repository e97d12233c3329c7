"""`make demo` runs end to end, and its report names each seeded failure with its code."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow.parquet as pq

from tests.conftest import ROOT

# (code, column, row) for every failure examples/make_demo_data.py seeds.
SEEDED = {
    ("missing_column", "session_count", None),  # renamed upstream...
    ("unexpected_column", "sessions", None),  # ...to this
    ("not_in_vocabulary", "browser_type", 3),  # a Mozilla/5.0 user-agent string
    ("naive_datetime", "last_purchase_at", 7),  # no offset
    ("wrong_timezone", "last_purchase_at", 11),  # Pacific time where UTC is the contract
    ("null_not_allowed", "user_age", 14),  # null ages
    ("null_not_allowed", "user_age", 21),
    ("control_character", "comment", 17),  # a NUL byte
    ("outside_charset", "comment", 25),  # a 4-byte emoji under charset: bmp
    ("too_long", "country", 29),
    ("pattern_mismatch", "country", 29),
    ("not_unique", "user_id", 33),
    ("nan_not_allowed", "basket_value", 36),
}


def test_demo_runs_end_to_end() -> None:
    run = subprocess.run(
        [sys.executable, "examples/demo.py"], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "demo ok" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    report = json.loads((ROOT / "out" / "report.json").read_text())
    found = {(v["code"], v["column"], v["row"]) for v in report["violations"]}
    assert found == SEEDED
    renamed = next(v for v in report["violations"] if v["code"] == "missing_column")
    assert "renamed to 'sessions'?" in renamed["message"]
    nul = next(v for v in report["violations"] if v["code"] == "control_character")
    assert nul["value"] == "'great\\x00service'"
    ages = [v for v in report["violations"] if v["column"] == "user_age"]
    assert all(v["value"] is None for v in ages)  # nulls: nothing to show or redact
    # The export with bad rows but the right columns was split: nothing lost.
    valid = pq.read_table(ROOT / "out" / "valid.parquet")
    held = pq.read_table(ROOT / "out" / "quarantine.parquet")
    seeded_rows = {row for _, _, row in SEEDED if row is not None}
    assert sorted(held.column("_row").to_pylist()) == sorted(seeded_rows)
    assert valid.num_rows + held.num_rows == 40
    assert all(held.column("_violations").to_pylist())


def test_demo_data_is_reproducible(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import runpy, sys; from pathlib import Path; "
        "m = runpy.run_path('examples/make_demo_data.py'); "
        f"m['HERE'] = Path({str(tmp_path)!r}); "
        "rows = m['clean_rows'](40, __import__('random').Random(7)); "
        f"m['write'](Path({str(tmp_path)!r}) / 'clean.csv', rows); "
        f"m['write'](Path({str(tmp_path)!r}) / 'broken.csv', m['seed_failures'](rows)); "
        f"m['write'](Path({str(tmp_path)!r}) / 'bad.csv', m['seed_failures'](rows, rename=False))"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    data = ROOT / "examples" / "data"
    assert (tmp_path / "clean.csv").read_bytes() == (data / "user_events_clean.csv").read_bytes()
    assert (tmp_path / "broken.csv").read_bytes() == (data / "user_events.csv").read_bytes()
    assert (tmp_path / "bad.csv").read_bytes() == (data / "user_events_bad_rows.csv").read_bytes()
