"""A contract from a JSON Schema (Draft 2020-12) of one record: `skewless import --from
jsonschema`, the way back from `skewless.json_schema`.

    >>> spec, unmapped = from_json_schema(document, source="orders.schema.json")

What `record_schema` writes (its patterns, charsets, datetime forms, `coerce` alternatives, the
contract's name and version in `$comment`) reads back as the rules it came from; any other
object schema of scalar properties reads as well as JSON Schema allows, and what a contract
cannot hold is reported in `unmapped`. The mapping: docs/interop.md.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from skewless.contract import Column
from skewless.dtypes import INT64_MAX, INT64_MIN
from skewless.errors import InputError
from skewless.import_spec import (
    CONTROL,
    SEMVER,
    Spec,
    Unmapped,
    column_name_problem,
    contract_name,
    ordered_column,
    ordered_spec,
    re2_pattern,
    usable_text,
)
from skewless.loader import pattern_problem
from skewless.report import escape

_COMMENT = re.compile(r"skewless contract ([a-z][a-z0-9_]*) (\S+), (any environment|\w+ data)")
_LOST_PATTERN = re.compile(
    r"pattern ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\") \(RE2\) is not expressed"
)
_TYPES = {"integer": "integer", "number": "float", "boolean": "boolean", "string": "string"}
_JSON_KEYS = frozenset(
    {"type", "enum", "const", "format", "minimum", "maximum", "exclusiveMinimum",
     "exclusiveMaximum", "minLength", "maxLength", "pattern", "description", "$comment",
     "allOf", "anyOf", "nullable"}
)  # fmt: skip
_SCHEMA_KEYS = frozenset(
    {"$schema", "$id", "title", "description", "$comment", "type", "properties", "required",
     "additionalProperties", "$defs", "anyOf"}
)  # fmt: skip


def from_json_schema(document: Any, *, source: str) -> tuple[Spec, list[str]]:
    """A contract from a JSON Schema (Draft 2020-12) of one record, and what it cannot hold.

    Reads what `skewless.json_schema.record_schema` writes back into the rules it came from
    (its patterns, charsets, datetime forms, `coerce` alternatives, the contract's name and
    version in `$comment`), and any object schema of scalar properties.
    """
    unmapped = Unmapped()
    schema = _record(document, source)
    comment = _COMMENT.search(str(schema.get("$comment", "")))
    spec: Spec = {}
    title = schema.get("title")
    name = comment.group(1) if comment else title if isinstance(title, str) and title else ""
    spec["contract"] = contract_name(name or "imported", unmapped, "title")
    if comment and SEMVER.fullmatch(comment.group(2)):
        spec["version"] = comment.group(2)
    else:
        spec["version"] = "0.1.0"
        unmapped.add("version", "JSON Schema has no version: version 0.1.0 (set it)")
    if usable_text(schema.get("description")):
        spec["description"] = schema["description"]
    for key in schema:
        if key not in _SCHEMA_KEYS:
            unmapped.add(key, "not mapped (a contract has no such key)")
    extra = schema.get("additionalProperties", True)
    if extra is not False:
        spec["extra_columns"] = "allow"
        if extra is not True:
            unmapped.add("additionalProperties", "a schema for other properties is not mapped")
    listed = schema.get("required", [])
    required = {n for n in listed if isinstance(n, str)} if isinstance(listed, list) else set()
    columns: dict[str, dict[str, Any]] = {}
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        raise InputError(source, "not a record schema: no properties to read columns from")
    for name, prop in properties.items():
        problem = column_name_problem(name)
        if problem is not None:
            unmapped.column(name if isinstance(name, str) else "?", f"not imported: {problem}")
            continue
        if prop is False:
            unmapped.column(
                name, "not imported: the schema forbids it (a column of another environment?)"
            )
            continue
        column = _json_column(name, prop, unmapped)
        if column is None:
            continue
        if name not in required:
            column["required"] = False
            if not column.get("nullable"):
                unmapped.column(
                    name,
                    "may be left out but not null: skewless reads an absent key as null "
                    "(null_not_allowed)",
                )
        columns[name] = column
    if not columns:
        why = "; ".join(unmapped.result()[-3:])
        raise InputError(source, f"no property could be imported as a column ({why})")
    spec["columns"] = columns
    return ordered_spec(spec), unmapped.result()


def _record(document: Any, source: str) -> dict[str, Any]:
    """The record schema: the document, or the record a body schema's `$defs` holds."""
    if not isinstance(document, dict):
        raise InputError(source, "not a JSON Schema: expected an object at the top")
    if "properties" not in document and isinstance(document.get("$defs"), dict):
        options = document.get("anyOf")
        for option in options if isinstance(options, list) else []:
            ref = option.get("$ref", "") if isinstance(option, dict) else ""
            record = document["$defs"].get(ref.removeprefix("#/$defs/"))
            if ref.startswith("#/$defs/") and isinstance(record, dict):
                return record
    if document.get("type", "object") != "object":
        raise InputError(source, "not a record schema: its type is not object")
    return document


