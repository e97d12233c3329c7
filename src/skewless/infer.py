"""Draft a contract from data (`skewless infer`): one that accepts its own source, every guess
commented for review.

    >>> from skewless.infer import infer
    >>> print(infer("examples/data/user_events_clean.csv"))       # YAML text, comments kept

A column's type is found by reading its values with the readers the contract itself uses
(`batch.convert_column`), trying the types from the most specific to the least: boolean,
integer, float, date, datetime, string. The first type that reads every value wins, so a CSV
column is an integer exactly when `skewless validate` would read each of its cells as one, and
the draft accepts its own source by construction. Per column the draft keeps what the values
showed: nulls (`nullable`), the range of numbers, NaN and infinities, the longest text, a
vocabulary for text with few distinct values, the zone of datetimes; `unique` is only ever
suggested in a comment.

The source is read chunk by chunk, so memory is bounded by a chunk, plus per column at most
`max_categories` distinct short texts and a capped set of values for the `unique`
suggestion.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skewless.contract import Column, ColumnType
from skewless.errors import Code, InputError
from skewless.report import escape, printable
from skewless.yaml_dialect import scalar

if TYPE_CHECKING:
    import pyarrow as pa

    from skewless.dtypes import Converted
    from skewless.io import Source

VERSION = "0.1.0"
DEFAULT_MAX_CATEGORIES = 20
CATEGORY_VALUE_LENGTH = 100  # code points: longer text is not a category value
UNIQUE_VALUES = 1_000_000  # distinct values kept per column to suggest `unique: true`...
UNIQUE_BYTES = 64 << 20  # ... and the bytes they may take; past either, no suggestion
UNIQUE_MIN = 10  # fewer values than this say nothing about uniqueness
MAX_CONTRACT_BYTES = 1 << 20  # what the loader accepts
SAMPLE_ROWS = 1000  # a type is first tried on a chunk's first rows: most wrong ones fail there
# Most specific first: the first type that reads every value of a column is its type.
# "coerced" is text with `coerce: true`: numbers and text mixed (JSON, object columns).
TRIED: tuple[str, ...] = ("boolean", "integer", "float", "date", "datetime", "string", "coerced")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_UNUSABLE_NAME = re.compile(r"[\x00-\x1f\x7f]")  # what the loader refuses in a column name
_OFFSET = r"(?P<offset>Z|z|[+-][0-9]{2}:?[0-9]{2}|)$"
_UNREAD: Any = object()
_UTC_OFFSETS = {"Z", "+00:00", "+0000", "-00:00", "-0000"}


@dataclass(frozen=True, slots=True)
class Inferred:
    """A draft contract: its YAML text, and what was read to make it."""

    text: str
    name: str
    source: str
    rows: int
    columns: int
    warnings: tuple[str, ...]  # rows or columns the draft cannot accept, said plainly


def infer(
    data: Any,
    *,
    name: str | None = None,
    sample_rows: int | None = None,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    chunk_rows: int | None = None,
    table: str | None = None,
    query: str | None = None,
) -> str:
    """The YAML text of a draft contract for `data`: a DataFrame, a file, a Parquet dataset or
    glob, or a database URL with `table` or `query` (anything `skewless.validate` reads).

    `sample_rows`: read only the first N rows (default: all of them, chunk by chunk).
    `max_categories`: text with at most this many distinct values (and not near-unique) is a
    `category` with its vocabulary. Raises `InputError` for a source that cannot be read.
    """
    from skewless.gate import source_of

    return infer_source(
        source_of(data, table=table, query=query),
        name=name if name is not None else default_name(data, table),
        sample_rows=sample_rows,
        max_categories=max_categories,
        chunk_rows=chunk_rows,
    ).text


def default_name(data: Any, table: str | None = None) -> str:
    """The contract's name from the table or the file's stem, as an identifier."""
    if table is not None:
        return identifier(table.rsplit(".", 1)[-1])
    if isinstance(data, str | Path) and "://" not in str(data):
        stem = Path(str(data).rstrip("/")).name.split(".")[0]
        return identifier(stem)
    return "dataframe" if type(data).__name__ == "DataFrame" else "inferred"


def identifier(text: str) -> str:
    """`text` as a contract identifier, [a-z][a-z0-9_]*: 'User Events (2024)' is
    'user_events_2024', 'données' is 'donnees', '2024-01' is 'data_2024_01'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if not words:
        return "inferred"
    return words if words[0].isalpha() else f"data_{words}"


