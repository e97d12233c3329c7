"""Every source gives the same report on the same data; hostile sources fail cleanly.

One small dataset with violations (`ROWS`) is written to CSV, a Parquet file, a hive-partitioned
Parquet directory, a glob of Parquet files, JSON Lines, a DataFrame, a SQLite file and a real
PostgreSQL server (the session fixture `postgres_url` in conftest.py), and each must give the
same (code, column, row) triples, the same counts, the same quarantined rows and the same
normalised valid rows, whatever the chunk size. Hostile sources (a refused connection, a missing
table, a bad query, a stray file in a dataset, a glob matching nothing, a file that grows while
it is read, a full disk) must give one clear line and exit code 2 through the real command line,
`InputError`/`OutputError` through the API, and leave the output directory as it was.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import random
import resource
import signal
import socket
import sqlite3
import string
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import skewless
from skewless.batch import Chunk
from skewless.io import FileSource, Source, open_source
from tests.cli_run import skewless_cli

# `coerce: true` on `active` only: SQLite has no boolean type and stores booleans as 0 and 1,
# which a boolean column takes only with coerce (docs/sources.md). Every other source holds
# real booleans (or CSV text), on which coerce changes nothing.
CONTRACT = """\
contract: sources
version: 1.0.0
timezone: UTC
columns:
  id: {type: integer, min: 1, unique: true}
  name: {type: string, pattern: '^[a-z]+$', max_length: 8}
  score: {type: float, min: 0, max: 1, nullable: true}
  kind: {type: category, values: [a, b, c]}
  active: {type: boolean, coerce: true}
  seen_at: {type: datetime, timezone: UTC}
  day: {type: date}
