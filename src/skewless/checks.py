"""The check table: one row per value-level check kind, with every form it takes.

Each `CheckKind` holds, for one violation code: when it applies to a column, its message, its
per-value test (used online and for `fill_null`), and its vectorised test over a pyarrow array
(used by the batch engine). Both tests see *typed, normalised* values (after `dtypes` converted
them and `normalize` filled and mapped them) and both say True for "passes"; nulls always pass
here, the null policy is `dtypes`' business.

Codes produced while reading values into their type (wrong_type, integer_overflow,
invalid_unicode, naive_datetime, wrong_timezone, null_not_allowed) live in `dtypes`; codes that
span rows (not_unique, duplicate_key, row_count) are batch-only and live at the end of this module.
`tests/test_checks.py` proves every row has every form and that the two forms agree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from skewless.errors import Code

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from skewless.contract import Column

Scalar = Callable[[Any], bool]
Vector = Callable[["pa.Array"], "np.ndarray"]

# C0 controls except tab, newline and carriage return, plus DEL.
CONTROL_CLASS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROL = re.compile(CONTROL_CLASS)
ASTRAL_CLASS = r"[\x{10000}-\x{10FFFF}]"  # RE2 syntax: code points that need 4 UTF-8 bytes
# The bytes a match of each class must hold: a control character is its one ASCII byte; a
# 4-byte character starts with a byte from F0 to F4.
CONTROL_BYTES = ((0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x7F))
ASTRAL_BYTES = ((0xF0, 0xF4),)
_ASTRAL = re.compile(r"[\U00010000-\U0010FFFF]")
# RE2's POSIX classes (`[[:alpha:]]`, ASCII only) and its `\s` (no `\v`, unlike Python's), as
# the text inside a character class, which Python's `re` and ECMA-262 read alike.
POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
RE2_SPACE = "\\t\\n\\f\\r "


def posix_class(pattern: str, at: int) -> tuple[str, int]:
    """The members of the POSIX class (`[:alpha:]`) starting at `pattern[at]`, and the index
    after it; KeyError('[:name:]') when the name is not one RE2 knows."""
    end = pattern.find(":]", at + 2)
    name = pattern[at + 2 : end] if end > 0 else ""
    if name not in POSIX_CLASSES:
        raise KeyError(f"[:{name}:]")
    return POSIX_CLASSES[name], end + 2


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Any:
    """Compile a contract pattern with RE2 as a full match; raise ValueError if RE2 cannot."""
    import re2

    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(pattern, options)  # errors speak of the pattern as written
        return re2.compile(full_match(pattern), options)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise ValueError(str(detail)) from None


def full_match(pattern: str) -> str:
    r"""Anchor a pattern to the whole value (`\z`: never before a trailing newline)."""
    return rf"\A(?:{pattern})\z"


def _mask(result: Any) -> np.ndarray:
    """A pyarrow boolean result as a numpy pass-mask, nulls passing."""
    import pyarrow.compute as pc

    if result.null_count:
        # Kleene: null or true is true. Same as fill_null(result, True), on bitmaps only.
        result = pc.or_kleene(result, pc.is_null(result))
    mask: np.ndarray = result.to_numpy(zero_copy_only=False)
    return mask


@dataclass(frozen=True, slots=True)
class CheckKind:
    code: Code
    applies: Callable[[Column], bool]
    message: Callable[[Column], str]
    scalar: Callable[[Column], Scalar]
    vector: Callable[[Column], Vector]


# --- out_of_range -----------------------------------------------------------------------------


def _range_message(col: Column) -> str:
    if col.min is not None and col.max is not None:
        return f"must be between {col.min} and {col.max}"
    if col.min is not None:
        return f"must be at least {col.min}"
    return f"must be at most {col.max}"


def _range_scalar(col: Column) -> Scalar:
    lo, hi, skip_inf = col.min, col.max, not col.allow_inf

    def test(v: Any) -> bool:
        if isinstance(v, float) and (v != v or (skip_inf and math.isinf(v))):
            return True  # NaN and a forbidden inf have their own codes
        return not ((lo is not None and v < lo) or (hi is not None and v > hi))

    return test


def float_bound(bound: int | float | None, *, lower: bool) -> float | None:
    """An integer bound as the float nearest it on the inside, so float comparisons stay exact.

    min 9007199254740993 is no double: floats >= it are exactly the floats >= 2**53 + 2. (pyarrow
    refuses such an int as a float64 scalar; rounding it to nearest would move the bound.)
    """
    if bound is None or isinstance(bound, float):
        return bound
    f = float(bound)
    if lower and f < bound:
        return math.nextafter(f, math.inf)
    if not lower and f > bound:
        return math.nextafter(f, -math.inf)
    return f


def _range_vector(col: Column) -> Vector:
    lo, hi, skip_inf = col.min, col.max, not col.allow_inf

    def test(arr: pa.Array) -> np.ndarray:
        import pyarrow as pa
        import pyarrow.compute as pc

        lo_, hi_ = lo, hi
        if pa.types.is_floating(arr.type):
            lo_, hi_ = float_bound(lo, lower=True), float_bound(hi, lower=False)
        ok = None
        if lo_ is not None:
            ok = pc.greater_equal(arr, pa.scalar(lo_, arr.type))
        if hi_ is not None:
            upper = pc.less_equal(arr, pa.scalar(hi_, arr.type))
            ok = upper if ok is None else pc.and_(ok, upper)
        assert ok is not None
        if pa.types.is_floating(arr.type):
            exempt = pc.is_nan(arr)
            if skip_inf:
                exempt = pc.or_(exempt, pc.is_inf(arr))
            ok = pc.or_(ok, exempt)
        return _mask(ok)

    return test


# --- floats -----------------------------------------------------------------------------------


def _nan_vector(col: Column) -> Vector:
    def test(arr: pa.Array) -> np.ndarray:
        import pyarrow.compute as pc

        return _mask(pc.invert(pc.is_nan(arr)))

    return test


def _inf_vector(col: Column) -> Vector:
    def test(arr: pa.Array) -> np.ndarray:
        import pyarrow.compute as pc

        return _mask(pc.invert(pc.is_inf(arr)))

    return test


# --- categories -------------------------------------------------------------------------------


def _vocabulary_message(col: Column) -> str:
    shown = ", ".join(col.values[:8]) + (", ..." if len(col.values) > 8 else "")
    return f"is not one of the {len(col.values)} known values ({shown})"


def _vocabulary_scalar(col: Column) -> Scalar:
    known = frozenset(col.values)
    return lambda v: v in known


def _vocabulary_vector(col: Column) -> Vector:
    def test(arr: pa.Array) -> np.ndarray:
        import pyarrow as pa
        import pyarrow.compute as pc

        known = pc.is_in(arr, value_set=pa.array(col.values, arr.type))
        return _mask(pc.or_kleene(known, pc.is_null(arr)))  # is_in says false for a null

    return test


# --- strings ----------------------------------------------------------------------------------


def _pattern_scalar(col: Column) -> Scalar:
    return fullmatcher(col.pattern or "")


@lru_cache(maxsize=256)
def fullmatcher(pattern: str) -> Scalar:
    """A contract pattern as a full-match test of a str (no lone surrogates), as fast as RE2
    goes from Python: the compiled program run on the UTF-8 bytes, without the `re2` module's
    match objects (which cost five times the match itself)."""
    compiled = compile_pattern(pattern)
    try:
        from re2 import _re2

        program = compiled._regexp
        both = _re2.RE2.Anchor.ANCHOR_BOTH

        def test(text: str) -> bool:
            raw = text.encode("utf-8")
            return bool(program.Match(both, raw, 0, len(raw))[0][0] >= 0)

        if test("") == (compiled.search("") is not None):  # the internals are what we expect
            return test
    except (ImportError, AttributeError, TypeError, IndexError):
        pass
    return lambda v: compiled.search(v) is not None


def _regex_vector(
    pattern: str, *, passes_on_match: bool, needs: tuple[tuple[int, int], ...] = ()
) -> Vector:
    """A regex test; `passes_on_match=False` makes a match the failure.

    `needs`: byte ranges of which any match holds one (RE2 matches UTF-8 bytes). The regex then
    runs only on the rows holding such a byte, found by one scan of the data buffer.
    """
    assert not (needs and passes_on_match)

    def test(arr: pa.Array) -> np.ndarray:
        import pyarrow.compute as pc

        rows = _rows_holding(arr, needs) if needs else None
        if rows is None:
            matched = pc.match_substring_regex(arr, pattern)
            return _mask(matched if passes_on_match else pc.invert(matched))
        import numpy as np

        mask = np.ones(len(arr), dtype=bool)
        if len(rows):
            found = pc.match_substring_regex(arr.take(rows), pattern)
            mask[rows[pc.fill_null(found, False).to_numpy(zero_copy_only=False)]] = False
        return mask

    return test


def _in_ranges(data: np.ndarray, ranges: tuple[tuple[int, int], ...]) -> np.ndarray:
    found: np.ndarray | None = None
    for lo, hi in ranges:
        hit = data == lo if lo == hi else (data >= lo) & (data <= hi)
        found = hit if found is None else found | hit
    assert found is not None
    return found


def _rows_holding(arr: pa.Array, ranges: tuple[tuple[int, int], ...]) -> np.ndarray | None:
    """Rows whose UTF-8 bytes include one in `ranges` (null rows may be among them).

    None where the array is not a plain (large) string array.
    """
    import numpy as np
    import pyarrow as pa

    if pa.types.is_large_string(arr.type):
        width: type = np.int64
    elif pa.types.is_string(arr.type):
        width = np.int32
    else:
        return None
    _, offsets_buffer, data_buffer = arr.buffers()
    if offsets_buffer is None or data_buffer is None or not len(arr):
        return np.zeros(0, dtype=np.int64)
    offsets: np.ndarray = np.frombuffer(offsets_buffer, dtype=width)
    offsets = offsets[arr.offset : arr.offset + len(arr) + 1]
    start, end = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(data_buffer, dtype=np.uint8)
    chunk = 1 << 20  # bytes per step: temporaries stay small and in cache
    found = [
        np.flatnonzero(_in_ranges(data[at : min(at + chunk, end)], ranges)) + at
        for at in range(start, end, chunk)
    ]
    hits = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
    if not len(hits):
        return np.zeros(0, dtype=np.int64)
    rows: np.ndarray = np.unique(np.searchsorted(offsets, hits, side="right") - 1)
    return rows


def _length_vector(col: Column, *, longest: bool) -> Vector:
    def test(arr: pa.Array) -> np.ndarray:
        import pyarrow.compute as pc

        length = pc.utf8_length(arr)
        if longest:
            return _mask(pc.less_equal(length, col.max_length))
        return _mask(pc.greater_equal(length, col.min_length))

    return test


def _charset_scalar(col: Column) -> Scalar:
    if col.charset == "ascii":
        return lambda v: v.isascii()
    return lambda v: _ASTRAL.search(v) is None


def _charset_vector(col: Column) -> Vector:
    if col.charset == "bmp":
        return _regex_vector(ASTRAL_CLASS, passes_on_match=False, needs=ASTRAL_BYTES)

    def test(arr: pa.Array) -> np.ndarray:
        import pyarrow.compute as pc

        return _mask(pc.string_is_ascii(arr))

    return test


_CHARSET_WORDS = {
    "ascii": "holds characters outside ASCII (charset: ascii)",
    "bmp": "holds characters outside the Basic Multilingual Plane, 4-byte UTF-8 (charset: bmp)",
}


def _is_float(col: Column) -> bool:
    return col.type == "float"


def _is_string(col: Column) -> bool:
    return col.type == "string"


CHECKS: tuple[CheckKind, ...] = (
    CheckKind(
        Code.OUT_OF_RANGE,
        applies=lambda c: c.type in ("integer", "float") and (c.min, c.max) != (None, None),
        message=_range_message,
        scalar=_range_scalar,
        vector=_range_vector,
    ),
    CheckKind(
        Code.NAN_NOT_ALLOWED,
        applies=lambda c: _is_float(c) and not c.allow_nan,
        message=lambda c: "is NaN and the column does not allow NaN (allow_nan: false)",
        scalar=lambda c: lambda v: v == v,
        vector=_nan_vector,
    ),
    CheckKind(
        Code.INF_NOT_ALLOWED,
        applies=lambda c: _is_float(c) and not c.allow_inf,
        message=lambda c: "is infinite and the column does not allow it (allow_inf: false)",
        scalar=lambda c: lambda v: not math.isinf(v),
        vector=_inf_vector,
    ),
    CheckKind(
        Code.NOT_IN_VOCABULARY,
        applies=lambda c: c.type == "category" and c.map_to is None,
        message=_vocabulary_message,
        scalar=_vocabulary_scalar,
        vector=_vocabulary_vector,
    ),
    CheckKind(
        Code.CONTROL_CHARACTER,
        applies=lambda c: _is_string(c) and not c.allow_control,
        message=lambda c: "holds a control character (NUL, C0 or DEL; allow_control: false)",
        scalar=lambda c: lambda v: _CONTROL.search(v) is None,
        vector=lambda c: _regex_vector(CONTROL_CLASS, passes_on_match=False, needs=CONTROL_BYTES),
    ),
    CheckKind(
        Code.OUTSIDE_CHARSET,
        applies=lambda c: _is_string(c) and c.charset != "unicode",
        message=lambda c: _CHARSET_WORDS[c.charset],
        scalar=_charset_scalar,
        vector=_charset_vector,
    ),
    CheckKind(
        Code.TOO_SHORT,
        applies=lambda c: _is_string(c) and c.min_length is not None,
        message=lambda c: f"is shorter than {c.min_length} characters",
        scalar=lambda c: lambda v: len(v) >= (c.min_length or 0),
        vector=lambda c: _length_vector(c, longest=False),
    ),
    CheckKind(
        Code.TOO_LONG,
        applies=lambda c: _is_string(c) and c.max_length is not None,
        message=lambda c: f"is longer than {c.max_length} characters",
        scalar=lambda c: lambda v: len(v) <= (c.max_length or 0),
        vector=lambda c: _length_vector(c, longest=True),
    ),
    CheckKind(
        Code.PATTERN_MISMATCH,
        applies=lambda c: _is_string(c) and c.pattern is not None,
        message=lambda c: f"does not match the pattern {c.pattern!r}",
        scalar=_pattern_scalar,
        vector=lambda c: _regex_vector(full_match(c.pattern or ""), passes_on_match=True),
    ),
)


def checks_for(column: Column) -> tuple[CheckKind, ...]:
    """The value-level checks that apply to `column`, in report order."""
    return tuple(kind for kind in CHECKS if kind.applies(column))


def vector_test(kind: CheckKind, column: Column) -> Vector:
    """`kind`'s vectorised test for `column`, also over dictionary-encoded arrays: the test
    runs on the distinct values alone (a handful for a category read from Parquet), and each
    row takes its value's verdict."""
    test = kind.vector(column)

    def run(arr: pa.Array) -> np.ndarray:
        import pyarrow as pa

        if not pa.types.is_dictionary(arr.type):
            return test(arr)
        return per_row(test(arr.dictionary), arr, null=True)

    return run