# --- what the values of a column showed -------------------------------------------------------


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
class _Seen:
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
class _ColumnState:
    name: str
    tried: list[_Seen]
    source_type: Any = None  # the column's own Arrow type in a typed source, else None
    absent_in: int = 0  # records (JSON Lines) of a chunk holding the key that lack it
    absent_out: int = 0  # records of chunks that never hold the key
    leader: _Seen | None = None  # the type whose statistics are counted: the first standing
    stale: bool = False  # the leader changed after a chunk was counted: count them again

    @property
    def absent(self) -> int:
        return self.absent_in + self.absent_out

    def standing(self) -> _Seen:
        """The first type that read every value so far; text when none did (it is the type
        that rejects the fewest values: only invalid Unicode and non-text objects)."""
        return next((s for s in self.tried if s.alive), self.tried[TRIED.index("string")])


def _new_column(name: str, data: Any) -> _ColumnState:
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
        tried.append(_fresh(column))
    return _ColumnState(name, tried, source_type)


def _fresh(column: Column) -> _Seen:
    seen = _Seen(column)
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


def _without_absent(state: _ColumnState, data: Any, *, tally: bool) -> Any:
    """Records' values with a missing key read as null (counted apart from nulls)."""
    from skewless.batch import ABSENT

    if not isinstance(data, list):
        return data
    absent = sum(1 for v in data if v is ABSENT)
    if not absent:
        return data
    if tally:
        state.absent_in += absent
    return [None if v is ABSENT else v for v in data]


def _feed(state: _ColumnState, data: Any, *, text: bool, max_categories: int) -> None:
    """Read one chunk of a column as every type still standing; count the leader's values.

    A type that fails on the chunk's first rows is dropped without reading the rest, and a
    date or datetime whose grammar a text cell cannot match without the per-value parse.
    """
    data = _without_absent(state, data, tally=True)
    cells: Any = _UNREAD
    kept: Converted | None = None
    for seen in state.tried:
        if not seen.alive:
            continue
        if len(data) > SAMPLE_ROWS and _reads(seen, _head(data, SAMPLE_ROWS), text) is None:
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
    _count(leader, kept if kept is not None else _read(leader, data, text), data, max_categories)


class _Unreadable(Exception):
    """A column no reader can take at all (a pandas dtype pyarrow cannot convert)."""


def _reads(seen: _Seen, data: Any, text: bool) -> Converted | None:
    """The column read as `seen`'s type, or None when a value does not read as it."""
    try:
        converted = _read(seen, data, text)
    except _Unreadable:
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


def _read(seen: _Seen, data: Any, text: bool) -> Converted:
    """The column read as `seen`'s type; a datetime column turns to `naive: assume` when a
    value without a zone comes (read as wall time in UTC, which has no gap or overlap)."""
    import pyarrow as pa

    from skewless.batch import convert_column

    try:
        converted = convert_column(seen.column, data, text=text)
    except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
        raise _Unreadable(str(exc).strip().splitlines()[0] if str(exc).strip() else "") from None
    column = seen.column
    naive = any(f.code is Code.NAIVE_DATETIME for f, _ in converted.failures)
    if column.type == "datetime" and column.naive == "reject" and naive:
        seen.column = dataclasses.replace(column, timezone="UTC", naive="assume")
        converted = convert_column(seen.column, data, text=text)
    return converted


def _count(seen: _Seen, converted: Converted, data: Any, max_categories: int) -> None:
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


def _vocabulary(seen: _Seen, present: pa.Array, max_categories: int) -> None:
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
        len(v) > CATEGORY_VALUE_LENGTH or _UNUSABLE_NAME.search(v) for v in new
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


# --- reading a source -------------------------------------------------------------------------


