"""Frozen statistics: `fill_null: {freeze: median}` computed once from training data and written
into the contract, so that serving fills nulls with training's value, never its own.

    >>> result = skewless.freeze.freeze("contracts/user_features.yaml", "train.parquet")
    >>> result.statistics["user_age"].value         # 37, now in the file as `value: 37`
    >>> result.changed                               # the columns whose value changed

The statistic of a column is computed over its non-null values that read as its type and pass
its own checks (normalised: an unknown category counts as its `map_to`), so a training row with
an age of 500 does not move the median; NaN and infinities never enter a median or a mean.
Integers: the median and the mean are rounded to the nearest integer, half to even; floats: the
mean is the correctly rounded sum (`math.fsum`) divided by the count; the mode is the most
frequent value, ties going to the smallest.

The contract's text is edited in place at the fill_null's YAML node, `value: LITERAL` added to
(or replaced in) `{freeze: ...}`: every other byte of the file, comments, layout and line
endings included, stays as it was, and a value that reads as the statistic already is left as
written. The new text is loaded again before it is written, atomically, with the file's mode (a
read-only contract is refused; through a symbolic link, its target is written).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from skewless.errors import InputError
from skewless.loader import loads_contract
from skewless.yaml_dialect import compose, quoted, scalar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import numpy as np
    import pyarrow as pa

    from skewless.contract import Column, Contract, Env
    from skewless.io import Source


@dataclass(frozen=True, slots=True)
class Statistic:
    """One frozen value: what it is, and how many values it was computed from."""

    column: str
    statistic: str  # median, mean or mode
    value: Any
    values: int  # the values it was computed over
    nulls: int
    left_out: int  # values that do not read as the column's type or fail its checks
    before: Any  # the value the contract held (UNSET: none yet)

    @property
    def changed(self) -> bool:
        return type(self.before) is not type(self.value) or self.before != self.value


@dataclass(frozen=True, slots=True)
class FreezeResult:
    contract: Contract  # the contract as it reads with the new values
    text: str  # the new text of the contract file
    statistics: dict[str, Statistic] = field(default_factory=dict)

    @property
    def changed(self) -> list[str]:
        return [name for name, s in self.statistics.items() if s.changed]


class NothingToFreeze(ValueError):
    """A column whose statistic has no value to be computed from (every value null or bad)."""


# --- computing the statistics -------------------------------------------------------------------


@dataclass(slots=True)
class _Tally:
    """What one column's statistic needs, gathered chunk by chunk."""

    column: Column
    parts: list[Any] = field(default_factory=list)  # numbers (median, mean), as numpy arrays
    counts: Counter[Any] = field(default_factory=Counter)  # values (mode)
    values: int = 0
    nulls: int = 0
    left_out: int = 0

    def add(self, data: Any, text: bool) -> None:
        import numpy as np
        import pyarrow.compute as pc

        from skewless.batch import convert_column

        converted = convert_column(self.column, data, text=text)
        failed = converted.failed_mask()
        array = converted.array
        nulls = pc.is_null(array).to_numpy(zero_copy_only=False) & ~failed
        self.nulls += int(nulls.sum())
        good = _passing(self.column, array, ~nulls & ~failed)
        self.left_out += int(failed.sum()) + int((~nulls & ~failed).sum()) - len(good)
        self.values += len(good)
        if self.column.fill_freeze == "mode":
            counts = pc.value_counts(good)
            # One by one: arrow counts -0.0 apart from 0.0, which Python keys take as one.
            pairs = zip(counts.field(0).to_pylist(), counts.field(1).to_pylist(), strict=True)
            for value, n in pairs:
                self.counts[value] += n
        else:
            numbers = good.to_numpy(zero_copy_only=False)
            if self.column.type == "float":  # NaN and infinities (allow_nan, allow_inf)
                odd = int((~np.isfinite(numbers)).sum())
                self.left_out += odd
                self.values -= odd
                numbers = numbers[np.isfinite(numbers)]
            self.parts.append(numbers)

    def result(self) -> Any:
        column = self.column
        if not self.values:
            raise NothingToFreeze(
                f"column {column.name!r} has no value to compute the {column.fill_freeze} of "
                f"({self.nulls} nulls, {self.left_out} values left out)"
            )
        if column.fill_freeze == "mode":
            top = max(self.counts.values())
            return min(v for v, n in self.counts.items() if n == top)
        import numpy as np

        numbers = np.concatenate(self.parts)
        if column.type == "integer":
            ints = numbers.astype(np.int64)
            if column.fill_freeze == "mean":
                return _round_half_even(Fraction(sum(ints.tolist()), len(ints)))
            return _round_half_even(_median(ints))
        floats = numbers.astype(np.float64)
        n = len(floats)
        if column.fill_freeze == "mean":
            try:
                found = math.fsum(floats.tolist()) / n
            except OverflowError:  # the sum passes the largest double: add the shares instead
                found = math.fsum((floats / n).tolist())
        else:
            middle = np.partition(floats, [(n - 1) // 2, n // 2])
            a, b = float(middle[(n - 1) // 2]), float(middle[n // 2])
            found = (a + b) / 2 if math.isfinite(a + b) else a / 2 + b / 2
        return min(max(found, float(floats.min())), float(floats.max()))


def _passing(column: Column, array: pa.Array, usable: np.ndarray) -> pa.Array:
    """The usable values, normalised, that pass every check of the column."""
    import pyarrow as pa

    from skewless.checks import checks_for, vector_test
    from skewless.normalize import normalize_column

    values = normalize_column(column, array.filter(pa.array(usable)))
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    keep = None
    for kind in checks_for(column):
        passed = vector_test(kind, column)(values)
        keep = passed if keep is None else keep & passed
    return values if keep is None else values.filter(pa.array(keep))


def _median(ints: np.ndarray) -> Fraction:
    """The exact median of integers (the middle one, or the mean of the middle two)."""
    import numpy as np

    n = len(ints)
    middle = np.partition(ints, [(n - 1) // 2, n // 2])
    return Fraction(int(middle[(n - 1) // 2]) + int(middle[n // 2]), 2)


def _round_half_even(x: Fraction) -> int:
    return round(x)  # Fraction rounds half to even, exactly


def statistics(
    contract: Contract,
    sources: Iterable[Source],
    *,
    env: Env | None = "training",
    chunk_rows: int | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> dict[str, Statistic]:
    """The statistic of every `freeze:` column, over every source (read chunk by chunk).

    Raises `InputError` for a source without a frozen column, `NothingToFreeze` for a column
    with no usable value."""
    from skewless.batch import absent_as_null
    from skewless.io import DEFAULT_CHUNK_ROWS

    wanted = [c for c in contract.columns if c.fill_freeze is not None and c.allowed_in(env)]
    tallies = {c.name: _Tally(c) for c in wanted}
    for source in sources:
        seen: set[str] = set()
        for chunk in source.chunks(DEFAULT_CHUNK_ROWS if chunk_rows is None else chunk_rows):
            for name, tally in tallies.items():
                if name in chunk.columns:
                    seen.add(name)
                    tally.add(absent_as_null(chunk.columns[name]), chunk.text)
            if on_chunk is not None:
                on_chunk(chunk.rows)
        missing = [name for name in tallies if name not in seen]
        if missing:
            raise InputError(source.name, f"has no column {', '.join(map(repr, missing))}")
    return {
        name: Statistic(
            name,
            tally.column.fill_freeze or "",
            tally.result(),
            tally.values,
            tally.nulls,
            tally.left_out,
            tally.column.fill_null,
        )
        for name, tally in tallies.items()
    }


# --- writing them into the contract ---------------------------------------------------------------


def freeze(
    contract_path: str | Path,
    data: Any,
    *,
    env: Env | None = "training",
    chunk_rows: int | None = None,
    write: bool = True,
    on_chunk: Callable[[int], None] | None = None,
) -> FreezeResult:
    """Compute every `freeze:` statistic from `data` (a source, a path, a DataFrame, or a list
    of them) and write the values into the contract file (unless `write=False`)."""
    from skewless.gate import source_of
    from skewless.loader import load_contract

    path = Path(contract_path)
    if path.is_symlink():
        path = path.resolve()  # the link's target is the contract to edit
    contract = load_contract(path)
    # It loaded: readable UTF-8. Bytes, not read_text: newlines stay as they are (CRLF).
    text = path.read_bytes().decode("utf-8")
    items = data if isinstance(data, list | tuple) else [data]
    found = statistics(
        contract,
        (source_of(d) for d in items),
        env=env,
        chunk_rows=chunk_rows,
        on_chunk=on_chunk,
    )
    changed = {n: s.value for n, s in found.items() if s.changed}  # `value: 1` for 1.0 stays
    new_text = frozen_text(text, str(path), changed, contract)
    result = FreezeResult(loads_contract(new_text, file=str(path)), new_text, found)
    for name, stat in found.items():  # the file now reads as computed
        read = result.contract.column(name).fill_null
        if type(read) is not type(stat.value) or read != stat.value:
            raise AssertionError(f"{name}: wrote {stat.value!r}, the contract reads {read!r}")
    if write and new_text != text:
        _replace(path, new_text)
    return result


def frozen_text(text: str, file: str, values: dict[str, Any], contract: Contract) -> str:
    """`text` with `value: LITERAL` set in the `fill_null: {freeze: ...}` of each column."""
    root = compose(text, file)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), on the original text
    newline = "\r\n" if "\r\n" in text else "\n"
    for name, value in values.items():
        node = _fill_node(root, name)
        literal = yaml_literal(value, contract.column(name))
        pairs = node.value
        held = next((v for k, v in pairs if k.value == "value"), None)
        if held is not None:
            edits.append((held.start_mark.index, held.end_mark.index, literal))
        elif node.flow_style:
            end = pairs[-1][1].end_mark.index
            edits.append((end, end, f", value: {literal}"))
        else:
            last = pairs[-1][1].end_mark.index
            # A block scalar (`>-`, `|`) ends at the start of the next line already.
            end = last - 1 if text[last - 1 : last] == "\n" else text.find("\n", last)
            at = len(text) if end < 0 else end + 1
            indent = " " * pairs[0][0].start_mark.column
            lead = newline if end < 0 else ""
            edits.append((at, at, f"{lead}{indent}value: {literal}{newline}"))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _fill_node(root: yaml.Node, column: str) -> yaml.MappingNode:
    def get(node: yaml.Node, key: str) -> yaml.Node:
        assert isinstance(node, yaml.MappingNode)
        found: yaml.Node = next(v for k, v in node.value if k.value == key)
        return found

    node = get(get(get(root, "columns"), column), "fill_null")
    assert isinstance(node, yaml.MappingNode)
    return node


def yaml_literal(value: Any, column: Column) -> str:
    """`value` as the contract's YAML dialect reads it back for `column`, exactly."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as this double
    if isinstance(value, dt.datetime | dt.date):
        return quoted(value.isoformat())
    return scalar(str(value))  # Other, free, en-US plain, as a person writes them


def _replace(path: Path, text: str) -> None:
    """Write `text` over `path`, whole or not at all (`OutputError`), keeping its mode; a
    read-only contract (no write bit) is not replaced."""
    import os
    import stat

    from skewless.errors import OutputError
    from skewless.quarantine import AtomicFile

    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o222:
        raise OutputError(str(path), "is read-only (no write permission): not changed")
    written = AtomicFile(path)
    written.file.write(text.encode("utf-8"))
    written.commit()
    os.chmod(path, mode)


__all__ = [
    "FreezeResult",
    "NothingToFreeze",
    "Statistic",
    "freeze",
    "frozen_text",
    "statistics",
    "yaml_literal",
]
