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
The mapping, key by key: docs/interop.md.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import TYPE_CHECKING, Any, TypeGuard

from skewless.ecma import ecma_pattern
from skewless.errors import InputError
from skewless.interop import (
    Spec,
    Unmapped,
    column_name_problem,
    contract_name,
    dump_yaml,
    known_zone,
    ordered_spec,
    re2_pattern,
    semantic_version,
    usable_text,
)
from skewless.report import escape, escape_name

if TYPE_CHECKING:
    from skewless.contract import Column, Contract

API_VERSION = "v3.1.0"
READ_VERSIONS = ("v3.0.0", "v3.0.1", "v3.0.2", "v3.1.0")
PREFIX = "skewless"
# Classifications read as personal data (`pii: true`: redacted everywhere); `public` is not.
PII_CLASSES = frozenset(
    {"restricted", "confidential", "sensitive", "pii", "personal", "private", "secret"}
)
DATE_FORMAT = "yyyy-MM-dd"
_TOP_CUSTOM = ("Timezone", "ExtraColumns", "Drift")
_COLUMN_CUSTOM = (
    "Required", "Coerce", "OnlyIn", "FillNull", "AllowNan", "AllowInf", "MapTo", "Pattern",
    "Charset", "AllowControl", "OtherZones", "Cadence", "Drift",
)  # fmt: skip
# customProperties -> the contract key each one sets, and the column types it applies to.
_CUSTOM_KEYS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "Required": ("required", None),
    "Coerce": ("coerce", None),
    "OnlyIn": ("only_in", None),
    "FillNull": ("fill_null", None),
    "Drift": ("drift", None),
    "AllowNan": ("allow_nan", ("float",)),
    "AllowInf": ("allow_inf", ("float",)),
    "MapTo": ("unknown", ("category",)),
    "Pattern": ("pattern", ("string",)),
    "Charset": ("charset", ("string",)),
    "AllowControl": ("allow_control", ("string",)),
    "OtherZones": ("other_zones", ("datetime",)),
    "Cadence": ("cadence", ("datetime",)),
}


# --- export ---------------------------------------------------------------------------------------


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


# --- import -------------------------------------------------------------------------------------

_TOP_MAPPED = frozenset(
    {"apiVersion", "kind", "id", "name", "version", "status", "description", "team", "schema",
     "customProperties"}
)  # fmt: skip
_TOP_WHAT = {
    "servers": "servers",
    "support": "support channels",
    "price": "prices",
    "roles": "access roles",
    "slaProperties": "service levels",
    "slaDefaultElement": "service levels",
    "tenant": "tenants",
    "domain": "domains",
    "dataProduct": "data products",
    "tags": "tags",
    "authoritativeDefinitions": "links to definitions",
    "contractCreatedTs": "creation times",
}
_TABLE_MAPPED = frozenset(
    {"name", "id", "logicalType", "description", "properties", "quality", "customProperties",
     "physicalName"}
)  # fmt: skip
_PROPERTY_MAPPED = frozenset(
    {"name", "id", "logicalType", "logicalTypeOptions", "required", "unique", "primaryKey",
     "primaryKeyPosition", "description", "classification", "tags", "quality",
     "customProperties"}
)  # fmt: skip
_PROPERTY_WHY = {
    "physicalType": "skewless judges values by their logical type",
    "physicalName": "a column has one name",
    "examples": "a contract holds rules, not sample values",
}
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
_TYPES = {
    "string": "string",
    "integer": "integer",
    "number": "float",
    "boolean": "boolean",
    "timestamp": "datetime",
    "date": "date",
}
_INTEGER_BITS = {
    "i8": (-(2**7), 2**7 - 1),
    "i16": (-(2**15), 2**15 - 1),
    "i32": (-(2**31), 2**31 - 1),
    "u8": (0, 2**8 - 1),
    "u16": (0, 2**16 - 1),
    "u32": (0, 2**32 - 1),
}
_ZONE_LETTERS = re.compile(r"[XxZzOV]")


