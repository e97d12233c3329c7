"""Spark gives the local engine's verdicts: the same report, run id, quarantine and valid rows.

One local[2] session for the module (it takes seconds to start); `run_engine(engine="spark")`
without a master reuses it. Without Java the module fails in CI and is skipped elsewhere.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import skewless
from skewless.engines import run_engine
from skewless.errors import EngineError, InputError
from skewless.gate import GateResult
from tests.scale_data import assert_same_rows, assert_same_run, contract, write_dataset

pytestmark = pytest.mark.slow
OPEN_COST = "spark.sql.files.openCostInBytes"


def _no_spark(message: str) -> None:
    """Without Java or PySpark the Spark tests cannot run: a failure in CI, a skip on a laptop."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (home and (Path(home) / "bin" / "java").is_file()):
        _no_spark("java is not on PATH nor in JAVA_HOME: Spark needs Java 17 or newer")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        _no_spark("pyspark is not installed: pip install 'skewless[spark]'")
    from skewless import spark_session

    with spark_session.session("local[2]") as session:
        yield session


# How Spark cuts Parquet files into partitions: several small files a partition (the default,
# and more so at no open cost); one file a partition (a high open cost), an empty file included;
# part of a file a partition (splits of a few row groups), some splits holding no row group.
PACKED = {"spark.sql.files.openCostInBytes": "0"}
A_FILE_EACH = {"spark.sql.files.openCostInBytes": "1g"}
SPLIT = {"spark.sql.files.openCostInBytes": "0", "spark.sql.files.maxPartitionBytes": "8k"}


