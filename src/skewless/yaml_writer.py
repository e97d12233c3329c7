"""Plain data (dicts, lists, text, numbers, booleans, None) as block YAML that YAML 1.1, YAML 1.2
and the contract's own dialect all read back as the same values: how `skewless export --to
odcs` and `skewless import` write their files.

    >>> print(dump_yaml({"name": "orders", "tags": ["pii", "no"]}), end="")
    name: orders
    tags: [pii, "no"]

Text that must be quoted goes through `yaml_dialect.quoted`, the one double-quoting rule. The
plain-or-quoted test here is wider than `yaml_dialect.scalar`'s (it keeps descriptions such as
`Orders placed online` plain), because foreign documents hold prose, not identifiers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import yaml

from skewless.yaml_dialect import implicit_tag, quoted


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
        head = f"{pad}{_scalar(key)}:"
        if len(head) > 1000:  # YAML's implicit keys end at 1024 characters: an explicit key
            lines.append(f"{pad}? {_scalar(key)}")
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
            lines.append(f"{head} {_scalar(item)}")


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
            lines.append(f"{pad}- {_scalar(item)}")


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
            "{"
            + ", ".join(f"{_scalar(k, True)}: {_scalar(v, True)}" for k, v in value.items())
            + "}"
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
                parts.append(_scalar(item, True))
        return "[" + ", ".join(parts) + "]"
    return None if in_list else _scalar(value)


_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` ")
_FLOW_INDICATORS = frozenset(",[]{}:?")
_YAML_1_1 = yaml.resolver.Resolver()
_YAML_1_2 = re.compile(  # the YAML 1.2 core schema's non-strings
    r"[-+]?(?:[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|\.(?:inf|Inf|INF))|\.(?:nan|NaN|NAN)|true|True|TRUE|false|False|FALSE|null|Null|NULL|~"
)


def _scalar(value: Any, flow: bool = False) -> str:
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


__all__ = ["dump_yaml"]
