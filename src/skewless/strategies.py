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

Data the contract must refuse is `skewless.adversarial`'s. `import skewless` never imports this
module (nor hypothesis); pandas is imported only when `frames` draws.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Hashable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - the message is the point
    raise ImportError(
        "skewless.strategies needs hypothesis: pip install hypothesis (or skewless[dev])"
    ) from exc

from skewless.checks import CONTROL_BYTES, RE2_SPACE, float_bound, posix_class
from skewless.dtypes import INT64_MAX, INT64_MIN
from skewless.normalize import map_unknown_value, zone

if TYPE_CHECKING:
    import pandas as pd

    from skewless.contract import Column, Contract, Env

Record = dict[str, Any]

# The characters `control_character` is about, from the check table's own byte ranges.
CONTROL = "".join(chr(c) for lo, hi in CONTROL_BYTES for c in range(lo, hi + 1))
CHARSET_TOP = {"ascii": 0x7F, "bmp": 0xFFFF, "unicode": 0x10FFFF}  # the last code point of each
# UTC instants drawn for records: a day inside the years 1 to 9999, so that the wall time of any
# zone (at most 26 hours from UTC) is one a datetime holds.
FIRST = dt.datetime(1, 1, 2)
LAST = dt.datetime(9999, 12, 30, 23, 59, 59, 999999)
# Frames: datetime64[ns] holds the years 1677 to 2262 only.
FRAME_FIRST = dt.datetime(1700, 1, 1)
FRAME_LAST = dt.datetime(2200, 12, 31)
SAFE_INT = 2**53  # ints a float column takes exactly (a JSON number without a dot is an int)
# Zones an aware value may come in where the column converts other zones.
OTHER_ZONES = (
    "UTC",
    "Asia/Tokyo",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Pacific/Kiritimati",
    "Australia/Lord_Howe",
)


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
        return _floats(column)
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
    return _datetimes(column, python)


def int_bounds(column: Column) -> tuple[int, int]:
    """The column's integer bounds within int64."""
    lo = INT64_MIN if column.min is None else max(INT64_MIN, math.ceil(column.min))
    hi = INT64_MAX if column.max is None else min(INT64_MAX, math.floor(column.max))
    return lo, hi


def float_bounds(column: Column) -> tuple[float | None, float | None]:
    """The column's bounds as the floats nearest them on the inside (an int bound such as
    2**53 + 1 is no double)."""
    return float_bound(column.min, lower=True), float_bound(column.max, lower=False)


def _floats(column: Column, *, ints: bool = True) -> st.SearchStrategy[Any]:
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


_FLAGS = re.compile(r"\(\?([a-zA-Z]*)(?=[:)])")


