"""The ETL gate: nothing is lost, chunking changes nothing, and the Python API around it.

Random cases are drawn as plain Python rows plus a contract, then written as the source under
test (a DataFrame, CSV, JSON Lines or Parquet). Every row carries `rid`, a unique integer
derived from its position (`RID0 + RID_STEP * row`) that the contract always accepts: the valid
output has no `_row` column, so `rid` is how a valid row is traced back to its source row, and
its values are then compared with the row as the test itself normalises it.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import skewless
from skewless.io import FrameSource, Source, open_source, validate_source

RID0, RID_STEP = 1000, 3
UTC = dt.UTC
T0 = dt.datetime(2024, 1, 1, tzinfo=UTC)
ZONES = ["UTC", "Asia/Tokyo", "America/New_York"]
FORMATS = ["frame", "csv", "parquet", "jsonl"]
# Each example writes files and validates them several times, and a chunk costs a pandera run:
# fewer examples than the profile's default (never more), to keep the suite near a minute.
FILE_EXAMPLES = min(settings.default.max_examples, 40)
CHUNKED_EXAMPLES = min(settings.default.max_examples, 25)

# Small pools: duplicates (unique, compound unique) and each kind of violation come often.
N_POOL = [None, 0, 3, 9, -1, 10]  # n: integer, min 0, max 9
S_POOL = [None, "a", "b", "ab", "abc", "abcd", "B", "a b", ""]  # s: ^[a-z]+$, max_length 3
CAT_POOL = [None, "a", "b", "c", "other", "zzz", "A"]  # cat: [a, b, c, other]
F_POOL = [None, 0.0, 0.25, 1.0, 1.5, -0.5, math.nan]  # f: float, 0..1
T_POOL = [None, *(T0 + dt.timedelta(hours=h) for h in (0, 1, 1, 30))]  # t: datetime, UTC
W_POOL = [None, *(T0 + dt.timedelta(minutes=5 * k) for k in range(6))]  # w: cadence 5min
# How many values after the leading None of each pool the column accepts (they come first).
CLEAN = {"n": 3, "s": 4, "cat": 4, "f": 3, "t": 4, "w": 6}
KEYS = [("s", "cat"), ("n", "f"), ("cat", "t")]
TYPES = {
    "integer": pa.int64(),
    "float": pa.float64(),
    "string": pa.large_string(),
    "category": pa.large_string(),
    "datetime": pa.timestamp("us", tz="UTC"),
}


@dataclass(frozen=True)
class Case:
    """A contract and the rows of one source, as Python values (None is a null)."""

    yaml: str
    names: tuple[str, ...]  # the source's columns, in order
    rows: tuple[dict[str, Any], ...]  # one dict per record; a name it lacks is absent (JSONL)
    ragged: frozenset[int]  # records written broken (CSV: one field too many; JSONL: bad JSON)
    zone: str  # the zone a DataFrame's datetime columns are in (converted back by the contract)

    @cached_property
    def contract(self) -> skewless.Contract:
        return skewless.loads_contract(self.yaml)


def rid(row: int) -> int:
    return RID0 + RID_STEP * row


def row_of(rid_value: int) -> int:
    assert (rid_value - RID0) % RID_STEP == 0
    return (rid_value - RID0) // RID_STEP


def column_yaml(draw: st.DrawFn, name: str, body: str, fill: str = "") -> str:
    """One column of a random contract: nullable, fill_null (`fill`, if any), unique drawn."""
    nullable = draw(st.booleans())
    options = [body]
    if nullable:
        options.append("nullable: true")
        if fill and draw(st.booleans()):
            options.append(f"fill_null: {fill}")
    if draw(st.integers(0, 3)) == 0:  # not often: with small pools, few rows stay unique
        options.append("unique: true")
    return f"  {name}: {{{', '.join(options)}}}\n"


@st.composite
def cases(
    draw: st.DrawFn,
    fmt: str,
    *,
    whole_sequence_checks: bool = False,
    max_rows: int = 30,
) -> Case:
    """A random contract over rid, n, s, cat, f (and t) and random rows breaking it.

    `fmt` is the format the rows will be written as, or "any" for rows written in every format
    (a missing column is then missing from every record). `whole_sequence_checks` adds what
    judges the whole sequence of rows rather than each row: a cadence column `w`, a row count,
    and at least one compound unique key.
    """
    extra = draw(st.sampled_from([None, "reject", "allow", "drop"]))
    with_t = draw(st.booleans())
    with_w = whole_sequence_checks
    map_to = draw(st.booleans())
    yaml = "contract: gate_case\nversion: 1.0.0\ntimezone: UTC\n"
    if extra is not None:
        yaml += f"extra_columns: {extra}\n"
    yaml += "columns:\n  rid: {type: integer, unique: true}\n"
    yaml += column_yaml(draw, "n", "type: integer, min: 0, max: 9", "4")
    yaml += column_yaml(draw, "s", "type: string, pattern: '^[a-z]+$', max_length: 3", "zz")
    cat = "type: category, values: [a, b, c, other]"
    if map_to:
        cat += ", unknown: {map_to: other}"
    yaml += column_yaml(draw, "cat", cat, "c")
    f = "type: float, min: 0, max: 1"
    if draw(st.booleans()):
        f += ", required: false"
    yaml += column_yaml(draw, "f", f, "0.5")
    if with_t:
        yaml += column_yaml(draw, "t", "type: datetime")
    if with_w:
        yaml += column_yaml(draw, "w", "type: datetime, cadence: 5min")
    names = ["rid", "n", "s", "cat", "f", *(["t"] if with_t else []), *(["w"] if with_w else [])]
    keys = draw(
        st.lists(
            st.sampled_from([k for k in KEYS if set(k) <= set(names)]),
            min_size=int(whole_sequence_checks),
            unique=True,
        )
    )
    checks = [f"  unique: [{', '.join('[' + ', '.join(k) + ']' for k in keys)}]"] if keys else []
    if whole_sequence_checks and draw(st.booleans()):
        lo = draw(st.integers(0, 10))
        hi = draw(st.integers(lo, 30))
        checks.append(f"  rows: {{min: {lo}, max: {hi}}}")
    if checks:
        yaml += "checks:\n" + "\n".join(checks) + "\n"
    n_columns = len(names)
    # An empty JSON Lines file cannot be judged at all (InputError): JSONL gets a record.
    n_rows = draw(st.integers(1 if fmt in ("jsonl", "any") else 0, max_rows))
    pools = {"n": N_POOL, "s": S_POOL, "cat": CAT_POOL, "f": F_POOL, "t": T_POOL, "w": W_POOL}
    rows = []
    for i in range(n_rows):
        row: dict[str, Any] = {"rid": rid(i)}
        # Most rows are drawn from values each column accepts, or few rows would pass at all.
        clean = draw(st.integers(0, 3)) > 0
        for name in names[1:]:
            pool = pools[name]
            row[name] = draw(st.sampled_from(pool[1 : CLEAN[name] + 1] if clean else pool))
        rows.append(row)
    if draw(st.integers(0, 2)) == 0:  # a column the contract does not know
        names.append("x")
        for i, row in enumerate(rows):
            row["x"] = i % 4
    if draw(st.integers(0, 5)) == 0:  # a contract column the source lacks
        gone = draw(st.sampled_from(names[:n_columns]))
        if fmt == "jsonl":  # records: only some of them lack it
            lacking = draw(st.sets(st.integers(0, max(n_rows - 1, 0)), max_size=n_rows))
            for i in lacking & set(range(n_rows)):
                del rows[i][gone]
        else:
            names.remove(gone)
            for row in rows:
                row.pop(gone, None)
    ragged: frozenset[int] = frozenset()
    # CSV and JSON Lines write these records broken; a DataFrame or Parquet cannot hold one.
    if fmt in ("csv", "jsonl", "any") and n_rows:
        ragged = frozenset(draw(st.sets(st.integers(0, n_rows - 1), max_size=2)))
    zone = draw(st.sampled_from(ZONES))
    return Case(yaml, tuple(names), tuple(rows), ragged, zone)


# --- writing a case as a source ----------------------------------------------------------------


def as_frame(case: Case) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for name in case.names:
        values = [row.get(name) for row in case.rows]
        if name in ("rid", "x"):
            data[name] = pd.array(values, dtype="int64")
        elif name == "n":
            data[name] = pd.array(values, dtype="Int64")
        elif name == "f":
            data[name] = pd.array([math.nan if v is None else v for v in values], dtype="float64")
        elif name in ("t", "w"):
            stamps = pd.to_datetime(pd.Series(values, dtype=object), utc=True).dt.as_unit("us")
            data[name] = stamps.dt.tz_convert(case.zone)
        else:
            data[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, columns=list(case.names))


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def json_of(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def json_line(row: dict[str, Any]) -> str:
    return json.dumps({k: json_of(v) for k, v in row.items()})


def write_source(case: Case, fmt: str, directory: Path) -> Path | pd.DataFrame:
    """The case as a DataFrame, or written to a file in `directory` (its path)."""
    if fmt == "frame":
        return as_frame(case)
    path = directory / f"data.{fmt}"
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pandas(as_frame(case), preserve_index=False), path)
    elif fmt == "csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(case.names)
            for i, row in enumerate(case.rows):
                cells = [text_of(row.get(name)) for name in case.names]
                writer.writerow([*cells, "surplus"] if i in case.ragged else cells)
    else:
        with path.open("w", encoding="utf-8") as fh:
            for i, row in enumerate(case.rows):
                if i in case.ragged:
                    fh.write('{"rid": \n')
                else:
                    fh.write(json_line(row) + "\n")
    return path


def source_of(data: Path | pd.DataFrame) -> Source:
    if isinstance(data, pd.DataFrame):
        return FrameSource("<DataFrame>", frame=data)
    return open_source(data)


# --- what a valid row must hold ----------------------------------------------------------------


def is_null(value: Any, fmt: str) -> bool:
    """Nulls as each format carries them: NaN is pandas' null, an empty CSV cell is a null."""
    if value is None:
        return True
    if fmt in ("frame", "parquet") and isinstance(value, float) and math.isnan(value):
        return True
    return fmt == "csv" and value == ""


