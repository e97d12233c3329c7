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
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skewless import __version__
from skewless.contract import DRIFT_DEFAULTS
from skewless.errors import OutputError
from skewless.report import escape, escape_name, printable

if TYPE_CHECKING:
    from skewless.contract import Column, Contract

FORMATS = ("markdown", "html")
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Shown:
    """Text from the contract (a name, a value, a pattern), shown as code once escaped."""

    text: str


Words = tuple[str | Shown, ...]  # trusted prose and contract text, in reading order


def page_name(contract: Contract) -> str:
    """The file stem of a contract's page: its name (`index` would be the index's own name, and
    contract names have no `-`, so `index-contract` is never another contract's)."""
    if not _IDENTIFIER.fullmatch(contract.name):  # a Contract built by hand, not loaded
        raise ValueError(f"{escape_name(contract.name)} is not a contract name")
    return "index-contract" if contract.name == "index" else contract.name


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


def _one_page_each(contracts: Sequence[Contract]) -> None:
    """Refuse two contracts of one name: their pages would be one file."""
    seen: dict[str, Contract] = {}
    for contract in contracts:
        first = seen.setdefault(page_name(contract), contract)
        if first is not contract:
            where = " and ".join(escape_name(c.source or "<string>") for c in (first, contract))
            raise ValueError(f"two contracts are named {contract.name!r}: {where}")


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


# --- what a page says, the same for both formats -------------------------------------------------


def _name(text: str) -> str:
    """A name or a value as printable text; quoted where blanks at its ends would be lost."""
    if not text or text != text.strip():
        return escape(text, 200)
    return escape_name(text)


def _free(text: str) -> str:
    """Free text (a description) with its control characters escaped; newlines kept."""
    lines = printable(text.replace("\r\n", "\n"), keep="\n").split("\n")
    return "\n".join(line.strip() for line in lines).strip("\n")


def _literal(value: Any) -> Shown:
    """A literal of the contract (a bound, a fill) as YAML would write it."""
    if isinstance(value, bool):
        return Shown("true" if value else "false")
    if isinstance(value, str):
        return Shown(_name(value))
    if hasattr(value, "isoformat"):
        return Shown(str(value.isoformat()))
    return Shown(repr(value))


def _listed(items: Sequence[str], joiner: str = ", ") -> Words:
    words: list[str | Shown] = []
    for i, item in enumerate(items):
        if i:
            words.append(joiner)
        words.append(Shown(_name(item)))
    return tuple(words)


def _key(columns: Sequence[str]) -> Words:
    return ("(", *_listed(columns), ")") if len(columns) > 1 else _listed(columns)


def _range(low: Any, high: Any, unit: str = "") -> Words | None:
    if low is not None and high is not None:
        if low == high:
            return ("exactly ", _literal(low), unit)
        return ("from ", _literal(low), " to ", _literal(high), unit)
    if low is not None:
        return ("at least ", _literal(low), unit)
    if high is not None:
        return ("at most ", _literal(high), unit)
    return None


def presence(column: Column) -> str:
    """Whether data must carry the column: 'yes', 'no', or its one environment."""
    if column.only_in is not None:
        return f"{column.only_in} only"
    return "yes" if column.required else "no"


