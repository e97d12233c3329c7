"""Grouped cadence, `cadence: {every: 5min, by: user_id}`: the loader, the verdicts, and parity.

Each group of rows sharing the (normalised) values of the `by` columns keeps its own grid: its
sorted distinct timestamps must be exactly one step apart. The verdicts are pinned on small
frames; then a hypothesis differential test holds a whole-frame run, a chunked run (judged at
`finish`) and a chunked run writing outputs (judged by a first pass) to a plain-Python
reference; and `strategies.frames` must only draw frames the validator passes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import skewless
from skewless import ContractError, ContractErrorCode
from skewless.strategies import frames

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
STEP = dt.timedelta(minutes=5)
# Each parity example validates one frame three ways, some chunked one row at a time: fewer
# examples than the ci profile's 200 (never more than the profile's), to keep the file fast.
PARITY_EXAMPLES = min(settings.default.max_examples, 150)
FRAME_EXAMPLES = min(settings.default.max_examples, 100)


def at(minutes: int, seconds: int = 0) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes, seconds=seconds)


def contract(columns: str, top: str = "") -> skewless.Contract:
    """A contract (zone UTC) from column lines indented two spaces."""
    return skewless.loads_contract(
        f"contract: t\nversion: 1.0.0\ntimezone: UTC\n{top}columns:\n{columns}", file="c.yaml"
    )


def grouped(by: str | None, *, extra: str = "") -> skewless.Contract:
    """user_id, then window_start on a 5-minute cadence grouped `by` (or not); both nullable."""
    cadence = "5min" if by is None else f"{{every: 5min, by: {by}}}"
    return contract(
        "  user_id: {type: integer, nullable: true}\n"
        + extra
        + f"  window_start: {{type: datetime, nullable: true, cadence: {cadence}}}\n"
    )


def frame(**columns: Sequence[Any]) -> pd.DataFrame:
    """Integers as Int64 (null-holding), datetimes as UTC timestamps, the rest as objects."""
    data: dict[str, Any] = {}
    for name, values in columns.items():
        if any(isinstance(v, dt.datetime) for v in values):
            data[name] = pd.to_datetime(pd.Series(values, dtype=object), utc=True)
        elif all(v is None or isinstance(v, int) for v in values):
            data[name] = pd.array(values, dtype="Int64")
        else:
            data[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data)


def cadence_rows(report: skewless.Report) -> set[int]:
    """The rows reported off the cadence; any other violation fails the test."""
    assert {v.code for v in report.violations} <= {"cadence_mismatch"}, report.violations
    return {v.row for v in report.violations if v.row is not None}


# --- loading ----------------------------------------------------------------------------------

# Line 9 holds the cadence; columns after it (lines 10 on) may be named by it.
HEAD = (
    "contract: t\nversion: 1.0.0\ntimezone: UTC\ncolumns:\n"
    "  user_id: {type: integer}\n"
    "  device: {type: string}\n"
    "  window_start:\n"
    "    type: datetime\n"
)


def loads(cadence: str, tail: str = "") -> skewless.Contract:
    return skewless.loads_contract(HEAD + f"    cadence: {cadence}\n" + tail, file="c.yaml")


def refused(cadence: str, tail: str = "") -> ContractError:
    with pytest.raises(ContractError) as info:
        loads(cadence, tail)
    return info.value


@pytest.mark.parametrize(
    ("cadence", "tail", "by"),
    [
        ("5min", "", ()),
        ("{every: 5min}", "", ()),
        ("{every: 5min, by: user_id}", "", ("user_id",)),
        ("{every: 5min, by: [user_id]}", "", ("user_id",)),
        ("{every: 5min, by: [device, user_id]}", "", ("device", "user_id")),
        (
            "\n      every: 5min\n      by:\n        - user_id\n        - device",
            "",
            ("user_id", "device"),
        ),
        # A group column declared after the cadence column, and a nullable one.
        ("{every: 5min, by: session}", "  session: {type: string, nullable: true}\n", ("session",)),
    ],
)
def test_cadence_forms_load(cadence: str, tail: str, by: tuple[str, ...]) -> None:
    column = loads(cadence, tail).column("window_start")
    assert (column.cadence, column.cadence_by) == ("5min", by)


@pytest.mark.parametrize(
    ("cadence", "tail", "code", "line", "path", "hint"),
    [
        pytest.param(
            "{every: 5min, by: usr_id}", "",
            ContractErrorCode.UNKNOWN_COLUMN, 9, "columns.window_start.cadence.by",
            "did you mean 'user_id'?", id="unknown-column",
        ),
        pytest.param(
            "{every: 5min, by: [user_id, devise]}", "",
            ContractErrorCode.UNKNOWN_COLUMN, 9, "columns.window_start.cadence.by[1]",
            "did you mean 'device'?", id="unknown-column-in-list",
        ),
        pytest.param(
            "{every: 5min, by: window_start}", "",
            ContractErrorCode.INVALID_VALUE, 9, "columns.window_start.cadence.by", None,
            id="itself",
        ),
        pytest.param(
            "{every: 5min, by: [user_id, window_start]}", "",
            ContractErrorCode.INVALID_VALUE, 9, "columns.window_start.cadence.by[1]", None,
            id="itself-in-list",
        ),
        pytest.param(
            "{every: 5min, by: [user_id, device, user_id]}", "",
            ContractErrorCode.DUPLICATE_KEY, 9, "columns.window_start.cadence.by[2]", None,
            id="listed-twice",
        ),
        pytest.param(
            "\n      every: 5min\n      by:\n        - device\n        - device", "",
            ContractErrorCode.DUPLICATE_KEY, 13, "columns.window_start.cadence.by[1]", None,
            id="listed-twice-block-style",
        ),
        pytest.param(
            "{every: 5min, by: []}", "",
            ContractErrorCode.INVALID_VALUE, 9, "columns.window_start.cadence.by", None,
            id="empty-list",
        ),
        pytest.param(
            "{by: user_id}", "",
            ContractErrorCode.MISSING_KEY, 9, "columns.window_start.cadence",
            "for example {every: 5min, by: user_id}", id="no-every",
        ),
        pytest.param(
            "{every: 5min, by: user_id, step: 1min}", "",
            ContractErrorCode.UNKNOWN_KEY, 9, "columns.window_start.cadence.step", None,
            id="unknown-key",
        ),
        pytest.param(
            "{every: 5 minutes, by: user_id}", "",
            ContractErrorCode.INVALID_VALUE, 9, "columns.window_start.cadence.every", None,
            id="every-not-a-duration",
        ),
        pytest.param(
            "{every: 5min, by: 3}", "",
            ContractErrorCode.INVALID_TYPE, 9, "columns.window_start.cadence.by", None,
            id="by-not-a-name",
        ),
        pytest.param(
            "{every: 5min, by: session}", "  session: {type: integer, required: false}\n",
            ContractErrorCode.INVALID_VALUE, 9, "columns.window_start.cadence.by", None,
            id="group-column-optional",
        ),
        pytest.param(
            "{every: 5min, by: label}", "  label: {type: integer, only_in: training}\n",
            ContractErrorCode.INVALID_VALUE, 9, "columns.window_start.cadence.by", None,
            id="group-column-only-in-training",
        ),
        pytest.param(
            "{every: 5min, by: label}",
            "    only_in: training\n  label: {type: integer, only_in: serving}\n",
            ContractErrorCode.INVALID_VALUE, 9, "columns.window_start.cadence.by", None,
            id="group-column-in-the-other-env",
        ),
    ],
)  # fmt: skip
def test_cadence_refused(
    cadence: str, tail: str, code: ContractErrorCode, line: int, path: str, hint: str | None
) -> None:
    error = refused(cadence, tail)
    assert (error.code, error.file, error.line, error.path) == (code, "c.yaml", line, path)
    if hint is not None:
        assert error.hint == hint


def test_a_group_column_in_the_cadence_columns_env_loads() -> None:
    """`only_in` is refused only where it leaves the cadence column without its groups."""
    same = loads(
        "{every: 5min, by: label}",
        "    only_in: training\n  label: {type: integer, only_in: training}\n",
    )
    assert same.column("window_start").cadence_by == ("label",)
    everywhere = loads("{every: 5min, by: user_id}", "    only_in: training\n")
    assert everywhere.column("window_start").cadence_by == ("user_id",)


# --- verdicts ---------------------------------------------------------------------------------


def test_two_users_on_interleaved_grids_pass_by_user_and_fail_without() -> None:
    """The reason for `by`: user 1 on :00, :05, :10, user 2 on :02, :07, :12. Each user's windows
    are 5 minutes apart; merged, the column's timestamps are 2 and 3 minutes apart."""
    data = frame(
        user_id=[1, 2, 1, 2, 1, 2, 1],
        window_start=[at(0), at(2), at(5), at(7), at(10), at(12), at(15)],
    )
    assert grouped("user_id").validate(data).ok
    # Every row but the first (00:00) is off a 5-minute cadence of the whole column.
    assert cadence_rows(grouped(None).validate(data)) == {1, 2, 3, 4, 5, 6}


