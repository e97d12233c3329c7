"""ODCS quality rules read as a contract's rules, for `skewless import --from odcs`.

    >>> column_quality("email", [{"metric": "nullValues", "mustBe": 0}], "string", unmapped)
    {'not_null': True}

Only library rules whose threshold lets no row fail map (every skewless rule is all-or-nothing):
on a column, `nullValues`/`missingValues` (not null), `duplicateValues` (unique) and
`invalidValues` with `validValues` (a category's vocabulary) or `pattern`; on the table,
`rowCount` (checks.rows) and `duplicateValues` over properties (a compound unique key). SQL,
custom and text rules, tolerances and other metrics are reported, never dropped silently.
ODCS v3.0's `rule` names are read as their v3.1 metrics.
"""

from __future__ import annotations

import math
import re
from typing import Any

from skewless.import_spec import Spec, Unmapped, finite, re2_pattern, usable_text
from skewless.report import escape, escape_name

_RULE_LABELS = frozenset(
    {"id", "name", "description", "dimension", "businessImpact", "tags", "authoritativeDefinitions",
     "method", "type", "metric", "rule", "arguments", "unit", "severity", "validValues"}
)  # fmt: skip
_OPERATORS = (
    "mustBe", "mustNotBe", "mustBeGreaterThan", "mustBeGreaterOrEqualTo", "mustBeLessThan",
    "mustBeLessOrEqualTo", "mustBeBetween", "mustNotBeBetween",
)  # fmt: skip
# ODCS v3.0's `rule` names (deprecated in v3.1 for `metric`).
_LEGACY_RULES = {
    "nullCheck": "nullValues",
    "notNull": "nullValues",
    "duplicateCount": "duplicateValues",
    "uniqueCheck": "duplicateValues",
    "validValues": "invalidValues",
}


def column_quality(name: str, rules: Any, kind: str, unmapped: Unmapped) -> dict[str, Any]:
    """A column's quality rules: not_null, unique, values, pattern; the rest reported."""
    out: dict[str, Any] = {}
    if rules is None:
        return out
    if not isinstance(rules, list):
        unmapped.column(name, "quality: not a list, not mapped")
        return out
    for i, rule in enumerate(rules):
        where = f"quality[{i}]"
        metric = _metric(rule, unmapped, f"column {escape_name(name)} {where}")
        if metric is None:
            continue
        zero = _none_may_fail(rule)
        arguments = rule.get("arguments") or {}
        if not isinstance(arguments, dict):
            arguments = {}
        if metric == "invalidValues" and "validValues" in rule:  # ODCS v3.0
            arguments = {**arguments, "validValues": rule["validValues"]}
        if not zero and metric in (
            "nullValues",
            "missingValues",
            "invalidValues",
            "duplicateValues",
        ):
            unmapped.column(name, f"{where} {metric}: a tolerance is not mapped (none may fail)")
            continue
        missing = arguments.get("missingValues", [None])
        if metric == "nullValues" or (
            metric == "missingValues"
            and isinstance(missing, list)
            and all(v is None for v in missing)
        ):
            out["not_null"] = True
        elif metric == "duplicateValues" and "properties" not in arguments:
            out["unique"] = True
        elif (
            metric == "invalidValues"
            and kind == "string"
            and set(arguments) <= {"validValues", "pattern"}
        ):
            _valid_values(name, where, arguments, out, unmapped)
        else:
            unmapped.column(name, f"{where} {metric}: not mapped for a {kind} column")
    return out


def _valid_values(
    name: str, where: str, arguments: dict[str, Any], out: dict[str, Any], unmapped: Unmapped
) -> None:
    values = arguments.get("validValues")
    if values is not None:
        kept: list[str] = []
        for value in values if isinstance(values, list) else []:
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)  # YAML read `[1, 2]` as numbers: they are the text 1 and 2
            if value is None:
                continue  # nulls are not values: nullable decides them
            if not usable_text(value) or re.search(r"[\x00-\x1f\x7f]", value) or value in kept:
                unmapped.column(name, f"{where} validValues {escape(value)}: not mapped")
                continue
            kept.append(value)
        if kept:
            out["values"] = kept
        else:
            unmapped.column(name, f"{where} validValues: no usable value, not mapped")
    pattern = arguments.get("pattern")
    if pattern is not None:
        re2 = re2_pattern(pattern) if usable_text(pattern) else None
        if re2 is None:
            unmapped.column(name, f"{where} pattern {escape(pattern)}: RE2 cannot read it")
        else:
            out["pattern"] = re2


