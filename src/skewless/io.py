"""Sources: files, datasets, SQL and DataFrames, read in chunks and parsed by the contract.

Every source yields `Chunk`s in source order, each at most `chunk_rows` rows, so memory is
bounded by the chunk, not the source. CSV cells are read as raw bytes (nothing decoded or
guessed by the reader) and parsed by the contract, so an unparseable value or invalid UTF-8 is a
row-level violation. A ragged CSV row or an unparseable JSON line is a `malformed_input`
violation at its row; the other rows are still judged. What cannot be judged at all (a
missing, empty or truncated file, a duplicate header, a database that refuses the connection,
a file that changes while it is read) raises `InputError`, which the command line turns into
exit code 2.

Row ids are 0-based positions of the records in the source (the header is not a record).
"""

from __future__ import annotations

import csv
import glob
import io
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skewless.batch import Chunk, compile_contract, frame_columns, record_columns
from skewless.dtypes import decoded
from skewless.errors import InputError
from skewless.payload import parse_document
from skewless.report import Report, escape

if TYPE_CHECKING:
    import pandas as pd

    from skewless.contract import Contract, Env

FORMATS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
MAX_JSON_LINE = 64 << 20  # bytes in one JSON Lines record
DEFAULT_CHUNK_ROWS = 1_000_000
PARQUET_BATCH_ROWS = 1 << 16  # rows decoded at a time, then gathered into a chunk


def too_large_reason() -> str:
    return f"is larger than {MAX_JSON_LINE} bytes"


def _one_line(message: str, limit: int = 300) -> str:
    """The first line of a reader's message, escaped, cut at `limit` characters."""
    text = message.strip().splitlines()[0] if message.strip() else message
    return escape(text[:limit], limit)[1:-1] + ("..." if len(text) > limit else "")


@dataclass(frozen=True, slots=True)
class _Stamp:
    size: int
    mtime_ns: int
    inode: int


def _stamp(path: Path) -> _Stamp:
    st = path.stat()
    return _Stamp(st.st_size, st.st_mtime_ns, st.st_ino)


@dataclass(slots=True)
class Source(ABC):
    """A source of chunks; `chunks()` may be called again for a second pass."""

    name: str
    identity: str = ""  # what the run id is derived from (path, size, mtime; query text...)
    text: bool = False

    @abstractmethod
    def chunks(self, chunk_rows: int | None) -> Iterator[Chunk]:
        """The source's rows, in order, at most `chunk_rows` at a time (None: all at once)."""


# --- files ------------------------------------------------------------------------------------


def _check_file(path: Path) -> None:
    name = str(path)
    if not path.exists():
        raise InputError(name, "no such file")
    if path.is_dir():
        raise InputError(name, "is a directory, not a file")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(name, exc.strerror or str(exc)) from None
    if size == 0:
        raise InputError(name, "empty file (no header, no records)")


@dataclass(slots=True)
class FileSource(Source):
    paths: list[Path] = field(default_factory=list)

    def stamps(self) -> list[_Stamp]:
        try:
            return [_stamp(p) for p in self.paths]
        except OSError as exc:
            raise InputError(self.name, f"changed while being read ({exc.strerror})") from None

    def unchanged(self, before: list[_Stamp]) -> None:
        if self.stamps() != before:
            raise InputError(self.name, "changed while being read; nothing was written")


def open_source(spec: str | Path, *, table: str | None = None, query: str | None = None) -> Source:
    """A source from a path, a glob, a Parquet directory, or a SQLAlchemy URL."""
    text = str(spec)
    if "://" in text:
        from skewless.sql import SqlSource

        sql_source: Source = SqlSource.open(text, table=table, query=query)
        return sql_source
    if table is not None or query is not None:
        raise InputError(text, "--table and --query go with a database URL")
    path = Path(text)
    if any(ch in text for ch in "*?") and not path.exists():
        matches = sorted(Path(p) for p in glob.glob(text, recursive=True))
        if not matches:
            raise InputError(text, "no file matches this pattern")
        formats = {detect_format(p) for p in matches}
        if formats != {"parquet"}:
            raise InputError(text, "a pattern may name Parquet files only")
        return ParquetSource(text, paths=matches)
    if path.is_dir():
        # Every file is read but hidden ones (_SUCCESS, .part-0.parquet.crc), as pyarrow does.
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
        )
        stray = [p for p in files if detect_format(p, quiet=True) != "parquet"]
        if stray:
            raise InputError(
                text,
                f"a directory is read as a Parquet dataset, and "
                f"{escape(str(stray[0].relative_to(path)))} is not a .parquet file",
            )
        if not files:
            raise InputError(text, "is a directory with no .parquet files")
        return ParquetSource(text, paths=files, dataset_root=path)
    fmt = detect_format(path)
    _check_file(path)
    readers: dict[str, type[FileSource]] = {
        "csv": CsvSource,
        "parquet": ParquetSource,
        "jsonl": JsonlSource,
    }
    return readers[fmt](text, paths=[path])