def test_a_user_sampled_every_ten_seconds_fails_on_its_own_rows() -> None:
    data = frame(
        user_id=[1, 2, 1, 2, 2, 1, 2],
        window_start=[
            at(0), at(2), at(5), at(7), at(7, 10), at(10), at(7, 20),
        ],
    )  # fmt: skip
    report = grouped("user_id").validate(data)
    assert cadence_rows(report) == {4, 6}  # user 2's 10-second samples after 00:07
    (first, _) = report.violations
    assert (first.column, first.value) == ("window_start", "2024-01-01T00:07:10+00:00")
    assert first.message == "is not 5min after the previous timestamp of its user_id (cadence)"


def test_a_missing_window_fails_only_in_its_group() -> None:
    data = frame(
        user_id=[1, 2, 1, 2, 1, 2],
        window_start=[at(0), at(0), at(5), at(5), at(15), at(10)],
    )
    assert cadence_rows(grouped("user_id").validate(data)) == {4}  # user 1 lacks 00:10
    coarse = frame(user_id=[3, 3, 3], window_start=[at(0), at(10), at(20)])
    assert cadence_rows(grouped("user_id").validate(coarse)) == {1, 2}


def test_rows_may_share_a_window_within_a_group() -> None:
    data = frame(
        user_id=[1, 1, 2, 1, 2, 1, 1, 2],
        window_start=[at(0), at(0), at(3), at(5), at(3), at(0), at(10), at(8)],
    )
    assert grouped("user_id").validate(data).ok


