"""`skewless infer`: a draft contract that accepts the data it came from.

The main property (issue 7, acceptance 1) runs on hypothesis-drawn DataFrames holding every
column type, nulls, NaN and infinities, aware datetimes in several zones, naive ones, dates,
text of few and of many distinct values, 4-byte UTF-8 and control characters: the contract
inferred from a frame loads, and validates the frame with no violation, directly and through
Parquet and CSV files written from it; the contract inferred from each file validates that file.
Inference is deterministic and does not depend on the chunk size. Hostile sources get a clear
exit 2 or a sensible draft; the command line runs for real in subprocesses.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import skewless
from skewless.infer import identifier, infer, infer_source
from skewless.io import open_source
from tests.cli_run import Run, skewless_cli
from tests.conftest import ROOT

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe")
# Text a YAML writer can get wrong, and text a vocabulary cannot hold (tab, NUL, long).
AWKWARD = [
    "NO", "yes", "true", "null", "~", "1", "0x10", "1_000", "1e3", "", " a ", "a: b", "# c",
    "- d", "[e]", "{f}", '"q"', "'s'", "\\", "é", "😀", "x\u200by", "\u202eabc", "\x85",
    "a\tb", "a\nb", "a\x00b", "\x1b[31m", "&a", "*a", "!t", "%", "@", "`", "|", ">", "?",
]  # fmt: skip


# --- drawing DataFrames -----------------------------------------------------------------------


def _nullable(values: list[Any], nulls: list[bool]) -> list[Any]:
    return [None if n else v for v, n in zip(values, nulls, strict=True)]


@st.composite
def columns(draw: st.DrawFn, n: int) -> pd.Series:
    """One column of `n` rows, of a kind and a dtype users have."""
    kind = draw(
        st.sampled_from(["int", "float", "bool", "low", "high", "aware", "naive", "date", "nulls"])
    )
    nulls = (
        draw(st.lists(st.booleans(), min_size=n, max_size=n))
        if draw(st.booleans())
        else [False] * n
    )
    if kind == "int":
        values = draw(st.lists(st.integers(INT64_MIN, INT64_MAX), min_size=n, max_size=n))
        if any(nulls):
            return pd.Series(_nullable(values, nulls), dtype="Int64")
        return pd.Series(values, dtype=draw(st.sampled_from(["int64", "Int64", "object"])))
    if kind == "float":
        values = draw(st.lists(st.floats(), min_size=n, max_size=n))
        if draw(st.booleans()):  # numpy: NaN is pandas' null there
            return pd.Series([math.nan if v is None else v for v in _nullable(values, nulls)])
        # pyarrow-backed: NaN is a value, None a null
        return pd.Series(
            pa.array(_nullable(values, nulls), pa.float64()), dtype=pd.ArrowDtype(pa.float64())
        )
    if kind == "bool":
        values = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        if any(nulls):
            return pd.Series(
                _nullable(values, nulls), dtype=draw(st.sampled_from(["boolean", "object"]))
            )
        return pd.Series(values, dtype="bool")
    if kind in ("low", "high"):
        if kind == "low":
            vocabulary = draw(
                st.lists(st.sampled_from(AWKWARD), min_size=1, max_size=4, unique=True)
            )
            values = draw(st.lists(st.sampled_from(vocabulary), min_size=n, max_size=n))
        else:
            values = draw(st.lists(st.text(max_size=12), min_size=n, max_size=n))
        dtype = draw(st.sampled_from(["object", "str", "category"]))
        return pd.Series(_nullable(values, nulls), dtype=dtype)
    if kind in ("aware", "naive"):
        stamps = draw(
            st.lists(
                st.datetimes(dt.datetime(1800, 1, 1), dt.datetime(2200, 1, 1)),
                min_size=n,
                max_size=n,
            )
        )
        index = pd.DatetimeIndex(_nullable(stamps, nulls), dtype="datetime64[us]")
        if kind == "aware":
            index = index.tz_localize("UTC").tz_convert(draw(st.sampled_from(ZONES)))
        return pd.Series(index)
    if kind == "date":
        days = draw(st.lists(st.dates(), min_size=n, max_size=n))
        return pd.Series(_nullable(days, nulls), dtype=object)
    return pd.Series([None] * n, dtype=draw(st.sampled_from(["object", "Int64", "float64"])))


# Column names: anything a contract can declare (not empty, no C0 control or DEL).
names = st.text(
    st.characters(
        exclude_categories=["Cs"], exclude_characters="".join(map(chr, [*range(32), 127]))
    ),
    min_size=1,
    max_size=8,
)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 8))
    labels = draw(st.lists(names, min_size=1, max_size=5, unique=True))
    return pd.DataFrame({label: draw(columns(n)) for label in labels})


# --- writing a frame as files -----------------------------------------------------------------


def _cell(value: Any) -> str:
    """One CSV cell as a writer that keeps every value would write it."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, dt.datetime):
        offset = value.utcoffset()
        if offset is not None and offset.seconds % 60:  # a local mean time: +00:09:21
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return '"' + text.replace('"', '""') + '"'  # quoted: "" is the empty string, not a null


