r"""Contract patterns (RE2, full match) spelled in ECMA-262, the regex dialect of JSON Schema, so
that Python's `re` (jsonschema, schemathesis) reads them the same way too.

    >>> ecma_pattern("^[A-Z]{2}$")
    '^(?:[A-Z]{2})$(?!\\n)'
    >>> ecma_pattern("(?i)abc") is None         # no faithful spelling: the caller leaves it out

Where the engines differ, the translation spells RE2's meaning out: `\d`, `\w`, `\s` are ASCII in
RE2 (Python's take any Unicode digit), `.` excludes `\n` only (ECMA-262's also `\r`), `$` is the
end of the text (Python's also matches before a final newline), `{,3}` is text (a repeat in
Python). What has no spelling both engines read alike (flags, `\b`, `\pL`, `\C`, code points past
U+FFFF) gives None. `tests/test_json_schema.py` compares every translation with RE2.
"""

from __future__ import annotations

import re

from skewless.checks import RE2_SPACE, posix_class

END = "$(?!\\n)"  # the end of the text: Python's `$` also matches before a final newline


class _Untranslatable(ValueError):
    pass


_OUTSIDE = {
    "d": "[0-9]",
    "D": "[^0-9]",
    "w": "[0-9A-Za-z_]",
    "W": "[^0-9A-Za-z_]",
    "s": f"[{RE2_SPACE}]",
    "S": f"[^{RE2_SPACE}]",
    "A": "^",
    "z": END,
}
_INSIDE = {"d": "0-9", "w": "0-9A-Za-z_", "s": RE2_SPACE}
_CONTROL_ESCAPES = {"t": "\\t", "n": "\\n", "r": "\\r", "f": "\\f", "v": "\\v", "a": "\\x07"}
_SYNTAX = frozenset("^$\\.*+?()[]{}|/")  # ECMA-262 escapes these only (in `u` patterns)
_REPEAT = re.compile(r"\{[0-9]+(?:,[0-9]*)?\}")
_HEX = re.compile(r"\\x(?:\{([0-9A-Fa-f]{1,6})\}|([0-9A-Fa-f]{2}))")


def ecma_pattern(pattern: str) -> str | None:
    """A contract pattern (RE2, full match) as an ECMA-262 pattern matching the whole value,
    which Python's `re` reads the same way; None if it has no faithful spelling.

    RE2's `\\d`, `\\w`, `\\s` are ASCII (Python's are not), `.` excludes `\\n` only (ECMA's also
    `\\r`), `$` never matches before a final newline (Python's does): each is spelled out.
    """
    try:
        return f"^(?:{_translate(_unanchored(pattern))}){END}"
    except _Untranslatable:
        return None


def _unanchored(pattern: str) -> str:
    """The pattern without a leading `^` or `\\A` and a final `$` or `\\z`: the wrapper anchors
    the whole value, and the translation reads better without them."""
    for anchor in ("^", "\\A"):
        if pattern.startswith(anchor) and not pattern[len(anchor) :].startswith(tuple("*+?{")):
            pattern = pattern[len(anchor) :]
            break
    if "\\Q" in pattern:  # `\\Qa$` ends in a literal dollar
        return pattern
    for anchor in ("$", "\\z"):
        head = pattern[: -len(anchor)]
        if pattern.endswith(anchor) and (len(head) - len(head.rstrip("\\"))) % 2 == 0:
            return head
    return pattern


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            text, i = _escape(pattern, i, _OUTSIDE, inside=False)
            out.append(text)
        elif ch == "[":
            text, i = _class(pattern, i)
            out.append(text)
        elif ch == "(":
            named = re.match(r"\(\?P?<[A-Za-z_][A-Za-z0-9_]*>", pattern[i:])
            if named:  # RE2 has no backreferences: a name changes nothing
                out.append("(?:")
                i += named.end()
                continue
            if pattern.startswith("(?", i) and not pattern.startswith("(?:", i):
                raise _Untranslatable("flags")
            out.append("(")
            i += 1
        elif ch == "{":
            repeat = _REPEAT.match(pattern, i)
            text = repeat.group() if repeat else "\\{"
            out.append(text)
            i += len(text) if repeat else 1
        else:
            special = {".": "[^\\n]", "$": END, "}": "\\}", "]": "\\]"}.get(ch)
            out.append(special or (ch if ch in "^|*+?)" else _literal(ch)))
            i += 1
    return "".join(out)


def _escape(pattern: str, i: int, table: dict[str, str], *, inside: bool) -> tuple[str, int]:
    """The escape at `pattern[i]` (a backslash) and the index after it."""
    nxt = pattern[i + 1 : i + 2]
    if nxt in table:
        return table[nxt], i + 2
    if nxt in _CONTROL_ESCAPES:
        return _CONTROL_ESCAPES[nxt], i + 2
    if nxt == "x":
        found = _HEX.match(pattern, i)
        if found is None:
            raise _Untranslatable("\\x")
        return _code_point(int(found.group(1) or found.group(2), 16)), found.end()
    if nxt == "Q" and not inside:
        end = pattern.find("\\E", i + 2)
        end = len(pattern) if end < 0 else end
        literal = "".join(_literal(c) for c in pattern[i + 2 : end])
        return literal, end + 2
    if not nxt or (nxt.isascii() and nxt.isalnum()):  # \b \pL \C \1 \Z ...
        raise _Untranslatable(f"\\{nxt}")
    return (_class_char(nxt) if inside else _literal(nxt)), i + 2


def _literal(ch: str) -> str:
    if ch in _SYNTAX:
        return "\\" + ch
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x20 or ch == "\x7f" else ch


def _code_point(cp: int) -> str:
    if cp > 0xFFFF or 0xD800 <= cp <= 0xDFFF:  # `\u{...}` is ECMA-262 only; Python has `\U`
        raise _Untranslatable("code point")
    return f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}"


def _class_char(ch: str) -> str:
    """A literal character inside a class: escaped as hex where either engine could misread it
    (Python warns on `[[`, `&&`, `~~`, `||`, `--`; ECMA-262 cannot escape `&` or `~`)."""
    if ch in "\\]^-[&~|" or ord(ch) < 0x20 or ch == "\x7f":
        return f"\\x{ord(ch):02x}"
    return ch


def _class(pattern: str, i: int) -> tuple[str, int]:
    """The character class at `pattern[i]` (a `[`) and the index after it."""
    out = ["["]
    i += 1
    if pattern.startswith("^", i):
        out.append("^")
        i += 1
    start = i
    while True:
        if i >= len(pattern):
            raise _Untranslatable("unclosed class")
        ch = pattern[i]
        if ch == "]" and i > start:
            return "".join(out) + "]", i + 1
        if pattern.startswith("[:", i):
            try:
                members, i = posix_class(pattern, i)
            except KeyError as exc:
                raise _Untranslatable(exc.args[0]) from None
            out.append(members)
        elif ch == "\\":
            text, i = _escape(pattern, i, _INSIDE, inside=True)
            out.append(text)
        elif ch == "-" and i > start and pattern[i + 1 : i + 2] != "]":
            out.append("-")  # a range
            i += 1
        elif ch == "-" and i > start and not out[-1].endswith("-"):
            out.append("-")  # a literal `-` last, as `[a-z.-]` writes it
            i += 1
        else:
            out.append(_class_char(ch))
            i += 1