def test_a_row_without_a_group_is_not_judged() -> None:
    """A null user is in no group: not judged itself, and no bridge over another group's gap."""
    data = frame(
        user_id=[1, None, 1, None, None],
        window_start=[at(0), at(5), at(10), at(1), at(0, 1)],
    )
    assert cadence_rows(grouped("user_id").validate(data)) == {2}
    nulls_only = frame(user_id=[None, None, None], window_start=[at(0), at(1), at(3)])
    assert grouped("user_id").validate(nulls_only).ok
    # A null timestamp is not judged either.
    assert grouped("user_id").validate(frame(user_id=[1, 1], window_start=[at(0), None])).ok


def test_a_compound_group() -> None:
    device = "  device: {type: string, nullable: true}\n"
    data = frame(
        user_id=[1, 1, 1, 1, 2, 1, 2],
        device=["phone", "laptop", "phone", "laptop", "phone", "phone", "phone"],
        window_start=[at(0), at(1), at(5), at(6), at(2), at(10), at(7)],
    )
    by_both = grouped("[user_id, device]", extra=device)
    assert by_both.validate(data).ok
    assert grouped("[device, user_id]", extra=device).validate(data).ok
    # By user alone, user 1's phone and laptop windows interleave.
    assert cadence_rows(grouped("user_id", extra=device).validate(data)) == {1, 2, 3, 5}
    gap = data.assign(window_start=data["window_start"].where(data.index != 3, at(11)))
    report = by_both.validate(gap)
    assert cadence_rows(report) == {3}  # (1, laptop) skips 00:06
    assert report.violations[0].message == (
        "is not 5min after the previous timestamp of its user_id, device (cadence)"
    )
    # A row with a null in one of the group columns is in no group.
    lost = data.assign(device=data["device"].where(data.index != 2, None))
    assert cadence_rows(by_both.validate(lost)) == {5}  # (1, phone) is now 00:00, 00:10


def test_groups_compare_mapped_categories() -> None:
    """Unknown devices count as `Other`: a tablet at 00:00 and 00:10 with an `Other` at 00:05 is
    one group on its grid (apart, the tablet would skip 00:05)."""
    device = "  device: {type: category, values: [phone, Other], unknown: {map_to: Other}}\n"
    by_device = grouped("device", extra=device)
    for dtype in ("object", "category"):
        data = frame(
            user_id=[1, 1, 1, 1],
            device=["tablet", "Other", "tablet", "phone"],
            window_start=[at(0), at(5), at(10), at(2)],
        ).astype({"device": dtype})
        assert by_device.validate(data).ok, dtype
        # And two unknown devices on interleaved grids are one group off its grid.
        mixed = frame(
            user_id=[1, 1, 1, 1],
            device=["tablet", "watch", "tablet", "watch"],
            window_start=[at(0), at(1), at(5), at(6)],
        ).astype({"device": dtype})
        assert cadence_rows(by_device.validate(mixed)) == {1, 2, 3}, dtype