def _pythonic(series: pd.Series) -> list[Any]:
    """A column's values as Python objects, nulls None (NaN in numpy float64 columns too)."""
    if isinstance(series.dtype, pd.ArrowDtype):
        return pa.array(series).to_pylist()
    if series.dtype == "float64":
        return [None if math.isnan(v) else v for v in series.tolist()]
    if isinstance(series.dtype, pd.DatetimeTZDtype) or series.dtype.kind == "M":
        return [None if v is pd.NaT else v.to_pydatetime() for v in series]
    return [
        None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v
        for v in series.astype(object).tolist()
    ]


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    header = ",".join('"' + str(c).replace('"', '""') + '"' for c in frame.columns)
    rows = zip(*(_pythonic(frame[c]) for c in frame.columns), strict=True)
    lines = [header] + [",".join(_cell(v) for v in row) for row in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))


def write_parquet(frame: pd.DataFrame, path: Path) -> str | None:
    """The frame as Parquet, or why it cannot be (pyarrow refuses some object columns)."""
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        return f"pyarrow cannot hold it: {exc}"
    pq.write_table(table, path)
    return None


def violations(report: skewless.Report) -> list[tuple[str, str | None, int | None]]:
    return [(v.code, v.column, v.row) for v in report.violations]


# --- the property -----------------------------------------------------------------------------


@given(frames())
@settings(
    max_examples=settings.default.max_examples // 2 or 1,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_the_contract_inferred_from_a_frame_validates_it(
    tmp_path_factory: pytest.TempPathFactory, frame: pd.DataFrame
) -> None:
    text = infer(frame)
    contract = skewless.loads_contract(text)
    assert [c.name for c in contract.columns] == list(frame.columns)
    assert violations(contract.validate(frame)) == []
    assert infer(frame) == text  # deterministic
    assert infer(frame, chunk_rows=3) == text  # whatever the chunks

    where = tmp_path_factory.mktemp("frame")
    skipped = write_parquet(frame, where / "f.parquet")
    if skipped is None:
        report = skewless.validate(where / "f.parquet", contract, chunk_rows=3).report
        assert violations(report) == [], text
    write_csv(frame, where / "f.csv")
    report = skewless.validate(where / "f.csv", contract, chunk_rows=3).report
    assert violations(report) == [], text


@given(frames())
@settings(
    max_examples=settings.default.max_examples // 2 or 1,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_the_contract_inferred_from_a_file_validates_it(
    tmp_path_factory: pytest.TempPathFactory, frame: pd.DataFrame
) -> None:
    where = tmp_path_factory.mktemp("file")
    paths = [where / "f.csv"]
    write_csv(frame, paths[0])
    if write_parquet(frame, where / "f.parquet") is None:
        paths.append(where / "f.parquet")
    for path in paths:
        text = infer(path)
        contract = skewless.loads_contract(text)
        assert violations(skewless.validate(path, contract).report) == [], text
        assert infer(path, chunk_rows=2) == text


