"""Dask: the contract over the partitions of a Dask DataFrame, on a local cluster or a scheduler.

    >>> import dask.dataframe as dd
    >>> report = contract.validate(dd.read_parquet("s3://bucket/users/", dtype_backend="pyarrow"))

Two passes (`partitioned`): the key codes and cadence pairs of every partition, reduced by a
Dask shuffle (by key code, by cadence group); then the local engine's run on every partition,
told which of its rows repeat a key or break a cadence. Outputs are written by Dask's
`to_parquet` into a staging directory, swapped into place when the whole run succeeded.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skewless.errors import EngineError, InputError, OutputError
from skewless.gate import run_id_of
from skewless.partitioned import (
    KEY_FIELDS,
    PAIR_FIELDS,
    Decided,
    PartResult,
    Plan,
    broken_pairs,
    held_schema,
    partition_keys,
    repeated_keys,
    run,
    spanning_columns,
    valid_schema,
    validate_partition,
)

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from skewless.contract import Contract, Env
    from skewless.datasets import DatasetOutput, Layout, Piece
    from skewless.gate import GateResult
    from skewless.io import ParquetSource

INSTALL_HINT = "the Dask engine needs dask and distributed: pip install 'skewless[dask]'"
# First-pass row ids: partition << ROW_BITS | row in the partition. They sort as source row ids
# do before the partitions' lengths are known (at most 2^40 rows a partition).
ROW_BITS = 40


def _dask() -> Any:
    try:
        import dask
        import dask.dataframe
        import distributed
    except ImportError:
        raise EngineError("dask", INSTALL_HINT) from None
    del distributed
    return dask


@contextlib.contextmanager
def client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A Dask client: to the scheduler at `scheduler`, or to a local cluster of `workers`
    processes (one thread each) started for the run and stopped after it."""
    import logging

    _dask()
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            connected = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise EngineError("dask", f"no Dask scheduler at {scheduler}: {exc}") from None
        with connected:
            yield connected
        return
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: never a warning that 8787 is taken
        # A task's failure is reported once, by skewless, not also as a worker's traceback.
        silence_logs=logging.CRITICAL,
    )
    with cluster, Client(cluster) as started:
        yield started


def read_dataset(source: ParquetSource, piece_rows: int) -> tuple[Any, list[int], Layout]:
    """A Parquet source as a Dask DataFrame, one partition per piece (`datasets.pieces`), read
    by the local engine's reader; with each partition's first row id in the source."""
    _dask()
    import dask.dataframe as dd
    import pandas as pd

    from skewless.datasets import pieces

    layout, parts = pieces(source, piece_rows)
    meta = layout.schema.empty_table().to_pandas(types_mapper=pd.ArrowDtype)
    frame = dd.from_map(_PieceReader(layout, source.name), parts, meta=meta, enforce_metadata=False)
    return frame, [p.offset for p in parts], layout


class _PieceReader:
    """Reads one piece as a pandas frame of Arrow-backed columns (no conversion of types); Dask
    passes `columns` when it needs only some (the first pass reads the key columns only)."""

    def __init__(self, layout: Layout, source: str) -> None:
        self.layout = layout
        self.source = source

    def __call__(self, piece: Piece, columns: list[str] | None = None) -> pd.DataFrame:
        import pandas as pd

        from skewless.datasets import read_piece

        table = read_piece(self.layout, piece, self.source, list(columns) if columns else None)
        frame: pd.DataFrame = table.to_pandas(types_mapper=pd.ArrowDtype)
        return frame


