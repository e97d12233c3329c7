"""One ODCS property read as a contract column, for `skewless import --from odcs`.

    >>> column_from_property("amount", {"logicalType": "number", "required": True}, None, unmapped)
    {'type': 'float'}

The logical type and its options give the column's type and bounds (integer formats narrow
them), `required` and the quality rules its nulls, `classification` and tags `pii`, and the
`skewless...` custom properties what ODCS has no place for (`PREFIX`, shared with the export in
`skewless.odcs`). A property that cannot be a column is reported and left out.
"""

from __future__ import annotations

import math
import re
from typing import Any

from skewless.import_spec import Unmapped, finite, known_zone, re2_pattern, usable_text
from skewless.odcs_quality import column_quality
from skewless.report import escape, escape_name

PREFIX = "skewless"
# Classifications read as personal data (`pii: true`: redacted everywhere); `public` is not.
PII_CLASSES = frozenset(
    {"restricted", "confidential", "sensitive", "pii", "personal", "private", "secret"}
)
DATE_FORMAT = "yyyy-MM-dd"
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


def custom_properties(
    value: Any, where: str, known: tuple[str, ...], unmapped: Unmapped
) -> dict[str, Any]:
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


def column_from_property(
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
    rules = column_quality(name, prop.get("quality"), kind, unmapped)
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
    custom = custom_properties(
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
        if value is not None and not finite(value):
            unmapped.column(name, f"{key} {escape(value)}: not a finite number, not mapped")
    low = low if finite(low) else None
    high = high if finite(high) else None
    used = {"minimum", "maximum"}
    for key, step in (("exclusiveMinimum", 1), ("exclusiveMaximum", -1)):
        value = options.get(key)
        if value is None:
            continue
        used.add(key)
        edge = (low if step > 0 else high) if isinstance(value, bool) else value
        if value is False:
            continue
        if kind == "integer" and finite(edge):
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


__all__ = ["DATE_FORMAT", "PII_CLASSES", "PREFIX", "column_from_property", "custom_properties"]
