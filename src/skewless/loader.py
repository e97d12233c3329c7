"""Load a contract from YAML strictly: it loads completely or raises one `ContractError`.

The YAML dialect is deliberately small: safe tags only, no anchors or aliases (no "billion
laughs"), booleans are only true/false (so the country code `NO` stays a string), integers and
floats are decimal (no octal `012`, no sexagesimal `1:20`), and dates stay strings until the
contract's own parser reads them. Every error names the file, line, column and key path.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

import yaml

from skewless.contract import (
    COLUMN_TYPES,
    ENVS,
    UNSET,
    Column,
    Contract,
    TableChecks,
)
from skewless.errors import ContractError
from skewless.errors import ContractErrorCode as E

MAX_CONTRACT_BYTES = 1 << 20
# A contract nests 4 deep at most (columns > name > unknown > map_to); refusing deeper input
# while parsing keeps PyYAML's recursive composer from overflowing the stack.
MAX_NESTING = 20
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


# --- the YAML dialect -------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-style booleans and numbers and no implicit timestamps."""


_DROPPED = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:value",  # `=` is a plain string here
    "tag:yaml.org,2002:merge",  # so is `<<`: merges need aliases, which are refused anyway
}
_Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+"
        r"|\.[0-9]+[eE][-+]?[0-9]+)|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


def _implicit_tag(text: str) -> str:
    """The tag this dialect gives `text` written plain (without quotes or a tag)."""
    for tag, regexp in _Loader.yaml_implicit_resolvers.get(text[:1], []):
        if regexp.match(text):
            return str(tag)
    return "tag:yaml.org,2002:str"


def _scalar_value(node: yaml.ScalarNode) -> Any:
    tag, text = node.tag, node.value
    if tag == "tag:yaml.org,2002:str":
        return text
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return text.lower() == "true"
    if tag == "tag:yaml.org,2002:int":
        return int(text)
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    return float(text)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
        type(value), type(value).__name__
    )


# --- nodes with their place in the file -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Node:
    node: yaml.Node
    path: str
    file: str

    def error(self, code: E, message: str, hint: str | None = None) -> ContractError:
        mark = self.node.start_mark
        return ContractError(
            code,
            message,
            file=self.file,
            line=mark.line + 1,
            column=mark.column + 1,
            path=self.path,
            hint=hint,
        )

    def fail(self, code: E, message: str, hint: str | None = None) -> NoReturn:
        raise self.error(code, message, hint)

    def child(self, node: yaml.Node, key: str | int) -> _Node:
        sep = "" if not self.path else "."
        if isinstance(key, str) and not key.isprintable():
            key = repr(key)  # the path is shown in terminals and logs: no raw control characters
        path = f"{self.path}[{key}]" if isinstance(key, int) else f"{self.path}{sep}{key}"
        return _Node(node, path, self.file)

    def refuse_tag(self) -> None:
        """Fail on any tag but the plain ones (before looking at the node's shape)."""
        node = self.node
        if isinstance(node, yaml.ScalarNode):
            allowed = node.tag in _SCALAR_TAGS
        elif isinstance(node, yaml.MappingNode):
            allowed = node.tag == "tag:yaml.org,2002:map"
        else:
            allowed = node.tag == "tag:yaml.org,2002:seq"
        if not allowed:
            self.fail(E.UNSUPPORTED_TAG, f"tag {node.tag!r} is not allowed in a contract")

    def value(self) -> Any:
        node = self.node
        self.refuse_tag()
        if isinstance(node, yaml.ScalarNode):
            # An explicit `!!int`, `!!float`, `!!bool` or `!!null` must hold text of its kind.
            if node.tag != "tag:yaml.org,2002:str" and _implicit_tag(node.value) != node.tag:
                kind = node.tag.rsplit(":", 1)[-1]
                self.fail(
                    E.INVALID_VALUE,
                    f"{node.value!r} is not a valid !!{kind}",
                    "drop the tag: plain values are typed by the dialect",
                )
            value = _scalar_value(node)
            if isinstance(value, str) and not _encodable(value):
                self.fail(
                    E.INVALID_VALUE,
                    f"{value!r} holds a lone surrogate (invalid Unicode)",
                    'write the character itself or a \\U escape, e.g. "\\U0001F600"',
                )
            return value
        kind = "a mapping" if isinstance(node, yaml.MappingNode) else "a list"
        self.fail(E.INVALID_TYPE, f"expected a single value, found {kind}")

    def mapping(self, what: str = "a mapping") -> dict[str, tuple[_Node, _Node]]:
        node = self.node
        self.refuse_tag()
        if not isinstance(node, yaml.MappingNode):
            found = "a list" if isinstance(node, yaml.SequenceNode) else _type_name(self.value())
            self.fail(E.INVALID_TYPE, f"expected {what}, found {found}")
        out: dict[str, tuple[_Node, _Node]] = {}
        for key_node, value_node in node.value:
            key_at = _Node(key_node, self.path, self.file)
            key = key_at.value()
            if not isinstance(key, str):
                key_at.fail(
                    E.INVALID_TYPE,
                    f"keys are strings, found {_type_name(key)} {key!r}",
                    hint=f"quote it: '{key_node.value}'",
                )
            if key in out:
                first = out[key][0].node.start_mark.line + 1
                key_at.child(key_node, key).fail(
                    E.DUPLICATE_KEY, f"{key!r} appears twice (first on line {first})"
                )
            out[key] = (key_at.child(key_node, key), self.child(value_node, key))
        return out

    def sequence(self, what: str = "a list") -> list[_Node]:
        node = self.node
        self.refuse_tag()
        if not isinstance(node, yaml.SequenceNode):
            found = "a mapping" if isinstance(node, yaml.MappingNode) else _type_name(self.value())
            self.fail(E.INVALID_TYPE, f"expected {what}, found {found}")
        return [self.child(item, i) for i, item in enumerate(node.value)]

    # typed scalars

    def string(self) -> str:
        value = self.value()
        if not isinstance(value, str):
            self.fail(E.INVALID_TYPE, f"expected a string, found {_type_name(value)} {value!r}")
        return value

    def boolean(self) -> bool:
        value = self.value()
        if not isinstance(value, bool):
            hint = "write true or false" if isinstance(value, str) else None
            self.fail(
                E.INVALID_TYPE, f"expected true or false, found {_type_name(value)} {value!r}", hint
            )
        return value

    def count(self) -> int:
        value = self.value()
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(E.INVALID_TYPE, f"expected a whole number, found {_type_name(value)}")
        if value < 0:
            self.fail(E.INVALID_VALUE, f"must be 0 or more, found {value}")
        return value

    def choice(self, options: tuple[str, ...]) -> str:
        value = self.string()
        if value not in options:
            self.fail(
                E.INVALID_VALUE,
                f"{value!r} is not one of {', '.join(options)}",
                _did_you_mean(value, options),
            )
        return value


