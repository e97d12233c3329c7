"""Adversarial data: records and bodies that break a contract in one named way, each carrying the
violation code it must trigger.

    >>> from hypothesis import given
    >>> from skewless.adversarial import cases
    >>> @given(cases(contract))
    ... def test_the_gate_refuses(case):
    ...     result = contract.record_validator("serving").validate(case.record)
    ...     assert [(v.code, v.column) for v in result.violations] == case.expected

Each class of defect is one row of `DEFECTS` (a column's value), `STRUCTURE` (the record's keys)
or `BODIES` (the JSON text itself): its name, what it is, which columns it applies to, the code
it triggers there, and how its value is built from a valid one. A case is a valid record (drawn
by `skewless.strategies.records`) with that one defect, so the expected code is the only one:
where a defect would also break another rule of the column (a NUL byte in a patterned string
breaks the pattern too), the class does not apply to that column. `tests/test_strategies.py`
proves every case gets exactly its code on the record path, the batch path, `validate_body` and
the JSON Lines reader. Valid data nasty enough to crash a model: `skewless.nasty`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - the message is the point
    raise ImportError(
        "skewless.adversarial needs hypothesis: pip install hypothesis (or skewless[dev])"
    ) from exc

from skewless.checks import fullmatcher
from skewless.dtypes import INT64_MAX, INT64_MIN
from skewless.errors import Code
from skewless.normalize import zone
from skewless.strategies import (
    CONTROL,
    extra_names,
    float_bounds,
    instants,
    int_bounds,
    iso,
    records,
    to_body,
    valid,
)

if TYPE_CHECKING:
    from skewless.contract import Column, Contract, Env

Record = dict[str, Any]
Expected = tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, slots=True)
class Case:
    """One adversarial input: a record (or JSON body) with one defect, and the code it must
    trigger at `column` (None for the body as a whole). `also`: violations the same defect
    implies (a renamed column is also an unexpected one under `extra_columns: reject`)."""

    name: str
    column: str | None
    code: Code
    record: Record | None = None
    body: bytes | None = None
    also: tuple[tuple[Code, str | None], ...] = ()

    @property
    def expected(self) -> Expected:
        """Every (code, column) the validators must report, sorted."""
        found = [(str(self.code), self.column)] + [(str(c), name) for c, name in self.also]
        return tuple(sorted(found, key=lambda p: (p[0], p[1] or "")))


# --- what each defect is built from -----------------------------------------------------------

_CANNOT: Any = object()  # a defect this valid value cannot carry alone (see trailing_newline)
HOMOGLYPHS = str.maketrans("aceopxyACEHKMOPTXBS", "асеорхуАСЕНКМОРТХВЅ")  # Cyrillic look-alikes
NUL = "\x00"
CONTROLS = CONTROL.replace(NUL, "")  # ESC (ANSI colour codes), BEL, backspace, DEL...
ASTRAL = "😀🤖𝕏\U0001f469\U00010000\U0010ffff"
NON_ASCII = "éßΩ€\u00a0"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
RTL_MARKS = "\u200f\u202e\u2067\u061c"
SURROGATES = "\ud800\udbff\udc00\udfff"


def _text_column(c: Column) -> bool:
    return c.type == "string" and c.pattern is None


def _closed_vocabulary(c: Column, chars: str = "") -> bool:
    """A category without map_to whose values hold none of `chars` (so inserting one of them
    gives a value outside the vocabulary)."""
    return (
        c.type == "category"
        and c.map_to is None
        and not any(ch in value for value in c.values for ch in chars)
    )


def _put(value: str, char: str, at: int, longest: int | None) -> str:
    """`char` inserted into `value` at `at`, or put in place of the character there when the
    value is already as long as the column allows."""
    if longest is not None and len(value) >= longest:
        at = min(at, len(value) - 1)
        return value[:at] + char + value[at + 1 :]
    return value[:at] + char + value[at:]


def _inserted(chars: str) -> Callable[[Column, bool], st.SearchStrategy[Any]]:
    """A valid text value of the column with one of `chars` put into it."""

    def make(column: Column, python: bool) -> st.SearchStrategy[Any]:
        base = st.sampled_from(column.values) if column.type == "category" else valid(column)
        longest = column.max_length

        @st.composite
        def draw_one(draw: st.DrawFn) -> str:
            value = draw(base)
            at = draw(st.integers(0, len(value)))
            return _put(value, draw(st.sampled_from(chars)), at, longest)

        return draw_one()

    return make


def _near(column: Column, mutate: Callable[[str], Iterable[str]]) -> list[str]:
    """Vocabulary values mutated, kept where the result is outside the vocabulary."""
    known = set(column.values)
    out: dict[str, None] = {}
    for value in column.values:
        for mutated in mutate(value):
            if mutated not in known:
                out[mutated] = None
    return list(out)


def _cased(value: str) -> list[str]:
    return [value.lower(), value.upper(), value.swapcase(), value.capitalize()]


def _spaced(value: str) -> list[str]:
    return [" " + value, value + " ", value + "\t", "\u00a0" + value, value + "\n"]


def _homoglyphs(value: str) -> list[str]:
    return [
        value[:i] + ch.translate(HOMOGLYPHS) + value[i + 1 :]
        for i, ch in enumerate(value)
        if ch.translate(HOMOGLYPHS) != ch
    ]


def homoglyphs(column: Column) -> list[str]:
    """The column's vocabulary with Cyrillic look-alikes in place of Latin letters."""
    return _near(column, _homoglyphs)


