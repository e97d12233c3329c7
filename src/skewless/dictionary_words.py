"""What a data dictionary page says about a contract, in words: the same for Markdown and HTML.

    >>> from skewless.dictionary_words import rules
    >>> rules(column)    # [("from ", Shown("0"), " to ", Shown("120")), ("unique",)]

Words are trusted prose (`str`) and text from the contract (`Shown`), in reading order. Contract
text is made printable here (control and invisible characters escaped by `escape_name` and
`printable`), so each format only adds its own escaping: a code span in Markdown, `<code>` in
HTML. Kept apart from both formats so the two pages cannot say different things. No example
values are said, and a pii column's frozen statistic neither.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from skewless.contract import DRIFT_DEFAULTS
from skewless.report import escape, escape_name, printable

if TYPE_CHECKING:
    from skewless.contract import Column, Contract

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


def _one_page_each(contracts: Sequence[Contract]) -> None:
    """Refuse two contracts of one name: their pages would be one file."""
    seen: dict[str, Contract] = {}
    for contract in contracts:
        first = seen.setdefault(page_name(contract), contract)
        if first is not contract:
            where = " and ".join(escape_name(c.source or "<string>") for c in (first, contract))
            raise ValueError(f"two contracts are named {contract.name!r}: {where}")


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


__all__ = [
    "Shown",
    "Words",
    "drift_limits",
    "environments",
    "page_name",
    "presence",
    "rules",
    "summary",
    "table_checks",
]
