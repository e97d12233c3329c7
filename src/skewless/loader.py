"""Load a contract from YAML strictly: it loads completely or raises one `ContractError`.

The YAML dialect is deliberately small: safe tags only, no anchors or aliases (no "billion
laughs"), booleans are only true/false (so the country code `NO` stays a string), integers and
floats are decimal (no octal `012`, no sexagesimal `1:20`), and dates stay strings until the
contract's own parser reads them. Every error names the file, line, column and key path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from skewless.contract import (
    COLUMN_TYPES,
    DRIFT_DEFAULTS,
    ENVS,
    UNSET,
    Column,
    Contract,
    DriftLimits,
    TableChecks,
)
from skewless.errors import ContractError
from skewless.errors import ContractErrorCode as E
from skewless.yaml_dialect import Node, compose, did_you_mean, type_name

MAX_CONTRACT_BYTES = 1 << 20
_CONTRACT_NAME = re.compile(r"[a-z][a-z0-9_]*")
_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

TOP_KEYS = (
    "contract",
    "version",
    "owner",
    "description",
    "timezone",
    "extra_columns",
    "columns",
    "checks",
    "drift",
)
COMMON_KEYS = (
    "type",
    "description",
    "nullable",
    "fill_null",
    "required",
    "unique",
    "coerce",
    "only_in",
    "pii",
    "drift",
)
KEYS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "integer": ("min", "max"),
    "float": ("min", "max", "allow_nan", "allow_inf"),
    "boolean": (),
    "string": ("pattern", "min_length", "max_length", "charset", "allow_control"),
    "category": ("values", "unknown"),
    "datetime": ("timezone", "naive", "other_zones", "cadence"),
    "date": (),
}
ALL_COLUMN_KEYS = tuple(
    dict.fromkeys(COMMON_KEYS + tuple(k for ks in KEYS_BY_TYPE.values() for k in ks))
)
NOT_YET: dict[str, str] = {}
_DURATION = re.compile(r"([1-9][0-9]*)(ms|s|min|h|d)")
DURATION_UNITS_US = {
    "ms": 1_000,
    "s": 1_000_000,
    "min": 60_000_000,
    "h": 3_600_000_000,
    "d": 86_400_000_000,
}
TYPE_ALIASES = {
    "int": "integer",
    "int64": "integer",
    "str": "string",
    "text": "string",
    "bool": "boolean",
    "double": "float",
    "number": "float",
    "timestamp": "datetime",
    "enum": "category",
    "categorical": "category",
}


# --- entry points -----------------------------------------------------------------------------


def load_contract(path: str | Path) -> Contract:
    """Read, parse and check a contract file; raise `ContractError` on any problem."""
    file = str(path)
    p = Path(path)
    try:
        if p.is_dir():
            raise ContractError(E.UNREADABLE, "is a directory, not a contract file", file=file)
        size = p.stat().st_size
        if size > MAX_CONTRACT_BYTES:
            raise ContractError(
                E.TOO_LARGE,
                f"{size} bytes; contracts are limited to {MAX_CONTRACT_BYTES}",
                file=file,
            )
        data = p.read_bytes()
    except FileNotFoundError:
        raise ContractError(E.UNREADABLE, "no such file", file=file) from None
    except OSError as exc:
        raise ContractError(E.UNREADABLE, exc.strerror or str(exc), file=file) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        raise ContractError(
            E.UNREADABLE,
            f"not UTF-8 (byte {exc.start} is {data[exc.start]:#04x})",
            file=file,
            line=data.count(b"\n", 0, exc.start) + 1,
            column=exc.start - line_start + 1,
        ) from None
    return loads_contract(text, file=file)


def loads_contract(text: str, *, file: str = "<string>") -> Contract:
    """Parse a contract from YAML text (see `load_contract`)."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CONTRACT_BYTES:
        raise ContractError(E.TOO_LARGE, f"contracts are limited to {MAX_CONTRACT_BYTES} bytes")
    root = compose(text.removeprefix("\ufeff"), file)
    return _contract(Node(root, "", file))


