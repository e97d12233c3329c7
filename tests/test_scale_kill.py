"""A Dask worker killed mid-run (a real SIGKILL of a real worker process): the run recovers, or
it fails whole and the targets hold what they held before.

A LocalCluster of two worker processes under nannies validates a Parquet dataset of 16 pieces,
writing a valid and a quarantine dataset. Once the second pass is under way (the staging
directory beside the target exists and the scheduler has a `_second_pass` task on a worker),
that worker's process is SIGKILLed; its nanny starts a new one. By default the scheduler reruns
the lost tasks: the run ends with the local engine's report and outputs. With
`distributed.scheduler.allowed-failures: 0` it gives up on them: the run raises EngineError
(exit 2 on the command line), and no output, staging directory or half-written file is left.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("distributed")

import dask
from distributed import Client, LocalCluster

import skewless
from skewless.engines import run_engine

pytestmark = pytest.mark.slow

CONTRACT = """\
contract: events
version: 1.0.0
timezone: UTC
columns:
  event_id: {type: integer, unique: true}
  user:
    type: category
    values: [a, b, c, d]
    unknown: {map_to: d}
  at:
    type: datetime
    cadence: {every: 5min, by: user}
  score: {type: float, min: 0, max: 1, nullable: true, fill_null: 0.0}
  note: {type: string, max_length: 5, nullable: true}
checks:
  unique: [[user, at]]
"""
# 16 pieces of 1000 rows. A piece costs the first pass (two shuffles) and the second pass a few
# tenths of a second on two workers, so the second pass lasts seconds: a wide window for the kill,
# and the whole module stays under a minute on a 2-CPU machine.
FILES, GROUPS, GROUP_ROWS = 4, 4, 1000
WAIT = 60.0  # seconds: a deadline for every poll, never a fixed sleep


@pytest.fixture(scope="module")
def contract() -> skewless.Contract:
    return skewless.loads_contract(CONTRACT)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Files of row groups of 1000 rows: repeated ids and keys across files, cadence breaks,
    out-of-range scores, nulls to fill, unknown users, notes too long."""
    rng = np.random.default_rng(20260811)
    n = FILES * GROUPS * GROUP_ROWS
    ids = np.arange(n)
    repeated = rng.random(n) < 0.02
    ids[repeated] = rng.integers(0, n, repeated.sum())
    at = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, n // 4, n) * 5, unit="min"
    )
    at = at.where(rng.random(n) > 0.01, at + pd.Timedelta(seconds=7))
    score = rng.random(n) * 1.05
    score[rng.random(n) < 0.05] = np.nan
    notes = np.array(["ok", "fine", None, "toolong"], dtype=object)
    frame = pd.DataFrame(
        {
            "event_id": ids,
            "user": rng.choice(list("abcdz"), n),
            "at": at,
            "score": score,
            "note": notes[rng.choice(4, n, p=[0.5, 0.3, 0.15, 0.05])],
        }
    )
    root = tmp_path_factory.mktemp("scale_kill") / "events"
    root.mkdir()
    per_file = GROUPS * GROUP_ROWS
    for i in range(FILES):
        part = frame.iloc[i * per_file : (i + 1) * per_file]
        table = pa.Table.from_pandas(part, preserve_index=False)
        pq.write_table(table, root / f"part-{i}.parquet", row_group_size=GROUP_ROWS)
    return root


def start_cluster() -> LocalCluster:
    return LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        # Any free port: with None the scheduler's HTTP server still takes 8787, and warns when
        # another cluster holds it.
        dashboard_address=":0",
        silence_logs=logging.CRITICAL,  # a killed worker is the point, not news
    )


@pytest.fixture(scope="module")
def giving_up() -> Iterator[tuple[LocalCluster, Client]]:
    """A cluster whose scheduler fails a task the first time a worker dies under it."""
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = start_cluster()
    with cluster, Client(cluster) as client:
        assert client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.allowed_failures) == 0
        yield cluster, client


def staging(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f".{target.name}.skewless-*"))


def kill_mid_run(client: Client, target: Path, running: Callable[[], bool]) -> str:
    """Once the run's second pass is under way, SIGKILL a worker process that has a task of it;
    that worker's address. Fails if the run ends first."""
    client.wait_for_workers(2, timeout=WAIT)  # a worker killed by an earlier test is back
    pids: dict[str, int] = client.run(os.getpid)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        assert running(), "the run ended before a worker could be killed"
        if staging(target):
            for worker, keys in client.processing().items():
                if any("_second_pass" in str(key) for key in keys):
                    assert running(), "the run ended before a worker could be killed"
                    os.kill(pids[worker], signal.SIGKILL)
                    return worker
        time.sleep(0.02)
    pytest.fail(f"the second pass did not start within {WAIT:.0f} s")


class Background:
    """`run_engine` in a thread: its result or its exception."""

    def __init__(self, **kwargs: Any) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, kwargs=kwargs, daemon=True)
        self.thread.start()

    def _run(self, **kwargs: Any) -> None:
        try:
            self.result = run_engine(**kwargs)
        except BaseException as exc:
            self.error = exc

    def running(self) -> bool:
        return self.thread.is_alive()

    def join(self) -> None:
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), f"the run did not end within {WAIT:.0f} s of the kill"


def lost_tasks(client: Client) -> int:
    """How many times the scheduler has seen a worker die under one of its tasks."""
    return int(
        client.run_on_scheduler(
            lambda dask_scheduler: sum(p.suspicious for p in dask_scheduler.task_prefixes.values())
        )
    )


