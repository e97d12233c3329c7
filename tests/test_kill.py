"""A gate run killed with SIGKILL leaves whole outputs or none; a re-run writes the same bytes.

The real command line runs in a subprocess on a CSV big enough to take a few seconds
(`--chunk-rows 1000`: many chunks, so a kill lands mid-stream as often as at the start or the
commit), and is killed after seeded random delays. After each kill, each output is either
absent, the file that was there before the run, or byte for byte the output of a complete
run; nothing else is left in the directory, not even a hidden temporary file.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

CONTRACT = """\
contract: kill
version: 1.0.0
columns:
  id: {type: integer, unique: true}
  age: {type: integer, min: 13, max: 120}
  cat: {type: category, values: [a, b, c], unknown: {map_to: c}}
  score: {type: float, min: 0, max: 1, nullable: true, fill_null: 0.5}
  name: {type: string, pattern: '^user[0-9]+$'}
"""
ROWS = 30_000
KILLS = 6
SEED = 20240611


def write_csv(path: Path, rows: int, seed: int) -> None:
    """Rows that mostly pass: out-of-range ages, repeated ids, nulls to fill, unknown categories."""
    rng = random.Random(seed)
    lines = ["id,age,cat,score,name"]
    for i in range(rows):
        user_id = 7 if rng.random() < 0.01 else i
        age = rng.randrange(10, 125)
        cat = rng.choice(["a", "b", "c", "zz"])
        score = "" if rng.random() < 0.05 else f"{rng.random():.3f}"
        lines.append(f"{user_id},{age},{cat},{score},user{i % 977}")
    path.write_text("\n".join(lines) + "\n")


def gate_command(contract: Path, data: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "skewless",
        "validate",
        str(contract),
        str(data),
        "--valid-out",
        str(out / "valid.parquet"),
        "--quarantine",
        str(out / "held.parquet"),
        "--chunk-rows",
        "1000",
        "--quiet",
        "--format",
        "json",
    ]


def run_to_end(command: list[str]) -> float:
    """Run the gate to completion (exit 1: the data has violations); its duration."""
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, timeout=300, check=False)
    assert done.returncode == 1, done.stderr.decode(errors="replace")
    return time.monotonic() - start


def outputs(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@dataclass(frozen=True)
class Workspace:
    contract: Path
    data: Path
    other: Path  # smaller, other rows
    reference: dict[str, bytes]  # the outputs of a complete run on `data`
    earlier: dict[str, bytes]  # the outputs of a complete run on `other`
    duration: float  # seconds a complete run took here


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("kill")
    contract = root / "contract.yaml"
    contract.write_text(CONTRACT)
    # One data path for every run: the run id (in the quarantine) comes from the source's name.
    data, other = root / "data.csv", root / "other.csv"
    write_csv(data, ROWS, SEED)
    write_csv(other, 500, SEED + 1)
    (root / "reference").mkdir()
    (root / "earlier").mkdir()
    duration = run_to_end(gate_command(contract, data, root / "reference"))
    run_to_end(gate_command(contract, other, root / "earlier"))
    reference, earlier = outputs(root / "reference"), outputs(root / "earlier")
    assert set(reference) == set(earlier) == {"valid.parquet", "held.parquet"}
    assert reference != earlier
    return Workspace(contract, data, other, reference, earlier, duration)


def test_a_rerun_writes_the_same_bytes(workspace: Workspace, tmp_path: Path) -> None:
    """Same input, same options: the same outputs, byte for byte, wherever they are written."""
    run_to_end(gate_command(workspace.contract, workspace.data, tmp_path))
    assert outputs(tmp_path) == workspace.reference


def test_a_killed_run_never_leaves_a_partial_file(workspace: Workspace, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    span = workspace.duration
    # Half the kills anywhere in the run, half near its end, where the outputs are committed.
    delays = [rng.uniform(0.05, span) for _ in range(KILLS // 2)]
    delays += [rng.uniform(0.7 * span, 1.1 * span) for _ in range(KILLS - KILLS // 2)]
    for i, delay in enumerate(delays):
        for stale in tmp_path.iterdir():
            stale.unlink()
        before: dict[str, bytes] = {}
        if i % 2:  # outputs of an earlier run are there, to be replaced whole or kept whole
            before = workspace.earlier
            for name, content in before.items():
                (tmp_path / name).write_bytes(content)
        process = subprocess.Popen(
            gate_command(workspace.contract, workspace.data, tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        after = outputs(tmp_path)
        what = f"kill {i} after {delay:.2f}s of a {span:.2f}s run"
        assert set(after) <= {"valid.parquet", "held.parquet"}, (what, sorted(after))
        for name, content in after.items():
            assert content in (before.get(name), workspace.reference[name]), (what, name)


# Kills itself with SIGKILL just before the gate renames `argv[5]` into place: after both outputs
# are staged (written, synced, linked under a hidden name), the one moment a kill leaves a file.
KILL_AT_RENAME = """
import os, signal, sys
import skewless
rename = os.replace
def replace(src, dst):
    if os.path.basename(dst) == sys.argv[5]:
        os.kill(os.getpid(), signal.SIGKILL)
    return rename(src, dst)
os.replace = replace
contract, data, valid, held = sys.argv[1:5]
skewless.validate(data, contract, valid_out=valid, quarantine=held, chunk_rows=1000)
"""


@pytest.mark.parametrize("at", ["valid.parquet", "held.parquet"])
def test_a_kill_between_staging_and_renaming_is_cleaned_up(
    workspace: Workspace, tmp_path: Path, at: str
) -> None:
    """Killed between staging and renaming, a run leaves `.NAME.skewless-PID.tmp` files (and,
    between the two renames, one new output beside one old): each output is still whole, and
    the next run into the directory removes what the dead run staged."""
    # The small source, over the outputs of the big one: quick, and old and new differ.
    before, expected = workspace.reference, workspace.earlier
    for name, content in before.items():
        (tmp_path / name).write_bytes(content)
    valid, held = tmp_path / "valid.parquet", tmp_path / "held.parquet"
    args = [workspace.contract, workspace.other, valid, held, at]
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AT_RENAME, *map(str, args)], capture_output=True, check=False
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode(errors="replace")
    after = outputs(tmp_path)
    hidden = {n for n in after if n.startswith(".")}
    assert hidden, "the kill was meant to land after staging"
    assert all(
        n.startswith((".valid.parquet.skewless-", ".held.parquet.skewless-")) for n in hidden
    )
    for name in ("valid.parquet", "held.parquet"):
        assert after[name] in (before[name], expected[name]), name
    # A live run's staged files are not touched; a dead one's are.
    alive = tmp_path / f".valid.parquet.skewless-{os.getpid()}.tmp"
    alive.write_bytes(b"PAR1")
    run_to_end(gate_command(workspace.contract, workspace.other, tmp_path))
    assert outputs(tmp_path) == {**expected, alive.name: b"PAR1"}