def detect_format(path: Path, *, quiet: bool = False) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        if quiet:
            return ""
        raise InputError(
            str(path), f"unknown file type {path.suffix!r}; expected .csv, .parquet or .jsonl"
        )
    return fmt


# --- CSV --------------------------------------------------------------------------------------


@dataclass(slots=True)
class CsvSource(FileSource):
    def __post_init__(self) -> None:
        self.text = True

    def chunks(self, chunk_rows: int | None) -> Iterator[Chunk]:
        import numpy as np
        import pyarrow as pa
        import pyarrow.csv as pcsv

        path = self.paths[0]
        before = self.stamps()
        header = _csv_header(self.name, path)
        skipped: dict[int, str] = {}
        reasons: dict[int, str] = {}

        def on_bad_row(row: Any) -> str:
            position = row.number - 2  # number counts rows from 1, header included
            skipped[position] = row.text
            reasons[position] = (
                f"has {row.actual_columns} fields; the header has {row.expected_columns}"
            )
            return "skip"

        try:
            reader = pcsv.open_csv(
                path,
                read_options=pcsv.ReadOptions(use_threads=False, block_size=_block_size(path)),
                # Blank lines are records too (all fields null): skipping them would shift the
                # row ids of every record after them.
                parse_options=pcsv.ParseOptions(
                    newlines_in_values=True,
                    invalid_row_handler=on_bad_row,
                    ignore_empty_lines=False,
                ),
                convert_options=pcsv.ConvertOptions(
                    column_types=dict.fromkeys(header, pa.binary()),
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=False,
                    null_values=[""],
                ),
            )
        except pa.ArrowInvalid as exc:
            if "Empty CSV file" in str(exc):  # a header without a final newline: no records
                self.unchanged(before)
                # No records, but a header the contract still judges (a missing column).
                empty = {n: pa.array([], pa.binary()) for n in header}
                yield Chunk(empty, np.zeros(0, dtype=np.int64), text=True)
                return
            raise InputError(self.name, f"unreadable CSV: {_one_line(str(exc))}") from None
        except OSError as exc:
            raise InputError(self.name, exc.strerror or str(exc)) from None
        consumed = 0  # records read so far, skipped ones included
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        pending_skipped: dict[int, str] = {}
        pending_reasons: dict[int, str] = {}
        start = 0

        def emit() -> Chunk:
            nonlocal pending, pending_rows, pending_skipped, pending_reasons, start
            table = pa.Table.from_batches(pending, schema=reader.schema)
            total = table.num_rows + len(pending_skipped)
            positions = np.arange(start, start + total, dtype=np.int64)
            if pending_skipped:
                positions = np.setdiff1d(positions, np.fromiter(pending_skipped, dtype=np.int64))
            chunk = Chunk(
                {n: table.column(n) for n in table.column_names},
                positions,
                text=True,
                skipped=pending_skipped,
                reasons=pending_reasons,
            )
            start += total
            pending, pending_rows, pending_skipped, pending_reasons = [], 0, {}, {}
            return chunk

        try:
            for batch in reader:
                consumed += batch.num_rows + len(skipped)
                pending.append(batch)
                pending_rows += batch.num_rows
                pending_skipped.update(skipped)
                pending_reasons.update(reasons)
                skipped.clear()
                reasons.clear()
                if chunk_rows is not None and pending_rows >= chunk_rows:
                    yield from _split_chunk(emit(), chunk_rows)
        except pa.ArrowInvalid as exc:
            raise InputError(self.name, f"unreadable CSV: {_one_line(str(exc))}") from None
        pending_skipped.update(skipped)
        pending_reasons.update(reasons)
        self.unchanged(before)
        if pending or pending_skipped or start == 0:  # a header alone is still judged
            chunk = emit()
            yield from _split_chunk(chunk, chunk_rows) if chunk_rows else [chunk]