def test_groups_compare_filled_nulls() -> None:
    """With fill_null: 0 a null user is user 0; without it, in no group."""
    data = frame(user_id=[0, None, 0], window_start=[at(0), at(5), at(10)])
    filled = contract(
        "  user_id: {type: integer, nullable: true, fill_null: 0}\n"
        "  window_start: {type: datetime, cadence: {every: 5min, by: user_id}}\n"
    )
    assert filled.validate(data).ok
    assert cadence_rows(grouped("user_id").validate(data)) == {2}


# --- parity: whole, chunked, two-pass, and a reference ----------------------------------------

DEVICES = ("phone", "laptop", "Other")
DEVICE_POOL = [*DEVICES, "tablet", "watch", None]  # tablet and watch map to Other
USER_POOL = [1, 2, 3, None]
# Each user's grid starts at its own minute: the users' grids interleave.
USER_MINUTE = {1: 0, 2: 2, 3: 4, None: 1}
BY_FORMS = [None, "user_id", "device", "[user_id, device]", "[device, user_id]"]


@cache
def parity_contract(by: str | None, fill_user: bool, fill_device: bool) -> skewless.Contract:
    user = "nullable: true" + (", fill_null: 0" if fill_user else "")
    device = "nullable: true" + (", fill_null: phone" if fill_device else "")
    cadence = "5min" if by is None else f"{{every: 5min, by: {by}}}"
    return contract(
        f"  user_id: {{type: integer, {user}}}\n"
        f"  device: {{type: category, values: [{', '.join(DEVICES)}], unknown: {{map_to: Other}}, {device}}}\n"
        f"  window_start: {{type: datetime, nullable: true, cadence: {cadence}}}\n"
    )


def reference_breaks(
    rows: list[tuple[int | None, str | None, dt.datetime | None]],
    by: tuple[str, ...],
    fill_user: bool,
    fill_device: bool,
) -> set[int]:
    """The rows off the cadence, by the docs: a row's group is its normalised `by` values (none
    if one is null); a distinct (group, instant) breaks when the previous distinct instant of
    its group is not exactly one step before."""

    def group(user: int | None, device: str | None) -> tuple[Any, ...] | None:
        if user is None and fill_user:
            user = 0
        if device is None and fill_device:
            device = "phone"
        if device is not None and device not in DEVICES:
            device = "Other"
        values = {"user_id": user, "device": device}
        key = tuple(values[name] for name in by)
        return None if None in key else key

    instants: dict[tuple[Any, ...], set[dt.datetime]] = {}
    for user, device, when in rows:
        key = group(user, device)
        if when is not None and key is not None:
            instants.setdefault(key, set()).add(when)
    off = set()
    for key, seen in instants.items():
        ordered = sorted(seen)
        off |= {(key, b) for a, b in itertools.pairwise(ordered) if b - a != STEP}
    return {i for i, (user, device, when) in enumerate(rows) if (group(user, device), when) in off}


@st.composite
def timed_rows(draw: st.DrawFn) -> list[tuple[int | None, str | None, dt.datetime | None]]:
    """Rows mostly on their user's grid (few slots: groups are often whole), some broken: a
    10-second sample, a window past the others (a gap), a null timestamp."""
    rows = []
    for _ in range(draw(st.integers(0, 24), label="rows")):
        user = draw(st.sampled_from(USER_POOL))
        device = draw(st.sampled_from(DEVICE_POOL))
        when: dt.datetime | None = at(USER_MINUTE[user] + 5 * draw(st.integers(0, 2)))
        broken = draw(st.sampled_from(["", "", "", "", "", "fine", "gap", "null"]))
        if broken == "fine":
            when = when + dt.timedelta(seconds=10)
        elif broken == "gap":
            when = when + 4 * STEP
        elif broken == "null":
            when = None
        rows.append((user, device, when))
    return rows


