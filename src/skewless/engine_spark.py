"""Spark: the contract over the partitions of a Spark DataFrame, in local mode or on a cluster.

    >>> report = contract.validate(spark.read.parquet("hdfs:///warehouse/users"))

Partitions reach Python through `mapInArrow`, as Arrow record batches: no pandas conversion,
so a nullable integer stays an integer and a UTC timestamp stays aware (`mapInPandas` turns
the first into floats and the second into naive wall times). Two passes (`partitioned`): the
key codes and cadence pairs of every partition, reduced by Spark windows (a shuffle by key
code, by cadence group); then the local engine's run on every partition, told which of its
rows repeat a key or break a cadence. Outputs are written by Spark's own Parquet writer into a
staging directory, swapped into place when the whole run succeeded.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skewless.gate import run_id_of
from skewless.partitioned import (
    PAIR_FIELDS,
    Decided,
    PartResult,
    Plan,
    held_schema,
    partition_keys,
    run,
    spanning_columns,
    valid_schema,
    validate_partition,
)
from skewless.spark_session import (
    FILE,
    INDEX,
    local_path,
    pyspark_sql,
    quiet,
    release,
    session_zone,
    spark_errors,
)

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from skewless.contract import Contract, Env
    from skewless.datasets import DatasetOutput
    from skewless.gate import GateResult

PAYLOAD, KIND = "__skewless_payload", "__skewless_kind"
VALID, HELD = "__skewless_valid_", "__skewless_held_"  # prefixes of the outputs' columns
BATCH_ROWS = 1 << 16  # rows of a batch handed back to Spark
# Without row positions (any DataFrame): partition id << ROW_BITS | row in the partition.
ROW_BITS = 40


def validate_spark(
    data: Any,
    contract: Contract,
    *,
    env: Env | None = None,
    source: str = "<Spark DataFrame>",
    run_id: str | None = None,
    files: dict[str, int] | None = None,
    valid_out: str | Path | None = None,
    quarantine: str | Path | None = None,
    keep_values: int | None = 1000,
    chunk_rows: int = 1 << 20,
    check: Callable[[], None] | None = None,
) -> GateResult:
    """Validate a Spark DataFrame; `files` (from `read_dataset`): each file's first row id,
    for a DataFrame that carries its rows' positions (else rows are numbered by partition)."""
    contract.require_frozen()
    run_id = run_id or run_id_of(contract, str(data.semanticHash()), env)
    from pyspark.sql.pandas.types import to_arrow_schema

    rows = _Rows(files, to_arrow_schema(data.schema, timezone=session_zone(data)))
    if files is None:
        rows.starts = _partition_starts(data)
    schema = _source_schema(data)
    plan = Plan(contract, env, source, run_id, keep_values, chunk_rows=chunk_rows).writing_to(
        valid_out, quarantine
    )

    def passes(outputs: dict[str, DatasetOutput]) -> list[PartResult]:
        with spark_errors(source):
            decided = _first_pass(data, contract, env, rows)
            return _second_pass(data, plan, decided, rows, schema, outputs)

    return run(plan, valid_out, quarantine, passes, check)


class _Rows:
    """Each row's id in the source, from its file and position or its partition."""

    def __init__(self, files: dict[str, int] | None, schema: pa.Schema) -> None:
        self.files = files
        self.schema = schema  # the DataFrame's, row position columns included
        self.starts: list[int] | None = None

    @property
    def columns(self) -> list[str]:
        return [FILE, INDEX] if self.files is not None else []

    def of(
        self, batches: Iterator[pa.RecordBatch], first_pass: bool
    ) -> tuple[pa.Table, np.ndarray]:
        """One partition's rows in source order (its batches gathered), and their ids."""
        import numpy as np
        import pyarrow as pa

        gathered = list(batches)
        # A partition with no rows (an empty file, a split with no row group) gets no batch.
        table = pa.Table.from_batches(gathered) if gathered else self.schema.empty_table()
        if self.files is None:
            from pyspark import TaskContext

            part = TaskContext.get().partitionId()
            n = table.num_rows
            if first_pass:  # ordered as source ids; the starts are not needed
                return table, (np.int64(part) << ROW_BITS) + np.arange(n, dtype=np.int64)
            assert self.starts is not None
            return table, self.starts[part] + np.arange(n, dtype=np.int64)
        paths = table.column(FILE).to_pylist() if table.num_rows else []
        offsets = {uri: self.files[str(Path(local_path(uri)).resolve())] for uri in set(paths)}
        base = np.fromiter((offsets[u] for u in paths), dtype=np.int64, count=len(paths))
        ids = base + table.column(INDEX).to_numpy()
        table = table.drop_columns([FILE, INDEX])
        if len(ids) > 1 and bool(np.any(np.diff(ids) < 0)):  # files in another order
            order = np.argsort(ids, kind="stable")
            table, ids = table.take(pa.array(order)), ids[order]
        return table, ids


