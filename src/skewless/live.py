"""Online skew: running counts of what an online gate receives, as a profile drift can compare.

    >>> live = LiveProfile(contract, env="serving")
    >>> app = ContractMiddleware(app, routes={"/predict": Route(contract, profile=live)})
    >>> live.snapshot()                  # a skewless.profile.Profile of every record so far
    >>> live.dump("serving.json")        # then, from a shell:
    $ skewless drift contract.yaml --baseline baseline.json --current serving.json

Every record a route receives is counted, valid or rejected (drift is about what arrives):
per column, nulls, values that do not read as the column's type, a quantile sketch of numbers
and string lengths, counts per category (before `map_to`: the unseen ones are the point), hours,
weekdays and arrival offsets of datetimes (the zone mix), and, unlike a batch profile, the
violations of the column's checks by code (range, vocabulary, pattern...). Keys outside the
contract are counted as undeclared columns.

The same counts as `skewless.profile` makes from a file of the same records (a test holds them
equal), in pure Python: no numpy or pyarrow is imported on the request path. A client controls
what is counted, so memory is bounded: at most 1,000 distinct values per column and 1,000
undeclared keys (the rest counted together, as in any profile), each kept to its first 256
characters. Thread-safe: one lock around each record's counting (WSGI servers run threads).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skewless.checks import checks_for
from skewless.dtypes import convert_scalar, is_null
from skewless.normalize import normalize_value, zone
from skewless.profile import MAX_OFFSETS, MAX_VALUES, OTHER, ColumnProfile, Profile

if TYPE_CHECKING:
    from collections.abc import Callable

    from skewless.contract import Column, Contract, Env

MAX_KEY = 256  # characters of a counted value or key name kept
_UNJUDGED: Any = object()
_OFFSET = re.compile(r"(Z|z|[+-][0-9]{2}:?[0-9]{2}|)$")
_EPOCH_DAY = dt.date(1970, 1, 1).toordinal()


def _count(counter: Counter[str], key: str, cap: int = MAX_VALUES) -> None:
    if len(key) > MAX_KEY:
        key = key[: MAX_KEY - 1] + "\u2026"
    if key in counter or len(counter) < cap:
        counter[key] += 1
    else:
        counter[OTHER] += 1


class _Counter:
    """One column's running counts."""

    __slots__ = ("column", "high", "low", "made", "tests", "tz")

    def __init__(self, column: Column) -> None:
        self.column = column
        self.made = ColumnProfile.empty(column)
        self.made.violations = Counter()
        self.tests: tuple[tuple[str, Callable[[Any], bool]], ...] = tuple(
            (str(k.code), k.scalar(column)) for k in checks_for(column)
        )
        self.tz = zone(column.timezone) if column.timezone else None
        self.low: Any = None  # the least and greatest value, kept as read
        self.high: Any = None

    def add(self, raw: Any, passed: Any = _UNJUDGED) -> None:
        """Count a value as it arrived; `passed`: its normalised value, when the record passed
        the contract (its checks need no second run, and its type is already read)."""
        made, column = self.made, self.column
        made.rows += 1
        if is_null(raw, column, nan_is_null=False):
            made.nulls += 1
            return
        if column.type == "datetime" and isinstance(raw, str):
            found = _OFFSET.search(raw)
            offset = found.group(1).upper() if found else ""
            assert made.offsets is not None
            _count(made.offsets, offset or "naive", MAX_OFFSETS)
        if passed is not _UNJUDGED:
            # The same instant, number or text as read below (a category as it arrived, not
            # its map_to): only the zone of a datetime may differ, and `_value` sets it.
            self._value(raw if column.type == "category" else passed)
            return
        value, failure = convert_scalar(column, raw)
        assert made.violations is not None
        if failure is not None:
            made.invalid += 1
            made.violations[str(failure.code)] += 1
            return
        normalised = normalize_value(column, value)
        for code, test in self.tests:
            if not test(normalised):
                made.violations[code] += 1
        self._value(value)

    def _value(self, value: Any) -> None:
        made, kind = self.made, self.column.type
        if kind in ("integer", "float"):
            x = float(value)
            if math.isnan(x):
                made.nans += 1
                return
            if math.isinf(x):
                made.infinities += 1
                return
            assert made.sketch is not None
            made.sketch.add_one(x)
            self._bounds(value if kind == "integer" else x)
        elif kind == "string":
            assert made.sketch is not None
            made.sketch.add_one(float(len(value)))
            self._bounds(len(value))
        elif kind == "date":
            assert made.sketch is not None
            made.sketch.add_one(float(value.toordinal() - _EPOCH_DAY))
            self._bounds(value)  # shown as ISO text in the profile
        elif kind in ("category", "boolean"):
            assert made.values is not None
            _count(made.values, ("true" if value else "false") if kind == "boolean" else value)
        else:
            local = value.astimezone(self.tz)
            assert made.hours is not None
            assert made.weekdays is not None
            made.hours[local.hour] += 1
            made.weekdays[local.weekday()] += 1
            self._bounds(value)  # an aware datetime: compared as instants

    def _bounds(self, value: Any) -> None:
        if self.low is None or value < self.low:
            self.low = value
        if self.high is None or value > self.high:
            self.high = value

    def profile(self) -> ColumnProfile:
        """A copy of the counts, the bounds written as a batch profile writes them."""
        made = ColumnProfile.from_dict(self.column.name, self.made.to_dict())
        made.low, made.high = _shown(self.low), _shown(self.high)
        return made