def from_odcs(document: Any, *, source: str, schema: str | None = None) -> tuple[Spec, list[str]]:
    """A contract (as its keys) from an ODCS v3.0.x or v3.1.0 document, and what it cannot
    hold. `schema`: which schema object to read when there are several (default the first)."""
    unmapped = Unmapped()
    table = _table(document, source, schema, unmapped)
    spec: Spec = {}
    table_name = table.get("name")
    spec["contract"] = contract_name(
        table_name if usable_text(table_name) and table_name else "imported", unmapped, "name"
    )
    title = document.get("name")
    if usable_text(title) and title != table_name:
        unmapped.add("name", f"{escape(title)} not kept: the contract is named after its schema")
    spec["version"] = semantic_version(document.get("version"), unmapped, "version")
    _top(document, table, spec, unmapped)
    top_zone = spec.get("timezone")
    columns: dict[str, dict[str, Any]] = {}
    keys: list[tuple[float, int, str]] = []  # primary key parts: position, order, name
    properties = table.get("properties")
    if not isinstance(properties, list) or not properties:
        raise InputError(source, f"schema {escape(table_name)} has no properties to import")
    for index, prop in enumerate(properties):
        if not isinstance(prop, dict):
            unmapped.add(f"properties[{index}]", "not imported: not a mapping")
            continue
        name = prop.get("name")
        problem = column_name_problem(name)
        if problem is None and name in columns:
            problem = "a second column of this name"
        if problem is not None:
            shown = escape_name(name) if isinstance(name, str) else f"properties[{index}]"
            unmapped.add(f"column {shown}", f"not imported: {problem}")
            continue
        assert isinstance(name, str)
        column = _column(name, prop, top_zone, unmapped)
        if column is None:
            continue
        columns[name] = column
        if prop.get("primaryKey") is True:
            position = prop.get("primaryKeyPosition")
            place = float(position) if _finite(position) and position > 0 else math.inf
            keys.append((place, index, name))
    if not columns:
        why = "; ".join(unmapped.result()[-3:])
        raise InputError(source, f"no property could be imported as a column ({why})")
    spec["columns"] = columns
    unique = _table_quality(table.get("quality"), columns, unmapped, spec)
    if len(keys) == 1:
        columns[keys[0][2]]["unique"] = True
    elif keys:
        unique.insert(0, [name for _, _, name in sorted(keys)])
    distinct: list[list[str]] = []
    for key in unique:  # a key twice, in any order, is one rule
        if not any(set(key) == set(seen) for seen in distinct):
            distinct.append(key)
    if distinct:
        spec.setdefault("checks", {})["unique"] = distinct
    if "checks" in spec:
        spec["checks"] = {k: spec["checks"][k] for k in ("unique", "rows") if k in spec["checks"]}
    return ordered_spec(spec), unmapped.result()


def _table(document: Any, source: str, schema: str | None, unmapped: Unmapped) -> dict[str, Any]:
    """The schema object to import, after checking the document is ODCS this module reads."""
    if not isinstance(document, dict):
        raise InputError(source, "not an ODCS data contract: expected a mapping at the top")
    api, kind = document.get("apiVersion"), document.get("kind")
    if api is None or kind is None:
        raise InputError(
            source,
            "not an ODCS data contract: no apiVersion or kind "
            "(an ODCS file says apiVersion: v3.1.0 and kind: DataContract)",
        )
    if kind != "DataContract":
        raise InputError(source, f"not an ODCS data contract: kind {escape(kind)}")
    if api not in READ_VERSIONS:
        raise InputError(
            source, f"apiVersion {escape(api)} is not read: skewless reads ODCS v3.0.0 to v3.1.0"
        )
    tables = document.get("schema")
    if not isinstance(tables, list) or not tables:
        raise InputError(source, "no schema: the file describes no dataset to import")
    names = [t.get("name") if isinstance(t, dict) else None for t in tables]
    if schema is not None:
        if schema not in names:
            shown = ", ".join(escape_name(n) for n in names if isinstance(n, str)) or "none"
            raise InputError(source, f"no schema object {escape(schema)} (the file has: {shown})")
        chosen = names.index(schema)
    else:
        chosen = next((i for i, t in enumerate(tables) if isinstance(t, dict)), -1)
        if chosen < 0:
            raise InputError(source, "no schema object is a mapping")
    for i, name in enumerate(names):
        if i != chosen:
            shown = escape_name(name) if isinstance(name, str) else "(no name)"
            unmapped.add(
                f"schema[{i}] {shown}",
                "not imported: a contract describes one dataset (import it with --schema NAME)",
            )
    table: dict[str, Any] = tables[chosen]
    for key in table:
        if key in _TABLE_MAPPED:
            continue
        if key == "customProperties":
            continue
        unmapped.add(f"schema {escape_name(str(names[chosen]))}.{key}", "not mapped")
    physical = table.get("physicalName")
    if physical is not None and physical != table.get("name"):
        unmapped.add("physicalName", f"{escape(physical)} not kept: a contract has one name")
    return table