def rules(column: Column) -> list[Words]:
    """The column's rules in words, one entry per rule, in the order of docs/contracts.md."""
    said: list[Words] = []
    if column.type in ("integer", "float"):
        bounds = _range(column.min, column.max)
        if bounds:
            said.append(bounds)
        if column.allow_nan:
            said.append(("NaN allowed",))
        if column.allow_inf:
            said.append(("infinities allowed",))
    if column.type == "category":
        said.append(("one of ", *_listed(column.values)))
        if column.map_to is None:
            said.append(("other values rejected",))
        else:
            said.append(("other values become ", Shown(_name(column.map_to))))
    if column.type == "string":
        if column.pattern is not None:
            said.append(("matches ", Shown(printable(column.pattern)), " (whole value, RE2)"))
        lengths = _range(column.min_length, column.max_length, " characters")
        if lengths:
            said.append(lengths)
        if column.charset == "ascii":
            said.append(("ASCII characters only",))
        elif column.charset == "bmp":
            said.append(("no 4-byte characters (Basic Multilingual Plane only)",))
        if column.allow_control:
            said.append(("control characters allowed",))
    if column.type == "datetime":
        zone = Shown(_name(column.timezone or "UTC"))
        said.append(("time zone ", zone))
        if column.naive == "assume":
            said.append(("naive values read as wall time in ", zone))
        else:
            said.append(("naive values rejected",))
        if column.other_zones == "reject":
            said.append(("values in other zones rejected",))
        else:
            said.append(("values in other zones converted",))
        if column.cadence is not None:
            cadence: Words = ("one timestamp every ", Shown(column.cadence))
            if column.cadence_by:
                cadence += (" per ", *_key(column.cadence_by))
            said.append(cadence)
    if column.unique:
        said.append(("unique",))
    if column.coerce:
        said.append(("values of other types converted when exact (coerce)",))
    if column.pii:
        said.append(("personal data (pii): values redacted in every report",))
    fill = _fill(column)
    if fill:
        said.append(fill)
    if column.drift:
        limits: list[str | Shown] = ["drift thresholds: "]
        for i, (statistic, threshold) in enumerate(column.drift):
            limits += [", " if i else "", Shown(statistic), f" {threshold:g}"]
        said.append(tuple(limits))
    return said


def _fill(column: Column) -> Words | None:
    if column.fill_freeze is not None:
        statistic = f"nulls become the {column.fill_freeze} of training"
        if not column.has_fill:
            return (f"{statistic}, not frozen yet (run skewless freeze)",)
        if column.pii:  # computed from personal data: it may be one person's value
            return (f"{statistic}, frozen (value not shown: pii)",)
        return (f"{statistic}, frozen: ", _literal(column.fill_null))
    if column.has_fill:
        return ("nulls become ", _literal(column.fill_null))
    return None


def summary(contract: Contract) -> list[tuple[str, Words]]:
    """The contract's own facts, as label and words."""
    said: list[tuple[str, Words]] = [("version", (Shown(_name(contract.version)),))]
    if contract.owner:
        said.append(("owner", (_free(contract.owner),)))
    if contract.timezone:
        said.append(("time zone", (Shown(_name(contract.timezone)),)))
    extra = {
        "reject": "rejected (unexpected_column)",
        "allow": "allowed, kept after these",
        "drop": "allowed, dropped by normalisation",
    }
    said.append(("other columns", (extra[contract.extra_columns],)))
    said.append(("columns", (str(len(contract.columns)),)))
    if contract.source:
        said.append(("file", (Shown(_name(contract.source)),)))
    return said


def table_checks(contract: Contract) -> list[Words]:
    """The checks over whole tables (batch only), in words."""
    said: list[Words] = []
    for key in contract.checks.unique:
        said.append(("unique key ", *_key(key), ": no two rows share its values"))
    rows = _range(contract.checks.rows_min, contract.checks.rows_max)
    if rows:
        said.append(("rows: ", *rows))
    return said


def environments(contract: Contract) -> list[tuple[str, Words]]:
    """Per environment, the columns that exist there only (empty: none do anywhere)."""
    said: list[tuple[str, Words]] = []
    for env in ("training", "serving"):
        only = [c.name for c in contract.columns if c.only_in == env]
        if only:
            said.append((env, _listed(only)))
    return said


def drift_limits(contract: Contract) -> list[tuple[Words, Words, Words]]:
    """Each drift statistic's threshold for every column: (statistic, threshold, where from)."""
    declared = dict(contract.drift)
    return [
        (
            (Shown(key),),
            (f"{declared.get(key, default):g}",),
            ("contract" if key in declared else "default",),
        )
        for key, default in DRIFT_DEFAULTS.items()
    ]


# --- Markdown -----------------------------------------------------------------------------------

_MD_INLINE = re.compile(r"([\\`*_\[\]<>&!|~$])")  # what could start markup, a link, HTML, math


def _md_text(text: str, *, in_table: bool) -> str:
    """Escaped text, shown as itself by GitHub and CommonMark; in a table, one line (`<br>`)."""
    lines = []
    for line in text.split("\n"):
        escaped = _MD_INLINE.sub(r"\\\1", line)
        if not in_table:  # a line of a paragraph could start a heading, a list, a rule
            if escaped[:1] in ("#", "+", "-", "="):
                escaped = "\\" + escaped
            escaped = re.sub(r"^(\d+)([.)])", r"\1\\\2", escaped)
        lines.append(escaped)
    if in_table:
        return "<br>".join(lines)
    return "\n".join(lines)


