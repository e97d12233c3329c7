"""Each normalisation step: the value form (online) and the column form (batch) agree.

Training normalises with the column form, serving with the value form; a fill, a mapped
category or a zone that differs between the two is training/serving skew, so each step is a
hypothesis property over random column settings and values: nulls, unknown categories, aware
datetimes in many zones, and naive wall times around DST gaps and folds, before and after 2038
(where the tz database stops tabulating transitions and only its rule says what DST does).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skewless import Code, Column
from skewless.dtypes import INT64_MAX, INT64_MIN, arrow_type
from skewless.normalize import (
    STEPS,
    assume_zone_column,
    assume_zone_value,
    convert_zone_column,
    convert_zone_value,
    fill_column,
    fill_value,
    map_unknown_column,
    map_unknown_value,
    normalize_column,
    normalize_value,
)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ZONES = (
    "UTC",
    "America/Los_Angeles",
    "America/Sao_Paulo",  # DST changed at midnight: the gap swallowed 00:00
    "America/St_Johns",  # a -03:30 offset
    "Europe/London",
    "Europe/Dublin",  # "negative DST" in the tz database
    "Australia/Lord_Howe",  # DST of 30 minutes
    "Pacific/Apia",  # skipped 2011-12-30 entirely
    "Asia/Kolkata",
    "Africa/Casablanca",
)
# Wall-clock days on which some zone above changes its offset.
TRANSITION_DAYS = (
    dt.date(2024, 3, 10),
    dt.date(2024, 11, 3),
    dt.date(2024, 3, 31),
    dt.date(2024, 10, 27),
    dt.date(2024, 4, 7),
    dt.date(2024, 10, 6),
    dt.date(2018, 11, 4),
    dt.date(2019, 2, 16),
    dt.date(2011, 12, 29),
    dt.date(2011, 12, 31),
    dt.date(1883, 11, 18),  # railway time in the US: leaves local mean time
    dt.date(2037, 11, 1),
    dt.date(2038, 3, 14),  # the first DST change past the tabulated transitions
    dt.date(2038, 11, 7),
    dt.date(2050, 3, 13),
    dt.date(2050, 3, 27),
    dt.date(2050, 10, 30),
    dt.date(2099, 10, 25),
)


def micros(value: dt.datetime) -> int:
    """An aware datetime as microseconds since the epoch (valid even past year 9999 in UTC)."""
    return (value - EPOCH) // dt.timedelta(microseconds=1)


def typed_array(values: list[Any], type_: pa.DataType) -> pa.Array:
    """An arrow array of typed values; aware datetimes go in as instants.

    `pa.array` reads an aware datetime's wall time as UTC when PYARROW_IGNORE_TIMEZONE is set,
    and importing pandera sets it: the input must not depend on which test ran first.
    """
    if pa.types.is_timestamp(type_) and type_.tz is not None:
        instants = [None if v is None else micros(v) for v in values]
        return pa.array(instants, pa.int64()).cast(type_)
    return pa.array(values, type_)


def naive_datetimes() -> st.SearchStrategy[dt.datetime]:
    near_transition = st.tuples(
        st.sampled_from(TRANSITION_DAYS), st.integers(0, 24 * 60 - 1), st.integers(0, 59)
    ).map(lambda t: dt.datetime.combine(t[0], dt.time()) + dt.timedelta(minutes=t[1], seconds=t[2]))
    return (
        st.datetimes()
        | st.datetimes(dt.datetime(1850, 1, 1), dt.datetime(2150, 1, 1))
        | near_transition
        | st.sampled_from([dt.datetime.min, dt.datetime.max])
    )


def aware_datetimes() -> st.SearchStrategy[dt.datetime]:
    fixed = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
    zones = st.sampled_from([ZoneInfo(z) for z in ZONES]) | fixed
    return st.datetimes(
        dt.datetime(2, 1, 1), dt.datetime(9998, 12, 31), timezones=zones
    ) | naive_datetimes().filter(lambda d: 2 <= d.year <= 9998).map(
        lambda d: d.replace(tzinfo=ZoneInfo("America/Los_Angeles"))
    )


# --- assume_zone ------------------------------------------------------------------------------


def assert_assume_agrees(values: list[dt.datetime | None], zone_name: str) -> None:
    out, failures = assume_zone_column(pa.array(values, pa.timestamp("us")), zone_name)
    assert out.type == pa.timestamp("us", tz=zone_name)
    failed: dict[int, tuple[Code, str]] = {}
    for failure, rows in failures:
        for row in rows.tolist():
            assert row not in failed, f"row {row} failed twice"
            failed[row] = (failure.code, failure.message)
    got = out.cast(pa.int64()).to_pylist()
    for row, value in enumerate(values):
        if value is None:
            assert got[row] is None
            assert row not in failed
            continue
        expected, failure = assume_zone_value(value, zone_name)
        where = f"{value.isoformat()} read in {zone_name}"
        if failure is not None:
            assert failed.get(row) == (failure.code, failure.message), where
            assert got[row] is None, where
        else:
            assert row not in failed, f"column form fails {where}: {failed[row]}"
            assert got[row] == micros(expected), (
                f"{where}: value form {expected.isoformat()}, column form is "
                f"{got[row] - micros(expected)} µs away"
            )


@given(st.sampled_from(ZONES), st.lists(st.none() | naive_datetimes(), max_size=12))
def test_assume_zone_value_and_column_agree(zone_name: str, values: list[Any]) -> None:
    assert_assume_agrees(values, zone_name)


@pytest.mark.parametrize(
    ("wall", "zone_name", "utc"),
    [
        ("2024-06-01T10:00", "America/Los_Angeles", "2024-06-01T17:00"),
        ("2024-01-01T10:00", "America/Los_Angeles", "2024-01-01T18:00"),
        # Past 2037 the offset comes from the zone's rule, not from tabulated transitions.
        ("2040-07-01T12:00", "America/Los_Angeles", "2040-07-01T19:00"),
        ("2050-07-15T12:00", "Europe/London", "2050-07-15T11:00"),
    ],
)
def test_assume_zone_reads_wall_time_by_the_zone_rule(
    wall: str, zone_name: str, utc: str | None
) -> None:
    naive = dt.datetime.fromisoformat(wall)
    value, failure = assume_zone_value(naive, zone_name)
    assert failure is None
    if utc is not None:
        assert value == dt.datetime.fromisoformat(utc).replace(tzinfo=dt.UTC)
    assert_assume_agrees([naive], zone_name)


def test_a_wall_time_whose_instant_passes_the_year_9999_is_out_of_range() -> None:
    # 9999-12-31T23:00 in Los Angeles is 10000-01-01T07:00 UTC: no datetime holds it, as a
    # typed timestamp there is out_of_range; both forms say so.
    naive = dt.datetime.fromisoformat("9999-12-31T23:00")
    value, failure = assume_zone_value(naive, "America/Los_Angeles")
    assert value is None
    assert failure is not None
    assert failure.code == Code.OUT_OF_RANGE
    assert_assume_agrees([naive, dt.datetime(9999, 12, 31, 15)], "America/Los_Angeles")
    assert assume_zone_value(dt.datetime(9999, 12, 31, 15), "America/Los_Angeles")[1] is None


@pytest.mark.parametrize(
    ("wall", "zone_name", "words"),
    [
        ("2024-03-10T02:30", "America/Los_Angeles", "DST gap"),
        ("2024-11-03T01:30", "America/Los_Angeles", "DST fold"),
        ("2040-03-11T02:30", "America/Los_Angeles", "DST gap"),
        ("2040-11-04T01:30", "America/Los_Angeles", "DST fold"),
        ("2024-04-07T01:45", "Australia/Lord_Howe", "DST fold"),
        ("2011-12-30T12:00", "Pacific/Apia", "DST gap"),  # a day that never happened there
    ],
)
def test_gaps_and_folds_fail_in_both_forms(wall: str, zone_name: str, words: str) -> None:
    value, failure = assume_zone_value(dt.datetime.fromisoformat(wall), zone_name)
    assert value is None
    assert failure is not None
    assert failure.code == Code.NAIVE_DATETIME
    assert words in failure.message
    assert_assume_agrees([dt.datetime.fromisoformat(wall)], zone_name)


# --- convert_zone -----------------------------------------------------------------------------


@given(
    st.sampled_from(ZONES),
    st.lists(st.none() | aware_datetimes(), max_size=12),
)
def test_convert_zone_value_and_column_agree(zone_name: str, values: list[Any]) -> None:
    array = typed_array(values, pa.timestamp("us", tz="UTC"))
    out = convert_zone_column(array, zone_name)
    assert out.type == pa.timestamp("us", tz=zone_name)
    got = out.cast(pa.int64()).to_pylist()
    for row, value in enumerate(values):
        if value is None:
            assert got[row] is None
            continue
        expected = convert_zone_value(value, zone_name)
        assert str(expected.tzinfo) == zone_name
        assert micros(expected) == micros(value)
        assert got[row] == micros(expected), f"{value.isoformat()} in {zone_name}"
        # What a reader of the column sees: the same wall time and offset as the value form.
        seen = out[row].as_py()
        assert (seen.replace(tzinfo=None), seen.utcoffset()) == (
            expected.replace(tzinfo=None),
            expected.utcoffset(),
        )


def test_convert_zone_gives_the_wall_time_the_column_form_shows() -> None:
    # 02:00 on 2024-03-10 never happened in Los Angeles; Python reads it as 02:00-08:00, which
    # is 03:00-07:00. astimezone into the same zone would keep the non-existent 02:00 (an
    # hour-of-day feature of 2 online, 3 in batch).
    la = ZoneInfo("America/Los_Angeles")
    value = dt.datetime(2024, 3, 10, 2, 0, tzinfo=la)
    converted = convert_zone_value(value, "America/Los_Angeles")
    assert (converted.hour, converted.utcoffset()) == (3, dt.timedelta(hours=-7))
    column = convert_zone_column(typed_array([value], pa.timestamp("us", tz="UTC")), str(la))
    assert column[0].as_py().hour == 3


# --- fill_null and map_unknown ----------------------------------------------------------------


def filled_columns() -> st.SearchStrategy[tuple[Column, st.SearchStrategy[Any]]]:
    """A nullable column with a fill value, and a strategy for its typed values."""
    ints = st.integers(INT64_MIN, INT64_MAX)
    floats = st.floats()
    texts = st.text(max_size=6) | st.sampled_from(["", "a\x00b", "😀", "\u202e", "x\n"])
    stamps = st.datetimes(
        dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)
    ).map(lambda d: d.astimezone(ZoneInfo("Europe/London")))
    dates = st.dates()

    def column(ctype: str, fill: Any, **extra: Any) -> Column:
        return Column("x", ctype, nullable=True, fill_null=fill, **extra)  # type: ignore[arg-type]

    return st.one_of(
        ints.map(lambda f: (column("integer", f), ints)),
        floats.map(lambda f: (column("float", f, allow_nan=True, allow_inf=True), floats)),
        st.booleans().map(lambda f: (column("boolean", f), st.booleans())),
        texts.map(lambda f: (column("string", f), texts)),
        st.lists(texts, min_size=1, max_size=4, unique=True).flatmap(
            lambda vs: st.sampled_from(vs).map(
                lambda f: (column("category", f, values=tuple(vs)), st.sampled_from(vs) | texts)
            )
        ),
        dates.map(lambda f: (column("date", f), dates)),
        stamps.map(lambda f: (column("datetime", f, timezone="Europe/London"), stamps)),
    )


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and (math.isnan(a) or math.isnan(b)):
        return math.isnan(a) and math.isnan(b)
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    return type(a) is type(b) and a == b


@given(st.data())
def test_fill_null_value_and_column_agree(data: st.DataObject) -> None:
    column, values = data.draw(filled_columns(), label="column")
    raw = data.draw(st.lists(st.none() | values, max_size=10), label="values")
    filled = fill_column(column, typed_array(raw, arrow_type(column))).to_pylist()
    for value, got in zip(raw, filled, strict=True):
        expected = fill_value(column, value)
        assert same(expected, got), f"value form {expected!r}, column form {got!r} for {value!r}"
    assert None not in filled


@given(st.data())
def test_map_unknown_value_and_column_agree(data: st.DataObject) -> None:
    texts = st.text(max_size=5) | st.sampled_from(["Other", "other", "Other\n", "\x00", "😀"])
    values = data.draw(st.lists(texts, min_size=1, max_size=5, unique=True), label="vocabulary")
    map_to = data.draw(st.none() | st.sampled_from(values), label="map_to")
    column = Column("x", "category", values=tuple(values), map_to=map_to)
    raw = data.draw(st.lists(st.none() | st.sampled_from(values) | texts, max_size=12))
    mapped = map_unknown_column(column, pa.array(raw, pa.large_string())).to_pylist()
    for value, got in zip(raw, mapped, strict=True):
        assert map_unknown_value(column, value) == got, f"{value!r} with map_to {map_to!r}"
        if value is None:
            assert got is None  # a null is the null policy's business, never mapped
        elif map_to is not None:
            assert got in values


@given(st.data())
def test_the_whole_step_table_agrees(data: st.DataObject) -> None:
    column, values = data.draw(filled_columns(), label="column")
    raw = data.draw(st.lists(st.none() | values, max_size=10), label="values")
    got = normalize_column(column, typed_array(raw, arrow_type(column))).to_pylist()
    for value, out in zip(raw, got, strict=True):
        assert same(normalize_value(column, value), out)


def test_every_step_has_both_forms() -> None:
    assert [s.name for s in STEPS] == ["fill_null", "map_unknown"]
    for step in STEPS:
        assert callable(step.applies)
        assert callable(step.value)
        assert callable(step.column)
