"""JSON payloads read the way every gate must: what a naive `json.loads` gets wrong is a code.

    >>> payload = parse_json(body)              # bytes, as they came off the wire
    >>> payload.violations                      # whole-body problems, or ()
    >>> payload.records, payload.batch          # the record(s) to validate; a list or not

- Duplicate keys (`{"a": 1, "a": 2}`: `json.loads` keeps the last silently) are
  `malformed_input`, as is text that is not JSON, is truncated, is not an object or a list of
  objects, or nests deeper than Python's recursion limit.
- `NaN`, `Infinity` and integers past 64 bits are read as values: the contract judges them
  (`nan_not_allowed`, `inf_not_allowed`, `integer_overflow`), as in JSON Lines files.
- Bytes that are not UTF-8 and lone surrogate escapes (`"\\ud800"`) reach the values as lone
  surrogates, which the contract reports as `invalid_unicode`, never a crash.
- A body over `max_bytes` is not parsed (`payload_too_large`), nor a list over `max_records`.

The JSON Lines reader uses `parse_document` too, so a record reads alike online and in batch.
msgspec, when installed (`skewless[serve]`), parses the common case four to five times faster
than `json`; anything it refuses or cannot vouch for goes through `json` with the checks above.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from skewless.errors import Code
from skewless.report import Violation, escape

MAX_BYTES = 1 << 20  # default body limit: 1 MiB
MAX_RECORDS = 1000  # default micro-batch limit

try:  # optional: the fast path
    import msgspec as _msgspec

    _decode: Any = _msgspec.json.Decoder().decode
    _encode: Any = _msgspec.json.Encoder().encode
    _FAST_ERRORS: tuple[type[BaseException], ...] = (
        _msgspec.DecodeError,
        _msgspec.ValidationError,
        UnicodeDecodeError,
        RecursionError,
        ValueError,
    )
except ImportError:  # pragma: no cover - exercised by the import test without msgspec
    _decode = None
    _encode = None
    _FAST_ERRORS = ()


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(f"duplicate key {escape(key)}")
            seen.add(key)
    return out


def parse_document(raw: bytes) -> tuple[Any, str | None]:
    """One JSON document: (value, None), or (None, why it is not usable).

    The reason reads after a subject ("the body", "line 3"): "is not valid JSON: ...".
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if _decode is not None:
        try:
            value = _decode(raw)
            # msgspec keeps the last of duplicate keys. Every `"` of the text that is not
            # escaped opens or closes a key or a string value: fewer in the result means
            # keys repeated.
            if raw.count(b'"') - escaped_quotes(raw) == _quotes(value):
                return value, None
        except _FAST_ERRORS:
            pass  # RecursionError too: msgspec nests deeper than _quotes may; json judges it
    text = raw.decode("utf-8", "surrogateescape")  # bad bytes in strings: invalid_unicode later
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates), None
    except _DuplicateKey as exc:
        return None, f"is not a usable JSON object: {exc}"
    except RecursionError:
        return None, "is nested too deeply"
    except ValueError as exc:
        return None, f"is not valid JSON: {_one_line(str(exc))}"


_BACKSLASHES_QUOTE = re.compile(rb'(\\+)"')


def escaped_quotes(raw: bytes) -> int:
    """How many `"` of a JSON text are escaped (inside a string, after an odd run of `\\`)."""
    if b"\\" not in raw or b'\\"' not in raw:  # one-byte search first: five times cheaper
        return 0
    return sum(len(run) % 2 for run in _BACKSLASHES_QUOTE.findall(raw))


def _quotes(value: Any) -> int:
    """The quotes of `value`'s JSON text that are not escaped: two per key and per string."""
    kind = type(value)
    if kind is str:
        return 2
    if kind is dict:
        count = 2 * len(value)
        for item in value.values():
            t = type(item)
            if t is str:
                count += 2
            elif t is dict or t is list:
                count += _quotes(item)
        return count
    if kind is list:
        return sum(_quotes(item) for item in value)
    return 0


def _one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Payload:
    """A parsed body: its records (one, or a micro-batch) or why there are none."""

    records: list[Any]
    batch: bool  # the body was a JSON array of records
    violations: tuple[Violation, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations


def _refused(code: Code, message: str) -> Payload:
    return Payload([], False, (Violation(code, None, None, None, message),))


def parse_json(
    body: bytes, *, max_bytes: int = MAX_BYTES, max_records: int = MAX_RECORDS
) -> Payload:
    """A request body: one JSON object, or a JSON array of objects (a micro-batch)."""
    if len(body) > max_bytes:
        return _refused(
            Code.PAYLOAD_TOO_LARGE, f"the body is {len(body)} bytes; the limit is {max_bytes}"
        )
    if not body.strip():
        return _refused(Code.MALFORMED_INPUT, "the body is empty; expected a JSON object")
    value, problem = parse_document(body)
    if problem is not None:
        return _refused(Code.MALFORMED_INPUT, f"the body {problem}")
    if type(value) is dict:
        return Payload([value], False)
    if type(value) is list:
        if not value:
            return _refused(Code.MALFORMED_INPUT, "the body is an empty list; expected records")
        if len(value) > max_records:
            return _refused(
                Code.PAYLOAD_TOO_LARGE,
                f"the body holds {len(value)} records; the limit is {max_records}",
            )
        return Payload(value, True)
    kind = {str: "string", int: "number", float: "number", bool: "boolean"}.get(type(value), "null")
    return _refused(
        Code.MALFORMED_INPUT, f"the body is a JSON {kind}; expected an object or a list of objects"
    )


def is_json_type(content_type: str | bytes | None) -> bool:
    """`application/json` or `application/<something>+json`, parameters allowed."""
    if content_type is None:
        return False
    if content_type == "application/json":  # what nearly every client sends
        return True
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def to_json(value: Any, *, special_floats: bool = False) -> bytes:
    """Normalised record(s) as JSON for the app downstream: datetimes in RFC 3339 (`Z` for a
    zero offset, as msgspec writes them), dates as YYYY-MM-DD.

    `special_floats`: the contract allows NaN or infinities (`allow_nan`, `allow_inf`), which
    are written as the `NaN` / `Infinity` literals Python's json reads; msgspec would write
    them as null, a different value.
    """
    if _encode is not None and not special_floats:
        encoded: bytes = _encode(value)
        return encoded
    return json.dumps(value, default=_iso, separators=(",", ":")).encode("ascii")


def _iso(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        text: str = value.isoformat()
        if hasattr(value, "utcoffset") and text.endswith("+00:00"):
            return text[:-6] + "Z"
        return text
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
