"""A column's type and statistics for `skewless infer`, found by reading its values as every type.

    >>> state = new_column("age", data)
    >>> feed(state, data, text=True, max_categories=20)      # once per chunk
    >>> state.leader.column.type, state.leader.low, state.leader.high   # 'integer', 18, 99

Each chunk of a column is read with the readers the contract itself uses
(`batch.convert_column`) as every type of `TRIED` still standing, from the most specific to the
least; a type falls when a value does not read as it (`feed`). The first type standing leads,
and its values are counted (`Seen`): nulls, the range of numbers, NaN and infinities, the
longest text, a vocabulary for text with few distinct values, how datetimes carried their zone,
and whether every value was distinct. A leader that falls after its values were counted marks
the column `stale`, to be counted again as the type that stood. Memory is bounded per column by
`max_categories` short texts and a capped set of values for the `unique` suggestion. Split from
`skewless.infer`, which reads the source chunk by chunk and calls these; `skewless.infer_draft`
writes what they saw.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from skewless.contract import Column
from skewless.errors import Code

if TYPE_CHECKING:
    import pyarrow as pa

    from skewless.dtypes import Converted

CATEGORY_VALUE_LENGTH = 100  # code points: longer text is not a category value
UNIQUE_VALUES = 1_000_000  # distinct values kept per column to suggest `unique: true`...
UNIQUE_BYTES = 64 << 20  # ... and the bytes they may take; past either, no suggestion
SAMPLE_ROWS = 1000  # a type is first tried on a chunk's first rows: most wrong ones fail there
# Most specific first: the first type that reads every value of a column is its type.
# "coerced" is text with `coerce: true`: numbers and text mixed (JSON, object columns).
TRIED: tuple[str, ...] = ("boolean", "integer", "float", "date", "datetime", "string", "coerced")
UNUSABLE_NAME = re.compile(r"[\x00-\x1f\x7f]")  # what the loader refuses in a column name
_OFFSET = r"(?P<offset>Z|z|[+-][0-9]{2}:?[0-9]{2}|)$"
_UNREAD: Any = object()


# --- what the values of a column showed ---------------------------------------------------------


@dataclass(slots=True)
class _Distinct:
    """The distinct values seen so far, to suggest `unique: true`; gives up past a cap."""

    values: Any = None  # a pyarrow array, or None
    state: str = "unique"  # unique | repeated | too_many

    def add(self, present: pa.Array) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.state != "unique" or not len(present):
            return
        try:
            both = present if self.values is None else pa.concat_arrays([self.values, present])
        except pa.ArrowException:  # chunks of another type (a zone read otherwise): no verdict
            self.state, self.values = "too_many", None
            return
        if len(pc.unique(both)) < len(both):
            self.state, self.values = "repeated", None
        elif len(both) > UNIQUE_VALUES or both.nbytes > UNIQUE_BYTES:
            self.state, self.values = "too_many", None
        else:
            self.values = both


@dataclass(slots=True)
class Seen:
    """What reading one column's values as one type showed."""

    column: Column  # the type tried, as a contract column
    alive: bool = True  # every value so far read as this type
    failed: int = 0  # values that did not (counted for the string fallback only)
    failure: str = ""  # the first failure: its code and message
    present: int = 0  # values read (not null)
    nulls: int = 0
    low: Any = None
    high: Any = None
    nans: int = 0
    plus_inf: bool = False
    minus_inf: bool = False
    longest: int = 0
    control: bool = False  # a control character that `allow_control` governs
    vocabulary: set[str] | None = field(default_factory=set)  # None: not a category
    distinct: _Distinct | None = None
    zones: Counter[str] = field(default_factory=Counter)  # datetimes: how values arrived

    def bounds(self, low: Any, high: Any) -> None:
        if low is not None and (self.low is None or low < self.low):
            self.low = low
        if high is not None and (self.high is None or high > self.high):
            self.high = high


@dataclass(slots=True)
class ColumnState:
    """One column of the source: every type tried on it, and the one whose values are counted."""

    name: str
    tried: list[Seen]
    source_type: Any = None  # the column's own Arrow type in a typed source, else None
    absent_in: int = 0  # records (JSON Lines) of a chunk holding the key that lack it
    absent_out: int = 0  # records of chunks that never hold the key
    leader: Seen | None = None  # the type whose statistics are counted: the first standing
    stale: bool = False  # the leader changed after a chunk was counted: count them again

    @property
    def absent(self) -> int:
        return self.absent_in + self.absent_out

    def standing(self) -> Seen:
        """The first type that read every value so far; text when none did (it is the type
        that rejects the fewest values: only invalid Unicode and non-text objects)."""
        return next((s for s in self.tried if s.alive), self.tried[TRIED.index("string")])


# --- reading a chunk as every type --------------------------------------------------------------