def _md_code(text: str, *, in_table: bool = True) -> str:
    """A code span holding `text` exactly; in a table cell, pipes escaped (as GFM asks)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = text
    if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ")):
        padded = f" {text} "
    span = f"{fence}{padded}{fence}"
    return span.replace("|", "\\|") if in_table else span


def _md_words(words: Words, *, in_table: bool = True) -> str:
    return "".join(
        _md_code(w.text, in_table=in_table) if isinstance(w, Shown) else _md_text(w, in_table=True)
        for w in words
    )


def _md_table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return lines


def markdown(contract: Contract) -> str:
    """One contract's page in GitHub-flavoured Markdown (see the module docstring)."""
    out = [
        f"# {_md_text(contract.name, in_table=True)} {_md_text(contract.version, in_table=True)}"
    ]
    if contract.description:
        out += ["", _md_text(_free(contract.description), in_table=False)]
    about = ((label, _md_words(words)) for label, words in summary(contract))
    out += ["", *_md_table(("contract", _md_code(_name(contract.name))), about)]
    out += ["", "## Columns", ""]
    out += _md_table(
        ("column", "type", "required", "nullable", "rules", "description"),
        (
            (
                _md_code(_name(c.name)) + (" **pii**" if c.pii else ""),
                c.type,
                presence(c),
                "yes" if c.nullable else "no",
                "; ".join(_md_words(w) for w in rules(c)),
                _md_text(_free(c.description or ""), in_table=True),
            )
            for c in contract.columns
        ),
    )
    out += ["", "## Table checks", "", "Batch only: they span rows.", ""]
    checks = table_checks(contract)
    out += [f"- {_md_words(w, in_table=False)}" for w in checks] if checks else ["None."]
    out += ["", "## Environments", ""]
    envs = environments(contract)
    if envs:
        out += _md_table(
            ("environment", "columns only there"), ((env, _md_words(w)) for env, w in envs)
        )
        out += ["", "Without an environment, these columns may be present or absent."]
    else:
        out += ["Every column is the same in training and serving."]
    out += ["", "## Drift thresholds", ""]
    out += _md_table(
        ("statistic", "threshold", "set by"),
        ([_md_words(w) for w in row] for row in drift_limits(contract)),
    )
    out += ["", "Columns with thresholds of their own list them in their rules."]
    out += ["", f"*Generated by skewless {__version__}.*", ""]
    return "\n".join(out)


def markdown_index(contracts: Sequence[Contract]) -> str:
    """The index page: one row per contract, linking to its page."""
    rows = (
        (
            f"[{_md_text(c.name, in_table=True)}]({page_name(c)}.md)",
            _md_code(_name(c.version)),
            _md_text(_free(c.owner or ""), in_table=True),
            str(len(c.columns)),
            _md_text(_free(c.description or ""), in_table=True),
        )
        for c in contracts
    )
    out = ["# Data dictionary", ""]
    out += _md_table(("contract", "version", "owner", "columns", "description"), rows)
    out += ["", f"*Generated by skewless {__version__}.*", ""]
    return "\n".join(out)


# --- HTML ---------------------------------------------------------------------------------------

# No script may run, nothing may be fetched: inline styles only.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em;
       color: #1d2433; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th { background: #e7ecf3; }
th, td { border-bottom: 1px solid #dde1e7; padding: 0.3em 0.7em; text-align: left;
         vertical-align: top; }
