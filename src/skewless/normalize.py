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


_DAY_US = 86_400_000_000
_NAIVE_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
OUTSIDE_YEARS = "is outside the years 1 to 9999 that a datetime holds"
_FIRST_US = (dt.datetime.min.replace(tzinfo=dt.UTC) - _EPOCH) // dt.timedelta(microseconds=1)
_LAST_US = (dt.datetime.max.replace(tzinfo=dt.UTC) - _EPOCH) // dt.timedelta(microseconds=1)


@lru_cache(maxsize=64)
def zone(name: str) -> dt.tzinfo:
    """An IANA zone; UTC as the standard library's `datetime.UTC` (what `fromisoformat` gives
    for a `Z`, and `datetime.now(UTC)`): the same instants, fewer objects to convert."""
    return dt.UTC if name == "UTC" else ZoneInfo(name)


# --- fill_null --------------------------------------------------------------------------------


def fill_value(column: Column, value: Any) -> Any:
    return column.fill_null if value is None and column.has_fill else value


def fill_column(column: Column, array: pa.Array) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    if not column.has_fill or not array.null_count:
        return array
    t = array.type.value_type if pa.types.is_dictionary(array.type) else array.type
    return pc.fill_null(array, pa.scalar(column.fill_null, t))


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
    if pa.types.is_dictionary(array.type):  # map the distinct values, not every row
        mapped = map_unknown_column(column, array.dictionary)
        return pa.DictionaryArray.from_arrays(array.indices, mapped)
    known = pc.is_in(array, value_set=pa.array(column.values, array.type))
    # is_in says false for a null; keep nulls null.
    keep = pc.or_kleene(known, pc.is_null(array))
    return pc.if_else(keep, array, pa.scalar(column.map_to, array.type))


# --- convert_zone -----------------------------------------------------------------------------


def convert_zone_value(value: dt.datetime, zone_name: str) -> dt.datetime:
    # Through UTC: astimezone into the value's own zone returns it unchanged, so a wall time in
    # a DST gap (02:30 in Los Angeles on 2024-03-10) would stay 02:30-08:00, not 03:30-07:00.
    return value.astimezone(dt.UTC).astimezone(zone(zone_name))


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
    try:  # 9999-12-31T23:00 in Los Angeles is an instant in the year 10000
        early.astimezone(dt.UTC)
    except OverflowError:
        return None, Failure(Code.OUT_OF_RANGE, OUTSIDE_YEARS)
    return early, None


def assume_zone_column(
    array: pa.Array, zone_name: str
) -> tuple[pa.Array, list[tuple[Failure, np.ndarray]]]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    # Offsets come from zoneinfo, as in the value form, not from pyarrow's zone kernels: those
    # stop applying DST where the TZif file stops listing transitions (after 2037 in a fat file,
    # everywhere in a slim one; apache/arrow#36110), so 2040-07-01T12:00 in Los Angeles came out
    # an hour off. No zone changes its offset twice within a day, so a wall-clock day whose first
    # and last microsecond have one offset (either fold) has it throughout; the rare day with a
    # change, and days no Python datetime holds, go value by value.
    tz = zone(zone_name)
    local = pc.cast(array.cast(pa.timestamp("us")), pa.int64())
    valid = pc.is_valid(local).to_numpy(zero_copy_only=False)
    ints = pc.fill_null(local, 0).to_numpy(zero_copy_only=False)
    days, which = distinct_days(ints)
    offsets = np.zeros(len(days), dtype=np.int64)
    by_value = np.zeros(len(days), dtype=bool)
    for i, day in enumerate(days.tolist()):
        try:
            first = _NAIVE_EPOCH + dt.timedelta(days=day)
            last = first + dt.timedelta(microseconds=_DAY_US - 1)
        except OverflowError:
            by_value[i] = True
            continue
        seen = {t.replace(tzinfo=tz, fold=f).utcoffset() for t in (first, last) for f in (0, 1)}
        offset = seen.pop() if len(seen) == 1 else None
        if offset is not None:
            offsets[i] = offset // dt.timedelta(microseconds=1)
        else:
            by_value[i] = True
    utc = ints - offsets[which]
    failed = ~valid
    by_failure: dict[Failure, list[int]] = {}
    # Wall times whose instant no datetime holds (the last hours of 9999 west of UTC), as the
    # value form says.
    beyond = valid & ~by_value[which] & ((utc < _FIRST_US) | (utc > _LAST_US))
    if beyond.any():
        by_failure[Failure(Code.OUT_OF_RANGE, OUTSIDE_YEARS)] = np.flatnonzero(beyond).tolist()
        failed |= beyond
    for row in np.flatnonzero(valid & by_value[which]).tolist():
        try:
            naive = _NAIVE_EPOCH + dt.timedelta(microseconds=int(ints[row]))
            value, failure = assume_zone_value(naive, zone_name)
        except OverflowError:
            value, failure = None, Failure(Code.OUT_OF_RANGE, OUTSIDE_YEARS)
        if failure is not None:
            by_failure.setdefault(failure, []).append(row)
            failed[row] = True
        else:
            utc[row] = (value - _EPOCH) // dt.timedelta(microseconds=1)
    out = pa.array(utc, pa.int64(), mask=failed).cast(pa.timestamp("us", tz=zone_name))
    return out, [(f, np.sort(np.asarray(rows, dtype=np.int64))) for f, rows in by_failure.items()]


