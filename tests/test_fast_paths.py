"""The batch engine's fast paths give exactly what the plain forms they shortcut give.

Each fast path (bench/bench_batch.py measures them) is compared with the straightforward
computation it replaces, on mixes built to hit its edges: nulls, slices, invalid UTF-8, lone
surrogates, integers past int64, values spanning more than one scan chunk.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import skewless
import skewless.io
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


def test_seen_keys_across_chunks_match_the_set_operations_they_replace() -> None:
    from skewless.global_checks import _Seen

    def reference(chunks: list[np.ndarray]) -> list[list[bool]]:
        keys: np.ndarray | None = None
        out = []
        for codes in chunks:
            earlier = np.isin(codes, keys) if keys is not None else np.zeros(len(codes), bool)
            within = np.ones(len(codes), dtype=bool)
            within[np.unique(codes, return_index=True)[1]] = False
            new = np.unique(codes[~earlier])
            keys = new if keys is None else np.union1d(keys, new)
            out.append((earlier | within).tolist())
        return out

    rnd = random.Random(5)
    for _ in range(500):
        pool = [rnd.randint(-(2**63), 2**63 - 1) for _ in range(4)] + list(range(-3, 4))
        chunks = [
            np.array([rnd.choice(pool) for _ in range(rnd.randint(0, 9))], dtype=np.int64)
            for _ in range(rnd.randint(1, 5))
        ]
        seen = _Seen()
        assert [seen.repeats(c).tolist() for c in chunks] == reference(chunks), chunks
        assert len(seen) == len(set(np.concatenate(chunks).tolist()))
    # Many keys, every bucket: exact small ints and hashes alike.
    gen = np.random.default_rng(6)
    pool = np.concatenate([np.arange(-50, 3000), gen.integers(-(2**63), 2**63 - 1, 3000)])
    chunks = [gen.choice(pool, size=gen.integers(0, 5000)) for _ in range(6)]
    seen = _Seen()
    assert [seen.repeats(c).tolist() for c in chunks] == reference(chunks)
    assert all(len(b) for b in seen.buckets)
    # Dense ids (a shuffled 1..n with repeats) are kept as flags, growing down and up, at most
    # 4 bytes a key; a far key moves every key to the buckets, and nothing is forgotten.
    ids = gen.permutation(20_000) + 1_000
    chunks = [ids[5_000:9_000], ids[:5_000], ids[9_000:], ids[100:300], ids[:50] - 900]
    chunks += [np.array([2**40, 5, ids[7]], dtype=np.int64), ids[200:400], ids[-5:] + 2**41]
    seen = _Seen()
    verdicts = []
    for number, codes in enumerate(chunks):
        verdicts.append(seen.repeats(codes).tolist())
        if number < 5:
            assert seen.flags is not None
            assert seen.flags.nbytes <= max(4 * seen.count, 16 * len(codes))
            assert not seen.buckets
        else:
            assert seen.flags is None
            assert seen.sparse
    assert verdicts == reference(chunks)
    assert len(seen) == len(set(np.concatenate(chunks).tolist()))


def test_compound_key_codes_do_not_collide_on_mixed_raw_values() -> None:
    # Two distinct (user_id, last_purchase_at) keys whose raw int64 values, mixed without
    # hashing first (id * 1000003 ^ microseconds), gave the same code: a false duplicate_key
    # in a 10,000,000-row benchmark file.
    from skewless.global_checks import _key_codes

    ids = pa.array([2552081, 5891921, 7056164, 8790116], pa.int64())
    us = [1709004292000000, 1712341033000000, 1716361142000000, 1715860911000000]
    times = pa.array(us, pa.timestamp("us", tz="UTC"))
    rows, codes = _key_codes([ids, times])
    assert rows.tolist() == [0, 1, 2, 3]
    assert len(set(codes.tolist())) == 4
    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n  a: {type: integer}\n"
        "  b: {type: datetime, timezone: UTC}\nchecks:\n  unique: [[a, b]]\n"
    )
    frame = pd.DataFrame({"a": ids.to_numpy(), "b": pd.to_datetime(us, unit="us", utc=True)})
    assert contract.validate(frame).ok


@pytest.mark.parametrize("chunk_rows", [None, 1, 7, 64, 1000])
def test_parquet_source_reads_what_the_dataset_scanner_reads(
    chunk_rows: int | None, tmp_path: Path
) -> None:
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    from skewless.io import open_source

    root = tmp_path / "hive"
    kinds = ["a", "b", "__HIVE_DEFAULT_PARTITION__"]  # the last one: a null partition value
    for kind in kinds:
        for part in range(2):
            n = 40 + 13 * part
            table = pa.table(
                {
                    "i": pa.array(range(n), pa.int64()),
                    "s": pa.array([f"v{x}" if x % 5 else None for x in range(n)], pa.string()),
                    "c": pa.array(
                        [("xy", "zx")[part][x % 2] for x in range(n)]
                    ).dictionary_encode(),
                    "t": pa.array(range(n), pa.timestamp("ns", tz="UTC")),
                }
            )
            if part:
                table = table.cast(table.schema.set(1, pa.field("s", pa.large_string())))
            (root / f"kind={kind}").mkdir(parents=True, exist_ok=True)
            pq.write_table(table, root / f"kind={kind}" / f"part-{part}.parquet", row_group_size=9)
    pq.write_table(
        pa.table({"i": pa.array([], pa.int64())}).append_column("s", pa.array([], pa.string())),
        tmp_path / "empty.parquet",
    )
    for spec in (root, root / "kind=a" / "part-1.parquet", tmp_path / "empty.parquet"):
        source = open_source(spec)
        assert isinstance(source, skewless.io.ParquetSource)
        chunks = list(source.chunks(chunk_rows))
        dataset = ds.dataset(
            [str(p) for p in source.paths],
            format="parquet",
            partitioning="hive" if source.dataset_root is not None else None,
            partition_base_dir=str(source.dataset_root) if source.dataset_root else None,
        )
        expected = dataset.to_table()
        got = pa.table(
            {
                n: pa.chunked_array(
                    [a for c in chunks for a in c.columns[n].chunks], expected.schema.field(n).type
                )
                for n in expected.column_names
            }
        )
        assert got.schema == expected.schema
        assert got.to_pylist() == expected.to_pylist()
        assert np.concatenate([c.positions for c in chunks]).tolist() == list(range(len(got)))
        sizes = [len(c.positions) for c in chunks]
        # At most chunk_rows rows; a row group that fits a chunk is never split across two.
        assert chunk_rows is None or all(0 < s <= chunk_rows for s in sizes[:-1])
        assert all(c.columns[n].num_chunks == 1 for c in chunks for n in c.columns)


def test_distinct_days_match_np_unique() -> None:
    from skewless.normalize import distinct_days

    gen = np.random.default_rng(7)
    day = 86_400_000_000
    cases = [
        np.zeros(0, np.int64),
        np.array([0, -1, day, day - 1, -day, -day - 1], np.int64),
        gen.integers(-(2**62), 2**62, 1000),  # a range too wide for the table: np.unique
        gen.integers(19_000 * day, 19_400 * day, 100_000),
        np.array([2**63 - 1, -(2**63)], np.int64),
    ]
    for us in cases:
        days, which = distinct_days(us)
        expected_days, expected_which = np.unique(us // day, return_inverse=True)
        assert days.tolist() == expected_days.tolist()
        assert which.tolist() == expected_which.tolist()
        assert days.dtype == np.int64


UNIQUE_CONTRACT = skewless.loads_contract(
    """
