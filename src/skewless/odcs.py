"""Contracts as ODCS data contracts (Open Data Contract Standard v3.1), and back.

    >>> document = to_odcs(contract)     # a dict the published ODCS v3.1 JSON schema accepts
    >>> text = odcs_text(contract)       # the same, as YAML
    >>> spec, unmapped = from_odcs(document, source="orders.odcs.yaml")   # ODCS v3.0.x or v3.1.0

One contract is one ODCS schema object. What ODCS says, skewless says in its own words:
`logicalType` and `logicalTypeOptions` are the column's type and bounds, `required: true` is
`nullable: false` (ODCS's `required` is about nulls, not presence), quality rules of the
library (`invalidValues` with `validValues`, `nullValues`, `duplicateValues`, `rowCount`) are a
category's vocabulary and the null, unique and row rules. What ODCS has no place for travels in
`customProperties` named `skewless...`, so export then import gives back the same contract.
Importing, what skewless cannot hold is reported (`Unmapped`), never dropped silently.
The export is here; the import in `skewless.odcs_import` (one property as a column in
`skewless.odcs_columns`, quality rules in `skewless.odcs_quality`), importable from here too.
The mapping, key by key: docs/interop.md.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from skewless.ecma import ecma_pattern
from skewless.import_spec import re2_pattern
from skewless.odcs_columns import DATE_FORMAT, PREFIX
from skewless.odcs_import import READ_VERSIONS, from_odcs
from skewless.yaml_writer import dump_yaml

if TYPE_CHECKING:
    from skewless.contract import Column, Contract

API_VERSION = "v3.1.0"


def odcs_text(contract: Contract) -> str:
    """The contract as an ODCS v3.1.0 YAML document."""
    header = f"# ODCS {API_VERSION} data contract, from skewless contract {contract.name}.\n"
    return header + dump_yaml(to_odcs(contract))


def to_odcs(contract: Contract) -> dict[str, Any]:
    """The contract as an ODCS v3.1.0 document (plain dicts and lists)."""
    doc: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "DataContract",
        "id": contract.name,
        "name": contract.name,
        "version": contract.version,
        "status": "active",
    }
    if contract.description is not None:
        doc["description"] = {"purpose": contract.description}
    if contract.owner is not None:
        doc["team"] = {"name": contract.owner}
    table: dict[str, Any] = {"name": contract.name, "logicalType": "object"}
    if contract.description is not None:
        table["description"] = contract.description
    table["properties"] = [_property(column) for column in contract.columns]
    rules = _table_rules(contract)
    if rules:
        table["quality"] = rules
    doc["schema"] = [table]
    extra = contract.extra_columns if contract.extra_columns != "reject" else None
    custom = _custom_list(
        [
            ("Timezone", contract.timezone),
            ("ExtraColumns", extra),
            ("Drift", _drift(contract.drift)),
        ]
    )
    if custom:
        doc["customProperties"] = custom
    return doc


def _property(column: Column) -> dict[str, Any]:
    out: dict[str, Any] = {"name": column.name}
    logical, options = _logical_type(column)
    out["logicalType"] = logical
    if options:
        out["logicalTypeOptions"] = options
    if column.description is not None:
        out["description"] = column.description
    if not column.nullable:
        out["required"] = True  # ODCS: "may not contain null values"
    if column.unique:
        out["unique"] = True
    if column.pii:
        out["classification"] = "restricted"
        out["tags"] = ["pii"]
    if column.type == "category":
        vocabulary = {"validValues": list(column.values)}
        out["quality"] = [{"metric": "invalidValues", "arguments": vocabulary, "mustBe": 0}]
    pattern = None
    if column.pattern is not None:
        translated = ecma_pattern(column.pattern)
        if translated is None or re2_pattern(translated) != column.pattern:
            pattern = column.pattern  # no ECMA-262 spelling reads back as this exact text
    cadence: Any = column.cadence
    if column.cadence_by:
        cadence = {"every": column.cadence, "by": list(column.cadence_by)}
    custom = _custom_list(
        [
            ("Required", False if not column.required else None),
            ("Coerce", True if column.coerce else None),
            ("OnlyIn", column.only_in),
            ("FillNull", _fill(column)),
            ("AllowNan", True if column.allow_nan else None),
            ("AllowInf", True if column.allow_inf else None),
            ("MapTo", column.map_to),
            ("Pattern", pattern),
            ("Charset", column.charset if column.charset != "unicode" else None),
            ("AllowControl", True if column.allow_control else None),
            ("OtherZones", column.other_zones if column.other_zones != "convert" else None),
            ("Cadence", cadence),
            ("Drift", _drift(column.drift)),
        ]
    )
    if custom:
        out["customProperties"] = custom
    return out


def _logical_type(column: Column) -> tuple[str, dict[str, Any]]:
    bounds = {
        key: value
        for key, value in (("minimum", column.min), ("maximum", column.max))
        if value is not None
    }
    kind = column.type
    if kind == "integer":
        return "integer", {**bounds, "format": "i64"}
    if kind == "float":
        return "number", {**bounds, "format": "f64"}
    if kind == "string":
        options: dict[str, Any] = {}
        if column.min_length is not None:
            options["minLength"] = column.min_length
        if column.max_length is not None:
            options["maxLength"] = column.max_length
        translated = ecma_pattern(column.pattern) if column.pattern is not None else None
        if translated is not None:
            options["pattern"] = translated
        return "string", options
    if kind == "datetime":
        return "timestamp", {
            "timezone": column.naive == "reject",
            "defaultTimezone": column.timezone,
        }
    if kind == "date":
        return "date", {"format": DATE_FORMAT}
    return ("boolean" if kind == "boolean" else "string"), {}


def _fill(column: Column) -> Any:
    value = column.fill_null
    if isinstance(value, dt.date):  # datetimes too: ISO 8601, as the contract writes them
        value = value.isoformat()
    if column.fill_freeze is not None:
        frozen: dict[str, Any] = {"freeze": column.fill_freeze}
        if column.has_fill:
            frozen["value"] = value
        return frozen
    return value if column.has_fill else None


def _drift(limits: tuple[tuple[str, float], ...]) -> dict[str, float] | None:
    return dict(limits) if limits else None


def _custom_list(pairs: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    return [{"property": PREFIX + key, "value": value} for key, value in pairs if value is not None]


def _table_rules(contract: Contract) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        {"metric": "duplicateValues", "arguments": {"properties": list(key)}, "mustBe": 0}
        for key in contract.checks.unique
    ]
    low, high = contract.checks.rows_min, contract.checks.rows_max
    if low is not None and high is not None:
        # mustBeBetween holds two distinct numbers
        rows = {"mustBe": low} if low == high else {"mustBeBetween": [low, high]}
    elif low is not None:
        rows = {"mustBeGreaterOrEqualTo": low}
    elif high is not None:
        rows = {"mustBeLessOrEqualTo": high}
    else:
        return rules
    rules.append({"metric": "rowCount", **rows})
    return rules


__all__ = ["API_VERSION", "READ_VERSIONS", "from_odcs", "odcs_text", "to_odcs"]