"""

NAMES = ("id", "name", "score", "kind", "active", "seen_at", "day")
UTC = dt.UTC
T0 = dt.datetime(2024, 1, 1, 9, 30, tzinfo=UTC)
D0 = dt.date(2024, 1, 1)
# Sorted by `kind`, so the hive-partitioned copy (one directory per kind) keeps the row order.
_ROWS: list[tuple[Any, ...]] = [
    (1, "ann", 0.5, "a", True),
    (0, "bob", 0.25, "a", False),  # id out_of_range
    (3, "Cy", None, "a", True),  # name pattern_mismatch (a null score is allowed)
    (4, "abcdefghij", 0.75, "a", False),  # name too_long
    (5, "dan", None, "a", False),
    (6, "eve", 1.5, "b", True),  # score out_of_range
    (1, "gus", 0.2, "b", True),  # id not_unique (row 0 has it)
    (8, None, 0.3, "b", False),  # name null_not_allowed
    (9, "hal", 0.6, "b", True),
    (10, "ida", 0.4, "c", None),  # active null_not_allowed
    (11, "jo", 0.0, "c", True),
    (12, "kim", -0.5, "z", False),  # score out_of_range, kind not_in_vocabulary
]
ROWS = [
    (*r, T0 + dt.timedelta(days=i, minutes=7 * i), D0 + dt.timedelta(days=i))
    for i, r in enumerate(_ROWS)
]
EXPECTED = [
    ("out_of_range", "id", 1),
    ("pattern_mismatch", "name", 2),
    ("too_long", "name", 3),
    ("out_of_range", "score", 5),
    ("not_unique", "id", 6),
    ("null_not_allowed", "name", 7),
    ("null_not_allowed", "active", 9),
    ("out_of_range", "score", 11),
    ("not_in_vocabulary", "kind", 11),
]
EXPECTED_COUNTS = {
    "null_not_allowed": 2,
    "not_in_vocabulary": 1,
    "out_of_range": 3,
    "pattern_mismatch": 1,
    "too_long": 1,
    "not_unique": 1,
}
FAILED = sorted({row for _, _, row in EXPECTED})
VALID = [dict(zip(NAMES, ROWS[i], strict=True)) for i in range(len(ROWS)) if i not in FAILED]
SQL_COLUMNS = ", ".join(NAMES)
PG_TABLE = "parity_users"
SQLITE_QUERY = f"SELECT {SQL_COLUMNS} FROM users ORDER BY seen_at"  # noqa: S608 - constants


def triples(report: skewless.Report) -> list[tuple[str, str | None, int | None]]:
    return [(v.code, v.column, v.row) for v in report.violations]


# --- the dataset, once per format -------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _arrow(rows: list[tuple[Any, ...]], names: tuple[str, ...] = NAMES) -> pa.Table:
    types = {
        "id": pa.int64(),
        "name": pa.string(),
        "score": pa.float64(),
        "kind": pa.string(),
        "active": pa.bool_(),
        "seen_at": pa.timestamp("us", tz="UTC"),
        "day": pa.date32(),
    }
    columns = dict(zip(NAMES, zip(*rows, strict=True), strict=True))
    return pa.table({n: pa.array(columns[n], types[n]) for n in names})


def write_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(NAMES)
        writer.writerows([_text(v) for v in row] for row in ROWS)
    return path


def write_jsonl(path: Path) -> Path:
    lines = (json.dumps(dict(zip(NAMES, map(_json, row), strict=True))) for row in ROWS)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def write_hive(root: Path) -> Path:
    """kind=a/part-0.parquet, kind=b/..., kind=z/...: `kind` comes from the directory names."""
    for kind in sorted({row[3] for row in ROWS}):
        rows = [row for row in ROWS if row[3] == kind]
        (root / f"kind={kind}").mkdir(parents=True)
        others = tuple(n for n in NAMES if n != "kind")
        pq.write_table(_arrow(rows, others), root / f"kind={kind}" / "part-0.parquet")
    (root / "_SUCCESS").write_bytes(b"")  # what Spark leaves: hidden, not read
    return root


def write_parts(directory: Path) -> str:
    """Three Parquet files with different row group sizes, named by a glob."""
    directory.mkdir()
    for i, (lo, hi) in enumerate([(0, 4), (4, 7), (7, len(ROWS))]):
        pq.write_table(_arrow(ROWS[lo:hi]), directory / f"part-{i}.parquet", row_group_size=2)
    (directory / "notes.txt").write_text("not matched by the glob")
    return str(directory / "part-*.parquet")


def write_sqlite(path: Path) -> str:
    """A real SQLite file: booleans are stored as 0/1, datetimes and dates as ISO text."""
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "CREATE TABLE users (id INTEGER, name TEXT, score REAL, kind TEXT, "
            "active BOOLEAN, seen_at TEXT, day TEXT)"
        )
        conn.executemany(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)",
            [tuple(_json(v) for v in row) for row in ROWS],
        )
    return f"sqlite:///{path}"


def as_frame(dtypes: str) -> pd.DataFrame:
    """pyarrow-backed columns, or what pandas makes of the rows by itself (numpy and object)."""
    if dtypes == "arrow":
        frame = _arrow(ROWS).to_pandas(types_mapper=pd.ArrowDtype)
    else:
        frame = pd.DataFrame(ROWS, columns=list(NAMES))
        assert str(frame["score"].dtype) == "float64"  # a null score is NaN here: still a null
    frame["day"] = pd.Series([row[6] for row in ROWS], dtype=object)
    return frame


@dataclass(frozen=True)
class Dataset:
    contract: Path
    csv: Path
    parquet: Path
    hive: Path
    glob: str
    jsonl: Path
    sqlite: str


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    root = tmp_path_factory.mktemp("sources")
    (root / "contract.yaml").write_text(CONTRACT)
    pq.write_table(_arrow(ROWS), root / "users.parquet", row_group_size=5)
    return Dataset(
        contract=root / "contract.yaml",
        csv=write_csv(root / "users.csv"),
        parquet=root / "users.parquet",
        hive=write_hive(root / "hive"),
        glob=write_parts(root / "parts"),
        jsonl=write_jsonl(root / "users.jsonl"),
        sqlite=write_sqlite(root / "users.db"),
    )


@pytest.fixture(scope="module")
def postgres(postgres_url: str) -> Iterator[str]:
    """The dataset as a PostgreSQL table with native types (bigint, boolean, timestamptz...)."""
    import sqlalchemy as sa

    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"CREATE TABLE {PG_TABLE} (id bigint, name text, score double precision, "
                "kind text, active boolean, seen_at timestamptz, day date)"
            )
        )
        conn.execute(
            sa.text(
                f"INSERT INTO {PG_TABLE} VALUES "  # noqa: S608 - a constant table name
                "(:id, :name, :score, :kind, :active, :seen_at, :day)"
            ),
            [dict(zip(NAMES, row, strict=True)) for row in ROWS],
        )
    try:
        yield postgres_url
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE {PG_TABLE}"))
        engine.dispose()


# --- the same report from every source --------------------------------------------------------


def same_everywhere(data: Any, dataset: Dataset, tmp_path: Path, **kw: Any) -> None:
    """The expected report, quarantine and valid rows, read whole and in chunks of 1 and 5."""
    for chunk_rows in (None, 1, 5):
        out = tmp_path / f"chunks-{chunk_rows}"
        out.mkdir()
        result = skewless.validate(
            data,
            dataset.contract,
            valid_out=out / "valid.parquet",
            quarantine=out / "held.parquet",
            chunk_rows=chunk_rows,
            **kw,
        )
        report = result.report
        assert triples(report) == EXPECTED, chunk_rows
        assert report.counts == EXPECTED_COUNTS
        assert (report.rows, report.rows_failed) == (len(ROWS), len(FAILED))
        assert (result.valid_rows, result.quarantined_rows) == (len(VALID), len(FAILED))
        held = pq.read_table(out / "held.parquet")
        assert held.column("_row").to_pylist() == FAILED
        reasons = [
            (v["code"], v["column"]) for vs in held.column("_violations").to_pylist() for v in vs
        ]
        assert reasons == [(code, column) for code, column, _ in EXPECTED]
        valid = pq.read_table(out / "valid.parquet")
        assert valid.column_names == list(NAMES)
        assert valid.to_pylist() == VALID


def test_csv(dataset: Dataset, tmp_path: Path) -> None:
    same_everywhere(dataset.csv, dataset, tmp_path)


def test_parquet_file(dataset: Dataset, tmp_path: Path) -> None:
    same_everywhere(dataset.parquet, dataset, tmp_path)


def test_parquet_hive_directory(dataset: Dataset, tmp_path: Path) -> None:
    assert isinstance(open_source(dataset.hive), FileSource)
    same_everywhere(dataset.hive, dataset, tmp_path)


def test_parquet_glob(dataset: Dataset, tmp_path: Path) -> None:
    source = open_source(dataset.glob)
    assert isinstance(source, FileSource)
    assert [p.name for p in source.paths] == ["part-0.parquet", "part-1.parquet", "part-2.parquet"]
    same_everywhere(dataset.glob, dataset, tmp_path)


def test_jsonl(dataset: Dataset, tmp_path: Path) -> None:
    same_everywhere(dataset.jsonl, dataset, tmp_path)


@pytest.mark.parametrize("dtypes", ["arrow", "numpy"])
def test_dataframe(dtypes: str, dataset: Dataset, tmp_path: Path) -> None:
    same_everywhere(as_frame(dtypes), dataset, tmp_path)


def test_sqlite_table(dataset: Dataset, tmp_path: Path) -> None:
    same_everywhere(dataset.sqlite, dataset, tmp_path, table="users")


def test_sqlite_query(dataset: Dataset, tmp_path: Path) -> None:
    same_everywhere(dataset.sqlite, dataset, tmp_path, query=SQLITE_QUERY)


def test_postgres_table(postgres: str, dataset: Dataset, tmp_path: Path) -> None:
    same_everywhere(postgres, dataset, tmp_path, table=PG_TABLE)


def test_postgres_query(postgres: str, dataset: Dataset, tmp_path: Path) -> None:
    query = f"SELECT {SQL_COLUMNS} FROM {PG_TABLE} ORDER BY seen_at"  # noqa: S608 - constants
    same_everywhere(postgres, dataset, tmp_path, query=query)


def test_postgres_schema_qualified_table(postgres: str, dataset: Dataset) -> None:
    report = skewless.validate(postgres, dataset.contract, table=f"public.{PG_TABLE}").report
    assert triples(report) == EXPECTED


def test_sqlite_booleans_need_coerce(dataset: Dataset) -> None:
    """Without coerce, SQLite's 0/1 are integers in a boolean column: wrong_type, not guessed."""
    strict = dataset.contract.with_name("strict.yaml")
    strict.write_text(CONTRACT.replace("{type: boolean, coerce: true}", "{type: boolean}"))
    report = skewless.validate(dataset.sqlite, strict, table="users").report
    wrong = [(v.column, v.row) for v in report.violations if v.code == "wrong_type"]
    assert wrong == [("active", i) for i in range(len(ROWS)) if i != 9]