def wall_us(utc: np.ndarray, zone_name: str) -> np.ndarray:
    """Microseconds since 1970-01-01 on the wall clock of `zone_name`, for UTC instants (int64
    microseconds), with zoneinfo's offsets (pyarrow's stop DST after 2037, see above): one
    offset per UTC day whose first and last microsecond share it, value by value otherwise."""
    import numpy as np

    tz = zone(zone_name)
    days, which = distinct_days(utc)
    offsets = np.zeros(len(days), dtype=np.int64)
    by_value = np.zeros(len(days), dtype=bool)
    one = dt.timedelta(microseconds=1)
    for i, day in enumerate(days.tolist()):
        try:
            first = _EPOCH + dt.timedelta(days=day)
            last = first + dt.timedelta(microseconds=_DAY_US - 1)
            seen = {t.astimezone(tz).utcoffset() or dt.timedelta(0) for t in (first, last)}
        except OverflowError:
            seen = set()
        if len(seen) == 1:
            offsets[i] = seen.pop() // one
        else:
            by_value[i] = True
    wall: np.ndarray = utc + offsets[which]
    for row in np.flatnonzero(by_value[which]).tolist():
        instant = _EPOCH + dt.timedelta(microseconds=int(utc[row]))
        try:
            offset = instant.astimezone(tz).utcoffset()
        except OverflowError:  # the wall time is past 9999-12-31: the offset of that wall time
            offset = tz.utcoffset(instant.replace(tzinfo=None))
        wall[row] += (offset or dt.timedelta(0)) // one
    return wall


def distinct_days(us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(us // one day, return_inverse=True)`, without its sort of every value when the
    days span a short range, as they nearly always do (a chunk covers years, not millennia)."""
    import numpy as np

    days = us // _DAY_US
    if not len(days):
        return np.unique(days, return_inverse=True)
    lo, hi = int(days.min()), int(days.max())
    if hi - lo > 4 * len(days) + (1 << 16):
        return np.unique(days, return_inverse=True)
    at = days - lo
    present = np.zeros(hi - lo + 1, dtype=bool)
    present[at] = True
    index = np.cumsum(present) - 1
    return np.flatnonzero(present) + lo, index[at]


def instant_offsets(instants_us: np.ndarray, zone_name: str) -> np.ndarray:
    """UTC offset (in microseconds) of `zone_name` at each instant, from zoneinfo.

    Like `assume_zone_column`, one lookup per UTC day, value by value only on days with a
    change. A fixed offset written as arrow does ('+07:00') is its own offset.
    """
    import re

    import numpy as np

    fixed = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", zone_name)
    if fixed:
        sign = -1 if fixed.group(1) == "-" else 1
        minutes = int(fixed.group(2)) * 60 + int(fixed.group(3))
        return np.full(len(instants_us), sign * minutes * 60_000_000, dtype=np.int64)
    tz = zone(zone_name)
    us = dt.timedelta(microseconds=1)

    def offset_at(instant_us: int) -> int:
        moment = _EPOCH + dt.timedelta(microseconds=instant_us)
        offset = moment.astimezone(tz).utcoffset()
        return 0 if offset is None else offset // us

    days, which = distinct_days(instants_us)
    per_day = np.zeros(len(days), dtype=np.int64)
    mixed = np.zeros(len(days), dtype=bool)
    for i, day in enumerate(days.tolist()):
        try:
            first = offset_at(day * _DAY_US)
            last = offset_at(day * _DAY_US + _DAY_US - 1)
        except OverflowError:
            mixed[i] = True
            continue
        per_day[i] = first
        mixed[i] = first != last
    out: np.ndarray = per_day[which]
    for row in np.flatnonzero(mixed[which]).tolist():
        try:
            out[row] = offset_at(int(instants_us[row]))
        except OverflowError:
            out[row] = 0
    return out


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
