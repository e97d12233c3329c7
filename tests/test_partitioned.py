"""The engine-free core of a distributed run: partitions give the local engine's verdicts.

A run on Dask or Spark is simulated in-process, as an engine runs it: `partition_keys` on each
partition; `repeated_keys` / `broken_pairs` on the key codes and cadence pairs regrouped as a
shuffle regroups them (every row of a key, every pair of a group, in one bucket; buckets in any
order, rows in any order within them); `validate_partition` on each partition, told only its
own rows' repeats; `assemble`. The report and the outputs must be the local gate's, whatever
the partitioning, the shuffle and the chunking.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import pickle
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import skewless
from skewless.batch import frame_columns
from skewless.errors import EngineError, InputError, OutputError
from skewless.gate import run_gate
from skewless.global_checks import _cadence_rows, cadence_breaks
from skewless.io import FrameSource
from skewless.partitioned import (
    Decided,
    PartResult,
    Plan,
    assemble,
    broken_pairs,
    held_schema,
    partition_keys,
    repeated_keys,
    spanning_columns,
    valid_schema,
    validate_partition,
)
from skewless.partitioned import run as partitioned_run

SOURCE = "<DataFrame>"
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
# Each example validates one frame three ways (the local gate, every partition, the plain
# validator), and a chunk costs a pandera run (some 30 ms, whatever its rows): fewer examples
# than the ci profile's 200 (never more than the profile's), to keep the file near 15 s.
PARTITION_EXAMPLES = min(settings.default.max_examples, 100)


def events(extra: str = "reject") -> skewless.Contract:
    """Every row-spanning check at once: a unique column, two compound keys (one holding the
    unique column), a cadence grouped by a mapped category, an `only_in` unique column."""
    return skewless.loads_contract(
        f"""\
contract: events
version: 1.0.0
timezone: UTC
extra_columns: {extra}
columns:
  event_id: {{type: integer, unique: true}}
  user:
    type: category
    values: [a, b, c, d]
    unknown: {{map_to: d}}
  at:
    type: datetime
    cadence: {{every: 5min, by: user}}
  score: {{type: float, min: 0, max: 1, nullable: true, fill_null: 0.0}}
  note: {{type: string, max_length: 5, nullable: true}}
  label: {{type: integer, unique: true, nullable: true, only_in: training}}
checks:
  unique: [[user, at], [event_id, note]]
  rows: {{min: 1, max: 120}}
"""
    )


CONTRACTS = {extra: events(extra) for extra in ("reject", "allow")}

# Small pools: repeated ids and keys, cadence breaks (a missing step, an off-grid second) and
# each kind of value violation come often.
IDS = [None, 0, 1, 2, 3, 5, 8, 13]
USERS = [None, "a", "b", "c", "d", "z", "Q"]  # z and Q are mapped to d
TIMES = [None, *(T0 + dt.timedelta(minutes=5 * k) for k in range(8)), T0 + dt.timedelta(seconds=7)]
SCORES = [None, 0.0, 0.5, 1.0, 1.5, -0.25, math.nan]
NOTES = [None, "ok", "", "toolong", "a\x00b", "héllo"]
LABELS = [None, 1, 2, 3]

ROW = st.tuples(
    st.sampled_from(IDS),
    st.sampled_from(USERS),
    st.sampled_from(TIMES),
    st.sampled_from(SCORES),
    st.sampled_from(NOTES),
    st.sampled_from(LABELS),
)


def build_frame(rows: list[tuple[Any, ...]], arrow: bool, label: bool, extra: bool) -> pd.DataFrame:
    """The rows as a DataFrame: numpy / object dtypes, or Arrow-backed (as Dask reads Parquet)."""
    ids, users, times, scores, notes, labels = (
        [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(6)]
    )
    if arrow:
        data = {
            "event_id": pd.array(ids, pd.ArrowDtype(pa.int64())),
            "user": pd.array(users, pd.ArrowDtype(pa.string())),
            "at": pd.array(times, pd.ArrowDtype(pa.timestamp("us", tz="UTC"))),
            # NaN stays a value here, apart from null (NaN is not a null where pandas can tell).
            "score": pd.arrays.ArrowExtensionArray(
                pa.array(scores, pa.float64(), from_pandas=False)
            ),
            "note": pd.array(notes, pd.ArrowDtype(pa.large_string())),
        }
    else:
        data = {
            "event_id": pd.array(ids, "Int64"),
            "user": pd.Series(users, dtype=object),
            "at": pd.to_datetime(pd.Series(times, dtype=object), utc=True).astype(
                "datetime64[us, UTC]"
            ),
            "score": pd.Series([math.nan if s is None else s for s in scores], dtype="float64"),
            "note": pd.Series(notes, dtype=object),
        }
    if label:
        data["label"] = pd.array(labels, "Int64")
    if extra:
        data["extra"] = pd.Series([f"x{i}" for i in range(len(rows))], dtype=object)
    return pd.DataFrame(data)


def arrow_schema(frame: pd.DataFrame) -> pa.Schema:
    """The frame's columns as an engine sees them: object columns as text."""
    fields = []
    for name, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.ArrowDtype):
            kind = dtype.pyarrow_dtype
        elif dtype.kind == "O":
            kind = pa.string()
        else:
            kind = pa.Schema.from_pandas(frame[[name]], preserve_index=False).field(0).type
        fields.append(pa.field(str(name), kind))
    return pa.schema(fields)


