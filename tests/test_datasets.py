"""Parquet datasets for distributed runs: pieces read as the local reader reads, outputs swapped in.

Real files under a temporary directory, written with pyarrow: a worker reading every piece must
see the rows, the types and the hive keys the local reader sees; a hostile dataset is an
`InputError` with a clear message; an output directory appears whole on commit, or not at all.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skewless.datasets import (
    DatasetOutput,
    Layout,
    Piece,
    _exchange,
    check_dataset_target,
    commit_all,
    pieces,
    read_piece,
)
from skewless.errors import InputError, OutputError
from skewless.io import ParquetSource, open_source
from tests.test_freeze import read_only

SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("cat", pa.string()),  # few distinct values: read dictionary-encoded
        ("text", pa.string()),  # mostly distinct: decoded again by the reader
        ("score", pa.float64()),
    ]
)


def rows_table(first: int, n: int) -> pa.Table:
    ids = list(range(first, first + n))
    return pa.table(
        {
            "id": ids,
            "cat": [None if i % 7 == 3 else "abc"[i % 3] for i in ids],
            "text": [f"t{i}" for i in ids],
            "score": [None if i % 5 == 0 else i / 4 for i in ids],
        },
        schema=SCHEMA,
    )


def write_file(path: Path, groups: list[int], first: int = 0) -> int:
    """A Parquet file of one row group per entry of `groups` (its row count); none: a file with
    no row group at all. Returns the ids written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(path, SCHEMA) as writer:
        for n in groups:
            writer.write_table(rows_table(first, n), row_group_size=n)
            first += n
    return first


def values(column: Any) -> list[Any]:
    """A column's values, dictionary-encoded or not."""
    return list(column.to_pylist())


def local_columns(spec: Path | str) -> dict[str, list[Any]]:
    """The whole source as the local reader reads it, column by column."""
    out: dict[str, list[Any]] = {}
    for chunk in open_source(spec).chunks(None):
        for name, column in chunk.columns.items():
            out.setdefault(name, []).extend(values(column))
    return out


def read_all(layout: Layout, parts: list[Piece], name: str) -> list[pa.Table]:
    return [read_piece(layout, piece, name) for piece in parts]


@st.composite
def datasets(draw: st.DrawFn) -> tuple[list[list[int]], bool, bool, int]:
    """(row groups of each file, hive directories?, spelled as a glob?, piece size)."""
    files = draw(st.lists(st.lists(st.integers(1, 6), max_size=4), min_size=1, max_size=4))
    return files, draw(st.booleans()), draw(st.booleans()), draw(st.integers(1, 10))


@given(datasets())
def test_pieces_are_whole_row_groups_in_source_order_read_as_the_local_reader_reads(
    case: tuple[list[list[int]], bool, bool, int],
) -> None:
    files, hive, glob, size = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        first = 0
        for i, groups in enumerate(files):
            where = root / f"k={i % 2}" if hive else root
            first = write_file(where / f"part-{i}.parquet", groups, first)
        spec = str(root / ("*/*.parquet" if hive else "*.parquet")) if glob else str(root)
        source = open_source(spec)
        assert isinstance(source, ParquetSource)
        layout, parts = pieces(source, size)

        # In source order, offsets the running row count, each file's row groups tiled.
        assert [p.path for p in parts] == sorted(
            (p.path for p in parts), key=[str(q) for q in source.paths].index
        )
        assert {p.path for p in parts} == {str(q) for q in source.paths}
        offset = 0
        for path in source.paths:
            counts = [
                pq.read_metadata(path).row_group(g).num_rows
                for g in range(pq.read_metadata(path).num_row_groups)
            ]
            mine = [p for p in parts if p.path == str(path)]
            assert mine[0].groups[0] == 0
            assert mine[-1].groups[1] == len(counts)
            for before, after in itertools.pairwise(mine):
                assert before.groups[1] == after.groups[0]
                assert before.groups[0] < before.groups[1]  # no empty piece but a file's only
            for piece in mine:
                lo, hi = piece.groups
                assert piece.offset == offset
                assert piece.rows == sum(counts[lo:hi])
                assert piece.rows <= size or hi - lo == 1
                offset += piece.rows

        # Keys: hive directories read as a dataset give `k`, last; a glob of files does not.
        keyed = hive and not glob
        assert layout.schema.names == [*SCHEMA.names, *(["k"] if keyed else [])]
        assert (layout.keys is not None and layout.keys.names == ["k"]) is keyed
        assert layout.root == (str(root) if not glob else None)

        # Every piece read by a worker, in order: the local reader's rows, value by value.
        tables = read_all(layout, parts, source.name)
        for piece, table in zip(parts, tables, strict=True):
            assert table.num_rows == piece.rows
            assert table.column_names == layout.schema.names
            for field, column in zip(layout.schema, table.columns, strict=True):
                kind = column.type
                assert kind == field.type or kind.value_type == field.type, field.name
        local = local_columns(spec)
        assert list(local) == layout.schema.names
        for name in layout.schema.names:
            assert [v for t in tables for v in values(t.column(name))] == local[name], name
        written = [i for p in source.paths for i in pq.read_table(p).column("id").to_pylist()]
        assert sorted(written) == list(range(first))
        assert local["id"] == written  # and so every piece holds the rows its offset says