def per_row(by_value: np.ndarray, arr: pa.Array, *, null: bool) -> np.ndarray:
    """A result per dictionary value, spread to the rows of a dictionary array (null rows get
    `null`)."""
    import numpy as np
    import pyarrow.compute as pc

    indices = arr.indices
    if not len(by_value):  # no values: every row is null
        return np.full(len(arr), null, dtype=bool)
    out: np.ndarray = by_value[pc.fill_null(indices, 0).to_numpy(zero_copy_only=False)]
    if indices.null_count:
        out[pc.is_null(indices).to_numpy(zero_copy_only=False)] = null
    return out


def first_failure(column: Column, value: Any) -> CheckKind | None:
    """The first check a typed, non-null value fails (per-value form), or None."""
    for kind in checks_for(column):
        if not kind.scalar(column)(value):
            return kind
    return None


# --- checks that span rows (batch only) -------------------------------------------------------

ROW_SPANNING = (Code.NOT_UNIQUE, Code.DUPLICATE_KEY, Code.ROW_COUNT, Code.CADENCE_MISMATCH)


def duplicated(keys: list[pa.Array]) -> np.ndarray:
    """True for every row whose key was already seen higher up; rows with a null key never are.

    The first occurrence stays valid, later ones are violations, so a quarantine keeps one row
    of each key and the order of the input decides which.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(keys[0])
    any_null = np.zeros(n, dtype=bool)
    for k in keys:
        if k.null_count:
            any_null |= pc.is_null(k).to_numpy(zero_copy_only=False)
    # A row with a null key is never a duplicate nor the first of one: leave it out.
    has_null = bool(any_null.any())
    if has_null:
        keep = pa.array(~any_null)
        keys = [k.filter(keep) for k in keys]
    parts = [_hashable(k) for k in keys]
    dup: np.ndarray = np.zeros(len(keys[0]), dtype=bool)
    if len(parts) > 1:
        # Only a row whose first part occurs twice can repeat the whole key: hash the rest
        # for those rows alone (the order of rows, hence "first", is kept).
        within = np.flatnonzero(pd.Series(parts[0], copy=False).duplicated(keep=False))
        frame = pd.DataFrame({str(i): p[within] for i, p in enumerate(parts)})
        dup[within] = frame.duplicated(keep="first").to_numpy()
    else:
        dup = pd.Series(parts[0], copy=False).duplicated(keep="first").to_numpy()
    if not has_null:
        return dup
    out = np.zeros(n, dtype=bool)
    out[~any_null] = dup
    return out


def _hashable(key: pa.Array) -> Any:
    """A null-free key in the form pandas hashes fastest, with the same equality.

    Integers, booleans and temporal values (a timestamp is its instant) go as numpy; the rest
    as a pandas Arrow array.
    """
    import pandas as pd
    import pyarrow as pa

    t = key.type
    if pa.types.is_integer(t) or pa.types.is_boolean(t):
        return key.to_numpy(zero_copy_only=False)
    if pa.types.is_timestamp(t) or pa.types.is_date64(t) or pa.types.is_duration(t):
        return key.view(pa.int64()).to_numpy()
    if pa.types.is_date32(t):
        return key.view(pa.int32()).to_numpy()
    return pd.array(key, dtype=pd.ArrowDtype(t))