def normalised(case: Case, fmt: str, row: dict[str, Any]) -> dict[str, Any]:
    """The row as the valid output must hold it (the test's own model of normalisation)."""
    out: dict[str, Any] = {}
    for column in case.contract.columns:
        if column.name not in row and column.name not in case.names:
            continue  # an optional column the source does not have
        value = row.get(column.name)
        if is_null(value, fmt):
            value = column.fill_null if column.has_fill else None
        elif column.type == "category" and value not in column.values and column.map_to:
            value = column.map_to
        elif column.type == "datetime":
            value = value.astimezone(UTC)
        out[column.name] = value
    if case.contract.extra_columns == "allow" and "x" in case.names:
        out["x"] = row["x"]
    return out


def plain(value: Any) -> Any:
    """A value read back from Parquet, comparable with the rows of a case."""
    if isinstance(value, bytes):  # CSV cells stay the bytes they arrived as
        return int(value) if value.isdigit() else value.decode()
    if isinstance(value, dt.datetime):
        return value.astimezone(UTC)
    return value


# --- 1. nothing lost ---------------------------------------------------------------------------


def check_nothing_lost(case: Case, fmt: str, chunk_rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        data = write_source(case, fmt, directory)
        valid_out, held_out = directory / "valid.parquet", directory / "held.parquet"
        result = skewless.validate(
            data, case.contract, valid_out=valid_out, quarantine=held_out, chunk_rows=chunk_rows
        )
        report = result.report
        valid, held = pq.read_table(valid_out), pq.read_table(held_out)
        again = skewless.validate(valid_out, case.contract).report

    n = len(case.rows)
    assert report.rows == n
    assert (result.valid_rows, result.quarantined_rows) == (valid.num_rows, held.num_rows)
    assert valid.num_rows + held.num_rows == n

    # The valid output: the contract's columns in their types (and allowed extras), no
    # bookkeeping columns. Empty, it has every contract column all the same.
    contract_names = [c.name for c in case.contract.columns]
    if valid.num_rows:
        allowed = case.contract.extra_columns == "allow" and "x" in case.names
        expected = [c for c in contract_names if c in case.names] + (["x"] if allowed else [])
        assert valid.column_names == expected
    else:
        assert valid.column_names == contract_names
    for column in case.contract.columns:
        if column.name in valid.column_names:
            assert valid.schema.field(column.name).type == TYPES[column.type], column.name

    # Every source row lands exactly once: valid rows by their rid, held rows by `_row`.
    rids = valid.column("rid").to_pylist() if "rid" in valid.column_names else []
    valid_rows = [row_of(r) for r in rids]
    held_rows = held.column("_row").to_pylist()
    assert valid_rows == sorted(set(valid_rows)), "valid rows are unique and in source order"
    assert held_rows == sorted(set(held_rows)), "quarantined rows are unique and in source order"
    assert sorted(valid_rows + held_rows) == list(range(n))
    assert set(held_rows) >= case.ragged

    # A quarantined row carries its reasons: those the report gives its row, and only those.
    per_row: dict[int | None, set[tuple[str, str | None, str]]] = {}
    for v in report.violations:
        per_row.setdefault(v.row, set()).add((v.code, v.column, v.message))
    whole_source = per_row.pop(None, set())
    assert set(held_rows) == set(per_row) | (set(range(n)) if whole_source else set())
    for record in held.to_pylist():
        assert record["_run_id"] == result.run_id
        reasons = {(v["code"], v["column"], v["message"]) for v in record["_violations"]}
        assert reasons, record
        assert reasons == per_row.get(record["_row"], set()) | whole_source, record
        row = record["_row"]
        if row in case.ragged:  # the raw record is kept; it has no columns
            assert record["_record"]
            assert all(record.get(name) is None for name in case.names)
        elif fmt == "jsonl":  # a record source keeps each record as it arrived
            assert record["_record"] == json_line(case.rows[row]).encode()
        else:  # columnar sources: the source's own columns, as they arrived
            assert record["_record"] is None
            assert held.column_names[4:] == list(case.names)
            if "rid" in case.names:
                assert plain(record["rid"]) == rid(row)
            if "x" in case.names:
                assert plain(record["x"]) == case.rows[row]["x"]

    # A valid row holds its source row normalised, and the valid output passes the contract
    # again. (Cadence and `rows: min` judge the whole sequence: a subset of valid rows may break
    # them, so the contracts here have neither.)
    for got, row in zip(valid.to_pylist(), valid_rows, strict=True):
        assert {k: plain(v) for k, v in got.items()} == normalised(case, fmt, case.rows[row])
    assert again.ok, (again.summary(), again.violations[:5])
    assert again.rows == valid.num_rows


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=FILE_EXAMPLES)
@given(data=st.data(), chunk_rows=st.integers(1, 50))
def test_nothing_is_lost(fmt: str, data: st.DataObject, chunk_rows: int) -> None:
    check_nothing_lost(data.draw(cases(fmt)), fmt, chunk_rows)


