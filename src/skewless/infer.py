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

Here: the entry points and the source read chunk by chunk. A column's type and statistics are
found in `skewless.infer_columns`; the draft's text, with its comments and warnings, is written
in `skewless.infer_draft` (which holds `Inferred`, importable from here).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skewless.errors import InputError
from skewless.infer_columns import (
    ColumnState,
    UnreadableColumn,
    count_values,
    feed,
    head,
    new_column,
    read_as,
    unseen,
    without_absent,
)
from skewless.infer_draft import Inferred, draft
from skewless.report import escape, printable

if TYPE_CHECKING:
    from skewless.io import Source

DEFAULT_MAX_CATEGORIES = 20
_NAME = re.compile(r"[a-z][a-z0-9_]*")


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
    states: dict[str, ColumnState] = {}
    rows = read = malformed = 0
    for columns, text, taken, skipped in _chunks(source, size, sample_rows):
        for column_name, data in columns.items():
            state = states.get(column_name)
            if state is None:
                state = states[column_name] = new_column(column_name, data)
                state.absent_out += read  # a key first met now was absent from every record before
            try:
                feed(state, data, text=text, max_categories=max_categories)
            except UnreadableColumn as exc:
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
    return draft(source, name, states, rows, read, malformed, sample_rows)


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
            columns = {n: head(data, taken) for n, data in columns.items()}
        yield columns, chunk.text, taken, skipped
        rows += taken + skipped
        if sample_rows is not None and rows >= sample_rows:
            return


def _count_again(
    source: Source,
    states: dict[str, ColumnState],
    size: int,
    sample_rows: int | None,
    max_categories: int,
) -> None:
    """A second pass for the columns whose leading type fell after its values were counted
    (a column of integers until row 3,000,000, then text): count them as the type that stood."""
    for state in states.values():
        assert state.leader is not None
        fresh = unseen(state.leader.column)
        fresh.alive = state.leader.alive
        state.tried[state.tried.index(state.leader)] = state.leader = fresh
    for columns, text, _, _ in _chunks(source, size, sample_rows):
        for name, state in states.items():
            if name in columns:
                assert state.leader is not None
                data = without_absent(state, columns[name], tally=False)
                count_values(state.leader, read_as(state.leader, data, text), data, max_categories)


__all__ = [
    "DEFAULT_MAX_CATEGORIES",
    "Inferred",
    "default_name",
    "identifier",
    "infer",
    "infer_source",
]
