"""Hypothesis strategies for data a contract accepts, built from its bounds, never by filtering.

    >>> from hypothesis import given
    >>> from skewless.strategies import records
    >>> @given(records(contract))
    ... def test_predict_takes_any_valid_record(record):
    ...     predict(record)

`values(column)` draws one column's values, `records(contract)` dicts as the online path takes
them (JSON-like: datetimes and dates as ISO text), `frames(contract)` DataFrames with the dtypes
users have, `payloads(contract)` JSON request bodies. Each value is constructed inside the
column's rules: integers in [min, max], text from the allowed alphabet within the length limits,
patterns through `st.from_regex`, datetimes from UTC instants converted to the column's zone.
A `.filter(validator)` would throw away most draws of a narrow column (a pattern, a short range)
until hypothesis gave up, and shrink badly (pandera's `strategies` module says the same); built
from bounds, every draw counts and shrinks toward small valid data. `tests/test_strategies.py`
proves both validators accept every draw, for every contract in the repository.

Datetimes and their zone rules live in `strategies_time`, frames in `strategies_frames`, the
RE2-to-Python pattern translation in `patterns`; every public name is importable from here.
Data the contract must refuse is `skewless.adversarial`'s. `import skewless` never imports this
module (nor hypothesis); pandas is imported only when `frames` draws.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - the message is the point
    raise ImportError(
        "skewless.strategies needs hypothesis: pip install hypothesis (or skewless[dev])"
    ) from exc

from skewless import strategies_frames
from skewless.checks import CONTROL_BYTES, float_bound
from skewless.dtypes import INT64_MAX, INT64_MIN
from skewless.patterns import python_pattern
from skewless.strategies_time import datetimes, instants, iso

if TYPE_CHECKING:
    import pandas as pd

    from skewless.contract import Column, Contract, Env

Record = dict[str, Any]

# The characters `control_character` is about, from the check table's own byte ranges.
CONTROL = "".join(chr(c) for lo, hi in CONTROL_BYTES for c in range(lo, hi + 1))
CHARSET_TOP = {"ascii": 0x7F, "bmp": 0xFFFF, "unicode": 0x10FFFF}  # the last code point of each
SAFE_INT = 2**53  # ints a float column takes exactly (a JSON number without a dot is an int)


# --- one column -----------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def values(
    column: Column, *, env: Env | None = None, python: bool | None = None
) -> st.SearchStrategy[Any]:
    """Values `column` accepts, with `None` when it is nullable.

    `python`: None draws every form the record path takes; False only JSON-like values
    (datetimes and dates as ISO 8601 text); True Python objects for datetimes and dates.
    `env`: a column that does not exist in that environment (`only_in`) has no values.
    """
    if not column.allowed_in(env):
        raise ValueError(f"column {column.name!r} exists only in {column.only_in} data, not {env}")
    present = valid(column, python=python)
    return st.none() | present if column.nullable else present


@lru_cache(maxsize=1024)
def valid(column: Column, *, python: bool | None = None) -> st.SearchStrategy[Any]:
    """Non-null values `column` accepts (see `values`)."""
    kind = column.type
    if kind == "integer":
        lo, hi = int_bounds(column)
        return st.integers(lo, hi) | st.sampled_from((lo, hi))
    if kind == "float":
        return floats(column)
    if kind == "boolean":
        return st.booleans()
    if kind == "category":
        known = st.sampled_from(column.values)
        if column.map_to is None:
            return known
        # Any text is valid, mapped to map_to; lone surrogates are invalid_unicode.
        return known | st.text(st.characters(codec="utf-8"), max_size=20)
    if kind == "string":
        return text(column)
    if kind == "date":
        days = st.dates()
        if python is None:
            return days | days.map(dt.date.isoformat)
        return days if python else days.map(dt.date.isoformat)
    return datetimes(column, python)


def int_bounds(column: Column) -> tuple[int, int]:
    """The column's integer bounds within int64."""
    lo = INT64_MIN if column.min is None else max(INT64_MIN, math.ceil(column.min))
    hi = INT64_MAX if column.max is None else min(INT64_MAX, math.floor(column.max))
    return lo, hi


def float_bounds(column: Column) -> tuple[float | None, float | None]:
    """The column's bounds as the floats nearest them on the inside (an int bound such as
    2**53 + 1 is no double)."""
    return float_bound(column.min, lower=True), float_bound(column.max, lower=False)


