"""Reading values into their contract type: the per-value form and the vectorised form.

A value either converts to the column's type (an int, a float, a bool, a str, a timezone-aware
datetime in the column's zone, a date) or fails with one code: wrong_type, integer_overflow,
invalid_unicode, naive_datetime or wrong_timezone. Nothing is coerced silently: text is parsed
only when it comes from an untyped format (CSV), when the column says `coerce: true`, or for
datetime and date columns, whose only text form is ISO 8601 (JSON has no datetime type); and
then with one strict grammar shared by both forms.

Nulls and NaN: None, pandas.NA and NaT are null. A float NaN is a value (caught by
`nan_not_allowed`), except where pandas cannot tell the two apart: in a numpy float64 column NaN is
pandas' null marker, and in an object column NaN counts as null unless the column is a float.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import numbers
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from skewless.errors import Code
from skewless.normalize import (
    OUTSIDE_YEARS,
    Failure,
    assume_zone_column,
    assume_zone_value,
    convert_zone_column,
    convert_zone_value,
    instant_offsets,
)

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from skewless.contract import Column

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT_TEXT = r"[+-]?[0-9]+"
FLOAT_TEXT = (
    r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|[nN][aA][nN]|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)"
)
DATE_TEXT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
DATETIME_TEXT = (
    DATE_TEXT + r"[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
)
_INT = re.compile(INT_TEXT)
_FLOAT = re.compile(FLOAT_TEXT)
_DATE = re.compile(DATE_TEXT)
_DATETIME = re.compile(DATETIME_TEXT)
_NAIVE = "has no timezone (naive: reject; expected an offset, e.g. {})"


def is_null(value: Any, column: Column, *, nan_is_null: bool = True) -> bool:
    """Whether a Python value is a null for this column (see the module docstring on NaN).

    `nan_is_null=False` for values parsed from JSON, where NaN is always a value.
    """
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return nan_is_null and column.type != "float"
    kind = type(value).__name__
    return kind in ("NAType", "NaTType")


def _what(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, numbers.Integral):
        return "an integer"
    if isinstance(value, numbers.Real):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bytes):
        return "bytes"
    if isinstance(value, dt.datetime):
        return "a datetime"
    if isinstance(value, dt.date):
        return "a date"
    return f"a {type(value).__name__}"


def wrong_type(column: Column, value: Any) -> Failure:
    message = f"expected {_ARTICLE[column.type]}, found {_what(value)}"
    if column.type == "integer" and isinstance(value, float) and value.is_integer():
        message += (
            " (set coerce: true to accept whole floats;"
            " pandas stores int columns with nulls as float)"
        )
    elif isinstance(value, str) and not column.coerce and column.type not in ("string", "category"):
        message += " (set coerce: true to parse text)"
    elif column.type == "date" and isinstance(value, dt.datetime):
        message += " (a datetime is not a date: keep dates as datetime.date or Arrow date32)"
    return Failure(Code.WRONG_TYPE, message)


_TEXT_FORM = {
    "integer": "digits with an optional sign",
    "float": "a decimal number, nan or inf",
    "boolean": "true or false",
    "date": "YYYY-MM-DD",
    "datetime": "ISO 8601, e.g. 2024-05-01T10:00:00Z",
}


def not_text_of(column: Column) -> Failure:
    """Text that does not read as the column's type (the grammar is the same in both forms)."""
    return Failure(
        Code.WRONG_TYPE, f"is not {_ARTICLE[column.type]} (expected {_TEXT_FORM[column.type]})"
    )


_ARTICLE = {
    "integer": "an integer",
    "float": "a number",
    "boolean": "a boolean",
    "string": "a string",
    "category": "a string",
    "datetime": "a datetime",
    "date": "a date",
}

# --- the per-value form -----------------------------------------------------------------------


