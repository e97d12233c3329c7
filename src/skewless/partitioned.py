"""The contract on a distributed engine: what each partition runs, what the engine reduces.

A run on Dask or Spark is two maps over the partitions, with one reduction by the engine
between them (`engine_dask`, `engine_spark` schedule them; this module holds what they run):

1. `partition_keys`: per partition, the code of every row's key for each key check
   (`global_checks._key_codes`: the same codes a local run keeps) and the distinct (group,
   instant) pairs of each cadence column. The engine reduces them: a key's rows after its
   first repeat it (`repeated_keys`, after a shuffle by key code), and a pair that is not one
   step after the previous instant of its group breaks the cadence (`cadence_breaks`, after a
   shuffle by group).
2. `validate_partition`: per partition, the local engine's own `Run` over its rows, told which
   of them repeat a key or break a cadence (`Decided`). It returns the partition's violations
   and, when the run writes outputs, its valid and quarantined rows.

`assemble` joins the partitions' violations into the `Report` a local run gives for the same
rows: row ids are positions in the whole source (partition offset + row in the partition), so
the verdicts, the row ids and the quarantine are the laptop's, whatever the partitioning.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skewless.batch import Chunk, KeptValues, compile_contract, typed_columns
from skewless.global_checks import (
    GlobalChecks,
    _cadence_rows,
    _key_codes,
    _pair_codes,
    cadence_breaks,
    key_checks,
)
from skewless.loader import duration_us
from skewless.report import Block, Report

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from skewless.batch import ColumnData
    from skewless.contract import Contract, Env
    from skewless.datasets import DatasetOutput
    from skewless.gate import GateResult

# The rows of a partition's key codes: (key check, code, row id), one per row with no null in
# the key; and of its cadence pairs: (cadence column, group code, instant), distinct.
KEY_FIELDS = (("check", "int32"), ("code", "int64"), ("row", "int64"))
PAIR_FIELDS = (("column", "int32"), ("group", "int64"), ("instant", "int64"))


@dataclass(frozen=True, slots=True)
class Plan:
    """What every partition of one run is told: the contract and how to report."""

    contract: Contract
    env: Env | None
    source: str
    run_id: str
    keep_values: int | None = 1000
    valid: bool = False  # the run writes valid rows
    held: bool = False  # the run writes quarantined rows
    chunk_rows: int = 1 << 20  # rows validated at a time within a partition

    @property
    def writing(self) -> bool:
        return self.valid or self.held

    def writing_to(self, valid_out: object | None, quarantine: object | None) -> Plan:
        """This plan, writing the outputs that are given."""
        return replace(self, valid=valid_out is not None, held=quarantine is not None)


def spanning_columns(contract: Contract, env: Env | None) -> list[str]:
    """The columns the first pass reads: those of key checks and cadences (with their groups)."""
    names: list[str] = []
    for key, _, _ in key_checks(contract):
        names += key
    for column in contract.columns:
        if column.cadence is not None:
            names += (column.name, *column.cadence_by)
    allowed = {c.name for c in contract.columns if c.allowed_in(env)}
    return [n for n in dict.fromkeys(names) if n in allowed]


def partition_keys(
    contract: Contract, env: Env | None, columns: Mapping[str, ColumnData], rows: np.ndarray
) -> tuple[pa.Table, pa.Table]:
    """(key codes, cadence pairs) of one partition, as `KEY_FIELDS` and `PAIR_FIELDS` tables;
    `rows` are the partition's row ids in the whole source."""
    import numpy as np

    typed = typed_columns(contract, spanning_columns(contract, env), columns, text=False)
    keys = []
    for i, (key, _, _) in enumerate(key_checks(contract)):
        if all(k in typed for k in key) and len(rows):
            at, codes = _key_codes([typed[k] for k in key])
            keys.append((np.full(len(at), i, np.int32), codes, rows[at]))
    pairs = []
    for j, column in enumerate(contract.columns):
        if column.cadence is not None and all(
            k in typed for k in (column.name, *column.cadence_by)
        ):
            _, groups, instants = _cadence_rows(column, typed)
            distinct = np.unique(np.stack((groups, instants)), axis=1)
            pairs.append((np.full(distinct.shape[1], j, np.int32), distinct[0], distinct[1]))
    return _table(KEY_FIELDS, keys), _table(PAIR_FIELDS, pairs)


