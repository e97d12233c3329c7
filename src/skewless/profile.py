"""Profiles: what drift checks need to know about each column of a dataset, and nothing more.

    >>> baseline = skewless.profile.profile(contract, "train.parquet", env="training")
    >>> baseline.merge(profile(contract, "train-part-2.parquet", env="training"))
    >>> Path("baseline.json").write_text(baseline.to_json())
    >>> Profile.from_json(Path("baseline.json").read_text())

Per column (docs/drift.md has the JSON format): rows, nulls, values that do not read as the
column's type, NaN and infinities; numbers (and string lengths) in a log-bucketed sketch whose
quantiles are within 1% of the true value (DDSketch); categories and booleans as counts per
value; datetimes as counts per hour of the day and day of the week in the column's zone, and the
mix of UTC offsets they arrived with. Columns the contract does not declare for the environment
are counted too (a label present at serving).

A profile is counts only (integers) plus a minimum and a maximum, so merging two is adding them:
the merge of the profiles of two parts is the profile of the whole, exactly, in any order
(tests/test_profile.py), whether the parts are chunks of one file or files of different machines.
Profiles read the values as they arrive (before `fill_null`, `unknown: {map_to}` or a zone
conversion): a null that training filled with 0 is still a null here.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np
    import pyarrow as pa

    from skewless.contract import Column, Contract, Env
    from skewless.io import Source

FORMAT = "skewless-profile/1"
ALPHA = 0.01  # relative accuracy of a sketch's quantiles
GAMMA = (1 + ALPHA) / (1 - ALPHA)
_LOG_GAMMA = math.log(GAMMA)
TINY = 1e-9  # |x| below this counts as zero in a sketch
MAX_VALUES = 1000  # distinct values counted per categorical column; the rest count as OTHER
OTHER = "\x00other"  # the key under which values past MAX_VALUES are counted (no value is it)
MAX_OFFSETS = 100


@dataclass(slots=True)
class Sketch:
    """A log-bucketed sketch of numbers: bucket k holds the values x with
    GAMMA**(k-1) < |x| <= GAMMA**k, so any quantile is within ALPHA of a true one."""

    positive: Counter[int] = field(default_factory=Counter)
    negative: Counter[int] = field(default_factory=Counter)
    zero: int = 0

    @property
    def count(self) -> int:
        return self.zero + sum(self.positive.values()) + sum(self.negative.values())

    def add(self, values: np.ndarray) -> None:
        """Count finite float64 values."""
        import numpy as np

        magnitude = np.abs(values)
        small = magnitude < TINY
        self.zero += int(small.sum())
        for sign, counter in ((values > 0, self.positive), (values < 0, self.negative)):
            picked = magnitude[sign & ~small]
            if len(picked):
                keys, counts = np.unique(_keys(picked), return_counts=True)
                counter.update(dict(zip(keys.tolist(), counts.tolist(), strict=True)))

    def add_one(self, x: float) -> None:
        """Count one finite number (pure Python: the online path imports no numpy)."""
        magnitude = abs(x)
        if magnitude < TINY:
            self.zero += 1
        elif x > 0:
            self.positive[math.ceil(math.log(magnitude) / _LOG_GAMMA)] += 1
        else:
            self.negative[math.ceil(math.log(magnitude) / _LOG_GAMMA)] += 1

    def merge(self, other: Sketch) -> None:
        self.positive.update(other.positive)
        self.negative.update(other.negative)
        self.zero += other.zero

    def buckets(self) -> list[tuple[float, int]]:
        """(representative value, count) of every bucket, in increasing order of value."""
        out = [(-_value(k), n) for k, n in sorted(self.negative.items(), reverse=True)]
        out += [(0.0, self.zero)] if self.zero else []
        out += [(_value(k), n) for k, n in sorted(self.positive.items())]
        return out

    def quantile(self, q: float) -> float | None:
        """The value at quantile `q` (0..1), within ALPHA of a true one; None when empty."""
        total = self.count
        if not total:
            return None
        rank = q * (total - 1)
        seen = 0
        for value, n in self.buckets():
            seen += n
            if seen > rank:
                return value
        return self.buckets()[-1][0]  # pragma: no cover - rank < total always lands above

    def to_dict(self) -> dict[str, Any]:
        return {
            "zero": self.zero,
            "positive": {str(k): n for k, n in sorted(self.positive.items())},
            "negative": {str(k): n for k, n in sorted(self.negative.items())},
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Sketch:
        return cls(
            Counter({int(k): int(n) for k, n in doc["positive"].items()}),
            Counter({int(k): int(n) for k, n in doc["negative"].items()}),
            int(doc["zero"]),
        )


def _keys(magnitude: np.ndarray) -> np.ndarray:
    import numpy as np

    keys: np.ndarray = np.ceil(np.log(magnitude) / _LOG_GAMMA).astype(np.int64)
    return keys


def _value(key: int) -> float:
    """A bucket's representative: the value whose relative distance to both its ends is ALPHA."""
    return 2 * GAMMA**key / (GAMMA + 1)