def shuffled(table: pa.Table, by: tuple[str, str], buckets: int, seed: int) -> list[pa.Table]:
    """`table` split as an engine's shuffle splits it: by a hash of the `by` columns into
    `buckets` buckets, each bucket's rows in an arbitrary order."""
    rng = np.random.default_rng(seed)
    a = table.column(by[0]).to_numpy().astype(np.uint64)
    b = table.column(by[1]).to_numpy().view(np.uint64)
    salt = np.uint64(rng.integers(1, 1 << 62))
    with np.errstate(over="ignore"):
        mixed = (a * np.uint64(0x9E3779B97F4A7C15)) ^ (b * np.uint64(0xBF58476D1CE4E5B9)) ^ salt
    bucket = (mixed >> np.uint64(33)) % np.uint64(buckets)
    out = []
    for k in rng.permutation(buckets).tolist():
        at = np.flatnonzero(bucket == k)
        out.append(table.take(pa.array(rng.permutation(at), pa.int64())))
    return out


def partition_results(
    plan: Plan,
    frame: pd.DataFrame,
    bounds: list[int],
    buckets: int,
    seed: int,
    schemas: tuple[pa.Schema | None, pa.Schema | None] = (None, None),
) -> list[PartResult]:
    """The distributed run, in-process: both maps over the partitions `bounds` cut, and the
    shuffles between them."""
    contract, env = plan.contract, plan.env
    parts = [
        (frame_columns(frame.iloc[a:b], SOURCE), np.arange(a, b, dtype=np.int64))
        for a, b in itertools.pairwise(bounds)
    ]
    found = [partition_keys(contract, env, columns, rows) for columns, rows in parts]
    keys = pa.concat_tables([k for k, _ in found])
    pairs = pa.concat_tables([p for _, p in found])
    repeated = pa.concat_tables(
        [repeated_keys(t) for t in shuffled(keys, ("check", "code"), buckets, seed)]
    )
    broken = pa.concat_tables(
        [broken_pairs(contract, t) for t in shuffled(pairs, ("column", "group"), buckets, seed)]
    )
    decided = Decided.of(contract, repeated, broken)
    return [
        validate_partition(plan, decided.within(a, b - 1), columns, rows, *schemas)
        for (columns, rows), a, b in zip(parts, bounds, bounds[1:], strict=False)
    ]


def tuples(table: pa.Table, *names: str) -> list[tuple[Any, ...]]:
    """The table's rows as tuples of the named columns."""
    return [tuple(row[n] for n in names) for row in table.select(list(names)).to_pylist()]


