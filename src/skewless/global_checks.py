"""Checks that span rows, reduced over chunks: unique, compound unique, row count, cadence.

The batch engine validates a source one chunk at a time (a whole DataFrame is one chunk), and
these checks keep what they need between chunks, so the verdicts of a chunked run are exactly
those of a whole-file run:

- `unique` / compound `unique`: the first row holding a key is valid, every later one is a
  violation (rows with a null in the key never are). Seen keys are kept between chunks (8
  bytes each): a one-column integer, date or timestamp key exactly, other keys (compound ones
  included) as 64-bit hashes of their values. A false duplicate needs a hash collision: with n
  distinct keys, a chance of about n² / 2^65 per source (3 in 10^6 at 10^7 keys). A compound
  key holding a `unique: true` column is kept by that column's value (`_ByValue`), 4 bytes a
  key while the column's values are dense.
- `rows`: counted, judged at the end.
- `cadence`: needs every distinct timestamp (of its group, under `by:`) before it can judge any
  row; timestamps and group codes are kept (16 bytes a row) and the rows breaking the cadence
  are found at the end (`finish`), or by a first pass over the source (`cadence_pass`) when the
  run writes outputs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from skewless.dtypes import decoded
from skewless.errors import Code
from skewless.loader import duration_us
from skewless.report import Block

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from skewless.contract import Column, Contract

UNIQUE_MESSAGE = "repeats a value seen in an earlier row (unique: true)"


def key_message(key: tuple[str, ...]) -> str:
    return f"repeats the key ({', '.join(key)}) of an earlier row"


def cadence_message(column: Column) -> str:
    of = f" of its {', '.join(column.cadence_by)}" if column.cadence_by else ""
    return f"is not {column.cadence} after the previous timestamp{of} (cadence)"


_BUCKET_BITS = 6
_BUCKETS = 1 << _BUCKET_BITS  # the kept keys are split by their top bits (after `_spread`)


def _spread(codes: np.ndarray) -> np.ndarray:
    """A bijection of uint64 (splitmix64's finalizer): equal keys stay equal, distinct ones stay
    distinct, and exact keys (1, 2, 3...) get top bits as even as a hash's."""
    import numpy as np

    z = codes.view(np.uint64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    spread: np.ndarray = z ^ (z >> np.uint64(31))
    return spread


_SLICE = 1 << 18  # rows of a chunk whose keys are hashed and searched at a time
_DENSE = 4  # dense keys: at most this many possible values per key seen (1 byte each)
_DENSE_CHUNK = 16  # ...or per row of the chunk at hand


@dataclass(slots=True)
class _Seen:
    """Keys seen so far (exact ints or hashes), kept the cheaper of two ways.

    - Dense: integer keys whose range is at most `_DENSE` times their number (ids 1..n, dates,
      minutes of a day) are flags, one byte per value of the range: at most 4 bytes a key (or
      16 a row of the chunk at hand, while few keys are kept), and
      a chunk costs a lookup and a hash-table pass for repeats inside it. A key outside the
      range grows it while the keys stay dense; when they stop being dense, every key moves
      to the sorted buckets for good.
    - Sorted buckets: other keys (hashes above all) are spread over sorted buckets by their top
      bits. A chunk costs one sort of its own keys, a search of each bucket, and a merge that
      copies one bucket at a time: never a sort of every key seen so far (`np.isin` /
      `np.union1d` did that, and it grew with each chunk), and never a second copy of all of
      them (memory: 8 bytes a key).
    """

    buckets: list[Any] = field(default_factory=list)  # np.ndarray of uint64, each sorted
    flags: Any = None  # dense: np.ndarray of bool, True at key - lo for each key seen
    lo: int = 0
    count: int = 0  # keys remembered (an upper bound on the distinct ones)
    sparse: bool = False  # the keys stopped being dense (or never were)

    def repeats(self, codes: np.ndarray) -> np.ndarray:
        """True where a key was seen in an earlier chunk or earlier in this one; then remember."""
        import numpy as np
        import pandas as pd

        if not len(codes):
            return np.zeros(0, dtype=bool)
        if self._dense(codes):
            idx = codes - self.lo
            repeated: np.ndarray = self.flags[idx]
            fresh = np.flatnonzero(~repeated)
            # Repeats inside the chunk, among keys no earlier chunk held (pandas' hash table).
            again = pd.Series(idx[fresh], copy=False).duplicated(keep="first").to_numpy()
            repeated[fresh[again]] = True
            self.flags[idx[fresh]] = True
            return repeated
        repeated = np.ones(len(codes), dtype=bool)
        for b, rows, part in self._by_bucket(codes):
            order = np.argsort(part)
            part = part[order]
            starts = np.flatnonzero(np.concatenate(([True], part[1:] != part[:-1])))
            distinct = part[starts]
            first = np.minimum.reduceat(order, starts)  # where each key first occurs
            kept = self.buckets[b]
            if len(kept):
                at = np.searchsorted(kept, distinct)
                new = kept[np.minimum(at, len(kept) - 1)] != distinct
                distinct, first = distinct[new], first[new]
            self._merge(b, distinct)
            # A row is valid only as the first occurrence of a key no earlier chunk held.
            repeated[rows[first]] = False
        return repeated

    def __len__(self) -> int:
        """The number of distinct keys held."""
        import numpy as np

        if self.flags is not None:
            return int(np.count_nonzero(self.flags))
        return sum(len(b) for b in self.buckets)

    def remember(self, codes: np.ndarray) -> None:
        """Remember keys known to be new and distinct (no search)."""
        import numpy as np

        if not len(codes):
            return
        if self._dense(codes):
            self.flags[codes - self.lo] = True
            return
        for b, _, part in self._by_bucket(codes):
            self._merge(b, np.sort(part))

    def _dense(self, codes: np.ndarray) -> bool:
        """Whether `codes` are kept as flags: makes room for them, or leaves the dense form."""
        import numpy as np

        if self.sparse:
            return False
        low, high = int(codes.min()), int(codes.max())
        count = self.count + len(codes)
        if self.flags is not None:
            low, high = min(low, self.lo), max(high, self.lo + len(self.flags) - 1)
        # Dense: a few bytes per key kept, or per row of this chunk while few keys are kept
        # (the first chunk of shuffled ids spans the whole range).
        allowed = max(_DENSE * count, _DENSE_CHUNK * len(codes))
        if high - low + 1 <= allowed:
            self.count = count
            if self.flags is None or low < self.lo or high >= self.lo + len(self.flags):
                # Room for the new range, and a quarter more above it (ids tend to grow).
                size = min(high - low + 1 + (high - low + 1) // 4, allowed)
                flags = np.zeros(size, dtype=bool)
                if self.flags is not None:
                    flags[self.lo - low : self.lo - low + len(self.flags)] = self.flags
                self.flags, self.lo = flags, low
            return True
        self.sparse = True
        if self.flags is not None:
            kept = np.flatnonzero(self.flags).astype(np.int64) + self.lo
            self.flags = None
            for b, _, part in self._by_bucket(kept):
                self._merge(b, np.sort(part))
        return False

    def _by_bucket(self, codes: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """(bucket, rows, their spread keys) for each bucket some of `codes` fall in."""
        import numpy as np

        if not len(codes):
            return
        if not self.buckets:
            self.buckets = [np.zeros(0, dtype=np.uint64)] * _BUCKETS
        spread = _spread(codes)
        tops = (spread >> np.uint64(64 - _BUCKET_BITS)).astype(np.uint8)
        # Rows grouped by bucket, in row order within each (a radix sort of one byte); each
        # bucket's keys are then sorted apart, a small sort that stays in the CPU cache.
        by_bucket = np.argsort(tops, kind="stable")
        edges = [0, *np.cumsum(np.bincount(tops, minlength=_BUCKETS)).tolist()]
        spread = spread[by_bucket]
        for b in range(_BUCKETS):
            lo, hi = edges[b], edges[b + 1]
            if lo < hi:
                yield b, by_bucket[lo:hi], spread[lo:hi]

    def _merge(self, b: int, new: np.ndarray) -> None:
        """Add sorted keys to bucket `b`."""
        import numpy as np

        if len(new):
            merged = np.concatenate((self.buckets[b], new))
            merged.sort(kind="stable")  # two sorted runs: a linear merge
            self.buckets[b] = merged


_BY_VALUE = 2  # per-value keys: at most this many values of the range per key kept (4 bytes)


@dataclass(slots=True)
class _ByValue:
    """Keys of a compound key that holds a `unique: true` column u, kept by u's value.

    A row can repeat the key only if it repeats u's value, so a key needs telling apart only
    from the keys of rows sharing its u: each is kept as a 32-bit fingerprint, in an array
    over u's range while u's values are dense (ids 1..n: 4 bytes a key instead of 8), the first
    key of each value there and later ones (rare: a repeated u) in a `_Seen`. When u stops
    being dense, every key moves to the `_Seen` as u's 32-bit hash joined to the fingerprint.

    A false repeat needs two keys with one u value and one fingerprint (a chance of 2^-32 per
    row repeating a u value), and such a row already fails u's `unique`: which rows pass and
    which are quarantined is exact; only a `duplicate_key` could be reported too many.
    """

    fingerprints: Any = None  # np.uint32 per value of u from `lo`; 0: no key kept there
    lo: int = 0
    count: int = 0
    sparse: bool = False
    others: _Seen = field(default_factory=_Seen)

    def remember(self, values: np.ndarray, codes: np.ndarray) -> None:
        """The keys of rows holding their u value first (new and distinct: no search)."""
        if not len(values):
            return
        marks = _fingerprints(codes)
        if self._dense(values):
            self.fingerprints[values - self.lo] = marks
        else:
            self.others.remember(_joined(values, marks))

    def repeats(self, values: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """For rows repeating a u value: True where the key was seen before; then remember."""
        import numpy as np

        marks = _fingerprints(codes)
        if self.sparse or self.fingerprints is None:
            return self.others.repeats(_joined(values, marks))
        at = values - self.lo
        inside = (at >= 0) & (at < len(self.fingerprints))
        hit = np.zeros(len(values), dtype=bool)
        hit[inside] = self.fingerprints[at[inside]] == marks[inside]
        miss = ~hit
        hit[miss] = self.others.repeats(_joined(values[miss], marks[miss]))
        return hit

    def _dense(self, values: np.ndarray) -> bool:
        import numpy as np

        if self.sparse:
            return False
        low, high = int(values.min()), int(values.max())
        count = self.count + len(values)
        if self.fingerprints is not None:
            low = min(low, self.lo)
            high = max(high, self.lo + len(self.fingerprints) - 1)
        allowed = max(_BY_VALUE * count, _DENSE_CHUNK * len(values))
        if high - low + 1 <= allowed:
            self.count = count
            kept = self.fingerprints
            if kept is None or low < self.lo or high >= self.lo + len(kept):
                size = min(high - low + 1 + (high - low + 1) // 4, allowed)
                grown = np.zeros(size, dtype=np.uint32)
                if kept is not None:
                    grown[self.lo - low : self.lo - low + len(kept)] = kept
                self.fingerprints, self.lo = grown, low
            return True
        self.sparse = True
        if self.fingerprints is not None:
            at = np.flatnonzero(self.fingerprints)
            marks = self.fingerprints[at]
            self.fingerprints = None
            self.others.remember(_joined(at.astype(np.int64) + self.lo, marks))
        return False


def _fingerprints(codes: np.ndarray) -> np.ndarray:
    """32 bits of each key's 64-bit code, never 0 (0 marks "no key")."""
    import numpy as np

    z = codes.view(np.uint64)
    marks = (z ^ (z >> np.uint64(32))).astype(np.uint32)
    marks[marks == 0] = 1
    return marks


def _joined(values: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """u's value (hashed to 32 bits) and the key's fingerprint, as one 64-bit code."""
    import numpy as np

    top = _spread(values.astype(np.int64)) >> np.uint64(32)
    joined: np.ndarray = ((top << np.uint64(32)) | marks.astype(np.uint64)).view(np.int64)
    return joined


def _key_codes(arrays: list[pa.Array]) -> tuple[np.ndarray, np.ndarray]:
    """(rows with no null in the key, one int64 per such row identifying its key)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(arrays[0])
    keep = np.ones(n, dtype=bool)
    for a in arrays:
        if a.null_count:
            keep &= pc.is_valid(a).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(keep)
    if len(rows) < n:
        arrays = [a.take(pa.array(rows)) for a in arrays]
    if len(arrays) == 1 and _exact(arrays[0].type):
        return rows, _as_int64(arrays[0])
    parts = []
    for taken in arrays:
        if _exact(taken.type):
            # Hashed before they are mixed: raw values mix into collisions (id * K ^ time is
            # the same for many pairs of ids and microsecond timestamps), false duplicates.
            ints = _as_int64(taken)
            parts.append(ints if len(arrays) == 1 else pd.util.hash_array(ints))
        elif pa.types.is_dictionary(taken.type) and not taken.dictionary.null_count:
            # Each distinct value hashed once, each row takes its value's hash.
            by_value = _hashes(taken.dictionary)
            parts.append(by_value[taken.indices.to_numpy(zero_copy_only=False)])
        else:
            parts.append(_hashes(decoded(taken)))
    combined = parts[0].astype(np.uint64)
    for part in parts[1:]:
        # Mix as pandas combines hashes of several columns (order matters).
        combined = combined * np.uint64(1000003) ^ part.astype(np.uint64)
    if len(parts) > 1 or not _exact(arrays[0].type):
        mixed = pd.util.hash_array(combined)
        return rows, mixed.view(np.int64)
    return rows, combined.view(np.int64)


def _hashes(array: pa.Array) -> np.ndarray:
    import pandas as pd

    series = pd.Series(pd.arrays.ArrowExtensionArray(array), copy=False)
    hashes: np.ndarray = pd.util.hash_pandas_object(series, index=False).to_numpy()
    return hashes


_NULL_TIME = -(2**63)


def _instants(array: pa.Array) -> np.ndarray:
    """Microseconds since the epoch, nulls as the smallest int64 (never a real instant here)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    us = pc.cast(array.cast(pa.timestamp("us", tz=array.type.tz)), pa.int64())
    ints: np.ndarray = pc.fill_null(us, _NULL_TIME).to_numpy(zero_copy_only=False)
    return ints


def _cadence_rows(
    column: Column, typed: dict[str, pa.Array]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows judged, their group codes, their instants): the rows holding a timestamp and, under
    `cadence: {by: ...}`, no null in the group columns (all in one group 0 without `by`)."""
    import numpy as np

    ints = _instants(typed[column.name])
    keep = ints != _NULL_TIME
    groups = np.zeros(len(ints), dtype=np.int64)
    if column.cadence_by:
        rows, codes = _key_codes([typed[k] for k in column.cadence_by])
        grouped = np.zeros(len(ints), dtype=bool)
        grouped[rows] = True
        groups[rows] = codes
        keep &= grouped
    rows = np.flatnonzero(keep)
    return rows, groups[rows], ints[rows]


def cadence_breaks(groups: np.ndarray, instants: np.ndarray, step_us: int) -> np.ndarray:
    """True for every row whose instant is not one step after the previous distinct instant of
    its group; a group's first instant sets its grid. (Both a finer spacing, 10 s samples where
    5 min windows were declared, and a coarser one, a missing window, break it.)"""
    import numpy as np

    n = len(instants)
    out = np.zeros(n, dtype=bool)
    if n < 2:
        return out
    order = np.lexsort((instants, groups))
    g, t = groups[order], instants[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (g[1:] != g[:-1]) | (t[1:] != t[:-1])
    distinct_g, distinct_t = g[new], t[new]
    bad = np.zeros(len(distinct_g), dtype=bool)
    bad[1:] = (distinct_g[1:] == distinct_g[:-1]) & (np.diff(distinct_t) != step_us)
    out[order] = bad[np.cumsum(new) - 1]
    return out


def _pair_codes(column: Column, groups: np.ndarray, instants: np.ndarray) -> np.ndarray:
    """One int64 per (group, instant): the instant itself without `by`, else a 64-bit hash
    (a false match needs a collision, about n^2 / 2^65 for n distinct pairs)."""
    if not column.cadence_by:
        return instants
    mixed: np.ndarray = _spread(_spread(groups) ^ instants.view("uint64")).view("int64")
    return mixed


def cadence_pass(contract: Contract, chunks: Any) -> dict[str, np.ndarray]:
    """First pass for a chunked run: per cadence column, the sorted codes (`_pair_codes`) of
    the (group, instant) pairs breaking it, from every chunk.

    `chunks` yields, per chunk, {name: typed array} for the cadence columns and their groups.
    """
    import numpy as np

    seen: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    cadenced = [c for c in contract.columns if c.cadence is not None]
    for typed in chunks:
        for column in cadenced:
            if column.name in typed and all(k in typed for k in column.cadence_by):
                _, groups, ints = _cadence_rows(column, typed)
                pairs = np.unique(np.stack((groups, ints)), axis=1)  # kept distinct per chunk
                seen.setdefault(column.name, []).append((pairs[0], pairs[1]))
    out = {}
    for column in cadenced:
        parts = seen.get(column.name, [])
        groups = np.concatenate([g for g, _ in parts]) if parts else np.zeros(0, np.int64)
        ints = np.concatenate([t for _, t in parts]) if parts else np.zeros(0, np.int64)
        bad = cadence_breaks(groups, ints, duration_us(column.cadence or ""))
        out[column.name] = np.unique(_pair_codes(column, groups[bad], ints[bad]))
    return out


def _as_int64(array: pa.Array) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_date32(array.type):
        array = array.cast(pa.int32())
    ints: np.ndarray = pc.cast(array, pa.int64()).to_numpy(zero_copy_only=False)
    return ints


def _exact(t: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(
        pa.types.is_integer(t)
        or pa.types.is_timestamp(t)
        or pa.types.is_date32(t)
        or pa.types.is_boolean(t)
    )


def key_checks(contract: Contract) -> list[tuple[tuple[str, ...], Code, str]]:
    """Every key check, in a fixed order: `unique: true` columns, then `checks: unique` keys."""
    keys: list[tuple[tuple[str, ...], Code, str]] = [
        ((c.name,), Code.NOT_UNIQUE, UNIQUE_MESSAGE) for c in contract.columns if c.unique
    ]
    keys += [(k, Code.DUPLICATE_KEY, key_message(k)) for k in contract.checks.unique]
    return keys


@dataclass(slots=True)
class GlobalChecks:
    """The state of the row-spanning checks over one run; feed chunks in source order."""

    contract: Contract
    order: dict[str, int]
    # Timestamps (int64 microseconds) known to break each cadence, from a first pass over the
    # source (`cadence_pass`); without it, cadence is judged at `finish`.
    cadence_bad: dict[str, np.ndarray] | None = None
    # Rows known to repeat a key, per key check (`key_checks`), as sorted source row ids: a run
    # over one partition of a source whose keys a distributed engine reduced (`partitioned`).
    repeats: dict[int, np.ndarray] | None = None
    rows: int = 0
    # Seen keys per check, by the check's place in the list of key checks: `unique: true` on a
    # column and `checks: unique: [[it]]` are checks of one key, each
    # with its own memory (one memory for both flagged every row of the second as a repeat).
    _unique: dict[int, _Seen] = field(default_factory=dict)
    _by_value: dict[int, _ByValue] = field(default_factory=dict)  # keys holding a unique column
    # Cadence columns judged at `finish`: (source rows, group codes, instants) per chunk.
    _cadence: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = field(
        default_factory=dict
    )

    def chunk(
        self,
        typed: dict[str, pa.Array],
        positions: np.ndarray,
        values: dict[Any, Any],
        pii: dict[str, bool],
    ) -> list[Block]:
        """Violations found in this chunk (unique keys); `positions` are source row ids."""
        import numpy as np

        self.rows += len(positions)
        blocks = []
        fresh: dict[str, np.ndarray] = {}  # unique columns: rows holding a value's first row
        for i, (key, code, message) in enumerate(key_checks(self.contract)):
            if not all(k in typed for k in key):
                continue
            if self.repeats is None:
                repeated = self._search(i, key, code, typed, fresh)
            else:  # decided over the whole source
                repeated = np.flatnonzero(np.isin(positions, self.repeats.get(i, positions[:0])))
            if len(repeated):
                blocks.append(
                    Block(
                        code,
                        ", ".join(key),
                        message,
                        positions[repeated],
                        values[key[0]] if len(key) == 1 else values[key],
                        any(pii[k] for k in key),
                        self.order[key[0]],
                    )
                )
        for column in self.contract.columns:
            if column.cadence is None or not all(
                k in typed for k in (column.name, *column.cadence_by)
            ):
                continue
            rows, groups, ints = _cadence_rows(column, typed)
            if self.cadence_bad is None:
                self._cadence.setdefault(column.name, []).append((positions[rows], groups, ints))
                continue
            bad = np.isin(_pair_codes(column, groups, ints), self.cadence_bad[column.name])
            if bad.any():
                blocks.append(self._cadence_block(column, positions[rows][bad], ints[bad]))
        return blocks

    def _search(
        self,
        i: int,
        key: tuple[str, ...],
        code: Code,
        typed: dict[str, pa.Array],
        fresh: dict[str, np.ndarray],
    ) -> np.ndarray:
        """Chunk rows repeating key check `i`'s key in this chunk or an earlier one."""
        import numpy as np

        parts = []
        n = len(typed[key[0]])
        # Another unique column of this key, judged earlier in this chunk (never the key's
        # own column: its first rows are only being found).
        unique = next((k for k in key if k in fresh), None)
        if unique is None:
            seen = self._unique.setdefault(i, _Seen())
        else:
            by_value = self._by_value.setdefault(i, _ByValue())
        for lo in range(0, n, _SLICE):
            # A slice at a time: the temporaries of hashing, sorting and searching stay a
            # few MiB instead of several arrays of the chunk's length.
            rows, codes = _key_codes([typed[k].slice(lo, _SLICE) for k in key])
            rows += lo
            if unique is None:
                repeats = seen.repeats(codes)
            else:
                # A row whose value in a unique column of the key is that value's first
                # row cannot repeat the key: its key is only remembered, not searched for.
                # (An earlier row with the same key would hold that value first.)
                held, held_codes = _key_codes([typed[unique].slice(lo, _SLICE)])
                u = held_codes[np.searchsorted(held + lo, rows)]  # never null in a key row
                new = fresh[unique][rows]
                by_value.remember(u[new], codes[new])
                repeats = np.zeros(len(rows), dtype=bool)
                repeats[~new] = by_value.repeats(u[~new], codes[~new])
            if len(key) == 1 and code is Code.NOT_UNIQUE:
                first = fresh.setdefault(key[0], np.zeros(n, dtype=bool))
                first[rows[~repeats]] = True
            parts.append(rows[repeats])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def finish(self) -> list[Block]:
        """Violations that need every row first: row count and cadence."""
        import numpy as np

        blocks = []
        lo, hi = self.contract.checks.rows_min, self.contract.checks.rows_max
        n = self.rows
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            if hi is None:
                bounds = f"at least {lo}"
            elif lo is None:
                bounds = f"at most {hi}"
            else:
                bounds = f"between {lo} and {hi}"
            blocks.append(
                Block(Code.ROW_COUNT, None, f"{n} rows; the contract expects {bounds}", order=-1)
            )
        for name, parts in self._cadence.items():
            column = self.contract.column(name)
            positions = np.concatenate([p for p, _, _ in parts])
            groups = np.concatenate([g for _, g, _ in parts])
            ints = np.concatenate([i for _, _, i in parts])
            bad = cadence_breaks(groups, ints, duration_us(column.cadence or ""))
            if bad.any():
                blocks.append(self._cadence_block(column, positions[bad], ints[bad]))
        return blocks

    def _cadence_block(self, column: Column, positions: np.ndarray, ints: np.ndarray) -> Block:
        # The instant, as `finish` shows it (the chunk itself may be gone): a report must not
        # depend on whether the run wrote outputs (and so judged cadence up front).
        return Block(
            Code.CADENCE_MISMATCH,
            column.name,
            cadence_message(column),
            positions,
            _instant_values(positions, ints, column.timezone),
            column.pii,
            self.order[column.name],
        )


def _instant_values(positions: np.ndarray, ints: np.ndarray, zone_name: str | None) -> Any:
    """A value getter over kept instants (the chunks themselves are gone by `finish`)."""
    import datetime as dt

    import numpy as np

    from skewless.normalize import zone

    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    tz = zone(zone_name or "UTC")

    def get(rows: np.ndarray) -> list[Any]:
        at = np.searchsorted(positions, rows)
        return [(epoch + dt.timedelta(microseconds=int(ints[i]))).astimezone(tz) for i in at]

    return get