@dataclass(slots=True)
class ColumnProfile:
    """One column: how many rows had it, how many were null or unreadable, and its values."""

    name: str
    type: str
    rows: int = 0
    nulls: int = 0
    invalid: int = 0  # values that do not read as the column's type
    nans: int = 0
    infinities: int = 0
    low: Any = None  # the least and greatest value read (string lengths; ISO text for dates,
    # and for instants in UTC to the microsecond, so that the text sorts as they do)
    high: Any = None
    sketch: Sketch | None = None  # numbers; string lengths
    values: Counter[str] | None = None  # categories and booleans
    hours: list[int] | None = None  # datetimes: per hour of the day, in the column's zone
    weekdays: list[int] | None = None  # ... per day of the week, Monday first
    offsets: Counter[str] | None = None  # datetimes: the UTC offsets values arrived with
    # Live profiles (skewless.live) only: the column's violations by code; None in batch ones.
    violations: Counter[str] | None = None

    @classmethod
    def empty(cls, column: Column) -> ColumnProfile:
        made = cls(column.name, column.type)
        if column.type in ("integer", "float", "string", "date"):
            made.sketch = Sketch()
        if column.type in ("category", "boolean"):
            made.values = Counter()
        if column.type == "datetime":
            made.hours, made.weekdays, made.offsets = [0] * 24, [0] * 7, Counter()
        return made

    @property
    def present(self) -> int:
        """Rows with a value of the column's type (not null, not unreadable)."""
        return self.rows - self.nulls - self.invalid

    @property
    def null_rate(self) -> float:
        return self.nulls / self.rows if self.rows else 0.0

    def merge(self, other: ColumnProfile) -> None:
        if (other.name, other.type) != (self.name, self.type):
            raise ValueError(f"cannot merge column {other.name!r} into {self.name!r}")
        self.rows += other.rows
        self.nulls += other.nulls
        self.invalid += other.invalid
        self.nans += other.nans
        self.infinities += other.infinities
        self._bounds(other.low, other.high)
        if self.sketch is not None and other.sketch is not None:
            self.sketch.merge(other.sketch)
        if self.values is not None and other.values is not None:
            _count_capped(self.values, other.values)
        if self.hours is not None and other.hours is not None:
            self.hours = [a + b for a, b in zip(self.hours, other.hours, strict=True)]
        if self.weekdays is not None and other.weekdays is not None:
            self.weekdays = [a + b for a, b in zip(self.weekdays, other.weekdays, strict=True)]
        if self.offsets is not None and other.offsets is not None:
            _count_capped(self.offsets, other.offsets, MAX_OFFSETS)
        if other.violations is not None:
            self.violations = (self.violations or Counter()) + other.violations

    def _bounds(self, low: Any, high: Any) -> None:
        if low is not None and (self.low is None or low < self.low):
            self.low = low
        if high is not None and (self.high is None or high > self.high):
            self.high = high

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "type": self.type,
            "rows": self.rows,
            "nulls": self.nulls,
            "invalid": self.invalid,
            "nans": self.nans,
            "infinities": self.infinities,
            "min": self.low,
            "max": self.high,
        }
        if self.sketch is not None:
            doc["sketch"] = self.sketch.to_dict()
        if self.values is not None:
            doc["values"] = dict(sorted(self.values.items()))
        if self.hours is not None:
            doc["hours"] = self.hours
            doc["weekdays"] = self.weekdays
            doc["offsets"] = dict(sorted((self.offsets or {}).items()))
        if self.violations is not None:
            doc["violations"] = dict(sorted(self.violations.items()))
        return doc

    @classmethod
    def from_dict(cls, name: str, doc: dict[str, Any]) -> ColumnProfile:
        made = cls(name, str(doc["type"]))
        made.rows, made.nulls, made.invalid = (
            int(doc["rows"]),
            int(doc["nulls"]),
            int(doc["invalid"]),
        )
        made.nans, made.infinities = int(doc["nans"]), int(doc["infinities"])
        made.low, made.high = doc.get("min"), doc.get("max")
        if "sketch" in doc:
            made.sketch = Sketch.from_dict(doc["sketch"])
        if "values" in doc:
            made.values = Counter({str(k): int(n) for k, n in doc["values"].items()})
        if "hours" in doc:
            made.hours = [int(n) for n in doc["hours"]]
            made.weekdays = [int(n) for n in doc["weekdays"]]
            if len(made.hours) != 24 or len(made.weekdays) != 7:
                raise ValueError(f"column {name!r}: 24 hours and 7 weekdays expected")
            made.offsets = Counter({str(k): int(n) for k, n in doc["offsets"].items()})
        if "violations" in doc:
            made.violations = Counter({str(k): int(n) for k, n in doc["violations"].items()})
        return made


