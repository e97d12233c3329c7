"""Valid data nasty enough to crash a model: what the contract allows and models choke on.

    >>> from hypothesis import given
    >>> from skewless import nasty
    >>> @given(nasty.records(contract))
    ... def test_predict_survives(record):
    ...     model.predict(contract.record_validator("serving").validate(record).record)

Where a column allows it: 4-byte UTF-8, right-to-left and zero-width marks, combining
characters, empty strings, SQL-looking text, -0.0, subnormal and extreme numbers, int64 ends,
the first and last instants a zone holds, instants around DST changes, unseen categories that
`unknown: {map_to}` folds, and nulls. Every record passes the contract (tests/test_strategies.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from skewless.adversarial import homoglyphs, shifts
from skewless.dtypes import INT64_MAX, INT64_MIN
from skewless.normalize import zone
from skewless.strategies import CHARSET_TOP, CONTROL, float_bounds, int_bounds, valid
from skewless.strategies_time import iso, plain_wall, speakable

if TYPE_CHECKING:
    from skewless.contract import Column, Contract, Env

Record = dict[str, Any]

NASTY_TEXT = (
    "",
    "😀",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",  # a family: three emoji joined by ZWJ
    "\U0010ffff",
    "\u202eevil",
    "مرحبا بالعالم",
    "שלום",
    "\u200b",
    "\ufeffBOM",
    "e\u0301",
    "\u2028\u2029",
    "\x85",  # NEL, a C1 control: not a control_character
    "\uffff",
    "\t\n\r",
    " ",
    "null",
    "NaN",
    "0",
    "'; DROP TABLE users; --",
)


def _fits(text_: str, column: Column) -> str | None:
    """`text_` kept to the column's charset and control rule and fitted to its lengths (by
    repeating or cutting it), or None if nothing of it is left."""
    top = CHARSET_TOP[column.charset]
    kept = "".join(
        ch for ch in text_ if ord(ch) <= top and (column.allow_control or ch not in CONTROL)
    )
    if kept != text_ and not kept:
        return None
    shortest, longest = column.min_length or 0, column.max_length
    if len(kept) < shortest:
        kept = (kept or "a") * (shortest // max(len(kept), 1) + 1)
    return kept if longest is None else kept[:longest]


def _nasty_text(column: Column) -> list[str]:
    extremes = []
    if column.max_length is not None:
        extremes.append("a" * column.max_length)
        extremes.append("😀" * column.max_length)
    if column.allow_control:
        extremes += ["\x00", "\x1b[31mred\x1b[0m", "\x7f"]
    out: dict[str, None] = {}
    for candidate in (*NASTY_TEXT, *extremes):
        fitted = _fits(candidate, column)
        if fitted is not None:
            out[fitted] = None
    return list(out)


def _nasty_numbers(column: Column) -> list[Any]:
    if column.type == "integer":
        lo, hi = int_bounds(column)
        pool: list[Any] = [lo, hi, 0, -1, 1, 2**31, -(2**31) - 1, 2**53 + 1, INT64_MAX, INT64_MIN]
        return list(dict.fromkeys(v for v in pool if lo <= v <= hi))
    flo, fhi = float_bounds(column)
    tiny, huge = 5e-324, 1.7976931348623157e308
    pool = [-0.0, 0.0, tiny, -tiny, 2.2250738585072014e-308, huge, -huge, 0.1 + 0.2, 1e-300]
    pool += [2**53, 2**63 + 1, -(2**53) - 1]  # JSON ints in a float column
    pool += [b for b in (flo, fhi) if b is not None]
    pool += [math.nextafter(flo, math.inf)] if flo is not None else []
    pool += [math.nextafter(fhi, -math.inf)] if fhi is not None else []
    kept = [v for v in pool if (flo is None or v >= flo) and (fhi is None or v <= fhi)]
    if column.allow_nan:
        kept.append(math.nan)
    if column.allow_inf:
        kept += [math.inf] if column.max is None else []
        kept += [-math.inf] if column.min is None else []
    return kept


def _nasty_datetimes(column: Column, python: bool) -> st.SearchStrategy[Any]:
    """Instants at the ends of what the zone holds, around its DST changes, and at epoch edges,
    in the forms the column accepts."""
    name = column.timezone or "UTC"
    tz = zone(name)
    moments = [
        _edge(tz, last=False),
        _edge(tz, last=True),
        dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(2038, 1, 19, 3, 14, 8, tzinfo=dt.UTC),
        dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=dt.UTC),
    ]
    for shift in shifts(name, 2020, 2026):
        # Just before, at, and inside the change, as instants.
        start = shift.start.replace(tzinfo=tz, fold=0 if shift.gap else 1).astimezone(dt.UTC)
        moments += [start - dt.timedelta(microseconds=1), start, start + shift.length / 2]
    kiritimati = dt.timezone(dt.timedelta(hours=14))  # the furthest offset from UTC
    forms: list[Any] = []
    for moment in moments:
        held: list[dt.datetime] = []
        if not python:
            held.append(speakable(moment, tz))
        else:
            held.append(moment.astimezone(tz))
        if column.naive == "assume":
            held.append(plain_wall(moment, tz))
        if column.other_zones == "convert":
            with contextlib.suppress(OverflowError):  # the last instant is in 10000 there
                held.append(moment.astimezone(kiritimati))
        forms += held if python else [iso(d) for d in held]
    return st.sampled_from(forms)


def _edge(tz: dt.tzinfo, *, last: bool) -> dt.datetime:
    """The first (last) UTC instant, to the hour, whose wall time in `tz` a datetime holds."""
    if last:
        at, step = dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC), -1
    else:
        at, step = dt.datetime(1, 1, 1, tzinfo=dt.UTC), 1
    for _ in range(30):  # no zone is 30 hours from UTC
        try:
            at.astimezone(tz)
            return at
        except OverflowError:
            at += dt.timedelta(hours=step)
    raise ValueError(f"{tz} holds no wall time near {at}")  # pragma: no cover


def values(column: Column, *, python: bool = False) -> st.SearchStrategy[Any]:
    """Values `column` accepts that are nasty to a model, or its valid values where it has
    none (a patterned string: its pattern decides)."""
    kind = column.type
    if kind in ("integer", "float"):
        return st.sampled_from(_nasty_numbers(column))
    if kind == "string" and column.pattern is None:
        return st.sampled_from(_nasty_text(column))
    if kind == "category" and column.map_to is not None:
        unknown = [t for t in NASTY_TEXT if t not in column.values]
        unknown += ["\x00", "\x1b[31m", *homoglyphs(column)[:3]]
        return st.sampled_from([column.values[0], column.values[-1], *unknown])
    if kind == "datetime":
        return _nasty_datetimes(column, python)
    if kind == "date":
        days = [dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2024, 2, 29), dt.date(1970, 1, 1)]
        return st.sampled_from(days if python else [d.isoformat() for d in days])
    return valid(column, python=python)


def records(
    contract: Contract, *, env: Env | None = "serving", python: bool = False
) -> st.SearchStrategy[Record]:
    """Records `contract` accepts in `env`, each value nasty where its column allows it: 4-byte
    UTF-8, right-to-left and zero-width text, empty strings, -0.0, subnormal and extreme numbers,
    int64 ends, the first and last instants and DST edges, and nulls (where nullable)."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for column in contract.columns:
        if column.allowed_in(env):
            present = values(column, python=python)
            fields[column.name] = st.none() | present if column.nullable else present
    return st.fixed_dictionaries(fields)