def _shown(bound: Any) -> Any:
    """Dates as ISO text, instants in UTC to the microsecond (text that sorts as they do)."""
    if isinstance(bound, dt.datetime):
        return bound.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(bound, dt.date):
        return bound.isoformat()
    return bound


class LiveProfile:
    """Running counts of the records an online gate receives; `snapshot()` is a `Profile`."""

    def __init__(self, contract: Contract, *, env: Env | None = "serving", every: int = 1) -> None:
        """`every`: count one record in so many (1: all), for routes so busy that counting each
        costs too much; the counts are then a systematic sample."""
        if type(every) is not int or every < 1:
            raise ValueError(f"every must be a positive integer, not {every!r}")
        self.contract = contract
        self.env = env
        self.every = every
        self._arrived = 0
        self._columns = {c.name: _Counter(c) for c in contract.columns if c.allowed_in(env)}
        self._rows = 0
        self._undeclared: Counter[str] = Counter()
        self._lock = threading.Lock()

    def observe(self, record: Any, passed: Mapping[str, Any] | None = None) -> None:
        """Count one record as it arrived (a mapping; anything else is not a record).

        `passed`: the validator's normalised record, when the record passed the contract (the
        middleware gives it): the counts are the same, at a fraction of the cost."""
        if not isinstance(record, Mapping):
            return
        with self._lock:
            self._arrived += 1
            if self._arrived % self.every:
                return
            self._rows += 1
            if passed is None:
                for name, counter in self._columns.items():
                    counter.add(record.get(name))
            else:
                for name, counter in self._columns.items():
                    counter.add(record.get(name), passed.get(name, _UNJUDGED))
            for key in record:
                if key not in self._columns:
                    _count(self._undeclared, key if isinstance(key, str) else repr(key))

    def observe_many(self, records: Iterable[Any]) -> None:
        for record in records:
            self.observe(record)

    def snapshot(self) -> Profile:
        """A copy of the counts so far, as a profile (`to_json()`, `merge`, `skewless drift`)."""
        with self._lock:
            return self._snapshot()

    def dump(self, path: str | Path) -> Profile:
        """Write the snapshot as a profile file, whole or not at all; returns it."""
        from skewless.quarantine import AtomicFile

        made = self.snapshot()
        written = AtomicFile(Path(path))
        written.file.write((made.to_json() + "\n").encode("ascii"))
        written.commit()
        return made

    def reset(self) -> Profile:
        """The snapshot, then counting starts again from nothing (a profile per window)."""
        with self._lock:
            made = self._snapshot()
            self._columns = {name: _Counter(c.column) for name, c in self._columns.items()}
            self._rows = 0
            self._undeclared = Counter()
        return made

    def _snapshot(self) -> Profile:
        made = Profile(self.contract.name, self.contract.version, self.env, self._rows)
        for name, counter in self._columns.items():
            made.columns[name] = counter.profile()
        made.undeclared = Counter(self._undeclared)
        return made


__all__ = ["LiveProfile"]
