"""The normalisation training and serving must share, one definition per step, two forms each.

    fill_null        a null becomes the contract's literal (never a statistic of the batch)
    map_unknown      a category outside `values` becomes `map_to`
    convert_zone     an aware datetime is expressed in the column's zone
    assume_zone      a naive datetime is read as wall time in the column's zone (`naive: assume`)

Each step has a value form (one Python value, the online path) and a column form (a pyarrow
array, the batch path); `tests/test_normalize.py` proves the two agree. The per-value forms
import nothing heavy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from skewless.errors import Code

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from skewless.contract import Column


@dataclass(frozen=True, slots=True)
class Failure:
    """Why one value fails: a violation code and a message that never quotes the value."""

    code: Code
    message: str


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# --- fill_null --------------------------------------------------------------------------------


def fill_value(column: Column, value: Any) -> Any:
    return column.fill_null if value is None and column.has_fill else value


def fill_column(column: Column, array: pa.Array) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    if not column.has_fill or not array.null_count:
        return array
    return pc.fill_null(array, pa.scalar(column.fill_null, array.type))


# --- map_unknown ------------------------------------------------------------------------------


def map_unknown_value(column: Column, value: Any) -> Any:
    if column.map_to is None or value is None or value in column.values:
        return value
    return column.map_to


def map_unknown_column(column: Column, array: pa.Array) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.map_to is None:
        return array
    known = pc.is_in(array, value_set=pa.array(column.values, array.type))
    # is_in says false for a null; keep nulls null.
    keep = pc.or_kleene(known, pc.is_null(array))
    return pc.if_else(keep, array, pa.scalar(column.map_to, array.type))


# --- convert_zone -----------------------------------------------------------------------------


def convert_zone_value(value: dt.datetime, zone_name: str) -> dt.datetime:
    return value.astimezone(zone(zone_name))


def convert_zone_column(array: pa.Array, zone_name: str) -> pa.Array:
    import pyarrow as pa

    return array.cast(pa.timestamp("us", tz=zone_name))


# --- assume_zone ------------------------------------------------------------------------------


def assume_zone_value(value: dt.datetime, zone_name: str) -> tuple[Any, Failure | None]:
    """Read a naive datetime as wall time in `zone_name`.

    A wall time that does not exist (a DST gap) or exists twice (a DST fold) cannot be read
    without guessing, so it is a naive_datetime violation, in both forms.
    """
    tz = zone(zone_name)
    naive = value.replace(tzinfo=None, fold=0)
    early = naive.replace(tzinfo=tz, fold=0)
    late = naive.replace(tzinfo=tz, fold=1)
    if early.utcoffset() != late.utcoffset():
        back = early.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
        if back != naive:
            return None, Failure(Code.NAIVE_DATETIME, f"does not exist in {zone_name} (DST gap)")
        return None, Failure(Code.NAIVE_DATETIME, f"is ambiguous in {zone_name} (DST fold)")
    return early, None


def assume_zone_column(
    array: pa.Array, zone_name: str
) -> tuple[pa.Array, list[tuple[Failure, np.ndarray]]]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    us = array.cast(pa.timestamp("us"))
    early = pc.assume_timezone(us, zone_name, ambiguous="earliest", nonexistent="earliest")
    late = pc.assume_timezone(us, zone_name, ambiguous="latest", nonexistent="latest")
    differ = pc.fill_null(pc.not_equal(early, late), False)
    # Read back, a gap moves the wall time; a fold does not.
    back = pc.local_timestamp(early).cast(pa.timestamp("us"))
    gap = pc.fill_null(pc.and_(differ, pc.not_equal(back, us)), False)
    fold = pc.and_(differ, pc.invert(gap))
    failures = []
    for mask, words in (
        (gap, "does not exist in {} (DST gap)"),
        (fold, "is ambiguous in {} (DST fold)"),
    ):
        rows = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
        if len(rows):
            failures.append((Failure(Code.NAIVE_DATETIME, words.format(zone_name)), rows))
    out = pc.if_else(differ, pa.scalar(None, early.type), early)
    return out, failures


# --- the step table ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    applies: Callable[[Column], bool]
    value: Callable[[Column, Any], Any]
    column: Callable[[Column, pa.Array], pa.Array]


STEPS: tuple[Step, ...] = (
    Step("fill_null", lambda c: c.has_fill, fill_value, fill_column),
    Step("map_unknown", lambda c: c.map_to is not None, map_unknown_value, map_unknown_column),
)
"""Steps applied after a value is read into its type. Zone conversion and `naive: assume`
happen while reading datetimes (`dtypes`), because their failures are type failures."""


def normalize_value(column: Column, value: Any) -> Any:
    for step in STEPS:
        if step.applies(column):
            value = step.value(column, value)
    return value


def normalize_column(column: Column, array: pa.Array) -> pa.Array:
    for step in STEPS:
        if step.applies(column):
            array = step.column(column, array)
    return array