def _top(document: dict[str, Any], table: dict[str, Any], spec: Spec, unmapped: Unmapped) -> None:
    """Owner, description, the contract-wide custom properties and what has no place."""
    team = document.get("team")
    if team is not None:
        _team(team, spec, unmapped)
    parts: list[str] = []
    described = document.get("description")
    if isinstance(described, str):
        parts.append(described)
    elif isinstance(described, dict):
        for key, value in described.items():
            label = {"purpose": "", "usage": "Usage: ", "limitations": "Limitations: "}.get(key)
            if label is not None and usable_text(value):
                parts.append(label + value)
            else:
                unmapped.add(f"description.{key}", "not mapped")
    elif described is not None:
        unmapped.add("description", "not mapped: neither text nor a mapping")
    own = table.get("description")
    if usable_text(own) and own not in parts:
        parts.append(own)
    if parts:
        spec["description"] = "\n\n".join(parts)
    status = document.get("status")
    if status is not None and status != "active":
        unmapped.add("status", f"{escape(status)} not kept: a contract in a file is in force")
    for key in document:
        if key not in _TOP_MAPPED:
            what = _TOP_WHAT.get(key, "such key")
            unmapped.add(key, f"not mapped (a skewless contract has no {what})")
    custom = _custom(document.get("customProperties"), "customProperties", _TOP_CUSTOM, unmapped)
    custom |= _custom(table.get("customProperties"), "schema customProperties", (), unmapped)
    zone = custom.get("Timezone")
    if zone is not None:
        if known_zone(zone):
            spec["timezone"] = zone
        else:
            unmapped.add("skewlessTimezone", f"{escape(zone)} is not an IANA zone: not mapped")
    if custom.get("ExtraColumns") is not None:
        spec["extra_columns"] = custom["ExtraColumns"]
    if custom.get("Drift") is not None:
        spec["drift"] = custom["Drift"]


def _team(team: Any, spec: Spec, unmapped: Unmapped) -> None:
    """The owner: v3.1's team name, or v3.0's member whose role is owner."""
    if isinstance(team, dict):
        if usable_text(team.get("name")):
            spec["owner"] = team["name"]
        for key in team:
            if key != "name":
                unmapped.add(f"team.{key}", "not mapped (a contract's owner is one name)")
        return
    if not isinstance(team, list):
        unmapped.add("team", "not mapped: neither a mapping nor a list")
        return
    for i, member in enumerate(team):
        who = member.get("name") or member.get("username") if isinstance(member, dict) else None
        role = str(member.get("role", "")).lower() if isinstance(member, dict) else ""
        if "owner" not in spec and "owner" in role and usable_text(who):
            spec["owner"] = who
        else:
            unmapped.add(f"team[{i}]", "not mapped (a contract's owner is one name)")


def _custom(value: Any, where: str, known: tuple[str, ...], unmapped: Unmapped) -> dict[str, Any]:
    """The `skewless...` custom properties among `known` (without the prefix); others reported."""
    if value is None:
        return {}
    if not isinstance(value, list):
        unmapped.add(where, "not mapped: not a list")
        return {}
    out: dict[str, Any] = {}
    for item in value:
        name = item.get("property") if isinstance(item, dict) else None
        if not isinstance(name, str) or "value" not in item:
            unmapped.add(where, "an item without property and value: not mapped")
        elif name.startswith(PREFIX) and name[len(PREFIX) :] in known:
            out[name[len(PREFIX) :]] = item["value"]
        else:
            unmapped.add(f"{where} {escape_name(name)}", "not mapped")
    return out


