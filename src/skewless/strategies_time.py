"""Datetimes a contract accepts, and the zone rules they are drawn around (DST gaps and folds,
offsets with seconds).

Every datetime is drawn as a UTC instant, then shown in the column's zone: an aware datetime,
ISO 8601 text (`Z` for UTC), another zone's reading where the column converts them, or a naive
wall time where it assumes its zone, moved past a DST fold (`plain_wall`), since a wall time read
two ways is `naive_datetime`. `skewless.strategies` draws datetime columns from here; `nasty`
draws its DST edges with the same helpers.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from skewless.normalize import zone

if TYPE_CHECKING:
    from skewless.contract import Column

# UTC instants drawn for records: a day inside the years 1 to 9999, so that the wall time of any
# zone (at most 26 hours from UTC) is one a datetime holds.
FIRST = dt.datetime(1, 1, 2)
LAST = dt.datetime(9999, 12, 30, 23, 59, 59, 999999)
# Frames: datetime64[ns] holds the years 1677 to 2262 only.
FRAME_FIRST = dt.datetime(1700, 1, 1)
FRAME_LAST = dt.datetime(2200, 12, 31)
# Zones an aware value may come in where the column converts other zones.
OTHER_ZONES = (
    "UTC",
    "Asia/Tokyo",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Pacific/Kiritimati",
    "Australia/Lord_Howe",
)


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


def column_zone(column: Column) -> dt.tzinfo:
    """The zone of a datetime column."""
    assert column.timezone is not None, f"datetime column {column.name!r} has no zone"
    return zone(column.timezone)


def datetimes(column: Column, python: bool | None) -> st.SearchStrategy[Any]:
    """Non-null values a datetime column accepts (see `skewless.strategies.values`)."""
    tz = column_zone(column)
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