@contextmanager
def partitioned_as(spark: Any, settings: dict[str, str]) -> Iterator[None]:
    """The session's file splitting `settings` while the block runs (plans are made, and
    files split, when an action runs: keep the run inside the block)."""
    before = {k: spark.conf.get(k) for k in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in before.items():
            spark.conf.set(key, value)


def local_run(c: skewless.Contract, data: str, out: Path) -> GateResult:
    out.mkdir()
    return run_engine(
        c, data, engine="local", valid_out=out / "valid.parquet", quarantine=out / "held.parquet"
    )


def spark_run(c: skewless.Contract, data: str, out: Path) -> GateResult:
    out.mkdir()
    # No master: the module's session, active, is reused.
    return run_engine(c, data, engine="spark", valid_out=out / "valid", quarantine=out / "held")


@pytest.mark.parametrize(
    ("seed", "layout", "settings"),
    [(30, "hive", {}), (31, "glob", PACKED)],
    ids=["default", "packed"],
)
def test_spark_gives_the_local_report_and_outputs(
    tmp_path: Path, spark: Any, seed: int, layout: str, settings: dict[str, str]
) -> None:
    c = contract(tmp_path)
    data = write_dataset(tmp_path / "data", seed, layout)
    local = local_run(c, data, tmp_path / "local")
    with partitioned_as(spark, settings):
        files = sorted(str(p) for p in tmp_path.glob("data/**/*.parquet"))
        assert spark.read.parquet(*files).rdd.getNumPartitions() < len(files)
        got = spark_run(c, data, tmp_path / "spark")
    assert_same_run(local, got, tmp_path / "local", tmp_path / "spark")
    assert sorted(p.name for p in (tmp_path / "spark").iterdir()) == ["held", "valid"]


@pytest.mark.parametrize("settings", [A_FILE_EACH, SPLIT], ids=["a file each", "split"])
def test_spark_with_empty_partitions_gives_the_local_report(
    tmp_path: Path, spark: Any, settings: dict[str, str]
) -> None:
    c = contract(tmp_path)
    data = write_dataset(tmp_path / "data", 32, "dir")
    local = local_run(c, data, tmp_path / "local")
    with partitioned_as(spark, settings):
        got = spark_run(c, data, tmp_path / "spark")
    assert_same_run(local, got, tmp_path / "local", tmp_path / "spark")


def test_a_spark_dataframe_of_one_file_gets_the_local_report(tmp_path: Path, spark: Any) -> None:
    """Rows numbered by partition: one file read in order, in splits of row groups."""
    c = contract(tmp_path)
    data = write_dataset(tmp_path / "data", 33, "dir", n=2500)
    one = max(Path(data).glob("*.parquet"), key=lambda p: p.stat().st_size)
    expected = run_engine(c, one, engine="local", quarantine=tmp_path / "held.parquet")
    with partitioned_as(spark, {"spark.sql.files.maxPartitionBytes": "16k"}):
        frame = spark.read.parquet(str(one))
        sizes = frame.rdd.glom().map(len).collect()
        assert len(sizes) > 1
        got = skewless.validate(frame, c, quarantine=tmp_path / "held")
        report = c.validate(frame)
    assert got.report.to_dict() == {**expected.report.to_dict(), "source": "<Spark DataFrame>"}
    assert report.to_dict() == got.report.to_dict()
    assert (got.valid_rows, got.quarantined_rows) == (
        expected.valid_rows,
        expected.quarantined_rows,
    )
    drop = ["_run_id"]
    assert_same_rows(
        pq.read_table(tmp_path / "held.parquet").drop_columns(drop),
        pq.read_table(tmp_path / "held").drop_columns(drop),
        "_row",
    )


def test_an_unreadable_file_fails_the_spark_run_and_writes_nothing(
    tmp_path: Path, spark: Any
) -> None:
    c = contract(tmp_path)
    data = write_dataset(tmp_path / "data", 34, "dir", n=600)
    victim = sorted(Path(data).glob("*.parquet"))[-1]
    garbled = bytearray(victim.read_bytes())
    garbled[8 : len(garbled) // 2] = b"\xff" * (len(garbled) // 2 - 8)
    victim.write_bytes(bytes(garbled))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises((InputError, EngineError)) as raised:
        run_engine(c, data, engine="spark", valid_out=out / "v", quarantine=out / "q")
    assert list(out.iterdir()) == []
    assert victim.name in str(raised.value)


# `skewless validate --engine spark`, whose Spark driver's JVM is killed (SIGKILL) once the run's
# Python workers are busy; in a process of its own (the module's session must survive).
KILL_THE_JVM = """
import sys, threading, time
import psutil
from skewless.cli import main

def kill_the_jvm():
    me = psutil.Process()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.05)
        java, busy = [], False
        for child in me.children(recursive=True):
            try:
                java += [child] if child.name() == "java" else []
                busy = busy or "pyspark.daemon" in " ".join(child.cmdline())
            except psutil.Error:
                continue
        if java and busy:
            java[0].kill()
            print("killed", file=sys.stderr, flush=True)
            return

threading.Thread(target=kill_the_jvm, daemon=True).start()
sys.argv = ["skewless", "validate", *sys.argv[1:]]
main()
"""


def test_a_spark_driver_killed_mid_run_exits_2_with_one_error_and_writes_nothing(
    tmp_path: Path, spark: Any
) -> None:
    import subprocess
    import sys

    contract(tmp_path)  # writes events.yaml
    data = write_dataset(tmp_path / "data", 41, "dir", n=4000)
    out = tmp_path / "out"
    out.mkdir()
    command = [str(tmp_path / "events.yaml"), data, "--engine", "spark", "--scheduler", "local[2]"]
    command += ["--valid-out", str(out / "v"), "--quarantine", str(out / "q"), "-q"]
    done = subprocess.run(
        [sys.executable, "-c", KILL_THE_JVM, *command],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "killed" in done.stderr.splitlines()
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: spark: the Spark driver's JVM stopped answering (out of memory?); nothing was "
        "written"
    ], done.stderr
    assert "Traceback" not in done.stderr
    assert list(out.iterdir()) == []  # no output, no staging directory