# --- one column -----------------------------------------------------------------------------------


def _column(
    name: str, prop: dict[str, Any], top_zone: str | None, unmapped: Unmapped
) -> dict[str, Any] | None:
    options = prop.get("logicalTypeOptions")
    if options is None:
        options = {}
    elif not isinstance(options, dict):
        unmapped.column(name, "logicalTypeOptions: not a mapping, not mapped")
        options = {}
    kind = _column_type(name, prop, options, unmapped)
    if kind is None:
        return None
    column: dict[str, Any] = {"type": kind}
    rules = _column_quality(name, prop.get("quality"), kind, unmapped)
    if kind == "string" and rules.get("values") is not None:
        kind = column["type"] = "category"
        column["values"] = rules["values"]
    required = prop.get("required", False)
    if not isinstance(required, bool):
        unmapped.column(name, f"required {escape(required)}: not true or false, not mapped")
        required = False
    if not (required or prop.get("primaryKey") is True or rules.get("not_null")):
        column["nullable"] = True
    if prop.get("unique") is True or rules.get("unique"):
        column["unique"] = True
    for flag in ("unique", "primaryKey"):
        if flag in prop and not isinstance(prop[flag], bool):
            unmapped.column(name, f"{flag} {escape(prop[flag])}: not true or false, not mapped")
    description = prop.get("description")
    if usable_text(description):
        column["description"] = description
    elif description is not None:
        unmapped.column(name, "description: not text, not mapped")
    _classification(name, prop, column, unmapped)
    _options(name, kind, options, column, top_zone, unmapped, prop)
    if rules.get("pattern") is not None:
        if kind != "string":
            unmapped.column(name, "invalidValues pattern: not mapped (the vocabulary decides)")
        elif "pattern" in column:
            unmapped.column(name, "a second pattern (invalidValues): not mapped")
        else:
            column["pattern"] = rules["pattern"]
    custom = _custom(
        prop.get("customProperties"), f"column {escape_name(name)}", _COLUMN_CUSTOM, unmapped
    )
    for short, value in custom.items():
        key, types = _CUSTOM_KEYS[short]
        if types is not None and kind not in types:
            unmapped.column(name, f"{PREFIX}{short} applies to {', '.join(types)} columns")
        elif key == "unknown":
            column[key] = {"map_to": value}
        else:
            column[key] = value
    for key in prop:
        if key in _PROPERTY_MAPPED or (key == "physicalName" and prop[key] == name):
            continue
        if key == "physicalType" and "logicalType" not in prop:
            continue  # the type was read from it
        unmapped.key(key, name, _PROPERTY_WHY.get(key, "a contract column has no such key"))
    return column


def _column_type(
    name: str, prop: dict[str, Any], options: dict[str, Any], unmapped: Unmapped
) -> str | None:
    logical = prop.get("logicalType")
    physical = str(prop.get("physicalType", "")).lower()
    if logical is None:
        guess = _physical_type(physical)
        if guess is None:
            unmapped.column(
                name, "not imported: no logicalType (nor a physicalType to read one from)"
            )
        else:
            unmapped.column(name, f"no logicalType: type {guess}, read from the physicalType")
        return guess
    if logical == "date":  # ODCS v3.0 wrote timestamps as dates with a time format
        fmt = str(options.get("format", ""))
        if "H" in fmt or "h" in fmt or "timestamp" in physical or "datetime" in physical:
            return "datetime"
        return "date"
    if isinstance(logical, str) and logical in _TYPES:
        return _TYPES[logical]
    why = {
        "object": "skewless columns hold scalar values, not nested objects",
        "array": "skewless columns hold scalar values, not lists",
        "time": "skewless has no time-of-day type",
    }.get(logical if isinstance(logical, str) else "", "not an ODCS logical type")
    unmapped.column(name, f"not imported: logicalType {escape(logical)}: {why}")
    return None


