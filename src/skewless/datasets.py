"""Parquet datasets for distributed runs: the source split into pieces, the outputs swapped in.

A piece is a run of row groups of one file with its offset in the source, so a worker reads
it with the local engine's own reader (`io._parquet_pieces`: the same types, the same hive
partition keys, the same row ids) and partitions give the local engine's verdicts.

An output is a directory of Parquet files written by the engine's own writer (Dask's
`to_parquet`, Spark's `DataFrameWriter.parquet`) into a hidden staging directory beside the
target, then swapped into place whole (`renameat2(RENAME_EXCHANGE)` on Linux): a run that
fails or is killed leaves the previous dataset or none, never part of one.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skewless.errors import InputError, OutputError
from skewless.report import escape

if TYPE_CHECKING:
    import pyarrow as pa

    from skewless.io import ParquetSource


@dataclass(frozen=True, slots=True)
class Piece:
    """Row groups first..stop-1 of one file, whose first row is row `offset` of the source."""

    path: str
    groups: tuple[int, int]
    offset: int
    rows: int
    stamp: tuple[int, int, int] = (0, 0, 0)  # the file's size, mtime and inode when cut


@dataclass(frozen=True, slots=True)
class Layout:
    """What a worker needs to read any piece as the local reader does."""

    schema: pa.Schema  # the dataset's, partition keys last
    keys: pa.Schema | None  # the hive partition keys' fields, or None
    root: str | None


def pieces(source: ParquetSource, size: int) -> tuple[Layout, list[Piece]]:
    """The source's pieces in source order, each of whole row groups and at most
    `size` rows (a row group of more is a piece of its own)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from skewless.io import _one_line

    root = source.dataset_root
    try:
        dataset = source.dataset()
        out = []
        offset = 0
        for path, stamp in zip(source.paths, source.stamps(), strict=True):
            metadata = pq.read_metadata(path)
            held = (stamp.size, stamp.mtime_ns, stamp.inode)
            counts = [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)]
            first = 0
            while True:  # whole row groups, up to rows_per_piece rows (at least one group)
                stop, rows = first, 0
                while stop < len(counts) and (stop == first or rows + counts[stop] <= size):
                    rows += counts[stop]
                    stop += 1
                out.append(Piece(str(path), (first, stop), offset, rows, held))
                offset += rows
                first = stop
                if first >= len(counts):
                    break
    except (pa.ArrowException, OSError) as exc:
        raise InputError(source.name, f"unreadable Parquet: {_one_line(str(exc))}") from None
    file_fields = set(pq.read_schema(source.paths[0]).names)
    keys = [f for f in dataset.schema if f.name not in file_fields]
    return Layout(
        dataset.schema, pa.schema(keys) if keys else None, str(root) if root else None
    ), out