def test_every_column_type_comes_out() -> None:
    """One frame of every kind the property draws, read back as the types it holds."""
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "score": [0.5, math.nan, math.inf, 2.0],
            "real_nan": pd.Series(
                pa.array([0.5, float("nan"), None, 1.0]), dtype=pd.ArrowDtype(pa.float64())
            ),
            "ok": [True, False, True, True],
            "browser": ["Chrome", "Safari", "Chrome", "Safari"],
            "comment": ["a", "bb", "😀😀😀", None],
            "paris": pd.DatetimeIndex(
                ["2024-01-01", "2024-07-01", "2024-03-31 03:30", None]
            ).tz_localize("Europe/Paris"),
            "wall": pd.DatetimeIndex(["2024-01-01", "2024-07-01", None, None]),
            "day": [dt.date(2024, 1, 1), None, dt.date(1, 1, 1), dt.date(9999, 12, 31)],
        }
    )
    contract = skewless.loads_contract(infer(frame))
    kinds = {c.name: c.type for c in contract.columns}
    assert kinds == {
        "id": "integer", "score": "float", "real_nan": "float", "ok": "boolean",
        "browser": "category", "comment": "string", "paris": "datetime", "wall": "datetime",
        "day": "date",
    }  # fmt: skip
    col = contract.column
    assert (col("id").min, col("id").max, col("id").nullable) == (1, 4, False)
    assert (col("score").min, col("score").max, col("score").allow_inf) == (0.5, None, True)
    assert (col("score").nullable, col("score").allow_nan) == (True, False)  # NaN: the null
    assert (col("real_nan").nullable, col("real_nan").allow_nan) == (True, True)
    assert col("browser").values == ("Chrome", "Safari")
    assert (col("comment").max_length, col("comment").nullable) == (3, True)
    assert (col("paris").timezone, col("paris").naive) == ("Europe/Paris", "reject")
    assert (col("wall").timezone, col("wall").naive) == ("UTC", "assume")
    assert not any(c.unique for c in contract.columns)  # only ever suggested
    assert contract.validate(frame).ok


# --- CSV: typed by what the text parses as ----------------------------------------------------