def _first_pass(data: Any, contract: Contract, env: Env | None, rows: _Rows) -> Decided:
    """Every partition's keys and cadence pairs, reduced by Spark windows."""
    import pyarrow as pa

    from skewless.loader import duration_us

    sql = pyspark_sql()
    functions, window = sql.functions, sql.Window
    names = [n for n in spanning_columns(contract, env) if n in data.columns]
    if not names:
        return Decided()

    def keys_of(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        table, ids = rows.of(batches, first_pass=True)
        columns = {n: table.column(n) for n in names}
        keys, pairs = partition_keys(contract, env, columns, ids)
        for kind, found in ((0, keys), (1, pairs)):
            if found.num_rows:
                a, b, c = (found.column(i).combine_chunks() for i in range(3))
                yield pa.RecordBatch.from_arrays(
                    [pa.array([kind] * found.num_rows, pa.int8()), a, b, c],
                    ["kind", "a", "b", "c"],
                )

    with quiet():
        found = (
            data.select(*names, *rows.columns)
            .mapInArrow(keys_of, "kind tinyint, a int, b long, c long")
            .persist()
        )
        try:
            keys = found.where("kind = 0")
            first = window.partitionBy("a", "b").orderBy("c")
            repeated = (
                keys.select("a", "c", functions.row_number().over(first).alias("n"))
                .where("n > 1")
                .select(functions.col("a").alias("check"), functions.col("c").alias("row"))
                .toArrow()
            )
            steps = [
                (j, duration_us(c.cadence)) for j, c in enumerate(contract.columns) if c.cadence
            ]
            broken = _broken(found.where("kind = 1").select("a", "b", "c").distinct(), steps)
        finally:
            release(found)
    if rows.files is None:  # first-pass ids to source ids
        import numpy as np

        assert rows.starts is not None
        at = repeated.column("row").to_numpy()
        starts = np.asarray(rows.starts, dtype=np.int64)
        ids = starts[at >> ROW_BITS] + (at & ((1 << ROW_BITS) - 1))
        repeated = pa.table({"check": repeated.column("check"), "row": ids})
    return Decided.of(contract, repeated, broken)


def _broken(pairs: Any, steps: list[tuple[int, int]]) -> pa.Table:
    """The (column, group, instant) pairs not one step after their group's previous instant."""
    import pyarrow as pa

    sql = pyspark_sql()
    functions, window = sql.functions, sql.Window
    if not steps:
        return pa.schema(PAIR_FIELDS).empty_table()
    step = functions.element_at(
        functions.create_map(*(functions.lit(x) for pair in steps for x in pair)),
        functions.col("a"),
    )
    previous = functions.lag("c").over(window.partitionBy("a", "b").orderBy("c"))
    found = (
        pairs.select("a", "b", "c", previous.alias("p"))
        .where(functions.col("p").isNotNull() & ((functions.col("c") - functions.col("p")) != step))
        .select(
            functions.col("a").alias("column"),
            functions.col("b").alias("group"),
            functions.col("c").alias("instant"),
        )
        .toArrow()
    )
    return found.cast(pa.schema(PAIR_FIELDS))


def _second_pass(
    data: Any,
    plan: Plan,
    decided: Decided,
    rows: _Rows,
    schema: pa.Schema,
    outputs: dict[str, DatasetOutput],
) -> list[PartResult]:
    """The local engine's run on every partition; the outputs by Spark's Parquet writer."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    sql = pyspark_sql()
    functions = sql.functions
    zone = session_zone(data)
    valid = to_arrow_schema(
        from_arrow_schema(valid_schema(plan.contract, plan.env, schema)), timezone=zone
    )
    held = to_arrow_schema(from_arrow_schema(held_schema(schema)), timezone=zone)
    fields = [pa.field(KIND, pa.int8()), pa.field(PAYLOAD, pa.binary())]
    if "valid" in outputs:
        fields += [pa.field(VALID + f.name, f.type) for f in valid]
    if "held" in outputs:
        fields += [pa.field(HELD + f.name, f.type) for f in held]
    union = pa.schema(fields)
    shared = data.sparkSession.sparkContext.broadcast(decided)

    def validate(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        table, ids = rows.of(batches, first_pass=False)
        everything: Decided = shared.value
        within = everything.within(int(ids[0]), int(ids[-1])) if len(ids) else everything
        columns = {n: table.column(n).combine_chunks() for n in table.column_names}
        result = validate_partition(plan, within, columns, ids, valid, held)
        first = int(ids[0]) if len(ids) else -1
        summary = pickle.dumps((first, PartResult(result.rows, result.blocks)))
        yield _union(union, 0, {PAYLOAD: pa.array([summary], pa.binary())})
        if result.valid is not None and "valid" in outputs:
            yield from _batches(union, 1, _prefixed(VALID, result.valid.cast(valid)))
        if result.held is not None and "held" in outputs:
            yield from _batches(union, 2, _prefixed(HELD, result.held.cast(held)))

    with quiet():
        out = data.mapInArrow(validate, from_arrow_schema(union))
        if outputs:
            out = out.persist()
        try:
            summaries = out.where(f"{KIND} = 0").select(PAYLOAD).toArrow()
            for kind, prefix, target in (("valid", VALID, valid), ("held", HELD, held)):
                if kind in outputs:
                    (
                        out.where(f"{KIND} = {1 if kind == 'valid' else 2}")
                        .select(*(functions.col(prefix + f.name).alias(f.name) for f in target))
                        .write.mode("overwrite")
                        .parquet(str(outputs[kind].staging))
                    )
        finally:
            if outputs:
                release(out)
    # Written by this run's own workers, read back by the driver that sent them the code.
    found = [pickle.loads(b) for b in summaries.column(PAYLOAD).to_pylist()]  # noqa: S301
    return [part for _, part in sorted(found, key=lambda f: f[0])]  # in source order


def _batches(
    schema: pa.Schema, kind: int, columns: dict[str, pa.Array]
) -> Iterator[pa.RecordBatch]:
    """An output's rows in batches of `BATCH_ROWS`: the JVM takes each batch into its direct
    memory whole (a partition's rows as one batch overflowed a 1 GiB driver)."""
    n = len(next(iter(columns.values())))
    for lo in range(0, n, BATCH_ROWS):
        yield _union(schema, kind, {k: v.slice(lo, BATCH_ROWS) for k, v in columns.items()})


def _union(schema: pa.Schema, kind: int, columns: dict[str, pa.Array]) -> pa.RecordBatch:
    import pyarrow as pa

    n = len(next(iter(columns.values())))
    arrays = []
    for f in schema:
        if f.name == KIND:
            arrays.append(pa.array([kind] * n, pa.int8()))
        elif f.name in columns:
            arrays.append(columns[f.name])
        else:
            arrays.append(pa.nulls(n, f.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _prefixed(prefix: str, table: pa.Table) -> dict[str, pa.Array]:
    return {prefix + n: table.column(n).combine_chunks() for n in table.column_names}


def _partition_starts(data: Any) -> list[int]:
    """Each partition's first row id, from a count per partition (a scan of no column)."""
    import itertools

    functions = pyspark_sql().functions
    with quiet():
        counted = (
            data.select(functions.spark_partition_id().alias("p")).groupBy("p").count().collect()
        )
    sizes = dict.fromkeys(range(data.rdd.getNumPartitions()), 0)
    sizes.update({int(r["p"]): int(r["count"]) for r in counted})
    return [0, *itertools.accumulate(sizes[p] for p in sorted(sizes))][:-1]


def _source_schema(data: Any) -> pa.Schema:
    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_schema

    schema: pa.Schema = to_arrow_schema(data.schema, timezone=session_zone(data))
    return pa.schema([f for f in schema if f.name not in (FILE, INDEX)])