def _metric(rule: Any, unmapped: Unmapped, where: str) -> str | None:
    """The library metric of a rule (ODCS v3.0 `rule` names too), or None, reported."""
    if not isinstance(rule, dict):
        unmapped.add(where, "not a mapping, not mapped")
        return None
    kind = rule.get("type", "library")
    label = rule.get("name") or rule.get("description") or rule.get("query") or ""
    shown = f" ({escape(label, 60)})" if isinstance(label, str) and label else ""
    if kind != "library":
        unmapped.add(
            where, f"a {escape(kind)} rule{shown}: not mapped (skewless runs its own checks)"
        )
        return None
    metric = rule.get("metric")
    if metric is None and isinstance(rule.get("rule"), str):
        metric = _LEGACY_RULES.get(rule["rule"], rule["rule"])
    known = ("nullValues", "missingValues", "invalidValues", "duplicateValues", "rowCount")
    if metric not in known:
        unmapped.add(where, f"metric {escape(metric)}{shown}: not mapped")
        return None
    for key in rule:
        if key not in _RULE_LABELS and key not in _OPERATORS:
            unmapped.add(where, f"{key}: not mapped")
    if rule.get("severity") not in (None, "error"):
        unmapped.add(where, f"severity {escape(rule['severity'])}: skewless reports every failure")
    return str(metric)


def _operator(rule: dict[str, Any]) -> tuple[str, Any] | None:
    found = [(key, rule[key]) for key in _OPERATORS if key in rule]
    return found[0] if len(found) == 1 else None


def _none_may_fail(rule: dict[str, Any]) -> bool:
    """Whether the rule's threshold allows no failing row (what every skewless rule says)."""
    found = _operator(rule)
    if found is None:
        return not any(key in rule for key in _OPERATORS)  # no threshold: the rule must hold
    operator, value = found
    rows = rule.get("unit", "rows") != "percent"
    if operator == "mustBeBetween" and isinstance(value, list) and len(value) == 2:
        low, high = value
        return finite(low) and finite(high) and low <= 0 and (high < 1 if rows else high == 0)
    if not finite(value):
        return False
    if operator == "mustBe" or operator == "mustBeLessOrEqualTo":
        return value == 0 or (rows and operator == "mustBeLessOrEqualTo" and 0 <= value < 1)
    return operator == "mustBeLessThan" and rows and 0 < value <= 1


def table_quality(
    rules: Any, columns: dict[str, Any], unmapped: Unmapped, spec: Spec
) -> list[list[str]]:
    """rowCount into checks.rows; duplicateValues over properties into unique keys (returned)."""
    keys: list[list[str]] = []
    if rules is None:
        return keys
    if not isinstance(rules, list):
        unmapped.add("schema quality", "not a list, not mapped")
        return keys
    lows: list[int] = []
    highs: list[int] = []
    for i, rule in enumerate(rules):
        where = f"schema quality[{i}]"
        metric = _metric(rule, unmapped, where)
        if metric == "rowCount":
            _row_count(rule, where, lows, highs, unmapped)
        elif metric == "duplicateValues":
            names = (rule.get("arguments") or {}).get("properties")
            if not isinstance(names, list) or not names:
                unmapped.add(where, "duplicateValues without properties: not mapped")
            elif not _none_may_fail(rule):
                unmapped.add(where, "duplicateValues with a tolerance: not mapped (none may fail)")
            elif not all(isinstance(n, str) and n in columns for n in names) or len(
                set(names)
            ) < len(names):
                unmapped.add(where, "duplicateValues over properties not all imported: not mapped")
            else:
                keys.append(list(names))
        elif metric is not None:
            unmapped.add(where, f"{metric} over the whole table: not mapped")
    low = max(lows) if lows else None
    high = min(highs) if highs else None
    if low is not None and high is not None and low > high:
        unmapped.add("schema quality", f"rowCount at least {low} and at most {high}: not mapped")
    elif low is not None or high is not None:
        rows = {"min": low} if low is not None else {}
        if high is not None:
            rows["max"] = high
        spec.setdefault("checks", {})["rows"] = rows
    return keys


def _row_count(
    rule: dict[str, Any], where: str, lows: list[int], highs: list[int], unmapped: Unmapped
) -> None:
    found = _operator(rule)
    if found is None or rule.get("unit", "rows") == "percent":
        unmapped.add(where, "rowCount without one threshold in rows: not mapped")
        return
    operator, value = found
    bounds = value if operator == "mustBeBetween" else [value]
    if not isinstance(bounds, list) or not all(finite(b) for b in bounds) or not bounds:
        unmapped.add(where, f"rowCount {operator} {escape(value)}: not mapped")
        return
    if operator == "mustBe" and float(value).is_integer():
        lows.append(max(int(value), 0))
        highs.append(int(value))
    elif operator == "mustBeGreaterThan":
        lows.append(max(math.floor(value) + 1, 0))
    elif operator == "mustBeGreaterOrEqualTo":
        lows.append(max(math.ceil(value), 0))
    elif operator == "mustBeLessThan":
        highs.append(math.ceil(value) - 1)
    elif operator == "mustBeLessOrEqualTo":
        highs.append(math.floor(value))
    elif operator == "mustBeBetween" and len(bounds) == 2:
        lows.append(max(math.ceil(min(bounds)), 0))
        highs.append(math.floor(max(bounds)))
    else:
        unmapped.add(where, f"rowCount {operator}: not mapped")
        return
    if highs and highs[-1] < 0:
        highs.pop()
        unmapped.add(where, "rowCount below 0: not mapped")


__all__ = ["column_quality", "table_quality"]