def validate_dask(
    data: Any,
    contract: Contract,
    *,
    env: Env | None = None,
    source: str = "<Dask DataFrame>",
    run_id: str | None = None,
    offsets: list[int] | None = None,
    source_schema: pa.Schema | None = None,
    valid_out: str | Path | None = None,
    quarantine: str | Path | None = None,
    keep_values: int | None = 1000,
    chunk_rows: int = 1 << 20,
    check: Callable[[], None] | None = None,
) -> GateResult:
    """Validate a Dask DataFrame on the current Dask client (or Dask's default scheduler);
    `offsets`: each partition's first row id, where known (else counted by the first pass);
    `check` is called before the outputs are committed (it raises to abandon them)."""
    dask = _dask()
    from dask import delayed

    contract.require_frozen()
    run_id = run_id or run_id_of(contract, str(data._name), env)
    schema = source_schema if source_schema is not None else _arrow_schema(data._meta)
    plan = Plan(contract, env, source, run_id, keep_values, chunk_rows=chunk_rows).writing_to(
        valid_out, quarantine
    )

    def passes(outputs: dict[str, DatasetOutput]) -> list[PartResult]:
        decided, starts = _first_pass(data, contract, env, offsets)
        shared = delayed(decided.cadence_bad)  # one copy in the graph, not one per partition
        ends = [*starts[1:], None]
        results = [
            delayed(_second_pass)(
                part,
                plan,
                delayed(Decided)(_within(decided, start, end).repeats, shared),
                start,
                valid_schema(contract, env, schema),
                held_schema(schema),
            )
            for part, start, end in zip(data.to_delayed(), starts, ends, strict=True)
        ]
        reports = [delayed(_without_rows)(r) for r in results]
        done: list[PartResult] = _compute(dask, reports, *_writes(outputs, results, plan, schema))[
            0
        ]
        return done

    return run(plan, valid_out, quarantine, passes, check)