def infer_source(
    source: Source,
    *,
    name: str,
    sample_rows: int | None = None,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    chunk_rows: int | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> Inferred:
    """A draft contract for a source, read chunk by chunk (see `infer`)."""
    from skewless.io import DEFAULT_CHUNK_ROWS

    if not _NAME.fullmatch(name):
        raise ValueError(
            f"{escape(name)} is not a contract name (lower case letters, digits and _, "
            "starting with a letter)"
        )
    if max_categories < 0:
        raise ValueError("max_categories is 0 or more")
    if sample_rows is not None and sample_rows < 1:
        raise ValueError("sample_rows is 1 or more")
    size = DEFAULT_CHUNK_ROWS if chunk_rows is None else chunk_rows
    if sample_rows is not None:
        size = min(size, sample_rows)
    states: dict[str, _ColumnState] = {}
    rows = read = malformed = 0
    for columns, text, taken, skipped in _chunks(source, size, sample_rows):
        for column_name, data in columns.items():
            state = states.get(column_name)
            if state is None:
                state = states[column_name] = _new_column(column_name, data)
                state.absent_out += read  # a key first met now was absent from every record before
            try:
                _feed(state, data, text=text, max_categories=max_categories)
            except _Unreadable as exc:
                kind = getattr(data, "dtype", None)
                raise InputError(
                    source.name,
                    f"column {escape(column_name)}"
                    + (f" ({kind})" if kind is not None else "")
                    + f" cannot be read: {printable(str(exc))[:200]}",
                ) from None
        for state in states.values():
            if state.name not in columns:  # records without the key in this whole chunk
                state.absent_out += taken
        rows += taken + skipped
        read += taken
        malformed += skipped
        if on_chunk is not None:
            on_chunk(taken + skipped)
    if not states:
        raise InputError(source.name, "has no columns: there is nothing to infer a contract from")
    stale = {name: state for name, state in states.items() if state.stale}
    if stale:
        _count_again(source, stale, size, sample_rows, max_categories)
    return _draft(source, name, states, rows, read, malformed, sample_rows)


def _chunks(
    source: Source, size: int, sample_rows: int | None
) -> Iterator[tuple[dict[str, Any], bool, int, int]]:
    """(columns, text, rows read, malformed rows) per chunk, up to `sample_rows` rows."""
    rows = 0
    for chunk in source.chunks(size):
        columns, skipped, taken = chunk.columns, len(chunk.skipped), len(chunk.positions)
        if sample_rows is not None and rows + chunk.rows > sample_rows:
            taken = min(taken, sample_rows - rows)
            end = int(chunk.positions[taken]) if taken < len(chunk.positions) else None
            skipped = sum(1 for p in chunk.skipped if end is None or p < end)
            columns = {n: _head(data, taken) for n, data in columns.items()}
        yield columns, chunk.text, taken, skipped
        rows += taken + skipped
        if sample_rows is not None and rows >= sample_rows:
            return


def _count_again(
    source: Source,
    states: dict[str, _ColumnState],
    size: int,
    sample_rows: int | None,
    max_categories: int,
) -> None:
    """A second pass for the columns whose leading type fell after its values were counted
    (a column of integers until row 3,000,000, then text): count them as the type that stood."""
    for state in states.values():
        assert state.leader is not None
        fresh = _fresh(state.leader.column)
        fresh.alive = state.leader.alive
        state.tried[state.tried.index(state.leader)] = state.leader = fresh
    for columns, text, _, _ in _chunks(source, size, sample_rows):
        for name, state in states.items():
            if name in columns:
                assert state.leader is not None
                data = _without_absent(state, columns[name], tally=False)
                _count(state.leader, _read(state.leader, data, text), data, max_categories)


def _head(data: Any, n: int) -> Any:
    import pyarrow as pa

    if isinstance(data, list | pa.Array | pa.ChunkedArray):
        return data[:n]
    return data.iloc[:n]


# --- writing the draft ------------------------------------------------------------------------


@dataclass(slots=True)
class _Lines:
    """A column's YAML lines as (text, comment) pairs, indented by the writer."""

    lines: list[tuple[str, str]] = field(default_factory=list)

    def add(self, text: str, comment: str = "") -> None:
        self.lines.append((text, comment))


def _draft(
    source: Source,
    name: str,
    states: dict[str, _ColumnState],
    rows: int,
    read: int,
    malformed: int,
    sample_rows: int | None,
) -> Inferred:
    where = "a DataFrame" if source.name == "<DataFrame>" else printable(source.name)[:300]
    seen_rows = _n(rows, "row").replace(" ", "\u00a0")  # kept on one line by the wrapping
    sampled = sample_rows is not None and rows >= sample_rows
    warnings: list[str] = []
    if malformed:
        warnings.append(
            f"{malformed:,} of {_n(rows, 'row')} could not be read as records (malformed_input): "
            "no contract accepts them"
        )
    body: list[str] = []
    declared = 0
    for state in states.values():
        if state.name == "" or _UNUSABLE_NAME.search(state.name):
            shown = escape(state.name)
            warnings.append(
                f"column {shown}: a contract cannot declare a name that is empty or holds a "
                "control character; the data fails with unexpected_column until it is renamed"
            )
            body.append(f"  # {shown}: not declared: its name is empty or holds a control")
            body.append("  #   character, which no contract can name (rename it upstream)")
            continue
        lines, warning = _column_lines(state, read)
        if warning:
            warnings.append(f"column {escape(state.name)}: {warning}")
        body.extend(_key_lines(state.name))
        body.extend(_aligned(lines.lines, "    "))
        declared += 1
    if not declared:
        raise InputError(
            source.name,
            "has no column a contract can declare (names are empty or hold control characters)",
        )
    intro = (
        f"A draft contract inferred by `skewless infer` from {where} "
        f"({'the first ' if sampled else ''}{seen_rows}). Every key is a guess from those rows: "
        "review each one, and widen ranges and vocabularies to what is valid rather than what "
        "was seen."
    )
    if sampled:
        intro += " Only a sample was read: later rows may break this draft."
    header = _wrapped(intro)
    for warning in warnings:
        header += _wrapped(f"warning: {printable(warning)}")
    top = _aligned(
        [
            (f"contract: {name}", ""),
            (f"version: {VERSION}", "a draft: give it its real version when reviewed"),
            ("extra_columns: reject", "a column the data gains later is a violation"),
            ("columns:", ""),
        ],
        "",
    )
    text = "\n".join(header + top + body) + "\n"
    size = len(text.encode("utf-8"))
    if size > MAX_CONTRACT_BYTES:
        raise InputError(
            source.name,
            f"the draft would be {size:,} bytes, over the {MAX_CONTRACT_BYTES:,} a contract may "
            "hold (long column names or vocabularies: try a lower --max-categories)",
        )
    return Inferred(text, name, source.name, rows, declared, tuple(warnings))


def _column_lines(state: _ColumnState, read: int) -> tuple[_Lines, str]:
    """A column's keys and their comments, and a warning when some values read as no type."""
    out = _Lines()
    rows = read
    chosen = state.leader
    assert chosen is not None
    warning = ""
    if chosen.failed:
        warning = (
            f"{_n(chosen.failed, 'value')} read as no column type ({printable(chosen.failure)}); "
            "the draft rejects them"
        )
    if chosen.present == 0 and not chosen.failed:
        _no_values(state, out, rows)
    else:
        _typed_lines(state, chosen, out, rows, warning)
    nulls = chosen.nulls - state.absent_in
    if nulls:
        out.add("nullable: true", f"nulls in {nulls:,} of {_n(rows, 'row')}")
    elif state.absent:
        out.add("nullable: true", "a record without the key reads as null")
    if state.absent:
        out.add("required: false", f"absent from {state.absent:,} of {_n(rows, 'record')}")
    distinct = chosen.distinct
    if (
        chosen.column.type != "category"
        and distinct is not None
        and distinct.state == "unique"
        and chosen.present >= UNIQUE_MIN
    ):
        out.add(
            "# unique: true",
            f"suggested, not set: the {chosen.present:,} values seen are all distinct",
        )
    return out, warning


def _no_values(state: _ColumnState, out: _Lines, rows: int) -> None:
    """A column with nulls only: its own type in a typed source, else string."""
    import pyarrow as pa

    kind: ColumnType = "string"
    t = state.source_type
    if t is not None:
        for test, named in (
            (pa.types.is_boolean, "boolean"),
            (pa.types.is_integer, "integer"),
            (pa.types.is_floating, "float"),
            (pa.types.is_date, "date"),
            (pa.types.is_timestamp, "datetime"),
        ):
            if test(t):
                kind = named  # type: ignore[assignment]
    chosen = next(s for s in state.tried if s.column.type == kind and not s.column.coerce)
    why = f"the source's type, {t}" if t is not None else "a guess"
    seen = "no rows" if not rows else "no value seen, only nulls"
    out.add(f"type: {kind}", f"{seen}: the type is {why}")
    if kind == "datetime":
        zone = chosen.column.timezone or "UTC"
        known = t is not None and t.tz == zone
        out.add(
            f"timezone: {scalar(zone)}",
            "the zone of the source's type" if known else "guessed: set the zone values carry",
        )


def _typed_lines(state: _ColumnState, seen: _Seen, out: _Lines, rows: int, warning: str) -> None:
    column = seen.column
    kind = column.type
    guessed_range = f"guessed: the range seen in {_n(rows, 'row')}; widen it to what is valid"
    if kind == "string" and not column.coerce and not warning:
        vocabulary = seen.vocabulary
        if vocabulary and len(vocabulary) * 2 <= seen.present:
            out.add("type: category", f"{len(vocabulary)} distinct values in {_n(rows, 'row')}")
            items = [scalar(v) for v in sorted(vocabulary)]
            comment = "guessed: the values seen; add the valid ones that were not"
            flow = "[" + ", ".join(items) + "]"
            if len(flow) <= 80:
                out.add(f"values: {flow}", comment)
            else:
                out.add("values:", comment)
                for item in items:
                    out.add(f"  - {item}")
            return
    comment = warning
    if kind in ("date", "datetime") and seen.low is not None:
        comment = f"seen from {_iso(seen.low)} to {_iso(seen.high)}"
    if column.coerce:
        comment = "values of several types: numbers are read as their text (coerce)"
    out.add(f"type: {'string' if column.coerce else kind}", comment)
    if kind == "datetime":
        _zone_lines(seen, out)
    elif kind in ("integer", "float") and seen.low is not None:
        low, high = _number(seen.low), _number(seen.high)
        if not seen.minus_inf:
            out.add(f"min: {low}", guessed_range)
        if not seen.plus_inf:
            out.add(f"max: {high}", "" if not seen.minus_inf else guessed_range)
    if seen.nans:
        out.add("allow_nan: true", f"NaN in {_n(seen.nans, 'row')}")
    if seen.plus_inf or seen.minus_inf:
        signs = " and ".join(
            s for s, on in (("-inf", seen.minus_inf), ("+inf", seen.plus_inf)) if on
        )
        out.add("allow_inf: true", f"{signs} seen, so no bound on that side")
    if kind == "string" and seen.longest > 0:
        out.add(
            f"max_length: {seen.longest}",
            "guessed: the longest value seen (in characters); allow for longer ones",
        )
    if kind == "string" and seen.control:
        out.add(
            "allow_control: true",
            "control characters seen (NUL, ESC, ...): are they meant to be there?",
        )
    if column.coerce:
        out.add("coerce: true")


def _zone_lines(seen: _Seen, out: _Lines) -> None:
    column = seen.column
    zone = column.timezone or "UTC"
    arrived = sorted(seen.zones)
    aware = [z for z in arrived if z != "naive"]
    if column.naive == "assume":
        out.add(
            f"timezone: {scalar(zone)}",
            "guessed: values without a zone came; set the zone they were written in",
        )
        mixed = f" ({len(aware)} kinds of aware values came too)" if aware else ""
        out.add("naive: assume", f"values without a zone are read as wall time there{mixed}")
        return
    if zone != "UTC" or aware == ["UTC"]:
        out.add(f"timezone: {scalar(zone)}", "the zone the values carry")
    elif aware and set(aware) <= _UTC_OFFSETS:
        out.add("timezone: UTC", f"the values are in UTC ({', '.join(aware)})")
    else:
        shown = ", ".join(printable(z) for z in aware[:5]) + (", ..." if len(aware) > 5 else "")
        out.add(
            "timezone: UTC",
            f"guessed: the values carry {shown} (offsets or zones); set the zone they mean",
        )


def _n(n: int, noun: str) -> str:
    """'1 row', '1,200 rows'."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _wrapped(text: str) -> list[str]:
    """A comment paragraph, wrapped."""
    import textwrap

    lines = textwrap.wrap(text, 94, break_on_hyphens=False)
    return ["# " + line.replace("\u00a0", " ") for line in lines]


def _iso(value: Any) -> str:
    return str(value.isoformat())


def _number(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    return repr(float(value) if value else 0.0)  # -0.0 is 0.0, whichever a chunk met first


# --- YAML text --------------------------------------------------------------------------------

COMMENT_COLUMN = 36


def _key_lines(name: str) -> list[str]:
    """A column's key: plain or quoted; an explicit key (`? KEY`) past YAML's 1024-character
    limit on implicit keys."""
    key = scalar(name)
    if len(key) > 1000:
        return [f"  ? {key}", "  :"]
    comment = "" if name.isprintable() else "  # its name holds invisible characters, escaped"
    return [f"  {key}:{comment}"]


def _aligned(lines: list[tuple[str, str]], indent: str) -> list[str]:
    out = []
    for text, comment in lines:
        line = indent + text
        if comment:
            line = line.ljust(COMMENT_COLUMN) + "  # " + printable(comment)
        out.append(line)
    return out


__all__ = [
    "DEFAULT_MAX_CATEGORIES",
    "Inferred",
    "default_name",
    "identifier",
    "infer",
    "infer_source",
]