def floats(column: Column, *, ints: bool = True) -> st.SearchStrategy[Any]:
    """Numbers a float column accepts; `ints`: whole numbers as ints too (JSON without a dot)."""
    lo, hi = float_bounds(column)
    options: list[st.SearchStrategy[Any]] = [
        st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    ]
    ilo = -SAFE_INT if lo is None else max(-SAFE_INT, math.ceil(lo))
    ihi = SAFE_INT if hi is None else min(SAFE_INT, math.floor(hi))
    if ints and ilo <= ihi:
        options.append(st.integers(ilo, ihi))
    special = [math.nan] if column.allow_nan else []
    if column.allow_inf:  # an infinity is above any max and below any min
        special += [math.inf] if column.max is None else []
        special += [-math.inf] if column.min is None else []
    if special:
        options.append(st.sampled_from(special))
    return st.one_of(options)


# --- text -----------------------------------------------------------------------------------


def alphabet(column: Column) -> st.SearchStrategy[str]:
    """The characters a string column accepts: its charset, no lone surrogate, and no control
    character unless `allow_control` (tab, newline, carriage return and C1 controls are fine)."""
    return st.characters(
        max_codepoint=CHARSET_TOP[column.charset],
        codec="utf-8",  # no lone surrogates
        exclude_characters="" if column.allow_control else CONTROL,
    )


def text(column: Column) -> st.SearchStrategy[str]:
    """Text passing a string column's charset, control, length and pattern rules."""
    lo, hi = column.min_length or 0, column.max_length
    if column.pattern is None:
        return st.text(alphabet(column), min_size=lo, max_size=hi)
    translated = python_pattern(column.pattern)
    repeated = _REPEATED.fullmatch(translated.pattern)
    if repeated is not None:
        # One character class repeated (`^[a-z0-9.-]+$`, `[A-Z]{2}`): text of that class, its
        # length bounded by the pattern and the column both.
        least, most = _times(repeated)
        lo = max(lo, least)
        hi = most if hi is None else hi if most is None else min(hi, most)
        if hi is not None and lo > hi:
            raise ValueError(f"column {column.name!r}: no text fits its pattern and lengths")
        atom = re.compile(repeated.group("atom"), re.ASCII)
        chars = _ascii_members(repeated.group("atom"), atom, column)
        if chars is not None:  # a small class: its characters listed (from_regex is slower)
            return st.text(st.sampled_from(chars), min_size=lo, max_size=hi)
        char = st.from_regex(atom, fullmatch=True, alphabet=alphabet(column))
        return st.text(char, min_size=lo, max_size=hi)
    matching = st.from_regex(translated, fullmatch=True, alphabet=alphabet(column))
    if lo or hi is not None:
        # The one filter here, a last resort: st.from_regex cannot bound the length of what it
        # draws, and no construction fits an arbitrary pattern to a length. The filter tests
        # the length alone (never the validator), and rejects rarely: patterns with a length
        # limit mostly bound it themselves (`(?i)[a-z]{2}-[0-9]{4}`), and regex draws are short.
        longest = hi if hi is not None else math.inf
        matching = matching.filter(lambda s: lo <= len(s) <= longest)  # last resort: see above
    return matching


# A translated pattern that is one character class, repeated: `^[^,]+$`, `\\d{3,5}`, `.*`.
_REPEATED = re.compile(
    r"(?:\^|\\A)?"
    r"(?P<atom>\[\^?(?:\\.|[^\]\\])+\]|\\[dDw]|\.|[^\\\[\]()|?*+{}^$.])"
    r"(?P<times>[+*]|\{(?P<m>[0-9]+)(?P<comma>,(?P<n>[0-9]*))?\})?"
    r"(?:\\Z)?"
)


_WIDE_ESCAPE = re.compile(r"\\[DSWpPxuUN]")  # escapes that can match beyond ASCII


def _ascii_members(source: str, atom: re.Pattern[str], column: Column) -> str | None:
    """The characters a character class matches, when it matches ASCII only (`[A-Z]`,
    `[a-z0-9.-]`, `\\d`), less those the column refuses; None for a class that reaches past
    ASCII (`[^,]`, `.`, `\\S`) or matches nothing the column accepts."""
    if source == "." or source.startswith("[^") or _WIDE_ESCAPE.search(source):
        return None
    if not source.isascii():  # `[a-zé]`: listing ASCII would leave é out
        return None
    refused = "" if column.allow_control else CONTROL
    chars = "".join(c for c in map(chr, range(128)) if atom.fullmatch(c) and c not in refused)
    return chars or None