def _below(column: Column) -> list[Any]:
    if column.type == "integer":
        lo, _ = int_bounds(column)
        return sorted({max(INT64_MIN, lo - d) for d in (1, 2, 1000, 2**32)} - {lo}, reverse=True)
    lo_f, _ = float_bounds(column)
    assert lo_f is not None
    out = [math.nextafter(lo_f, -math.inf), lo_f - 1, -_HUGE]
    out += [math.floor(lo_f) - 1] if abs(lo_f) < 2**53 else []
    return [v for v in out if v < lo_f]


def _above(column: Column) -> list[Any]:
    if column.type == "integer":
        _, hi = int_bounds(column)
        return sorted({min(INT64_MAX, hi + d) for d in (1, 2, 1000, 2**32)} - {hi})
    _, hi_f = float_bounds(column)
    assert hi_f is not None
    out = [math.nextafter(hi_f, math.inf), hi_f + 1, _HUGE]
    out += [math.ceil(hi_f) + 1] if abs(hi_f) < 2**53 else []
    return [v for v in out if v > hi_f]


_HUGE = 1.7976931348623157e308  # the largest float: nothing finite lies beyond it


def _has_min(c: Column) -> bool:
    """A bound with a value outside it that is still a number of the column's kind (below an
    int64 min is integer_overflow; below -1.8e308 is -inf)."""
    if c.type == "integer":
        return c.min is not None and int_bounds(c)[0] > INT64_MIN
    return c.type == "float" and c.min is not None and (float_bounds(c)[0] or 0.0) > -_HUGE


def _has_max(c: Column) -> bool:
    if c.type == "integer":
        return c.max is not None and int_bounds(c)[1] < INT64_MAX
    return c.type == "float" and c.max is not None and (float_bounds(c)[1] or 0.0) < _HUGE


def _overlong(column: Column, python: bool) -> st.SearchStrategy[Any]:
    longest = column.max_length or 0
    extra = st.sampled_from([0, 1, longest])
    return st.tuples(valid(column), extra).map(
        lambda p: p[0] + "a" * (longest + 1 - len(p[0]) + p[1])
    )


def _underlong(column: Column, python: bool) -> st.SearchStrategy[Any]:
    shortest = column.min_length or 0
    return valid(column).map(lambda v: v[: shortest - 1])


def _trailing_newline(column: Column, python: bool) -> st.SearchStrategy[Any]:
    """A valid value with a newline at its end, which `$` never matches before (RE2); put in
    place of the last character when the value is as long as allowed."""
    matches = fullmatcher(column.pattern or "")
    longest = column.max_length

    def newline(value: str) -> Any:
        bad = value + "\n" if longest is None or len(value) < longest else value[:-1] + "\n"
        return _CANNOT if matches(bad) else bad  # a pattern that takes newlines ([^,]+)

    return valid(column).map(newline)