# --- 2. chunked == whole -----------------------------------------------------------------------


def facts(report: skewless.Report) -> dict[str, Any]:
    """Everything a report says: each violation (code, column, row, value, message), counts."""
    return report.to_dict(max_violations=None)


@settings(max_examples=CHUNKED_EXAMPLES)
@given(data=st.data(), chunk_rows=st.integers(1, 7), gated=st.sampled_from(FORMATS))
def test_chunked_validation_reports_what_whole_validation_does(
    data: st.DataObject, chunk_rows: int, gated: str
) -> None:
    """The same rows as a DataFrame, CSV, JSON Lines and Parquet: in each format, the report of
    a chunked run is the whole-source report, to the last violation, value and count."""
    case = data.draw(cases("any", whole_sequence_checks=True, max_rows=20))
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for fmt in FORMATS:
            written = write_source(case, fmt, directory)
            whole = facts(validate_source(case.contract, source_of(written), chunk_rows=None))
            chunked = validate_source(case.contract, source_of(written), chunk_rows=chunk_rows)
            assert facts(chunked) == whole, fmt
            if isinstance(written, pd.DataFrame):  # the one-chunk path of `Contract.validate`
                assert facts(case.contract.validate(written)) == whole
            if fmt != gated:  # one format per example: a chunk costs a pandera run
                continue
            # The gate writing outputs judges cadence in a first pass: the same report again.
            result = skewless.validate(
                written,
                case.contract,
                valid_out=directory / "valid.parquet",
                quarantine=directory / "held.parquet",
                chunk_rows=chunk_rows,
            )
            assert facts(result.report) == whole, fmt
            assert result.quarantined_rows == whole["rows_failed"]