def python_pattern(pattern: str) -> re.Pattern[str]:
    """A contract pattern (RE2 syntax) as a Python regex matching a subset of what RE2 matches,
    for `st.from_regex` only (the validators run RE2 itself).

    RE2 differs from Python's `re` where it matters to generation: `$` is the end of the text,
    never before a trailing newline (`\\Z` here); `\\d`, `\\w`, `\\b` are ASCII (the ASCII flag);
    `\\s` has no `\\v`; `{,n}` is literal text; and RE2 spells some things its own way (`\\z`,
    `\\x{10FFFF}`, `[[:alpha:]]`, `\\Q...\\E`, `(?<name>...)`, the `U` flag). Raises ValueError
    on what has no Python spelling (`\\pL` Unicode classes, `\\C`).
    """
    multiline = any("m" in flags for flags in _FLAGS.findall(pattern))
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "Q":  # \Q...\E: literal text
                end = pattern.find("\\E", i + 2)
                end = n if end < 0 else end
                out.append(re.escape(pattern[i + 2 : end]))
                i = end + 2
                continue
            if nxt == "x" and pattern[i + 2 : i + 3] == "{":
                end = pattern.index("}", i)
                out.append(f"\\U{int(pattern[i + 3 : end], 16):08x}")
                i = end + 1
                continue
            if nxt in "pPC":
                raise ValueError(f"RE2 escape \\{nxt} has no Python spelling to generate from")
            if nxt == "z":
                out.append("\\Z")
            elif nxt == "s":
                out.append(RE2_SPACE if in_class else f"[{RE2_SPACE}]")
            elif nxt == "S" and not in_class:
                out.append(f"[^{RE2_SPACE}]")
            elif nxt == "S":
                raise ValueError("RE2 \\S inside a character class has no Python spelling")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if ch == "[" and pattern[i + 1 : i + 2] == ":":
                try:
                    members, i = posix_class(pattern, i)
                except KeyError as exc:
                    raise ValueError(f"POSIX class {exc.args[0]} has no Python spelling") from None
                out.append(members)
                continue
            if ch == "]" and out[-1] not in ("[", "[^"):
                in_class = False
            out.append(ch)
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                out.append("[^")
                i += 2
                if pattern[i : i + 1] == "]":  # a literal ] first in the class
                    out.append("\\]")
                    i += 1
                continue
            out.append("[")
            if pattern[i + 1 : i + 2] == "]":
                out.append("\\]")
                i += 1
        elif ch == "$" and not multiline:
            out.append("\\Z")
        elif ch == "{" and pattern[i + 1 : i + 2] == ",":  # RE2: `{,3}` is text, not {0,3}
            out.append("\\{")
        elif pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
            out.append("(?P<")
            i += 3
            continue
        else:
            out.append(ch)
        i += 1
    translated = _FLAGS.sub(lambda m: "(?" + m.group(1).replace("U", ""), "".join(out))
    translated = translated.replace("(?)", "")
    return re.compile(translated, re.ASCII)


# --- datetimes --------------------------------------------------------------------------------


def instants(
    first: dt.datetime = FIRST, last: dt.datetime = LAST
) -> st.SearchStrategy[dt.datetime]:
    """Aware UTC instants between two naive UTC datetimes."""
    return st.datetimes(first, last).map(lambda d: d.replace(tzinfo=dt.UTC))


def iso(value: dt.datetime | dt.date) -> str:
    """ISO 8601 text as clients send it: `Z` for UTC."""
    text_ = value.isoformat()
    return text_[:-6] + "Z" if text_.endswith("+00:00") else text_


