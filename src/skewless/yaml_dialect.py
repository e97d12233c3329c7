"""The YAML dialect of contracts, and YAML nodes that remember where they are in the file.

The dialect is deliberately small: safe tags only, no anchors or aliases (no "billion laughs"),
nesting bounded before PyYAML's recursive composer can overflow, booleans are only true/false
(so the country code `NO` stays a string), integers and floats are decimal (no octal `012`, no
sexagesimal `1:20`), and dates stay strings until the contract's own parser reads them.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any, NoReturn

import yaml

from skewless.errors import ContractError
from skewless.errors import ContractErrorCode as E

# A contract nests 4 deep at most (columns > name > unknown > map_to); refusing deeper input
# while parsing keeps PyYAML's recursive composer from overflowing the stack.
MAX_NESTING = 20

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


def implicit_tag(text: str) -> str:
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


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- writing scalars back --------------------------------------------------------------------

_QUOTE_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
# Read as booleans or null by YAML 1.1 readers (the contract's dialect reads them as text, but a
# contract is read by other tools too): always quoted.
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "nan", "inf"}


def quoted(text: str) -> str:
    """A double-quoted YAML scalar: printable characters as they are, the others escaped."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _QUOTE_ESCAPES:
            out.append(_QUOTE_ESCAPES[ch])
        elif ch.isprintable() and code != 0xFEFF:
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def scalar(text: str) -> str:
    """`text` as a YAML scalar that reads back as exactly this string, in this dialect and in
    YAML 1.1 readers: plain when that is safe (Other, en-US, a/b.c), else double-quoted."""
    if (
        _PLAIN.fullmatch(text)
        and text.lower() not in _RESERVED
        and implicit_tag(text) == "tag:yaml.org,2002:str"
    ):
        return text
    return quoted(text)


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
        type(value), type(value).__name__
    )


# --- nodes with their place in the file -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Node:
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

    def child(self, node: yaml.Node, key: str | int) -> Node:
        sep = "" if not self.path else "."
        if isinstance(key, str) and not key.isprintable():
            key = repr(key)  # the path is shown in terminals and logs: no raw control characters
        path = f"{self.path}[{key}]" if isinstance(key, int) else f"{self.path}{sep}{key}"
        return Node(node, path, self.file)

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
            if node.tag != "tag:yaml.org,2002:str" and implicit_tag(node.value) != node.tag:
                kind = node.tag.rsplit(":", 1)[-1]
                self.fail(
                    E.INVALID_VALUE,
                    f"{node.value!r} is not a valid !!{kind}",
                    "drop the tag: plain values are typed by the dialect",
                )
            value = _scalar_value(node)
            if isinstance(value, str) and not encodable(value):
                self.fail(
                    E.INVALID_VALUE,
                    f"{value!r} holds a lone surrogate (invalid Unicode)",
                    'write the character itself or a \\U escape, e.g. "\\U0001F600"',
                )
            return value
        kind = "a mapping" if isinstance(node, yaml.MappingNode) else "a list"
        self.fail(E.INVALID_TYPE, f"expected a single value, found {kind}")

    def mapping(self, what: str = "a mapping") -> dict[str, tuple[Node, Node]]:
        node = self.node
        self.refuse_tag()
        if not isinstance(node, yaml.MappingNode):
            found = "a list" if isinstance(node, yaml.SequenceNode) else type_name(self.value())
            self.fail(E.INVALID_TYPE, f"expected {what}, found {found}")
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key_at = Node(key_node, self.path, self.file)
            key = key_at.value()
            if not isinstance(key, str):
                key_at.fail(
                    E.INVALID_TYPE,
                    f"keys are strings, found {type_name(key)} {key!r}",
                    hint=f"quote it: '{key_node.value}'",
                )
            if key in out:
                first = out[key][0].node.start_mark.line + 1
                key_at.child(key_node, key).fail(
                    E.DUPLICATE_KEY, f"{key!r} appears twice (first on line {first})"
                )
            out[key] = (key_at.child(key_node, key), self.child(value_node, key))
        return out

    def sequence(self, what: str = "a list") -> list[Node]:
        node = self.node
        self.refuse_tag()
        if not isinstance(node, yaml.SequenceNode):
            found = "a mapping" if isinstance(node, yaml.MappingNode) else type_name(self.value())
            self.fail(E.INVALID_TYPE, f"expected {what}, found {found}")
        return [self.child(item, i) for i, item in enumerate(node.value)]

    # typed scalars

    def string(self) -> str:
        value = self.value()
        if not isinstance(value, str):
            self.fail(E.INVALID_TYPE, f"expected a string, found {type_name(value)} {value!r}")
        return value

    def boolean(self) -> bool:
        value = self.value()
        if not isinstance(value, bool):
            hint = "write true or false" if isinstance(value, str) else None
            self.fail(
                E.INVALID_TYPE, f"expected true or false, found {type_name(value)} {value!r}", hint
            )
        return value

    def count(self) -> int:
        value = self.value()
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(E.INVALID_TYPE, f"expected a whole number, found {type_name(value)}")
        if value < 0:
            self.fail(E.INVALID_VALUE, f"must be 0 or more, found {value}")
        return value

    def choice(self, options: tuple[str, ...]) -> str:
        value = self.string()
        if value not in options:
            self.fail(
                E.INVALID_VALUE,
                f"{value!r} is not one of {', '.join(options)}",
                did_you_mean(value, options),
            )
        return value


def did_you_mean(word: str, options: tuple[str, ...] | list[str]) -> str | None:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def compose(text: str, file: str) -> yaml.Node:
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
