"""`skewless docs`: the data dictionary of contracts, as Markdown and static HTML pages."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from skewless.cli import PASS, _fail, _load, app
from skewless.report import escape_name, printable


class DocsFormat(StrEnum):
    markdown = "markdown"
    html = "html"
    both = "both"


@app.command()
def docs(
    contracts: Annotated[
        list[Path],
        typer.Argument(
            help="Contract YAML files, one page each.", show_default=False, metavar="CONTRACT"
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="The directory to write into (created if missing). Files of the same names "
            "are replaced; other files are left alone.",
            metavar="DIR",
        ),
    ],
    output_format: Annotated[
        DocsFormat,
        typer.Option(
            "--format", "-f", help="markdown pages, html pages (one file each, no script), or both."
        ),
    ] = DocsFormat.both,
) -> None:
    """Write a data dictionary: per contract a page of its columns, types, rules in words,
    descriptions, table checks, environments and drift thresholds, and an index page.

    Every file is written, or none: all the contracts load first, then the pages are staged
    and renamed into place together. Prints each file written, one per line.

    Exit 0 when the pages are written, 2 when a contract does not load, two contracts share a
    name, or DIR cannot be written (nothing is written then).

    Examples:

      skewless docs contracts/*.yaml -o site/

      skewless docs contracts/user_features.yaml -o docs/data --format markdown
    """
    from skewless import dictionary
    from skewless.errors import OutputError

    loaded = []
    seen: set[Path] = set()
    for path in contracts:
        if path.resolve() not in seen:  # a file named twice (overlapping globs) is one page
            seen.add(path.resolve())
            loaded.append(_load(path, frozen=False))  # an unfrozen fill is documented as such
    formats = dictionary.FORMATS if output_format is DocsFormat.both else (output_format.value,)
    try:
        files = dictionary.pages(loaded, formats)
        written = dictionary.write(output, files)
    except ValueError as exc:
        _fail(printable(str(exc)))
    except OutputError as exc:
        _fail(f"{escape_name(exc.target)}: {exc.message}")
    sys.stdout.write("".join(f"{escape_name(str(path))}\n" for path in written))
    raise typer.Exit(PASS)