def _csv(tmp_path: Path, body: bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


def test_csv_cells_are_typed_as_the_contract_reads_them(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        b"i,f,b,d,t,naive,s,na\n"
        b"007,1e3,TRUE,2024-02-29,2024-05-01T08:00:00Z,2024-05-01 08:00,NA,\n"
        b"-5,nan,false,2024-03-01,2024-05-01T10:00:00+02:00,2024-05-01T09:30:15.5,null,\n"
        b"+12,-inf,False,2024-03-02,2024-05-01T08:00Z,2024-05-01 10:00:00,None,\n",
    )
    text = infer(path)
    contract = skewless.loads_contract(text)
    kinds = {c.name: c.type for c in contract.columns}
    assert kinds == {
        "i": "integer", "f": "float", "b": "boolean", "d": "date", "t": "datetime",
        "naive": "datetime", "s": "string", "na": "string",
    }  # fmt: skip
    assert (contract.column("i").min, contract.column("i").max) == (-5, 12)
    f = contract.column("f")
    assert (f.allow_nan, f.allow_inf, f.min, f.max) == (True, True, None, 1000.0)
    assert contract.column("naive").naive == "assume"
    assert "guessed: values without a zone came" in text
    assert contract.column("na").nullable  # an empty cell is a null; NA, null, None are text
    assert skewless.validate(path, contract).report.ok


@pytest.mark.parametrize(
    ("cells", "kind"),
    [
        (["1", "2"], "integer"),
        (["1", "2.5"], "float"),
        (["1", "x"], "string"),
        (["true", "1"], "string"),  # 1 is no boolean's text, true no integer's
        (["yes", "no"], "string"),
        (["2024-01-01", "2024-1-1"], "string"),
        (["2024-02-30", "2024-01-01"], "string"),  # not a calendar date
        (["2024-01-01", "2024-01-01T00:00:00Z"], "string"),  # a date is not a datetime
        (["99999999999999999999", "1"], "float"),  # past int64: a float reads it
        (["1_000", "2"], "string"),
        (["0x10", "1"], "string"),
        ([" 1", "2"], "string"),
    ],
)
def test_csv_types_follow_the_grammar(tmp_path: Path, cells: list[str], kind: str) -> None:
    path = _csv(tmp_path, ("c\n" + "\n".join(f'"{c}"' for c in cells) + "\n").encode())
    contract = skewless.loads_contract(infer(path))
    assert contract.column("c").type == kind
    assert skewless.validate(path, contract).report.ok


def test_a_type_that_falls_in_a_later_chunk_is_counted_again(tmp_path: Path) -> None:
    """Integers for 4 rows, then text: with 2-row chunks the text's statistics still cover
    every row (a second pass), the same draft as one chunk gives."""
    path = _csv(tmp_path, b"a,b\n1,x\n22,y\n333,x\n4,y\nlonger text,x\n")
    whole = infer(path)
    assert infer(path, chunk_rows=2) == whole
    contract = skewless.loads_contract(whole)
    assert contract.column("a").type == "string"
    assert contract.column("a").max_length == len("longer text")
    assert skewless.validate(path, contract, chunk_rows=2).report.ok


def test_sample_rows_reads_only_the_first_rows(tmp_path: Path) -> None:
    path = _csv(tmp_path, b"a\n1\n2\n3\nx\n")
    text = infer(path, sample_rows=3)
    header = " ".join(line[2:] for line in text.splitlines() if line.startswith("# "))
    assert "(the first 3 rows)" in header
    assert "Only a sample was read: later rows may break this draft." in header
    contract = skewless.loads_contract(text)
    assert (contract.column("a").type, contract.column("a").max) == ("integer", 3)
    assert not skewless.validate(path, contract).report.ok  # the fourth row breaks it


# --- categories, ranges, names ----------------------------------------------------------------


def test_a_category_needs_few_values_each_seen_twice() -> None:
    frame = pd.DataFrame(
        {
            "few": ["a", "b"] * 5,
            "unique": [f"v{i}" for i in range(10)],
            "many": [f"v{i % 6}" for i in range(10)],  # 6 values, 10 rows: near-unique
            "long": ["x" * 101, "y"] * 5,
            "tab": ["a\tb", "c"] * 5,
        }
    )
    contract = skewless.loads_contract(infer(frame))
    assert contract.column("few").type == "category"
    assert contract.column("few").values == ("a", "b")
    for name in ("unique", "many", "long", "tab"):
        assert contract.column(name).type == "string", name
    limited = skewless.loads_contract(infer(frame, max_categories=1))
    assert limited.column("few").type == "string"
    assert skewless.loads_contract(infer(frame, max_categories=0)).column("few").type == "string"


def test_unique_is_suggested_in_a_comment_never_set() -> None:
    frame = pd.DataFrame({"id": range(12), "twice": [1, 2] * 6})
    text = infer(frame)
    assert re.search(r"^    # unique: true +# suggested, not set: the 12 values", text, re.M)
    assert text.count("# unique: true") == 1
    assert not skewless.loads_contract(text).column("id").unique


def test_floats_keep_their_exact_bounds() -> None:
    values = [5e-324, 1.7976931348623157e308, -0.0, 0.1 + 0.2]
    contract = skewless.loads_contract(infer(pd.DataFrame({"x": values})))
    assert (contract.column("x").min, contract.column("x").max) == (-0.0, 1.7976931348623157e308)
    ints = skewless.loads_contract(infer(pd.DataFrame({"x": [INT64_MIN, INT64_MAX]})))
    assert (ints.column("x").min, ints.column("x").max) == (INT64_MIN, INT64_MAX)


@pytest.mark.parametrize(
    "name",
    ["true", "NO", "1", "1.5", "null", "~", "a: b", "# c", "- d", "[e]", '"q"', "'s'", "\\",
     "é", "😀", "x\u200by", "\u202eabc", "a b", " a", "a ", "?", "&a", "*a", "!t", "%x", "@x",
     "`x", "|", ">", "-", "\x85", "\ufeff", "\u2028", "x" * 2000],
)  # fmt: skip
def test_column_names_are_quoted_as_yaml_needs(name: str) -> None:
    contract = skewless.loads_contract(infer(pd.DataFrame({name: [1, 2], "n": [3, 4]})))
    assert contract.column_names == (name, "n")


def test_names_a_contract_cannot_declare_are_commented_and_warned(tmp_path: Path) -> None:
    path = _csv(tmp_path, b'a,"b\x01c",,d\n1,2,3,4\n')
    draft = infer_source(open_source(path), name="t")
    contract = skewless.loads_contract(draft.text)
    assert contract.column_names == ("a", "d")
    assert "  # 'b\\x01c': not declared" in draft.text
    assert "\x01" not in draft.text
    assert len(draft.warnings) == 2
    assert [(v.code, v.column) for v in skewless.validate(path, contract).report.violations] == [
        ("unexpected_column", "b\x01c"),
        ("unexpected_column", ""),
    ]


@pytest.mark.parametrize(
    ("stem", "name"),
    [
        ("user_events", "user_events"),
        ("User Events (2024)", "user_events_2024"),
        ("données", "donnees"),
        ("2024-01", "data_2024_01"),
        ("---", "inferred"),
        ("日本", "inferred"),
    ],
)
def test_contract_names_come_from_the_file_stem(stem: str, name: str) -> None:
    assert identifier(stem) == name


# --- JSON Lines, Parquet datasets, SQL --------------------------------------------------------


def test_json_lines_keys_absent_from_some_records(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        '{"id": 1, "x": 1, "tag": "a"}\n'
        '{"id": 2, "x": 2.5, "late": null}\n'
        "not json\n"
        '{"id": 3, "x": NaN, "tag": "b", "late": "2024-01-01", "mixed": 1}\n'
        '{"id": 4, "x": 1e400, "tag": "a", "mixed": "one"}\n'
    )
    draft = infer_source(open_source(path), name="events", chunk_rows=1)
    contract = skewless.loads_contract(draft.text)
    col = contract.column
    assert (col("id").type, col("id").required, col("id").nullable) == ("integer", True, False)
    assert (col("x").type, col("x").allow_nan, col("x").allow_inf) == ("float", True, True)
    assert (col("tag").type, col("tag").required, col("tag").nullable) == ("string", False, True)
    assert (col("late").type, col("late").required) == ("date", False)
    assert (col("mixed").type, col("mixed").coerce) == ("string", True)
    assert draft.warnings == (
        "1 of 5 rows could not be read as records (malformed_input): no contract accepts them",
    )
    report = skewless.validate(path, contract).report
    assert [(v.code, v.row) for v in report.violations] == [("malformed_input", 2)]


def test_a_parquet_dataset_with_partitions(tmp_path: Path) -> None:
    for month in (1, 2):
        part = tmp_path / "ds" / f"month={month}"
        part.mkdir(parents=True)
        frame = pd.DataFrame({"user": [month, month + 10], "country": ["FR", "DE"]})
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), part / "p.parquet")
    text = infer(tmp_path / "ds")
    contract = skewless.loads_contract(text)
    assert contract.name == "ds"
    assert {c.name: c.type for c in contract.columns} == {
        "user": "integer",
        "country": "category",
        "month": "integer",
    }
    assert skewless.validate(tmp_path / "ds", contract).report.ok