# --- datetimes --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shift:
    """A change of a zone's UTC offset: naive wall times in [start, start + length) either do not
    exist (a gap: clocks jump forward) or exist twice (a fold: clocks go back)."""

    start: dt.datetime  # naive wall time
    length: dt.timedelta
    gap: bool


@lru_cache(maxsize=64)
def shifts(zone_name: str, first: int = 1970, last: int = 2037) -> tuple[Shift, ...]:
    """The DST gaps and folds of a zone between two years (found from its UTC offsets, sampled
    weekly, then to the second)."""
    tz = zone(zone_name)
    start = dt.datetime(first, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(last, 12, 31, tzinfo=dt.UTC)

    def offset(at: dt.datetime) -> dt.timedelta:
        return at.astimezone(tz).utcoffset() or dt.timedelta()

    out = []
    step = dt.timedelta(days=7)
    at, before = start, offset(start)
    while at < end:
        nxt = at + step
        after = offset(nxt)
        if after != before:
            lo, hi = at, nxt  # offset(lo) == before, offset(hi) == after
            while hi - lo > dt.timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if offset(mid) == before:
                    lo = mid
                else:
                    hi = mid
            old, new = offset(lo), offset(hi)
            if old != new:
                wall = hi.replace(tzinfo=None) + min(old, new)
                out.append(Shift(wall, abs(new - old), gap=new > old))
        at, before = nxt, after
    return tuple(out)


def _dst(gap: bool) -> Callable[[Column, bool], st.SearchStrategy[Any]]:
    """A naive wall time inside a DST gap or fold of the column's zone."""

    def make(column: Column, python: bool) -> st.SearchStrategy[Any]:
        found = [s for s in shifts(column.timezone or "UTC") if s.gap == gap]

        def wall(pair: tuple[Shift, float]) -> Any:
            shift, where = pair
            seconds = int(shift.length.total_seconds() * where)
            value = shift.start + dt.timedelta(seconds=seconds)
            return value if python else value.isoformat()

        return st.tuples(st.sampled_from(found), st.floats(0, 1, exclude_max=True)).map(wall)

    return make


def _has_dst(gap: bool) -> Callable[[Column], bool]:
    def applies(c: Column) -> bool:
        if c.type != "datetime" or c.naive != "assume" or c.timezone is None:
            return False
        return any(s.gap == gap for s in shifts(c.timezone))

    return applies


def _naive(column: Column, python: bool) -> st.SearchStrategy[Any]:
    tz = zone(column.timezone or "UTC")
    walls = instants().map(lambda u: u.astimezone(tz).replace(tzinfo=None))
    return walls if python else walls.map(dt.datetime.isoformat)


FOREIGN_OFFSETS = tuple(
    dt.timedelta(minutes=m) for m in (0, 60, -60, 30, 330, 540, -180, -300, 840, -720, 345)
)


def _foreign(column: Column, python: bool) -> st.SearchStrategy[Any]:
    """An aware value whose UTC offset is not the column zone's at that instant."""
    tz = zone(column.timezone or "UTC")

    def move(pair: tuple[dt.datetime, int]) -> Any:
        instant, pick = pair
        own = instant.astimezone(tz).utcoffset()
        others = [o for o in FOREIGN_OFFSETS if o != own]
        value = instant.astimezone(dt.timezone(others[pick % len(others)]))
        return value if python else iso(value)

    moments = instants(dt.datetime(1950, 1, 1), dt.datetime(2100, 1, 1))
    return st.tuples(moments, st.integers(0, len(FOREIGN_OFFSETS))).map(move)


OUTSIDE_YEARS = (
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T20:00:00-12:00",
    "0001-01-01T00:00:00+00:01",
    "0001-01-01T05:00:00+14:00",
)


def _outside_years(column: Column, python: bool) -> st.SearchStrategy[Any]:
    texts = st.sampled_from(OUTSIDE_YEARS)
    return texts.map(dt.datetime.fromisoformat) if python else texts


def _date_for_datetime(column: Column, python: bool) -> st.SearchStrategy[Any]:
    days = st.dates()
    return days if python else days.map(dt.date.isoformat)


def _datetime_for_date(column: Column, python: bool) -> st.SearchStrategy[Any]:
    moments = st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31))
    return moments if python else moments.map(dt.datetime.isoformat)