def new_column(name: str, data: Any) -> ColumnState:
    """A column first met: every type of `TRIED` standing (a datetime in the source type's zone)."""
    source_type = _source_type(data)
    zone = "UTC"
    tz = getattr(source_type, "tz", None)
    if tz and _is_zone(tz):
        zone = tz
    tried = []
    for kind in TRIED:
        column = Column(name, "string", coerce=True)
        if kind != "coerced":
            column = Column(name, kind, timezone=zone if kind == "datetime" else None)  # type: ignore[arg-type]
        tried.append(unseen(column))
    return ColumnState(name, tried, source_type)


def unseen(column: Column) -> Seen:
    """Nothing seen yet as `column`'s type."""
    seen = Seen(column)
    if column.type in ("integer", "string", "date", "datetime") and not column.coerce:
        seen.distinct = _Distinct()
    return seen


def _source_type(data: Any) -> Any:
    """The Arrow type a typed column holds (None for text to parse and Python objects)."""
    import pyarrow as pa

    if isinstance(data, list):
        return None
    if isinstance(data, pa.Array | pa.ChunkedArray):
        kind = data.type
    else:
        if _is_object(data):
            return None
        from skewless.batch import arrow_of

        try:
            kind = arrow_of(data.iloc[:0]).type
        except (pa.ArrowException, TypeError, ValueError):
            return None
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return None if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) else kind


def _is_object(data: Any) -> bool:
    """A pandas column of Python objects (read value by value)."""
    import pyarrow as pa

    return not isinstance(data, list | pa.Array | pa.ChunkedArray) and str(data.dtype) == "object"


def _is_zone(name: str) -> bool:
    from skewless.loader import _known_zones

    return name == "UTC" or name in _known_zones()


def without_absent(state: ColumnState, data: Any, *, tally: bool) -> Any:
    """Records' values with a missing key read as null (counted apart from nulls)."""
    from skewless.batch import ABSENT, absent_as_null

    if not isinstance(data, list):
        return data
    absent = sum(1 for v in data if v is ABSENT)
    if not absent:
        return data
    if tally:
        state.absent_in += absent
    return absent_as_null(data)


def feed(state: ColumnState, data: Any, *, text: bool, max_categories: int) -> None:
    """Read one chunk of a column as every type still standing; count the leader's values.

    A type that fails on the chunk's first rows is dropped without reading the rest, and a
    date or datetime whose grammar a text cell cannot match without the per-value parse.
    """
    data = without_absent(state, data, tally=True)
    cells: Any = _UNREAD
    kept: Converted | None = None
    for seen in state.tried:
        if not seen.alive:
            continue
        if len(data) > SAMPLE_ROWS and _reads(seen, head(data, SAMPLE_ROWS), text) is None:
            seen.alive = False
            continue
        if seen.column.type in ("date", "datetime"):
            cells = _text_cells(data) if cells is _UNREAD else cells
            if not _may_parse(seen.column, cells):
                seen.alive = False
                continue
        converted = _reads(seen, data, text)
        if converted is None:
            seen.alive = False
        elif kept is None:
            kept = converted  # the first type standing leads: its values are counted
    leader = state.standing()
    if state.leader is not None and leader is not state.leader:
        state.stale = True
    state.leader = leader
    count_values(
        leader, kept if kept is not None else read_as(leader, data, text), data, max_categories
    )


class UnreadableColumn(Exception):
    """A column no reader can take at all (a pandas dtype pyarrow cannot convert)."""


def _reads(seen: Seen, data: Any, text: bool) -> Converted | None:
    """The column read as `seen`'s type, or None when a value does not read as it."""
    try:
        converted = read_as(seen, data, text)
    except UnreadableColumn:
        return None  # a type whose reader cannot take these values at all
    return None if converted.failures else converted


def _text_cells(data: Any) -> Any:
    """The column as one text array when it is text (CSV cells, string columns), else None:
    a cheap test of a date or datetime grammar before the per-value parse."""
    import pyarrow as pa

    from skewless.batch import arrow_of
    from skewless.dtypes import decoded

    if isinstance(data, list) or _is_object(data):
        return None
    try:
        array = decoded(arrow_of(data))
    except (pa.ArrowException, TypeError, ValueError):
        return None  # the readers say what is wrong with it
    kind = array.type
    text_kinds = (pa.types.is_binary, pa.types.is_large_binary, pa.types.is_string)
    if any(test(kind) for test in text_kinds) or pa.types.is_large_string(kind):
        return array
    return None


def _may_parse(column: Column, cells: Any) -> bool:
    """False when a text cell cannot match the type's grammar (the full parse would fail)."""
    if cells is None or column.type not in ("date", "datetime"):
        return True
    import pyarrow.compute as pc

    from skewless.checks import full_match
    from skewless.dtypes import DATE_TEXT, DATETIME_TEXT

    grammar = DATE_TEXT if column.type == "date" else DATETIME_TEXT
    matched = pc.match_substring_regex(cells, full_match(grammar))
    return bool(pc.all(matched).as_py() is not False)