def convert_scalar(column: Column, value: Any, *, text: bool = False) -> tuple[Any, Failure | None]:
    """Convert one non-null value to the column's type, or say why it cannot be.

    `text=True` means the value comes from an untyped format and is parsed by the contract.
    """
    if isinstance(value, bytes):
        if not text:
            return None, wrong_type(column, value)
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return None, Failure(Code.INVALID_UNICODE, "is not valid UTF-8")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return None, Failure(Code.INVALID_UNICODE, "holds a lone surrogate (invalid Unicode)")
        if column.type in ("string", "category"):
            # A str subclass (numpy.str_, a StrEnum member) is the text it holds.
            return (value if type(value) is str else str.__str__(value)), None
        # ISO 8601 text is how every format without a datetime type (JSON, CSV) writes one.
        if text or column.coerce or column.type in ("datetime", "date"):
            return _from_text(column, value)
        return None, wrong_type(column, value)
    return _from_python(column, value)


def _from_text(column: Column, text: str) -> tuple[Any, Failure | None]:
    ctype = column.type
    if ctype == "integer":
        if not _INT.fullmatch(text):
            return None, not_text_of(column)
        return _int(int(text))
    if ctype == "float":
        if not _FLOAT.fullmatch(text):
            return None, not_text_of(column)
        return float(text), None
    if ctype == "boolean":
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true", None
        return None, not_text_of(column)
    if ctype == "date":
        if not _DATE.fullmatch(text):
            return None, not_text_of(column)
        try:
            return dt.date.fromisoformat(text), None
        except ValueError:
            return None, Failure(Code.WRONG_TYPE, "is not a calendar date")
    # datetime
    if not _DATETIME.fullmatch(text):
        return None, not_text_of(column)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None, Failure(Code.WRONG_TYPE, "is not a calendar date and time")
    return _datetime(column, parsed)


def _int(value: int) -> tuple[Any, Failure | None]:
    if INT64_MIN <= value <= INT64_MAX:
        return value, None
    return None, Failure(Code.INTEGER_OVERFLOW, "is outside the 64-bit integer range")


def _from_python(column: Column, value: Any) -> tuple[Any, Failure | None]:
    ctype = column.type
    # numpy's boolean scalar is `numpy.bool_` (numpy 1) or `numpy.bool` (numpy 2).
    is_bool = isinstance(value, bool) or (
        type(value).__module__ == "numpy" and type(value).__name__ in ("bool_", "bool")
    )
    if ctype == "boolean":
        if is_bool:
            return bool(value), None
        if column.coerce and isinstance(value, numbers.Integral) and value in (0, 1):
            return bool(value), None
        return None, wrong_type(column, value)
    if is_bool:
        return None, wrong_type(column, value)
    if isinstance(value, decimal.Decimal):  # SQL NUMERIC: a number, as exact as it comes
        if not value.is_finite():
            if ctype != "float":
                return None, wrong_type(column, value)
            # float() refuses a signalling NaN; it is a NaN all the same.
            return (math.nan if value.is_nan() else float(value)), None
        if ctype == "integer" and value == value.to_integral_value():
            return _int(int(value))
        if ctype == "float":
            return float(value), None
        return None, wrong_type(column, value)
    if ctype == "integer":
        if isinstance(value, numbers.Integral):
            return _int(int(value))
        if (
            column.coerce
            and isinstance(value, numbers.Real)
            and math.isfinite(value)
            and float(value).is_integer()
        ):
            return _int(int(float(value)))
        return None, wrong_type(column, value)
    if ctype == "float":
        if isinstance(value, numbers.Real):
            try:
                return float(value), None
            except OverflowError:
                return None, Failure(Code.OUT_OF_RANGE, "is too large for a 64-bit float")
        return None, wrong_type(column, value)
    if ctype in ("string", "category"):
        if column.coerce and isinstance(value, numbers.Real):
            return str(value), None
        return None, wrong_type(column, value)
    if ctype == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value, None
        return None, wrong_type(column, value)
    if isinstance(value, dt.datetime):
        if hasattr(value, "to_pydatetime"):  # pandas.Timestamp: drop nanoseconds
            value = value.to_pydatetime(warn=False)
        return _datetime(column, value)
    return None, wrong_type(column, value)