def read_piece(
    layout: Layout, piece: Piece, source: str, columns: list[str] | None = None
) -> pa.Table:
    """One piece as the local reader reads it (`ParquetSource.chunks`), as one table; only
    `columns` (at least one) where given."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    from skewless.io import _contiguous, _one_line, _parquet_pieces

    schema, keys = layout.schema, layout.keys
    if columns is not None:
        schema = pa.schema([schema.field(n) for n in columns])
        kept = [f for f in keys or [] if f.name in columns]
        keys = pa.schema(kept) if kept else None
    changed = InputError(source, f"{escape(piece.path)} changed while being read")
    if _stamp_of(piece.path) != piece.stamp:
        raise changed
    try:
        dataset = ds.dataset(
            [piece.path],
            schema=schema,
            format="parquet",
            partitioning=ds.partitioning(keys, flavor="hive") if keys else None,
            partition_base_dir=layout.root,
        )
        parts = [table for table, _ in _parquet_pieces(dataset, 1 << 62, piece.groups)]
        table = _contiguous(parts, schema)
    except IndexError:  # a row group the file no longer has
        raise changed from None
    except (pa.ArrowException, OSError) as exc:
        raise InputError(source, f"unreadable Parquet: {_one_line(str(exc))}") from None
    if table.num_rows != piece.rows or _stamp_of(piece.path) != piece.stamp:
        raise changed
    return table


def _stamp_of(path: str) -> tuple[int, int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1, -1)  # gone: not the file the piece was cut from
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def check_dataset_target(path: Path) -> None:
    """Refuse an output directory before any work is done."""
    if path.is_file():
        raise OutputError(
            str(path), "is a file; a distributed run writes a Parquet dataset (a directory)"
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(str(path), f"the directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise OutputError(str(path), f"the directory {parent} is not writable")
    if path.is_dir():
        foreign = [
            p
            for p in path.rglob("*")
            if p.is_file() and not p.name.startswith((".", "_")) and p.suffix != ".parquet"
        ]
        if foreign:
            raise OutputError(
                str(path),
                f"holds {escape(str(foreign[0].relative_to(path)))}, which is not Parquet: "
                "only a Parquet dataset is replaced",
            )


class DatasetOutput:
    """A directory that appears at `path` only when committed (`commit_all`), whole, or not at
    all. It is staged in `.NAME.skewless-PID.staging` beside the target."""

    def __init__(self, path: Path) -> None:
        from skewless.quarantine import _remove_stale

        check_dataset_target(path)
        self.path = path
        self.staging = path.with_name(f".{path.name}.skewless-{os.getpid()}.staging")
        self._swapped = False
        _remove_stale(path, ".staging")  # left by runs that were killed
        shutil.rmtree(self.staging, ignore_errors=True)  # this process's, from a failed run
        try:
            self.staging.mkdir()
        except OSError as exc:
            raise OutputError(str(path), exc.strerror or str(exc)) from None

    def swap(self) -> None:
        """The staged dataset into place; the previous one (if any) into the staging path."""
        if not self.path.exists():
            os.rename(self.staging, self.path)
        elif not _exchange(self.staging, self.path):  # two renames where there is no exchange
            previous = self.staging.with_name(self.staging.name + ".old")
            os.rename(self.path, previous)
            os.rename(self.staging, self.path)
            os.rename(previous, self.staging)
        self._swapped = True

    def undo(self) -> None:
        """The previous dataset back into place (or none, as before)."""
        if self.staging.exists():
            if not _exchange(self.staging, self.path):
                os.rename(self.path, self.staging.with_name(self.staging.name + ".new"))
                os.rename(self.staging, self.path)
                self.staging = self.staging.with_name(self.staging.name + ".new")
        else:
            os.rename(self.path, self.staging)
        self._swapped = False

    def abort(self) -> None:
        """Remove what was staged (or, once swapped, the previous dataset)."""
        # A worker of a failed run may still be finishing a write into the directory: what
        # appears while it is being removed is removed on the next try.
        for _ in range(5):
            shutil.rmtree(self.staging, ignore_errors=True)
            if not self.staging.exists():
                return
            time.sleep(0.1)


def commit_all(outputs: list[DatasetOutput]) -> None:
    """Every output into place, or none: an output that cannot be swapped in puts the ones
    already swapped back, so the valid rows and the quarantine always come from one run."""
    done: list[DatasetOutput] = []
    try:
        for output in outputs:
            output.swap()
            done.append(output)
    except OSError as exc:
        for output in reversed(done):
            with contextlib.suppress(OSError):
                output.undo()
        for output in outputs:
            output.abort()
        failed = outputs[len(done)]
        raise OutputError(str(failed.path), exc.strerror or str(exc)) from None
    for output in outputs:
        output.abort()  # the previous datasets, now in the staging paths


def open_outputs(paths: dict[str, Path]) -> dict[str, DatasetOutput]:
    """Staged outputs for a run, all or none: a refused target leaves nothing staged."""
    named = list(paths.values())
    if len(named) == 2 and named[0].resolve() == named[1].resolve():
        raise OutputError(str(named[1]), "the quarantine and the valid output are one directory")
    opened: dict[str, DatasetOutput] = {}
    try:
        for kind, path in paths.items():
            opened[kind] = DatasetOutput(path)
    except BaseException:
        for output in opened.values():
            output.abort()
        raise
    return opened


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        at_fdcwd, rename_exchange = -100, 2
        done: Any = libc.renameat2(
            at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange
        )
        return bool(done == 0)
    return False
