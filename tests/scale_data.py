"""Random partitioned Parquet datasets full of violations, for the Dask and Spark parity tests.

`write_dataset(root, seed, layout)` writes a few thousand rows over several files (several row
groups each, one file empty) and returns what to pass as DATA: a hive-partitioned directory
(`k=0/`, `k=1/`), a plain directory, or a glob. Duplicated ids and duplicated `(user, at)`
keys are placed on purpose both in other files (partitions) and in the same file.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import skewless

CONTRACT_YAML = """\
contract: events
version: 1.0.0
timezone: UTC
extra_columns: allow   # the hive partition key k
columns:
  event_id:
    type: integer
    unique: true
  user:
    type: category
    values: [a, b, c, d]
    unknown: {map_to: d}
  at:
    type: datetime
    cadence: {every: 5min, by: user}
  score:
    type: float
    min: 0
    max: 1
    nullable: true
    fill_null: 0.0
  amount:
    type: integer
    min: 0
    max: 100
    nullable: true
  note:
    type: string
    max_length: 5
    nullable: true
  code:
    type: string
    pattern: '^[A-Z]{2}[0-9]$'
checks:
  unique: [[user, at]]
  rows: {min: 1, max: 3000}
"""

SCHEMA = pa.schema(
    [
        ("event_id", pa.int64()),
        ("user", pa.string()),
        ("at", pa.timestamp("us", tz="UTC")),
        ("score", pa.float64()),
        ("amount", pa.int64()),
        ("note", pa.string()),
        ("code", pa.string()),
    ]
)
LAYOUTS = ("hive", "dir", "glob")
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def contract(tmp: Path) -> skewless.Contract:
    path = tmp / "events.yaml"
    path.write_text(CONTRACT_YAML)
    return skewless.load_contract(path)


def rows(n: int, bounds: list[int], rng: np.random.Generator) -> pa.Table:
    """`n` rows in file order (file i holds rows bounds[i]..bounds[i+1]-1), with violations of
    every rule of the contract and keys repeated across files and within one."""
    users = rng.choice(np.array(list("abcdz"), dtype=object), n)  # z: unknown, mapped to d
    # Each user's windows 5 minutes apart, so the cadence breaks only where it is broken below.
    rank = np.zeros(n, dtype=np.int64)
    for u in set(users):
        at_u = users == u
        rank[at_u] = np.arange(at_u.sum())
    at_us = int(T0.timestamp()) * 1_000_000 + rank * 300_000_000
    jitter = rng.random(n) < 0.02
    at_us[jitter] += 7_000_000
    ids = rng.permutation(n).astype(np.int64) + 1000
    file_of = np.searchsorted(np.asarray(bounds[1:]), np.arange(n), side="right")
    for _ in range(max(2, n // 40)):  # an id and a (user, at) key again, in another file
        a, b = rng.integers(0, n, 2)
        if file_of[a] != file_of[b]:
            ids[b] = ids[a]
            if rng.random() < 0.5:
                users[b], at_us[b] = users[a], at_us[a]
    for _ in range(max(2, n // 100)):  # and in the same file
        a = int(rng.integers(0, n))
        b = min(a + int(rng.integers(1, 20)), int(bounds[file_of[a] + 1]) - 1)
        if b != a:
            ids[b] = ids[a]
            users[b], at_us[b] = users[a], at_us[a]
    score = rng.random(n) * 1.1 - 0.02
    score[rng.random(n) < 0.01] = np.nan
    notes = np.array(["ok", "toolong", "a\x00b", "", "é", "tab\t"], dtype=object)
    codes = np.array(["AB1", "ZZ9", "ab1", "XY12", "A1"], dtype=object)
    columns = {
        "event_id": pa.array(ids, mask=rng.random(n) < 0.01),
        "user": pa.array(users, pa.string(), mask=rng.random(n) < 0.01),
        "at": pa.array(at_us, SCHEMA.field("at").type, mask=rng.random(n) < 0.01),
        "score": pa.array(score, mask=rng.random(n) < 0.03),
        "amount": pa.array(rng.integers(-3, 104, n), mask=rng.random(n) < 0.05),
        "note": pa.array(notes[rng.integers(0, len(notes), n)], mask=rng.random(n) < 0.1),
        "code": pa.array(codes[rng.choice(len(codes), n, p=[0.5, 0.3, 0.1, 0.05, 0.05])]),
    }
    return pa.table(columns, schema=SCHEMA)


def write_dataset(root: Path, seed: int, layout: str, n: int | None = None) -> str:
    """A dataset of `n` rows (random: 1500 to 4000) under `root`; returns the DATA to read."""
    rng = np.random.default_rng(seed)
    n = n if n is not None else int(rng.integers(1500, 4000))
    files = int(rng.integers(3, 7))
    cuts = sorted(int(c) for c in rng.choice(np.arange(1, n), files - 1, replace=False))
    bounds = [0, *cuts, n]
    empty = int(rng.integers(0, files + 1))
    bounds.insert(empty, bounds[empty])  # one file of no rows
    table = rows(n, bounds, rng)
    root.mkdir(parents=True)
    for i, (a, b) in enumerate(itertools.pairwise(bounds)):
        name = f"part-{i:02d}.parquet"
        path = root / f"k={i % 2}" / name if layout == "hive" else root / name
        path.parent.mkdir(exist_ok=True)
        row_groups = int(rng.integers(50, 600))
        pq.write_table(table.slice(a, b - a), path, row_group_size=row_groups)
    return str(root / "*.parquet") if layout == "glob" else str(root)


def plain(table: pa.Table) -> list[tuple[str, pa.DataType]]:
    """A table's columns and types, text as one type (Spark writes string, Arrow large_string)."""
    return [(f.name, pa.string() if f.type == pa.large_string() else f.type) for f in table.schema]


def assert_same_rows(expected: pa.Table, got: pa.Table, key: str) -> None:
    """The same columns, types and rows, in any order (sorted by `key`, unique in both)."""
    assert plain(got) == plain(expected)
    assert len(set(expected.column(key).to_pylist())) == expected.num_rows
    expected, got = expected.sort_by(key), got.sort_by(key)
    for name in expected.column_names:
        assert values(got, name) == values(expected, name), name


def values(table: pa.Table, name: str) -> list[Any]:
    """A column as Python values, NaN as a string so that it equals itself."""
    return ["NaN" if v != v else v for v in table.column(name).to_pylist()]


def assert_same_run(local: Any, other: Any, local_out: Path, other_out: Path) -> None:
    """Another engine's `GateResult` and outputs (directories) are the local engine's (files):
    the report, the counts, the run id, the quarantine and the valid rows."""
    assert other.report.to_dict() == local.report.to_dict()
    assert other.report.to_dict(None) == local.report.to_dict(None)
    assert other.run_id == local.run_id
    assert (other.report.rows, other.valid_rows, other.quarantined_rows) == (
        local.report.rows,
        local.valid_rows,
        local.quarantined_rows,
    )
    held = pq.read_table(local_out / "held.parquet")
    assert held.num_rows == local.quarantined_rows > 0
    assert_same_rows(held, pq.read_table(other_out / "held"), "_row")
    valid = pq.read_table(local_out / "valid.parquet")
    assert valid.num_rows == local.valid_rows > 0
    assert_same_rows(valid, pq.read_table(other_out / "valid"), "event_id")
