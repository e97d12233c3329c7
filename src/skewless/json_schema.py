"""A contract as JSON Schema (Draft 2020-12): what a record, or a request body, may look like.

    >>> from skewless.json_schema import body_schema, record_schema
    >>> schema = record_schema(contract, env="serving")   # one record, as the online path takes it
    >>> body = body_schema(contract)                      # a record or a list of 1..1000 records

The schema says what JSON Schema can say and nothing looser where it speaks: a record it accepts
is one the record validator accepts, except for the rules listed in `NOT_EXPRESSED` (a NaN, a
DST gap, a pattern RE2 spells in a way ECMA-262 cannot...). Patterns are ECMA-262 text that
Python's `re` reads the same way (`skewless.ecma`), so `jsonschema`, schemathesis and a
JavaScript client agree.
The validators stay the judges: a schema is for clients, documentation and fuzzers.
Engine-free: stdlib and skewless's light modules only (`tests/test_exports.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from skewless.dtypes import FLOAT_TEXT, INT64_MAX, INT64_MIN, INT_TEXT
from skewless.ecma import END, ecma_pattern
from skewless.errors import Code
from skewless.payload import MAX_RECORDS

if TYPE_CHECKING:
    from skewless.contract import Column, Contract, Env

Schema = dict[str, Any]
DIALECT = "https://json-schema.org/draft/2020-12/schema"

# The rules a JSON Schema cannot say (docs/json-schema.md lists the same): the validators alone
# judge them. Outside them, the schema and the record validator agree (tests/test_json_schema.py).
NOT_EXPRESSED: tuple[str, ...] = (
    "NaN and infinities (allow_nan, allow_inf): JSON has no such numbers; a schema validator "
    "that is given a float NaN sees a number inside any bound",
    "whole floats in integer columns: 30.0 is wrong_type unless coerce, but JSON Schema's "
    "integer is any number without a fraction",
    "numbers past the 64-bit float range in float columns (out_of_range)",
    "coerce: text and numbers of another type are accepted by their form only, without the "
    "column's range, vocabulary, length or pattern",
    "lone surrogates and invalid UTF-8 (invalid_unicode): a JSON reader's business",
    "patterns RE2 spells in a way ECMA-262 cannot (flags such as (?i), \\b, \\pL, \\C, code "
    "points past U+FFFF); the property says so in its $comment",
    "other_zones: reject, except in UTC (a zone's offset depends on the instant)",
    "naive: assume wall times in a DST gap or fold (naive_datetime)",
    "instants outside the years 1 to 9999 once converted to the column's zone",
    "datetime text skewless also reads: a space for T, no seconds, an offset without a colon "
    "(the schema asks for RFC 3339; it is stricter here, never looser)",
    "unique, checks.unique, checks.rows and cadence: they span rows (batch only)",
    "normalisation (fill_null, unknown: {map_to}, time zone conversion): the schema describes "
    "what a client sends, not what the model receives",
    "the body's size in bytes (max_bytes, payload_too_large) and duplicate JSON keys",
    "pii: values are redacted in reports; the schema has no such notion",
)

_DATE = (  # a calendar date of the years 0001 to 9999, as datetime.date.fromisoformat reads
    "(?:(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-"
    "(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    "|(?:0[13578]|1[02])-31)"
    "|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29)"
)
_TIME = "T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?"
_OFFSET = "(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
_UTC_OFFSET = "(?:Z|[+-]00:00)"

ERROR_SCHEMA: Schema = {
    "description": "The gate's refusal, in FastAPI's shape: one item per violation.",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "loc", "msg"],
                "properties": {
                    "type": {"enum": [code.value for code in Code]},
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                    "input": {"description": "the value, escaped (echo_values=True only)"},
                },
            },
        }
    },
}


def record_schema(contract: Contract, *, env: Env | None = "serving") -> Schema:
    """The schema of one record of `env` (None: any environment), as the record path takes it.

    A key the record lacks reads as null there, so a column is required when it is `required`
    (the default) or not nullable: only an optional, nullable column may be left out.
    """
    schema: Schema = {"$schema": DIALECT, "title": contract.name}
    if contract.description:
        schema["description"] = contract.description
    where = "any environment" if env is None else f"{env} data"
    schema["$comment"] = f"skewless contract {contract.name} {contract.version}, {where}"
    schema["type"] = "object"
    properties: dict[str, Any] = {}
    for column in contract.columns:
        if column.allowed_in(env):
            properties[column.name] = column_schema(column)
        elif contract.extra_columns != "reject":
            properties[column.name] = False  # the other environment's: unexpected_column still
    schema["properties"] = properties
    schema["required"] = [
        c.name
        for c in contract.columns
        if c.allowed_in(env) and (c.required_in(env) or not c.nullable)
    ]
    if contract.extra_columns == "reject":
        schema["additionalProperties"] = False
    return schema


def body_schema(
    contract: Contract, *, env: Env | None = "serving", max_records: int = MAX_RECORDS
) -> Schema:
    """What the middleware takes as a request body: one record, or a list of 1 to `max_records`
    records (an empty list is malformed_input), the record under `$defs`."""
    record = record_schema(contract, env=env)
    del record["$schema"]
    body = _body(f"#/$defs/{contract.name}", max_records)
    return {
        "$schema": DIALECT,
        "title": f"{contract.name} request body",
        "$comment": record["$comment"],
        "$defs": {contract.name: record},
        **body,
    }


def openapi_body(
    contract: Contract, *, env: Env | None = "serving", max_records: int = MAX_RECORDS
) -> tuple[Schema, dict[str, Schema]]:
    """The body schema for an OpenAPI 3.1 document and the `components.schemas` it refers to
    (`#/$defs/...` would not resolve inside an OpenAPI document)."""
    record = record_schema(contract, env=env)
    del record["$schema"]  # the document's dialect (OpenAPI 3.1: JSON Schema 2020-12) holds
    return _body(f"#/components/schemas/{contract.name}", max_records), {contract.name: record}


def _body(ref: str, max_records: int) -> Schema:
    # anyOf, not oneOf: an object and an array never both match, and anyOf stops at the first.
    many = {"type": "array", "items": {"$ref": ref}, "minItems": 1, "maxItems": max_records}
    return {
        "description": f"One record, or a list of 1 to {max_records} records.",
        "anyOf": [{"$ref": ref}, many],
    }


# --- one column ---------------------------------------------------------------------------------


def column_schema(column: Column) -> Schema:
    """The schema of one column's value (a null included when the column is nullable)."""
    schema = _value(column)
    options = _coerced(column)
    if options:
        schema = {"anyOf": [schema, *options]}
    if column.nullable:
        if "type" in schema and "enum" not in schema:
            schema["type"] = [schema["type"], "null"]
        elif "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        else:
            schema["anyOf"].append({"type": "null"})
    if column.description:
        schema = {"description": column.description, **schema}
    return schema


