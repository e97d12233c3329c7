"""Dask gives the local engine's verdicts: the same report, run id, quarantine and valid rows.

Random partitioned Parquet datasets (`tests.scale_data`) with duplicates across partitions run
on a LocalCluster of two worker processes, against the local engine over the same files; then
Dask DataFrames built in memory, and the command line, hostile inputs included.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import skewless
from skewless.datasets import pieces
from skewless.engines import run_engine
from skewless.errors import InputError, OutputError
from skewless.gate import GateResult
from skewless.io import open_source
from tests.cli_run import Run, skewless_cli
from tests.scale_data import (
    CONTRACT_YAML,
    assert_same_rows,
    assert_same_run,
    contract,
    rows,
    write_dataset,
)

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of a LocalCluster of two worker processes, one thread each."""
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        # No dashboard, and its HTTP server on a free port: 8787 may be taken by another run.
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


def local_run(
    c: skewless.Contract, data: str, out: Path, chunk_rows: int | None = None
) -> GateResult:
    out.mkdir()
    return run_engine(
        c,
        data,
        engine="local",
        valid_out=out / "valid.parquet",
        quarantine=out / "held.parquet",
        chunk_rows=chunk_rows,
    )


# --- Parquet datasets: run_engine on Dask against the local engine ------------------------------


@pytest.mark.parametrize(("seed", "layout"), [(0, "hive"), (1, "glob"), (2, "dir"), (3, "hive")])
def test_the_datasets_hold_what_parity_needs(tmp_path: Path, seed: int, layout: str) -> None:
    """An empty file, files of several row groups, ids and keys repeated across files and
    within one, hive partitions, and violations of every rule."""
    c = contract(tmp_path)
    data = write_dataset(tmp_path / "data", seed, layout)
    files = open_source(data).paths
    metadata = [pq.read_metadata(f) for f in files]
    assert min(m.num_rows for m in metadata) == 0
    assert max(m.num_row_groups for m in metadata) > 1
    seen: dict[int, list[int]] = {}
    for i, f in enumerate(files):
        for id_ in pq.read_table(f, columns=["event_id"]).column(0).drop_null().to_pylist():
            seen.setdefault(id_, []).append(i)
    assert any(len(set(at)) > 1 for at in seen.values())  # in two files
    assert any(len(at) > len(set(at)) for at in seen.values())  # twice in one file
    assert all(f.parent.name in ("k=0", "k=1") for f in files) is (layout == "hive")
    report = skewless.validate(data, c).report
    assert set(report.counts) >= {
        "not_unique",
        "duplicate_key",
        "cadence_mismatch",
        "null_not_allowed",
        "out_of_range",
        "nan_not_allowed",
        "too_long",
        "control_character",
        "pattern_mismatch",
    }


@pytest.mark.parametrize(
    ("seed", "layout", "chunk_rows"),
    [
        (0, "hive", None),
        (1, "glob", None),
        (2, "dir", None),
        (3, "hive", 300),  # many partitions, several in a file
        (4, "glob", 150),
    ],
)
def test_dask_gives_the_local_report_and_outputs(
    tmp_path: Path, scheduler: str, seed: int, layout: str, chunk_rows: int | None
) -> None:
    c = contract(tmp_path)
    data = write_dataset(tmp_path / "data", seed, layout)
    if chunk_rows is not None:  # pieces of a few row groups: more partitions than files
        source = open_source(data)
        assert len(pieces(source, chunk_rows)[1]) > 2 * len(source.paths)
    local = local_run(c, data, tmp_path / "local", chunk_rows)
    out = tmp_path / "dask"
    out.mkdir()
    got = run_engine(
        c,
        data,
        engine="dask",
        scheduler=scheduler,
        valid_out=out / "valid",
        quarantine=out / "held",
        chunk_rows=chunk_rows,
    )
    assert_same_run(local, got, tmp_path / "local", out)
    assert sorted(p.name for p in out.iterdir()) == ["held", "valid"]  # no staging left


def test_a_cluster_started_for_the_run_gives_the_local_verdicts(tmp_path: Path) -> None:
    c = contract(tmp_path)
    data = write_dataset(tmp_path / "data", 6, "hive")
    local = local_run(c, data, tmp_path / "local")
    out = tmp_path / "dask"
    out.mkdir()
    got = run_engine(
        c,
        data,
        engine="dask",
        workers=2,
        valid_out=out / "valid",
        quarantine=out / "held",
        chunk_rows=500,
    )
    assert_same_run(local, got, tmp_path / "local", out)