# --- the contract -----------------------------------------------------------------------------


def _check_keys(
    keys: dict[str, tuple[Node, Node]],
    allowed: tuple[str, ...],
    elsewhere: Callable[[str], str | None] = lambda _k: None,
) -> None:
    for key, (key_node, _) in keys.items():
        if key in allowed:
            continue
        where = elsewhere(key)
        if where is not None:
            key_node.fail(E.NOT_APPLICABLE, where)
        if key in NOT_YET:
            key_node.fail(E.UNSUPPORTED_KEY, NOT_YET[key])
        key_node.fail(E.UNKNOWN_KEY, f"unknown key {key!r}", did_you_mean(key, allowed))


def _contract(root: Node) -> Contract:
    keys = root.mapping("a mapping of contract keys (contract, version, columns, ...)")
    _check_keys(keys, TOP_KEYS)
    for required in ("contract", "version", "columns"):
        if required not in keys:
            root.fail(E.MISSING_KEY, f"missing required key {required!r}")

    name_at = keys["contract"][1]
    name = name_at.string()
    if not _CONTRACT_NAME.fullmatch(name):
        name_at.fail(
            E.INVALID_VALUE,
            f"{name!r} is not a contract identifier",
            "lower case letters, digits and _, starting with a letter",
        )
    version_at = keys["version"][1]
    version = version_at.value()
    if not isinstance(version, str):
        version_at.fail(
            E.INVALID_TYPE,
            f"expected a version string, found {type_name(version)} {version!r}",
            "a semantic version such as 1.0.0",
        )
    if not _SEMVER.fullmatch(version):
        version_at.fail(
            E.INVALID_VALUE, f"{version!r} is not a semantic version", "for example 1.0.0"
        )
    owner = keys["owner"][1].string() if "owner" in keys else None
    description = keys["description"][1].string() if "description" in keys else None
    timezone = _zone(keys["timezone"][1]) if "timezone" in keys else None
    extra = (
        keys["extra_columns"][1].choice(("reject", "allow", "drop"))
        if "extra_columns" in keys
        else "reject"
    )

    columns_at = keys["columns"][1]
    columns_map = columns_at.mapping("a mapping of column names to their rules")
    if not columns_map:
        columns_at.fail(E.INVALID_VALUE, "a contract declares at least one column")
    columns = []
    names = tuple(columns_map)
    for col_name, (key_at, body_at) in columns_map.items():
        if col_name == "" or _CONTROL.search(col_name):
            key_at.fail(E.INVALID_VALUE, f"{col_name!r} is not a usable column name")
        columns.append(_column(col_name, body_at, timezone, names))
    by_name = {c.name: c for c in columns}
    for column in columns:
        if column.cadence_by:
            _cadence_groups(column, by_name, columns_map[column.name][1])

    checks = TableChecks()
    if "checks" in keys:
        checks = _table_checks(keys["checks"][1], by_name)
    drift = _drift(keys["drift"][1]) if "drift" in keys else ()

    return Contract(
        name=name,
        version=version,
        columns=tuple(columns),
        owner=owner,
        description=description,
        timezone=timezone,
        extra_columns=extra,  # type: ignore[arg-type]
        checks=checks,
        drift=drift,
        source=root.file,
    )


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    """Zone names from the tzdata package, so a contract loads the same on every machine.

    (The system's zone directory varies, and holds `localtime`, the machine's own zone: a
    contract must mean the same instant everywhere.)
    """
    from importlib import resources

    try:
        names = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - tzdata is a dependency
        import zoneinfo

        names = sorted(zoneinfo.available_timezones())
    return frozenset(names) - {"localtime"}


def _zone(at: Node) -> str:
    zone = at.string()
    if zone in ("UTC", "Z") or zone in _known_zones():
        return "UTC" if zone == "Z" else zone
    hint = did_you_mean(zone, sorted(_known_zones()))
    if re.fullmatch(r"[+-]\d{2}:?\d{2}", zone):
        hint = "use an IANA zone such as UTC or Europe/Paris; fixed offsets are not zones"
    at.fail(E.UNKNOWN_TIMEZONE, f"{zone!r} is not an IANA time zone", hint)