def _first_pass(
    data: Any, contract: Contract, env: Env | None, offsets: list[int] | None
) -> tuple[Decided, list[int]]:
    """Every partition's keys and cadence pairs, reduced by a shuffle; and the offsets."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    dask = _dask()
    import dask.dataframe as dd
    from dask import delayed

    names = spanning_columns(contract, env)
    present = [n for n in names if n in data.columns]
    if not present and offsets is not None:
        return Decided(), offsets
    if not present:
        lengths = _compute(dask, [delayed(len)(p) for p in data.to_delayed()])[0]
        return Decided(), _starts(list(lengths))
    keys_meta = pa.schema(KEY_FIELDS).empty_table().to_pandas()
    pairs_meta = pa.schema(PAIR_FIELDS).empty_table().to_pandas()
    found = [
        delayed(_keys)(part, i, contract, env) for i, part in enumerate(data[present].to_delayed())
    ]
    keys = dd.from_delayed([delayed(operator.itemgetter(1))(f) for f in found], meta=keys_meta)
    pairs = dd.from_delayed([delayed(operator.itemgetter(2))(f) for f in found], meta=pairs_meta)
    lengths = [delayed(operator.itemgetter(0))(f) for f in found]
    repeated = keys.shuffle(on=["check", "code"]).map_partitions(
        _pandas(repeated_keys), meta=pd.DataFrame({"check": [], "row": []}).astype("int64")
    )
    broken = pairs.shuffle(on=["column", "group"]).map_partitions(
        _pandas(lambda t: broken_pairs(contract, t)), meta=pairs_meta
    )
    counted, repeats, breaks = _compute(dask, lengths, repeated.to_delayed(), broken.to_delayed())
    repeats = pd.concat(repeats) if repeats else repeated._meta
    breaks = pd.concat(breaks) if breaks else pairs_meta
    starts = offsets if offsets is not None else _starts(list(counted))
    rows = repeats["row"].to_numpy(dtype=np.int64)
    at = np.asarray(starts, dtype=np.int64)[rows >> ROW_BITS] + (rows & ((1 << ROW_BITS) - 1))
    table = pa.table({"check": repeats["check"].to_numpy(dtype=np.int32), "row": at})
    return Decided.of(contract, table, pa.Table.from_pandas(breaks, preserve_index=False)), starts


def _keys(frame: pd.DataFrame, i: int, contract: Contract, env: Env | None) -> tuple[Any, ...]:
    import numpy as np

    from skewless.batch import frame_columns

    n = len(frame)
    rows = (np.int64(i) << ROW_BITS) + np.arange(n, dtype=np.int64)
    keys, pairs = partition_keys(contract, env, frame_columns(frame, "partition"), rows)
    return n, keys.to_pandas(), pairs.to_pandas()


def _pandas(reduce: Any) -> Any:
    """A reduction over Arrow tables as one over pandas partitions."""

    def over(frame: pd.DataFrame) -> pd.DataFrame:
        import pyarrow as pa

        out: pd.DataFrame = reduce(pa.Table.from_pandas(frame, preserve_index=False)).to_pandas()
        return out

    return over


def _second_pass(
    frame: pd.DataFrame,
    plan: Plan,
    decided: Decided,
    start: int,
    valid: pa.Schema,
    held: pa.Schema,
) -> PartResult:
    import numpy as np

    from skewless.batch import frame_columns

    rows = np.arange(start, start + len(frame), dtype=np.int64)
    return validate_partition(plan, decided, frame_columns(frame, plan.source), rows, valid, held)


def _within(decided: Decided, start: int, end: int | None) -> Decided:
    return decided.within(start, (end if end is not None else 1 << 62) - 1)


def _without_rows(result: PartResult) -> PartResult:
    """What the driver needs of a partition: its violations (its rows go to the writer)."""
    return PartResult(result.rows, result.blocks)


def _frame(result: PartResult, which: str, schema: pa.Schema) -> pd.DataFrame:
    import pandas as pd

    table = getattr(result, which)
    if table is None:
        table = schema.empty_table()
    out: pd.DataFrame = table.to_pandas(types_mapper=pd.ArrowDtype)
    return out


def _writes(
    outputs: dict[str, DatasetOutput], results: list[Any], plan: Plan, schema: pa.Schema
) -> list[Any]:
    """Dask's own Parquet writer over each output's partitions, into the staging directory."""
    import dask.dataframe as dd
    import pandas as pd
    from dask import delayed

    schemas = {"valid": valid_schema(plan.contract, plan.env, schema), "held": held_schema(schema)}
    writes = []
    for kind, output in outputs.items():
        target = schemas[kind]
        meta = target.empty_table().to_pandas(types_mapper=pd.ArrowDtype)
        frame = dd.from_delayed([delayed(_frame)(r, kind, target) for r in results], meta=meta)
        written = frame.to_parquet(
            str(output.staging),
            schema=target,
            write_index=False,
            compute=False,
            name_function=lambda i: f"part-{i:05d}.parquet",
        )
        writes.append(written.to_delayed())
    return writes


def _compute(dask: Any, *collections: Any) -> tuple[Any, ...]:
    """`dask.compute`, with a dead worker or a lost scheduler as an `EngineError`."""
    from distributed import KilledWorker

    try:
        return tuple(dask.compute(*collections))
    except (InputError, OutputError, EngineError):
        raise
    except KilledWorker as exc:
        raise EngineError(
            "dask",
            f"a worker died while running {exc.args[0] if exc.args else 'a task'} and the "
            "scheduler gave up on it; nothing was written",
        ) from None
    except (OSError, TimeoutError) as exc:
        raise EngineError("dask", f"the run was lost: {exc}; nothing was written") from None


def _starts(lengths: list[int]) -> list[int]:
    import itertools

    return [0, *itertools.accumulate(lengths)][:-1] if lengths else []


def _arrow_schema(meta: pd.DataFrame) -> pa.Schema:
    """The Arrow schema of a Dask DataFrame's columns; object columns as text."""
    import pandas as pd
    import pyarrow as pa

    fields = []
    for name, dtype in meta.dtypes.items():
        if isinstance(dtype, pd.ArrowDtype):
            t = dtype.pyarrow_dtype
        elif dtype.kind == "O":
            t = pa.string()
        else:
            t = pa.Schema.from_pandas(meta[[name]], preserve_index=False).field(0).type
        fields.append(pa.field(str(name), t))
    return pa.schema(fields)
