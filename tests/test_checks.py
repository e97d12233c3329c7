"""The check table: every kind has every form, and the per-value and vectorised forms agree.

The per-value form (`scalar`) serves the online path and `fill_null`; the vectorised form
(`vector`) serves the batch engine. A value that passes one and fails the other would make
training and serving disagree, so each kind is fuzzed with hypothesis on typed values at the
edges (int64 bounds, NaN, ±inf, -0.0, NUL, C0 and DEL, 4-byte emoji, bidi marks, a newline at
the end), and `skewless.dtypes` is fuzzed the same way on text: `convert_scalar` one value at a
time against `convert_arrow` over the whole column, from str and from raw CSV bytes.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skewless import Code, Column
from skewless.checks import CHECKS, CheckKind, checks_for, first_failure
from skewless.dtypes import INT64_MAX, INT64_MIN, convert_arrow, convert_python, convert_scalar

DOCS = Path(__file__).resolve().parent.parent / "docs" / "violations.md"
ZONES = ("UTC", "America/Los_Angeles", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe")

# --- values -----------------------------------------------------------------------------------

INT64_EDGES = (INT64_MIN, INT64_MIN + 1, -1, 0, 1, 2**53, 2**53 + 1, INT64_MAX - 1, INT64_MAX)
FLOAT_EDGES = (
    math.nan,
    -math.nan,
    math.inf,
    -math.inf,
    0.0,
    -0.0,
    5e-324,
    2.0**53,
    2.0**53 + 2,
    2.0**63,
    -(2.0**63),
    1.7976931348623157e308,
)
STRING_EDGES = (
    "",
    "abc",
    "abc\n",
    "\nabc",
    "ab\nc",
    "ABC",
    "a\x00b",
    "\x1b[31mred",
    "\x7f",
    "\t\r\n",
    "\x85",  # NEL: a C1 control, allowed (only C0 and DEL are control_character)
    "\u202egnp.exe",  # right-to-left override
    "\u200fabc",  # right-to-left mark
    "\ufeffabc",
    "😀",
    "a😀",
    "\U0010ffff",
    "\uffff",
    "é",
    "e\u0301",
    "١٢",  # Arabic-Indic digits
    "\u212a",  # Kelvin sign, folds to k
    "ß",
    "US",
    "us",
    "U",
    "USA",
    "12",
    " 12",
)
# A pool of characters where the checks draw their lines.
EDGE_CHARS = st.sampled_from(
    [
        *"azAZ09_.-\n\t\r \x00\x01\x08\x0b\x0c\x0e\x1f\x7f\x80\x85\xa0\xff",
        *["\u0130", "\u212a", "\u200f", "\u202e", "\u2028", "\ufeff", "\uffff", "😀", "\U0010ffff"],
    ]
)
texts = st.one_of(
    st.sampled_from(STRING_EDGES),
    st.text(EDGE_CHARS, max_size=8),
    st.text(max_size=8),  # any code point except lone surrogates (invalid_unicode is dtypes')
    st.text(EDGE_CHARS, max_size=6).map(lambda s: s + "\n"),
)
PATTERNS = (
    "^[a-z]+$",
    "[a-z]+",
    "^[A-Z]{2}$",
    r"\d+",
    r"\w+",
    r"\s*",
    "a.c",
    "(?s).*",
    ".*",
    "(?i)k+",
    "(?m)^[a-z]+$",
    "[^a-z]*",
    "$",
    "^$",
    r"[\x{10000}-\x{10FFFF}]+",
    r"\pL+",
    "😀|é",
    "abc|abc\n",
    r"[a-z]+\n",
)


def int_bounds() -> st.SearchStrategy[tuple[int | None, int | None]]:
    bound = st.none() | st.integers(INT64_MIN, INT64_MAX) | st.sampled_from(INT64_EDGES)
    return st.tuples(bound, bound).map(_ordered)


def float_bounds() -> st.SearchStrategy[tuple[int | float | None, int | float | None]]:
    # The loader accepts finite floats and (any-size int64) integers as bounds of a float column.
    bound = (
        st.none()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.integers(INT64_MIN, INT64_MAX)
        | st.sampled_from([*INT64_EDGES, 0.5, -0.0, 1e308])
    )
    return st.tuples(bound, bound).map(_ordered)


def _ordered(pair: tuple[Any, Any]) -> tuple[Any, Any]:
    lo, hi = pair
    if lo is not None and hi is not None and lo > hi:
        return hi, lo
    return lo, hi


def columns_of(ctype: str, *, needs: Code | None = None) -> st.SearchStrategy[Column]:
    """Random column settings of one type (forcing the setting that makes `needs` apply)."""

    @st.composite
    def build(draw: st.DrawFn) -> Column:
        kwargs: dict[str, Any] = {}
        if ctype == "integer":
            kwargs["min"], kwargs["max"] = draw(int_bounds())
        elif ctype == "float":
            kwargs["min"], kwargs["max"] = draw(float_bounds())
            kwargs["allow_nan"] = draw(st.booleans()) and needs != Code.NAN_NOT_ALLOWED
            kwargs["allow_inf"] = draw(st.booleans()) and needs != Code.INF_NOT_ALLOWED
        elif ctype == "string":
            kwargs["pattern"] = draw(st.none() | st.sampled_from(PATTERNS))
            lo = draw(st.none() | st.integers(0, 4))
            hi = draw(st.none() | st.integers(max(lo or 0, 1), 6))
            kwargs.update(min_length=lo, max_length=hi)
            kwargs["charset"] = draw(st.sampled_from(["unicode", "bmp", "ascii"]))
            kwargs["allow_control"] = draw(st.booleans()) and needs != Code.CONTROL_CHARACTER
            if needs == Code.PATTERN_MISMATCH and kwargs["pattern"] is None:
                kwargs["pattern"] = draw(st.sampled_from(PATTERNS))
            if needs == Code.TOO_SHORT and lo is None:
                kwargs["min_length"] = draw(st.integers(0, 4))
            if needs == Code.TOO_LONG and hi is None:
                kwargs["max_length"] = draw(st.integers(max(kwargs["min_length"] or 0, 1), 6))
            if needs == Code.OUTSIDE_CHARSET and kwargs["charset"] == "unicode":
                kwargs["charset"] = draw(st.sampled_from(["bmp", "ascii"]))
        elif ctype == "category":
            values = draw(st.lists(texts, min_size=1, max_size=5, unique=True))
            kwargs["values"] = tuple(values)
            if needs != Code.NOT_IN_VOCABULARY and draw(st.booleans()):
                kwargs["map_to"] = draw(st.sampled_from(values))
        if needs == Code.OUT_OF_RANGE and kwargs["min"] is None and kwargs["max"] is None:
            kwargs["min"] = draw(st.integers(INT64_MIN, INT64_MAX) | st.sampled_from(INT64_EDGES))
        return Column("x", ctype, **kwargs)  # type: ignore[arg-type]

    return build()


def values_for(column: Column) -> st.SearchStrategy[list[Any]]:
    """Typed values for a column (what dtypes hands the checks), nulls included."""
    if column.type == "integer":
        near = [b for b in (column.min, column.max) if b is not None]
        near += [b + d for b in near for d in (-1, 1) if INT64_MIN <= b + d <= INT64_MAX]
        one = st.integers(INT64_MIN, INT64_MAX) | st.sampled_from([*INT64_EDGES, *near])
    elif column.type == "float":
        near_f: list[float] = []
        for b in (column.min, column.max):
            if b is not None:
                f = float(b)
                near_f += [f, math.nextafter(f, math.inf), math.nextafter(f, -math.inf)]
        one = st.floats() | st.sampled_from([*FLOAT_EDGES, *near_f])
    elif column.type == "category":
        one = st.sampled_from(column.values) | texts
    else:
        one = texts
    return st.lists(st.none() | one, max_size=12)


def array_type(column: Column) -> pa.DataType:
    return {"integer": pa.int64(), "float": pa.float64()}.get(column.type, pa.large_string())


def assert_forms_agree(kind: CheckKind, column: Column, values: list[Any]) -> None:
    scalar = kind.scalar(column)
    vector = kind.vector(column)
    mask = vector(pa.array(values, array_type(column)))
    assert len(mask) == len(values)
    for value, passed in zip(values, mask.tolist(), strict=True):
        expected = True if value is None else scalar(value)
        assert passed == expected, (
            f"{kind.code}: per-value form says {expected}, vectorised form says {passed} "
            f"for {value!r} in {column}"
        )


# --- every kind has every form ----------------------------------------------------------------

# The column settings under which each kind of the table is fuzzed; a new kind must add one.
COLUMNS_FOR: dict[Code, tuple[str, ...]] = {
    Code.OUT_OF_RANGE: ("integer", "float"),
    Code.NAN_NOT_ALLOWED: ("float",),
    Code.INF_NOT_ALLOWED: ("float",),
    Code.NOT_IN_VOCABULARY: ("category",),
    Code.CONTROL_CHARACTER: ("string",),
    Code.OUTSIDE_CHARSET: ("string",),
    Code.TOO_SHORT: ("string",),
    Code.TOO_LONG: ("string",),
    Code.PATTERN_MISMATCH: ("string",),
}


def columns_for(code: Code) -> st.SearchStrategy[Column]:
    """Random columns of every type `code` applies to, with the setting that makes it apply."""
    return st.sampled_from(COLUMNS_FOR[code]).flatmap(lambda ctype: columns_of(ctype, needs=code))


def documented_codes() -> set[str]:
    return set(re.findall(r"^## `([a-z_]+)`", DOCS.read_text(encoding="utf-8"), re.MULTILINE))


def test_every_check_kind_has_every_form_and_is_documented() -> None:
    documented = documented_codes()
    codes = [kind.code for kind in CHECKS]
    assert len(codes) == len(set(codes)), "a code has two rows in the check table"
    for kind in CHECKS:
        assert isinstance(kind.code, Code)
        assert kind.code.value in documented, f"{kind.code} has no section in {DOCS.name}"
        assert kind.code in COLUMNS_FOR, f"{kind.code} has no fuzzing strategy in this module"
        for form in ("applies", "message", "scalar", "vector"):
            assert callable(getattr(kind, form)), f"{kind.code} lacks its {form} form"


@pytest.mark.parametrize("kind", CHECKS, ids=lambda k: k.code.value)
@given(data=st.data())
def test_every_form_answers_on_a_column_it_applies_to(kind: CheckKind, data: st.DataObject) -> None:
    column = data.draw(columns_for(kind.code), label="column")
    assert kind.applies(column)
    assert kind in checks_for(column)
    message = kind.message(column)
    assert isinstance(message, str)
    assert message
    assert callable(kind.scalar(column))
    assert callable(kind.vector(column))


# --- the two forms agree ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", CHECKS, ids=lambda k: k.code.value)
@given(data=st.data())
def test_per_value_and_vectorised_forms_agree(kind: CheckKind, data: st.DataObject) -> None:
    column = data.draw(columns_for(kind.code), label="column")
    values = data.draw(values_for(column), label="values")
    assert_forms_agree(kind, column, values)


@pytest.mark.parametrize("ctype", ["integer", "float", "string", "category"])
@given(data=st.data())
def test_every_applicable_kind_agrees_on_any_column(ctype: str, data: st.DataObject) -> None:
    column = data.draw(columns_of(ctype), label="column")
    values = data.draw(values_for(column), label="values")
    for kind in checks_for(column):
        assert_forms_agree(kind, column, values)


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        (Column("x", "string", pattern="^[a-z]+$"), "abc\n", Code.PATTERN_MISMATCH),
        (Column("x", "string", pattern="[a-z]+"), "abc\n", Code.PATTERN_MISMATCH),
        (Column("x", "string", pattern="^[A-Z]{2}$"), "US\n", Code.PATTERN_MISMATCH),
        (Column("x", "string"), "a\x00b", Code.CONTROL_CHARACTER),
        (Column("x", "string"), "\x1b[31m", Code.CONTROL_CHARACTER),
        (Column("x", "string", charset="bmp"), "😀", Code.OUTSIDE_CHARSET),
        (Column("x", "string", charset="ascii"), "\u202e", Code.OUTSIDE_CHARSET),
        (Column("x", "string", max_length=1), "😀😀", Code.TOO_LONG),
        (Column("x", "float", min=0), -math.inf, Code.INF_NOT_ALLOWED),
        (Column("x", "float", max=1), math.nan, Code.NAN_NOT_ALLOWED),
        (Column("x", "float", min=0, allow_inf=True), -math.inf, Code.OUT_OF_RANGE),
        (Column("x", "float", max=2**53 + 1), 2.0**53 + 2, Code.OUT_OF_RANGE),
        (Column("x", "float", min=INT64_MAX), 2.0**63 - 1024, Code.OUT_OF_RANGE),
        (Column("x", "integer", max=INT64_MAX - 1), INT64_MAX, Code.OUT_OF_RANGE),
        (Column("x", "category", values=("a",)), "a\n", Code.NOT_IN_VOCABULARY),
    ],
)
def test_edges_fail_on_both_paths(column: Column, value: Any, code: Code) -> None:
    kind = first_failure(column, value)
    assert kind is not None
    assert kind.code == code
    mask = kind.vector(column)(pa.array([value], array_type(column)))
    assert mask.tolist() == [False]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        (Column("x", "string", pattern="^[a-z]+$"), "abc"),
        (Column("x", "string"), "tab\tand\r\nnewlines"),
        (Column("x", "string"), "\x85\u202e"),  # C1 and bidi controls are not C0 controls
        (Column("x", "string", charset="bmp"), "\uffff"),
        (Column("x", "float", min=0), -0.0),
        (Column("x", "float", min=2**53 + 1), 2.0**53 + 2),
        (Column("x", "float", max=INT64_MAX), 2.0**63 - 1024),
        (Column("x", "float", allow_nan=True, allow_inf=True, min=0, max=1), math.nan),
        (Column("x", "integer", min=INT64_MIN, max=INT64_MAX), INT64_MIN),
    ],
)
def test_edges_pass_on_both_paths(column: Column, value: Any) -> None:
    assert first_failure(column, value) is None
    for kind in checks_for(column):
        assert kind.vector(column)(pa.array([value], array_type(column))).tolist() == [True]


# --- dtypes: reading text, one value at a time and a column at a time -------------------------


def int_texts() -> st.SearchStrategy[str]:
    signed = st.tuples(
        st.sampled_from(["", "+", "-"]),
        st.sampled_from(["", "0", "00", "0" * 25]),
        st.integers(0, 2**70) | st.sampled_from([2**63 - 1, 2**63, 2**64, 10**19, 10**20]),
    ).map(lambda t: f"{t[0]}{t[1]}{t[2]}")
    junk = st.sampled_from(
        ["", " 1", "1 ", "1_000", "1.0", "1e3", "0x10", "--1", "+-1", "٣", "１", "1\n", "+", "-"]
    )
    return signed | junk | st.text(EDGE_CHARS, max_size=4)


def float_texts() -> st.SearchStrategy[str]:
    return (
        st.floats().map(repr)
        | st.floats().map(lambda f: f"{f:e}")
        | st.sampled_from(
            [
                "nan",
                "NaN",
                "-nan",
                "+nan",
                "inf",
                "-inf",
                "+Infinity",
                "INF",
                "1e400",
                "-1e400",
                "1e-400",
                "4.9e-324",
                "-0.0",
                "-0",
                ".5",
                "5.",
                "+.5e-3",
                "1E+05",
                "9" * 400,
                "0." + "0" * 330 + "1",
                "",
                ".",
                "e5",
                "1e",
                "1.5.5",
                " 1.5",
                "1_0.5",
                "0x1p3",
                "nanx",
                "infinit",
                "١.٥",
            ]
        )
        | int_texts()
    )


def bool_texts() -> st.SearchStrategy[str]:
    cased = st.sampled_from(["true", "false"]).flatmap(
        lambda word: st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
            lambda ups: "".join(c.upper() if up else c for c, up in zip(word, ups, strict=True))
        )
    )
    return cased | st.sampled_from(
        ["TRUE", "no", "yes", "1", "0", "t", "f", " true", "true\n", "", "ŧrue"]
    )


def date_texts() -> st.SearchStrategy[str]:
    parts = st.tuples(st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32))
    return (
        parts.map(lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}")
        | st.dates().map(dt.date.isoformat)
        | st.sampled_from(["2023-02-30", "2024-02-29", "2023-02-29", "20230101", "2023-1-1", ""])
    )


def datetime_texts() -> st.SearchStrategy[str]:
    time = st.tuples(
        st.integers(0, 24),
        st.integers(0, 60),
        st.none() | st.integers(0, 60),
        st.none() | st.integers(0, 999_999_999).map(str) | st.sampled_from(["0", "5", "123456"]),
    ).map(
        lambda t: (
            f"{t[0]:02d}:{t[1]:02d}"
            + ("" if t[2] is None else f":{t[2]:02d}" + ("" if t[3] is None else f".{t[3]}"))
        )
    )
    offset = st.none() | st.sampled_from(["Z", "+00:00", "-07:00", "-0800", "+05:30", "+14:00"])
    offset = offset | st.tuples(st.sampled_from("+-"), st.integers(0, 25), st.integers(0, 60)).map(
        lambda t: f"{t[0]}{t[1]:02d}:{t[2]:02d}"
    )
    built = st.tuples(date_texts(), st.sampled_from("T "), time, offset).map(
        lambda t: f"{t[0]}{t[1]}{t[2]}{t[3] or ''}"
    )
    dst = st.sampled_from(
        [
            "2024-03-10T02:30:00",  # Los Angeles: a wall time that never happened
            "2024-11-03T01:30:00",  # Los Angeles: a wall time that happened twice
            "2024-11-03T01:30:00-07:00",
            "2024-11-03T01:30:00-08:00",
            "2024-03-31T01:30:00",  # London gap
            "2024-10-27T01:30:00",  # London fold
            "2024-04-07T01:45:00",  # Lord Howe: a 30-minute fold
            "2024-06-01T10:00:00+05:30",
            "2024-01-01T00:00:00Z",
            "2024-01-01T00:00:00+00:00",
            "2024-01-01 00:00",
            "2024-01-01T00:00:00.1234567",
            "2024-01-01",
            "9999-12-31T23:59:59.999999",
            "0001-01-01T00:00:00",
        ]
    )
    return built | dst | st.datetimes().map(dt.datetime.isoformat)


def datetime_columns() -> st.SearchStrategy[Column]:
    return st.builds(
        Column,
        name=st.just("x"),
        type=st.just("datetime"),
        timezone=st.sampled_from(ZONES),
        naive=st.sampled_from(["reject", "assume"]),
        other_zones=st.sampled_from(["convert", "reject"]),
        coerce=st.booleans(),
    )


TEXTS_FOR = {
    "integer": int_texts,
    "float": float_texts,
    "boolean": bool_texts,
    "date": date_texts,
    "datetime": datetime_texts,
    "string": lambda: texts,
    "category": lambda: texts,
}


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, dt.datetime):
        # The same instant; compared as microseconds since the epoch, because wall time near
        # 9999-12-31 in a zone west of UTC is an instant no Python datetime holds in UTC.
        return type(b) is int and (a - EPOCH) // dt.timedelta(microseconds=1) == b
    return type(a) is type(b) and a == b


def plain_values(array: pa.Array) -> list[Any]:
    if pa.types.is_timestamp(array.type):
        return array.cast(pa.int64()).to_pylist()
    return array.to_pylist()


def assert_reads_agree(column: Column, raw: list[Any], array: pa.Array) -> None:
    converted = convert_arrow(column, array, text=True)
    if column.type == "datetime":
        assert converted.array.type == pa.timestamp("us", tz=column.timezone)
    vector_values = plain_values(converted.array)
    vector_failures: dict[int, tuple[str, str]] = {}
    for failure, rows in converted.failures:
        for row in rows.tolist():
            assert row not in vector_failures, f"row {row} failed twice"
            vector_failures[row] = (failure.code.value, failure.message)
    assert len(vector_values) == len(raw)
    for row, value in enumerate(raw):
        if value is None:
            assert vector_values[row] is None
            assert row not in vector_failures
            continue
        expected, failure = convert_scalar(column, value, text=True)
        got = vector_failures.get(row)
        where = f"row {row} {value!r} in {column}"
        if failure is None:
            assert got is None, f"vectorised form fails {where}: {got}"
            if isinstance(expected, dt.datetime):
                assert str(expected.tzinfo) == column.timezone, where
            assert same_value(expected, vector_values[row]), (
                f"per-value form reads {expected!r}, vectorised form {vector_values[row]!r}: {where}"
            )
        else:
            assert got == (failure.code.value, failure.message), (
                f"per-value form fails with {failure}, vectorised form with {got}: {where}"
            )
            assert vector_values[row] is None


def column_of_type(ctype: str) -> st.SearchStrategy[Column]:
    if ctype == "datetime":
        return datetime_columns()
    if ctype == "category":
        return st.just(Column("x", "category", values=("a",)))
    return st.builds(Column, name=st.just("x"), type=st.just(ctype), coerce=st.booleans())


@pytest.mark.parametrize("ctype", list(TEXTS_FOR))
@given(data=st.data())
def test_reading_text_agrees_value_by_value_and_by_column(ctype: str, data: st.DataObject) -> None:
    column = data.draw(column_of_type(ctype), label="column")
    raw = data.draw(st.lists(st.none() | TEXTS_FOR[ctype](), max_size=10), label="texts")
    assert_reads_agree(column, raw, pa.array(raw, pa.string()))


def _with_bad_bytes(draw: st.DrawFn, text: str) -> bytes:
    encoded = text.encode("utf-8")
    if draw(st.booleans()):
        return encoded
    at = draw(st.integers(0, len(encoded)))
    bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf0\x9f\x98", b"\x80"]))
    return encoded[:at] + bad + encoded[at:]


@pytest.mark.parametrize("ctype", list(TEXTS_FOR))
@given(data=st.data())
def test_reading_csv_bytes_agrees_value_by_value_and_by_column(
    ctype: str, data: st.DataObject
) -> None:
    """CSV cells arrive as raw bytes; invalid UTF-8 is invalid_unicode on both paths."""
    column = data.draw(column_of_type(ctype), label="column")

    @st.composite
    def cells(draw: st.DrawFn) -> bytes:
        return _with_bad_bytes(draw, draw(TEXTS_FOR[ctype]()))

    raw = data.draw(st.lists(st.none() | cells(), max_size=10), label="cells")
    assert_reads_agree(column, raw, pa.array(raw, pa.binary()))


@pytest.mark.parametrize(
    ("ctype", "text", "code"),
    [
        ("integer", "9223372036854775808", Code.INTEGER_OVERFLOW),
        ("integer", "-9223372036854775809", Code.INTEGER_OVERFLOW),
        ("integer", "-00000000000000000000009223372036854775809", Code.INTEGER_OVERFLOW),
        ("integer", "1.0", Code.WRONG_TYPE),
        ("integer", "٣", Code.WRONG_TYPE),
        ("float", "1,5", Code.WRONG_TYPE),
        ("boolean", "no", Code.WRONG_TYPE),
        ("boolean", "1", Code.WRONG_TYPE),
        ("date", "2023-02-30", Code.WRONG_TYPE),
        ("datetime", "2024-03-10T02:30:00", Code.NAIVE_DATETIME),
        ("datetime", "2024-06-01T10:00:00", Code.NAIVE_DATETIME),
        # In UTC this instant is in year 0: out_of_range, never an OverflowError.
        ("datetime", "0001-01-01T00:00:00+05:30", Code.OUT_OF_RANGE),
        ("datetime", "9999-12-31T23:59:59-07:00", Code.OUT_OF_RANGE),
    ],
)
def test_text_edges_fail_on_both_paths(ctype: str, text: str, code: Code) -> None:
    column = Column("x", ctype, timezone="UTC") if ctype == "datetime" else Column("x", ctype)  # type: ignore[arg-type]
    _, failure = convert_scalar(column, text, text=True)
    assert failure is not None
    assert failure.code == code
    converted = convert_arrow(column, pa.array([text]), text=True)
    assert [(f.code, r.tolist()) for f, r in converted.failures] == [(code, [0])]


@pytest.mark.parametrize(
    "text",
    ["+007", "-0", "-000", "0000000000000000000009223372036854775807", "-9223372036854775808"],
)
def test_integer_text_with_signs_and_leading_zeros_reads(text: str) -> None:
    column = Column("x", "integer")
    assert convert_scalar(column, text, text=True) == (int(text), None)
    assert convert_arrow(column, pa.array([text]), text=True).array.to_pylist() == [int(text)]


def test_dst_gap_and_fold_with_naive_assume_and_other_zones_reject() -> None:
    column = Column(
        "x", "datetime", timezone="America/Los_Angeles", naive="assume", other_zones="reject"
    )
    raw = [
        "2024-03-10T02:30:00",  # gap
        "2024-11-03T01:30:00",  # fold
        "2024-11-03T01:30:00-08:00",  # the second 01:30, said with its offset: fine
        "2024-06-01T10:00:00+00:00",  # another zone: rejected
        "2024-06-01T10:00:00",
    ]
    assert_reads_agree(column, raw, pa.array(raw))
    codes = [convert_scalar(column, t, text=True)[1] for t in raw]
    assert [c.code if c else None for c in codes] == [
        Code.NAIVE_DATETIME,
        Code.NAIVE_DATETIME,
        None,
        Code.WRONG_TIMEZONE,
        None,
    ]


def test_typed_timestamps_past_2037_with_other_zones_reject() -> None:
    # pyarrow's zone kernels stop applying DST after 2037 (apache/arrow#36110): offsets come
    # from zoneinfo in both forms.
    column = Column("x", "datetime", timezone="America/Los_Angeles", other_zones="reject")
    instant = dt.datetime(2040, 7, 1, 12, tzinfo=dt.UTC)  # 05:00-07:00 in Los Angeles (PDT)
    micros = (instant - EPOCH) // dt.timedelta(microseconds=1)
    array = pa.array([micros], pa.int64()).cast(pa.timestamp("us", tz="-07:00"))
    assert convert_scalar(column, array[0].as_py())[1] is None  # same offset: accepted
    assert convert_arrow(column, array, text=False).failures == []


def test_a_gap_wall_time_in_the_columns_own_zone_reads_like_the_typed_column() -> None:
    """02:00 LA on 2024-03-10 (a DST gap) as a Python object is 03:00-07:00, as in arrow."""
    column = Column("x", "datetime", timezone="America/Los_Angeles", other_zones="reject")
    value = dt.datetime(2024, 3, 10, 2, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    read, failure = convert_scalar(column, value)
    assert failure is None
    assert (read.hour, read.utcoffset()) == (3, dt.timedelta(hours=-7))
    instant = (value - EPOCH) // dt.timedelta(microseconds=1)
    typed = pa.array([instant], pa.int64()).cast(pa.timestamp("us", tz="America/Los_Angeles"))
    converted = convert_arrow(column, typed, text=False)
    assert converted.failures == []
    assert converted.array[0].as_py() == read
    assert convert_python(column, [value]).array.cast(pa.int64()).to_pylist() == [instant]