def _json_column(name: str, prop: Any, unmapped: Unmapped) -> dict[str, Any] | None:
    if not isinstance(prop, dict):
        unmapped.column(name, "not imported: its schema is not an object")
        return None
    column: dict[str, Any] = {}
    description = prop.get("description")
    prop = {k: v for k, v in prop.items() if k != "description"}
    nullable = False
    options = prop.get("anyOf")
    if isinstance(options, list) and set(prop) <= {"anyOf"}:
        kept = [o for o in options if o != {"type": "null"}]
        nullable = len(kept) < len(options)
        if not kept:
            unmapped.column(name, "not imported: it only takes null")
            return None
        prop = kept[0]
        column["_others"] = kept[1:]
        if not isinstance(prop, dict):
            unmapped.column(name, "not imported: its schema is not an object")
            return None
    kinds = prop.get("type")
    if isinstance(kinds, list):
        nullable = nullable or "null" in kinds
        kinds = [k for k in kinds if k != "null"]
        kinds = kinds[0] if len(kinds) == 1 else kinds
    if prop.get("nullable") is True:
        nullable = True
    enum = prop.get("enum", [prop["const"]] if "const" in prop else None)
    if enum is not None and not isinstance(enum, list):
        unmapped.column(name, "enum: not a list, not mapped")
        enum = None
    if isinstance(enum, list) and None in enum:
        nullable = True
        enum = [v for v in enum if v is not None]
    for key in prop:
        if key not in _JSON_KEYS:
            unmapped.key(key, name, "a column has no such key")
    if enum is not None and kinds in (None, "string"):
        if enum and all(
            isinstance(v, str) and usable_text(v) and not CONTROL.search(v) for v in enum
        ):
            column["type"] = "category"
            column["values"] = list(dict.fromkeys(enum))
        else:
            unmapped.column(
                name,
                "not imported: category values are distinct strings without control characters",
            )
            return None
    elif isinstance(kinds, str) and kinds in _TYPES:
        column["type"] = _TYPES[kinds]
        if enum is not None:
            unmapped.column(name, f"enum of a {kinds}: not mapped (only text has a vocabulary)")
    else:
        shown = json.dumps(kinds) if kinds is not None else "none"
        unmapped.column(name, f"not imported: type {shown} is not a scalar skewless can hold")
        return None
    _json_rules(name, prop, column, unmapped)
    others = column.pop("_others", [])
    if others:
        if _coerced_forms(column) == others:
            column["coerce"] = True
        else:
            unmapped.column(name, "anyOf alternatives past the first are not mapped")
    if nullable:
        column["nullable"] = True
    if usable_text(description):
        column["description"] = description
    return ordered_column(column)


