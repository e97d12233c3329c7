"""The online path: one record (a dict) or a micro-batch, validated and normalised per value.

    >>> validator = contract.record_validator(env="serving")
    >>> result = validator.validate({"user_id": 7, "browser_type": "Chrome", ...})
    >>> result.ok, result.record            # the normalised record, as the batch path makes it
    >>> [v.code for v in result.violations]

Same verdicts, same codes per column, same normalised values as the batch engine (proved by
`tests/test_parity.py`): both read the check table of `skewless.checks`, the conversions of
`skewless.dtypes` and the steps of `skewless.normalize`, value by value here. This module
imports no pandas, pyarrow, pandera or hypothesis.

Each column is compiled once into a test for the common case (a value of the right Python type
that passes every check, e.g. `type(v) is int and 1 <= v <= 120`), which returns the value
itself; anything else takes the general path, which says exactly what is wrong. A fast test
only ever accepts values the general path accepts unchanged.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from skewless.checks import checks_for, fullmatcher
from skewless.dtypes import INT64_MAX, INT64_MIN, convert_scalar, is_null
from skewless.errors import Code
from skewless.normalize import normalize_value, zone
from skewless.payload import MAX_BYTES, MAX_RECORDS
from skewless.report import REDACTED, Violation, escape

if TYPE_CHECKING:
    from skewless.contract import Column, Contract, Env


class _Slow(Exception):
    """Raised by a fast test: "take the general path" (cheaper than checking every answer)."""


_ABSENT: Any = object()
_FLOAT_MAX = 1.7976931348623157e308


@dataclass(slots=True)
class BodyResult:
    """A request body's outcome: one result per record (a list of one unless `batch`), or the
    body's own problems (`violations`: not JSON, too large...) and no results."""

    batch: bool
    results: list[RecordResult]
    violations: tuple[Violation, ...] = ()

    @property
    def ok(self) -> bool:
        if self.violations:
            return False
        for result in self.results:  # noqa: SIM110 - all() of a generator costs more
            if result.violations:
                return False
        return True


@dataclass(slots=True)  # not frozen: a frozen dataclass costs a microsecond to build
class RecordResult:
    """One record's outcome: the normalised record when it passes, else its violations."""

    record: dict[str, Any] | None
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.violations


# --- structure messages (shared with the batch engine) ------------------------------------------


def missing_message(column: Column) -> str:
    message = "is missing"
    if column.only_in is not None:
        message += f" (required in {column.only_in} data)"
    return message


def misplaced_message(env: Env | None) -> str:
    other = "serving" if env == "training" else "training"
    return f"exists only in {other} data (only_in), not in {env} data"


EXTRA_MESSAGE = "is not in the contract (extra_columns: reject)"
NOT_A_RECORD = "is not a JSON object (a record is a mapping of column names to values)"


# --- one column -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    """A column compiled for the record path."""

    column: Column
    required: bool
    absent: Any  # the normalised value of a missing required key (a null, or its fill)
    fast: Callable[[Any], Any]  # the value itself, normalised; raises _Slow otherwise
    # The check table's per-value forms for this column: (code, message, test).
    tests: tuple[tuple[Code, str, Callable[[Any], bool]], ...] = ()

    def general(self, value: Any) -> tuple[Any, list[tuple[Code, str]]]:
        """The normalised value and every (code, message) the value breaks, as batch says."""
        column = self.column
        if is_null(value, column, nan_is_null=False):
            failures = []
            if not column.nullable:
                failures.append((Code.NULL_NOT_ALLOWED, "is null and the column is not nullable"))
            return normalize_value(column, None), failures
        converted, failure = convert_scalar(column, value)
        if failure is not None:
            return None, [(failure.code, failure.message)]
        normalised = normalize_value(column, converted)
        return normalised, [
            (code, message) for code, message, test in self.tests if not test(normalised)
        ]


def _plan(column: Column, env: Env | None) -> _Plan:
    tests = tuple((k.code, k.message(column), k.scalar(column)) for k in checks_for(column))
    absent = normalize_value(column, None)
    plan = _Plan(column, column.required_in(env), absent, _slow, tests)
    return _Plan(column, plan.required, absent, _fast_test(plan), tests)


def _slow(value: Any) -> Any:
    raise _Slow


