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

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from skewless.checks import checks_for, compile_pattern
from skewless.dtypes import INT64_MAX, INT64_MIN, convert_scalar, is_null
from skewless.errors import Code
from skewless.normalize import normalize_value
from skewless.report import REDACTED, Violation, escape, escape_name

if TYPE_CHECKING:
    from skewless.contract import Column, Contract, Env

_SLOW: Any = object()  # a fast test's answer: "take the general path"
_ABSENT: Any = object()
_FLOAT_MAX = 1.7976931348623157e308


@dataclass(frozen=True, slots=True)
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
    fast: Callable[[Any], Any]  # the value itself, normalised, or _SLOW

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
        found = [
            (kind.code, kind.message(column))
            for kind in checks_for(column)
            if not kind.scalar(column)(normalised)
        ]
        return normalised, found


def _plan(column: Column, env: Env | None) -> _Plan:
    plan = _Plan(column, column.required_in(env), normalize_value(column, None), _slow)
    return _Plan(plan.column, plan.required, plan.absent, _fast_test(plan))


def _slow(value: Any) -> Any:
    return _SLOW


def _fast_test(plan: _Plan) -> Callable[[Any], Any]:
    """The common-case test of a column (see the module docstring), or `_slow` for types whose
    every value takes the general path."""
    column = plan.column
    kinds = {kind.code for kind in checks_for(column)}
    if column.type == "integer":
        lo = INT64_MIN if column.min is None else max(INT64_MIN, math.ceil(column.min))
        hi = INT64_MAX if column.max is None else min(INT64_MAX, math.floor(column.max))

        def integer(v: Any) -> Any:
            return v if type(v) is int and lo <= v <= hi else _SLOW

        return integer
    if column.type == "float":
        flo = -_FLOAT_MAX if column.min is None else column.min
        fhi = _FLOAT_MAX if column.max is None else column.max

        def number(v: Any) -> Any:
            # Comparisons are exact between a float and an int bound; NaN fails them, and
            # so does an infinity (the default bounds are the largest finite floats).
            return v if type(v) is float and flo <= v <= fhi else _SLOW

        return number
    if column.type == "boolean":
        return lambda v: v if type(v) is bool else _SLOW
    if column.type == "category":
        # The vocabulary values that pass every check as they are (all of them, in practice).
        known = frozenset(x for x in column.values if plan.general(x) == (x, []))
        return lambda v: v if type(v) is str and v in known else _SLOW
    if column.type == "string" and kinds <= {
        Code.CONTROL_CHARACTER,
        Code.OUTSIDE_CHARSET,
        Code.TOO_SHORT,
        Code.TOO_LONG,
        Code.PATTERN_MISMATCH,
    }:
        return _string_test(column)
    return _slow


def _string_test(column: Column) -> Callable[[Any], Any]:
    shortest = column.min_length or 0
    longest = column.max_length if column.max_length is not None else 1 << 62
    ascii_only = column.charset != "unicode"  # ascii, or bmp taken the quick way (ASCII is BMP)
    pattern = compile_pattern(column.pattern) if column.pattern is not None else None
    # `isprintable()` is False for every control character, lone surrogate, tab and newline:
    # those take the general path, which tells them apart.
    if pattern is None:

        def text(v: Any) -> Any:
            if (
                type(v) is str
                and shortest <= len(v) <= longest
                and v.isprintable()
                and (not ascii_only or v.isascii())
            ):
                return v
            return _SLOW

        return text
    fullmatch = pattern.fullmatch

    def matched(v: Any) -> Any:
        if (
            type(v) is str
            and shortest <= len(v) <= longest
            and v.isprintable()
            and (not ascii_only or v.isascii())
            and fullmatch(v) is not None
        ):
            return v
        return _SLOW

    return matched


# --- the validator ----------------------------------------------------------------------------


class RecordValidator:
    """A contract compiled for records: `validate(record)` or `validate_many(records)`."""

    def __init__(self, contract: Contract, env: Env | None = None) -> None:
        self.contract = contract
        self.env = env
        self._plans = tuple(_plan(c, env) for c in contract.columns if c.allowed_in(env))
        self._names = frozenset(c.name for c in contract.columns)
        self._misplaced = frozenset(c.name for c in contract.columns if not c.allowed_in(env))
        self._extras = contract.extra_columns

    def validate(self, record: Any, *, row: int | None = None) -> RecordResult:
        """One record. `row` numbers its violations (its place in a micro-batch)."""
        if not isinstance(record, Mapping):
            kind = type(record).__name__
            return RecordResult(
                None,
                (Violation(Code.MALFORMED_INPUT, None, row, None, f"{NOT_A_RECORD}; got {kind}"),),
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
                    found.append(Violation(Code.MISSING_COLUMN, name, row, None, message))
                    out[name] = plan.absent
                    continue
                value = None  # an optional key a record lacks reads as null
            else:
                seen += 1
            normalised = plan.fast(value)
            if normalised is _SLOW:
                normalised, failures = plan.general(value)
                if failures:
                    found = found or []
                    shown = REDACTED if column.pii else escape(value)
                    for code, message in failures:
                        found.append(Violation(code, name, row, shown, message))
            out[name] = normalised
        if len(record) > seen:
            found = self._other_keys(record, out, row, found)
        if found:
            return RecordResult(None, tuple(found))
        return RecordResult(out, ())

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
                found.append(Violation(Code.UNEXPECTED_COLUMN, key, row, None, message))
            elif self._extras == "reject" or not isinstance(key, str):
                found = found or []
                name = escape_name(key) if isinstance(key, str) else escape(key)
                found.append(Violation(Code.UNEXPECTED_COLUMN, name, row, None, EXTRA_MESSAGE))
            elif self._extras == "allow":
                out[key] = value
        return found


@lru_cache(maxsize=128)
def compile_record(contract: Contract, env: Env | None = None) -> RecordValidator:
    """Compile once per (contract, env); contracts are frozen and hashable."""
    return RecordValidator(contract, env)
