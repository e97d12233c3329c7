"""Outputs of the ETL gate: valid rows (normalised) and quarantined rows (as they arrived).

Nothing is lost: every row of the source lands in exactly one of the two outputs. A quarantined
row carries its source row id (`_row`), the run id (`_run_id`), its violations
(`_violations`: a list of {code, column, message}) and, for a record the reader could not split
into columns or a JSON Lines record, the raw record (`_record`, bytes as they arrived). Columns
of a quarantined row keep the source's own values: CSV cells as the raw bytes of the file, so
undecodable bytes are kept, not replaced.

Outputs are written atomically: into an unnamed file in the target's directory (Linux
O_TMPFILE; a hidden temporary name elsewhere), linked into place only when the run succeeded.
A run that dies (even by SIGKILL) leaves the previous outputs or none, never a half file.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skewless.errors import OutputError

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from skewless.batch import ChunkResult
    from skewless.report import Block

OUTPUT_FORMATS = (".parquet",)


def check_target(path: Path) -> None:
    """Refuse an output path before any work is done."""
    if path.suffix.lower() not in OUTPUT_FORMATS:
        raise OutputError(str(path), "outputs are Parquet files: give a .parquet path")
    if path.is_dir():
        raise OutputError(str(path), "is a directory; give a file path")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(str(path), f"the directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise OutputError(str(path), f"the directory {parent} is not writable")


class AtomicFile:
    """A file that appears at `path` only on `commit()`, whole, or not at all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = -1
        self._named: Path | None = None
        self._staged = False
        _remove_stale(path)
        directory = str(path.parent) if str(path.parent) else "."
        try:
            self.fd = os.open(directory, os.O_TMPFILE | os.O_WRONLY, 0o644)
        except (AttributeError, OSError) as exc:
            if isinstance(exc, OSError) and exc.errno not in (
                errno.EOPNOTSUPP,
                errno.EISDIR,
                errno.EINVAL,
            ):
                raise OutputError(str(path), exc.strerror or str(exc)) from None
            self._named = path.with_name(f".{path.name}.skewless-{os.getpid()}.tmp")
            self.fd = os.open(self._named, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        self.file = os.fdopen(self.fd, "wb", buffering=1 << 20)

    def stage(self) -> None:
        """Put every byte on disk under a hidden name; what can fail (a full disk) fails here,
        so a run with two outputs replaces neither unless both are staged."""
        if self._staged:
            return
        try:
            self.file.flush()
            os.fsync(self.fd)
            if self._named is None:
                staged = self.path.with_name(f".{self.path.name}.skewless-{os.getpid()}.tmp")
                with contextlib.suppress(FileNotFoundError):
                    staged.unlink()
                # linkat(AT_SYMLINK_FOLLOW) through /proc: how an O_TMPFILE gets a name.
                proc = os.open("/proc", os.O_RDONLY)
                try:
                    os.link(f"self/fd/{self.fd}", staged, src_dir_fd=proc, follow_symlinks=True)
                finally:
                    os.close(proc)
                self._named = staged
        except OSError as exc:
            self.abort()
            raise OutputError(str(self.path), exc.strerror or str(exc)) from None
        self._staged = True

    def commit(self) -> None:
        self.stage()
        assert self._named is not None
        try:
            os.replace(self._named, self.path)
            self._named = None
            directory = os.open(str(self.path.parent) or ".", os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError as exc:
            self.abort()
            raise OutputError(str(self.path), exc.strerror or str(exc)) from None
        finally:
            self.file.close()

    def abort(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.file.close()
        if self._named is not None:
            with contextlib.suppress(OSError):
                self._named.unlink()
            self._named = None


def _remove_stale(path: Path, suffix: str = ".tmp") -> None:
    """Remove the `.NAME.skewless-PID.tmp` files (`.staging` directories of datasets) of runs
    that died (a kill between staging and renaming leaves one; without O_TMPFILE, a kill at any
    time does). A live run's are kept."""
    if os.name != "posix":  # os.kill(pid, 0) probes a process on POSIX only
        return
    import shutil

    prefix = f".{path.name}.skewless-"
    for stale in path.parent.glob(f"{glob.escape(prefix)}*{suffix}"):
        pid = stale.name[len(prefix) : -len(suffix)]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    stale.unlink()
        except (OSError, OverflowError):  # EPERM: alive, another user's; or not a pid at all
            continue


@dataclass(slots=True)
class _Writer:
    path: Path
    atomic: AtomicFile | None = None
    writer: Any = None  # pq.ParquetWriter
    schema: Any = None
    rows: int = 0

    def write(self, table: pa.Table) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            if self.writer is None:
                self.atomic = AtomicFile(self.path)
                self.schema = table.schema
                self.writer = pq.ParquetWriter(self.atomic.file, self.schema)
            elif table.schema != self.schema:
                table = _conform(table, self.schema)
            self.writer.write_table(table)
            self.rows += table.num_rows
        except OSError as exc:
            raise OutputError(str(self.path), exc.strerror or str(exc)) from None
        except pa.ArrowException as exc:
            raise OutputError(str(self.path), str(exc).splitlines()[0]) from None

    def stage(self, empty_schema: pa.Schema) -> None:
        if self.writer is None:  # no chunk wrote here: an empty file with the right columns
            import pyarrow as pa

            self.write(pa.table({f.name: pa.array([], f.type) for f in empty_schema}))
        try:
            self.writer.close()
        except OSError as exc:
            self.abort()
            raise OutputError(str(self.path), exc.strerror or str(exc)) from None
        assert self.atomic is not None
        self.atomic.stage()

    def commit(self) -> None:
        assert self.atomic is not None
        self.atomic.commit()

    def abort(self) -> None:
        if self.writer is not None and self.writer.is_open:
            # Finish the footer into the doomed file now: left open, the writer's __del__ would
            # write it into a closed file later and Python would print that error at exit.
            with contextlib.suppress(Exception):
                self.writer.close()
            self.writer.is_open = False
        if self.atomic is not None:
            self.atomic.abort()


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A later chunk's table in the first chunk's schema (columns a chunk lacks are null).

    A value that cannot be written in the file's type without loss, or a column the first
    chunk did not have, is an error (ArrowTypeError, an OutputError for the caller): writing
    it as a null would lose it without a word.
    """
    import pyarrow as pa

    columns = []
    for f in schema:
        if f.name in table.column_names:
            column = table.column(f.name)
            if column.type != f.type and column.null_count == table.num_rows:
                column = pa.nulls(table.num_rows, f.type)  # nulls only: nothing to lose
            elif column.type != f.type:
                if not _castable(column.type, f.type):
                    raise pa.ArrowTypeError(
                        f"column {f.name!r} holds {f.type} in earlier rows and {column.type} "
                        "in later ones; a Parquet column has one type"
                    )
                column = column.cast(f.type)  # safe: a value out of range raises
            columns.append(column)
        else:
            columns.append(pa.nulls(table.num_rows, f.type))
    for name in table.column_names:
        if name not in schema.names and table.column(name).null_count < table.num_rows:
            raise pa.ArrowTypeError(
                f"column {name!r} first holds values after the first rows were written; "
                "a Parquet file's columns are set by its first rows"
            )
    return pa.Table.from_arrays(columns, schema=schema)


def _castable(a: pa.DataType, b: pa.DataType) -> bool:
    """Whether every value of type `a` has a form of type `b` that says the same."""
    import pyarrow as pa

    t = pa.types
    text = (t.is_string, t.is_large_string)
    as_text = (*text, t.is_integer, t.is_floating, t.is_boolean)  # numbers: shortest exact text
    binary = (t.is_binary, t.is_large_binary)
    return bool(
        t.is_null(a)
        or a == b
        or (any(is_(b) for is_ in text) and any(is_(a) for is_ in as_text))
        or (any(is_(b) for is_ in binary) and any(is_(a) for is_ in binary))
        or (t.is_integer(a) and (t.is_integer(b) or t.is_floating(b)))
    )


QUARANTINE_FIELDS = ("_row", "_run_id", "_violations", "_record")


def quarantine_schema() -> pa.Schema:
    import pyarrow as pa

    violation = pa.struct(
        [("code", pa.string()), ("column", pa.string()), ("message", pa.string())]
    )
    return pa.schema(
        [
            ("_row", pa.int64()),
            ("_run_id", pa.string()),
            ("_violations", pa.list_(violation)),
            ("_record", pa.binary()),
        ]
    )


@dataclass(slots=True)
class Outputs:
    """The two outputs of one gate run; `write` each chunk's result, then `commit` or `abort`."""

    run_id: str
    valid_out: Path | None = None
    quarantine: Path | None = None
    _valid: _Writer | None = None
    _held: _Writer | None = None
    _valid_schema: Any = None
    _raw_schema: dict[str, Any] = field(default_factory=dict)
    valid_rows: int = 0
    quarantined_rows: int = 0

    def __post_init__(self) -> None:
        if self.valid_out is not None:
            check_target(self.valid_out)
            self._valid = _Writer(self.valid_out)
        if self.quarantine is not None:
            check_target(self.quarantine)
            if self.valid_out is not None and self.quarantine.resolve() == self.valid_out.resolve():
                raise OutputError(
                    str(self.quarantine), "the quarantine and the valid output are one file"
                )
            self._held = _Writer(self.quarantine)

    def write(self, result: ChunkResult, report_blocks: list[Block]) -> None:
        """Split one chunk: valid rows (normalised) and failing rows (with their reasons)."""
        import pyarrow as pa

        from skewless.dtypes import decoded

        if self._valid_schema is None:
            self._valid_schema = pa.schema(
                [(n, decoded(a[:0]).type) for n, a in result.typed.items()]
            )
        failed = result.failed()
        valid, held = split(
            result,
            report_blocks,
            self.run_id,
            self._valid_schema,
            valid=self._valid is not None,
            held=self._held is not None,
            failed=failed,
        )
        self.valid_rows += int((~failed).sum())
        self.quarantined_rows += int(failed.sum()) + len(result.chunk.skipped)
        if self._valid is not None and valid is not None:
            self._valid.write(valid)
        if self._held is not None and held is not None:
            self._held.write(held)

    def commit(self) -> None:
        import pyarrow as pa

        try:
            # Both files are on disk before either replaces anything: a full disk leaves the
            # previous outputs, both of them, as they were.
            if self._valid is not None:
                self._valid.stage(self._valid_schema or pa.schema([]))
            if self._held is not None:
                self._held.stage(quarantine_schema())
            for writer in (self._valid, self._held):
                if writer is not None:
                    writer.commit()
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        for writer in (self._valid, self._held):
            if writer is not None:
                writer.abort()


def split(
    result: ChunkResult,
    report_blocks: list[Block],
    run_id: str,
    valid_schema: pa.Schema,
    *,
    valid: bool = True,
    held: bool = True,
    failed: np.ndarray | None = None,
) -> tuple[pa.Table | None, pa.Table | None]:
    """One chunk's valid rows (normalised, in `valid_schema`'s types) and quarantined rows (as
    they arrived, with their reasons); None where there are none or they are not asked for."""
    import pyarrow as pa

    from skewless.dtypes import decoded

    failed = result.failed() if failed is None else failed  # `result.failed()`, if known
    keep = ~failed
    typed = dict(result.typed)
    # One Arrow type per contract type, whatever the source held (Parquet text arrives as
    # `string`, the rest as `large_string`): the valid output's schema is the contract's.
    for name, arr in typed.items():
        if name in valid_schema.names and arr.type != valid_schema.field(name).type:
            t = valid_schema.field(name).type
            if pa.types.is_dictionary(arr.type):
                t = pa.dictionary(arr.type.index_type, t)  # decoded once filtered, below
            typed[name] = arr.cast(t)
    valid_table = held_table = None
    if valid and keep.any():
        mask = pa.array(keep)
        columns = {n: decoded(a.filter(mask)) for n, a in typed.items()}
        for name, data in result.extras.items():
            columns[name] = _arrow_column(data).filter(mask)
        valid_table = pa.table(columns)
    if held and (failed.any() or result.chunk.skipped):
        held_table = _held_table(result, failed, report_blocks, run_id)
    return valid_table, held_table


def _held_table(
    result: ChunkResult, failed: np.ndarray, report_blocks: list[Block], run_id: str
) -> pa.Table:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    chunk = result.chunk
    read_rows = chunk.positions[failed]
    skipped_rows = np.fromiter(sorted(chunk.skipped), dtype=np.int64, count=len(chunk.skipped))
    rows = np.concatenate([read_rows, skipped_rows])
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    n = len(rows)
    # Where each quarantined row sits among the chunk's read rows (-1: a skipped record).
    local = np.concatenate([np.flatnonzero(failed), np.full(len(skipped_rows), -1)])[order]
    whole = [
        b
        for b in report_blocks
        if b.rows is None and b.code.value in ("missing_column", "unexpected_column")
    ]
    violations = _violation_lists(rows, result.blocks, whole)
    record: list[Any] = [None] * n
    if chunk.raw is not None or chunk.skipped:
        for i, (row, at) in enumerate(zip(rows.tolist(), local.tolist(), strict=True)):
            if at < 0:
                record[i] = _as_bytes(chunk.skipped.get(row))
            elif chunk.raw is not None:
                record[i] = chunk.raw[at]
    columns: dict[str, Any] = {
        "_row": pa.array(rows, pa.int64()),
        "_run_id": pa.array([run_id] * n, pa.string()),
        "_violations": violations,
        "_record": pa.array(record, pa.binary()),
    }
    if not chunk.records:
        take = pa.array(np.where(local < 0, 0, local), pa.int64())
        nulls = pa.array(local < 0)
        for name, data in chunk.columns.items():
            if name in QUARANTINE_FIELDS:
                continue
            column = _arrow_column(data)
            if len(column) == 0:
                continue
            taken = column.take(take)
            if (local < 0).any():  # skipped records have no columns
                taken = pc.if_else(nulls, pa.scalar(None, taken.type), taken)
            columns[name] = taken
    return pa.table(columns)


def _violation_lists(rows: np.ndarray, blocks: list[Block], whole: list[Block]) -> pa.Array:
    """One list of {code, column, message} per quarantined row, in report order."""
    import numpy as np
    import pyarrow as pa

    row_blocks = [b for b in blocks if b.rows is not None and len(b.rows)]
    ids = [np.full(b.count, i, dtype=np.int64) for i, b in enumerate(row_blocks)]
    at = [b.rows for b in row_blocks if b.rows is not None]
    all_rows = np.concatenate(at) if at else np.zeros(0, dtype=np.int64)
    all_ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
    # Row-level violations of the rows kept here, plus the column-level ones for every row.
    inside = np.isin(all_rows, rows)
    all_rows, all_ids = all_rows[inside], all_ids[inside]
    blocks_all = row_blocks + whole
    if whole:
        extra_rows = np.repeat(rows, len(whole))
        extra_ids = np.tile(np.arange(len(row_blocks), len(blocks_all)), len(rows))
        all_rows = np.concatenate([extra_rows, all_rows])
        all_ids = np.concatenate([extra_ids, all_ids])
    orders = (
        np.asarray([b.order for b in blocks_all] or [0], dtype=np.int64)[all_ids]
        if len(all_ids)
        else all_ids
    )
    sequence = np.lexsort((all_ids, orders, all_rows))
    all_rows, all_ids = all_rows[sequence], all_ids[sequence]
    counts = np.bincount(np.searchsorted(rows, all_rows), minlength=len(rows))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    codes = pa.array([b.code.value for b in blocks_all], pa.string()).take(pa.array(all_ids))
    names = pa.array([b.column for b in blocks_all], pa.string()).take(pa.array(all_ids))
    messages = pa.array([b.message for b in blocks_all], pa.string()).take(pa.array(all_ids))
    structs = pa.StructArray.from_arrays([codes, names, messages], ["code", "column", "message"])
    return pa.ListArray.from_arrays(pa.array(offsets), structs)


def _as_bytes(raw: Any) -> bytes | None:
    if raw is None or isinstance(raw, bytes):
        return raw
    return str(raw).encode("utf-8", "surrogateescape")


def _arrow_column(data: Any) -> pa.Array:
    """A source column as Arrow, whatever it arrived as (values Arrow cannot type become text)."""
    import pyarrow as pa

    from skewless.batch import arrow_of
    from skewless.dtypes import decoded

    if isinstance(data, list):
        try:
            array = pa.array(data, from_pandas=False)
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            return pa.array([None if v is None else repr(v) for v in data], pa.string())
    else:
        try:
            array = arrow_of(data)
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            return pa.array([None if v is None else repr(v) for v in data.tolist()], pa.string())
    # Nulls alone (an object column, JSON nulls) say nothing of a type: text, the type that the
    # values of a later chunk can be written as (`_conform`), not Arrow's `null`, which none can.
    return array.cast(pa.string()) if pa.types.is_null(array.type) else decoded(array)