def _column(name: str, at: Node, default_zone: str | None, names: tuple[str, ...]) -> Column:
    keys = at.mapping(f"a mapping of rules for column {name!r}")
    if "type" not in keys:
        at.fail(
            E.MISSING_KEY, f"column {name!r} has no 'type'", "one of " + ", ".join(COLUMN_TYPES)
        )
    type_at = keys["type"][1]
    ctype = type_at.string()
    if ctype not in COLUMN_TYPES:
        hint = (
            f"did you mean {TYPE_ALIASES[ctype]!r}?"
            if ctype in TYPE_ALIASES
            else did_you_mean(ctype, COLUMN_TYPES)
        )
        type_at.fail(E.INVALID_VALUE, f"{ctype!r} is not a column type", hint)

    allowed = COMMON_KEYS + KEYS_BY_TYPE[ctype]

    def elsewhere(key: str) -> str | None:
        owners = [t for t, ks in KEYS_BY_TYPE.items() if key in ks]
        if owners:
            return f"{key!r} applies to {' and '.join(owners)} columns, not {ctype}"
        return None

    _check_keys(keys, allowed, elsewhere)
    val: dict[str, Any] = {"name": name, "type": ctype, "line": at.node.start_mark.line + 1}

    def get(key: str) -> Node | None:
        return keys[key][1] if key in keys else None

    for key in ("nullable", "required", "unique", "coerce", "pii", "allow_nan", "allow_inf"):
        if (node := get(key)) is not None:
            val[key] = node.boolean()
    if (node := get("allow_control")) is not None:
        val["allow_control"] = node.boolean()
    if (node := get("description")) is not None:
        val["description"] = node.string()
    if (node := get("only_in")) is not None:
        val["only_in"] = node.choice(ENVS)
    if (node := get("drift")) is not None:
        val["drift"] = _drift(node)

    if ctype in ("integer", "float"):
        for key in ("min", "max"):
            if (node := get(key)) is not None:
                val[key] = _bound(node, ctype)
        if val.get("min") is not None and val.get("max") is not None and val["min"] > val["max"]:
            keys["min"][1].fail(E.INVALID_VALUE, f"min {val['min']} is above max {val['max']}")
    if ctype == "string":
        _string_keys(keys, val)
    if ctype == "category":
        _category_keys(at, keys, val)
    if ctype == "datetime":
        zone_at = get("timezone")
        zone = _zone(zone_at) if zone_at is not None else default_zone
        if zone is None:
            at.fail(
                E.MISSING_KEY,
                f"datetime column {name!r} needs a timezone",
                "set 'timezone' on the column or at the top of the contract",
            )
        val["timezone"] = zone
        if (node := get("naive")) is not None:
            val["naive"] = node.choice(("reject", "assume"))
        if (node := get("other_zones")) is not None:
            val["other_zones"] = node.choice(("convert", "reject"))
        if (node := get("cadence")) is not None:
            val["cadence"], val["cadence_by"] = _cadence(node, name, names)

    if (node := get("fill_null")) is not None:
        if not val.get("nullable", False):
            node.fail(
                E.INVALID_VALUE,
                "fill_null needs nullable: true (a non-nullable column has no nulls to fill)",
            )
        if isinstance(node.node, yaml.MappingNode):
            val["fill_freeze"], value_at = _freeze(node, Column(**val))
            if value_at is not None:
                val["fill_null"] = _fill_value(value_at, Column(**val))
        else:
            val["fill_null"] = _fill_value(node, Column(**val))
    column = Column(**val)
    return column