def test_a_second_run_replaces_the_outputs_whole(tmp_path: Path, scheduler: str) -> None:
    c = contract(tmp_path)
    first = write_dataset(tmp_path / "first", 7, "dir")
    second = write_dataset(tmp_path / "second", 8, "glob")
    out = tmp_path / "dask"
    out.mkdir()
    outputs = {"valid_out": out / "valid", "quarantine": out / "held"}
    run_engine(c, first, engine="dask", scheduler=scheduler, **outputs)
    got = run_engine(c, second, engine="dask", scheduler=scheduler, **outputs)
    local = local_run(c, second, tmp_path / "local")
    assert_same_run(local, got, tmp_path / "local", out)
    assert sorted(p.name for p in out.iterdir()) == ["held", "valid"]


# --- Dask DataFrames built in memory -------------------------------------------------------------


def frame(n: int, parts: int, seed: int) -> pd.DataFrame:
    """Rows with violations, keys repeated across the `parts` equal slices Dask will cut."""
    size = -(-n // parts)
    bounds = [min(i * size, n) for i in range(parts + 1)]
    table = rows(n, bounds, np.random.default_rng(seed))
    return table.to_pandas(types_mapper=pd.ArrowDtype)


@pytest.mark.parametrize("where", ["threads", "cluster"])
def test_a_dask_dataframe_gets_the_pandas_report(
    tmp_path: Path, scheduler: str, where: str
) -> None:
    c = contract(tmp_path)
    df = frame(1500, 3, seed=10)
    ddf = dd.from_pandas(df, npartitions=3)
    assert [len(p) for p in ddf.partitions] == [500, 500, 500]
    expected = c.validate(df, source="<Dask DataFrame>")
    assert expected.counts["not_unique"] > 0
    assert expected.counts["duplicate_key"] > 0
    if where == "cluster":
        with distributed.Client(scheduler):
            got = c.validate(ddf)
    else:
        got = c.validate(ddf)
    assert got.to_dict() == expected.to_dict()
    assert got.counts == expected.counts
    assert got.rows_failed == expected.rows_failed


def test_a_dask_dataframe_keeps_every_value_as_pandas_does(tmp_path: Path) -> None:
    c = contract(tmp_path)
    df = frame(1500, 3, seed=10)
    expected = c.validate(df, source="<Dask DataFrame>")
    assert expected.total > 1000
    assert c.validate(dd.from_pandas(df, npartitions=3)).to_dict(None) == expected.to_dict(None)


def test_validate_writes_a_dask_dataframe_as_pandas_would(tmp_path: Path, scheduler: str) -> None:
    c = contract(tmp_path)
    df = frame(2000, 4, seed=11)
    with distributed.Client(scheduler):
        got = skewless.validate(
            dd.from_pandas(df, npartitions=4),
            c,
            quarantine=tmp_path / "held",
            valid_out=tmp_path / "valid",
        )
    expected = skewless.validate(
        df, c, quarantine=tmp_path / "held.parquet", valid_out=tmp_path / "valid.parquet"
    )
    assert got.report.to_dict(None)["violations"] == expected.report.to_dict(None)["violations"]
    assert (got.valid_rows, got.quarantined_rows) == (
        expected.valid_rows,
        expected.quarantined_rows,
    )
    held = pq.read_table(tmp_path / "held")
    assert set(held.column("_run_id").to_pylist()) == {got.run_id}
    drop = ["_run_id"]
    assert_same_rows(
        pq.read_table(tmp_path / "held.parquet").drop_columns(drop), held.drop_columns(drop), "_row"
    )
    assert_same_rows(
        pq.read_table(tmp_path / "valid.parquet"), pq.read_table(tmp_path / "valid"), "event_id"
    )


# --- what does not run, and leaves nothing behind ------------------------------------------------


def corrupt_pages(path: Path) -> None:
    """Garble the data pages of a Parquet file, its footer intact: read_metadata still works."""
    data = bytearray(path.read_bytes())
    for i in range(8, len(data) // 2):
        data[i] = 0xFF
    path.write_bytes(bytes(data))


def test_an_unreadable_piece_fails_the_run_and_writes_nothing(
    tmp_path: Path, scheduler: str
) -> None:
    c = contract(tmp_path)
    data = write_dataset(tmp_path / "data", 12, "dir")
    corrupt_pages(sorted(Path(data).glob("*.parquet"))[-1])
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InputError, match="unreadable Parquet"):
        run_engine(
            c, data, engine="dask", scheduler=scheduler, valid_out=out / "v", quarantine=out / "q"
        )
    assert list(out.iterdir()) == []


def test_outputs_are_refused_before_anything_is_written(tmp_path: Path, scheduler: str) -> None:
    c = contract(tmp_path)
    data = write_dataset(tmp_path / "data", 13, "dir")
    out = tmp_path / "out"
    out.mkdir()
    taken = out / "held"
    taken.write_bytes(b"not a dataset")
    with pytest.raises(OutputError, match="is a file"):
        run_engine(
            c, data, engine="dask", scheduler=scheduler, valid_out=out / "v", quarantine=taken
        )
    assert sorted(p.name for p in out.iterdir()) == ["held"]
    assert taken.read_bytes() == b"not a dataset"


# --- the command line ---------------------------------------------------------------------------


def cli(tmp_path: Path, *args: str | Path) -> Run:
    (tmp_path / "events.yaml").write_text(CONTRACT_YAML)
    return skewless_cli("validate", "events.yaml", *args, cwd=tmp_path)


@pytest.mark.slow
def test_cli_dask_reports_and_writes_what_local_does(tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data", 15, "hive")
    local = cli(
        tmp_path, data, "--valid-out", "v.parquet", "--quarantine", "q.parquet", "--format", "json"
    )
    dask = cli(
        tmp_path,
        data,
        "--engine",
        "dask",
        "--workers",
        "2",
        "--valid-out",
        "v",
        "--quarantine",
        "q",
        "--format",
        "json",
    )
    assert (local.code, dask.code) == (1, 1), local.err + dask.err
    expected, got = local.json(), dask.json()
    assert got.pop("outputs") == {
        **expected.pop("outputs"),
        "valid_out": "v",
        "quarantine": "q",
    }
    assert got == expected
    assert pq.read_table(tmp_path / "q").num_rows == pq.read_table(tmp_path / "q.parquet").num_rows


def test_cli_dask_reads_parquet_only(tmp_path: Path) -> None:
    (tmp_path / "events.csv").write_text("event_id,user\n1,a\n")
    run = cli(tmp_path, "events.csv", "--engine", "dask", "--quarantine", "q")
    assert run.code == 2
    assert "Parquet" in run.error_line()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv", "events.yaml"]


def test_cli_dask_on_a_missing_path(tmp_path: Path) -> None:
    run = cli(tmp_path, "nowhere/", "--engine", "dask")
    assert run.code == 2
    assert "nowhere" in run.error_line()


@pytest.mark.slow
def test_cli_dask_without_a_scheduler_listening(tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data", 16, "dir", n=100)
    run = cli(tmp_path, data, "--engine", "dask", "--scheduler", "tcp://127.0.0.1:1")
    assert run.code == 2
    assert "no Dask scheduler" in run.error_line()


@pytest.mark.parametrize(
    "args",
    [
        ["--workers", "2"],
        ["--engine", "local", "--scheduler", "tcp://127.0.0.1:8786"],
        ["--engine", "spark", "--workers", "2"],
        ["--engine", "dask", "--workers", "0"],
    ],
    ids=["workers-local", "scheduler-local", "workers-spark", "no-workers"],
)
def test_cli_engine_options_that_do_not_go_together(tmp_path: Path, args: list[str]) -> None:
    data = write_dataset(tmp_path / "data", 17, "dir", n=100)
    run = cli(tmp_path, data, *args)
    assert run.code == 2
    assert "Traceback" not in run.err


def test_cli_dask_refuses_a_file_as_an_output(tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data", 18, "dir", n=300)
    (tmp_path / "held.parquet").write_bytes(b"precious")
    run = cli(
        tmp_path,
        data,
        "--engine",
        "dask",
        "--workers",
        "1",
        "--valid-out",
        "valid",
        "--quarantine",
        "held.parquet",
    )
    assert run.code == 2
    assert "is a file" in run.error_line()
    assert (tmp_path / "held.parquet").read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "events.yaml", "held.parquet"]


@pytest.mark.parametrize(
    "damage",
    [
        "truncated",  # refused on the driver, before the cluster runs a task
        "garbled pages",  # found by a worker
    ],
)
def test_cli_dask_on_a_damaged_file_leaves_no_output(tmp_path: Path, damage: str) -> None:
    data = write_dataset(tmp_path / "data", 19, "hive")
    victim = sorted(Path(data).rglob("*.parquet"))[1]
    if damage == "truncated":
        victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    else:
        corrupt_pages(victim)
    run = cli(
        tmp_path,
        data,
        "--engine",
        "dask",
        "--workers",
        "1",
        "--valid-out",
        "valid",
        "--quarantine",
        "held",
        "--format",
        "json",
    )
    assert run.code == 2
    assert "Parquet" in run.error_line()
    assert json.loads(run.out)["ok"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "events.yaml"]