contract: t
version: 1.0.0
columns:
  a: {type: integer, unique: true, nullable: true}
  b: {type: integer, nullable: true}
  c: {type: string, nullable: true}
checks:
  unique: [[a, b], [b, c], [a], [c, a, b]]
"""
)


def _reference_unique(frame: pd.DataFrame) -> set[tuple[str, str, int]]:
    """Every later row holding a key (no null in it) an earlier row held."""
    found = set()
    checks = [(("a",), "not_unique")] + [
        (key, "duplicate_key") for key in UNIQUE_CONTRACT.checks.unique
    ]
    for key, code in checks:
        part = frame[list(key)]
        dup = part.duplicated(keep="first") & part.notna().all(axis=1)
        found |= {(code, ", ".join(key), int(r)) for r in np.flatnonzero(dup.to_numpy())}
    return found


@pytest.mark.parametrize("chunk_rows", [None, 1, 3, 17])
def test_unique_checks_across_chunks_match_a_plain_reference(chunk_rows: int | None) -> None:
    from skewless.io import FrameSource, validate_source

    rnd = random.Random(8)
    for case in range(90):
        n = rnd.randint(0, 60)
        # Dense ids, then (a third of the cases) ids that stop being dense part way through.
        ids = [None, *range(8)] if case % 3 else [None, 0, 1, 2, 2**40, -(2**50)]
        frame = pd.DataFrame(
            {
                "a": pd.array([rnd.choice(ids) for _ in range(n)], "Int64"),
                "b": pd.array([rnd.choice([None, 0, 1, 2]) for _ in range(n)], "Int64"),
                "c": pd.array([rnd.choice([None, "x", "y"]) for _ in range(n)], "str"),
            }
        )
        report = validate_source(
            UNIQUE_CONTRACT, FrameSource("f", frame=frame), chunk_rows=chunk_rows
        )
        got = {
            (b.code.value, b.column, int(r))
            for b in report.blocks
            if b.code.value in ("not_unique", "duplicate_key")
            for r in b.rows
        }
        assert got == _reference_unique(frame), frame


def test_keys_kept_by_a_unique_columns_value_match_the_set_of_keys() -> None:
    """`_ByValue` (4 bytes a key) against a plain set of (u, key) pairs, across dense and
    sparse ids, a key whose u first came with no key (a null in it), and many chunks."""
    from skewless.global_checks import _ByValue

    gen = np.random.default_rng(9)
    for far in (False, True):
        store = _ByValue()
        kept: set[tuple[int, int]] = set()
        first: set[int] = set()
        for number in range(12):
            u = gen.integers(0, 400, 300)
            if far and number == 6:
                u[::7] = gen.integers(2**40, 2**41, len(u[::7]))
            codes = gen.integers(0, 5, len(u)) * 7919  # few distinct keys per u: real repeats
            # Rows holding their u first (as u's own check finds them); some of them, as if
            # their key had a null, are not remembered at all.
            new = np.zeros(len(u), dtype=bool)
            new[np.unique(u, return_index=True)[1]] = True
            new &= ~np.isin(u, list(first))
            first |= set(u[new].tolist())
            silent = new & (gen.random(len(u)) < 0.1)
            remembered = new & ~silent
            store.remember(u[remembered], codes[remembered])
            kept |= set(zip(u[remembered].tolist(), codes[remembered].tolist(), strict=True))
            expected = []
            for pair in zip(u[~new].tolist(), codes[~new].tolist(), strict=True):
                expected.append(pair in kept)
                kept.add(pair)
            assert store.repeats(u[~new], codes[~new]).tolist() == expected
        assert store.sparse is far
        if not far:
            assert store.fingerprints is not None
            assert store.fingerprints.nbytes <= 16 * 300 + 8 * store.count


def test_dictionary_encoded_text_checks_and_normalises_like_plain_text() -> None:
    from skewless.checks import CHECKS, vector_test
    from skewless.contract import Column
    from skewless.normalize import normalize_column

    columns = [
        Column("x", "string", pattern="^[a-z]+$", max_length=3, min_length=2, charset="bmp"),
        Column("x", "string", charset="ascii", fill_null="zz", nullable=True),
        Column("x", "category", values=("a", "b"), map_to="b"),
        Column("x", "category", values=("a", "b")),
    ]
    pool = ["a", "b", "abc", "abcd", "ab\n", "a\x00", "😀", "é", "", None]
    rnd = random.Random(10)
    for _ in range(200):
        values = [rnd.choice(pool) for _ in range(rnd.randint(0, 12))]
        plain = pa.array(values, pa.large_string())
        encoded = plain.dictionary_encode()
        if len(values) > 2 and rnd.random() < 0.3:
            plain, encoded = plain.slice(1), encoded.slice(1)
        for column in columns:
            for kind in CHECKS:
                if kind.applies(column):
                    got = vector_test(kind, column)(encoded).tolist()
                    assert got == kind.vector(column)(plain).tolist(), (kind.code, values)
            normalised = normalize_column(column, encoded)
            assert normalised.dictionary_decode().equals(normalize_column(column, plain))


def test_parquet_text_read_as_dictionaries_gives_what_plain_text_gives(tmp_path: Path) -> None:
    """Dictionary-encoded text columns are read encoded; a file stored without dictionaries,
    a mostly distinct column and a dataset mixing both give the same report and outputs."""
    import pyarrow.parquet as pq

    from skewless.gate import run_gate
    from skewless.io import _dictionary_text, open_source

    contract = skewless.loads_contract(
        """