def _bound(at: Node, ctype: str) -> int | float:
    value = at.value()
    if isinstance(value, bool) or not isinstance(value, int | float):
        at.fail(E.INVALID_TYPE, f"expected a number, found {type_name(value)} {value!r}")
    if ctype == "integer" and not isinstance(value, int):
        at.fail(E.INVALID_TYPE, f"an integer column takes whole-number bounds, found {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        at.fail(E.INVALID_VALUE, f"bounds are finite numbers, found {value!r}")
    if ctype == "integer" and not -(2**63) <= value <= 2**63 - 1:
        at.fail(E.INVALID_VALUE, f"{value} is outside the 64-bit integer range")
    return value


def _duration(at: Node) -> str:
    text = at.string()
    if not _DURATION.fullmatch(text):
        at.fail(
            E.INVALID_VALUE,
            f"{text!r} is not a duration",
            "a whole number and a unit: ms, s, min, h or d, e.g. 5min",
        )
    return text


def _cadence(at: Node, name: str, names: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """`cadence: 5min`, or `cadence: {every: 5min, by: user_id}` (a column or a list of them):
    the spacing, and the columns whose values group the rows judged together."""
    if not isinstance(at.node, yaml.MappingNode):
        return _duration(at), ()
    keys = at.mapping("a duration such as 5min, or {every: 5min, by: COLUMN}")
    _check_keys(keys, ("every", "by"))
    if "every" not in keys:
        at.fail(E.MISSING_KEY, "cadence needs 'every'", "for example {every: 5min, by: user_id}")
    every = _duration(keys["every"][1])
    if "by" not in keys:
        return every, ()
    by_at = keys["by"][1]
    items = (
        by_at.sequence("a list of column names")
        if isinstance(by_at.node, yaml.SequenceNode)
        else [by_at]
    )
    if not items:
        by_at.fail(E.INVALID_VALUE, "cadence by names at least one column")
    by: list[str] = []
    for item in items:
        other = item.string()
        if other not in names:
            item.fail(
                E.UNKNOWN_COLUMN,
                f"{other!r} is not a column of this contract",
                did_you_mean(other, list(names)),
            )
        if other == name:
            item.fail(E.INVALID_VALUE, f"cadence of {name!r} cannot be grouped by {name!r} itself")
        if other in by:
            item.fail(E.DUPLICATE_KEY, f"{other!r} is listed twice in cadence by")
        by.append(other)
    return every, tuple(by)


def _cadence_groups(column: Column, by_name: dict[str, Column], at: Node) -> None:
    """A group column must be there wherever the cadence column is (no group: no verdict), and
    is not grouped itself (groups of groups would chain)."""
    by_at = at.mapping()["cadence"][1].mapping()["by"][1]
    items = by_at.sequence() if isinstance(by_at.node, yaml.SequenceNode) else [by_at]
    for other, item in zip(column.cadence_by, items, strict=True):
        group = by_name[other]
        if not group.required:
            item.fail(
                E.INVALID_VALUE,
                f"cadence by {other!r}: a group column must be present wherever {column.name!r} is",
                f"make {other!r} required",
            )
        if group.only_in not in (None, column.only_in):
            item.fail(
                E.INVALID_VALUE,
                f"cadence by {other!r}: {other!r} is only in {group.only_in} data, "
                f"{column.name!r} is {'only in ' + column.only_in if column.only_in else 'in all'}",
                f"drop only_in from {other!r}",
            )
        if group.cadence_by:
            item.fail(
                E.INVALID_VALUE,
                f"cadence by {other!r}: {other!r} has a grouped cadence itself",
                "group by the columns it is grouped by",
            )


def duration_us(text: str) -> int:
    """Microseconds in a contract duration such as '5min'."""
    match = _DURATION.fullmatch(text)
    assert match is not None
    return int(match.group(1)) * DURATION_UNITS_US[match.group(2)]


def _string_keys(keys: dict[str, tuple[Node, Node]], val: dict[str, Any]) -> None:
    if "min_length" in keys:
        val["min_length"] = keys["min_length"][1].count()
    if "max_length" in keys:
        val["max_length"] = keys["max_length"][1].count()
        if val["max_length"] == 0:
            keys["max_length"][1].fail(E.INVALID_VALUE, "max_length 0 allows only empty strings")
    lo, hi = val.get("min_length"), val.get("max_length")
    if lo is not None and hi is not None and lo > hi:
        keys["min_length"][1].fail(E.INVALID_VALUE, f"min_length {lo} is above max_length {hi}")
    if "charset" in keys:
        val["charset"] = keys["charset"][1].choice(("unicode", "bmp", "ascii"))
    if "pattern" in keys:
        at = keys["pattern"][1]
        pattern = at.string()
        problem = pattern_problem(pattern)
        if problem is not None:
            hint = None
            if re.search(r"\\[1-9]|\(\?[=!<]", pattern):
                hint = "RE2 has no backreferences or lookaround; they can take exponential time"
            at.fail(E.INVALID_PATTERN, f"RE2 cannot compile {pattern!r}: {problem}", hint)
        val["pattern"] = pattern


def pattern_problem(pattern: str) -> str | None:
    """Why RE2 cannot compile `pattern`, or None when it can."""
    from skewless.checks import compile_pattern

    try:
        compile_pattern(pattern)
    except ValueError as exc:
        return str(exc)
    return None


def _category_keys(at: Node, keys: dict[str, tuple[Node, Node]], val: dict[str, Any]) -> None:
    if "values" not in keys:
        at.fail(E.MISSING_KEY, "a category column lists its 'values'")
    values_at = keys["values"][1]
    items = values_at.sequence("a list of category values")
    if not items:
        values_at.fail(E.INVALID_VALUE, "a category column needs at least one value")
    values: list[str] = []
    for item in items:
        raw = item.value()
        if not isinstance(raw, str):
            item.fail(
                E.INVALID_TYPE,
                f"category values are strings, found {type_name(raw)} {raw!r}",
                hint=f"quote it: '{item.node.value}'",
            )
        if _CONTROL.search(raw):
            item.fail(E.INVALID_VALUE, f"{raw!r} holds a control character")
        if raw in values:
            item.fail(E.DUPLICATE_KEY, f"{raw!r} is listed twice")
        values.append(raw)
    val["values"] = tuple(values)
    if "unknown" in keys:
        unknown_at = keys["unknown"][1]
        if isinstance(unknown_at.node, yaml.ScalarNode):
            unknown_at.choice(("reject",))
            return
        spec = unknown_at.mapping("'reject' or {map_to: VALUE}")
        _check_keys(spec, ("map_to",))
        if "map_to" not in spec:
            unknown_at.fail(E.MISSING_KEY, "missing 'map_to'")
        map_at = spec["map_to"][1]
        target = map_at.value()
        if target not in values:
            map_at.fail(
                E.MAP_TO_NOT_IN_VALUES,
                f"map_to {target!r} is not one of the column's values",
                did_you_mean(str(target), values),
            )
        val["map_to"] = target


FREEZE_STATISTICS = ("median", "mean", "mode")


def _freeze(at: Node, column: Column) -> tuple[str, Node | None]:
    """`fill_null: {freeze: median, value: 37}`: the statistic, and the node of the value
    `skewless freeze` wrote (None until it runs)."""
    keys = at.mapping("a fill value, or {freeze: median|mean|mode}")
    _check_keys(keys, ("freeze", "value"))
    if "freeze" not in keys:
        at.fail(E.MISSING_KEY, "fill_null needs 'freeze'", "for example {freeze: median}")
    freeze_at = keys["freeze"][1]
    statistic = freeze_at.choice(FREEZE_STATISTICS)
    if statistic != "mode" and column.type not in ("integer", "float"):
        freeze_at.fail(
            E.INVALID_VALUE,
            f"{statistic} applies to integer and float columns, not {column.type}",
            "use mode",
        )
    if statistic == "mode" and column.pii:
        freeze_at.fail(
            E.INVALID_VALUE,
            "the mode of a pii column is one person's value: it would be written into the contract",
            "write a literal fill_null",
        )
    return statistic, keys["value"][1] if "value" in keys else None


def _fill_value(at: Node, column: Column) -> Any:
    from skewless.checks import first_failure
    from skewless.dtypes import convert_scalar

    raw = at.value()
    if raw is None:
        at.fail(E.FILL_NULL_INVALID, "fill_null cannot be null")
    # Dates and datetimes are written as ISO strings in YAML: read them as text.
    text = column.type in ("datetime", "date") and isinstance(raw, str)
    value, failure = convert_scalar(column, raw, text=text)
    if failure is not None:
        at.fail(E.FILL_NULL_INVALID, f"fill_null {raw!r} fails the column: {failure.message}")
    if column.type == "category" and value not in column.values:
        at.fail(E.FILL_NULL_INVALID, f"fill_null {raw!r} is not one of the column's values")
    kind = first_failure(column, value)
    if kind is not None:
        at.fail(
            E.FILL_NULL_INVALID,
            f"fill_null {raw!r} fails the column: {kind.code.value}, {kind.message(column)}",
        )
    return value


def _drift(at: Node) -> DriftLimits:
    """`drift: {ks: 0.1, min_rows: 5000, ...}`: thresholds for drift checks (docs/drift.md)."""
    keys = at.mapping("a mapping of drift thresholds (ks, psi, chi2, js, null_rate, ...)")
    _check_keys(keys, tuple(DRIFT_DEFAULTS))
    out: list[tuple[str, float]] = []
    for key, (_, node) in keys.items():
        if key == "min_rows":
            out.append((key, node.count()))
            continue
        value = node.value()
        if isinstance(value, bool) or not isinstance(value, int | float):
            node.fail(E.INVALID_TYPE, f"expected a number, found {type_name(value)} {value!r}")
        top = 1.0 if key in ("ks", "js", "null_rate", "unseen_rate", "alpha") else math.inf
        if not 0 < value <= top or (key == "alpha" and value >= 1):
            bounds = "between 0 and 1" if top == 1.0 else "above 0"
            node.fail(E.INVALID_VALUE, f"drift {key} {value!r} is not {bounds}")
        out.append((key, float(value)))
    return tuple(out)


def _table_checks(at: Node, by_name: dict[str, Column]) -> TableChecks:
    keys = at.mapping("a mapping of table checks (unique, rows)")
    _check_keys(keys, ("unique", "rows"))
    unique: list[tuple[str, ...]] = []
    if "unique" in keys:
        for group_at in keys["unique"][1].sequence("a list of column lists"):
            group: list[str] = []
            for item in group_at.sequence("a list of column names, e.g. [user_id, day]"):
                col = item.string()
                if col not in by_name:
                    item.fail(
                        E.UNKNOWN_COLUMN,
                        f"{col!r} is not a column of this contract",
                        did_you_mean(col, list(by_name)),
                    )
                if col in group:
                    item.fail(E.DUPLICATE_KEY, f"{col!r} is listed twice in one key")
                group.append(col)
            if not group:
                group_at.fail(E.INVALID_VALUE, "a unique key names at least one column")
            if any(set(group) == set(earlier) for earlier in unique):
                # Listed twice, each would report every repeat again under the same code.
                group_at.fail(E.DUPLICATE_KEY, f"the key {group} is already listed")
            unique.append(tuple(group))
    rows_min = rows_max = None
    if "rows" in keys:
        rows = keys["rows"][1].mapping("{min: N, max: N}")
        _check_keys(rows, ("min", "max"))
        if "min" in rows:
            rows_min = rows["min"][1].count()
        if "max" in rows:
            rows_max = rows["max"][1].count()
        if rows_min is not None and rows_max is not None and rows_min > rows_max:
            rows["min"][1].fail(E.INVALID_VALUE, f"rows min {rows_min} is above max {rows_max}")
    return TableChecks(unique=tuple(unique), rows_min=rows_min, rows_max=rows_max)


__all__ = ["UNSET", "load_contract", "loads_contract", "pattern_problem"]
