"""Contracts to and from other formats: the dispatch of `skewless export` and `skewless import`.

    >>> text = export(contract, "odcs")             # jsonschema | odcs | pandera | pydantic
    >>> yaml_text, unmapped = import_contract("orders.odcs.yaml", "odcs")   # odcs | jsonschema

An import never drops anything silently: what the contract cannot say comes back in `unmapped`,
one line each, and the YAML it returns loads (`loads_contract`), or the import raises
`InputError`. Both importers build the contract as a mapping of its keys (`Spec`), written out
by `contract_text`. Reading a foreign file obeys the contract's own YAML dialect (safe tags, no
anchors, bounded nesting) or, for JSON, the request bodies' reader (`payload.parse_document`).
JSON Schema import lives here; ODCS in `skewless.odcs`. Docs: docs/interop.md.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import yaml

from skewless.contract import Column
from skewless.dtypes import INT64_MAX, INT64_MIN
from skewless.ecma import ecma_pattern
from skewless.errors import ContractError, InputError
from skewless.loader import loads_contract, pattern_problem
from skewless.report import escape, escape_name, printable
from skewless.yaml_dialect import Node, compose, implicit_tag, quoted

if TYPE_CHECKING:
    from skewless.contract import Contract, Env

EXPORT_FORMATS = ("jsonschema", "odcs", "pandera", "pydantic")
IMPORT_FORMATS = ("odcs", "jsonschema")
MAX_IMPORT_BYTES = 8 << 20  # an ODCS file can describe many tables; one is read
MAX_JSON_NESTING = 64
Spec = dict[str, Any]  # a contract as the mapping of its YAML keys, in the order docs write them


def export(contract: Contract, to: str, *, env: Env | None = None) -> str:
    """The contract as text in another format.

    `env`: the environment whose columns the JSON Schema, pandera or pydantic form describes;
    None gives each format's default (JSON Schema: serving, what a service receives; pandera
    and pydantic: any environment). ODCS always holds the whole contract.
    """
    if to == "jsonschema":
        from skewless.json_schema import record_schema

        schema = record_schema(contract, env=env or "serving")
        return json.dumps(schema, indent=2, ensure_ascii=True) + "\n"
    if to == "odcs":
        from skewless.odcs import odcs_text

        return odcs_text(contract)
    if to == "pandera":
        from skewless.codegen import pandera_source

        return pandera_source(contract, env=env)
    if to == "pydantic":
        from skewless.codegen import pydantic_source

        return pydantic_source(contract, env=env)
    raise ValueError(f"cannot export to {to!r}: one of {', '.join(EXPORT_FORMATS)}")


def import_contract(
    path: str | Path, from_: str, *, schema: str | None = None
) -> tuple[str, list[str]]:
    """A contract's YAML from an ODCS or JSON Schema file, and what could not be mapped.

    `schema`: the schema object of an ODCS file that holds several (default: the first).
    Raises `InputError` when the file cannot be read or is not of the format.
    """
    source = str(path)
    document = read_document(path)
    if from_ == "odcs":
        from skewless.odcs import from_odcs

        spec, unmapped = from_odcs(document, source=source, schema=schema)
    elif from_ == "jsonschema":
        spec, unmapped = from_json_schema(document, source=source)
    else:
        raise ValueError(f"cannot import from {from_!r}: one of {', '.join(IMPORT_FORMATS)}")
    text = loadable_text(spec, unmapped, source=source, origin=from_)
    return text, unmapped


def loadable_text(spec: Spec, unmapped: list[str], *, source: str, origin: str) -> str:
    """The spec's YAML, once it loads: a key the contract refuses (a `skewless...` custom
    property of the wrong kind, say) is left out and added to `unmapped` with the reason."""
    for _ in range(1 + sum(len(c) for c in spec["columns"].values()) + len(spec)):
        text = contract_text(spec, origin=origin)
        try:
            loads_contract(text, file=source)
        except ContractError as exc:
            where = _drop(spec, exc.path)
            hint = f" ({exc.hint})" if exc.hint else ""
            if where is None:  # not a key this module can leave out: say which
                shown = f"{exc.path}: " if exc.path else ""
                raise InputError(
                    source, f"the imported contract does not load: {shown}{exc.message}{hint}"
                ) from None
            unmapped.append(printable(f"{where}: not mapped: {exc.message}{hint}"))
            continue
        return text
    raise InputError(source, "the imported contract does not load")  # pragma: no cover


def _drop(spec: Spec, path: str) -> str | None:
    """Leave out the key of `spec` at a contract error's key path; where it was, or None."""
    for key in ("owner", "description", "timezone", "extra_columns", "drift", "checks"):
        if key in spec and (path == key or path.startswith((f"{key}.", f"{key}["))):
            checks = spec.get("checks", {})
            part = re.split(r"[.\[]", path[len(key) + 1 :], maxsplit=1)[0]
            if key == "checks" and part in checks and len(checks) > 1:
                del checks[part]
                return f"checks.{part}"
            del spec[key]
            return key
    columns: dict[str, dict[str, Any]] = spec["columns"]
    for name in sorted(columns, key=len, reverse=True):  # `a.b` before `a`
        shown = name if name.isprintable() else repr(name)
        prefix = f"columns.{shown}."
        if not path.startswith(prefix):
            continue
        key = re.split(r"[.\[]", path[len(prefix) :], maxsplit=1)[0]
        if key in columns[name] and key != "type":
            del columns[name][key]
            return f"column {escape_name(name)} {key}"
    return None


