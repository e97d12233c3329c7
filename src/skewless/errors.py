"""The two error families of skewless and their stable codes.

Bad data is a value (a `Violation` in a `Report`); a bad contract, unreadable input or an explicit
`raise_for_violations()` is an exception. Exceptions only store data: their constructors compute
nothing.

    SkewlessError                 base of everything skewless raises
    ├── ContractError             the contract is wrong (file, line, column, key path, hint)
    ├── InputError                the data could not be read at all (missing, empty, truncated)
    ├── OutputError               an output could not be written (disk full, no permission);
    │                             nothing was left behind
    ├── EngineError               a distributed engine could not finish the run (a worker
    │                             died too often, no scheduler); nothing was left behind
    └── ViolationError            raised on request by Report.raise_for_violations()

Exit codes of the command line follow the families: 0 pass, 1 violations (or a contract that
lint rejects), 2 could not judge (ContractError for `validate`, InputError, OutputError,
EngineError, bad usage).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from skewless.report import Report, Violation


class Code(StrEnum):
    """The closed list of violation codes, batch and online alike (docs/violations.md)."""

    MISSING_COLUMN = "missing_column"
    UNEXPECTED_COLUMN = "unexpected_column"
    WRONG_TYPE = "wrong_type"
    NULL_NOT_ALLOWED = "null_not_allowed"
    NOT_IN_VOCABULARY = "not_in_vocabulary"
    OUT_OF_RANGE = "out_of_range"
    PATTERN_MISMATCH = "pattern_mismatch"
    TOO_LONG = "too_long"
    TOO_SHORT = "too_short"
    NOT_UNIQUE = "not_unique"
    NAIVE_DATETIME = "naive_datetime"
    WRONG_TIMEZONE = "wrong_timezone"
    CONTROL_CHARACTER = "control_character"
    INVALID_UNICODE = "invalid_unicode"
    OUTSIDE_CHARSET = "outside_charset"
    NAN_NOT_ALLOWED = "nan_not_allowed"
    INF_NOT_ALLOWED = "inf_not_allowed"
    INTEGER_OVERFLOW = "integer_overflow"
    CADENCE_MISMATCH = "cadence_mismatch"
    ROW_COUNT = "row_count"
    DUPLICATE_KEY = "duplicate_key"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    MALFORMED_INPUT = "malformed_input"


class ContractErrorCode(StrEnum):
    """Why a contract did not load (docs/contracts.md, 'Contract errors')."""

    UNREADABLE = "unreadable"
    TOO_LARGE = "too_large"
    EMPTY = "empty"
    YAML_SYNTAX = "yaml_syntax"
    MULTIPLE_DOCUMENTS = "multiple_documents"
    ALIAS_NOT_ALLOWED = "alias_not_allowed"
    UNSUPPORTED_TAG = "unsupported_tag"
    UNKNOWN_KEY = "unknown_key"
    MISSING_KEY = "missing_key"
    DUPLICATE_KEY = "duplicate_key"
    INVALID_TYPE = "invalid_type"
    INVALID_VALUE = "invalid_value"
    NOT_APPLICABLE = "not_applicable"
    UNSUPPORTED_KEY = "unsupported_key"
    UNKNOWN_TIMEZONE = "unknown_timezone"
    INVALID_PATTERN = "invalid_pattern"
    MAP_TO_NOT_IN_VALUES = "map_to_not_in_values"
    FILL_NULL_INVALID = "fill_null_invalid"
    UNKNOWN_COLUMN = "unknown_column"
    UNFROZEN = "unfrozen"  # raised by the engines, not the loader: the contract loads


class SkewlessError(Exception):
    """Base class of every exception skewless raises on purpose."""


class ContractError(SkewlessError):
    """A contract that does not load: where (file, line, column, key path), what, and a hint."""

    def __init__(
        self,
        code: ContractErrorCode,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        path: str = "",
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.hint = hint

    def __str__(self) -> str:
        where = self.file or "<contract>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.code}: "
        if self.path:
            text += f"{self.path}: "
        text += self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class InputError(SkewlessError):
    """Data that cannot be judged at all: a missing, empty, truncated or unreadable source."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str]]:
        return type(self), (self.source, self.message)  # raised on a worker, re-raised here


class OutputError(SkewlessError):
    """An output (valid rows, quarantine) could not be written; no partial file was left."""

    def __init__(self, target: str, message: str) -> None:
        super().__init__(f"{target}: {message}")
        self.target = target
        self.message = message

    def __reduce__(self) -> tuple[type[OutputError], tuple[str, str]]:
        return type(self), (self.target, self.message)


class EngineError(SkewlessError):
    """A distributed engine (Dask, Spark) could not finish a run; no output was left."""

    def __init__(self, engine: str, message: str) -> None:
        super().__init__(f"{engine}: {message}")
        self.engine = engine
        self.message = message

    def __reduce__(self) -> tuple[type[EngineError], tuple[str, str]]:
        return type(self), (self.engine, self.message)


class ViolationError(SkewlessError):
    """Raised by `Report.raise_for_violations()` (carries the report) or by a `guard`ed
    function given a bad record (carries the record's violations; `report` is None)."""

    def __init__(
        self, report: Report | None, summary: str, violations: Sequence[Violation] = ()
    ) -> None:
        super().__init__(summary)
        self.report = report
        self.violations = tuple(violations)