def _did_you_mean(word: str, options: tuple[str, ...] | list[str]) -> str | None:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


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
    root = _compose(text.removeprefix("\ufeff"), file)
    return _contract(_Node(root, "", file))


def _compose(text: str, file: str) -> yaml.Node:
    def error(code: E, message: str, mark: Any, hint: str | None = None) -> ContractError:
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        return ContractError(code, message, file=file, line=line, column=column, hint=hint)

    # Only blank lines and comments: empty, even with tabs (YAML would call a tab a syntax error).
    if all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise ContractError(E.EMPTY, "the contract is empty", file=file)
    documents = depth = 0
    try:
        # Refuse anchors and aliases before anything expands them.
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_NESTING:
                    raise error(
                        E.INVALID_TYPE,
                        f"nested more than {MAX_NESTING} levels deep",
                        event.start_mark,
                        hint="a contract nests 4 levels at most",
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise error(
                    E.ALIAS_NOT_ALLOWED,
                    "anchors and aliases (&name, *name) are not allowed in a contract",
                    event.start_mark,
                    hint="write each value out",
                )
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise error(
                        E.MULTIPLE_DOCUMENTS,
                        "a contract file holds one YAML document",
                        event.start_mark,
                    )
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "invalid YAML"
        hint = None
        if "\t" in text and "\\t" in message:
            hint = "YAML indentation uses spaces, not tabs"
        raise error(E.YAML_SYNTAX, message, mark, hint) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, e.g. NUL
        at = exc.position
        line_start = text.rfind("\n", 0, at) + 1
        raise ContractError(
            E.YAML_SYNTAX,
            f"character U+{exc.character:04X} is not allowed in YAML ({exc.reason})",
            file=file,
            line=text.count("\n", 0, at) + 1,
            column=at - line_start + 1,
            hint='write it as an escape in a double-quoted string, e.g. "\\x00"',
        ) from None
    except yaml.YAMLError as exc:
        raise ContractError(E.YAML_SYNTAX, str(exc), file=file) from None
    if root is None or (isinstance(root, yaml.ScalarNode) and root.value == "" and documents <= 1):
        raise ContractError(E.EMPTY, "the contract is empty", file=file)
    return root


# --- the contract -----------------------------------------------------------------------------


def _check_keys(
    keys: dict[str, tuple[_Node, _Node]],
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
        key_node.fail(E.UNKNOWN_KEY, f"unknown key {key!r}", _did_you_mean(key, allowed))


def _contract(root: _Node) -> Contract:
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
            f"expected a version string, found {_type_name(version)} {version!r}",
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
    for col_name, (key_at, body_at) in columns_map.items():
        if col_name == "" or _CONTROL.search(col_name):
            key_at.fail(E.INVALID_VALUE, f"{col_name!r} is not a usable column name")
        columns.append(_column(col_name, body_at, timezone))
    by_name = {c.name: c for c in columns}

    checks = TableChecks()
    if "checks" in keys:
        checks = _table_checks(keys["checks"][1], by_name)

    return Contract(
        name=name,
        version=version,
        columns=tuple(columns),
        owner=owner,
        description=description,
        timezone=timezone,
        extra_columns=extra,  # type: ignore[arg-type]
        checks=checks,
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


def _zone(at: _Node) -> str:
    zone = at.string()
    if zone in ("UTC", "Z") or zone in _known_zones():
        return "UTC" if zone == "Z" else zone
    hint = _did_you_mean(zone, sorted(_known_zones()))
    if re.fullmatch(r"[+-]\d{2}:?\d{2}", zone):
        hint = "use an IANA zone such as UTC or Europe/Paris; fixed offsets are not zones"
    at.fail(E.UNKNOWN_TIMEZONE, f"{zone!r} is not an IANA time zone", hint)


def _column(name: str, at: _Node, default_zone: str | None) -> Column:
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
            else _did_you_mean(ctype, COLUMN_TYPES)
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

    def get(key: str) -> _Node | None:
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
            val["cadence"] = _duration(node)

    if (node := get("fill_null")) is not None:
        if not val.get("nullable", False):
            node.fail(
                E.INVALID_VALUE,
                "fill_null needs nullable: true (a non-nullable column has no nulls to fill)",
            )
        val["fill_null"] = _fill_value(node, Column(**val))
    column = Column(**val)
    return column


def _bound(at: _Node, ctype: str) -> int | float:
    value = at.value()
    if isinstance(value, bool) or not isinstance(value, int | float):
        at.fail(E.INVALID_TYPE, f"expected a number, found {_type_name(value)} {value!r}")
    if ctype == "integer" and not isinstance(value, int):
        at.fail(E.INVALID_TYPE, f"an integer column takes whole-number bounds, found {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        at.fail(E.INVALID_VALUE, f"bounds are finite numbers, found {value!r}")
    if ctype == "integer" and not -(2**63) <= value <= 2**63 - 1:
        at.fail(E.INVALID_VALUE, f"{value} is outside the 64-bit integer range")
    return value


def _duration(at: _Node) -> str:
    text = at.string()
    if not _DURATION.fullmatch(text):
        at.fail(
            E.INVALID_VALUE,
            f"{text!r} is not a duration",
            "a whole number and a unit: ms, s, min, h or d, e.g. 5min",
        )
    return text


def duration_us(text: str) -> int:
    """Microseconds in a contract duration such as '5min'."""
    match = _DURATION.fullmatch(text)
    assert match is not None
    return int(match.group(1)) * DURATION_UNITS_US[match.group(2)]


def _string_keys(keys: dict[str, tuple[_Node, _Node]], val: dict[str, Any]) -> None:
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


def _category_keys(at: _Node, keys: dict[str, tuple[_Node, _Node]], val: dict[str, Any]) -> None:
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
                f"category values are strings, found {_type_name(raw)} {raw!r}",
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
                _did_you_mean(str(target), values),
            )
        val["map_to"] = target


def _fill_value(at: _Node, column: Column) -> Any:
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


def _table_checks(at: _Node, by_name: dict[str, Column]) -> TableChecks:
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
                        _did_you_mean(col, list(by_name)),
                    )
                if col in group:
                    item.fail(E.DUPLICATE_KEY, f"{col!r} is listed twice in one key")
                group.append(col)
            if not group:
                group_at.fail(E.INVALID_VALUE, "a unique key names at least one column")
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
