"""Contracts to and from other formats: the dispatch of `skewless export` and `skewless import`.

    >>> text = export(contract, "odcs")             # jsonschema | odcs | pandera | pydantic
    >>> yaml_text, unmapped = import_contract("orders.odcs.yaml", "odcs")   # odcs | jsonschema

An import never drops anything silently: what the contract cannot say comes back in `unmapped`,
one line each, and the YAML it returns loads (`loads_contract`), or the import raises
`InputError`. Both importers build the contract as a mapping of its keys (`Spec`), written out
by `contract_text`. Reading a foreign file obeys the contract's own YAML dialect (safe tags, no
anchors, bounded nesting) or, for JSON, the request bodies' reader (`payload.parse_document`).
The importers live in `skewless.odcs_import` and `skewless.json_schema_import`, what they share
in `skewless.import_spec`, the YAML writer in `skewless.yaml_writer`; their public names are
importable from here too. Docs: docs/interop.md.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from skewless.errors import ContractError, InputError
from skewless.import_spec import Spec, Unmapped, ordered_spec, re2_pattern
from skewless.json_schema_import import from_json_schema
from skewless.loader import loads_contract
from skewless.report import escape_name, printable
from skewless.yaml_dialect import Node, compose
from skewless.yaml_writer import dump_yaml

if TYPE_CHECKING:
    from skewless.contract import Contract, Env

EXPORT_FORMATS = ("jsonschema", "odcs", "pandera", "pydantic")
IMPORT_FORMATS = ("odcs", "jsonschema")
MAX_IMPORT_BYTES = 8 << 20  # an ODCS file can describe many tables; one is read
MAX_JSON_NESTING = 64


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
        from skewless.odcs_import import from_odcs

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


def contract_text(spec: Spec, *, origin: str) -> str:
    """The YAML of a contract built by an importer, in the key order the docs use."""
    header = f"# Imported by skewless import --from {origin}: read it, then commit it.\n"

    def block(path: tuple[str, ...]) -> bool:
        return path == ("columns",) or (len(path) == 2 and path[0] == "columns")

    return header + dump_yaml(spec, block=block)


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
    while stack:  # bounded nesting, iteratively: the importers recurse
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
