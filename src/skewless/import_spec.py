"""What both importers (ODCS, JSON Schema) build and share: the contract as the mapping of its
keys (`Spec`), what could not be mapped (`Unmapped`), the values a contract can hold, and the
order its keys are written in.

    >>> unmapped = Unmapped()
    >>> contract_name("Orders v2", unmapped, "name")
    'orders_v2'
    >>> unmapped.result()
    ["name: 'Orders v2' is not a contract identifier: named 'orders_v2'"]

Kept apart from `skewless.interop` (the dispatch) so that each importer depends on this and
the dispatch on the importers, without a cycle.
"""

from __future__ import annotations

import math
import re
from typing import Any, TypeGuard

from skewless.ecma import ecma_pattern
from skewless.loader import pattern_problem
from skewless.report import escape, escape_name, printable

Spec = dict[str, Any]  # a contract as the mapping of its YAML keys, in the order docs write them


# --- what could not be mapped -------------------------------------------------------------------


class Unmapped:
    """What an import could not map, one line each, in the order found; keys a column cannot
    hold are gathered into one line per key and reason."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._by_key: dict[tuple[str, str], list[str]] = {}

    def add(self, where: str, message: str) -> None:
        self.lines.append(printable(f"{where}: {message}"))  # keys from the file, escaped

    def column(self, column: str, message: str) -> None:
        self.add(f"column {escape_name(column)}", message)

    def key(self, key: str, column: str, reason: str) -> None:
        """A key the column has and no contract key can hold (gathered over columns)."""
        key = printable(key)
        names = self._by_key.get((key, reason))
        if names is None:
            names = self._by_key[(key, reason)] = []
            self.lines.append("")  # its place in the order; filled by `result`
        names.append(escape_name(column))

    def result(self) -> list[str]:
        gathered = iter(self._by_key.items())
        out = []
        for line in self.lines:
            if line:
                out.append(line)
                continue
            (key, reason), names = next(gathered)
            shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
            which = "column" if len(names) == 1 else "columns"
            out.append(f"{key} (on {which} {shown}): not mapped, {reason}")
        return out


# --- values a contract can hold -----------------------------------------------------------------

_CONTRACT_NAME = re.compile(r"[a-z][a-z0-9_]*")
SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def usable_text(value: Any) -> TypeGuard[str]:
    """A string a contract can hold (valid Unicode, no control characters)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def column_name_problem(name: Any) -> str | None:
    """Why `name` cannot name a column, or None."""
    if not isinstance(name, str) or not name:
        return "a column needs a non-empty name"
    if not usable_text(name):
        return "the name holds a lone surrogate (invalid Unicode)"
    if CONTROL.search(name):
        return "the name holds a control character"
    return None


def contract_name(text: str, unmapped: Unmapped, where: str) -> str:
    """`text` as a contract identifier ([a-z][a-z0-9_]*), saying so when it had to change."""
    if _CONTRACT_NAME.fullmatch(text):
        return text
    name = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "imported"
    if not name[0].isalpha():
        name = "c_" + name
    unmapped.add(where, f"{escape(text)} is not a contract identifier: named {name!r}")
    return name


def semantic_version(value: Any, unmapped: Unmapped, where: str) -> str:
    """`value` as a semantic version, saying so when it had to change."""
    if isinstance(value, str) and SEMVER.fullmatch(value):
        return value
    text = "" if isinstance(value, bool) or value is None else str(value)
    parts = re.fullmatch(r"[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?", text.strip())
    version = "0.1.0"
    if parts:
        version = ".".join(str(int(p or 0)) for p in parts.groups())
    shown = escape(text) if text else "none"
    unmapped.add(where, f"{shown} is not a semantic version: version {version}")
    return version


def known_zone(zone: Any) -> bool:
    from skewless.loader import _known_zones

    return isinstance(zone, str) and (zone in ("UTC", "Z") or zone in _known_zones())


_END = "$(?!\\n)"


def re2_pattern(ecma: str) -> str | None:
    """An ECMA-262 pattern (JSON Schema, ODCS) as a contract pattern (RE2, whole value), or
    None when RE2 cannot read it (lookaround, backreferences).

    A pattern `skewless.ecma` wrote comes back to the RE2 it was translated from, up to
    spelling: the candidate is kept only if it translates back to `ecma` exactly. Any other is
    a search, as ECMA-262 patterns are: unanchored ends take any text (`(?s:.*)`).
    """
    if ecma.startswith("^(?:") and ecma.endswith(")" + _END):
        inner = ecma[4 : -len(_END) - 1].replace(_END, "$")
        inner = re.sub(r"(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})", r"\1\\x{\2}", inner)
        for candidate in (f"^{inner}$", inner, f"^(?:{inner})$"):
            if ecma_pattern(candidate) == ecma and pattern_problem(candidate) is None:
                return candidate
    text = re.sub(r"(?<!\\)((?:\\\\)*)\\u\{?([0-9a-fA-F]{4,6})\}?", r"\1\\x{\2}", ecma)
    if pattern_problem(text) is not None:
        return None
    tail = text[:-1]
    starts = text.startswith("^")
    ends = text.endswith("$") and (len(tail) - len(tail.rstrip("\\"))) % 2 == 0
    if starts and ends:
        return text
    return f"{'' if starts else '(?s:.*)'}(?:{text}){'' if ends else '(?s:.*)'}"


def finite(value: Any) -> TypeGuard[int | float]:
    """A number a bound can hold: an int or float, finite, not a boolean."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# --- the order of a contract's keys -------------------------------------------------------------

_COLUMN_ORDER = (
    "type", "description", "nullable", "fill_null", "required", "unique", "coerce", "only_in",
    "pii", "min", "max", "allow_nan", "allow_inf", "values", "unknown", "pattern", "min_length",
    "max_length", "charset", "allow_control", "timezone", "naive", "other_zones", "cadence",
    "drift",
)  # fmt: skip
_TOP_ORDER = (
    "contract", "version", "owner", "description", "timezone", "extra_columns", "drift",
    "columns", "checks",
)  # fmt: skip


def ordered_column(column: dict[str, Any]) -> dict[str, Any]:
    """The column's keys in the docs' order."""
    return {key: column[key] for key in _COLUMN_ORDER if key in column}


def ordered_spec(spec: Spec) -> Spec:
    """The spec's keys in the docs' order, each column's too."""
    out = {key: spec[key] for key in _TOP_ORDER if key in spec}
    out["columns"] = {name: ordered_column(c) for name, c in spec["columns"].items()}
    return out


__all__ = [
    "CONTROL",
    "SEMVER",
    "Spec",
    "Unmapped",
    "column_name_problem",
    "contract_name",
    "finite",
    "known_zone",
    "ordered_column",
    "ordered_spec",
    "re2_pattern",
    "semantic_version",
    "usable_text",
]