def _physical_type(physical: str) -> str | None:
    """A column type from a storage type name (when ODCS gives no logicalType)."""
    for words, kind in (
        (("timestamp", "datetime"), "datetime"),
        (("date",), "date"),
        (("bool",), "boolean"),
        (("int", "long", "serial"), "integer"),
        (("double", "float", "real", "decimal", "numeric", "number"), "float"),
        (("char", "text", "string", "uuid"), "string"),
    ):
        if any(word in physical for word in words):
            return kind
    return None


def _classification(name: str, prop: dict[str, Any], column: dict[str, Any], u: Unmapped) -> None:
    """`pii: true` from a classification such as restricted, or a tag pii."""
    tags = prop.get("tags", [])
    tags = tags if isinstance(tags, list) else []
    pii = any(isinstance(t, str) and t.lower() == "pii" for t in tags)
    other_tags = [t for t in tags if not (isinstance(t, str) and t.lower() == "pii")]
    if other_tags or not isinstance(prop.get("tags", []), list):
        u.key("tags", name, "only the tag pii is read (pii: true)")
    classification = prop.get("classification")
    if isinstance(classification, str):
        if classification.lower() in PII_CLASSES:
            pii = True
        elif classification.lower() != "public":
            u.column(
                name,
                f"classification {escape(classification)} is not read as personal data "
                "(pii: false; set pii: true if it is)",
            )
    elif classification is not None:
        u.column(name, "classification: not text, not mapped")
    if pii:
        column["pii"] = True


def _options(
    name: str,
    kind: str,
    options: dict[str, Any],
    column: dict[str, Any],
    top_zone: str | None,
    unmapped: Unmapped,
    prop: dict[str, Any],
) -> None:
    """logicalTypeOptions into the column's keys; the others reported."""
    used: set[str] = set()
    if kind in ("integer", "float"):
        used |= _bounds(name, kind, options, column, unmapped)
    elif kind in ("string", "category"):
        used |= {"minLength", "maxLength", "pattern", "format"} if kind == "string" else set()
        if kind == "string":
            _text(name, options, column, unmapped)
    elif kind == "date":
        used.add("format")
        if options.get("format", DATE_FORMAT) != DATE_FORMAT:
            unmapped.column(
                name, f"format {escape(options['format'])}: skewless reads dates as YYYY-MM-DD"
            )
    elif kind == "datetime":
        used |= {"timezone", "defaultTimezone"}
        zone = options.get("defaultTimezone", top_zone or "UTC")
        if not known_zone(zone):
            unmapped.column(name, f"defaultTimezone {escape(zone)} is not an IANA zone: UTC")
            zone = "UTC"
        if zone != top_zone:
            column["timezone"] = zone
        aware = options.get("timezone")
        if aware is None and "format" in options:  # no flag (ODCS v3.0 has none): the format
            aware = bool(_ZONE_LETTERS.search(str(options["format"])))
            if not aware:
                unmapped.column(name, f"values without an offset are read as wall time in {zone}")
        if aware is False:
            column["naive"] = "assume"
        elif aware not in (None, True):
            unmapped.column(name, f"timezone {escape(aware)}: not true or false, not mapped")
        if "format" in options:
            used.add("format")
            if prop.get("logicalType") != "date":
                unmapped.column(name, "format: not mapped (skewless reads ISO 8601 text)")
    for key in options:
        if key not in used:
            unmapped.column(name, f"logicalTypeOptions.{key}: not mapped for a {kind} column")