def _datetime(column: Column, value: dt.datetime) -> tuple[Any, Failure | None]:
    assert column.timezone is not None
    if value.tzinfo is None or value.utcoffset() is None:
        if column.naive == "reject":
            return None, Failure(Code.NAIVE_DATETIME, _NAIVE.format(column.timezone))
        return assume_zone_value(value, column.timezone)
    try:
        in_zone = convert_zone_value(value, column.timezone)
    except OverflowError:  # 0001-01-01T00:00+05:30 is in year 0 in UTC: no datetime holds it
        return None, Failure(Code.OUT_OF_RANGE, OUTSIDE_YEARS)
    # A value in the column's own zone is in no other, even a wall time in a DST gap (02:30-08:00
    # in Los Angeles on 2024-03-10, which converts to 03:30-07:00).
    other = value.tzinfo is not in_zone.tzinfo and value.utcoffset() != in_zone.utcoffset()
    if column.other_zones == "reject" and other:
        return None, Failure(
            Code.WRONG_TIMEZONE, f"is not in {column.timezone} (other_zones: reject)"
        )
    return in_zone, None


# --- the vectorised form ----------------------------------------------------------------------


@dataclass(slots=True)
class Converted:
    """A column in its contract type: failed cells are null, with their codes beside them."""

    array: pa.Array
    failures: list[tuple[Failure, np.ndarray]]  # (failure, row positions)

    def failed_mask(self) -> np.ndarray:
        import numpy as np

        mask = np.zeros(len(self.array), dtype=bool)
        for _, rows in self.failures:
            mask[rows] = True
        return mask


def arrow_type(column: Column) -> pa.DataType:
    import pyarrow as pa

    return {
        "integer": pa.int64(),
        "float": pa.float64(),
        "boolean": pa.bool_(),
        "string": pa.large_string(),
        "category": pa.large_string(),
        "datetime": pa.timestamp("us", tz=column.timezone),
        "date": pa.date32(),
    }[column.type]


# Exact Python types that `convert_scalar` returns as they are, per column type (`bool` is not
# an `int` here: `type(True) is bool`). A float NaN is a value in a float column, as in the slow
# path; pyarrow keeps it a NaN unless asked `from_pandas`.
_UNCHANGED: dict[str, frozenset[type]] = {
    "integer": frozenset({int, type(None)}),
    "float": frozenset({float, type(None)}),
    "boolean": frozenset({bool, type(None)}),
    "string": frozenset({str, type(None)}),
    "category": frozenset({str, type(None)}),
    "date": frozenset({dt.date, type(None)}),
}