def _value(column: Column) -> Schema:
    kind = column.type
    if kind == "integer":
        lo = INT64_MIN if column.min is None else column.min
        hi = INT64_MAX if column.max is None else column.max
        return {"type": "integer", "minimum": lo, "maximum": hi}
    if kind == "float":
        bounds = {"minimum": column.min, "maximum": column.max}
        return {"type": "number", **{k: v for k, v in bounds.items() if v is not None}}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "category":
        if column.map_to is None:
            return {"enum": list(column.values)}
        return {"type": "string", "$comment": f"unknown values become {column.map_to!r}"}
    if kind == "string":
        return _text(column)
    if kind == "date":
        return {"type": "string", "format": "date", "pattern": f"^{_DATE}{END}"}
    return _datetime(column)


def _text(column: Column) -> Schema:
    schema: Schema = {"type": "string"}
    if column.min_length:
        schema["minLength"] = column.min_length
    if column.max_length is not None:
        schema["maxLength"] = column.max_length
    patterns = []
    if column.pattern is not None:
        translated = ecma_pattern(column.pattern)
        if translated is None:
            schema["$comment"] = (
                f"pattern {column.pattern!r} (RE2) is not expressed: it has no faithful "
                "ECMA-262 spelling"
            )
        else:
            patterns.append(translated)
    allowed = _characters(column)
    if allowed is not None:
        patterns.append(f"^[{allowed}]*$")  # newlines are allowed: Python's `$` is fine here
    if patterns:
        schema["pattern"] = patterns[0]
    if len(patterns) > 1:
        schema["allOf"] = [{"pattern": p} for p in patterns[1:]]
    return schema


def _characters(column: Column) -> str | None:
    """The characters a string column takes, as a character class (None: any), from its charset
    and the control-character rule. Code points, as JSON Schema's `u` patterns and Python read."""
    controlled = not column.allow_control
    if column.charset == "ascii":
        return "\\t\\n\\r\\x20-\\x7e" if controlled else "\\x00-\\x7f"
    if column.charset == "bmp":
        return "\\t\\n\\r\\x20-\\x7e\\x80-\\uffff" if controlled else "\\x00-\\uffff"
    return "^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f" if controlled else None


def _datetime(column: Column) -> Schema:
    """RFC 3339 text as skewless reads it: T, seconds, at most nine fraction digits, `Z` or
    ±HH:MM; under `naive: assume` the offset may be left out (which `date-time` forbids)."""
    offset = _OFFSET
    if column.other_zones == "reject" and column.timezone == "UTC":
        offset = _UTC_OFFSET
    if column.naive == "assume":
        return {"type": "string", "pattern": f"^{_DATE}{_TIME}{offset}?{END}"}
    return {"type": "string", "format": "date-time", "pattern": f"^{_DATE}{_TIME}{offset}{END}"}


def _coerced(column: Column) -> list[Schema]:
    """The other forms a `coerce: true` column takes (its checks are not expressed on them)."""
    if not column.coerce:
        return []
    if column.type == "integer":
        return [{"type": "string", "pattern": f"^{INT_TEXT}{END}"}]
    if column.type == "float":
        return [{"type": "string", "pattern": f"^(?:{FLOAT_TEXT}){END}"}]
    if column.type == "boolean":
        words = f"^(?:[tT][rR][uU][eE]|[fF][aA][lL][sS][eE]){END}"
        return [{"enum": [0, 1]}, {"type": "string", "pattern": words}]
    if column.type in ("string", "category"):
        return [{"type": "number"}]
    return []