IMPOSSIBLE_DATETIMES = (
    "2024-02-30T10:00:00Z",
    "2023-02-29T00:00:00Z",
    "2024-04-31T12:00:00+02:00",
    "2024-05-01T24:00:00Z",
    "2024-05-01T10:60:00Z",
    "2024-06-30T23:59:60Z",
    "2024-13-01T00:00:00Z",
    "2024-05-01T10:00:00+0000Z",
)
IMPOSSIBLE_DATES = (
    "2024-02-30",
    "2023-02-29",
    "2024-04-31",
    "2024-00-10",
    "2024-13-01",
    "0000-01-01",
)


# --- the defects of a column's value -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Defect:
    """One class of defect in a column's value: where it applies, the code it triggers there,
    and its values (built from the column's bounds, valid values or vocabulary)."""

    name: str
    what: str
    applies: Callable[[Column], bool]
    code: Callable[[Column], Code]
    values: Callable[[Column, bool], st.SearchStrategy[Any]]  # (column, python) -> values


def _always(code: Code) -> Callable[[Column], Code]:
    return lambda column: code


def _vocabulary_or(code: Code) -> Callable[[Column], Code]:
    """`code` in string columns; in categories, a value outside the vocabulary is just that."""
    return lambda c: Code.NOT_IN_VOCABULARY if c.type == "category" else code


def _numeric(c: Column) -> bool:
    return c.type in ("integer", "float")


def _uncontrolled(c: Column) -> bool:
    return _text_column(c) and not c.allow_control


def _charset(charset: str) -> Callable[[Column], bool]:
    return lambda c: _text_column(c) and c.charset == charset


def _vocabulary_without(chars: str) -> Callable[[Column], bool]:
    return lambda c: _closed_vocabulary(c, chars)


def _near_misses(mutate: Callable[[str], Iterable[str]]) -> Callable[[Column], bool]:
    return lambda c: _closed_vocabulary(c) and bool(_near(c, mutate))


def _either(*tests: Callable[[Column], bool]) -> Callable[[Column], bool]:
    return lambda c: any(test(c) for test in tests)


def _of(*types: str, coerce: bool | None = None) -> Callable[[Column], bool]:
    """Columns of these types (and, if `coerce` is given, with that `coerce`)."""
    return lambda c: c.type in types and (coerce is None or c.coerce == coerce)


def _just(*options: Any) -> Callable[[Column, bool], st.SearchStrategy[Any]]:
    return lambda column, python: st.sampled_from(options)


def _unseen(column: Column, python: bool) -> st.SearchStrategy[Any]:
    longest = max(map(len, column.values))
    return st.text(st.characters(codec="utf-8"), min_size=longest + 1, max_size=longest + 40)


_INF = (math.inf, -math.inf)
_BIG = (INT64_MAX + 1, 2**64, 10**30)
_SMALL = (INT64_MIN - 1, -(2**64), -(10**30))
_TEXT_BOOLS = ("true", "false", "True", "yes", "1", "")
_CONTAINERS: tuple[Any, ...] = ([], {}, [1], {"value": 1})
_NUMBERS: st.SearchStrategy[Any] = st.integers() | st.floats(allow_nan=False)
_EPOCHS: st.SearchStrategy[Any] = st.integers(0, 2**32) | st.floats(0, 2e9)
_NOT_NULLABLE: Callable[[Column], bool] = lambda c: not c.nullable  # noqa: E731 - a table cell
C = Code