def _fast_test(plan: _Plan) -> Callable[[Any], Any]:
    """The common-case test of a column (see the module docstring), or `_slow` for types whose
    every value takes the general path."""
    column = plan.column
    kinds = {kind.code for kind in checks_for(column)}
    # A nullable column's null is its null value (filled, or None). Tested where a value
    # fails its type test, so that values pay nothing for it.
    nullable, null = column.nullable, plan.absent
    if column.type == "integer":
        lo = INT64_MIN if column.min is None else max(INT64_MIN, math.ceil(column.min))
        hi = INT64_MAX if column.max is None else min(INT64_MAX, math.floor(column.max))

        def integer(v: Any) -> Any:
            if type(v) is int and lo <= v <= hi:
                return v
            if v is None and nullable:
                return null
            raise _Slow

        return integer
    if column.type == "float":
        flo = -_FLOAT_MAX if column.min is None else column.min
        fhi = _FLOAT_MAX if column.max is None else column.max

        def number(v: Any) -> Any:
            # Comparisons are exact between a float and an int bound; NaN fails them, and
            # so does an infinity (the default bounds are the largest finite floats).
            if type(v) is float and flo <= v <= fhi:
                return v
            if v is None and nullable:
                return null
            raise _Slow

        return number
    if column.type == "boolean":

        def boolean(v: Any) -> Any:
            if type(v) is bool:
                return v
            if v is None and nullable:
                return null
            raise _Slow

        return boolean
    if column.type == "category":
        # The vocabulary values that pass every check as they are (all of them, in practice).
        known = frozenset(x for x in column.values if plan.general(x) == (x, []))

        other = column.map_to

        def category(v: Any) -> Any:
            if type(v) is str:
                if v in known:
                    return v
                # An unknown value maps to map_to (printable: no lone surrogate to report).
                if other is not None and v.isprintable():
                    return other
            elif v is None and nullable:
                return null
            raise _Slow

        return category
    if column.type == "string" and kinds <= {
        Code.CONTROL_CHARACTER,
        Code.OUTSIDE_CHARSET,
        Code.TOO_SHORT,
        Code.TOO_LONG,
        Code.PATTERN_MISMATCH,
    }:
        return _string_test(column, kinds, nullable, null)
    if column.type == "datetime" and not kinds:
        return _datetime_test(column, nullable, null)
    if column.type == "date" and not kinds:
        return _date_test(nullable, null)
    return _slow


_NO_ZONE: Any = object()  # a tzinfo no datetime holds
_CACHE = 4096  # distinct strings a pattern column remembers as passing, before it forgets
_CACHED_LENGTH = 64  # only strings this short are remembered


def _string_test(
    column: Column, kinds: set[Code], nullable: bool, null: Any
) -> Callable[[Any], Any]:
    shortest = column.min_length or 0
    longest = column.max_length if column.max_length is not None else 1 << 62
    ascii_only = column.charset == "ascii"
    # The characters no passing value holds, as one Python regex (a fixed character class:
    # linear time): lone surrogates always (invalid_unicode), control characters unless
    # allowed, 4-byte characters under `charset: bmp`. An ASCII string that `isprintable()`
    # holds none of them and skips the search.
    bad = r"\ud800-\udfff"
    if Code.CONTROL_CHARACTER in kinds:
        bad += r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
    if column.charset == "bmp":
        bad += r"\U00010000-\U0010ffff"
    search = re.compile(f"[{bad}]").search
    fullmatch = fullmatcher(column.pattern) if column.pattern is not None else None
    # Values that passed, remembered when a pattern runs: serving traffic repeats its
    # countries and referrers, and a dict lookup costs a tenth of a match.
    passed: dict[str, None] = {}

    def text(v: Any) -> Any:
        if type(v) is not str:
            if v is None and nullable:
                return null
            raise _Slow
        if v in passed:
            return v
        if not shortest <= len(v) <= longest:
            raise _Slow
        if v.isascii():
            if not v.isprintable() and search(v):
                raise _Slow
        elif ascii_only or search(v):
            raise _Slow
        if fullmatch is not None:
            if not fullmatch(v):
                raise _Slow
            if len(v) <= _CACHED_LENGTH:
                if len(passed) >= _CACHE:
                    passed.clear()
                passed[v] = None
        return v

    return text