def test_a_sqlite_table(tmp_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "etl.db") as db:
        db.execute("CREATE TABLE users (id INTEGER, name TEXT, seen TEXT, score REAL)")
        db.executemany(
            "INSERT INTO users VALUES (?, ?, ?, ?)",
            [(1, "ann", "2024-05-01T08:00:00Z", 0.5), (2, None, "2024-05-01T09:00:00Z", None)],
        )
    url = f"sqlite:///{tmp_path / 'etl.db'}"
    text = infer(url, table="users")
    contract = skewless.loads_contract(text)
    assert contract.name == "users"
    assert [c.type for c in contract.columns] == ["integer", "string", "datetime", "float"]
    assert skewless.validate(url, contract, table="users").report.ok


# --- hostile sources and the command line -----------------------------------------------------


def run_all(*argvs: tuple[str | Path, ...], cwd: Path) -> list[Run]:
    """Commands side by side (each is a fresh interpreter)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda argv: skewless_cli(*argv, cwd=cwd), argvs))


def _refused(path: Path | str, **options: Any) -> str:
    with pytest.raises(skewless.InputError) as info:
        infer_source(open_source(path, **options), name="t")
    return info.value.message


def test_sources_that_cannot_be_read(tmp_path: Path) -> None:
    _csv(tmp_path, b"", "empty.csv")
    _csv(tmp_path, b"a\xff,b\n1,2\n", "header_utf8.csv")
    _csv(tmp_path, b"a,a\n1,2\n", "dupes.csv")
    (tmp_path / "empty.jsonl").write_text("\n\n")
    (tmp_path / "objects.jsonl").write_text("{}\n{}\n")
    (tmp_path / "notes.txt").write_text("a\n")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 nope")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "notes.txt").write_text("a\n")
    for name, message in [
        ("empty.csv", "empty file (no header, no records)"),
        ("header_utf8.csv", "the header row is not valid UTF-8"),
        ("dupes.csv", "duplicate column name 'a' in the header (fields 1 and 2)"),
        ("empty.jsonl", "no records (only blank lines)"),
        ("objects.jsonl", "has no columns: there is nothing to infer a contract from"),
        ("notes.txt", "unknown file type '.txt'; expected .csv, .parquet or .jsonl"),
        ("missing.csv", "no such file"),
        ("dir", "a directory is read as a Parquet dataset, and 'notes.txt' is not a .parquet file"),
    ]:
        assert _refused(tmp_path / name) == message
    assert _refused(tmp_path / "broken.parquet").startswith("unreadable Parquet: ")
    assert _refused(f"sqlite:///{tmp_path}/nope.db", table="t").startswith("no such database")


def test_hostile_rows_give_a_sensible_draft(tmp_path: Path) -> None:
    """What no contract accepts is said, in the draft and on stderr; the rest is accepted."""
    for name, body in [
        ("header.csv", b"a,b\n"),
        ("header_no_newline.csv", b"a,b"),
        ("ragged.csv", b"a,b\n1,2\n3\n4,5,6\n7,8\n"),
        ("utf8.csv", b"a,b\n1,x\xff\n2,y\n"),
        ("nul.csv", b"a,b\n1,x\x00y\n2,\x00\n"),
        ("big_cell.csv", b"a,b\n1,2\n3," + b"x" * (10 << 20) + b"\n"),
    ]:
        _csv(tmp_path, body, name)
    drafts = {p.stem: infer_source(open_source(p), name="t") for p in tmp_path.glob("*.csv")}
    for stem in ("header", "header_no_newline"):
        assert skewless.loads_contract(drafts[stem].text).column_names == ("a", "b")
        assert "(0 rows)" in drafts[stem].text
    assert drafts["ragged"].warnings == (
        "2 of 4 rows could not be read as records (malformed_input): no contract accepts them",
    )
    assert drafts["utf8"].warnings == (
        "column 'b': 1 value read as no column type (invalid_unicode: is not valid UTF-8); the "
        "draft rejects them",
    )
    assert skewless.loads_contract(drafts["nul"].text).column("b").allow_control
    assert skewless.loads_contract(drafts["big_cell"].text).column("b").max_length == 10 << 20
    assert len(drafts["big_cell"].text) < 4000
    for stem, draft in drafts.items():
        assert draft.warnings == () or stem in ("ragged", "utf8"), stem
        report = skewless.validate(tmp_path / f"{stem}.csv", skewless.loads_contract(draft.text))
        codes = {v.code for v in report.report.violations}
        expected = {"ragged": {"malformed_input"}, "utf8": {"invalid_unicode"}}.get(stem, set())
        assert codes == expected, stem


def test_the_command_line_on_hostile_sources(tmp_path: Path) -> None:
    _csv(tmp_path, b"", "empty.csv")
    _csv(tmp_path, b"a,b\n1,x\xff\n2,y\n3\n", "bad.csv")
    empty, bad, missing, table = run_all(
        ("infer", "empty.csv"),
        ("infer", "bad.csv"),
        ("infer", "missing.csv"),
        ("infer", "bad.csv", "--table", "t"),
        cwd=tmp_path,
    )
    assert (empty.code, empty.error_line(), empty.out) == (
        2,
        "error: empty.csv: empty file (no header, no records)",
        "",
    )
    assert (missing.code, missing.error_line()) == (2, "error: missing.csv: no such file")
    assert (table.code, table.error_line()) == (
        2,
        "error: bad.csv: --table and --query go with a database URL",
    )
    assert bad.code == 0
    assert bad.err.splitlines() == [
        "warning: 1 of 3 rows could not be read as records (malformed_input): no contract "
        "accepts them",
        "warning: column 'b': 1 value read as no column type (invalid_unicode: is not valid "
        "UTF-8); the draft rejects them",
    ]
    assert skewless.loads_contract(bad.out).column_names == ("a", "b")
    assert "# warning: column 'b': 1 value read as no column type" in bad.out


def test_writing_the_draft(tmp_path: Path) -> None:
    _csv(tmp_path, b"a\n1\n")
    (tmp_path / "taken.yaml").write_text("keep me\n")
    runs = run_all(
        ("infer", "data.csv", "-o", "out.yaml", "--name", "events"),
        ("infer", "data.csv", "-o", "taken.yaml"),
        ("infer", "data.csv", "-o", "forced.yaml", "--force"),
        ("infer", "data.csv", "-o", "no/such/dir.yaml"),
        ("infer", "data.csv", "--name", "Bad-Name"),
        cwd=tmp_path,
    )
    written, taken, forced, no_dir, bad_name = runs
    assert (written.code, written.out) == (0, "")
    assert written.err == (
        "inferred events from 1 row, 1 column, into out.yaml: review every guess before use\n"
    )
    assert skewless.load_contract(tmp_path / "out.yaml").name == "events"
    assert (taken.code, taken.error_line()) == (
        2,
        "error: taken.yaml exists; pass --force to replace it",
    )
    assert (tmp_path / "taken.yaml").read_text() == "keep me\n"
    assert forced.code == 0
    assert no_dir.code == 2
    assert no_dir.error_line() == "error: no/such/dir.yaml: the directory no/such does not exist"
    assert bad_name.code == 2
    assert bad_name.error_line() == (
        "error: 'Bad-Name' is not a contract name (lower case letters, digits and _, "
        "starting with a letter)"
    )
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    again = skewless_cli("infer", "data.csv", "-o", "taken.yaml", "--force", cwd=tmp_path)
    assert again.code == 0
    assert (tmp_path / "taken.yaml").read_text() == (tmp_path / "out.yaml").read_text().replace(
        "contract: events", "contract: data"
    )


def test_help_teaches() -> None:
    run = skewless_cli("infer", "--help", cwd=ROOT)
    assert run.code == 0
    for words in ("Draft a contract", "naive: assume", "--max-categories", "--force",
                  "Exit 0", "Examples:", "skewless infer data/users.csv -o"):  # fmt: skip
        assert words in run.out, words
    assert "infer" in skewless_cli("--help", cwd=ROOT).out


def test_the_examples_in_docs_infer_md_are_real(tmp_path: Path) -> None:
    """Each console block of docs/infer.md, run from a copy of the repository's layout: every
    `$ skewless ...` prints what the page shows (stderr, then stdout), `$ echo $?` its code."""
    import codecs

    doc = (ROOT / "docs" / "infer.md").read_text(encoding="utf-8")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    blocks = re.findall(r"```console\n(.*?)```", doc, re.S)
    assert len(blocks) == 2
    outputs = []
    for block in blocks:
        for step in re.split(r"^(?=\$ (?:skewless|printf) )", block, flags=re.M)[1:]:
            first, *shown = step.splitlines()
            code = 0
            if shown[-2:-1] == ["$ echo $?"]:
                code, shown = int(shown[-1]), shown[:-2]
            written = re.fullmatch(r"\$ printf '(.*)' > (\S+)", first)
            if written is not None:
                data = codecs.escape_decode(written.group(1).encode())[0]
                (tmp_path / written.group(2)).write_bytes(data)
                continue
            run = skewless_cli(*first.removeprefix("$ skewless ").split(), cwd=tmp_path)
            assert run.code == code, first
            assert [line.rstrip() for line in (run.err + run.out).splitlines()] == shown, first
            outputs.append(run.out)
    assert len(outputs) == 3
    draft = skewless.loads_contract(outputs[0])  # the draft on the page
    assert skewless.validate(ROOT / "examples/data/user_events_clean.csv", draft).report.ok


def test_too_large_a_draft_is_refused() -> None:
    frame = pd.DataFrame({f"{'c' * 900}{i}": [1, 2] for i in range(1200)})
    with pytest.raises(skewless.InputError, match="over the 1,048,576 a contract may hold"):
        infer(frame)


def test_a_frame_without_columns() -> None:
    with pytest.raises(skewless.InputError, match="has no columns"):
        infer(pd.DataFrame())


def test_pandas_columns_pyarrow_cannot_convert_are_read_value_by_value() -> None:
    # complex128 has no arrow array: its values are read one by one, and no column type
    # reads a complex number, so the draft warns and rejects them (as validate then does).
    frame = pd.DataFrame({"z": [1 + 2j, 3j]})
    text = infer(frame)
    assert "# warning: column 'z': 2 values read as no column type" in text
    report = skewless.loads_contract(text).validate(frame)
    assert [(v.code, v.row) for v in report.violations] == [("wrong_type", 0), ("wrong_type", 1)]
    # float16 reads as a float; a type whose reader cannot take it (text with coerce) is dropped
    half = pd.DataFrame({"h": np.array([1, 2.5], dtype=np.float16)})
    assert skewless.loads_contract(infer(half)).column("h").type == "float"


def test_a_type_is_tried_on_a_sample_then_on_every_row(tmp_path: Path) -> None:
    """Past the first 1,000 rows of a chunk: a type that reads the sample may still fail."""
    n = 1500
    stamps = [f"2024-05-01T{h % 24:02d}:00:00Z" for h in range(n)]
    lines = [f"{i},{stamps[i]},{i % 3 == 0}" for i in range(n - 1)]
    lines.append(f"oops,2024-05-01 25:00,{'maybe'}")  # the last row breaks all three
    path = _csv(tmp_path, ("a,t,b\n" + "\n".join(lines) + "\n").encode())
    contract = skewless.loads_contract(infer(path))
    assert [c.type for c in contract.columns] == ["string", "string", "category"]
    assert skewless.validate(path, contract).report.ok
    good = _csv(tmp_path, ("a,t,b\n" + "\n".join(lines[:-1]) + "\n").encode(), "good.csv")
    contract = skewless.loads_contract(infer(good))
    assert [c.type for c in contract.columns] == ["integer", "datetime", "boolean"]
    assert (contract.column("a").min, contract.column("a").max) == (0, n - 2)