def read_as(seen: Seen, data: Any, text: bool) -> Converted:
    """The column read as `seen`'s type; a datetime column turns to `naive: assume` when a
    value without a zone comes (read as wall time in UTC, which has no gap or overlap)."""
    import pyarrow as pa

    from skewless.batch import convert_column

    try:
        converted = convert_column(seen.column, data, text=text)
    except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
        raise UnreadableColumn(
            str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        ) from None
    column = seen.column
    naive = any(f.code is Code.NAIVE_DATETIME for f, _ in converted.failures)
    if column.type == "datetime" and column.naive == "reject" and naive:
        seen.column = dataclasses.replace(column, timezone="UTC", naive="assume")
        converted = convert_column(seen.column, data, text=text)
    return converted


# --- counting the leader's values ---------------------------------------------------------------


def count_values(seen: Seen, converted: Converted, data: Any, max_categories: int) -> None:
    """Add a chunk's values, read as `seen`'s type, to what it saw."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from skewless.checks import CONTROL_CLASS
    from skewless.dtypes import decoded

    failures = int(converted.failed_mask().sum()) if converted.failures else 0
    if failures:  # the text fallback, when no type reads every value
        seen.failed += failures
        if not seen.failure:
            first, _ = converted.failures[0]
            seen.failure = f"{first.code.value}: {first.message}"
    if seen.column.type == "datetime":
        seen.zones.update(_zones(data))
    array = converted.array
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = decoded(array)
    seen.nulls += array.null_count - failures
    present = array.drop_null()
    seen.present += len(present)
    if not len(present):
        return
    kind = seen.column.type
    if kind == "float":
        nan = pc.is_nan(present)
        seen.nans += int(pc.sum(nan).as_py() or 0)
        seen.plus_inf |= bool(pc.any(pc.equal(present, float("inf"))).as_py())
        seen.minus_inf |= bool(pc.any(pc.equal(present, float("-inf"))).as_py())
        finite = present.filter(pc.is_finite(present))
        if len(finite):
            bounds = pc.min_max(finite)
            seen.bounds(bounds["min"].as_py(), bounds["max"].as_py())
        return
    if kind in ("integer", "date", "datetime"):
        bounds = pc.min_max(present)
        seen.bounds(bounds["min"].as_py(), bounds["max"].as_py())
    if kind == "string":
        present = present.cast(pa.large_string())
        seen.longest = max(seen.longest, int(pc.max(pc.utf8_length(present)).as_py()))
        if not seen.control:
            seen.control = bool(pc.any(pc.match_substring_regex(present, CONTROL_CLASS)).as_py())
        _vocabulary(seen, present, max_categories)
    if seen.distinct is not None:
        seen.distinct.add(present)


def _vocabulary(seen: Seen, present: pa.Array, max_categories: int) -> None:
    """Keep the distinct values while they could be a category's vocabulary."""
    import pyarrow.compute as pc

    if seen.vocabulary is None:
        return
    distinct = pc.unique(present)
    if len(distinct) > max_categories:
        seen.vocabulary = None
        return
    new = set(distinct.to_pylist()) - seen.vocabulary
    if len(seen.vocabulary) + len(new) > max_categories or any(
        len(v) > CATEGORY_VALUE_LENGTH or UNUSABLE_NAME.search(v) for v in new
    ):
        seen.vocabulary = None  # a vocabulary holds short values without control characters
        return
    seen.vocabulary |= new


def _zones(data: Any) -> Counter[str]:
    """How the values of a datetime column arrived: a zone, an offset per value, or 'naive'."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.compute as pc

    from skewless.batch import arrow_of
    from skewless.dtypes import decoded

    if isinstance(data, list) or _is_object(data):
        values = data if isinstance(data, list) else data.tolist()
        found: Counter[str] = Counter()
        for v in values:
            if isinstance(v, dt.datetime):
                offset = v.utcoffset()
                found[_offset_text(offset) if offset is not None else "naive"] += 1
            elif isinstance(v, str):
                match = re.search(_OFFSET, v)
                found[(match.group("offset").upper() if match else "") or "naive"] += 1
        return found
    array = decoded(arrow_of(data))
    if pa.types.is_timestamp(array.type):
        return Counter({array.type.tz or "naive": len(array) - array.null_count})
    if pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type):
        array = array.cast(pa.large_string(), safe=False)  # offsets are ASCII
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return Counter()
    offsets = pc.extract_regex(array.drop_null(), _OFFSET).field("offset")
    counts = pc.value_counts(offsets)
    return Counter(
        {
            (str(k).upper() if k else "naive"): int(n)
            for k, n in zip(counts.field(0).to_pylist(), counts.field(1).to_pylist(), strict=True)
        }
    )


def _offset_text(offset: Any) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def head(data: Any, n: int) -> Any:
    """A column's first `n` values (a list of records' values, an Arrow array or a Series)."""
    import pyarrow as pa

    if isinstance(data, list | pa.Array | pa.ChunkedArray):
        return data[:n]
    return data.iloc[:n]
