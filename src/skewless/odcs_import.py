"""A contract from an ODCS data contract (v3.0.x or v3.1.0): `skewless import --from odcs`.

    >>> spec, unmapped = from_odcs(document, source="orders.odcs.yaml")

The document is checked to be ODCS this module reads, then one schema object becomes the
contract: its name, version, owner (v3.1's team name or v3.0's owner member), description and
the contract-wide `skewless...` custom properties here; each property as a column in
`skewless.odcs_columns`; quality rules in `skewless.odcs_quality`. Servers, prices, roles and
service levels have no place in a contract and are reported in `unmapped`, never dropped
silently. The mapping, key by key: docs/interop.md.
"""

from __future__ import annotations

import math
from typing import Any

from skewless.errors import InputError
from skewless.import_spec import (
    Spec,
    Unmapped,
    column_name_problem,
    contract_name,
    finite,
    known_zone,
    ordered_spec,
    semantic_version,
    usable_text,
)
from skewless.odcs_columns import column_from_property, custom_properties
from skewless.odcs_quality import table_quality
from skewless.report import escape, escape_name

READ_VERSIONS = ("v3.0.0", "v3.0.1", "v3.0.2", "v3.1.0")
_TOP_CUSTOM = ("Timezone", "ExtraColumns", "Drift")
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
        column = column_from_property(name, prop, top_zone, unmapped)
        if column is None:
            continue
        columns[name] = column
        if prop.get("primaryKey") is True:
            position = prop.get("primaryKeyPosition")
            place = float(position) if finite(position) and position > 0 else math.inf
            keys.append((place, index, name))
    if not columns:
        why = "; ".join(unmapped.result()[-3:])
        raise InputError(source, f"no property could be imported as a column ({why})")
    spec["columns"] = columns
    unique = table_quality(table.get("quality"), columns, unmapped, spec)
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
    custom = custom_properties(
        document.get("customProperties"), "customProperties", _TOP_CUSTOM, unmapped
    )
    custom |= custom_properties(
        table.get("customProperties"), "schema customProperties", (), unmapped
    )
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


__all__ = ["READ_VERSIONS", "from_odcs"]