# --- the same report through the command line -------------------------------------------------


def test_cli_json_reports_for_every_file_source(dataset: Dataset) -> None:
    """Several DATA in one run, one report each: the same violations in every report."""
    files = [dataset.csv, dataset.parquet, dataset.hive, dataset.glob, dataset.jsonl]
    run = skewless_cli(
        "validate",
        dataset.contract,
        *files,
        "--chunk-rows",
        "4",
        "--format",
        "json",
        cwd=dataset.contract.parent,
    )
    assert run.code == 1, run
    reports = json.loads(run.out)["reports"]
    assert [r["source"] for r in reports] == [str(f) for f in files]
    for report in reports:
        assert [(v["code"], v["column"], v["row"]) for v in report["violations"]] == EXPECTED
        assert report["counts"] == EXPECTED_COUNTS


SQL_SPECS: dict[str, list[str]] = {
    "sqlite-table": ["--table", "users"],
    "sqlite-query": ["--query", SQLITE_QUERY],
    "postgres-table": ["--table", PG_TABLE],
}


@pytest.mark.parametrize("name", SQL_SPECS)
def test_cli_json_report_for_sql(
    name: str, dataset: Dataset, request: pytest.FixtureRequest
) -> None:
    postgres = name.startswith("postgres")
    data = request.getfixturevalue("postgres") if postgres else dataset.sqlite
    out = dataset.contract.parent / f"cli-{name}"
    out.mkdir()
    run = skewless_cli(
        "validate",
        dataset.contract,
        data,
        *SQL_SPECS[name],
        "--chunk-rows",
        "4",
        "--format",
        "json",
        "--valid-out",
        out / "valid.parquet",
        "--quarantine",
        out / "held.parquet",
        cwd=out,
    )
    assert run.code == 1, run
    doc = json.loads(run.out)
    assert doc["outputs"]["valid_rows"] == len(VALID)
    assert doc["outputs"]["quarantined_rows"] == len(FAILED)
    assert [(v["code"], v["column"], v["row"]) for v in doc["violations"]] == EXPECTED
    assert doc["counts"] == EXPECTED_COUNTS
    assert pq.read_table(out / "held.parquet").column("_row").to_pylist() == FAILED
    assert pq.read_table(out / "valid.parquet").to_pylist() == VALID