def _split_chunk(chunk: Chunk, chunk_rows: int | None) -> Iterator[Chunk]:
    """CSV blocks do not end on chunk boundaries: cut a chunk to at most chunk_rows rows."""
    n = len(chunk.positions)
    if chunk_rows is None or n <= chunk_rows:
        yield chunk
        return
    for lo in range(0, n, chunk_rows):
        hi = min(lo + chunk_rows, n)
        first = int(chunk.positions[lo])
        # A piece ends where the next one starts: a skipped record between this piece's last
        # read row and the next piece's first one is this piece's.
        end = int(chunk.positions[hi]) if hi < n else None
        skipped = {
            p: r
            for p, r in chunk.skipped.items()
            if p >= (first if lo else -1) and (end is None or p < end)
        }
        yield Chunk(
            {name: col.slice(lo, hi - lo) for name, col in chunk.columns.items()},
            chunk.positions[lo:hi],
            text=chunk.text,
            skipped=skipped,
            reasons={p: chunk.reasons[p] for p in skipped},
        )


def _block_size(path: Path) -> int:
    """A CSV block must hold the longest record: at least twice the longest line, 1 MiB min."""
    import mmap

    import numpy as np

    size = path.stat().st_size
    longest = 0
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
        step = 64 << 20
        last = -1
        for lo in range(0, size, step):
            window = np.frombuffer(view, dtype=np.uint8, count=min(step, size - lo), offset=lo)
            ends = np.flatnonzero(window == 10) + lo
            if len(ends):
                gaps = np.diff(np.concatenate(([last], ends)))
                longest = max(longest, int(gaps.max()))
                last = int(ends[-1])
            del window
        longest = max(longest, size - 1 - last)
    return int(min(max(1 << 20, 2 * longest + 1024), max(size + 1024, 1 << 20)))


def _csv_header(name: str, path: Path) -> list[str]:
    with path.open("rb") as fh:
        first = fh.read(1 << 20).removeprefix(b"\xef\xbb\xbf")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < first.find(b"\n") or b"\n" not in first:
            raise InputError(name, "the header row is not valid UTF-8") from None
        text = first[: exc.start].decode("utf-8")
    try:
        header = next(csv.reader(io.StringIO(text, newline="")))
    except (StopIteration, csv.Error):
        raise InputError(name, "no header row") from None
    if not header or header == [""]:
        raise InputError(name, "the header row is empty")
    seen: dict[str, int] = {}
    for i, column in enumerate(header):
        if column in seen:
            raise InputError(
                name,
                f"duplicate column name {escape(column)} in the header "
                f"(fields {seen[column] + 1} and {i + 1})",
            )
        seen[column] = i
    if "\x00" in text.split("\n", 1)[0]:
        raise InputError(name, "the header row holds a NUL byte")
    return header


# --- Parquet ----------------------------------------------------------------------------------