# --- the regressions the properties found -------------------------------------------------------


LOOSE = """
contract: loose
version: 1.0.0
extra_columns: allow
columns:
  id: {type: integer}
  n: {type: integer, nullable: true}
"""


def test_a_broken_csv_record_just_after_a_chunk_boundary_is_kept(tmp_path: Path) -> None:
    """Row 1 is ragged and falls between the read rows 0 and 2 of two chunks: it was in
    neither, so it was neither reported nor quarantined (the report said 3 rows)."""
    data = tmp_path / "data.csv"
    data.write_text("id,n\n0,1\n1,1,surplus\n2,3\n3,4\n")
    result = skewless.validate(
        data,
        skewless.loads_contract(LOOSE),
        valid_out=tmp_path / "valid.parquet",
        quarantine=tmp_path / "held.parquet",
        chunk_rows=1,
    )
    assert result.report.rows == 4
    assert [(v.code, v.row) for v in result.report.violations] == [("malformed_input", 1)]
    held = pq.read_table(tmp_path / "held.parquet")
    assert held.column("_row").to_pylist() == [1]
    assert held.column("_record").to_pylist() == [b"1,1,surplus"]


@pytest.mark.parametrize("text", ["id\n", "id"], ids=["newline", "no-newline"])
def test_a_header_only_csv_is_judged_by_its_header(tmp_path: Path, text: str) -> None:
    """No records, but a header without `n`: that is a missing column, not a pass."""
    data = tmp_path / "data.csv"
    data.write_text(text)
    contract = skewless.loads_contract(LOOSE.replace("nullable: true", "nullable: false"))
    result = skewless.validate(data, contract, valid_out=tmp_path / "valid.parquet")
    assert [(v.code, v.column) for v in result.report.violations] == [("missing_column", "n")]
    assert result.report.rows == 0
    # The empty valid output still has the contract's columns, in their types.
    valid = pq.read_table(tmp_path / "valid.parquet")
    assert valid.schema == pa.schema([("id", pa.int64()), ("n", pa.int64())])