def convert_python(column: Column, values: list[Any], *, nan_is_null: bool = True) -> Converted:
    """Vectorised form over Python objects (object columns, JSON records): one value at a time."""
    import numpy as np
    import pyarrow as pa

    # Fast path: when every value is None or of a type the per-value form returns unchanged,
    # the column is the values themselves; pyarrow refuses the rest (a lone surrogate, an int
    # past int64) and we take the slow path, which reports them.
    same = _UNCHANGED.get(column.type)
    if same is not None and set(map(type, values)) <= same:
        try:
            return Converted(pa.array(values, type=arrow_type(column)), [])
        except (pa.ArrowException, OverflowError, UnicodeError):
            pass
    out: list[Any] = []
    failed: dict[Failure, list[int]] = {}
    for i, value in enumerate(values):
        if is_null(value, column, nan_is_null=nan_is_null):
            out.append(None)
            continue
        converted, failure = convert_scalar(column, value)
        if failure is not None:
            failed.setdefault(failure, []).append(i)
        out.append(converted)
    array = typed_array(column, out)
    return Converted(array, [(f, np.asarray(rows, dtype=np.int64)) for f, rows in failed.items()])


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def typed_array(column: Column, values: list[Any]) -> pa.Array:
    """Converted Python values (or None) as an array of the column's Arrow type.

    Aware datetimes go in as microseconds since the epoch: `pa.array` reads a datetime's wall
    time as UTC when PYARROW_IGNORE_TIMEZONE is set, and importing pandera sets it (for pyspark).
    """
    import pyarrow as pa

    if column.type != "datetime":
        return pa.array(values, type=arrow_type(column))
    micros = [None if v is None else (v - _EPOCH) // _MICROSECOND for v in values]
    return pa.array(micros, type=pa.int64()).cast(arrow_type(column))


def decoded(array: pa.Array) -> pa.Array:
    """A dictionary-encoded array as its values (other arrays as they are): what leaves the
    engine (outputs, DataFrames) has one type per column whatever the source's encoding."""
    import pyarrow as pa

    return array.dictionary_decode() if pa.types.is_dictionary(array.type) else array


def convert_arrow(column: Column, array: pa.Array, *, text: bool) -> Converted:
    """Vectorised form over a typed pyarrow array (Parquet, typed DataFrame columns, CSV text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    t = array.type
    if pa.types.is_dictionary(t):
        values = t.value_type
        if column.type in ("string", "category") and (
            pa.types.is_string(values) or pa.types.is_large_string(values)
        ):
            # Kept encoded: the checks and the normalisation run on the distinct values.
            return Converted(array, [])
        return convert_arrow(column, array.dictionary_decode(), text=text)
    if pa.types.is_null(t):
        return Converted(pa.nulls(len(array), arrow_type(column)), [])
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        if not text:
            return _all_wrong(column, array)
        return _decode_text(column, array)
    ctype = column.type
    is_str = pa.types.is_string(t) or pa.types.is_large_string(t)
    if is_str and ctype in ("string", "category"):
        return Converted(array, [])
    if is_str:
        if not (text or column.coerce or ctype in ("datetime", "date")):
            return _all_wrong(column, array)
        return _parse_text(column, array)
    if ctype == "integer":
        if pa.types.is_integer(t):
            if t == pa.uint64():
                over = pc.greater(array, pa.scalar(INT64_MAX, pa.uint64()))
                return _split(
                    column,
                    array,
                    over,
                    Failure(Code.INTEGER_OVERFLOW, "is outside the 64-bit integer range"),
                )
            return Converted(array.cast(pa.int64()), [])
        if pa.types.is_floating(t) and column.coerce:
            return _via_python(column, array)
        return _all_wrong(column, array)
    if ctype == "float":
        if pa.types.is_integer(t):
            # To the nearest double, as Python's float(int) does: a safe cast refuses every
            # integer past 2**53, even 2**60, which a double holds exactly.
            return Converted(pc.cast(array, pa.float64(), safe=False), [])
        if pa.types.is_floating(t) or pa.types.is_decimal(t):
            return Converted(array.cast(pa.float64()), [])
        return _all_wrong(column, array)
    if ctype == "boolean":
        if pa.types.is_boolean(t):
            return Converted(array, [])
        if pa.types.is_integer(t) and column.coerce:
            return _via_python(column, array)
        return _all_wrong(column, array)
    if ctype in ("string", "category"):
        if column.coerce and (pa.types.is_integer(t) or pa.types.is_floating(t)):
            return _via_python(column, array)
        return _all_wrong(column, array)
    if ctype == "date":
        if pa.types.is_date(t):
            return Converted(array.cast(pa.date32()), [])
        return _all_wrong(column, array)
    # datetime
    if pa.types.is_timestamp(t):
        return _timestamps(column, array)
    return _all_wrong(column, array)


def _rows(mask: Any) -> np.ndarray:
    import numpy as np
    import pyarrow.compute as pc

    filled = pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
    return np.flatnonzero(filled)


def _split(column: Column, array: pa.Array, bad: Any, failure: Failure) -> Converted:
    """Null out the cells where `bad` is true and report them with `failure`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = _rows(bad)
    if not len(rows):
        return Converted(array.cast(arrow_type(column)), [])
    kept = pc.if_else(pc.fill_null(bad, False), pa.scalar(None, array.type), array)
    return Converted(kept.cast(arrow_type(column)), [(failure, rows)])


def _all_wrong(column: Column, array: pa.Array) -> Converted:
    """Every non-null value has the wrong type; one sample decides the message."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = _rows(pc.is_valid(array))
    failures = []
    if len(rows):
        sample = array[int(rows[0])].as_py()
        failures.append((wrong_type(column, sample), rows))
    return Converted(pa.nulls(len(array), arrow_type(column)), failures)


def _via_python(column: Column, array: pa.Array, *, text: bool = False) -> Converted:
    """Convert each distinct value with the per-value form, then map back (exact parity)."""
    import numpy as np
    import pyarrow.compute as pc

    distinct = pc.unique(array)
    results = [
        (None, None) if v is None else convert_scalar(column, v, text=text)
        for v in distinct.to_pylist()
    ]
    typed = typed_array(column, [r[0] for r in results])
    index = pc.index_in(array, value_set=distinct)
    out = typed.take(index)
    failures: dict[Failure, list[int]] = {}
    for i, (_, failure) in enumerate(results):
        if failure is not None:
            failures.setdefault(failure, []).append(i)
    found = []
    index_np = pc.fill_null(index, -1).to_numpy(zero_copy_only=False)
    for failure, positions in failures.items():
        rows = np.flatnonzero(np.isin(index_np, np.asarray(positions)))
        found.append((failure, rows))
    return Converted(out, found)


def _decode_text(column: Column, array: pa.Array) -> Converted:
    """CSV cells arrive as bytes: decode as UTF-8, invalid cells are invalid_unicode."""
    import numpy as np
    import pyarrow as pa

    try:
        decoded = array.cast(pa.large_string())
    except pa.ArrowInvalid:
        bad: list[int] = []
        cells: list[str | None] = []
        for i, raw in enumerate(array.to_pylist()):
            if raw is None:
                cells.append(None)
                continue
            try:
                cells.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                bad.append(i)
                cells.append(None)
        decoded = pa.array(cells, type=pa.large_string())
        inner = (
            _parse_text(column, decoded)
            if column.type not in ("string", "category")
            else Converted(decoded, [])
        )
        inner.failures.insert(
            0,
            (Failure(Code.INVALID_UNICODE, "is not valid UTF-8"), np.asarray(bad, dtype=np.int64)),
        )
        return inner
    if column.type in ("string", "category"):
        return Converted(decoded, [])
    return _parse_text(column, decoded)


def _parse_text(column: Column, array: pa.Array) -> Converted:
    """Parse text by the contract's grammar; fast paths for numbers and booleans."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from skewless.checks import full_match

    ctype = column.type
    if ctype in ("datetime", "date"):
        return _via_python(column, array, text=True)
    if ctype == "boolean":
        lowered = pc.utf8_lower(array)
        ok = pc.is_in(lowered, value_set=pa.array(["true", "false"], lowered.type))
        bad = pc.and_(pc.is_valid(array), pc.invert(ok))
        out = pc.if_else(ok, pc.equal(lowered, "true"), pa.scalar(None, pa.bool_()))
        return _with_wrong(column, out, bad)
    grammar = INT_TEXT if ctype == "integer" else FLOAT_TEXT
    ok = pc.fill_null(pc.match_substring_regex(array, full_match(grammar)), False)
    bad = pc.and_(pc.is_valid(array), pc.invert(ok))
    unsigned = pc.replace_substring_regex(
        pc.if_else(ok, array, pa.scalar(None, array.type)), r"\A\+", ""
    )
    if ctype == "float":
        return _with_wrong(column, unsigned.cast(pa.float64()), bad)
    digits = pc.replace_substring_regex(unsigned, r"\A-?0*", "")
    length = pc.utf8_length(digits)
    negative = pc.starts_with(unsigned, "-")
    limit = pc.if_else(negative, "9223372036854775808", "9223372036854775807")
    over = pc.or_(
        pc.greater(length, 19),
        pc.and_(
            pc.equal(length, 19),
            pc.greater(digits.cast(pa.large_string()), limit.cast(pa.large_string())),
        ),
    )
    over = pc.fill_null(over, False)
    parsed = pc.if_else(over, pa.scalar(None, unsigned.type), unsigned).cast(pa.int64())
    converted = _with_wrong(column, parsed, bad)
    over_rows = _rows(over)
    if len(over_rows):
        converted.failures.append(
            (Failure(Code.INTEGER_OVERFLOW, "is outside the 64-bit integer range"), over_rows)
        )
    return converted


def _with_wrong(column: Column, out: pa.Array, bad: Any) -> Converted:
    """`out` with the rows where text did not read as the column's type reported."""
    rows = _rows(bad)
    return Converted(out, [(not_text_of(column), rows)] if len(rows) else [])


def _timestamps(column: Column, array: pa.Array) -> Converted:
    import pyarrow as pa
    import pyarrow.compute as pc

    assert column.timezone is not None
    target = arrow_type(column)
    array, outside = _microseconds(array)
    t = array.type
    if t.tz is not None:
        # An array typed in the column's own zone holds no value in another zone.
        if column.other_zones == "reject" and t.tz != column.timezone:
            instants = pc.fill_null(pc.cast(array, pa.int64()), 0).to_numpy(zero_copy_only=False)
            bad = instant_offsets(instants, t.tz) != instant_offsets(instants, column.timezone)
            converted = _split(
                column,
                array,
                pa.array(bad),
                Failure(Code.WRONG_TIMEZONE, f"is not in {column.timezone} (other_zones: reject)"),
            )
            converted.failures.extend(outside)
            return converted
        return Converted(convert_zone_column(array, column.timezone), outside)
    if column.naive == "reject":
        rows = _rows(pc.is_valid(array))
        failures = []
        if len(rows):
            failures.append(
                (
                    Failure(
                        Code.NAIVE_DATETIME,
                        _NAIVE.format(column.timezone),
                    ),
                    rows,
                )
            )
        return Converted(pa.nulls(len(array), target), failures + outside)
    out, failures = assume_zone_column(array, column.timezone)
    return Converted(out, failures + outside)


_US_MIN, _US_MAX = -62_135_596_800_000_000, 253_402_300_799_999_999  # years 1 to 9999
_PER_UNIT = {"s": 1_000_000, "ms": 1_000, "us": 1}


def _microseconds(array: pa.Array) -> tuple[pa.Array, list[tuple[Failure, np.ndarray]]]:
    """Timestamps in microseconds, as the per-value form holds them.

    Nanoseconds are dropped (floor, as pandas' `to_pydatetime` does); instants outside the years
    1 to 9999, which no Python datetime holds, are out_of_range and nulled.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    t = array.type
    raw = pc.cast(array, pa.int64())
    valid = pc.is_valid(raw).to_numpy(zero_copy_only=False)
    ints = pc.fill_null(raw, 0).to_numpy(zero_copy_only=False)
    if t.unit == "ns":
        us = ints // 1000
    else:
        per = _PER_UNIT[t.unit]
        limit = _US_MAX // per + 1
        ints = np.clip(ints, -limit, limit)  # no overflow below; clipped values fail the range
        us = ints * per
    outside = valid & ((us < _US_MIN) | (us > _US_MAX))
    failures = []
    if outside.any():
        failures.append((Failure(Code.OUT_OF_RANGE, OUTSIDE_YEARS), np.flatnonzero(outside)))
    out = pa.array(us, pa.int64(), mask=~valid | outside).cast(pa.timestamp("us", tz=t.tz))
    return out, failures