@dataclass(slots=True)
class ParquetSource(FileSource):
    dataset_root: Path | None = None

    def dataset(self) -> Any:
        """The files as one pyarrow dataset, in the first file's schema, hive keys last; each
        file checked, the files' schemas agreeing, no column name twice."""
        import pyarrow.dataset as ds

        for path in self.paths:
            _check_file(path)
        # The files listed when the source was opened, no others: those are the ones whose
        # stamps say whether the source changed while it was read.
        root = self.dataset_root
        _same_schema(self.name, self.paths, root)
        dataset = ds.dataset(
            [str(p) for p in self.paths],
            format="parquet",
            partitioning="hive" if root is not None else None,
            partition_base_dir=str(root) if root is not None else None,
        )
        names = dataset.schema.names
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise InputError(self.name, f"duplicate column names: {', '.join(map(escape, dupes))}")
        return dataset

    def chunks(self, chunk_rows: int | None) -> Iterator[Chunk]:
        import pyarrow as pa

        for path in self.paths:
            _check_file(path)
        before = self.stamps()
        try:
            dataset = self.dataset()
            start = 0
            pending: list[pa.Table] = []
            pending_rows = 0
            size = chunk_rows or (1 << 62)
            for piece, splittable in _parquet_pieces(dataset, size):
                # A whole row group never straddles two chunks: its buffers would stay alive
                # (and be copied) for the next chunk's sake.
                full = pending_rows + piece.num_rows > size and not splittable
                while full or piece.num_rows:
                    if not full:
                        take = min(piece.num_rows, size - pending_rows)
                        pending.append(piece.slice(0, take))
                        pending_rows += take
                        piece = piece.slice(take)
                    if full or pending_rows == size:
                        chunk = _columnar_chunk(_contiguous(pending, dataset.schema), start)
                        start += pending_rows
                        pending_rows = 0
                        full = False
                        yield chunk
                        del chunk  # hold nothing of this chunk while the next one is read
                del piece  # an empty slice, which still holds the buffers of the whole piece
            if pending_rows or start == 0:
                yield _columnar_chunk(_contiguous(pending, dataset.schema), start)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(self.name, f"unreadable Parquet: {_one_line(str(exc))}") from None
        self.unchanged(before)


def _same_schema(name: str, paths: list[Path], root: Path | None) -> None:
    """The files of a dataset or glob must agree on their columns: a dataset is read in the
    first file's schema, which would drop another file's extra column and cast its values."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    same = {pa.large_string(): pa.string(), pa.large_binary(): pa.binary()}

    def where(path: Path) -> str:
        return str(path.relative_to(root)) if root is not None else str(path)

    def columns(path: Path) -> dict[str, str]:
        try:
            schema = pq.read_schema(path)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(
                name, f"unreadable Parquet: {where(path)}: {_one_line(str(exc))}"
            ) from None
        return {f.name: str(same.get(f.type, f.type)) for f in schema}

    def shown(path: Path, type_: str | None) -> str:
        return f"{type_} in {where(path)}" if type_ else f"absent from {where(path)}"

    first = columns(paths[0]) if len(paths) > 1 else {}
    for path in paths[1:]:
        other = columns(path)
        for column in [*first, *other]:
            if first.get(column) != other.get(column):
                raise InputError(
                    name,
                    f"the files of a dataset must share one schema: column {escape(column)} is "
                    f"{shown(paths[0], first.get(column))} and {shown(path, other.get(column))}",
                )


def _parquet_pieces(
    dataset: Any, chunk_rows: int, groups: tuple[int, int] | None = None
) -> Iterator[tuple[Any, bool]]:
    """A Parquet dataset's rows in order and in its schema, as (table, splittable) pieces.

    A row group of at most `chunk_rows` rows is one piece, read column by column: decoding one
    column at a time keeps one column's pages and decoder in memory, not fifteen, and the
    chunk's columns come out contiguous, never copied again. A larger row group is decoded in
    batches of at most 64Ki rows (splittable pieces, gathered into chunks). Not
    `dataset.to_batches()`: its scanner reads ahead and buffers every row group's column
    chunks, so memory grew with the file (1.3 GiB for a 10-million-row file), not the chunk.
    Partition columns (hive) and columns a file lacks are filled as the scanner fills them.
    `groups`: only the row groups first..stop-1 of each file (a partition of a distributed run).
    """
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    batch_rows = min(chunk_rows, PARQUET_BATCH_ROWS)
    for fragment in dataset.get_fragments():
        keys = ds.get_partition_keys(fragment.partition_expression)
        metadata = pq.read_metadata(fragment.path)
        # buffer_size: pages are read through a 1 MiB buffer, not a whole column chunk at once.
        with pq.ParquetFile(
            fragment.path,
            metadata=metadata,
            pre_buffer=False,
            buffer_size=1 << 20,
            read_dictionary=_dictionary_text(metadata),
        ) as reader:
            held = set(reader.schema_arrow.names)
            shape = _Shape(dataset.schema, keys, held)
            for g in range(*(groups or (0, reader.num_row_groups))):
                if reader.metadata.row_group(g).num_rows <= chunk_rows:
                    yield (
                        shape(_group_reader(reader, g), reader.metadata.row_group(g).num_rows),
                        False,
                    )
                    continue
                wanted = [n for n in dataset.schema.names if n in held and n not in keys]
                for batch in reader.iter_batches(
                    batch_rows, row_groups=[g], columns=wanted, use_threads=False
                ):
                    yield shape(batch.column, batch.num_rows), True


def _dictionary_text(metadata: Any) -> list[str]:
    """The text columns stored dictionary-encoded in every row group, read as such: a category
    column is its handful of distinct values plus 4 bytes a row, not every row's text (a
    quarter of the memory, a fifth of the time to read), and the checks run on the values."""
    import pyarrow as pa

    groups = [metadata.row_group(g) for g in range(metadata.num_row_groups)]
    names = []
    for i, f in enumerate(metadata.schema.to_arrow_schema()):
        text = pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        if text and groups and all(g.column(i).has_dictionary_page for g in groups):
            names.append(f.name)
    return names


@dataclass(slots=True)
class _Shape:
    """A file's columns in the dataset's schema: partition keys filled in, absent columns null,
    others cast where the file's type differs."""

    schema: Any
    keys: dict[str, Any]
    held: set[str]

    def __call__(self, read: Callable[[str], Any], n: int) -> Any:
        import pyarrow as pa

        arrays = []
        for spec in self.schema:
            if spec.name in self.keys:
                arrays.append(pa.repeat(pa.scalar(self.keys[spec.name], spec.type), n))
            elif spec.name in self.held:
                column = read(spec.name)
                if pa.types.is_dictionary(column.type) and not pa.types.is_dictionary(spec.type):
                    arrays.append(_text_dictionary(column, spec.type))
                else:
                    arrays.append(column if column.type == spec.type else column.cast(spec.type))
            else:
                arrays.append(pa.nulls(n, spec.type))
        return pa.Table.from_arrays(arrays, names=self.schema.names)