@settings(max_examples=PARITY_EXAMPLES)
@given(
    rows=timed_rows(),
    by=st.sampled_from(BY_FORMS),
    fill_user=st.booleans(),
    fill_device=st.booleans(),
    device_dtype=st.sampled_from(["object", "category"]),
    chunk_rows=st.integers(1, 6),
)
def test_chunked_and_two_pass_runs_agree_with_the_reference(
    rows: list[tuple[int | None, str | None, dt.datetime | None]],
    by: str | None,
    fill_user: bool,
    fill_device: bool,
    device_dtype: str,
    chunk_rows: int,
) -> None:
    checked = parity_contract(by, fill_user, fill_device)
    users, devices, stamps = zip(*rows, strict=True) if rows else ((), (), ())
    data = pd.DataFrame(
        {
            "user_id": pd.array(list(users), dtype="Int64"),
            "device": pd.Series(list(devices), dtype=device_dtype),
            "window_start": pd.to_datetime(pd.Series(list(stamps), dtype=object), utc=True),
        }
    )
    expected = reference_breaks(
        rows, checked.column("window_start").cadence_by, fill_user, fill_device
    )

    assert cadence_rows(checked.validate(data)) == expected
    chunked = skewless.validate(data, checked, chunk_rows=chunk_rows)
    assert cadence_rows(chunked.report) == expected
    with tempfile.TemporaryDirectory() as tmp:
        valid_out, quarantine = Path(tmp) / "v.parquet", Path(tmp) / "q.parquet"
        written = skewless.validate(
            data, checked, valid_out=valid_out, quarantine=quarantine, chunk_rows=chunk_rows
        )
        assert cadence_rows(written.report) == expected
        assert (written.valid_rows, written.quarantined_rows) == (
            len(rows) - len(expected),
            len(expected),
        )
        assert len(pd.read_parquet(valid_out)) == len(rows) - len(expected)
        assert set(pd.read_parquet(quarantine)["_row"]) == expected


# --- strategies.frames ------------------------------------------------------------------------

GROUPED = {
    "by-user": "  user_id: {type: integer}\n"
    "  window_start: {type: datetime, cadence: {every: 5min, by: user_id}}\n",
    "by-user-and-mapped-device": "  user_id: {type: integer, min: 0, max: 3}\n"
    "  device: {type: category, values: [phone, Other], unknown: {map_to: Other}}\n"
    "  window_start: {type: datetime, cadence: {every: 5min, by: [user_id, device]}}\n",
    "nullable-cadence-column": "  user_id: {type: integer, nullable: true}\n"
    "  window_start: {type: datetime, nullable: true, cadence: {every: 10s, by: user_id}}\n",
    "filled-group-column": "  user_id: {type: integer, nullable: true, fill_null: 0, min: 0, max: 2}\n"
    "  window_start: {type: datetime, cadence: {every: 1h, by: user_id}}\n",
    "unique-user-and-window": "  user_id: {type: integer, min: 0, max: 2}\n"
    "  window_start: {type: datetime, nullable: true, cadence: {every: 5min, by: user_id}}\n",
    "grouped-by-an-ungrouped-cadence": "  day: {type: datetime, cadence: 1d}\n"
    "  window_start: {type: datetime, cadence: {every: 5min, by: day}}\n",
}
UNIQUE = {"unique-user-and-window": "checks:\n  unique: [[user_id, window_start]]\n"}


@pytest.mark.parametrize("name", GROUPED)
@settings(max_examples=FRAME_EXAMPLES)
@given(data=st.data())
def test_frames_of_a_grouped_cadence_pass(name: str, data: st.DataObject) -> None:
    checked = contract(GROUPED[name], top=UNIQUE.get(name, ""))
    drawn = data.draw(frames(checked, max_rows=20))
    report = checked.validate(drawn)
    assert report.ok, report.violations


def test_a_group_column_with_a_grouped_cadence_of_its_own_is_refused() -> None:
    # Groups of groups would chain (and could loop): group by what the group column is
    # grouped by instead.
    with pytest.raises(skewless.ContractError) as info:
        contract(
            "  user_id: {type: integer}\n"
            "  hourly: {type: datetime, cadence: {every: 1h, by: window_start}}\n"
            "  window_start: {type: datetime, cadence: {every: 5min, by: user_id}}\n"
        )
    error = info.value
    assert (error.code, error.path) == (
        ContractErrorCode.INVALID_VALUE,
        "columns.hourly.cadence.by",
    )
    assert "has a grouped cadence itself" in error.message