def speakable(instant: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """`instant` in `tz`, moved to the year 2000 if its offset there has seconds (local mean
    time before standard zones: -07:52:58 in Los Angeles), which ISO 8601 text cannot carry."""
    local = instant.astimezone(tz)
    offset = local.utcoffset() or dt.timedelta()
    if offset % dt.timedelta(minutes=1):
        local = instant.replace(year=2000).astimezone(tz)
    return local


def plain_wall(instant: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """The naive wall time of `instant` in `tz`, moved past a DST fold (a wall time read two
    ways is `naive_datetime` under `naive: assume`); no instant's wall time is in a gap."""
    wall = instant.astimezone(tz).replace(tzinfo=None)
    for _ in range(48):
        if not ambiguous(wall, tz):
            return wall
        wall += dt.timedelta(hours=1)
    raise ValueError(f"no unambiguous wall time near {instant} in {tz}")  # pragma: no cover


def ambiguous(wall: dt.datetime, tz: dt.tzinfo) -> bool:
    """Whether a naive wall time is in a DST gap or fold of `tz` (two readings)."""
    early = wall.replace(tzinfo=tz, fold=0).utcoffset()
    return early != wall.replace(tzinfo=tz, fold=1).utcoffset()


def _column_zone(column: Column) -> dt.tzinfo:
    assert column.timezone is not None, f"datetime column {column.name!r} has no zone"
    return zone(column.timezone)


def _datetimes(column: Column, python: bool | None) -> st.SearchStrategy[Any]:
    tz = _column_zone(column)
    moments = instants()
    options: list[st.SearchStrategy[Any]] = []
    if python is not False:
        options.append(moments.map(lambda u: u.astimezone(tz)))
        if column.other_zones == "convert":
            others = st.sampled_from([zone(name) for name in OTHER_ZONES])
            options.append(st.tuples(moments, others).map(lambda p: p[0].astimezone(p[1])))
        if column.naive == "assume":
            options.append(moments.map(lambda u: plain_wall(u, tz)))
    if python is not True:
        options.append(moments.map(lambda u: iso(speakable(u, tz))))
        if column.other_zones == "convert":
            options.append(moments.map(lambda u: iso(u)))
            offsets = st.integers(-14 * 60, 14 * 60).map(
                lambda m: dt.timezone(dt.timedelta(minutes=m))
            )
            options.append(
                st.tuples(moments, offsets).map(lambda p: p[0].astimezone(p[1]).isoformat())
            )
        if column.naive == "assume":
            options.append(moments.map(lambda u: plain_wall(u, tz).isoformat()))
    return st.one_of(options)


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
    lo = max(min_rows, contract.checks.rows_min or 0)
    hi = max_rows if contract.checks.rows_max is None else min(max_rows, contract.checks.rows_max)
    for column in contract.columns:
        room = _capacity(column) if _keys_of(contract, column) else None
        if room is not None:
            hi = min(hi, room)
    if lo > hi:
        raise ValueError(
            f"contract {contract.name!r} allows no frame of {min_rows}..{max_rows} rows"
        )
    return _frames(contract, env, lo, hi)


def _keys_of(contract: Contract, column: Column) -> list[tuple[str, ...]]:
    """The single-column keys of `column` (unique: true, or a one-column checks.unique)."""
    keys: list[tuple[str, ...]] = [(column.name,)] if column.unique else []
    return keys + [k for k in contract.checks.unique if k == (column.name,)]


def _capacity(column: Column) -> int | None:
    """How many distinct normalised values a unique column holds, if few (nulls are never
    duplicates, so a nullable column without a fill holds any number)."""
    if column.nullable and not column.has_fill:
        return None
    if column.type == "boolean":
        return 2
    if column.type == "category":
        return len(column.values)
    if column.type == "integer":
        lo, hi = int_bounds(column)
        return hi - lo + 1
    return None


def _identity(column: Column) -> Callable[[Any], Hashable]:
    """A typed value as the batch engine's unique check sees it: normalised (filled, mapped),
    NaN one value, a null never equal to anything."""

    def key(value: Any) -> Hashable:
        if value is None:
            if not column.has_fill:
                return object()  # never a duplicate
            value = column.fill_null
        if isinstance(value, float) and math.isnan(value):
            return ("nan",)
        normalised: Hashable = map_unknown_value(column, value)
        return normalised

    return key


def _row_key(members: list[Column], key: tuple[str, ...]) -> Callable[[tuple[Any, ...]], Hashable]:
    """A row's key (a tuple of values of `members`) by normalised identity."""
    where = [(i, _identity(c)) for i, c in enumerate(members) if c.name in key]
    return lambda row: tuple(identity(row[i]) for i, identity in where)


def _whole_floats(column: Column) -> st.SearchStrategy[int] | None:
    """Integers a float column takes from an int64 column (read as the nearest double, as
    Python's float(int)), or None if its bounds hold none."""
    lo, hi = float_bounds(column)
    # Bounds as ints whose nearest doubles stay inside the float bounds: past 2**53 an int
    # rounds, so the ends are taken from the doubles themselves.
    ilo = INT64_MIN if lo is None else max(INT64_MIN, math.ceil(lo))
    ihi = INT64_MAX if hi is None else min(INT64_MAX, math.floor(hi))
    while ilo <= ihi and lo is not None and float(ilo) < lo:
        ilo += 1 << max(0, ilo.bit_length() - 53)
    while ilo <= ihi and hi is not None and float(ihi) > hi:
        ihi -= 1 << max(0, ihi.bit_length() - 53)
    if ilo > ihi:
        return None
    return st.integers(ilo, ihi) | st.sampled_from((ilo, ihi))


def _frame_value(column: Column, *, whole: bool = False) -> st.SearchStrategy[Any]:
    """Typed values for a frame column: datetimes as aware UTC instants; `whole`: integers for
    a float column held as int64."""
    kind = column.type
    ints = _whole_floats(column) if whole else None
    if ints is not None:
        present: st.SearchStrategy[Any] = ints
    elif kind == "float":
        present = _floats(column, ints=False)
    elif kind == "datetime":
        present = instants(FRAME_FIRST, FRAME_LAST)
    elif kind == "date":
        present = st.dates()
    else:
        present = valid(column)
    return st.none() | present if column.nullable else present


def _groups(
    present: Sequence[Column], contract: Contract
) -> list[tuple[list[Column], list[tuple[str, ...]]]]:
    """Present columns grouped by the unique keys that tie them, each with its keys. A key is
    left out where construction already makes it unique: a key holding a `unique` column, or
    holding a cadence column (whose keyed values are drawn distinct)."""
    names = {c.name for c in present}
    unique = {c.name for c in present if c.unique}
    cadenced = {c.name for c in present if c.cadence}
    keys: list[tuple[str, ...]] = [(c.name,) for c in present if c.unique and not c.cadence]
    for key in contract.checks.unique:
        held = set(key)
        if held <= names and not held & cadenced and not (len(key) > 1 and held & unique):
            keys.append(key)
    group_of = {c.name: i for i, c in enumerate(present)}
    for key in keys:  # union the groups of each key's columns
        target = group_of[key[0]]
        for name in key[1:]:
            old = group_of[name]
            for other, g in group_of.items():
                if g == old:
                    group_of[other] = target
    out = []
    for g in sorted(set(group_of.values())):
        members = [c for c in present if group_of[c.name] == g and c.name not in cadenced]
        if members:
            out.append((members, [k for k in keys if group_of[k[0]] == g]))
    return out


@st.composite
def _frames(draw: st.DrawFn, contract: Contract, env: Env | None, lo: int, hi: int) -> pd.DataFrame:
    import pandas as pd

    n = draw(st.integers(lo, hi), label="rows")
    present = [
        c
        for c in contract.columns
        if c.allowed_in(env) and (c.required_in(env) or draw(st.booleans(), label=c.name))
    ]
    keyed = {name for key in contract.checks.unique for name in key} | {
        c.name for c in present if c.unique
    }
    # Float columns held as int64 or Int64, as whole-number features often are.
    whole = {
        c.name
        for c in present
        if c.type == "float" and _whole_floats(c) is not None and draw(st.booleans())
    }
    drawn: dict[str, list[Any]] = {}
    for members, keys in _groups(present, contract):
        rows = draw(
            st.lists(
                st.tuples(*(_frame_value(c, whole=c.name in whole) for c in members)),
                min_size=n,
                max_size=n,
                unique_by=tuple(_row_key(members, k) for k in keys) or None,
            )
        )
        for i, c in enumerate(members):
            drawn[c.name] = [row[i] for row in rows]
    # Ungrouped cadence columns first: a grouped one may be grouped by one of them.
    for c in sorted((c for c in present if c.cadence), key=lambda c: len(c.cadence_by)):
        by = [contract.column(k) for k in c.cadence_by]
        groups = [
            tuple(_identity(b)(v) for b, v in zip(by, row, strict=True))
            for row in zip(*(drawn[b.name] for b in by), strict=True)
        ] or [()] * n
        drawn[c.name] = draw(_cadence(c, groups, distinct=c.name in keyed))
    columns = {c.name: _series(draw, c, drawn[c.name], keyed, c.name in whole) for c in present}
    names = extra_names(contract)
    if contract.extra_columns != "reject" and names and draw(st.booleans()):
        columns[names[0]] = pd.Series(draw(st.lists(st.integers(), min_size=n, max_size=n)))
    return pd.DataFrame(columns, index=pd.RangeIndex(n))


def _cadence(
    column: Column, groups: Sequence[Hashable], *, distinct: bool
) -> st.SearchStrategy[list[Any]]:
    """Timestamps on the column's grid, one per row of `groups` (the rows' group keys by
    normalised identity; all equal without `by:`): in each group the distinct ones one step
    apart, none missing, from one start shared by every group. `distinct`: no two rows share a
    timestamp (each group then takes its own run of steps)."""
    from skewless.loader import duration_us

    assert column.cadence is not None
    step = dt.timedelta(microseconds=duration_us(column.cadence))
    nulls = column.nullable and not column.has_fill  # a filled null is off the grid
    n = len(groups)

    def place(args: tuple[dt.datetime, list[int], list[bool]]) -> list[Any]:
        start, slots, holes = args
        members: dict[Hashable, list[int]] = {}
        for i, group in enumerate(groups):
            if not holes[i]:
                members.setdefault(group, []).append(i)
        out: list[Any] = [None] * n
        offset = 0
        for rows in members.values():
            ranks = {s: r for r, s in enumerate(sorted({slots[i] for i in rows}))}
            for i in rows:
                out[i] = start + (offset + ranks[slots[i]]) * step
            if distinct:
                offset += len(ranks)
        return out

    slots = (
        st.permutations(range(n))
        if distinct
        else st.lists(st.integers(0, max(n - 1, 0)), min_size=n, max_size=n)
    )
    holes = st.lists(st.booleans() if nulls else st.just(False), min_size=n, max_size=n)
    start = instants(FRAME_FIRST, dt.datetime(2100, 1, 1))
    return st.tuples(start, slots.map(list), holes).map(place)


def _series(
    draw: st.DrawFn, column: Column, drawn: list[Any], keyed: set[str], whole: bool
) -> pd.Series:
    """Typed values as a Series of a dtype a user would have."""
    import pandas as pd
    import pyarrow as pa

    nulls = any(v is None for v in drawn)
    kind = column.type
    if kind == "integer" or whole:
        return pd.Series(
            drawn, dtype="Int64" if nulls else draw(st.sampled_from(["int64", "Int64"]))
        )
    if kind == "float":
        if column.allow_nan:  # numpy float64 holds NaN as its null: keep NaN a value
            held = pa.array(drawn, pa.float64(), from_pandas=False)
            series: pd.Series = pd.Series(pd.arrays.ArrowExtensionArray(held))
            return series
        return pd.Series([math.nan if v is None else float(v) for v in drawn], dtype="float64")
    if kind == "boolean":
        return pd.Series(
            drawn, dtype="boolean" if nulls else draw(st.sampled_from(["bool", "boolean"]))
        )
    if kind in ("string", "category"):
        dtypes: list[str] = ["object", "str"] + (["category"] if kind == "category" else [])
        texts: pd.Series = pd.Series(drawn, dtype=draw(st.sampled_from(dtypes)))
        return texts
    if kind == "date":
        return pd.Series(drawn, dtype=object)
    unit = draw(st.sampled_from(["ns", "us"]))
    tz = _column_zone(column)
    if (
        column.naive == "assume"
        and column.name not in keyed
        and not column.cadence
        and draw(st.booleans())
    ):
        walls = [None if v is None else plain_wall(v, tz) for v in drawn]
        return pd.Series(pd.DatetimeIndex(walls, dtype=f"datetime64[{unit}]"))
    utc = [None if v is None else v.replace(tzinfo=None) for v in drawn]
    index = pd.DatetimeIndex(utc, dtype=f"datetime64[{unit}]").tz_localize("UTC")
    return pd.Series(index.tz_convert(column.timezone))


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