def rows(path: Path, like: pa.Schema) -> list[dict[str, Any]]:
    """An output's rows in row order (a dataset's columns as the local file's; string vs
    large_string is the only type allowed to differ)."""
    table = pq.read_table(path).select(like.names)
    if "_row" in like.names:
        table = table.sort_by("_row")
    return table.to_pylist()


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_a_killed_worker_is_replaced_and_the_run_gives_the_local_verdicts(
    contract: skewless.Contract, dataset: Path, tmp_path: Path
) -> None:
    local = run_engine(
        contract,
        dataset,
        engine="local",
        valid_out=tmp_path / "valid.parquet",
        quarantine=tmp_path / "held.parquet",
    )
    assert local.quarantined_rows > 0
    assert local.valid_rows > 0
    valid, held = tmp_path / "valid", tmp_path / "held"
    with start_cluster() as cluster, Client(cluster) as client:
        run = Background(
            contract=contract,
            data=dataset,
            engine="dask",
            scheduler=cluster.scheduler_address,
            valid_out=valid,
            quarantine=held,
            chunk_rows=GROUP_ROWS,
        )
        killed = kill_mid_run(client, valid, run.running)
        run.join()
        assert run.error is None, repr(run.error)
        assert lost_tasks(client) > 0  # the kill landed on work in flight, not on an idle worker
        client.wait_for_workers(2, timeout=WAIT)
        assert killed not in client.scheduler_info()["workers"]  # its nanny started another
    done = run.result
    assert done.report.to_dict() == local.report.to_dict()
    assert (done.run_id, done.valid_rows, done.quarantined_rows) == (
        local.run_id,
        local.valid_rows,
        local.quarantined_rows,
    )
    for mine, theirs in ((valid, tmp_path / "valid.parquet"), (held, tmp_path / "held.parquet")):
        assert mine.is_dir()
        schema = pq.read_schema(theirs)
        assert rows(mine, schema) == rows(theirs, schema)
    # No staging directory left.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "held",
        "held.parquet",
        "valid",
        "valid.parquet",
    ]


def idle(client: Client) -> None:
    """Wait until no worker runs a task any more: a write of the abandoned run landing after
    it failed would be a leftover too."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        executing = client.run(lambda dask_worker: len(dask_worker.state.executing))
        if not any(executing.values()) and not any(client.processing().values()):
            return
        time.sleep(0.05)
    pytest.fail(f"the workers were still busy {WAIT:.0f} s after the run failed")


def test_a_failed_run_keeps_the_previous_output_and_writes_no_new_one(
    giving_up: tuple[LocalCluster, Client],
    contract: skewless.Contract,
    dataset: Path,
    tmp_path: Path,
) -> None:
    cluster, client = giving_up
    valid, held = tmp_path / "valid", tmp_path / "held"
    # The previous valid output: a complete run on the first file only (quick, and other bytes
    # than the killed run would write). There is no previous quarantine.
    first = tmp_path / "first"
    first.mkdir()
    shutil.copy(dataset / "part-0.parquet", first / "part-0.parquet")
    before = run_engine(
        contract,
        first,
        engine="dask",
        scheduler=cluster.scheduler_address,
        valid_out=valid,
        chunk_rows=GROUPS * GROUP_ROWS,
    )
    assert before.valid_rows > 0
    previous = snapshot(valid)
    assert any(name.endswith(".parquet") for name in previous)

    run = Background(
        contract=contract,
        data=dataset,
        engine="dask",
        scheduler=cluster.scheduler_address,
        valid_out=valid,
        quarantine=held,
        chunk_rows=GROUP_ROWS,
    )
    kill_mid_run(client, valid, run.running)
    run.join()
    error = run.error
    assert isinstance(error, skewless.EngineError), repr(error)
    assert error.engine == "dask"
    assert "a worker died" in error.message
    assert "nothing was written" in error.message
    assert "\n" not in str(error)
    idle(client)
    assert snapshot(valid) == previous
    assert not held.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first", "valid"]  # no staging left


def test_the_cli_exits_2_with_one_line_and_writes_nothing(
    giving_up: tuple[LocalCluster, Client],
    dataset: Path,
    tmp_path: Path,
) -> None:
    cluster, client = giving_up
    (tmp_path / "contract.yaml").write_text(CONTRACT)
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["TERM"] = "dumb"
    out = tmp_path / "out"
    out.mkdir()
    valid, held = out / "valid", out / "held"
    command = [
        sys.executable,
        "-m",
        "skewless",
        "validate",
        str(tmp_path / "contract.yaml"),
        str(dataset),
        "--engine",
        "dask",
        "--scheduler",
        cluster.scheduler_address,
        "--valid-out",
        str(valid),
        "--quarantine",
        str(held),
        "--chunk-rows",
        str(GROUP_ROWS),
        "--quiet",
    ]
    with subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as cli:
        try:
            kill_mid_run(client, valid, lambda: cli.poll() is None)
            stdout, stderr = cli.communicate(timeout=WAIT)
        finally:
            if cli.poll() is None:
                cli.kill()
    err = stderr.decode("utf-8", "replace")
    assert "Traceback" not in err + stdout.decode("utf-8", "replace")
    assert cli.returncode == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: dask: ")
    assert "a worker died" in lines[0]
    assert "nothing was written" in lines[0]
    idle(client)
    assert sorted(p.name for p in out.iterdir()) == []