def test_a_column_of_nulls_in_the_first_chunk_does_not_fix_its_type(tmp_path: Path) -> None:
    """An object column holding only None in the first chunk was written as Arrow `null`, and
    every later value of it silently became a null, in both outputs."""
    frame = pd.DataFrame(
        {
            "id": [0, 1, 2, 3],
            "n": pd.Series([None, "x", None, "y"], dtype=object),  # rows 1 and 3 fail
            "note": pd.Series([None, None, "kept", "also"], dtype=object),  # an allowed extra
        }
    )
    skewless.validate(
        frame,
        skewless.loads_contract(LOOSE),
        valid_out=tmp_path / "valid.parquet",
        quarantine=tmp_path / "held.parquet",
        chunk_rows=1,
    )
    valid = pq.read_table(tmp_path / "valid.parquet")
    held = pq.read_table(tmp_path / "held.parquet")
    assert valid.select(["id", "note"]).to_pylist() == [
        {"id": 0, "note": None},
        {"id": 2, "note": "kept"},
    ]
    assert held.select(["_row", "n", "note"]).to_pylist() == [
        {"_row": 1, "n": "x", "note": None},
        {"_row": 3, "n": "y", "note": "also"},
    ]


@pytest.mark.parametrize(
    ("values", "written"),
    [
        (["a", 5], ["a", "5"]),  # text first: later numbers are written as their text
        ([1, 2.5], None),  # an integer column cannot hold 2.5: a loud error, nothing written
        ([1, "two"], None),
    ],
)
def test_a_column_whose_type_changes_between_chunks_is_never_a_silent_null(
    tmp_path: Path, values: list[Any], written: list[Any] | None
) -> None:
    """A Parquet column has one type, set by the first chunk. A later chunk's values are
    written in it when that loses nothing; otherwise the run fails (OutputError) and leaves
    the earlier outputs as they were. They used to be written as nulls, without a word."""
    data = tmp_path / "data.jsonl"
    data.write_text(
        "".join(json.dumps({"id": i, "n": 1, "e": v}) + "\n" for i, v in enumerate(values))
    )
    valid_out = tmp_path / "valid.parquet"
    valid_out.write_bytes(b"earlier")
    contract = skewless.loads_contract(LOOSE)
    if written is None:
        with pytest.raises(skewless.OutputError, match="'e'"):
            skewless.validate(data, contract, valid_out=valid_out, chunk_rows=1)
        assert valid_out.read_bytes() == b"earlier"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl", "valid.parquet"]
    else:
        skewless.validate(data, contract, valid_out=valid_out, chunk_rows=1)
        assert pq.read_table(valid_out).column("e").to_pylist() == written