def test_a_dictionary_encoded_column_arrives_encoded_and_as_the_local_reader_reads_it(
    tmp_path: Path,
) -> None:
    write_file(tmp_path / "a.parquet", [30, 30, 12])
    layout, parts = pieces(open_source(tmp_path / "a.parquet"), 30)
    assert [(p.groups, p.offset, p.rows) for p in parts] == [
        ((0, 1), 0, 30),
        ((1, 2), 30, 30),
        ((2, 3), 60, 12),
    ]
    tables = read_all(layout, parts, "a.parquet")
    for table in tables:
        assert pa.types.is_dictionary(table.column("cat").type)  # 3 values in 30 rows: encoded
        assert not pa.types.is_dictionary(table.column("text").type)  # all distinct: decoded
    local = local_columns(tmp_path / "a.parquet")
    for name in SCHEMA.names:
        assert [v for t in tables for v in values(t.column(name))] == local[name]


def test_a_row_group_larger_than_the_piece_size_is_a_piece_of_its_own(tmp_path: Path) -> None:
    write_file(tmp_path / "a.parquet", [2, 9, 1, 1, 3])
    _, parts = pieces(open_source(tmp_path / "a.parquet"), 4)
    assert [(p.groups, p.rows) for p in parts] == [
        ((0, 1), 2),
        ((1, 2), 9),
        ((2, 4), 2),
        ((4, 5), 3),
    ]


def test_files_without_row_groups_add_no_rows(tmp_path: Path) -> None:
    write_file(tmp_path / "a.parquet", [3])
    write_file(tmp_path / "b.parquet", [])
    write_file(tmp_path / "c.parquet", [2], first=3)
    layout, parts = pieces(open_source(tmp_path), 10)
    assert [(Path(p.path).name, p.groups, p.offset, p.rows) for p in parts] == [
        ("a.parquet", (0, 1), 0, 3),
        ("b.parquet", (0, 0), 3, 0),
        ("c.parquet", (0, 1), 3, 2),
    ]
    tables = read_all(layout, parts, str(tmp_path))
    assert [t.num_rows for t in tables] == [3, 0, 2]
    assert tables[1].schema == layout.schema
    assert [v for t in tables for v in t.column("id").to_pylist()] == [0, 1, 2, 3, 4]


def test_a_hive_key_is_read_with_the_piece_and_on_its_own(tmp_path: Path) -> None:
    write_file(tmp_path / "day=2" / "a.parquet", [2, 2])
    write_file(tmp_path / "day=5" / "a.parquet", [3], first=4)
    layout, parts = pieces(open_source(tmp_path), 2)
    assert layout.keys == pa.schema([("day", pa.int32())])
    assert layout.root == str(tmp_path)
    assert [read_piece(layout, p, "d").column("day").to_pylist() for p in parts] == [
        [2, 2],
        [2, 2],
        [5, 5, 5],
    ]
    # Only some columns (the first pass of a run reads the key columns alone).
    only = read_piece(layout, parts[2], "d", columns=["day", "id"])
    assert only.column_names == ["day", "id"]
    assert only.to_pydict() == {"day": [5, 5, 5], "id": [4, 5, 6]}