def plain_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows as Python values, a NaN as a string (NaN != NaN would fail any comparison)."""
    return [
        {k: "NaN" if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in table.to_pylist()
    ]


def text_as_one(kind: pa.DataType) -> pa.DataType:
    return pa.string() if pa.types.is_large_string(kind) else kind


def same_output(written: pa.Table, parts: list[pa.Table | None], schema: pa.Schema) -> None:
    """The partitions' rows of one output are the local file's, in its order and types."""
    tables = [t for t in parts if t is not None]
    got = pa.concat_tables(tables) if tables else schema.empty_table()
    assert got.schema == schema  # validate_partition conforms every table to the given schema
    # The local file's columns are those of its first rows (a contract column the source
    # lacks is left out, an empty file has the contract's); a partition's are the schema's.
    # Any column beyond the local file's must hold nothing.
    assert set(written.column_names) <= set(got.column_names)
    for name in set(got.column_names) - set(written.column_names):
        assert got.column(name).null_count == got.num_rows, name
    got = got.select(written.column_names)
    for mine, theirs in zip(got.schema, written.schema, strict=True):
        assert text_as_one(mine.type) == text_as_one(theirs.type), mine.name
    assert plain_rows(got) == plain_rows(written)


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.one_of(st.integers(0, 40), st.integers(0, 300)))
    rows = draw(st.lists(ROW, min_size=n, max_size=n))
    cuts = draw(st.lists(st.integers(0, n), max_size=3))
    return {
        "rows": rows,
        "arrow": draw(st.booleans()),
        "extra": draw(st.sampled_from([None, "reject", "allow"])),
        "label": draw(st.booleans()),
        "env": draw(st.sampled_from([None, "training", "serving"])),
        "bounds": [0, *sorted(cuts), n],  # repeated cuts: empty partitions
        "buckets": draw(st.integers(1, 4)),
        "seed": draw(st.integers(0, 2**32 - 1)),
        "keep": draw(st.sampled_from([0, 1, 3, 1000, None])),
        "chunk_rows": draw(st.sampled_from([1 << 20, 64])),
        "local_chunk_rows": draw(st.sampled_from([None, 100])),
    }


@settings(max_examples=PARTITION_EXAMPLES)
@given(cases())
def test_partitions_give_the_local_report_and_outputs(case: dict[str, Any]) -> None:
    contract = CONTRACTS[case["extra"] or "reject"]
    frame = build_frame(case["rows"], case["arrow"], case["label"], case["extra"] is not None)
    env, keep = case["env"], case["keep"]
    with tempfile.TemporaryDirectory() as tmp:
        valid_out, held_out = Path(tmp) / "valid.parquet", Path(tmp) / "held.parquet"
        local = run_gate(
            contract,
            FrameSource(SOURCE, frame=frame),
            env=env,
            valid_out=valid_out,
            quarantine=held_out,
            chunk_rows=case["local_chunk_rows"],
            keep_values=keep,
        )
        written_valid, written_held = pq.read_table(valid_out), pq.read_table(held_out)
    schema = arrow_schema(frame)
    schemas = (valid_schema(contract, env, schema), held_schema(schema))
    plan = Plan(
        contract, env, SOURCE, local.run_id, keep, valid=True, held=True,
        chunk_rows=case["chunk_rows"],
    )  # fmt: skip
    parts = partition_results(plan, frame, case["bounds"], case["buckets"], case["seed"], schemas)
    report = assemble(plan, parts)

    assert report.to_dict(None) == local.report.to_dict(None)
    if keep is None or keep >= 1000:
        assert report.to_dict() == contract.validate(frame, env=env).to_dict()
    same_output(written_valid, [p.valid for p in parts], schemas[0])
    same_output(written_held, [p.held for p in parts], schemas[1])
    assert sum(p.rows for p in parts) == len(frame)


# --- the reductions, one at a time -------------------------------------------------------------


@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(-3, 3)), max_size=60),
    st.integers(1, 4),
    st.integers(0, 2**32 - 1),
)
def test_repeated_keys_are_every_row_of_a_key_but_its_first(
    keys: list[tuple[int, int]], buckets: int, seed: int
) -> None:
    # Row ids are unique but in any order: a shuffle hands rows over in no particular order.
    rows = np.random.default_rng(seed).permutation(len(keys)) * 3 + 5
    table = pa.table(
        {
            "check": pa.array([c for c, _ in keys], pa.int32()),
            "code": pa.array([k for _, k in keys], pa.int64()),
            "row": pa.array(rows, pa.int64()),
        }
    )
    first: dict[tuple[int, int], int] = {}
    for key, row in zip(keys, rows.tolist(), strict=True):
        first[key] = min(first.get(key, row), row)
    expected = sorted(
        (c, row) for (c, k), row in zip(keys, rows.tolist(), strict=True) if row != first[(c, k)]
    )

    whole = repeated_keys(table)
    assert whole.column_names == ["check", "row"]
    assert sorted(tuples(whole, "check", "row")) == expected
    regrouped = pa.concat_tables(
        [repeated_keys(t) for t in shuffled(table, ("check", "code"), buckets, seed)]
    )
    assert sorted(tuples(regrouped, "check", "row")) == expected


def cadences() -> skewless.Contract:
    return skewless.loads_contract(
        """\
