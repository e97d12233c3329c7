"""`skewless diff OLD NEW`: what changed between two versions of a contract, whom it breaks,
and whether the new version number says so. Rendering for people, programs and PR comments."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from skewless import __version__
from skewless.cli import FINDINGS, PASS, _load, _out_console, app
from skewless.report import escape_name, printable

if TYPE_CHECKING:
    from rich.console import Console

    from skewless.diff import Change, Diff


class DiffFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


@app.command()
def diff(
    old: Annotated[
        Path,
        typer.Argument(help="The contract as it was (the base branch's file).", metavar="OLD"),
    ],
    new: Annotated[
        Path, typer.Argument(help="The contract as it is now (the change's file).", metavar="NEW")
    ],
    output_format: Annotated[
        DiffFormat,
        typer.Option(
            "--format",
            "-f",
            help="text for people, json for programs, markdown for a pull-request comment.",
        ),
    ] = DiffFormat.text,
) -> None:
    """Compare two versions of a contract: every change, classed as breaking for producers
    (data they write correctly may now fail), breaking for consumers (what they receive, a
    trained model included, may differ: a new category, a widened range, another fill value or
    zone) or compatible; the version bump the changes need, checked against OLD -> NEW.

    A breaking change needs a major bump (below 1.0.0 a minor one, below 0.1.0 any);
    any other change needs some bump. docs/diff.md lists every kind of change.

    Exit 0 when nothing changed or the version says enough, 1 when a breaking change comes
    without a major bump, something changed without a bump, or the version goes backwards,
    2 when a contract does not load.

    Examples:

      skewless diff contracts/user_features.yaml new/user_features.yaml

      skewless diff old/user_features.yaml contracts/user_features.yaml --format markdown
    """
    from skewless import diff as diffing

    # A `fill_null: {freeze: ...}` waiting for its value is a change worth reviewing too.
    result = diffing.diff(_load(old, frozen=False), _load(new, frozen=False))
    if output_format is DiffFormat.json:
        document = {**result.to_dict(), "skewless": __version__}
        sys.stdout.write(json.dumps(document, ensure_ascii=True, indent=2) + "\n")
    elif output_format is DiffFormat.markdown:
        sys.stdout.write(diff_markdown(result) + "\n")
    else:
        diff_text(_out_console(), result)
    raise typer.Exit(PASS if result.ok else FINDINGS)


def _classes(change: Change) -> str:
    return ", ".join(change.classes)


def _title(result: Diff) -> str:
    old, new = result.old, result.new
    what = f"{old.name} {old.version} -> "
    what += f"{new.version}" if new.name == old.name else f"{new.name} {new.version}"
    n = len(result.changes)
    return f"{what}: {n} change{'' if n == 1 else 's'}"


def _tally(result: Diff) -> str:
    counts = result.counts
    return (
        f"{counts['breaking-producers']} breaking for producers, "
        f"{counts['breaking-consumers']} for consumers, {counts['compatible']} compatible; "
        f"bump needed: {result.required}"
    )


def diff_text(console: Console, result: Diff) -> None:
    """A row per change: its classes, kind, column and message; then the verdict."""
    from rich.table import Table
    from rich.text import Text

    console.print(Text(f"skewless diff: {_title(result)}"), soft_wrap=True)
    if result.changes:
        table = Table(show_edge=False, pad_edge=False)
        for heading in ("class", "kind", "column", "change"):
            table.add_column(heading, overflow="fold")
        for change in result.changes:
            style = "green" if not change.breaking else "red"
            table.add_row(
                Text(_classes(change), style=style),
                Text(change.kind),
                Text("" if change.column is None else escape_name(change.column)),
                Text(printable(change.message)),
            )
        console.print(table)
        console.print(Text(_tally(result)), soft_wrap=True)
    verdict = ("PASS ", "bold green") if result.ok else ("FAIL ", "bold red")
    console.print(Text.assemble(verdict, printable(result.verdict)), soft_wrap=True)


def _md(text: str) -> str:
    """Text safe in a Markdown table cell: printable, pipes and markup escaped (`<` and `&` as
    entities, so `<redacted>` is no HTML tag; `->` stays as it is)."""
    safe = printable(text)
    for ch in "\\|`*_[]#":
        safe = safe.replace(ch, "\\" + ch)
    return safe.replace("&", "&amp;").replace("<", "&lt;")


def diff_markdown(result: Diff) -> str:
    """For a pull-request comment: the verdict, a table of changes, the tally."""
    lines = [
        f"### skewless diff: {_md(_title(result))}",
        "",
        f"**{'PASS' if result.ok else 'FAIL'}**: {_md(result.verdict)}",
    ]
    if result.changes:
        lines += ["", "| class | kind | column | change |", "|---|---|---|---|"]
        for change in result.changes:
            column = "" if change.column is None else _md(escape_name(change.column))
            lines.append(
                f"| {_classes(change)} | `{change.kind}` | {column} | {_md(change.message)} |"
            )
        lines += ["", _md(_tally(result))]
    return "\n".join(lines)