# --- hostile datasets ---------------------------------------------------------------------------


def refused(spec: Path | str, size: int = 10) -> str:
    with pytest.raises(InputError) as caught:
        pieces(open_source(spec), size)
    return clear(caught.value)


def clear(error: InputError) -> str:
    """The message of an InputError, which must name no Python or Arrow exception type."""
    text = str(error)
    for leak in ("Traceback", "ArrowInvalid", "ArrowException", "OSError", "IndexError", "Errno"):
        assert leak not in text, text
    assert "\n" not in text
    return text


def test_a_truncated_file_is_unreadable(tmp_path: Path) -> None:
    write_file(tmp_path / "good.parquet", [10, 10])
    data = (tmp_path / "good.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])
    alone = refused(tmp_path / "cut.parquet")
    assert "unreadable Parquet" in alone
    assert "cut.parquet" in alone
    among = refused(tmp_path)  # in a dataset, after a good file
    assert "unreadable Parquet" in among
    assert "cut.parquet: Parquet magic bytes not found" in among


def test_a_file_that_is_not_parquet_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "data.parquet").write_text("id,cat\n1,a\n")
    message = refused(tmp_path / "data.parquet")
    assert "unreadable Parquet" in message
    assert "data.parquet" in message


def test_files_of_different_schemas_are_refused(tmp_path: Path) -> None:
    write_file(tmp_path / "a.parquet", [3])
    pq.write_table(
        pa.table({"id": ["x"], "cat": ["a"], "text": ["t"], "score": [1.0]}), tmp_path / "b.parquet"
    )
    message = refused(tmp_path)
    assert "must share one schema" in message
    assert "'id' is int64 in a.parquet and string in b.parquet" in message


def test_a_file_with_fewer_rows_after_pieces_were_cut_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    write_file(path, [4, 4])
    layout, parts = pieces(open_source(path), 4)
    write_file(path, [4, 2])  # rewritten by another job: as many row groups, fewer rows
    for part in parts:  # even the piece whose rows are still there: the file is another one
        with pytest.raises(InputError) as caught:
            read_piece(layout, part, str(path))
        assert "changed while being read" in clear(caught.value)


def test_a_file_removed_after_pieces_were_cut_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    write_file(path, [4])
    layout, parts = pieces(open_source(path), 4)
    path.unlink()
    with pytest.raises(InputError) as caught:
        read_piece(layout, parts[0], str(path))
    assert "a.parquet" in clear(caught.value)


def test_a_file_with_fewer_row_groups_after_pieces_were_cut_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    write_file(path, [4, 4, 4])
    layout, parts = pieces(open_source(path), 4)
    write_file(path, [5])
    with pytest.raises(InputError) as caught:
        read_piece(layout, parts[1], str(path))
    assert "changed while being read" in clear(caught.value)


def test_a_file_replaced_with_other_columns_after_pieces_were_cut_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.parquet"
    write_file(path, [4])
    layout, parts = pieces(open_source(path), 4)
    pq.write_table(pa.table({"user_id": [1, 2, 3, 4]}), path)
    with pytest.raises(InputError):
        read_piece(layout, parts[0], str(path))


# --- outputs: a directory swapped in whole --------------------------------------------------------