def repeated_keys(keys: pa.Table) -> pa.Table:
    """The rows (check, row) that repeat an earlier row's key: all of each key's rows but its
    first. Correct over any set of rows that holds every row of each key it holds (a shuffle
    by key code gives such sets)."""
    import numpy as np
    import pyarrow as pa

    check = _numpy(keys, "check")
    code = _numpy(keys, "code")
    row = _numpy(keys, "row")
    order = np.lexsort((row, code, check))
    check, code, row = check[order], code[order], row[order]
    again = np.zeros(len(row), dtype=bool)
    again[1:] = (check[1:] == check[:-1]) & (code[1:] == code[:-1])
    return pa.table({"check": check[again], "row": row[again]})


def broken_pairs(contract: Contract, pairs: pa.Table) -> pa.Table:
    """The (column, group, instant) pairs breaking their column's cadence. Correct over any set
    of pairs that holds every pair of each (column, group) it holds."""
    import numpy as np

    column = _numpy(pairs, "column")
    group = _numpy(pairs, "group")
    instant = _numpy(pairs, "instant")
    parts = []
    for j in np.unique(column).tolist():
        at = column == j
        step = duration_us(contract.columns[j].cadence or "")
        bad = cadence_breaks(group[at], instant[at], step)
        parts.append((column[at][bad], group[at][bad], instant[at][bad]))
    return _table(PAIR_FIELDS, parts)


@dataclass(slots=True)
class Decided:
    """The row-spanning verdicts of the whole source, as each partition needs them."""

    repeats: dict[int, np.ndarray] = field(default_factory=dict)  # check -> sorted row ids
    cadence_bad: dict[str, np.ndarray] = field(default_factory=dict)  # column -> pair codes

    @classmethod
    def of(cls, contract: Contract, repeated: pa.Table, broken: pa.Table) -> Decided:
        """From the engine's reductions (`repeated_keys`, `broken_pairs` over every row)."""
        import numpy as np

        check, row = _numpy(repeated, "check"), _numpy(repeated, "row")
        repeats = {i: np.sort(row[check == i]) for i in np.unique(check).tolist()}
        column = _numpy(broken, "column")
        group, instant = _numpy(broken, "group"), _numpy(broken, "instant")
        cadence_bad = {}
        for j, c in enumerate(contract.columns):
            if c.cadence is not None:
                at = column == j
                cadence_bad[c.name] = np.unique(_pair_codes(c, group[at], instant[at]))
        return cls(repeats, cadence_bad)

    def within(self, lo: int, hi: int) -> Decided:
        """Only the repeats of rows lo..hi (inclusive): what one partition needs to be sent."""
        import numpy as np

        return Decided(
            {
                i: rows[np.searchsorted(rows, lo) : np.searchsorted(rows, hi, side="right")]
                for i, rows in self.repeats.items()
            },
            self.cadence_bad,
        )


@dataclass(slots=True)
class PartResult:
    """What one partition hands back: its violations, its row count, its outputs' rows."""

    rows: int
    blocks: list[Block]  # row ids are the whole source's; values as `KeptValues`
    valid: pa.Table | None = None
    held: pa.Table | None = None


def validate_partition(
    plan: Plan,
    decided: Decided,
    columns: Mapping[str, ColumnData],
    rows: np.ndarray,
    valid_schema: pa.Schema | None = None,
    held_schema: pa.Schema | None = None,
) -> PartResult:
    """Validate one partition (`rows`: its row ids in the source, increasing) as the local
    engine validates the same rows; its outputs' rows in the given schemas when writing."""
    import pyarrow as pa

    from skewless.quarantine import _conform, split

    validator = compile_contract(plan.contract)
    run = validator.start(
        source=plan.source,
        env=plan.env,
        keep_values=plan.keep_values,
        cadence_bad=decided.cadence_bad,
        repeats=decided.repeats,
    )
    valid: list[pa.Table] = []
    held: list[pa.Table] = []
    n = len(rows)
    for lo in range(0, max(n, 1), plan.chunk_rows):
        hi = min(lo + plan.chunk_rows, n)
        chunk = Chunk({name: _slice(data, lo, hi) for name, data in columns.items()}, rows[lo:hi])
        result = run.feed(chunk)
        if plan.writing and valid_schema is not None:
            ok, bad = split(
                result,
                run.report.blocks,
                plan.run_id,
                valid_schema,
                valid=plan.valid,
                held=plan.held,
            )
            valid += [] if ok is None else [_conform(ok, valid_schema)]
            if bad is not None and held_schema is not None:
                held.append(_conform(bad, held_schema))
        del chunk, result
    if plan.keep_values is None:  # every value, as values that travel (not views of chunks)
        for block in run.report.blocks:
            if block.rows is not None and block.values is not None:
                shown = block.values(block.rows)
                block.values = KeptValues(zip(block.rows.tolist(), shown, strict=True))
    return PartResult(
        n,
        run.report.blocks,
        pa.concat_tables(valid) if valid else None,
        pa.concat_tables(held) if held else None,
    )