# ISO 8601 text the general path reads the same way, in the shapes clients send (see
# dtypes.DATETIME_TEXT): a UTC instant with `Z`, and a wall time with no offset.
_UTC_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?Z")
_WALL_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _datetime_test(column: Column, nullable: bool, null: Any) -> Callable[[Any], Any]:
    """UTC columns: `...Z` text; `naive: assume` columns: wall-time text on a day with no DST
    change (each day's answer is remembered). Aware values in the zone itself pass as they are."""
    assert column.timezone is not None
    tz = zone(column.timezone)
    utc = column.timezone == "UTC"
    assume = column.naive == "assume"
    parse = dt.datetime.fromisoformat
    new = dt.datetime
    utc_text, wall_text = _UTC_TEXT.fullmatch, _WALL_TEXT.fullmatch
    # Aware values pass as they are only in UTC: in another zone a wall time may not exist
    # (02:30 on a spring-forward day), or its instant may fall past the year 9999.
    utc_zone = dt.UTC if utc else _NO_ZONE  # never `None`: that would pass naive values
    plain: dict[int, bool | None] = {}  # day ordinal -> no DST change near it (see _plain_day)

    def instant(v: Any) -> Any:
        if type(v) is str and utc_text(v):
            try:
                return parse(v)  # `Z`: in datetime.UTC, the column's zone (normalize.zone)
            except ValueError:
                raise _Slow from None
        if type(v) is dt.datetime and v.tzinfo is utc_zone:  # UTC: no gap, no fold
            return v
        if v is None and nullable:
            return null
        raise _Slow

    def wall(v: Any) -> Any:
        if type(v) is str and wall_text(v):
            try:
                naive = parse(v)
            except ValueError:
                raise _Slow from None
            day = naive.toordinal()
            known = plain.get(day)
            if known is None:
                known = _plain_day(naive.date(), tz)
                if len(plain) >= _CACHE:
                    plain.clear()
                plain[day] = known
            p = naive
            early = new(p.year, p.month, p.day, p.hour, p.minute, p.second, p.microsecond, tz)
            if known:
                return early
            # A day with a DST change: this wall time reads one way unless it is in the gap
            # or the fold (its two folds then have two offsets), as assume_zone_value says.
            if known is False and early.utcoffset() == early.replace(fold=1).utcoffset():
                return early
            raise _Slow  # or the first or last day a datetime holds: the general path
        if type(v) is dt.datetime and v.tzinfo is utc_zone:  # UTC: no gap, no fold
            return v
        if v is None and nullable:
            return null
        raise _Slow

    if utc:
        return instant
    if assume:
        return wall

    def aware(v: Any) -> Any:
        if type(v) is dt.datetime and v.tzinfo is utc_zone:  # UTC: no gap, no fold
            return v
        if v is None and nullable:
            return null
        raise _Slow

    return aware


def _plain_day(day: dt.date, tz: Any) -> bool | None:
    """Whether every wall time of `day` (and the edges of the next) reads one way in `tz`:
    the offset is the same at every quarter hour, folds and gaps alike. None for the first
    and last days a datetime holds, whose instants may fall outside the years 1 to 9999."""
    if not dt.date(1, 1, 2) <= day <= dt.date(9999, 12, 30):
        return None
    start = dt.datetime.combine(day, dt.time())
    offsets = set()
    for quarter in range(24 * 4 + 1):
        wall = start + dt.timedelta(minutes=15 * quarter)
        offsets.add(wall.replace(tzinfo=tz, fold=0).utcoffset())
        offsets.add(wall.replace(tzinfo=tz, fold=1).utcoffset())
        if len(offsets) > 1:
            return False
    return True


def _date_test(nullable: bool, null: Any) -> Callable[[Any], Any]:
    date_text, parse = _DATE_TEXT.fullmatch, dt.date.fromisoformat

    def date(v: Any) -> Any:
        if type(v) is str and date_text(v):
            try:
                return parse(v)
            except ValueError:
                raise _Slow from None
        if type(v) is dt.date:
            return v
        if v is None and nullable:
            return null
        raise _Slow

    return date


# --- the validator ----------------------------------------------------------------------------


