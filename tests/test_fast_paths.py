"""The batch engine's fast paths give exactly what the plain forms they shortcut give.

Each fast path (bench/bench_batch.py measures them) is compared with the straightforward
computation it replaces, on mixes built to hit its edges: nulls, slices, invalid UTF-8, lone
surrogates, integers past int64, values spanning more than one scan chunk.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import skewless
from skewless import checks, dtypes

CONTRACT = skewless.loads_contract(
    """
contract: t
version: 1.0.0
columns:
  i: {type: integer}
  f: {type: float}
  b: {type: boolean}
  s: {type: string}
  k: {type: category, values: [a, b]}
  d: {type: date}
"""
)
POOLS: dict[str, list[Any]] = {
    "i": [0, -5, 2**63 - 1, -(2**63), 2**63, -(2**63) - 1, None, True, 1.0],
    "f": [0.0, -0.0, math.nan, math.inf, None, 1, True],
    "b": [True, False, None, 1, 0],
    "s": ["a", "", "\ud800", "é😀", "\x00", None, 1],
    "k": ["a", "z", None, "\udfff"],
    "d": [dt.date(2020, 1, 1), dt.date(1, 1, 1), dt.datetime(2020, 1, 1), None, "2020-01-01"],
}


@pytest.mark.parametrize("name", list(POOLS))
def test_object_columns_read_alike_with_and_without_the_fast_path(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    column = CONTRACT.column(name)
    rnd = random.Random(name)

    def read(values: list[Any]) -> str:
        converted = dtypes.convert_python(column, values)
        failures = [(f, rows.tolist()) for f, rows in converted.failures]
        return repr((converted.array.type, converted.array.to_pylist(), failures))  # NaN == NaN

    for _ in range(500):
        values = [rnd.choice(POOLS[name]) for _ in range(rnd.randint(0, 6))]
        fast = read(values)
        with monkeypatch.context() as m:
            m.setattr(dtypes, "_UNCHANGED", {})
            assert fast == read(values), values


def _strings(rnd: random.Random, n: int, alphabet: list[str]) -> pa.Array:
    values = [
        None if rnd.random() < 0.2 else "".join(rnd.choices(alphabet, k=rnd.randint(0, 5)))
        for _ in range(n)
    ]
    return pa.array(values, type=rnd.choice([pa.string(), pa.large_string()]))


def _hostile(rnd: random.Random, arr: pa.Array) -> pa.Array:
    """Nulls over non-empty bytes, invalid UTF-8, a slice: what a scan of the buffer could trip on."""
    t = arr.type
    if rnd.random() < 0.3 and len(arr):
        filled = pa.array(pc.fill_null(arr, "\x00😀").to_pylist(), type=t)
        validity = pa.array([rnd.random() < 0.5 for _ in range(len(arr))]).buffers()[1]
        arr = pa.Array.from_buffers(t, len(filled), [validity, *filled.buffers()[1:]])
    if rnd.random() < 0.2 and len(arr):
        raw = [
            None if x is None else x.encode() + bytes([rnd.choice([0x80, 0xF0, 0xFF])])
            for x in arr.to_pylist()
        ]
        binary = pa.array(raw, type=pa.large_binary() if t == pa.large_string() else pa.binary())
        arr = pa.Array.from_buffers(t, len(binary), binary.buffers())
    if rnd.random() < 0.5 and len(arr) > 2:
        arr = arr.slice(1, len(arr) - 2)
    return arr


CLASSES = [(checks.CONTROL_CLASS, checks.CONTROL_BYTES), (checks.ASTRAL_CLASS, checks.ASTRAL_BYTES)]
ALPHABET = [
    "a",
    "\t",
    "\n",
    "\r",
    "\x00",
    "\x01",
    "\x1b",
    "\x7f",
    "\x85",
    "é",
    "€",
    "😀",
    "\U0010ffff",
]


@pytest.mark.parametrize(("pattern", "needs"), CLASSES)
def test_byte_scan_then_regex_equals_regex_everywhere(
    pattern: str, needs: tuple[tuple[int, int], ...]
) -> None:
    rnd = random.Random(pattern)
    scanned = checks._regex_vector(pattern, passes_on_match=False, needs=needs)
    plain = checks._regex_vector(pattern, passes_on_match=False)
    for _ in range(600):
        arr = _hostile(rnd, _strings(rnd, rnd.randint(0, 10), ALPHABET))
        assert scanned(arr).tolist() == plain(arr).tolist(), arr
    # More than one scan chunk (1 MiB), with hits on both sides of a boundary.
    big = _strings(rnd, 300_000, ["x", "yy", "\n", *ALPHABET[4:]])
    for arr in (big, big.slice(12_345)):
        assert (scanned(arr) == plain(arr)).all()


def _reference_duplicated(keys: list[pa.Array]) -> np.ndarray:
    frame = pd.DataFrame(
        {str(i): pd.array(k, dtype=pd.ArrowDtype(k.type)) for i, k in enumerate(keys)}
    )
    any_null = np.zeros(len(frame), dtype=bool)
    for k in keys:
        any_null |= pc.is_null(k).to_numpy(zero_copy_only=False)
    return frame.duplicated(keep="first").to_numpy() & ~any_null


KEY_TYPES: list[tuple[pa.DataType, list[Any]]] = [
    (pa.int64(), [0, 1, -1, 2**63 - 1, None]),
    (pa.uint64(), [0, 2**64 - 1, None]),
    (pa.bool_(), [True, False, None]),
    (pa.timestamp("us", tz="UTC"), [dt.datetime(2020, 1, 1, tzinfo=dt.UTC), None]),
    (pa.timestamp("ns"), [dt.datetime(2020, 1, 1), dt.datetime(2021, 1, 1), None]),
    (pa.date32(), [dt.date(2020, 1, 1), dt.date(1970, 1, 1), None]),
    (pa.float64(), [0.0, -0.0, math.nan, 1.5, None]),
    (pa.large_string(), ["", "a", "b", None]),
]


def test_duplicated_keeps_the_first_and_skips_null_keys_like_the_plain_form() -> None:
    rnd = random.Random(3)
    for _ in range(1500):
        n = rnd.randint(1, 12)
        chosen = [rnd.choice(KEY_TYPES) for _ in range(rnd.randint(1, 3))]
        keys = [pa.array([rnd.choice(pool) for _ in range(n)], type=t) for t, pool in chosen]
        if n > 1 and rnd.random() < 0.3:
            keys = [k.slice(1) for k in keys]
        assert checks.duplicated(keys).tolist() == _reference_duplicated(keys).tolist(), keys


def test_pass_mask_lets_nulls_pass_like_fill_null() -> None:
    rnd = random.Random(4)
    for _ in range(500):
        arr = pa.array(
            [rnd.choice([True, False, None]) for _ in range(rnd.randint(0, 40))], pa.bool_()
        )
        if len(arr) > 3:
            arr = arr.slice(rnd.randint(0, 3))
        expected = pc.fill_null(arr, True).to_numpy(zero_copy_only=False)
        assert checks._mask(arr).tolist() == expected.tolist()