td.rules ul { margin: 0; padding-left: 1.1em; }
td.name { min-width: 12em; }
.text { white-space: pre-line; overflow-wrap: anywhere; }
code { background: #f3f5f8; padding: 0 0.2em; overflow-wrap: anywhere; }
.pii { background: #c92a2a; color: #fff; font-size: 0.75em; font-weight: 600;
       padding: 0.05em 0.4em; border-radius: 0.3em; margin-left: 0.4em; }
nav, footer { color: #5c6778; font-size: 0.9em; }
"""


def _h(text: str) -> str:
    return html_lib.escape(text, quote=True)


def _html_words(words: Words) -> str:
    return "".join(f"<code>{_h(w.text)}</code>" if isinstance(w, Shown) else _h(w) for w in words)


def _html_page(title: str, body: list[str], *, back: bool) -> str:
    head = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(title)}</title>",
        f"<style>{STYLE}</style></head><body>",
    ]
    nav = ['<nav><a href="index.html">All contracts</a></nav>'] if back else []
    foot = [f"<footer>Generated by skewless {_h(__version__)}.</footer>", "</body></html>"]
    return "\n".join([*head, *nav, *body, *foot]) + "\n"


def _html_table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    cells = "".join(f"<th>{_h(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def _html_column(column: Column) -> list[str]:
    badge = '<span class="pii" title="personal data">pii</span>' if column.pii else ""
    said = rules(column)
    listed = "<ul>" + "".join(f"<li>{_html_words(w)}</li>" for w in said) + "</ul>" if said else ""
    return [
        f'<td class="name"><code>{_h(_name(column.name))}</code>{badge}</td>',
        f"<td>{_h(column.type)}</td>",
        f"<td>{_h(presence(column))}</td>",
        f"<td>{'yes' if column.nullable else 'no'}</td>",
        f'<td class="rules">{listed}</td>',
        f'<td class="text">{_h(_free(column.description or ""))}</td>',
    ]


def html_page(contract: Contract) -> str:
    """One contract's page as one HTML file (see the module docstring)."""
    title = f"{contract.name} {contract.version}"
    body = [f"<h1>{_h(escape_name(title))}</h1>"]
    if contract.description:
        body.append(f'<p class="text">{_h(_free(contract.description))}</p>')
    body.append(
        "<table><tbody>"
        + "".join(
            f"<tr><th>{_h(label)}</th><td>{_html_words(w)}</td></tr>"
            for label, w in summary(contract)
        )
        + "</tbody></table>"
    )
    body.append("<h2>Columns</h2>")
    body.append(
        _html_table(
            ("column", "type", "required", "nullable", "rules", "description"),
            (_html_column(c) for c in contract.columns),
        )
    )
    body.append("<h2>Table checks</h2><p>Batch only: they span rows.</p>")
    checks = table_checks(contract)
    items = "".join(f"<li>{_html_words(w)}</li>" for w in checks)
    body.append(f"<ul>{items}</ul>" if checks else "<p>None.</p>")
    body.append("<h2>Environments</h2>")
    envs = environments(contract)
    if envs:
        body.append(
            _html_table(
                ("environment", "columns only there"),
                ((f"<td>{_h(env)}</td>", f"<td>{_html_words(w)}</td>") for env, w in envs),
            )
        )
        body.append("<p>Without an environment, these columns may be present or absent.</p>")
    else:
        body.append("<p>Every column is the same in training and serving.</p>")
    body.append("<h2>Drift thresholds</h2>")
    body.append(
        _html_table(
            ("statistic", "threshold", "set by"),
            ([f"<td>{_html_words(w)}</td>" for w in row] for row in drift_limits(contract)),
        )
    )
    body.append("<p>Columns with thresholds of their own list them in their rules.</p>")
    return _html_page(f"{contract.name} {contract.version}: data dictionary", body, back=True)


def html(contracts: Sequence[Contract]) -> dict[str, str]:
    """The HTML dictionary: `index.html` and a page per contract, by file name (ValueError
    when two contracts share a name)."""
    _one_page_each(contracts)
    rows = (
        (
            f'<td><a href="{_h(page_name(c))}.html"><code>{_h(c.name)}</code></a></td>',
            f"<td><code>{_h(_name(c.version))}</code></td>",
            f'<td class="text">{_h(_free(c.owner or ""))}</td>',
            f"<td>{len(c.columns)}</td>",
            f'<td class="text">{_h(_free(c.description or ""))}</td>',
        )
        for c in contracts
    )
    index = _html_page(
        "Data dictionary",
        [
            "<h1>Data dictionary</h1>",
            _html_table(("contract", "version", "owner", "columns", "description"), rows),
        ],
        back=False,
    )
    return {"index.html": index, **{f"{page_name(c)}.html": html_page(c) for c in contracts}}