contract: t
version: 1.0.0
columns:
  id: {type: integer, unique: true}
  kind: {type: category, values: [a, b], unknown: {map_to: b}, nullable: true, fill_null: a}
  name: {type: string, pattern: '^[a-z]+$', nullable: true}
  note: {type: string, max_length: 4}
checks:
  unique: [[id, kind], [kind, name]]
"""
    )
    rnd = random.Random(11)
    n = 400
    table = pa.table(
        {
            "id": pa.array([rnd.randint(0, 300) for _ in range(n)], pa.int64()),
            "kind": pa.array([rnd.choice(["a", "b", "c", None]) for _ in range(n)]),
            "name": pa.array([rnd.choice(["x", "y", "Z", "x\n", None]) for _ in range(n)]),
            "note": pa.array([f"n{i}" if i % 50 else "toolong" for i in range(n)]),
        }
    )
    encoded, plain, mixed = tmp_path / "encoded.parquet", tmp_path / "plain.parquet", tmp_path / "m"
    pq.write_table(table, encoded, row_group_size=70)
    pq.write_table(table, plain, row_group_size=70, use_dictionary=False)
    mixed.mkdir()
    pq.write_table(table.slice(0, 150), mixed / "part-0.parquet", row_group_size=70)
    pq.write_table(table.slice(150), mixed / "part-1.parquet", use_dictionary=False)
    assert _dictionary_text(pq.read_metadata(encoded)) == ["kind", "name", "note"]
    assert _dictionary_text(pq.read_metadata(plain)) == []
    first = next(open_source(str(encoded)).chunks(100))
    assert pa.types.is_dictionary(first.columns["kind"].type)
    assert not pa.types.is_dictionary(first.columns["note"].type)  # mostly distinct: decoded

    outputs = {}
    for name, path in [("encoded", encoded), ("plain", plain), ("mixed", mixed)]:
        for chunk_rows in (None, 64, 150):
            out = tmp_path / f"{name}-{chunk_rows}"
            out.mkdir()
            gate = run_gate(
                contract,
                open_source(str(path)),
                chunk_rows=chunk_rows,
                valid_out=out / "valid.parquet",
                quarantine=out / "quarantine.parquet",
            )
            report = gate.report.to_dict()
            report.pop("source", None)
            valid = pq.read_table(out / "valid.parquet")
            held = pq.read_table(out / "quarantine.parquet").drop_columns(["_run_id"])
            outputs[name, chunk_rows] = (report, valid, held)
    reference = outputs["plain", None]
    assert not reference[0]["ok"]
    for key, (report, valid, held) in outputs.items():
        assert report == reference[0], key
        assert valid.equals(reference[1]), key
        assert held.equals(reference[2]), key
