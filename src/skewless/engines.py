"""Where a validation runs: the local engine, or the partitions of a Dask or Spark DataFrame.

    >>> run_engine(contract, "warehouse/users/", engine="dask", scheduler="tcp://10.0.0.5:8786",
    ...            valid_out="clean/", quarantine="held/")

The verdicts, row ids and quarantine are the local engine's whatever the engine
(`partitioned`); docs/scale.md says what runs where and what costs a shuffle.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from skewless.errors import InputError

if TYPE_CHECKING:
    from skewless.contract import Contract, Env
    from skewless.gate import GateResult

Engine = Literal["local", "dask", "spark"]
ENGINES: tuple[Engine, ...] = ("local", "dask", "spark")
PIECE_ROWS = 1 << 20  # rows of a Dask partition read from a Parquet dataset (whole row groups)


def run_engine(
    contract: Contract,
    data: str | Path,
    *,
    engine: Engine = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    env: Env | None = None,
    valid_out: str | Path | None = None,
    quarantine: str | Path | None = None,
    chunk_rows: int | None = None,
    keep_values: int | None = 1000,
    on_chunk: Callable[[int], None] | None = None,
) -> GateResult:
    """Validate a source on `engine`; Dask and Spark read Parquet (a file, a directory of a
    dataset, a glob) and write outputs as Parquet datasets (directories).

    `scheduler`: a Dask scheduler address (tcp://host:8786) or a Spark master URL (local[4],
    spark://host:7077); without one, a local cluster of `workers` processes (Dask) or local[*]
    (Spark) is started for the run.
    """
    from skewless.gate import run_gate, run_id_for
    from skewless.io import DEFAULT_CHUNK_ROWS, ParquetSource, open_source

    source = open_source(data)
    if engine == "local":
        return run_gate(
            contract,
            source,
            env=env,
            valid_out=valid_out,
            quarantine=quarantine,
            chunk_rows=chunk_rows or DEFAULT_CHUNK_ROWS,
            keep_values=keep_values,
            on_chunk=on_chunk,
        )
    if not isinstance(source, ParquetSource):
        raise InputError(
            source.name,
            f"the {engine} engine reads Parquet: a .parquet file, a dataset directory or a glob",
        )
    contract.require_frozen()
    before = source.stamps()
    common: dict[str, Any] = {
        "env": env,
        "source": source.name,
        "run_id": run_id_for(contract, source, env),
        "valid_out": valid_out,
        "quarantine": quarantine,
        "keep_values": keep_values,
        "chunk_rows": chunk_rows or PIECE_ROWS,
        "check": lambda: source.unchanged(before),
    }
    if engine == "dask":
        from skewless import engine_dask

        with engine_dask.client(scheduler, workers):
            frame, offsets, layout = engine_dask.read_dataset(source, chunk_rows or PIECE_ROWS)
            return engine_dask.validate_dask(
                frame, contract, offsets=offsets, source_schema=layout.schema, **common
            )
    from skewless import engine_spark, spark_session

    starts = spark_session.file_offsets(source)
    with spark_session.session(scheduler) as spark:
        frame, files = spark_session.read_dataset(spark, source, starts)
        return engine_spark.validate_spark(frame, contract, files=files, **common)


def engine_of(data: Any) -> Engine | None:
    """The engine a DataFrame belongs to: dask, spark, or None (pandas, anything else)."""
    module = type(data).__module__
    if module.startswith("dask."):
        return "dask"
    if module.startswith("pyspark."):
        return "spark"
    return None


def validate_frame(
    data: Any,
    contract: Contract,
    *,
    env: Env | None = None,
    valid_out: str | Path | None = None,
    quarantine: str | Path | None = None,
    keep_values: int | None = 1000,
) -> GateResult:
    """A Dask or Spark DataFrame on its own engine (the current Dask client or Spark session);
    rows are numbered in partition order."""
    if engine_of(data) == "dask":
        from skewless.engine_dask import validate_dask

        return validate_dask(
            data,
            contract,
            env=env,
            valid_out=valid_out,
            quarantine=quarantine,
            keep_values=keep_values,
        )
    from skewless.engine_spark import validate_spark

    return validate_spark(
        data, contract, env=env, valid_out=valid_out, quarantine=quarantine, keep_values=keep_values
    )