def _count_capped(into: Counter[str], more: Counter[str], cap: int = MAX_VALUES) -> None:
    """Add `more` to `into`, new keys past `cap` distinct ones counted under OTHER. Exact (the
    same as counting the concatenation) while the two hold no more than `cap` keys together."""
    for key, n in sorted(more.items()):
        if key in into or len(into) < cap:
            into[key] += n
        else:
            into[OTHER] += n


@dataclass(slots=True)
class Profile:
    """A dataset's profile: per contract column, and the rows of undeclared columns."""

    contract: str
    version: str
    env: Env | None
    rows: int = 0
    columns: dict[str, ColumnProfile] = field(default_factory=dict)
    undeclared: Counter[str] = field(default_factory=Counter)  # column -> rows that carried it

    def merge(self, other: Profile) -> Profile:
        """Add `other` (same contract and environment) into this profile; returns it."""
        if (other.contract, other.env) != (self.contract, self.env):
            raise ValueError(
                f"cannot merge a profile of {other.contract} ({other.env}) into one of "
                f"{self.contract} ({self.env})"
            )
        self.rows += other.rows
        for name, column in other.columns.items():
            if name in self.columns:
                self.columns[name].merge(column)
            else:
                self.columns[name] = ColumnProfile.from_dict(name, column.to_dict())
        self.undeclared.update(other.undeclared)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "contract": self.contract,
            "version": self.version,
            "env": self.env,
            "rows": self.rows,
            "columns": {name: c.to_dict() for name, c in self.columns.items()},
            "undeclared": dict(sorted(self.undeclared.items())),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=True, indent=1, allow_nan=False)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Profile:
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError(f"not a skewless profile (expected format {FORMAT!r})")
        return cls(
            str(doc["contract"]),
            str(doc["version"]),
            doc.get("env"),
            int(doc["rows"]),
            {name: ColumnProfile.from_dict(name, c) for name, c in doc["columns"].items()},
            Counter({str(k): int(n) for k, n in doc.get("undeclared", {}).items()}),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Profile:
        try:
            return cls.from_dict(json.loads(text))
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise ValueError(f"not a readable skewless profile: {exc}") from None


# --- profiling data -----------------------------------------------------------------------------


def profile(
    contract: Contract,
    data: Any,
    *,
    env: Env | None = None,
    chunk_rows: int | None = None,
) -> Profile:
    """The profile of a DataFrame, a file, a Parquet dataset or a SQL source."""
    from skewless.gate import source_of

    return profile_source(contract, source_of(data), env=env, chunk_rows=chunk_rows)


def profile_source(
    contract: Contract,
    source: Source,
    *,
    env: Env | None = None,
    chunk_rows: int | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> Profile:
    """The profile of a source, read chunk by chunk (memory is bounded by a chunk)."""
    from skewless.io import DEFAULT_CHUNK_ROWS

    whole = Profile(contract.name, contract.version, env)
    for chunk in source.chunks(DEFAULT_CHUNK_ROWS if chunk_rows is None else chunk_rows):
        whole.merge(
            profile_chunk(
                contract, chunk.columns, env=env, text=chunk.text, rows=chunk.rows,
                records=chunk.records,
            )
        )  # fmt: skip
        if on_chunk is not None:
            on_chunk(chunk.rows)
    return whole


def profile_chunk(
    contract: Contract,
    columns: dict[str, Any],
    *,
    env: Env | None = None,
    text: bool = False,
    rows: int | None = None,
    records: bool = False,
) -> Profile:
    """The profile of one chunk: named columns as the readers give them. `records`: the chunk
    is records (JSON Lines), whose columns are the keys some record of the chunk holds: a key
    a record lacks reads as null, and a declared key no record holds is a column of nulls (as
    `skewless.live` counts them)."""
    from skewless.batch import ABSENT, absent_as_null, convert_column

    if rows is None:
        rows = max((len(data) for data in columns.values()), default=0)
    made = Profile(contract.name, contract.version, env, rows)
    declared = {c.name: c for c in contract.columns if c.allowed_in(env)}
    if records:
        columns = {name: [None] * rows for name in declared} | columns
    for name, data in columns.items():
        column = declared.get(name)
        if column is None:
            made.undeclared[name] += (
                sum(v is not ABSENT for v in data) if isinstance(data, list) else len(data)
            )
            continue
        # Records: a key a record lacks reads as null here.
        converted = convert_column(column, absent_as_null(data), text=text)
        invalid = int(converted.failed_mask().sum())
        made.columns[name] = _column(column, converted.array, invalid, data)
    return made


def _column(column: Column, array: pa.Array, invalid: int, raw: Any) -> ColumnProfile:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    made = ColumnProfile.empty(column)
    made.rows = len(array)
    made.invalid = invalid
    made.nulls = array.null_count - invalid
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    present = array.drop_null()
    if column.type in ("integer", "float"):
        held = present.to_numpy(zero_copy_only=False)
        numbers = held.astype(np.float64)
        nan = np.isnan(numbers)
        inf = np.isinf(numbers)
        made.nans, made.infinities = int(nan.sum()), int(inf.sum())
        finite = numbers[~nan & ~inf]
        assert made.sketch is not None
        made.sketch.add(finite)
        if len(finite):
            # Integers from the int64 values themselves: 2**63 - 1 is no double.
            exact = held if column.type == "integer" else finite
            made.low, made.high = exact.min().item(), exact.max().item()
    elif column.type == "string":
        assert made.sketch is not None
        lengths = pc.utf8_length(present).to_numpy(zero_copy_only=False).astype(np.float64)
        made.sketch.add(lengths)
        if len(lengths):
            made.low, made.high = int(lengths.min()), int(lengths.max())
    elif column.type == "date":
        assert made.sketch is not None
        days = present.cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.float64)
        made.sketch.add(days)
        if len(present):
            made.low, made.high = str(pc.min(present)), str(pc.max(present))
    elif column.type in ("category", "boolean"):
        assert made.values is not None
        if column.type == "boolean":
            present = pc.if_else(present, "true", "false")
        _count_capped(made.values, _value_counts(present))
    else:  # datetime, in its zone
        _datetimes(made, present, raw)
    return made


def _datetimes(made: ColumnProfile, present: pa.Array, raw: Any) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from skewless.normalize import wall_us

    assert made.offsets is not None
    utc = pc.cast(present.cast(pa.timestamp("us", tz="UTC")), pa.int64())
    wall = wall_us(utc.to_numpy(zero_copy_only=False), present.type.tz or "UTC")
    day = 86_400_000_000
    hours = np.bincount((wall % day) // 3_600_000_000, minlength=24)
    weekdays = np.bincount((wall // day + 3) % 7, minlength=7)  # 1970-01-01 was a Thursday
    made.hours = [int(n) for n in hours]
    made.weekdays = [int(n) for n in weekdays]
    if len(present):  # in UTC, to the microsecond: the text then sorts as the instants do
        made.low, made.high = (
            pc.min(present).as_py().astimezone(dt.UTC).isoformat(timespec="microseconds"),
            pc.max(present).as_py().astimezone(dt.UTC).isoformat(timespec="microseconds"),
        )
    _count_capped(made.offsets, _offsets(raw), MAX_OFFSETS)


def _offsets(raw: Any) -> Counter[str]:
    """How the values arrived: 'Z', '+HH:MM' per offset, 'naive', or the dtype's zone."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from skewless.batch import arrow_of

    if isinstance(raw, list):
        raw = pa.array([v if isinstance(v, str) else None for v in raw], pa.large_string())
    else:
        raw = arrow_of(raw)
    if isinstance(raw, pa.ChunkedArray):
        raw = raw.combine_chunks()
    kind = raw.type
    if pa.types.is_timestamp(kind):
        return Counter({kind.tz or "naive": len(raw) - raw.null_count})
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):  # CSV cells, unparsed
        raw = raw.cast(pa.large_string(), safe=False)  # the offset is ASCII: bad bytes don't matter
    elif not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return Counter()
    found = pc.extract_regex(raw.drop_null(), r"(?P<offset>Z|z|[+-][0-9]{2}:?[0-9]{2}|)$").field(
        "offset"
    )
    counts: Counter[str] = Counter()
    for offset, n in _value_counts(found).items():  # 'z' and 'Z' are one offset
        counts[offset.upper() if offset else "naive"] += n
    return counts


def _value_counts(array: pa.Array) -> Counter[str]:
    import pyarrow.compute as pc

    counts = pc.value_counts(array)
    values, ns = counts.field(0).to_pylist(), counts.field(1).to_pylist()
    return Counter({str(v): int(n) for v, n in zip(values, ns, strict=True)})