def hidden(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def test_staging_is_hidden_beside_the_target_and_gone_on_abort(tmp_path: Path) -> None:
    target = tmp_path / "valid"
    output = DatasetOutput(target)
    assert output.staging.parent == tmp_path
    assert output.staging.is_dir()
    assert hidden(tmp_path) == [f".valid.skewless-{os.getpid()}.staging"]
    pq.write_table(rows_table(0, 3), output.staging / "part-0.parquet")
    output.abort()
    assert list(tmp_path.iterdir()) == []


def test_commit_renames_a_new_dataset_into_place(tmp_path: Path) -> None:
    target = tmp_path / "valid"
    output = DatasetOutput(target)
    pq.write_table(rows_table(0, 3), output.staging / "part-0.parquet")
    commit_all([output])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["valid"]
    assert pq.read_table(target).column("id").to_pylist() == [0, 1, 2]


def test_commit_replaces_a_previous_dataset_whole(tmp_path: Path) -> None:
    target = tmp_path / "valid"
    write_file(target / "part-0.parquet", [2])
    write_file(target / "part-1.parquet", [2], first=2)
    (target / "_SUCCESS").write_text("")  # engines' markers are part of a dataset
    output = DatasetOutput(target)
    write_file(output.staging / "part-0.parquet", [1], first=100)
    assert pq.read_table(target).column("id").to_pylist() == [0, 1, 2, 3]  # until the commit
    commit_all([output])
    assert sorted(p.name for p in target.iterdir()) == ["part-0.parquet"]
    assert pq.read_table(target).column("id").to_pylist() == [100]
    assert hidden(tmp_path) == []  # the previous dataset is gone, not parked


def test_a_killed_runs_staging_is_removed_by_the_next_run(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()  # a pid no one holds now
    stale = tmp_path / f".valid.skewless-{dead}.staging"
    write_file(stale / "part-0.parquet", [2])
    live = tmp_path / f".valid.skewless-{os.getppid()}.staging"  # a live run's: kept
    live.mkdir()
    other = tmp_path / f".held.skewless-{dead}.staging"  # another target's: not ours
    other.mkdir()
    output = DatasetOutput(tmp_path / "valid")
    assert not stale.exists()
    assert live.is_dir()
    assert other.is_dir()
    assert output.staging.is_dir()
    output.abort()


def test_commit_all_puts_every_output_in_place_or_none(tmp_path: Path) -> None:
    valid, held = tmp_path / "valid", tmp_path / "held"
    write_file(valid / "part-0.parquet", [2])
    first, second = DatasetOutput(valid), DatasetOutput(held)
    write_file(first.staging / "part-0.parquet", [1], first=100)
    write_file(second.staging / "part-0.parquet", [1], first=200)
    second.staging.rename(tmp_path / "moved")  # the second cannot be swapped in
    with pytest.raises(OutputError):
        commit_all([first, second])
    assert pq.read_table(valid).column("id").to_pylist() == [0, 1]  # the previous one, back
    assert not held.exists()
    assert hidden(tmp_path) == []


def test_an_existing_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "valid.parquet").write_bytes(b"PAR1")
    with pytest.raises(OutputError, match="is a file"):
        check_dataset_target(tmp_path / "valid.parquet")
    with pytest.raises(OutputError, match="is a file"):
        DatasetOutput(tmp_path / "valid.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["valid.parquet"]


def test_a_missing_parent_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist") as caught:
        check_dataset_target(tmp_path / "nowhere" / "valid")
    assert caught.value.target == str(tmp_path / "nowhere" / "valid")


def test_a_read_only_parent_directory_is_refused(tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    with read_only(parent):  # a read-only mount when run as root, who may write anywhere else
        with pytest.raises(OutputError, match="not writable"):
            check_dataset_target(parent / "valid")
        with pytest.raises(OutputError, match="not writable"):
            DatasetOutput(parent / "valid")
        assert list(parent.iterdir()) == []


def test_a_directory_holding_other_files_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "valid"
    write_file(target / "k=1" / "part-0.parquet", [2])
    (target / "notes.txt").write_text("keep me")
    with pytest.raises(OutputError) as caught:
        DatasetOutput(target)
    assert "notes.txt" in caught.value.message
    assert "not Parquet" in caught.value.message
    assert (target / "notes.txt").read_text() == "keep me"
    assert hidden(tmp_path) == []  # refused before anything was staged


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_exchange_swaps_two_directories(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "from-a").write_text("a")
    (b / "from-b").write_text("b")
    assert _exchange(a, b) is True  # Linux: renameat2(RENAME_EXCHANGE)
    assert [p.name for p in a.iterdir()] == ["from-b"]
    assert [p.name for p in b.iterdir()] == ["from-a"]
    assert _exchange(a, tmp_path / "missing") is False