# One row per class of defect in a column's value: its name, what it is (docs/fuzzing.md lists
# the same), the columns it applies to, the code it triggers there, and its values.
# fmt: off
DEFECTS: tuple[Defect, ...] = (
    Defect("nul", "a NUL byte (U+0000) inside a valid value",
           _either(_uncontrolled, _vocabulary_without(NUL)),
           _vocabulary_or(C.CONTROL_CHARACTER), _inserted(NUL)),
    Defect("control", "another C0 control character or DEL (ESC of ANSI colours, BEL...)",
           _either(_uncontrolled, _vocabulary_without(CONTROLS)),
           _vocabulary_or(C.CONTROL_CHARACTER), _inserted(CONTROLS)),
    Defect("astral_in_bmp", "a 4-byte UTF-8 character (an emoji, U+10000 and above)",
           _charset("bmp"), _always(C.OUTSIDE_CHARSET), _inserted(ASTRAL)),
    Defect("non_ascii", "a character outside ASCII (é, ß, €, a no-break space)",
           _charset("ascii"), _always(C.OUTSIDE_CHARSET), _inserted(NON_ASCII)),
    Defect("zero_width", "a zero-width character (ZWSP, ZWJ, word joiner, BOM)",
           _either(_charset("ascii"), _vocabulary_without(ZERO_WIDTH)),
           _vocabulary_or(C.OUTSIDE_CHARSET), _inserted(ZERO_WIDTH)),
    Defect("rtl_mark", "a right-to-left mark or override (U+200F, U+202E)",
           _either(_charset("ascii"), _vocabulary_without(RTL_MARKS)),
           _vocabulary_or(C.OUTSIDE_CHARSET), _inserted(RTL_MARKS)),
    Defect("lone_surrogate", "a lone UTF-16 surrogate (U+D800 to U+DFFF: no UTF-8 holds it)",
           _of("string", "category"), _always(C.INVALID_UNICODE), _inserted(SURROGATES)),
    Defect("overlong", "one character more than max_length (and twice as long)",
           lambda c: _text_column(c) and c.max_length is not None,
           _always(C.TOO_LONG), _overlong),
    Defect("underlong", "one character less than min_length",
           lambda c: _text_column(c) and bool(c.min_length), _always(C.TOO_SHORT), _underlong),
    Defect("trailing_newline", "a valid value ending in a newline (`$` never matches before it)",
           lambda c: c.type == "string" and c.pattern is not None,
           _always(C.PATTERN_MISMATCH), _trailing_newline),
    Defect("near_miss_case", "a vocabulary value in another case (chrome, CHROME)",
           _near_misses(_cased), _always(C.NOT_IN_VOCABULARY),
           lambda c, python: st.sampled_from(_near(c, _cased))),
    Defect("near_miss_space", "a vocabulary value with a space, tab or newline around it",
           _near_misses(_spaced), _always(C.NOT_IN_VOCABULARY),
           lambda c, python: st.sampled_from(_near(c, _spaced))),
    Defect("homoglyph", "a vocabulary value with a Cyrillic look-alike letter (Сhrome)",
           _near_misses(_homoglyphs), _always(C.NOT_IN_VOCABULARY),
           lambda c, python: st.sampled_from(_near(c, _homoglyphs))),
    Defect("unseen_category", "text longer than every vocabulary value (a user agent)",
           _closed_vocabulary, _always(C.NOT_IN_VOCABULARY), _unseen),
    Defect("nan", "NaN (the JSON literal NaN)",
           lambda c: c.type == "float" and not c.allow_nan,
           _always(C.NAN_NOT_ALLOWED), _just(math.nan)),
    Defect("inf", "+inf or -inf (the JSON literals Infinity and -Infinity)",
           lambda c: c.type == "float" and not c.allow_inf,
           _always(C.INF_NOT_ALLOWED), _just(*_INF)),
    Defect("below_min", "the largest number below min, and others below it",
           _has_min, _always(C.OUT_OF_RANGE), lambda c, python: st.sampled_from(_below(c))),
    Defect("above_max", "the smallest number above max, and others above it",
           _has_max, _always(C.OUT_OF_RANGE), lambda c, python: st.sampled_from(_above(c))),
    Defect("int64_max_plus_1", "2**63, and larger integers",
           _of("integer"), _always(C.INTEGER_OVERFLOW), _just(*_BIG)),
    Defect("int64_min_minus_1", "-2**63 - 1, and smaller integers",
           _of("integer"), _always(C.INTEGER_OVERFLOW), _just(*_SMALL)),
    Defect("bool_as_int", "true or false where a number is expected",
           _numeric, _always(C.WRONG_TYPE), _just(True, False)),
    Defect("whole_float", "a valid integer written as a float (30.0)",
           _of("integer", coerce=False), _always(C.WRONG_TYPE),
           lambda c, python: valid(c).map(float)),
    Defect("number_as_string", "a valid number sent as text (\"42\")",
           _of("integer", "float", coerce=False), _always(C.WRONG_TYPE),
           lambda c, python: valid(c).map(str)),
    Defect("int_as_bool", "0 or 1 where a boolean is expected",
           _of("boolean", coerce=False), _always(C.WRONG_TYPE), _just(0, 1)),
    Defect("bool_as_string", "a boolean sent as text (\"true\", \"yes\")",
           _of("boolean", coerce=False), _always(C.WRONG_TYPE), _just(*_TEXT_BOOLS)),
    Defect("number_for_text", "a number where text is expected",
           _of("string", "category", coerce=False), _always(C.WRONG_TYPE),
           lambda c, python: _NUMBERS),
    Defect("naive_datetime", "a wall time without a zone (naive: reject)",
           lambda c: c.type == "datetime" and c.naive == "reject",
           _always(C.NAIVE_DATETIME), _naive),
    Defect("foreign_zone", "an aware value at another offset than the zone's (other_zones: reject)",
           lambda c: c.type == "datetime" and c.other_zones == "reject",
           _always(C.WRONG_TIMEZONE), _foreign),
    Defect("dst_gap", "a wall time the zone skips when clocks go forward (naive: assume)",
           _has_dst(gap=True), _always(C.NAIVE_DATETIME), _dst(gap=True)),
    Defect("dst_fold", "a wall time the zone sees twice when clocks go back (naive: assume)",
           _has_dst(gap=False), _always(C.NAIVE_DATETIME), _dst(gap=False)),
    Defect("outside_years", "an aware value whose instant is before the year 1 or after 9999",
           _of("datetime"), _always(C.OUT_OF_RANGE), _outside_years),
    Defect("date_for_datetime", "a date without a time (2024-05-01)",
           _of("datetime"), _always(C.WRONG_TYPE), _date_for_datetime),
    Defect("epoch_number", "seconds since the epoch (never guessed)",
           _of("datetime"), _always(C.WRONG_TYPE), lambda c, python: _EPOCHS),
    Defect("impossible_datetime", "ISO 8601 text of no calendar time (Feb 30, 24:00, 23:59:60)",
           _of("datetime"), _always(C.WRONG_TYPE), _just(*IMPOSSIBLE_DATETIMES)),
    Defect("datetime_for_date", "a datetime where a date is expected",
           _of("date"), _always(C.WRONG_TYPE), _datetime_for_date),
    Defect("impossible_date", "YYYY-MM-DD text of no calendar date (2023-02-29)",
           _of("date"), _always(C.WRONG_TYPE), _just(*IMPOSSIBLE_DATES)),
    Defect("null", "null in a column that is not nullable",
           _NOT_NULLABLE, _always(C.NULL_NOT_ALLOWED), _just(None)),
    Defect("wrong_type", "a JSON array or object as a value",
           lambda c: True, _always(C.WRONG_TYPE), _just(*_CONTAINERS)),
)
# fmt: on
_WRONG_TYPE = DEFECTS[-1]