def _text_dictionary(column: Any, kind: Any) -> Any:
    """A dictionary-encoded text column as `kind`'s values, still encoded; decoded when most
    of its values are distinct (the encoding would cost more than it saves)."""
    import pyarrow as pa

    if len(column.dictionary) > len(column) // 2:
        return column.dictionary_decode().cast(kind)
    return column.cast(pa.dictionary(pa.int32(), kind))


def _group_reader(reader: Any, g: int) -> Callable[[str], Any]:
    """One column of row group `g` at a time, as one contiguous array."""

    def read(name: str) -> Any:
        column = reader.read_row_group(g, columns=[name], use_threads=False).column(0)
        return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()

    return read


def _contiguous(pieces: list[Any], schema: Any) -> Any:
    """Tables as one table of contiguous columns (no column copied again later), built column
    by column so that each column's pieces are freed as soon as it is copied; empties `pieces`."""
    import pyarrow as pa

    if len(pieces) == 1:
        table = pieces.pop()
        if all(column.num_chunks == 1 for column in table.columns):
            return table
        pieces.append(table)
    columns = [[c for t in pieces for c in t.column(i).chunks] for i in range(len(schema))]
    pieces.clear()
    arrays = []
    for i, kind in enumerate(schema.types):
        parts = columns[i]
        if len({part.type for part in parts}) > 1:  # files that differ in their encoding
            parts = [decoded(part) for part in parts]
        arrays.append(pa.concat_arrays(parts) if parts else pa.array([], kind))
        columns[i] = parts = []
    # By name, not by schema: `schema=` would cast dictionary text (`_text_dictionary`) back to
    # plain text, losing its saving whenever a chunk spans several row groups.
    return pa.Table.from_arrays(arrays, names=schema.names)


def _columnar_chunk(table: Any, start: int) -> Chunk:
    import numpy as np

    return Chunk(
        {n: table.column(i) for i, n in enumerate(table.column_names)},
        np.arange(start, start + table.num_rows, dtype=np.int64),
    )


# --- JSON Lines -------------------------------------------------------------------------------