# --- reading a foreign file -----------------------------------------------------------------------


def read_document(path: str | Path) -> Any:
    """A YAML or JSON file as plain values; `InputError` when it cannot be read."""
    source = str(path)
    p = Path(path)
    try:
        if p.is_dir():
            raise InputError(source, "is a directory, not a file")
        size = p.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise InputError(source, f"{size} bytes; imports are limited to {MAX_IMPORT_BYTES}")
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(source, "no such file") from None
    except OSError as exc:
        raise InputError(source, exc.strerror or str(exc)) from None
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InputError(
            source, f"not UTF-8 (byte {exc.start} is {data[exc.start]:#04x})"
        ) from None
    if not text.strip():
        raise InputError(source, "empty file")
    first = text.lstrip()[:1]
    if p.suffix.lower() == ".json" or (p.suffix.lower() not in (".yaml", ".yml") and first in "{["):
        value, problem = _parse_json(data)
        if problem is not None:
            raise InputError(source, problem)
        return value
    try:
        return _plain(Node(compose(text, source), "", source))
    except ContractError as exc:
        where = f"line {exc.line}: " if exc.line is not None else ""
        if exc.code.value == "empty":
            raise InputError(source, "no content (only comments)") from None
        raise InputError(source, f"{where}not usable YAML: {exc.message}") from None


def _parse_json(raw: bytes) -> tuple[Any, str | None]:
    from skewless.payload import parse_document

    value, problem = parse_document(raw)
    if problem is not None:
        return None, problem
    stack = [(value, 1)]
    while stack:  # bounded nesting, iteratively: the walkers below recurse
        item, depth = stack.pop()
        if depth > MAX_JSON_NESTING:
            return None, f"is nested more than {MAX_JSON_NESTING} levels deep"
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        stack.extend((child, depth + 1) for child in children)
    return value, None


def _plain(at: Node) -> Any:
    """A YAML node of the contract dialect as dicts, lists and scalars (nesting is bounded)."""
    if isinstance(at.node, yaml.MappingNode):
        return {key: _plain(value) for key, (_, value) in at.mapping().items()}
    if isinstance(at.node, yaml.SequenceNode):
        return [_plain(item) for item in at.sequence()]
    return at.value()


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
_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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
    if _CONTROL.search(name):
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
    if isinstance(value, str) and _SEMVER.fullmatch(value):
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


# --- the contract's YAML ------------------------------------------------------------------------


def contract_text(spec: Spec, *, origin: str) -> str:
    """The YAML of a contract built by an importer, in the key order the docs use."""
    header = f"# Imported by skewless import --from {origin}: read it, then commit it.\n"

    def block(path: tuple[str, ...]) -> bool:
        return path == ("columns",) or (len(path) == 2 and path[0] == "columns")

    return header + dump_yaml(spec, block=block)


def dump_yaml(
    value: dict[str, Any], *, block: Callable[[tuple[str, ...]], bool] = lambda _path: False
) -> str:
    """Block YAML that YAML 1.1, YAML 1.2 and the contract dialect all read back as `value`;
    short leaf lists and mappings inline. Text is plain where no reader could mistake it, else
    double-quoted with every character that is not printable escaped. `block(path)`: keep the
    mapping at `path` out of flow style."""
    lines: list[str] = []
    _mapping(value, 0, (), lines, block)
    return "\n".join(lines) + "\n"


_WIDTH = 100