# --- defects of the record's keys and of the JSON text ------------------------------------------


@dataclass(frozen=True, slots=True)
class Shape:
    """A class of defect in a record's keys or in the body's JSON text: what it is, the code it
    triggers, and the columns it applies to in an environment (None: the body as a whole)."""

    name: str
    what: str
    code: Code
    columns: Callable[[Contract, Env | None], list[str | None]]


def _required(contract: Contract, env: Env | None) -> list[str | None]:
    return [c.name for c in contract.columns if c.required_in(env)]


def _misplaced(contract: Contract, env: Env | None) -> list[str | None]:
    return [c.name for c in contract.columns if not c.allowed_in(env)]


def _extra(contract: Contract, env: Env | None) -> list[str | None]:
    return list(extra_names(contract)) if contract.extra_columns == "reject" else []


def _texts(contract: Contract, env: Env | None) -> list[str | None]:
    return [
        c.name for c in contract.columns if c.allowed_in(env) and c.type in ("string", "category")
    ]


def _whole(contract: Contract, env: Env | None) -> list[str | None]:
    return [None]


# fmt: off
STRUCTURE: tuple[Shape, ...] = (
    Shape("missing_column", "a required column left out", Code.MISSING_COLUMN, _required),
    Shape("extra_column", "a key the contract does not declare (extra_columns: reject)",
          Code.UNEXPECTED_COLUMN, _extra),
    Shape("misplaced_column", "a column of the other environment (a label sent to serving)",
          Code.UNEXPECTED_COLUMN, _misplaced),
    Shape("renamed_column", "a required column under another name (also unexpected_column "
          "under reject)", Code.MISSING_COLUMN, _required),
)
BODIES: tuple[Shape, ...] = (
    Shape("duplicate_json_key", "a key twice in one JSON object", Code.MALFORMED_INPUT, _whole),
    Shape("not_an_object", "a JSON number, string, boolean or null", Code.MALFORMED_INPUT, _whole),
    Shape("truncated_json", "the JSON text cut short", Code.MALFORMED_INPUT, _whole),
    Shape("deep_nesting", "a value nested 10,000 arrays deep", Code.MALFORMED_INPUT, _whole),
    Shape("invalid_utf8", "a byte that is not UTF-8 inside a text value", Code.INVALID_UNICODE,
          _texts),
)
# fmt: on