def assemble(plan: Plan, parts: list[PartResult]) -> Report:
    """One report from every partition's, in source order: the local run's report."""
    contract = plan.contract
    report = Report(
        contract.name, contract.version, plan.source, 0, [], columns=contract.column_names
    )
    # Column-level violations (a missing column) are found alike in every partition.
    report.blocks += [b for b in parts[0].blocks if b.rows is None] if parts else []
    for part in parts:
        report.rows += part.rows
        report.blocks += [b for b in part.blocks if b.rows is not None]
    if plan.keep_values is not None:
        _trim(report.blocks, plan.keep_values)
    counted = GlobalChecks(contract, compile_contract(contract).order, rows=report.rows)
    report.blocks += counted.finish()  # the row count (cadence was decided up front)
    return report


def run(
    plan: Plan,
    valid_out: str | Path | None,
    quarantine: str | Path | None,
    passes: Callable[[dict[str, DatasetOutput]], list[PartResult]],
    check: Callable[[], None] | None = None,
) -> GateResult:
    """One run on an engine: its outputs staged, the engine's two `passes` (which write into
    the staging directories and return every partition's result, in source order), the report
    assembled; the outputs swapped in only if all of it succeeded and `check` (the source is
    unchanged) raises nothing."""
    from skewless.datasets import commit_all, open_outputs
    from skewless.gate import GateResult

    targets = {"valid": valid_out, "held": quarantine}
    outputs = open_outputs({k: Path(p) for k, p in targets.items() if p is not None})
    try:
        report = assemble(plan, passes(outputs))
        if check is not None:
            check()
        commit_all(list(outputs.values()))
    except BaseException:
        for output in outputs.values():
            output.abort()
        raise
    return GateResult.of(
        report,
        plan.run_id,
        Path(valid_out) if valid_out is not None else None,
        Path(quarantine) if quarantine is not None else None,
    )


def valid_schema(contract: Contract, env: Env | None, source: pa.Schema) -> pa.Schema:
    """The valid output's columns: the contract's in its types, then the source's others when
    the contract allows extra columns."""
    import pyarrow as pa

    from skewless.dtypes import arrow_type

    fields = [pa.field(c.name, arrow_type(c)) for c in contract.columns if c.allowed_in(env)]
    known = {c.name for c in contract.columns}
    if contract.extra_columns == "allow":
        fields += [_plain(f) for f in source if f.name not in known]
    return pa.schema(fields)


def held_schema(source: pa.Schema) -> pa.Schema:
    """The quarantine's columns: where each row came from and why, then the source's own."""
    import pyarrow as pa

    from skewless.quarantine import QUARANTINE_FIELDS, quarantine_schema

    return pa.schema(
        [*quarantine_schema(), *(_plain(f) for f in source if f.name not in QUARANTINE_FIELDS)]
    )


def _plain(f: pa.Field) -> pa.Field:
    """A source field as an output holds it: dictionary text decoded, nullable."""
    import pyarrow as pa

    return pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)


def _trim(blocks: list[Block], keep: int) -> None:
    """Raw values for the first `keep` violations of the whole source only, as a local run
    keeps them chunk by chunk (each partition kept its own first `keep`, a superset)."""
    import numpy as np

    kept = [b for b in blocks if b.rows is not None and len(b.rows)]
    if not kept:
        return
    rows = np.sort(np.concatenate([b.rows for b in kept if b.rows is not None]))
    cutoff = rows[min(keep, len(rows)) - 1] if keep > 0 else -1
    for block in kept:
        if isinstance(block.values, KeptValues):
            block.values = KeptValues((r, v) for r, v in block.values.items() if r <= cutoff)


def _slice(data: ColumnData, lo: int, hi: int) -> ColumnData:
    if isinstance(data, list):
        return data[lo:hi]
    if hasattr(data, "iloc"):
        return data.iloc[lo:hi]
    return data.slice(lo, hi - lo)


def _numpy(table: pa.Table, name: str) -> np.ndarray:
    array: np.ndarray = table.column(name).to_numpy()
    return array


def _table(spec: tuple[tuple[str, str], ...], parts: Sequence[tuple[Any, ...]]) -> pa.Table:
    import numpy as np
    import pyarrow as pa

    return pa.table(
        {
            name: pa.array(
                np.concatenate([p[i] for p in parts]) if parts else np.zeros(0, kind),
                pa.from_numpy_dtype(np.dtype(kind)),
            )
            for i, (name, kind) in enumerate(spec)
        }
    )