def test_a_column_that_first_appears_in_a_later_chunk_is_an_error(tmp_path: Path) -> None:
    """JSON Lines: a key no record of the first chunk held cannot join the file's columns; it
    used to be dropped from the valid output without a word."""
    data = tmp_path / "data.jsonl"
    data.write_text('{"id": 0, "n": 1}\n{"id": 1, "n": 2, "e": "late"}\n')
    with pytest.raises(skewless.OutputError, match="'e'"):
        skewless.validate(
            data,
            skewless.loads_contract(LOOSE),
            valid_out=tmp_path / "valid.parquet",
            chunk_rows=1,
        )
    assert not (tmp_path / "valid.parquet").exists()
    # In one chunk, the column is there from the start.
    skewless.validate(data, skewless.loads_contract(LOOSE), valid_out=tmp_path / "valid.parquet")
    assert pq.read_table(tmp_path / "valid.parquet").column("e").to_pylist() == [None, "late"]


# --- 4. skewless.validate and @skewless.gate ----------------------------------------------------

USERS = """
contract: users
version: 1.0.0
columns:
  user_id: {type: integer, unique: true}
  age: {type: integer, min: 13, max: 120, nullable: true, fill_null: 35}
  browser: {type: category, values: [Chrome, Safari, Other], unknown: {map_to: Other}}
"""


@pytest.fixture
def users() -> skewless.Contract:
    return skewless.loads_contract(USERS)


def users_frame(*, bad: bool) -> pd.DataFrame:
    """Four users; with `bad`, user 2 repeats user 1's id and user 4 is 7 years old."""
    return pd.DataFrame(
        {
            "user_id": [1, 1 if bad else 2, 3, 4],
            "age": pd.array([30, None, 40, 7 if bad else 50], dtype="Int64"),
            "browser": ["Chrome", "Netscape", "Safari", "Chrome"],
        }
    )


def normalised_users(ids: list[int]) -> pd.DataFrame:
    """The rows of `users_frame` with these ids, normalised (null age filled, browser mapped)."""
    rows = {1: (30, "Chrome"), 2: (35, "Other"), 3: (40, "Safari"), 4: (50, "Chrome")}
    return pd.DataFrame(
        {
            "user_id": ids,
            "age": [rows[i][0] for i in ids],
            "browser": [rows[i][1] for i in ids],
        }
    )