def _bounds(
    name: str, kind: str, options: dict[str, Any], column: dict[str, Any], unmapped: Unmapped
) -> set[str]:
    """minimum, maximum, the exclusive ones (v3.1 numbers, v3.0 flags) and integer formats."""
    low, high = options.get("minimum"), options.get("maximum")
    for key, value in (("minimum", low), ("maximum", high)):
        if value is not None and not _finite(value):
            unmapped.column(name, f"{key} {escape(value)}: not a finite number, not mapped")
    low = low if _finite(low) else None
    high = high if _finite(high) else None
    used = {"minimum", "maximum"}
    for key, step in (("exclusiveMinimum", 1), ("exclusiveMaximum", -1)):
        value = options.get(key)
        if value is None:
            continue
        used.add(key)
        edge = (low if step > 0 else high) if isinstance(value, bool) else value
        if value is False:
            continue
        if kind == "integer" and _finite(edge):
            whole = math.floor(edge) + 1 if step > 0 else math.ceil(edge) - 1
            if step > 0:
                low = whole if low is None or value is True else max(low, whole)
            else:
                high = whole if high is None or value is True else min(high, whole)
        else:
            unmapped.column(name, f"{key}: not mapped (a {kind} column's bounds are inclusive)")
    if kind == "integer":
        used.add("format")
        fmt = options.get("format")
        if isinstance(fmt, str) and fmt in _INTEGER_BITS:
            lo, hi = _INTEGER_BITS[fmt]
            low = lo if low is None else max(low, lo)
            high = hi if high is None else min(high, hi)
        elif fmt == "u64":
            low = 0 if low is None else max(low, 0)
            unmapped.column(name, "format u64: values past 2**63-1 are integer_overflow")
        elif fmt in ("i128", "u128"):
            if fmt == "u128":
                low = 0 if low is None else max(low, 0)
            unmapped.column(name, f"format {fmt}: skewless integers are 64-bit")
        elif fmt not in (None, "i64"):
            unmapped.column(name, f"format {escape(fmt)}: not mapped")
        low = math.ceil(low) if low is not None else None
        high = math.floor(high) if high is not None else None
        if (low is not None and low > 2**63 - 1) or (high is not None and high < -(2**63)):
            unmapped.column(name, "bounds outside the 64-bit range: not mapped")
            low = high = None
        low = low if low is not None and low >= -(2**63) else None  # looser than 64 bits: none
        high = high if high is not None and high <= 2**63 - 1 else None
    else:
        used.add("format")
        if options.get("format") not in (None, "f64"):
            unmapped.column(name, f"format {escape(options['format'])}: skewless floats are 64-bit")
    if low is not None and high is not None and low > high:
        unmapped.column(name, f"minimum {low} is above maximum {high}: neither mapped")
        return used
    if low is not None:
        column["min"] = low
    if high is not None:
        column["max"] = high
    return used


def _finite(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _text(name: str, options: dict[str, Any], column: dict[str, Any], unmapped: Unmapped) -> None:
    for key, rule, least in (("minLength", "min_length", 0), ("maxLength", "max_length", 1)):
        value = options.get(key)
        if value is None:
            continue
        if isinstance(value, int) and not isinstance(value, bool) and value >= least:
            column[rule] = value
        else:
            unmapped.column(name, f"{key} {escape(value)}: not mapped")
    if column.get("min_length", 0) > column.get("max_length", math.inf):
        unmapped.column(name, "minLength is above maxLength: neither mapped")
        del column["min_length"], column["max_length"]
    pattern = options.get("pattern")
    if pattern is not None:
        re2 = re2_pattern(pattern) if usable_text(pattern) else None
        if re2 is None:
            unmapped.column(name, f"pattern {escape(pattern)}: RE2 cannot read it, not mapped")
        else:
            column["pattern"] = re2
    fmt = options.get("format")
    if fmt is not None:
        unmapped.column(name, f"format {escape(fmt)}: not checked, not mapped")


def _column_quality(name: str, rules: Any, kind: str, unmapped: Unmapped) -> dict[str, Any]:
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
        return _finite(low) and _finite(high) and low <= 0 and (high < 1 if rows else high == 0)
    if not _finite(value):
        return False
    if operator == "mustBe" or operator == "mustBeLessOrEqualTo":
        return value == 0 or (rows and operator == "mustBeLessOrEqualTo" and 0 <= value < 1)
    return operator == "mustBeLessThan" and rows and 0 < value <= 1


def _table_quality(
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
    if not isinstance(bounds, list) or not all(_finite(b) for b in bounds) or not bounds:
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


__all__ = ["API_VERSION", "READ_VERSIONS", "from_odcs", "odcs_text", "to_odcs"]
