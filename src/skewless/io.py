"""Readers: files into named columns, parsed by the contract, never crashing on bad rows.

CSV cells are read as raw bytes (nothing decoded or guessed by the reader) and parsed by the
contract, so an unparseable value or invalid UTF-8 is a row-level violation. A ragged CSV row or
an unparseable JSON line is a `malformed_input` violation at its row; the other rows are still
judged. What cannot be judged at all (a missing, empty or truncated file, a duplicate header)
raises `InputError`, which the command line turns into exit code 2.

Row ids are 0-based positions of the records in the source (the header is not a record).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skewless.errors import Code, InputError
from skewless.report import Block, Report, escape

if TYPE_CHECKING:
    import numpy as np

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
TOO_LARGE = f"is larger than {MAX_JSON_LINE} bytes"


@dataclass(slots=True)
class Source:
    """Columns read from one source, with the rows the reader could not read at all."""

    name: str
    columns: dict[str, Any]
    text: bool  # values are text to parse by the contract (CSV)
    total: int  # records in the source, malformed ones included
    skipped: dict[int, str] = field(default_factory=dict)  # position -> raw record
    skip_reason: dict[int, str] = field(default_factory=dict)


def detect_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            str(path), f"unknown file type {path.suffix!r}; expected .csv, .parquet or .jsonl"
        )
    return fmt


def read(path: str | Path) -> Source:
    """Read a CSV, Parquet or JSON Lines file by its extension."""
    p = Path(path)
    fmt = detect_format(p)
    _check_file(p)
    return {"csv": read_csv, "parquet": read_parquet, "jsonl": read_jsonl}[fmt](p)


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


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), exc.strerror or str(exc)) from None


def _one_line(message: str) -> str:
    return escape(message.strip().splitlines()[0] if message.strip() else message, 200)[1:-1]


# --- CSV --------------------------------------------------------------------------------------


def read_csv(path: Path) -> Source:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    name = str(path)
    data = _read_bytes(path)
    header = _csv_header(name, data)
    if not data.endswith((b"\n", b"\r")):
        data += b"\n"  # pyarrow reads a lone header without a newline as an empty file
    skipped: dict[int, str] = {}
    reasons: dict[int, str] = {}

    def on_bad_row(row: Any) -> str:
        position = row.number - 2  # number counts rows from 1, header included
        skipped[position] = row.text
        reasons[position] = (
            f"has {row.actual_columns} fields; the header has {row.expected_columns}"
        )
        return "skip"

    block = 1 << 20
    while True:
        skipped.clear()
        reasons.clear()
        try:
            table = pcsv.read_csv(
                io.BytesIO(data),
                read_options=pcsv.ReadOptions(use_threads=False, block_size=block),
                # Blank lines are records too (a ragged one, unless the file has one column):
                # skipping them would shift the row ids of every record after them.
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
            break
        except pa.ArrowInvalid as exc:
            text = str(exc)
            if "straddling" in text and block < len(data) + 1:
                block = min(block * 8, len(data) + 1)
                continue
            raise InputError(name, f"unreadable CSV: {_one_line(text)}") from None
    columns = dict(zip(table.column_names, table.columns, strict=True))
    return Source(name, columns, True, table.num_rows + len(skipped), skipped, reasons)


def _csv_header(name: str, data: bytes) -> list[str]:
    first = data[: 1 << 20].removeprefix(b"\xef\xbb\xbf")
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


def read_parquet(path: Path) -> Source:
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = str(path)
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(name, f"unreadable Parquet: {_one_line(str(exc))}") from None
    names = table.column_names
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise InputError(name, f"duplicate column names: {', '.join(map(escape, dupes))}")
    return Source(name, dict(zip(names, table.columns, strict=True)), False, table.num_rows)


# --- JSON Lines -------------------------------------------------------------------------------


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(f"duplicate key {escape(key)}")
        out[key] = value
    return out


def read_jsonl(path: Path) -> Source:
    """One JSON object per line; a key absent from a record reads as null."""
    name = str(path)
    data = _read_bytes(path)
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    columns: dict[str, list[Any]] = {}
    skipped: dict[int, str] = {}
    reasons: dict[int, str] = {}
    kept = 0
    for position, raw in enumerate(lines):
        raw = raw.removesuffix(b"\r")
        if position == 0:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        record, problem = _json_record(raw)
        if problem is not None:
            skipped[position] = raw.decode("utf-8", "surrogateescape")
            reasons[position] = problem
            continue
        assert record is not None
        for key in record:
            if key not in columns:
                columns[key] = [None] * kept
        for key, values in columns.items():
            values.append(record.get(key))
        kept += 1
    if kept == 0 and not any(line.strip() for line in lines):
        raise InputError(name, "no records (only blank lines)")
    return Source(name, _object_columns(columns), False, len(lines), skipped, reasons)


def _json_record(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    if not raw.strip():
        return None, "is a blank line, not a JSON object"
    if len(raw) > MAX_JSON_LINE:
        return None, TOO_LARGE
    text = raw.decode("utf-8", "surrogateescape")  # bad bytes in strings: invalid_unicode later
    try:
        record = json.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as exc:
        return None, f"is not a usable JSON object: {exc}"
    except RecursionError:
        return None, "is nested too deeply"
    except ValueError as exc:
        return None, f"is not valid JSON: {_one_line(str(exc))}"
    if not isinstance(record, dict):
        return None, f"is a JSON {type(record).__name__}, not an object"
    return record, None


def _object_columns(columns: dict[str, list[Any]]) -> dict[str, Any]:
    # Plain lists: the batch engine reads them as JSON values, where NaN is a value, not a null.
    return dict(columns)


# --- validating a source ----------------------------------------------------------------------


def validate_source(contract: Contract, src: Source, *, env: Env | None = None) -> Report:
    """Run the batch engine on a source; rows the reader skipped come back as malformed_input."""
    from skewless.batch import compile_contract

    rows = src.total - len(src.skipped)
    outcome = compile_contract(contract).run(
        src.columns, env=env, source=src.name, text=src.text, rows=rows
    )
    report = outcome.report
    if src.skipped:
        _to_source_rows(report, sorted(src.skipped), src.total)
        # A raw record holds every field: if any column is pii, the record is redacted whole.
        report.blocks[:0] = _malformed_blocks(src, any(c.pii for c in contract.columns))
    report.rows = src.total
    return report


def validate_file(contract: Contract, path: str | Path, *, env: Env | None = None) -> Report:
    return validate_source(contract, read(path), env=env)


def _malformed_blocks(src: Source, redact: bool = False) -> list[Block]:
    import numpy as np

    by_reason: dict[str, list[int]] = {}
    for position in sorted(src.skipped):
        by_reason.setdefault(src.skip_reason[position], []).append(position)
    return [
        Block(
            Code.PAYLOAD_TOO_LARGE if reason == TOO_LARGE else Code.MALFORMED_INPUT,
            None,
            f"the record {reason}",
            np.asarray(positions, dtype=np.int64),
            lambda rows: [src.skipped[int(r)] for r in rows],
            redact,
            order=-1,
        )
        for reason, positions in by_reason.items()
    ]


def _to_source_rows(report: Report, skipped: Sequence[int], total: int) -> None:
    """Translate row positions of the read table into positions in the source."""
    import numpy as np

    kept = np.delete(np.arange(total, dtype=np.int64), np.asarray(skipped, dtype=np.int64))
    for block in report.blocks:
        if block.rows is None:
            continue
        block.rows = kept[block.rows]
        if block.values is not None:
            block.values = _shifted(block.values, kept)


def _shifted(
    getter: Callable[[np.ndarray], Sequence[Any]], kept: np.ndarray
) -> Callable[[np.ndarray], Sequence[Any]]:
    import numpy as np

    return lambda rows: getter(np.searchsorted(kept, rows))