# --- hostile sources: one clear line, exit 2, nothing written ---------------------------------


PREVIOUS = {"valid.parquet": b"previous valid rows", "held.parquet": b"previous quarantine"}


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """An output directory holding a previous run's outputs, which a failed run must keep."""
    out = tmp_path / "out"
    out.mkdir()
    for name, content in PREVIOUS.items():
        (out / name).write_bytes(content)
    return out


def untouched(out: Path, previous: dict[str, bytes] = PREVIOUS) -> None:
    assert {p.name: p.read_bytes() for p in out.iterdir()} == previous


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Hostile:
    words: tuple[str, ...]  # what the one-line error must say
    table: str | None = None
    query: str | None = None


def hostile_source(case: str, dataset: Dataset, root: Path, request: pytest.FixtureRequest) -> str:
    """The DATA argument for one hostile case, built under `root`."""
    if case == "refused":
        return f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/db?connect_timeout=10"
    if case.startswith("postgres"):
        return str(request.getfixturevalue("postgres"))
    if case.startswith("sqlite"):
        return dataset.sqlite
    if case == "missing-db-file":
        return f"sqlite:///{root / 'absent.db'}"
    if case == "stray-file":
        write_hive(root / "stray")
        (root / "stray" / "kind=a" / "notes.txt").write_text("hello")
        return str(root / "stray")
    if case == "corrupt-part":
        write_hive(root / "corrupt")
        (root / "corrupt" / "kind=z" / "part-1.parquet").write_bytes(b"PAR1 not really")
        return str(root / "corrupt")
    if case == "glob-nothing":
        return str(root / "nothing-*.parquet")
    if case == "schemas-differ":
        write_parts(root / "parts")
        extra = _arrow(ROWS[:2]).append_column("secret", pa.array(["x", "y"]))
        pq.write_table(extra, root / "parts" / "part-3.parquet")
        return str(root / "parts" / "part-?.parquet")
    raise AssertionError(case)