def _mapping(
    value: dict[str, Any],
    indent: int,
    path: tuple[str, ...],
    lines: list[str],
    block: Callable[[tuple[str, ...]], bool],
) -> None:
    pad = " " * indent
    for key, item in value.items():
        head = f"{pad}{scalar(key)}:"
        if len(head) > 1000:  # YAML's implicit keys end at 1024 characters: an explicit key
            lines.append(f"{pad}? {scalar(key)}")
            head = f"{pad}:"
        here = (*path, key)
        flow = None if block(here) and item else _flow(item, in_list=False)
        if flow is not None and len(head) + 1 + len(flow) <= _WIDTH:
            lines.append(f"{head} {flow}")
        elif isinstance(item, dict):
            lines.append(head)
            _mapping(item, indent + 2, here, lines, block)
        elif isinstance(item, list):
            lines.append(head)
            _sequence(item, indent + 2, here, lines, block)
        else:
            lines.append(f"{head} {scalar(item)}")


def _sequence(
    items: list[Any],
    indent: int,
    path: tuple[str, ...],
    lines: list[str],
    block: Callable[[tuple[str, ...]], bool],
) -> None:
    pad = " " * indent
    for item in items:
        flow = _flow(item, in_list=True)
        if flow is not None and indent + 2 + len(flow) <= _WIDTH:
            lines.append(f"{pad}- {flow}")
        elif isinstance(item, dict):
            nested: list[str] = []
            _mapping(item, indent + 2, path, nested, block)
            nested[0] = f"{pad}- {nested[0][indent + 2 :]}"
            lines.extend(nested)
        elif isinstance(item, list):
            lines.append(f"{pad}-")
            _sequence(item, indent + 2, path, lines, block)
        else:
            lines.append(f"{pad}- {scalar(item)}")


def _flow(value: Any, *, in_list: bool) -> str | None:
    """`value` inline: a scalar; `{}` or `[]`; a list of scalars or of lists of scalars; a
    mapping of scalars (not as a list item: those read better as blocks). None otherwise."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        if in_list or any(
            isinstance(v, dict | list) or (isinstance(v, str) and not _plain_ok(v, True))
            for v in value.values()
        ):
            return None  # quoted text reads better in a block
        return (
            "{" + ", ".join(f"{scalar(k, True)}: {scalar(v, True)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict):
                return None
            if isinstance(item, list):
                inner = _flow(item, in_list=True)
                if inner is None or any(isinstance(i, list) for i in item):
                    return None
                parts.append(inner)
            else:
                parts.append(scalar(item, True))
        return "[" + ", ".join(parts) + "]"
    return None if in_list else scalar(value)


_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` ")
_FLOW_INDICATORS = frozenset(",[]{}:?")
_YAML_1_1 = yaml.resolver.Resolver()
_YAML_1_2 = re.compile(  # the YAML 1.2 core schema's non-strings
    r"[-+]?(?:[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|\.(?:inf|Inf|INF))|\.(?:nan|NaN|NAN)|true|True|TRUE|false|False|FALSE|null|Null|NULL|~"
)


def scalar(value: Any, flow: bool = False) -> str:
    """One scalar as YAML text."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        if "e" in text and "." not in text:  # YAML 1.1 reads 1e+20 as text
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    if not isinstance(value, str):
        raise TypeError(f"cannot write {type(value).__name__} as YAML")
    return value if _plain_ok(value, flow) else quoted(value)


def _plain_ok(text: str, flow: bool) -> bool:
    if not text or text != text.strip() or text[0] in _INDICATORS:
        return False
    if not text.isprintable() or ": " in text or " #" in text or text.endswith(":"):
        return False
    if flow and any(ch in _FLOW_INDICATORS for ch in text):
        return False
    if _YAML_1_2.fullmatch(text) or implicit_tag(text) != "tag:yaml.org,2002:str":
        return False
    tag = _YAML_1_1.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return bool(tag == "tag:yaml.org,2002:str")


# --- JSON Schema ----------------------------------------------------------------------------------

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
    if comment and _SEMVER.fullmatch(comment.group(2)):
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
            isinstance(v, str) and usable_text(v) and not _CONTROL.search(v) for v in enum
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
    return _ordered_column(column)


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


def _ordered_column(column: dict[str, Any]) -> dict[str, Any]:
    return {key: column[key] for key in _COLUMN_ORDER if key in column}


def ordered_spec(spec: Spec) -> Spec:
    """The spec's keys in the docs' order, each column's too."""
    out = {key: spec[key] for key in _TOP_ORDER if key in spec}
    out["columns"] = {name: _ordered_column(c) for name, c in spec["columns"].items()}
    return out


__all__ = [
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "Spec",
    "Unmapped",
    "contract_text",
    "dump_yaml",
    "export",
    "from_json_schema",
    "import_contract",
    "ordered_spec",
    "re2_pattern",
]