def classes(
    contract: Contract, *, env: Env | None = "serving"
) -> tuple[tuple[str, str | None], ...]:
    """Every (class, column) pair `cases` draws from, in table order."""
    out: list[tuple[str, str | None]] = [
        (d.name, c.name)
        for d in DEFECTS
        for c in contract.columns
        if c.allowed_in(env) and d.applies(c)
    ]
    for shape in STRUCTURE + BODIES:
        out += [(shape.name, column) for column in shape.columns(contract, env)]
    return tuple(out)


def cases(
    contract: Contract,
    *,
    env: Env | None = "serving",
    python: bool = False,
    only: Collection[str] | None = None,
) -> st.SearchStrategy[Case]:
    """Cases that break `contract` in `env` in one named way each (every class that applies to
    its columns, or those named in `only`). Records are JSON-like unless `python=True`."""
    by_class: dict[str, list[str | None]] = {}
    for name, column in classes(contract, env=env):
        if only is None or name in only:
            by_class.setdefault(name, []).append(column)
    if not by_class:
        return st.nothing()

    def of_class(name: str) -> st.SearchStrategy[Case]:
        columns = st.sampled_from(by_class[name])
        return columns.flatmap(lambda column: _case(contract, env, python, name, column))

    # A class first, then a column: every class is as likely, however many columns it has.
    return st.sampled_from(list(by_class)).flatmap(of_class)


_DEFECT = {d.name: d for d in DEFECTS}
_SHAPE = {s.name: s for s in STRUCTURE + BODIES}


@lru_cache(maxsize=4096)  # strategies are values: build each once, draw it many times
def _case(
    contract: Contract, env: Env | None, python: bool, name: str, column: str | None
) -> st.SearchStrategy[Case]:
    base = records(contract, env=env, python=python and name not in _BODY_NAMES)
    if name in _DEFECT:
        assert column is not None
        return st.tuples(base, _DEFECT[name].values(contract.column(column), python)).map(
            lambda p: _value_case(contract, name, column, p[0], p[1])
        )
    if name in _BODY_NAMES:
        return _body_case(contract, env, name, column, base)
    return _structure_case(contract, name, column, base, python)


_BODY_NAMES = frozenset(s.name for s in BODIES)