HOSTILE = {
    "refused": Hostile(("127.0.0.1", "Connection refused"), table="users"),
    "sqlite-no-table": Hostile(("table nope", "no such table: nope"), table="nope"),
    "postgres-no-table": Hostile(('relation "nope" does not exist',), table="nope"),
    "sqlite-syntax": Hostile(("query", "syntax error"), query="SELEC * FROM users"),
    "postgres-syntax": Hostile(("query", "syntax error"), query="SELECT * FORM parity_users"),
    "missing-db-file": Hostile(("no such database file", "absent.db"), table="users"),
    "stray-file": Hostile(("Parquet dataset", "kind=a/notes.txt", "not a .parquet file")),
    "corrupt-part": Hostile(("unreadable Parquet", "kind=z/part-1.parquet")),
    "glob-nothing": Hostile(("nothing-*.parquet", "no file matches")),
    # Read in the first file's schema, the extra column would vanish without a word.
    "schemas-differ": Hostile(("share one schema", "'secret'", "part-3.parquet")),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_source_api(
    case: str, dataset: Dataset, out_dir: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    spec = HOSTILE[case]
    data = hostile_source(case, dataset, tmp_path, request)
    with pytest.raises(skewless.InputError) as caught:
        skewless.validate(
            data,
            dataset.contract,
            valid_out=out_dir / "valid.parquet",
            quarantine=out_dir / "held.parquet",
            chunk_rows=1,
            table=spec.table,
            query=spec.query,
        )
    message = str(caught.value)
    assert "\n" not in message, message
    for word in spec.words:
        assert word in message, message
    untouched(out_dir)
    assert not (tmp_path / "absent.db").exists()  # reading a database never creates one


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_source_cli(
    case: str, dataset: Dataset, out_dir: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    spec = HOSTILE[case]
    data = hostile_source(case, dataset, tmp_path, request)
    options = [*(["--table", spec.table] if spec.table else [])]
    options += ["--query", spec.query] if spec.query else []
    run = skewless_cli(
        "validate",
        dataset.contract,
        data,
        *options,
        "--valid-out",
        out_dir / "valid.parquet",
        "--quarantine",
        out_dir / "held.parquet",
        "--chunk-rows",
        "1",
        cwd=tmp_path,
    )
    assert run.code == 2, run
    line = run.error_line()
    for word in spec.words:
        assert word in line, line
    untouched(out_dir)
    assert not (tmp_path / "absent.db").exists()


# --- a file that changes while it is read -----------------------------------------------------


@dataclass(slots=True)
class GrowsWhileRead(Source):
    """A real file source whose file gets one more record after the first chunk is read."""

    inner: FileSource | None = None
    extra: bytes = b""

    def chunks(self, chunk_rows: int | None) -> Iterator[Chunk]:
        assert self.inner is not None
        for i, chunk in enumerate(self.inner.chunks(chunk_rows)):
            yield chunk
            if i == 0:
                with self.inner.paths[0].open("ab") as fh:
                    fh.write(self.extra)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_file_changed_while_read_api(
    fmt: str, dataset: Dataset, out_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / f"growing.{fmt}"
    path.write_bytes(getattr(dataset, fmt).read_bytes())
    record = {
        "csv": b"13,zed,0.5,a,true,2024-02-01T00:00:00+00:00,2024-02-01\n",
        "jsonl": b'{"id": 13}\n',
        "parquet": b"trailing bytes",
    }[fmt]
    inner = open_source(path)
    assert isinstance(inner, FileSource)
    source = GrowsWhileRead(inner.name, inner=inner, extra=record)
    with pytest.raises(skewless.InputError, match="changed while being read"):
        skewless.validate(
            source,
            dataset.contract,
            valid_out=out_dir / "valid.parquet",
            quarantine=out_dir / "held.parquet",
            chunk_rows=2,
        )
    untouched(out_dir)


def test_file_changed_while_read_cli(dataset: Dataset, out_dir: Path, tmp_path: Path) -> None:
    """A writer appends to the CSV the whole time the real command line reads it."""
    path = tmp_path / "growing.csv"
    line = "7,abc,0.5,a,true,2024-01-01T00:00:00+00:00,2024-01-01\n"
    path.write_text(",".join(NAMES) + "\n" + line * 200_000)
    stop = threading.Event()

    def append() -> None:
        with path.open("a") as fh:
            while not stop.is_set():
                fh.write(line)
                fh.flush()
                stop.wait(0.002)

    writer = threading.Thread(target=append)
    writer.start()
    try:
        run = skewless_cli(
            "validate",
            dataset.contract,
            path,
            "--valid-out",
            out_dir / "valid.parquet",
            "--quarantine",
            out_dir / "held.parquet",
            "--chunk-rows",
            "50000",
            cwd=tmp_path,
        )
    finally:
        stop.set()
        writer.join()
    assert run.code == 2, run
    assert "changed while being read" in run.error_line()
    untouched(out_dir)


# --- a full disk ------------------------------------------------------------------------------


@dataclass
class FullDisk:
    """A 64 KiB tmpfs; where mounting is not permitted, a 64 KiB file size limit instead."""

    path: Path
    limit: int | None  # RLIMIT_FSIZE in bytes when there is no tmpfs

    def preexec(self) -> None:
        if self.limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() fails with EFBIG instead
            resource.setrlimit(resource.RLIMIT_FSIZE, (self.limit, resource.RLIM_INFINITY))

    @contextlib.contextmanager
    def limited(self) -> Iterator[None]:
        if self.limit is None:
            yield
            return
        before = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (self.limit, hard))
        try:
            yield
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
            signal.signal(signal.SIGXFSZ, before)


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[FullDisk]:
    path = tmp_path / "full"
    path.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(path)]
    mounted = subprocess.run(mount, capture_output=True, check=False).returncode == 0
    try:
        yield FullDisk(path, None if mounted else 64 << 10)
    finally:
        if mounted:
            umount = ["umount", str(path)]
            subprocess.run(umount, check=True, capture_output=True)


def big_csv(path: Path, rows: int = 3000) -> Path:
    """Few valid rows (a small valid output) and many failing ones with incompressible names:
    the quarantine is what fills the disk, after the valid output would have fit."""
    rnd = random.Random(7)
    with path.open("w") as fh:
        fh.write(",".join(NAMES) + "\n")
        for i in range(rows):
            name = "".join(rnd.choices(string.ascii_lowercase, k=40 if i % 500 else 5))
            fh.write(f"{i + 1},{name},0.5,a,true,2024-01-01T00:00:00+00:00,2024-01-01\n")
    return path


def previous_run(dataset: Dataset, disk: FullDisk) -> dict[str, bytes]:
    """An earlier run that succeeded, into the small disk; returns its outputs."""
    with disk.limited():
        skewless.validate(
            dataset.csv,
            dataset.contract,
            valid_out=disk.path / "valid.parquet",
            quarantine=disk.path / "held.parquet",
        )
    return {p.name: p.read_bytes() for p in disk.path.iterdir()}


def test_disk_full_api(dataset: Dataset, full_disk: FullDisk, tmp_path: Path) -> None:
    previous = previous_run(dataset, full_disk)
    assert set(previous) == {"valid.parquet", "held.parquet"}
    data = big_csv(tmp_path / "big.csv")
    with full_disk.limited(), pytest.raises(skewless.OutputError) as caught:
        skewless.validate(
            data,
            dataset.contract,
            valid_out=full_disk.path / "valid.parquet",
            quarantine=full_disk.path / "held.parquet",
            chunk_rows=1000,
        )
    assert "\n" not in str(caught.value)
    assert caught.value.target == str(full_disk.path / "held.parquet")
    untouched(full_disk.path, previous)


# 50,000 rows whose names never pass (digits, 64 characters): the quarantine outgrows the write
# buffer, so the disk fills while the database is still streaming rows.
BIG_QUERY = (
    "SELECT i AS id, md5(i::text) || md5((i + 1)::text) AS name, 0.5::float8 AS score, "
    "'a' AS kind, true AS active, timestamptz '2024-01-01 00:00Z' AS seen_at, "
    "date '2024-01-01' AS day FROM generate_series(1, 50000) AS i"
)


def test_disk_full_while_streaming_from_postgres(
    postgres_url: str, dataset: Dataset, full_disk: FullDisk
) -> None:
    previous = previous_run(dataset, full_disk)
    with full_disk.limited(), pytest.raises(skewless.OutputError) as caught:
        skewless.validate(
            postgres_url,
            dataset.contract,
            valid_out=full_disk.path / "valid.parquet",
            quarantine=full_disk.path / "held.parquet",
            chunk_rows=1000,
            query=BIG_QUERY,
        )
    assert caught.value.target == str(full_disk.path / "held.parquet")
    untouched(full_disk.path, previous)


def test_disk_full_cli(dataset: Dataset, full_disk: FullDisk, tmp_path: Path) -> None:
    previous = previous_run(dataset, full_disk)
    data = big_csv(tmp_path / "big.csv")
    run = skewless_cli(
        "validate",
        dataset.contract,
        data,
        "--valid-out",
        full_disk.path / "valid.parquet",
        "--quarantine",
        full_disk.path / "held.parquet",
        cwd=tmp_path,
        preexec=full_disk.preexec,
    )
    assert run.code == 2, run
    line = run.error_line()
    assert line.startswith(f"error: {full_disk.path / 'held.parquet'}: "), line
    untouched(full_disk.path, previous)


# --- docs/sources.md runs as written ----------------------------------------------------------


def test_docs_example_prints_what_it_shows(tmp_path: Path) -> None:
    """The 'Try it' script of docs/sources.md, run as is, prints the output the page shows."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "sources.md").read_text("utf-8")
    script = doc.split("```python\n", 1)[1].split("```", 1)[0]
    shown = doc.split("```text\n", 1)[1].split("```", 1)[0]
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode() == shown
