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
        for path in source.paths:
            metadata = pq.read_metadata(path)
            counts = [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)]
            first = 0
            while True:  # whole row groups, up to rows_per_piece rows (at least one group)
                stop, rows = first, 0
                while stop < len(counts) and (stop == first or rows + counts[stop] <= size):
                    rows += counts[stop]
                    stop += 1
                out.append(Piece(str(path), (first, stop), offset, rows))
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
    except (pa.ArrowException, OSError) as exc:
        raise InputError(source, f"unreadable Parquet: {_one_line(str(exc))}") from None
    if table.num_rows != piece.rows:
        raise InputError(source, f"{piece.path} changed while being read")
    return table


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
    """A directory that appears at `path` only on `commit()`, whole, or not at all."""

    def __init__(self, path: Path, run_id: str) -> None:
        check_dataset_target(path)
        self.path = path
        self.staging = path.parent / f".{path.name}.skewless-{run_id}"
        for stale in path.parent.glob(f".{path.name}.skewless-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a run that was killed
        try:
            self.staging.mkdir()
        except OSError as exc:
            raise OutputError(str(path), exc.strerror or str(exc)) from None

    def commit(self) -> None:
        try:
            if self.path.exists():
                if not _exchange(self.staging, self.path):
                    old = self.path.parent / f"{self.staging.name}.old"
                    os.rename(self.path, old)
                    os.rename(self.staging, self.path)
                    self.staging = old
                shutil.rmtree(self.staging, ignore_errors=True)  # now the previous dataset
            else:
                os.rename(self.staging, self.path)
        except OSError as exc:
            self.abort()
            raise OutputError(str(self.path), exc.strerror or str(exc)) from None

    def abort(self) -> None:
        # A worker of a failed run may still be finishing a write into the directory: what
        # appears while it is being removed is removed on the next try.
        for _ in range(5):
            shutil.rmtree(self.staging, ignore_errors=True)
            if not self.staging.exists():
                return
            time.sleep(0.1)


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