def assert_frame(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    assert got.index.tolist() == list(range(len(expected)))
    assert {c: got[c].tolist() for c in got.columns} == {
        c: expected[c].tolist() for c in expected.columns
    }


def test_validate_reports_and_writes_without_raising(
    users: skewless.Contract, tmp_path: Path
) -> None:
    result = skewless.validate(
        users_frame(bad=True),
        users,
        valid_out=tmp_path / "valid.parquet",
        quarantine=tmp_path / "held.parquet",
    )
    assert isinstance(result, skewless.GateResult)
    assert not result.ok
    assert [(v.code, v.row) for v in result.report.violations] == [
        ("not_unique", 1),
        ("out_of_range", 3),
    ]
    assert (result.valid_rows, result.quarantined_rows) == (2, 2)
    assert (result.valid_out, result.quarantine) == (
        tmp_path / "valid.parquet",
        tmp_path / "held.parquet",
    )
    assert_frame(pq.read_table(result.valid_out).to_pandas(), normalised_users([1, 3]))
    held = pq.read_table(result.quarantine).to_pylist()
    assert [(r["_row"], r["user_id"], r["age"]) for r in held] == [(1, 1, None), (3, 4, 7)]
    assert {r["_run_id"] for r in held} == {result.run_id}
    with pytest.raises(skewless.ViolationError):
        result.report.raise_for_violations()


def test_validate_reads_a_path_and_writes_nothing_unless_asked(
    users: skewless.Contract, tmp_path: Path
) -> None:
    data = tmp_path / "users.parquet"
    users_frame(bad=False).to_parquet(data)
    contract = tmp_path / "users.yaml"
    contract.write_text(USERS)
    result = skewless.validate(str(data), contract)
    assert result.ok
    assert (result.valid_rows, result.quarantined_rows) == (4, 0)
    assert (result.valid_out, result.quarantine) == (None, None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["users.parquet", "users.yaml"]


def test_validate_refuses_what_it_cannot_read_or_write(
    users: skewless.Contract, tmp_path: Path
) -> None:
    with pytest.raises(skewless.InputError):
        skewless.validate([{"user_id": 1}], users)
    with pytest.raises(skewless.InputError):
        skewless.validate(tmp_path / "missing.csv", users)
    with pytest.raises(skewless.OutputError):
        skewless.validate(users_frame(bad=False), users, valid_out=tmp_path / "valid.csv")


@pytest.mark.parametrize("mode", ["raise", "quarantine", "warn"])
def test_gate_returns_the_normalised_frame_of_clean_data(
    users: skewless.Contract, tmp_path: Path, mode: str
) -> None:
    held = tmp_path / "held.parquet"

    @skewless.gate(users, on_violation=mode, quarantine=held if mode == "quarantine" else None)  # type: ignore[arg-type]
    def build() -> pd.DataFrame:
        return users_frame(bad=False)

    assert_frame(build(), normalised_users([1, 2, 3, 4]))  # no warning: warnings are errors here
    if mode == "quarantine":  # an empty quarantine: this run held nothing back
        assert pq.read_table(held).num_rows == 0


def test_gate_raises_with_the_report(users: skewless.Contract) -> None:
    @skewless.gate(users)
    def build() -> pd.DataFrame:
        return users_frame(bad=True)

    with pytest.raises(skewless.ViolationError) as info:
        build()
    report = info.value.report
    assert isinstance(report, skewless.Report)
    assert report.counts == {"out_of_range": 1, "not_unique": 1}
    assert report.rows_failed == 2
    assert "not_unique x1" in str(info.value)


def test_gate_quarantines_and_returns_the_valid_rows(
    users: skewless.Contract, tmp_path: Path
) -> None:
    held = tmp_path / "held.parquet"

    @skewless.gate(users, on_violation="quarantine", quarantine=held)
    def build(bad: bool) -> pd.DataFrame:
        return users_frame(bad=bad)

    assert_frame(build(True), normalised_users([1, 3]))
    rows = pq.read_table(held).to_pylist()
    assert [r["_row"] for r in rows] == [1, 3]
    assert [[v["code"] for v in r["_violations"]] for r in rows] == [
        ["not_unique"],
        ["out_of_range"],
    ]
    assert [r["browser"] for r in rows] == ["Netscape", "Chrome"]  # as they arrived
    # A clean run afterwards replaces the quarantine: the rows held back above are not this
    # run's (they would carry the same run id).
    build(False)
    assert pq.read_table(held).num_rows == 0


def test_gate_warns_and_returns_the_valid_rows(users: skewless.Contract) -> None:
    @skewless.gate(users, on_violation="warn")
    def build() -> pd.DataFrame:
        return users_frame(bad=True)

    with pytest.warns(UserWarning, match="2 violations in 2 of 4 rows") as caught:
        out = build()
    assert_frame(out, normalised_users([1, 3]))
    assert caught[0].filename == __file__  # attributed to the caller of the guarded function


def test_gate_keeps_the_function_and_checks_what_it_returns(users: skewless.Contract) -> None:
    @skewless.gate(users)
    def build_features() -> Any:
        """Docs."""
        return users_frame(bad=False).to_dict()

    assert (build_features.__name__, build_features.__doc__) == ("build_features", "Docs.")
    with pytest.raises(TypeError, match="build_features returned dict"):
        build_features()


def test_gate_refuses_bad_options(users: skewless.Contract, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="on_violation"):
        skewless.gate(users, on_violation="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="quarantine path"):
        skewless.gate(users, on_violation="quarantine")
    # The contract loads when the decorator is built, not at the first call.
    with pytest.raises(skewless.ContractError):
        skewless.gate(tmp_path / "missing.yaml")


def test_run_id_changes_when_the_file_changes(tmp_path: Path) -> None:
    import os

    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n  a: {type: integer}\n"
    )
    data = tmp_path / "a.csv"
    data.write_text("a\n1\n")
    first = skewless.validate(data, contract).run_id
    assert skewless.validate(data, contract).run_id == first
    data.write_text("a\n2\n")
    os.utime(data, ns=(1, 1))
    assert skewless.validate(data, contract).run_id != first
