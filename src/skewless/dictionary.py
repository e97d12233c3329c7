"""A data dictionary: each contract as a Markdown page and a static HTML page, plus an index.

    >>> from skewless import dictionary
    >>> text = dictionary.markdown(contract)               # one page, GitHub-flavoured Markdown
    >>> pages = dictionary.html([a, b])                    # {"index.html": ..., "a.html": ...}
    >>> dictionary.write(Path("site"), dictionary.pages([a, b]))   # all files, or none

A page says what a contract promises, in words: every column with its type, presence, nulls,
rules (range, vocabulary, pattern, lengths, zones, cadence, fills...) and description; the table
checks; which columns exist in training or serving only; the drift thresholds. It shows no
example values, and a `pii: true` column is marked (its frozen statistic is not shown either:
it was computed from personal data).

Everything from a contract is text to show, never markup: control and invisible characters are
escaped (`escape_name`, `printable`), then Markdown or HTML special characters. An HTML page is
one file, inline CSS, no script (its Content-Security-Policy forbids any) and nothing fetched.
Engine-free: stdlib and skewless's light modules only.

The parts: `dictionary_words` says what a page says, `dictionary_markdown` and `dictionary_html`
write each format's pages; here, the whole dictionary (`pages`) and writing it (`write`). Their
public names are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from skewless.dictionary_html import STYLE, html, html_page
from skewless.dictionary_markdown import markdown, markdown_index
from skewless.dictionary_words import (
    Shown,
    Words,
    _one_page_each,
    drift_limits,
    environments,
    page_name,
    presence,
    rules,
    summary,
    table_checks,
)
from skewless.errors import OutputError

if TYPE_CHECKING:
    from skewless.contract import Contract

FORMATS = ("markdown", "html")


def pages(contracts: Sequence[Contract], formats: Iterable[str] = FORMATS) -> dict[str, str]:
    """Every file of the dictionary, by file name: each contract's page and an index per format
    (`markdown`, `html`).

    Raises ValueError when two contracts share a name (their pages would be one file).
    """
    files: dict[str, str] = {}
    for kind in formats:
        if kind == "markdown":
            _one_page_each(contracts)
            files["index.md"] = markdown_index(contracts)
            files.update({f"{page_name(c)}.md": markdown(c) for c in contracts})
        elif kind == "html":
            files.update(html(contracts))
        else:
            raise ValueError(f"{kind!r} is not a format: use one of {', '.join(FORMATS)}")
    return files


def write(directory: Path, files: Mapping[str, str]) -> list[Path]:
    """Write `files` into `directory` (created if missing), all or none.

    Each file is staged whole under a hidden name first; only when every one is on disk are
    they renamed into place, replacing files of the same names. Other files are left alone.
    Raises OutputError (nothing written, nothing replaced).
    """
    from skewless.quarantine import AtomicFile

    if directory.exists() and not directory.is_dir():
        raise OutputError(str(directory), "is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(str(directory), exc.strerror or str(exc)) from None
    targets = [directory / name for name in files]
    for target in targets:
        if target.is_dir():
            raise OutputError(str(target), "is a directory")
    staged: list[AtomicFile] = []
    try:
        for target, text in zip(targets, files.values(), strict=True):
            try:
                file = AtomicFile(target)
                staged.append(file)
                file.file.write(text.encode("utf-8"))
            except OSError as exc:  # no permission, a full disk, a file size limit
                raise OutputError(str(target), exc.strerror or str(exc)) from None
            file.stage()  # flushed and synced: what fails late fails here
    except BaseException:
        for file in staged:
            file.abort()
        raise
    for file in staged:
        file.commit()
    return targets


__all__ = [
    "FORMATS",
    "STYLE",
    "Shown",
    "Words",
    "drift_limits",
    "environments",
    "html",
    "html_page",
    "markdown",
    "markdown_index",
    "page_name",
    "pages",
    "presence",
    "rules",
    "summary",
    "table_checks",
    "write",
]
