"""Contract patterns (RE2) spelled as Python regexes, for `st.from_regex` to draw text from.

    >>> python_pattern("^[A-Z]{2}$").pattern  # RE2's `$` is the end of the text
    '^[A-Z]{2}\\\\Z'

Only generation reads this spelling: the validators run RE2 itself (`skewless.checks`), and JSON
Schema gets its own (`skewless.ecma`). The translation may match a subset of what RE2 matches,
never more, so every drawn string passes the validators. No hypothesis here: the strategies in
`skewless.strategies` use it.
"""

from __future__ import annotations

import re

from skewless.checks import RE2_SPACE, posix_class

_FLAGS = re.compile(r"\(\?([a-zA-Z]*)(?=[:)])")


def python_pattern(pattern: str) -> re.Pattern[str]:
    """A contract pattern (RE2 syntax) as a Python regex matching a subset of what RE2 matches,
    for `st.from_regex` only (the validators run RE2 itself).

    RE2 differs from Python's `re` where it matters to generation: `$` is the end of the text,
    never before a trailing newline (`\\Z` here); `\\d`, `\\w`, `\\b` are ASCII (the ASCII flag);
    `\\s` has no `\\v`; `{,n}` is literal text; and RE2 spells some things its own way (`\\z`,
    `\\x{10FFFF}`, `[[:alpha:]]`, `\\Q...\\E`, `(?<name>...)`, the `U` flag). Raises ValueError
    on what has no Python spelling (`\\pL` Unicode classes, `\\C`).
    """
    multiline = any("m" in flags for flags in _FLAGS.findall(pattern))
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "Q":  # \Q...\E: literal text
                end = pattern.find("\\E", i + 2)
                end = n if end < 0 else end
                out.append(re.escape(pattern[i + 2 : end]))
                i = end + 2
                continue
            if nxt == "x" and pattern[i + 2 : i + 3] == "{":
                end = pattern.index("}", i)
                out.append(f"\\U{int(pattern[i + 3 : end], 16):08x}")
                i = end + 1
                continue
            if nxt in "pPC":
                raise ValueError(f"RE2 escape \\{nxt} has no Python spelling to generate from")
            if nxt == "z":
                out.append("\\Z")
            elif nxt == "s":
                out.append(RE2_SPACE if in_class else f"[{RE2_SPACE}]")
            elif nxt == "S" and not in_class:
                out.append(f"[^{RE2_SPACE}]")
            elif nxt == "S":
                raise ValueError("RE2 \\S inside a character class has no Python spelling")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if ch == "[" and pattern[i + 1 : i + 2] == ":":
                try:
                    members, i = posix_class(pattern, i)
                except KeyError as exc:
                    raise ValueError(f"POSIX class {exc.args[0]} has no Python spelling") from None
                out.append(members)
                continue
            if ch == "]" and out[-1] not in ("[", "[^"):
                in_class = False
            out.append(ch)
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                out.append("[^")
                i += 2
                if pattern[i : i + 1] == "]":  # a literal ] first in the class
                    out.append("\\]")
                    i += 1
                continue
            out.append("[")
            if pattern[i + 1 : i + 2] == "]":
                out.append("\\]")
                i += 1
        elif ch == "$" and not multiline:
            out.append("\\Z")
        elif ch == "{" and pattern[i + 1 : i + 2] == ",":  # RE2: `{,3}` is text, not {0,3}
            out.append("\\{")
        elif pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
            out.append("(?P<")
            i += 3
            continue
        else:
            out.append(ch)
        i += 1
    translated = _FLAGS.sub(lambda m: "(?" + m.group(1).replace("U", ""), "".join(out))
    translated = translated.replace("(?)", "")
    return re.compile(translated, re.ASCII)


__all__ = ["python_pattern"]
