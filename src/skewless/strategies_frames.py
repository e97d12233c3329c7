"""pandas DataFrames a contract accepts, with the dtypes users have: `skewless.strategies.frames`.

A frame is drawn as typed values per column (datetimes as UTC instants), then held in a Series
of a dtype a user would have. Row-spanning rules are built in, never filtered for: `unique`
columns and `checks.unique` keys are drawn unique by the batch engine's own identity (filled,
mapped, NaN one value, a null never a duplicate), `cadence` columns are placed on their grid per
group, and the row count stays within `checks.rows` and what a small unique domain can hold.
pandas and pyarrow are imported only when a frame is drawn.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from skewless import strategies
from skewless.dtypes import INT64_MAX, INT64_MIN
from skewless.normalize import map_unknown_value
from skewless.strategies_time import FRAME_FIRST, FRAME_LAST, column_zone, instants, plain_wall

if TYPE_CHECKING:
    import pandas as pd

    from skewless.contract import Column, Contract, Env


def frames(
    contract: Contract, *, env: Env | None = None, min_rows: int = 0, max_rows: int = 10
) -> st.SearchStrategy[pd.DataFrame]:
    """The strategy behind `skewless.strategies.frames` (documented there)."""
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
        lo, hi = strategies.int_bounds(column)
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
    lo, hi = strategies.float_bounds(column)
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
        present = strategies.floats(column, ints=False)
    elif kind == "datetime":
        present = instants(FRAME_FIRST, FRAME_LAST)
    elif kind == "date":
        present = st.dates()
    else:
        present = strategies.valid(column)
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
    names = strategies.extra_names(contract)
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
    tz = column_zone(column)
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


__all__ = ["frames"]