def _value_case(contract: Contract, name: str, column: str, record: Record, bad: Any) -> Case:
    defect = _DEFECT[name]
    col = contract.column(column)
    if bad is _CANNOT:  # the column takes this defect: the one that always applies instead
        defect, bad = _WRONG_TYPE, []
    return Case(defect.name, column, defect.code(col), record={**record, column: bad})


def _structure_case(
    contract: Contract,
    name: str,
    column: str | None,
    base: st.SearchStrategy[Record],
    python: bool,
) -> st.SearchStrategy[Case]:
    assert column is not None
    shape = _SHAPE[name]
    if name == "missing_column":
        return base.map(
            lambda r: Case(name, column, shape.code, {k: v for k, v in r.items() if k != column})
        )
    if name in ("extra_column", "misplaced_column"):
        held = (
            valid(contract.column(column), python=python)
            if name == "misplaced_column"
            else st.integers()
        )
        return st.tuples(base, held).map(
            lambda p: Case(name, column, shape.code, {**p[0], column: p[1]})
        )
    new = _renamed(contract, column)
    also = ((Code.UNEXPECTED_COLUMN, new),) if contract.extra_columns == "reject" else ()

    def rename(record: Record) -> Case:
        moved = {(new if k == column else k): v for k, v in record.items()}
        return Case(name, column, shape.code, moved, also=also)

    return base.map(rename)


def _renamed(contract: Contract, column: str) -> str:
    """A probable rename of `column` that is no column of the contract."""
    names = set(contract.column_names)
    candidates = [column.upper(), column.replace("_", ""), column + "s", column + "_v2"]
    return next(c for c in [*candidates, f"renamed_{column}"] if c not in names and c != column)


DEPTH = 10_000


def _body_case(
    contract: Contract,
    env: Env | None,
    name: str,
    column: str | None,
    base: st.SearchStrategy[Record],
) -> st.SearchStrategy[Case]:
    code = _SHAPE[name].code
    if name == "not_an_object":
        scalars = st.sampled_from([b"42", b'"text"', b"true", b"null", b"-1.5e3"])
        return scalars.map(lambda body: Case(name, None, code, body=body))
    if name == "invalid_utf8":
        assert column is not None
        raw = st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"a\x80b"])
        return st.tuples(base, raw).map(
            lambda p: Case(name, column, code, body=_raw_body({**p[0], column: _RAW}, p[1]))
        )
    if name == "deep_nesting":
        key = contract.columns[0].name
        nested = b"[" * DEPTH + b"]" * DEPTH
        return base.map(lambda r: Case(name, None, code, body=_raw_body({**r, key: _RAW}, nested)))
    if name == "duplicate_json_key":

        def duplicated(record: Record) -> Case:
            key = next(iter(record), contract.columns[0].name)
            pair = f"{json.dumps(key)}:{json.dumps(record.get(key), allow_nan=True)}"
            text = to_body(record).decode() if record else "{" + pair + "}"
            return Case(name, None, code, body=(text[:-1] + "," + pair + "}").encode())

        return base.map(duplicated)

    def truncated(pair: tuple[Record, float]) -> Case:
        record, where = pair
        text = to_body(record, ensure_ascii=False).decode()
        cut = 1 + int((len(text) - 2) * where)  # never empty, never the closing brace
        return Case(name, None, code, body=text[:cut].encode())

    return st.tuples(base, st.floats(0, 1, exclude_max=True)).map(truncated)


_RAW: Any = object()  # a value written as raw bytes by `_raw_body`


def _raw_body(record: Record, raw: bytes) -> bytes:
    """A record as JSON, the value `_RAW` written as `raw` (inside quotes unless it is an
    array): bytes json.dumps cannot write."""
    parts = []
    for key, value in record.items():
        if value is _RAW:
            written = raw if raw.startswith(b"[") else b'"' + raw + b'"'
        else:
            written = to_body(value)
        parts.append(to_body(key) + b":" + written)
    return b"{" + b",".join(parts) + b"}"


__all__ = [
    "BODIES",
    "DEFECTS",
    "STRUCTURE",
    "Case",
    "Defect",
    "Shape",
    "Shift",
    "cases",
    "classes",
    "homoglyphs",
    "shifts",
]