def _times(repeated: re.Match[str]) -> tuple[int, int | None]:
    """How many times a `_REPEATED` pattern repeats its class: (least, most or None)."""
    times = repeated.group("times")
    if not times:
        return 1, 1
    if times in ("+", "*"):
        return (1 if times == "+" else 0), None
    least = int(repeated.group("m"))
    if repeated.group("comma") is None:
        return least, least
    most = repeated.group("n")
    return least, int(most) if most else None


# --- records and payloads ---------------------------------------------------------------------

EXTRA_NAMES = ("extra", "debug_info", "User_Id", "", " ", "\x00key", "\u200b", "é", "x" * 250)
JSON_SCALARS: st.SearchStrategy[Any] = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10)
)


def extra_names(contract: Contract) -> list[str]:
    """Names of keys that are no column of the contract (in any environment)."""
    names = set(contract.column_names)
    return [name for name in EXTRA_NAMES if name not in names]


@lru_cache(maxsize=256)
def records(
    contract: Contract, *, env: Env | None = "serving", python: bool = False
) -> st.SearchStrategy[Record]:
    """Records (dicts) the contract accepts in `env`, as the record path takes them.

    Every column allowed in `env` is a key (`only_in` honoured); an optional nullable one may be
    absent (an absent optional key reads as null on the record path). Values are JSON-like
    unless `python=True` (datetime and date objects). Under `extra_columns: allow` or `drop`,
    records may carry keys the contract does not declare.
    """
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for column in contract.columns:
        if not column.allowed_in(env):
            continue
        drawn = values(column, env=env, python=python)
        if column.nullable and not column.required_in(env):
            optional[column.name] = drawn
        else:
            required[column.name] = drawn
    base = st.fixed_dictionaries(required, optional=optional)
    names = extra_names(contract)
    if contract.extra_columns == "reject" or not names:
        return base
    extras = st.dictionaries(st.sampled_from(names), JSON_SCALARS, max_size=2)
    return st.tuples(base, extras).map(lambda pair: {**pair[0], **pair[1]})


def to_body(document: Any, *, ensure_ascii: bool = True, compact: bool = True) -> bytes:
    """A record, or a list of records, as JSON bytes (NaN and infinities as the `NaN` and
    `Infinity` literals the readers take)."""
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps(
        document, ensure_ascii=ensure_ascii, allow_nan=True, separators=separators
    ).encode("utf-8")


def payloads(
    contract: Contract, *, env: Env | None = "serving", max_records: int = 5
) -> st.SearchStrategy[bytes]:
    """Request bodies a client would send: JSON bytes of one valid record or a list of up to
    `max_records`, escaped to ASCII or raw UTF-8, compact or spaced."""
    one = records(contract, env=env)
    document = one | st.lists(one, min_size=1, max_size=max_records)
    return st.builds(to_body, document, ensure_ascii=st.booleans(), compact=st.booleans())


# --- frames -----------------------------------------------------------------------------------


def frames(
    contract: Contract, *, env: Env | None = None, min_rows: int = 0, max_rows: int = 10
) -> st.SearchStrategy[pd.DataFrame]:
    """pandas DataFrames the contract accepts in `env`, with the dtypes users have.

    Columns: int64 (Int64 with nulls), float64 (pyarrow double where NaN is a value), bool
    (boolean with nulls), object or str text, category, datetime64[ns or us, zone] (naive wall
    times under `naive: assume`), date objects. `unique` columns and `checks.unique` keys are
    drawn unique (by their normalised values), `cadence` columns on their grid, and the row
    count within `checks.rows`. Optional columns may be absent.
    """
    # Handed over at call time: strategies_frames draws from the column strategies here, so the
    # two modules import each other and either may be imported first.
    return strategies_frames.frames(contract, env=env, min_rows=min_rows, max_rows=max_rows)


__all__ = [
    "CONTROL",
    "alphabet",
    "frames",
    "instants",
    "iso",
    "payloads",
    "python_pattern",
    "records",
    "text",
    "to_body",
    "valid",
    "values",
]