contract: ticks
version: 1.0.0
timezone: UTC
columns:
  user: {type: integer}
  at: {type: datetime, cadence: {every: 5min, by: user}}
  hour: {type: datetime, cadence: 1h}
"""
    )


@given(
    st.lists(
        st.tuples(st.sampled_from([1, 2]), st.integers(0, 3), st.integers(0, 8), st.booleans()),
        max_size=60,
    ),
    st.integers(1, 4),
    st.integers(0, 2**32 - 1),
)
def test_broken_pairs_agree_with_cadence_breaks_over_the_concatenation(
    pairs: list[tuple[int, int, int, bool]], buckets: int, seed: int
) -> None:
    """Pairs as several partitions hand them over (repeated across partitions), regrouped by
    (column, group): the pairs breaking a cadence are those `cadence_breaks` finds over all."""
    contract = cadences()
    steps = {1: 5 * 60 * 10**6, 2: 3600 * 10**6}  # by column index in the contract
    instants = [k * steps[j] + (7 * 10**6 if off else 0) for j, _, k, off in pairs]
    table = pa.table(
        {
            "column": pa.array([j for j, _, _, _ in pairs], pa.int32()),
            "group": pa.array([g if j == 1 else 0 for j, g, _, _ in pairs], pa.int64()),
            "instant": pa.array(instants, pa.int64()),
        }
    )
    expected = set()
    for j, step in steps.items():
        at = np.flatnonzero(table.column("column").to_numpy() == j)
        group = table.column("group").to_numpy()[at]
        instant = table.column("instant").to_numpy()[at]
        bad = cadence_breaks(group, instant, step)
        expected |= {
            (j, g, t) for g, t in zip(group[bad].tolist(), instant[bad].tolist(), strict=True)
        }

    def found(broken: pa.Table) -> list[tuple[int, int, int]]:
        return tuples(broken, "column", "group", "instant")

    # A pair handed over by several partitions may come back once for each (`Decided.of`
    # keeps each once).
    assert set(found(broken_pairs(contract, table))) == expected
    regrouped = pa.concat_tables(
        [broken_pairs(contract, t) for t in shuffled(table, ("column", "group"), buckets, seed)]
    )
    assert set(found(regrouped)) == expected


def test_partition_keys_hand_over_the_pairs_cadence_breaks_judges() -> None:
    contract = cadences()
    frame = pd.DataFrame(
        {
            "user": [1, 1, 2, 1, 2, 2],
            "at": pd.to_datetime(
                [T0 + dt.timedelta(minutes=m) for m in (0, 5, 0, 15, 5, 5)], utc=True
            ),
            "hour": pd.to_datetime(
                [T0 + dt.timedelta(hours=h) for h in (0, 1, 1, 2, 4, 5)], utc=True
            ),
        }
    )
    found = []
    for a, b in itertools.pairwise([0, 2, 2, 5, 6]):  # an empty partition too
        columns = frame_columns(frame.iloc[a:b], SOURCE)
        found.append(partition_keys(contract, None, columns, np.arange(a, b))[1])
    pairs = pa.concat_tables(found)
    broken = broken_pairs(contract, pairs)
    whole = {c: frame_columns(frame, SOURCE)[c] for c in ("user", "at", "hour")}
    typed = {n: pa.array(s) for n, s in whole.items()}
    expected = set()
    for j, column in enumerate(contract.columns):
        if column.cadence is None:
            continue
        _, groups, instants = _cadence_rows(column, typed)
        step = {"5min": 5 * 60 * 10**6, "1h": 3600 * 10**6}[column.cadence]
        bad = cadence_breaks(groups, instants, step)
        expected |= {
            (j, g, t) for g, t in zip(groups[bad].tolist(), instants[bad].tolist(), strict=True)
        }
    got = set(tuples(broken, "column", "group", "instant"))
    assert got == expected
    # User 1 skips 00:10; user 2 repeats 00:05 (one pair); hour 03:00 is missing.
    assert len(got) == 2


def test_within_keeps_the_repeats_of_rows_lo_to_hi_inclusive() -> None:
    bad = {"at": np.array([7, 9])}
    decided = Decided({0: np.array([1, 3, 5, 7]), 2: np.array([4], dtype=np.int64)}, bad)

    def rows(d: Decided) -> dict[int, list[int]]:
        return {i: r.tolist() for i, r in d.repeats.items()}

    assert rows(decided.within(3, 7)) == {0: [3, 5, 7], 2: [4]}
    assert rows(decided.within(4, 4)) == {0: [], 2: [4]}
    assert rows(decided.within(0, 1)) == {0: [1], 2: []}
    assert rows(decided.within(8, 100)) == {0: [], 2: []}
    assert rows(decided.within(5, 4)) == {0: [], 2: []}  # an empty partition
    assert decided.within(3, 7).cadence_bad is bad  # every partition needs every break


def test_spanning_columns_leave_out_the_other_environment() -> None:
    contract = skewless.loads_contract(
        """\