def _json_rules(
    name: str, prop: dict[str, Any], column: dict[str, Any], unmapped: Unmapped
) -> None:
    kind = column["type"]
    if kind in ("integer", "float"):
        for key, bound in (("minimum", "min"), ("maximum", "max")):
            value = prop.get(key)
            if value is None:
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                unmapped.column(name, f"{key} {value!r}: not a finite number, not mapped")
            elif kind == "integer":
                whole = math.ceil(value) if bound == "min" else math.floor(value)
                if (bound == "min" and whole > INT64_MIN) or (bound == "max" and whole < INT64_MAX):
                    column[bound] = whole  # the 64-bit limits are every integer column's
            else:
                column[bound] = value
        for key, bound, step in (("exclusiveMinimum", "min", 1), ("exclusiveMaximum", "max", -1)):
            value = prop.get(key)
            if value is None:
                continue
            if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
                edge = value + step
                column[bound] = (
                    edge if bound not in column else (max if step > 0 else min)(column[bound], edge)
                )
            else:
                unmapped.column(name, f"{key}: not mapped (contract bounds are inclusive)")
    elif any(k in prop for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")):
        unmapped.column(name, f"numeric bounds on a {kind} column: not mapped")
    if kind == "string":
        _json_text(name, prop, column, unmapped)
    elif kind != "category" and any(
        k in prop for k in ("minLength", "maxLength", "pattern", "format", "allOf")
    ):
        unmapped.column(name, f"text rules on a {kind} column: not mapped")
    if "$comment" in prop and "unknown values become" in str(prop["$comment"]):
        unmapped.column(
            name,
            "a category whose unknown values are mapped: its vocabulary is not in the schema "
            "(read as text)",
        )


def _json_text(name: str, prop: dict[str, Any], column: dict[str, Any], unmapped: Unmapped) -> None:
    fmt = prop.get("format")
    patterns = [prop["pattern"]] if isinstance(prop.get("pattern"), str) else []
    for part in prop.get("allOf", []) if isinstance(prop.get("allOf"), list) else []:
        if isinstance(part, dict) and set(part) == {"pattern"} and isinstance(part["pattern"], str):
            patterns.append(part["pattern"])
        else:
            unmapped.column(name, "an allOf part other than a pattern: not mapped")
    if fmt == "date" or fmt == "date-time" or _datetime_form(patterns, fmt) is not None:
        _json_time(name, prop, column, patterns, unmapped)
        return
    if fmt is not None:
        unmapped.column(name, f"format {escape(fmt)}: not checked, not mapped")
    for key, rule in (("minLength", "min_length"), ("maxLength", "max_length")):
        value = prop.get(key)
        if value is None:
            continue
        least = 1 if key == "maxLength" else 0
        if isinstance(value, int) and not isinstance(value, bool) and value >= least:
            column[rule] = value
        else:
            unmapped.column(name, f"{key} {value!r}: not mapped")
    charsets = _charsets()
    user = [p for p in patterns if p not in charsets]
    character_rule = next((charsets[p] for p in patterns if p in charsets), ("unicode", True))
    if character_rule[0] != "unicode":
        column["charset"] = character_rule[0]
    if character_rule[1]:  # no character rule: JSON Schema takes control characters
        column["allow_control"] = True
    lost = _LOST_PATTERN.search(str(prop.get("$comment", "")))
    if lost:  # a pattern ECMA-262 cannot spell, kept in the comment as RE2
        import ast

        re2 = ast.literal_eval(lost.group(1))
        if isinstance(re2, str) and pattern_problem(re2) is None:
            column["pattern"] = re2
    for pattern in user:
        re2 = re2_pattern(pattern) if "pattern" not in column else None
        if re2 is None:
            why = "RE2 cannot read it" if "pattern" not in column else "a column has one pattern"
            unmapped.column(name, f"pattern {escape(pattern)}: not mapped ({why})")
        else:
            column["pattern"] = re2


def _json_time(
    name: str, prop: dict[str, Any], column: dict[str, Any], patterns: list[str], unmapped: Unmapped
) -> None:
    """A date or datetime column: its format, and the pattern `record_schema` writes for it."""
    fmt = prop.get("format")
    form = _datetime_form(patterns, fmt)
    if fmt == "date":
        column["type"] = "date"
        foreign = [p for p in patterns if p != _date_pattern()]
    else:
        column["type"] = "datetime"
        naive, other_zones, known = form or ("reject", "convert", None)
        column["timezone"] = "UTC"
        if naive != "reject":
            column["naive"] = naive
        if other_zones != "convert":
            column["other_zones"] = other_zones
        foreign = [p for p in patterns if p != known]
        unmapped.column(name, "JSON Schema has no time zone: timezone UTC (set the column's)")
    for pattern in foreign:
        unmapped.column(name, f"pattern {escape(pattern)} on a {column['type']}: not mapped")
    for key in ("minLength", "maxLength"):
        if key in prop:
            unmapped.column(name, f"{key} on a {column['type']}: not mapped")


def _datetime_form(patterns: list[str], fmt: Any) -> tuple[str, str, str] | None:
    """(naive, other_zones, pattern) of a datetime pattern `record_schema` writes, or None."""
    from skewless.json_schema import column_schema

    for naive in ("reject", "assume"):
        for other_zones in ("convert", "reject"):
            probe = Column(
                "t",
                "datetime",
                timezone="UTC",
                naive=naive,
                other_zones=other_zones,
            )
            written = column_schema(probe)
            if written["pattern"] in patterns and written.get("format") == fmt:
                return naive, other_zones, written["pattern"]
    return None


def _date_pattern() -> str:
    from skewless.json_schema import column_schema

    return str(column_schema(Column("d", "date"))["pattern"])


def _charsets() -> dict[str, tuple[str, bool]]:
    """The character-rule patterns `record_schema` writes, to the (charset, allow_control) of
    each."""
    from skewless.json_schema import column_schema

    out: dict[str, tuple[str, bool]] = {}
    for charset in ("unicode", "bmp", "ascii"):
        for allow in (False, True):
            probe = Column("s", "string", charset=charset, allow_control=allow)
            pattern = column_schema(probe).get("pattern")
            if pattern is not None:
                out[pattern] = (charset, allow)
    return out


def _coerced_forms(column: dict[str, Any]) -> list[Any]:
    """The alternatives `record_schema` adds for `coerce: true` on a column of this type."""
    from skewless.json_schema import column_schema

    kind = column["type"]
    probe = Column("c", kind, coerce=True, values=("x",), timezone="UTC")
    written = column_schema(probe)
    return list(written.get("anyOf", [None])[1:])


__all__ = ["from_json_schema"]
