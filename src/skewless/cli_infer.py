"""`skewless infer`: a draft contract from data, every guess commented for review."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from skewless.cli import (
    PASS,
    ChunkRows,
    Query,
    Quiet,
    Table,
    _err_console,
    _fail,
    _writable,
    _write_atomically,
    app,
)
from skewless.errors import InputError
from skewless.infer import DEFAULT_MAX_CATEGORIES
from skewless.io import DEFAULT_CHUNK_ROWS
from skewless.report import escape_name, printable


@app.command()
def infer(
    data: Annotated[
        str,
        typer.Argument(
            help="The data to draft a contract for: a .csv, .parquet or .jsonl file, a Parquet "
            "directory or quoted glob, or a SQLAlchemy URL with --table or --query.",
            show_default=False,
            metavar="DATA",
        ),
    ],
    output: Annotated[
        Optional[Path],  # noqa: UP045 - typer reads the annotation at run time
        typer.Option(
            "--output",
            "-o",
            help="Write the contract here (atomically); default: stdout.",
            metavar="PATH",
        ),
    ] = None,
    name: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="The contract's name, [a-z][a-z0-9_]* (default: the file's stem or the table).",
            metavar="NAME",
        ),
    ] = None,
    max_categories: Annotated[
        int,
        typer.Option(
            "--max-categories",
            min=0,
            help="Text with at most N distinct values (and at least two rows per value) becomes "
            "a category with its vocabulary; 0: never.",
            metavar="N",
        ),
    ] = DEFAULT_MAX_CATEGORIES,
    sample_rows: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--sample-rows",
            min=1,
            help="Read only the first N rows (default: all; later rows may break the draft).",
            metavar="N",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the --output file if it exists.")
    ] = False,
    chunk_rows: ChunkRows = DEFAULT_CHUNK_ROWS,
    table: Table = None,
    query: Query = None,
    quiet: Quiet = False,
) -> None:
    """Draft a contract from data: types, nulls, ranges, lengths, vocabularies and zones as
    the data shows them, each guess commented. The draft accepts the data it came from; review
    it before it guards anything (widen ranges and vocabularies to what is valid).

    A column's type is the first that reads every value, as `skewless validate` reads it:
    boolean, integer, float, date, datetime (aware: its zone; naive: `naive: assume` in UTC, a
    guess), then text (a category when it has at most --max-categories distinct values).
    `unique` is only suggested, in a comment. Values no contract accepts (malformed CSV rows,
    invalid UTF-8) are reported as warnings on stderr and in the draft's header.

    Exit 0 when the draft is written, 2 when the data cannot be read, the output exists
    (without --force) or cannot be written, or the options are wrong.

    Examples:

      skewless infer data/users.csv -o contracts/users.yaml

      skewless infer 'out/part-*.parquet' --name users --max-categories 50

      skewless infer sqlite:///etl.db --table users -o users.yaml --force
    """
    from skewless.infer import default_name, infer_source
    from skewless.io import open_source
    from skewless.render import ChunkProgress

    if output is not None:
        if output.exists() and not force:
            _fail(f"{escape_name(str(output))} exists; pass --force to replace it")
        if output.is_dir():
            _fail(f"{escape_name(str(output))} is a directory")
        _writable(output)
    try:
        source = open_source(data, table=table, query=query)
        with ChunkProgress(source.name, enabled=not quiet) as progress:
            draft = infer_source(
                source,
                name=name if name is not None else default_name(data, table),
                sample_rows=sample_rows,
                max_categories=max_categories,
                chunk_rows=chunk_rows,
                on_chunk=progress.advance,
            )
    except InputError as exc:
        _fail(f"{escape_name(exc.source)}: {exc.message}")
    except ValueError as exc:
        _fail(printable(str(exc)))
    errors = _err_console()
    for warning in draft.warnings:
        errors.print(f"warning: {printable(warning)}", markup=False)
    if output is None:
        sys.stdout.write(draft.text)
        raise typer.Exit(PASS)
    _write_atomically(output, draft.text.encode("utf-8"))
    rows = f"{draft.rows:,} row" + ("" if draft.rows == 1 else "s")
    columns = f"{draft.columns} column" + ("" if draft.columns == 1 else "s")
    errors.print(
        f"inferred {draft.name} from {rows}, {columns}, into {escape_name(str(output))}: "
        "review every guess before use",
        markup=False,
    )
    raise typer.Exit(PASS)