contract: t
version: 1.0.0
timezone: UTC
columns:
  id: {type: integer, unique: true, only_in: training}
  g: {type: string}
  h: {type: string, only_in: serving}
  t: {type: datetime, cadence: {every: 1h, by: g}, only_in: serving}
  u: {type: datetime, cadence: 5min}
  other: {type: string, max_length: 3}
checks:
  unique: [[g, h], [g, id]]
"""
    )
    assert spanning_columns(contract, None) == ["id", "g", "h", "t", "u"]
    assert spanning_columns(contract, "training") == ["id", "g", "u"]
    assert spanning_columns(contract, "serving") == ["g", "h", "t", "u"]


def test_a_contract_without_keys_or_cadence_hands_over_nothing() -> None:
    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n  x: {type: integer, max: 3}\n"
    )
    frame = pd.DataFrame({"x": [1, 1, 5, 1]})
    keys, pairs = partition_keys(contract, None, frame_columns(frame, SOURCE), np.arange(4))
    assert spanning_columns(contract, None) == []
    assert keys.num_rows == 0
    assert pairs.num_rows == 0
    assert keys.schema == pa.schema(
        [("check", pa.int32()), ("code", pa.int64()), ("row", pa.int64())]
    )
    assert pairs.schema == pa.schema(
        [("column", pa.int32()), ("group", pa.int64()), ("instant", pa.int64())]
    )
    assert repeated_keys(keys).num_rows == 0
    assert broken_pairs(contract, pairs).num_rows == 0
    decided = Decided.of(contract, repeated_keys(keys), broken_pairs(contract, pairs))
    assert decided.repeats == {}
    assert decided.cadence_bad == {}
    plan = Plan(contract, None, SOURCE, "r")
    report = assemble(
        plan, [validate_partition(plan, decided, frame_columns(frame, SOURCE), np.arange(4))]
    )
    assert report.to_dict() == contract.validate(frame).to_dict()
    assert report.counts == {"out_of_range": 1}


def test_a_missing_key_column_fails_every_row_once_not_once_per_partition() -> None:
    contract = CONTRACTS["reject"]
    rows = [(i % 3, "a", T0 + dt.timedelta(minutes=5 * i), 0.5, "ok", None) for i in range(10)]
    frame = build_frame(rows, arrow=False, label=False, extra=False).drop(columns=["event_id"])
    with tempfile.TemporaryDirectory() as tmp:
        local = run_gate(
            contract, FrameSource(SOURCE, frame=frame), quarantine=Path(tmp) / "held.parquet"
        )
    plan = Plan(contract, None, SOURCE, local.run_id, held=True)
    report = assemble(plan, partition_results(plan, frame, [0, 3, 3, 7, 10], buckets=2, seed=1))

    assert report.to_dict(None) == local.report.to_dict(None)
    assert report.to_dict() == contract.validate(frame).to_dict()
    assert report.counts["missing_column"] == 1
    assert report.rows_failed == report.rows == 10
    assert [v.row for v in report.violations if v.code == "missing_column"] == [None]


# --- a run on an engine: outputs staged, swapped in only when all of it succeeded -------------


def small_frame() -> pd.DataFrame:
    """12 rows, some failing (a repeated id, a long note, a broken cadence), in both halves."""
    rows = [
        (i if i != 7 else 2, "ab"[i % 2], T0 + dt.timedelta(minutes=5 * (i // 2)), 0.5, "ok", None)
        for i in range(12)
    ]
    rows[3] = (*rows[3][:4], "toolong", None)
    rows[10] = (*rows[10][:2], T0 + dt.timedelta(minutes=26), *rows[10][3:])
    return build_frame(rows, arrow=False, label=False, extra=False)


def write_parts(parts: list[PartResult], outputs: dict[str, Any]) -> None:
    """What an engine's writer does: each partition's rows, one file each, into staging."""
    for kind, output in outputs.items():
        for i, part in enumerate(parts):
            table = getattr(part, kind)
            if table is not None:
                pq.write_table(table, output.staging / f"part-{i}.parquet")


def dataset_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_run_swaps_the_outputs_in_only_when_every_pass_succeeded(tmp_path: Path) -> None:
    contract, frame = CONTRACTS["reject"], small_frame()
    valid, held = tmp_path / "out" / "valid", tmp_path / "out" / "held"
    valid.mkdir(parents=True)
    pq.write_table(pa.table({"old": [1]}), valid / "old.parquet")  # a previous run's
    local = run_gate(
        contract,
        FrameSource(SOURCE, frame=frame),
        valid_out=tmp_path / "valid.parquet",
        quarantine=tmp_path / "held.parquet",
    )
    plan = Plan(contract, None, SOURCE, local.run_id).writing_to(valid, held)
    assert (plan.valid, plan.held) == (True, True)
    schema = arrow_schema(frame)
    schemas = (valid_schema(contract, None, schema), held_schema(schema))

    def passes(outputs: dict[str, Any]) -> list[PartResult]:
        parts = partition_results(plan, frame, [0, 6, 12], buckets=2, seed=3, schemas=schemas)
        write_parts(parts, outputs)
        return parts

    def fails(outputs: dict[str, Any]) -> list[PartResult]:
        passes(outputs)  # some partitions written, then a worker cannot read its piece
        raise InputError(SOURCE, "changed while being read")

    def changed() -> None:
        raise InputError(SOURCE, "changed while being read; nothing was written")

    for bad_passes, check in ((fails, None), (passes, changed)):
        with pytest.raises(InputError):
            partitioned_run(plan, valid, held, bad_passes, check)
        assert dataset_files(tmp_path / "out") == ["valid"]  # nothing staged is left
        assert dataset_files(valid) == ["old.parquet"]

    result = partitioned_run(plan, valid, held, passes)
    assert result.report.to_dict(None) == local.report.to_dict(None)
    assert result.run_id == local.run_id
    assert (result.valid_rows, result.quarantined_rows) == (
        local.valid_rows,
        local.quarantined_rows,
    )
    assert 0 < result.quarantined_rows < result.valid_rows
    assert (result.valid_out, result.quarantine) == (valid, held)
    assert dataset_files(tmp_path / "out") == ["held", "valid"]
    assert dataset_files(valid) == ["part-0.parquet", "part-1.parquet"]
    for mine, theirs in ((valid, "valid.parquet"), (held, "held.parquet")):
        written = pq.read_table(tmp_path / theirs)
        assert plain_rows(pq.read_table(mine).select(written.column_names)) == plain_rows(written)


def test_run_refusing_an_output_leaves_nothing_behind(tmp_path: Path) -> None:
    (tmp_path / "held.parquet").write_bytes(b"PAR1")  # a file, not a dataset
    plan = Plan(CONTRACTS["reject"], None, SOURCE, "r1", valid=True, held=True)
    with pytest.raises(OutputError, match="is a file"):
        partitioned_run(plan, tmp_path / "valid", tmp_path / "held.parquet", lambda _: [])
    assert dataset_files(tmp_path) == ["held.parquet"]


def test_run_refuses_one_directory_for_both_outputs(tmp_path: Path) -> None:
    plan = Plan(CONTRACTS["reject"], None, SOURCE, "r1", valid=True, held=True)
    ran: list[int] = []

    def passes(outputs: dict[str, Any]) -> list[PartResult]:
        ran.append(len(outputs))
        return []

    with pytest.raises(OutputError):
        partitioned_run(plan, tmp_path / "out", tmp_path / "out", passes)
    assert ran == []  # refused before any work, as the local gate refuses one file for both


# --- exceptions cross from a worker to the driver ------------------------------------------------


@pytest.mark.parametrize(
    ("error", "fields"),
    [
        (InputError("data.parquet", "unreadable Parquet: truncated"), ("source", "message")),
        (OutputError("out/valid", "is a file"), ("target", "message")),
        (EngineError("dask", "a worker died"), ("engine", "message")),
    ],
)
def test_errors_survive_pickling(error: Exception, fields: tuple[str, str]) -> None:
    again = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert type(again) is type(error)
    assert str(again) == str(error)
    for name in fields:
        assert getattr(again, name) == getattr(error, name)