@dataclass(slots=True)
class JsonlSource(FileSource):
    """One JSON object per line; a key a record lacks is missing for that record."""

    def chunks(self, chunk_rows: int | None) -> Iterator[Chunk]:
        import numpy as np

        before = self.stamps()
        size = chunk_rows or (1 << 62)
        records: list[dict[str, Any]] = []
        raws: list[bytes] = []
        positions: list[int] = []
        skipped: dict[int, str] = {}
        reasons: dict[int, str] = {}
        too_large: set[int] = set()
        seen_any = False

        def emit() -> Chunk:
            chunk = Chunk(
                record_columns(records),
                np.asarray(positions, dtype=np.int64),
                records=True,
                skipped=dict(skipped),
                reasons=dict(reasons),
                too_large=frozenset(too_large),
                raw=list(raws),
            )
            records.clear()
            raws.clear()
            positions.clear()
            skipped.clear()
            reasons.clear()
            too_large.clear()
            return chunk

        try:
            with self.paths[0].open("rb") as fh:
                for position, raw in enumerate(_lines(fh)):
                    seen_any = seen_any or bool(raw.strip())
                    if position == 0:
                        raw = raw.removeprefix(b"\xef\xbb\xbf")
                    record, problem = _json_record(raw)
                    if problem is not None:
                        skipped[position] = raw.decode("utf-8", "surrogateescape")
                        reasons[position] = problem
                        if problem == too_large_reason():
                            too_large.add(position)
                    else:
                        assert record is not None
                        records.append(record)
                        raws.append(raw)
                        positions.append(position)
                    if len(records) >= size:
                        yield emit()
        except OSError as exc:
            raise InputError(self.name, exc.strerror or str(exc)) from None
        if not seen_any:
            raise InputError(self.name, "no records (only blank lines)")
        self.unchanged(before)
        if records or skipped:
            yield emit()


def _lines(fh: Any) -> Iterator[bytes]:
    """Lines without their end; an over-long line is read no further than the limit (its start
    stands for it in the report) and the rest of it is skipped."""
    limit = MAX_JSON_LINE + 1
    while line := fh.readline(limit):
        if len(line) >= limit and not line.endswith(b"\n"):
            while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield line
            continue
        yield line.removesuffix(b"\n").removesuffix(b"\r")


def _json_record(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    if not raw.strip():
        return None, "is a blank line, not a JSON object"
    if len(raw) > MAX_JSON_LINE:
        return None, too_large_reason()
    record, problem = parse_document(raw)
    if problem is not None:
        return None, problem
    if not isinstance(record, dict):
        return None, f"is a JSON {type(record).__name__}, not an object"
    return record, None


# --- DataFrames -------------------------------------------------------------------------------


@dataclass(slots=True)
class FrameSource(Source):
    frame: Any = None

    def chunks(self, chunk_rows: int | None) -> Iterator[Chunk]:
        import numpy as np

        df: pd.DataFrame = self.frame
        columns = frame_columns(df, self.name)
        n = len(df)
        size = chunk_rows or max(n, 1)
        for lo in range(0, max(n, 1), size):
            hi = min(lo + size, n)
            yield Chunk(
                {name: col.iloc[lo:hi] for name, col in columns.items()},
                np.arange(lo, hi, dtype=np.int64),
            )


# --- validating a source ----------------------------------------------------------------------


def validate_source(
    contract: Contract,
    src: Source,
    *,
    env: Env | None = None,
    chunk_rows: int | None = DEFAULT_CHUNK_ROWS,
    keep_values: int | None = 1000,
) -> Report:
    """Validate a source chunk by chunk and return its report (no outputs written)."""
    run = compile_contract(contract).start(source=src.name, env=env, keep_values=keep_values)
    for chunk in src.chunks(chunk_rows):
        run.feed(chunk)
        del chunk  # not held while the source reads the next one
    return run.finish()


def validate_file(
    contract: Contract,
    path: str | Path,
    *,
    env: Env | None = None,
    chunk_rows: int | None = DEFAULT_CHUNK_ROWS,
) -> Report:
    return validate_source(contract, open_source(path), env=env, chunk_rows=chunk_rows)