class RecordValidator:
    """A contract compiled for records: `validate(record)` or `validate_many(records)`."""

    def __init__(self, contract: Contract, env: Env | None = None) -> None:
        contract.require_frozen()
        self.contract = contract
        self.env = env
        self._plans = tuple(_plan(c, env) for c in contract.columns if c.allowed_in(env))
        self._names = frozenset(c.name for c in contract.columns)
        self._misplaced = frozenset(c.name for c in contract.columns if not c.allowed_in(env))
        self._extras = contract.extra_columns
        self._fast = tuple((plan.column.name, plan.fast) for plan in self._plans)
        self._size = len(self._plans)
        self.body_fast: Any = False  # skewless.body's fast way: False until compiled

    def validate(self, record: Any, *, row: int | None = None) -> RecordResult:
        """One record. `row` numbers its violations (its place in a micro-batch)."""
        # The common case first: every key present, no other key, every value passing its
        # column's fast test. Anything else is judged again by `_judge`, which says why.
        if type(record) is dict and len(record) == self._size:
            get = record.get
            try:
                out = {name: fast(get(name, _ABSENT)) for name, fast in self._fast}
            except _Slow:
                pass
            else:
                return RecordResult(out, ())
        return self._judge(record, row)

    def _judge(self, record: Any, row: int | None) -> RecordResult:
        if not isinstance(record, Mapping):
            kind = type(record).__name__
            return RecordResult(
                None,
                (
                    Violation(
                        Code.MALFORMED_INPUT.value, None, row, None, f"{NOT_A_RECORD}; got {kind}"
                    ),
                ),
            )
        out: dict[str, Any] = {}
        found: list[Violation] | None = None
        seen = 0
        for plan in self._plans:
            column = plan.column
            name = column.name
            value = record.get(name, _ABSENT)
            if value is _ABSENT:
                if plan.required:  # missing_column alone (the record is rejected anyway)
                    found = found or []
                    message = missing_message(column)
                    found.append(Violation(Code.MISSING_COLUMN.value, name, row, None, message))
                    out[name] = plan.absent
                    continue
                value = None  # an optional key a record lacks reads as null
            else:
                seen += 1
            try:
                normalised = plan.fast(value)
            except _Slow:
                normalised, failures = plan.general(value)
                if failures:
                    found = found or []
                    # As the batch report shows it: a null is no value, a pii value is hidden.
                    shown = None if value is None else REDACTED if column.pii else escape(value)
                    for code, message in failures:
                        found.append(Violation(str(code), name, row, shown, message))
            out[name] = normalised
        if len(record) > seen:
            found = self._other_keys(record, out, row, found)
        if found:
            return RecordResult(None, tuple(found))
        return RecordResult(out, ())

    def validate_body(
        self, body: bytes, *, max_bytes: int = MAX_BYTES, max_records: int = MAX_RECORDS
    ) -> BodyResult:
        """A request body (JSON bytes): one record or a micro-batch, parsed as
        `skewless.payload` reads JSON and validated; problems with the body itself are in
        `BodyResult.violations`."""
        fast = self.body_fast
        if fast and len(body) <= max_bytes:  # compiled, and not None (no msgspec): try it
            record = fast(body)
            if record is not None:
                return BodyResult(False, [RecordResult(record, ())])
        result: BodyResult = _body().validate_body(
            self, body, max_bytes=max_bytes, max_records=max_records
        )
        return result

    def validate_many(self, records: Sequence[Any]) -> list[RecordResult]:
        """A micro-batch: one result per record, violations numbered by position."""
        return [self.validate(record, row=i) for i, record in enumerate(records)]

    def _other_keys(
        self,
        record: Mapping[Any, Any],
        out: dict[str, Any],
        row: int | None,
        found: list[Violation] | None,
    ) -> list[Violation] | None:
        """Keys that are not columns of this environment: unexpected, kept or dropped."""
        for key, value in record.items():
            if key in out:
                continue
            if key in self._misplaced:
                found = found or []
                message = misplaced_message(self.env)
                found.append(Violation(Code.UNEXPECTED_COLUMN.value, key, row, None, message))
            elif self._extras == "reject" or not isinstance(key, str):
                found = found or []
                # The key as sent, like the batch engine's column names (renderers escape it).
                name = key if isinstance(key, str) else escape(key)
                found.append(
                    Violation(Code.UNEXPECTED_COLUMN.value, name, row, None, EXTRA_MESSAGE)
                )
            elif self._extras == "allow":
                out[key] = value
        return found


@lru_cache(maxsize=1)
def _body() -> Any:
    """skewless.body (which imports this module), imported once."""
    import skewless.body

    return skewless.body


@lru_cache(maxsize=128)
def compile_record(contract: Contract, env: Env | None = None) -> RecordValidator:
    """Compile once per (contract, env); contracts are frozen and hashable."""
    return RecordValidator(contract, env)
