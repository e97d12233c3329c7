"""SQL sources: a table or a query over a SQLAlchemy URL, streamed in chunks.

SQLite (`sqlite:///path.db`) is the embedded default and needs no server; PostgreSQL
(`postgresql+psycopg://user@host/db`) is the real server skewless is tested against. Values
arrive as the driver's Python objects (ints, floats, Decimals, datetimes, strings) and are read
by the contract like JSON values: a NaN in a float column is a value, not a null.

`pip install skewless[sql]` brings SQLAlchemy (and psycopg for PostgreSQL).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skewless.batch import Chunk
from skewless.errors import InputError
from skewless.io import Source
from skewless.report import escape

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?")


def _sqlalchemy() -> Any:
    try:
        import sqlalchemy
    except ImportError:  # pragma: no cover - part of the batch extra
        raise InputError(
            "sql", "SQL sources need SQLAlchemy: pip install 'skewless[sql]'"
        ) from None
    return sqlalchemy


def _redacted(url: str) -> str:
    """The URL without its password, for names in reports and errors."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _problem(exc: BaseException) -> str:
    """A driver error as one line, without the SQL echo SQLAlchemy appends."""
    original = getattr(exc, "orig", None) or exc
    text = (
        str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    )
    return escape(text, 300)[1:-1]


@dataclass(slots=True)
class SqlSource(Source):
    url: str = ""
    statement: str = ""

    @classmethod
    def open(cls, url: str, *, table: str | None, query: str | None) -> SqlSource:
        name = _redacted(url)
        if (table is None) == (query is None):
            raise InputError(
                name, "a database source takes --table NAME or --query SQL, one of them"
            )
        if table is not None:
            if not _IDENTIFIER.fullmatch(table):
                raise InputError(name, f"{escape(table)} is not a table name (schema.table)")
            statement = f"SELECT * FROM {table}"  # noqa: S608 - an identifier, checked above
            label = f"{name} table {table}"
        else:
            assert query is not None
            statement = query
            label = f"{name} query"
        return cls(label, identity=f"{name}\n{statement}", url=url, statement=statement)

    def chunks(self, chunk_rows: int | None) -> Iterator[Chunk]:
        import numpy as np

        sa = _sqlalchemy()
        size = chunk_rows or 100_000
        try:
            engine = sa.create_engine(self.url)
        except Exception as exc:  # a bad URL or a missing driver: SQLAlchemy raises many kinds
            raise InputError(self.name, f"cannot use this database URL: {_problem(exc)}") from None
        database = engine.url.database or ""
        if (
            engine.url.get_backend_name() == "sqlite"
            and database not in ("", ":memory:")
            and not engine.url.query.get("uri")
            and not Path(database).is_file()
        ):
            # sqlite3 would create an empty database there: reading must not write.
            engine.dispose()
            raise InputError(self.name, f"no such database file: {escape(database)}")
        start = 0
        try:
            with engine.connect() as conn:
                result = conn.execution_options(stream_results=True, max_row_buffer=size).execute(
                    sa.text(self.statement)
                )
                # Closed however the run ends (an error, a consumer that stops early): a
                # server-side cursor left open is a leak and a warning from the driver.
                with result:
                    names = list(result.keys())
                    if len(set(names)) != len(names):
                        dupes = sorted({n for n in names if names.count(n) > 1})
                        raise InputError(
                            self.name, f"duplicate column names: {', '.join(map(escape, dupes))}"
                        )
                    emitted = False
                    for rows in result.partitions(size):
                        columns = {n: [row[i] for row in rows] for i, n in enumerate(names)}
                        yield Chunk(columns, np.arange(start, start + len(rows), dtype=np.int64))
                        start += len(rows)
                        emitted = True
                    if not emitted:
                        yield Chunk({n: [] for n in names}, np.zeros(0, dtype=np.int64))
        except InputError:
            raise
        except sa.exc.SQLAlchemyError as exc:
            raise InputError(self.name, _problem(exc)) from None
        finally:
            engine.dispose()
