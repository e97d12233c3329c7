"""Spark plumbing for the Spark engine: the session, Spark's reader, Spark's errors as skewless's.

A session skewless starts is local (or on a given master), in UTC, with the JVM's log at
errors only; an active session (inside a Spark application) is used as it is. A failure in
Spark comes back as an `InputError` (a file Spark could not read, an `InputError` raised in a
worker) or an `EngineError` (anything else, a JVM that died), never as Py4J's traceback.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skewless.errors import EngineError, InputError, OutputError

if TYPE_CHECKING:
    from skewless.io import ParquetSource

INSTALL_HINT = "the Spark engine needs PySpark and Java 17 or newer: pip install 'skewless[spark]'"
FILE, INDEX = "__skewless_file", "__skewless_index"  # where each row of a file source sits
# Spark's JVM logs errors only (a task's failure is reported once, by skewless, not as a stack).
_LOG_CONFIG = Path(__file__).with_name("spark-log4j2.properties")


def pyspark_sql() -> Any:
    try:
        with warnings.catch_warnings():
            # PySpark warns that it does not fully support pandas 3; skewless hands it Arrow
            # batches only (mapInArrow), never pandas objects.
            warnings.simplefilter("ignore", FutureWarning)
            import pyspark.sql
    except ImportError:
        raise EngineError("spark", INSTALL_HINT) from None
    return pyspark.sql


@contextlib.contextmanager
def session(master: str | None = None) -> Iterator[Any]:
    """The active Spark session as it is (inside a Spark application), or a session on
    `master` (default local[*]) started for the run and stopped after it."""
    sql = pyspark_sql()
    active = sql.SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    if (master or "local").startswith("local"):
        # Local workers run this interpreter, the one with skewless and pyarrow installed.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        with quiet():
            spark = (
                sql.SparkSession.builder.master(master or "local[*]")
                .appName("skewless")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
                .config("spark.ui.showConsoleProgress", "false")
                # Read when PySpark launches the driver's JVM (spark-submit --conf).
                .config(
                    "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={_LOG_CONFIG}"
                )
                .getOrCreate()
            )
    except Exception as exc:  # Java missing, a master that does not answer
        raise EngineError(
            "spark", f"Spark did not start on {master or 'local[*]'}: {_first(exc)}"
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        with contextlib.suppress(Exception):  # a JVM that died is reported, not its stop
            spark.stop()


def file_offsets(source: ParquetSource) -> dict[str, int]:
    """Each file's first row id in the source, its files checked as the local reader checks
    them (before a Spark session is started for nothing)."""
    from skewless.datasets import pieces

    _, parts = pieces(source, 1 << 62)
    return {str(Path(p.path).resolve()): p.offset for p in parts}


def read_dataset(
    spark: Any, source: ParquetSource, offsets: dict[str, int] | None = None
) -> tuple[Any, dict[str, int]]:
    """A Parquet source as a Spark DataFrame (Spark's reader), with each file's first row id:
    a row's id is its file's offset plus its position in the file (`_metadata.row_index`)."""
    if offsets is None:
        offsets = file_offsets(source)
    functions = pyspark_sql().functions
    reader = spark.read
    if source.dataset_root is not None:
        reader = reader.option("basePath", str(source.dataset_root))
    try:
        with quiet():
            frame = reader.parquet(*(str(p) for p in source.paths))
    except Exception as exc:
        raise InputError(source.name, f"unreadable Parquet: {_first(exc)}") from None
    return (
        frame.select(
            "*",
            functions.col("_metadata.file_path").alias(FILE),
            functions.col("_metadata.row_index").alias(INDEX),
        ),
        offsets,
    )


def release(frame: Any) -> None:
    """Drop a persisted frame; where the JVM is gone, the error that ended the run stands."""
    with contextlib.suppress(Exception):
        frame.unpersist()


def session_zone(data: Any) -> str:
    """The session's time zone: the zone of the timestamps Spark exchanges with Python."""
    zone: str = data.sparkSession.conf.get("spark.sql.session.timeZone")
    return zone


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pandas >= 3: see `_spark`
        yield


@contextlib.contextmanager
def spark_errors(source: str) -> Iterator[None]:
    """Spark's exceptions as skewless's: an InputError raised in a worker comes back as text."""
    try:
        yield
    except (InputError, OutputError, EngineError):
        raise
    except Exception as exc:
        name = type(exc).__name__
        if isinstance(exc, ConnectionError) or name in ("Py4JError", "Py4JNetworkError"):
            raise EngineError(
                "spark",
                "the Spark driver's JVM stopped answering (out of memory?); nothing was written",
            ) from None
        if name not in (
            "PythonException",
            "Py4JJavaError",
            "AnalysisException",
            "SparkException",
            "IllegalArgumentException",
        ):
            raise
        text = str(exc)
        for family in (InputError, OutputError):
            marker = f"skewless.errors.{family.__name__}: "
            if marker in text:
                message = text.split(marker, 1)[1].splitlines()[0]
                where, _, why = message.partition(": ")
                raise family(where, why) from None
        unreadable = re.search(r"Encountered error while reading file (\S+?)\.?\s", text)
        if unreadable is not None:  # Spark's reader failed on a file: the innermost cause says why
            causes = re.findall(r"^Caused by: [\w.$]+: (.+)$", text, flags=re.MULTILINE)
            why = causes[-1].strip() if causes else "Spark could not read it"
            raise InputError(
                source, f"unreadable Parquet: {local_path(unreadable[1])}: {why}"
            ) from None
        raise EngineError("spark", f"the run failed: {_first(exc)}; nothing was written") from None


def local_path(uri: str) -> str:
    """A file URI as Spark names files, as a path."""
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(uri).path) if uri.startswith("file:") else uri


def _first(exc: BaseException) -> str:
    """The line of a (Java or Python worker) exception that says what went wrong."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if "Traceback (most recent call last):" in lines:  # a Python worker's: its last line
        tail = [line for line in lines if not line.startswith(("File ", "^", "at ", "SQLSTATE"))]
        return tail[-1] if tail else lines[-1]
    return lines[0] if lines else type(exc).__name__
