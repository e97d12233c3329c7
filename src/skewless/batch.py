"""The batch engine: a contract compiled into a pandera schema over typed, normalised columns.

Validation runs in three steps, each collecting every failure (never the first only):

1. structure: missing, unexpected and renamed columns (`--env` decides `only_in` columns);
2. types and nulls (`dtypes`): each column is read into its contract type as a pyarrow array;
   cells that cannot be read are reported and nulled, nulls are filled or reported, unknown
   categories mapped (`normalize`);
3. values (pandera): the check table's vectorised tests run as pandera checks on the typed
   frame, with `lazy=True`; pandera's failure cases become report blocks. Row-spanning checks
   (unique, compound unique) are pandera checks too; the row count is checked here.

`compile_contract(contract)` is cached: compile once, validate many.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from skewless.checks import cadence_breaks, checks_for, duplicated
from skewless.contract import Column, Contract, Env
from skewless.dtypes import Converted, convert_arrow, convert_python
from skewless.errors import Code, InputError, ViolationError
from skewless.loader import duration_us
from skewless.normalize import normalize_column
from skewless.report import Block, Report, escape

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa


ColumnData = Any  # a pandas Series or a pyarrow Array / ChunkedArray


@dataclass(slots=True)
class Outcome:
    """Everything one run produced: the report and the typed, normalised columns."""

    report: Report
    typed: dict[str, pa.Array]
    extras: dict[str, ColumnData]


@lru_cache(maxsize=128)
def compile_contract(contract: Contract) -> BatchValidator:
    """Compile once per contract (contracts are frozen and hashable)."""
    return BatchValidator(contract)


class BatchValidator:
    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.order = {c.name: i for i, c in enumerate(contract.columns)}
        self._schemas: dict[tuple[str, ...], Any] = {}

    # -- public API ----------------------------------------------------------------------------

    def validate(
        self, data: pd.DataFrame, *, env: Env | None = None, source: str = "<DataFrame>"
    ) -> Report:
        return self.run(frame_columns(data, source), env=env, source=source).report

    def normalize(self, data: pd.DataFrame, *, env: Env | None = None) -> pd.DataFrame:
        outcome = self.run(frame_columns(data, "<DataFrame>"), env=env, source="<DataFrame>")
        outcome.report.raise_for_violations()
        return self.frame(outcome)

    def frame(self, outcome: Outcome) -> pd.DataFrame:
        """The typed, normalised columns as a DataFrame (contract columns, then allowed extras)."""
        import pandas as pd

        columns: dict[str, Any] = {
            name: pd.Series(pd.arrays.ArrowExtensionArray(arr), copy=False)
            for name, arr in outcome.typed.items()
        }
        if self.contract.extra_columns == "allow":
            columns.update(outcome.extras)
        return pd.DataFrame(columns)

    # -- the run -------------------------------------------------------------------------------

    def run(
        self,
        columns: Mapping[str, ColumnData],
        *,
        env: Env | None = None,
        source: str,
        text: bool = False,
        rows: int | None = None,
        pre: Sequence[Block] = (),
    ) -> Outcome:
        """Validate named columns; `text=True` parses them by the contract (untyped sources)."""
        n = rows if rows is not None else (len(next(iter(columns.values()))) if columns else 0)
        report = Report(
            self.contract.name,
            self.contract.version,
            source,
            n,
            list(pre),
            columns=self.contract.column_names,
        )
        blocks = report.blocks
        known = {c.name: c for c in self.contract.columns}
        present = [c for c in self.contract.columns if c.name in columns and c.allowed_in(env)]
        extras = {name: col for name, col in columns.items() if name not in known}
        misplaced = [
            c.name for c in self.contract.columns if c.name in columns and not c.allowed_in(env)
        ]
        missing = [c for c in self.contract.columns if c.required_in(env) and c.name not in columns]
        unexpected = (
            list(extras) + misplaced if self.contract.extra_columns == "reject" else misplaced
        )
        blocks.extend(self._structure(missing, unexpected, columns, env))

        typed: dict[str, pa.Array] = {}
        for column in present:
            typed[column.name] = self._read_column(column, columns[column.name], text, blocks)
        blocks.extend(self._value_checks(present, typed, columns))
        blocks.extend(self._row_count(n))
        if self.contract.extra_columns == "drop":
            extras = {}
        return Outcome(report, typed, extras)

    def _structure(
        self,
        missing: list[Column],
        unexpected: list[str],
        columns: Mapping[str, ColumnData],
        env: Env | None,
    ) -> list[Block]:
        blocks = []
        renamed = _rename_hints(missing, unexpected, columns)
        for col in missing:
            message = "is missing"
            if col.only_in is not None:
                message += f" (required in {col.only_in} data)"
            if col.name in renamed:
                message += f"; renamed to {escape(renamed[col.name])}?"
            blocks.append(Block(Code.MISSING_COLUMN, col.name, message, order=self.order[col.name]))
        back = {new: old for old, new in renamed.items()}
        for name in unexpected:
            if name in self.order:
                other = "serving" if env == "training" else "training"
                message = f"exists only in {other} data (only_in), not in {env} data"
            else:
                message = "is not in the contract (extra_columns: reject)"
                if name in back:
                    message += f"; renamed from {escape(back[name])}?"
            blocks.append(
                Block(Code.UNEXPECTED_COLUMN, name, message, order=len(self.order) + len(blocks))
            )
        return blocks

    def _read_column(
        self, column: Column, data: ColumnData, text: bool, blocks: list[Block]
    ) -> pa.Array:
        import pyarrow.compute as pc

        converted = convert_column(column, data, text=text)
        raw = raw_values(data)
        order = self.order[column.name]
        for failure, rows in converted.failures:
            blocks.append(
                Block(failure.code, column.name, failure.message, rows, raw, column.pii, order)
            )
        array = converted.array
        if array.null_count:
            nulls = pc.is_null(array).to_numpy(zero_copy_only=False)
            if converted.failures:
                nulls &= ~converted.failed_mask()
            if nulls.any() and not column.nullable:
                import numpy as np

                blocks.append(
                    Block(
                        Code.NULL_NOT_ALLOWED,
                        column.name,
                        "is null and the column is not nullable",
                        np.flatnonzero(nulls),
                        None,
                        column.pii,
                        order,
                    )
                )
        return normalize_column(column, array)

    def _value_checks(
        self, present: list[Column], typed: dict[str, pa.Array], columns: Mapping[str, ColumnData]
    ) -> list[Block]:
        import pandas as pd

        pandera_pandas()
        import pandera.errors

        schema, meaning = self._schema(tuple(c.name for c in present))
        if schema is None:
            return []
        frame = pd.DataFrame(
            {
                name: pd.Series(pd.arrays.ArrowExtensionArray(arr), copy=False)
                for name, arr in typed.items()
            }
        )
        try:
            schema.validate(frame, lazy=True, inplace=True)
        except pandera.errors.SchemaErrors as errors:
            return self._blocks_from(errors.failure_cases, meaning, columns)
        return []

    def _blocks_from(
        self,
        cases: pd.DataFrame,
        meaning: dict[str, tuple[Code, str, Column | None, tuple[str, ...]]],
        columns: Mapping[str, ColumnData],
    ) -> list[Block]:
        import numpy as np

        blocks = []
        for check, group in cases.groupby("check", sort=False):
            if check not in meaning:
                # A check that raised inside pandera: a bug of ours, never the user's data.
                raise RuntimeError(
                    f"pandera check {check!r} failed unexpectedly: {group.iloc[0].to_dict()}"
                )
            code, message, column, key = meaning[str(check)]
            # A frame-level check reports each failing row once per column: keep each row once.
            rows = np.unique(group["index"].to_numpy(dtype=np.int64))
            if column is not None:
                blocks.append(
                    Block(
                        code,
                        column.name,
                        message,
                        rows,
                        raw_values(columns[column.name]),
                        column.pii,
                        self.order[column.name],
                    )
                )
            else:
                pii = any(self.contract.column(k).pii for k in key)
                getters = [raw_values(columns[k]) for k in key]
                blocks.append(
                    Block(
                        code,
                        ", ".join(key),
                        message,
                        rows,
                        _tuple_values(getters),
                        pii,
                        self.order[key[0]],
                    )
                )
        return blocks

    def _row_count(self, n: int) -> list[Block]:
        lo, hi = self.contract.checks.rows_min, self.contract.checks.rows_max
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            bounds = (
                f"at least {lo}"
                if hi is None
                else f"at most {hi}"
                if lo is None
                else f"between {lo} and {hi}"
            )
            return [
                Block(Code.ROW_COUNT, None, f"{n} rows; the contract expects {bounds}", order=-1)
            ]
        return []

    # -- the pandera schema --------------------------------------------------------------------

    def _schema(
        self, present: tuple[str, ...]
    ) -> tuple[Any, dict[str, tuple[Code, str, Column | None, tuple[str, ...]]]]:
        if present in self._schemas:
            cached: tuple[Any, dict[str, tuple[Code, str, Column | None, tuple[str, ...]]]]
            cached = self._schemas[present]
            return cached
        pdr = pandera_pandas()

        meaning: dict[str, tuple[Code, str, Column | None, tuple[str, ...]]] = {}
        schema_columns = {}
        for name in present:
            column = self.contract.column(name)
            checks = []
            for kind in checks_for(column):
                check_name = f"{kind.code.value}:{name}"
                meaning[check_name] = (kind.code, kind.message(column), column, ())
                checks.append(
                    pdr.Check(
                        _as_series_check(kind.vector(column)), name=check_name, ignore_na=False
                    )
                )
            if column.unique:
                check_name = f"{Code.NOT_UNIQUE.value}:{name}"
                meaning[check_name] = (
                    Code.NOT_UNIQUE,
                    "repeats a value seen in an earlier row (unique: true)",
                    column,
                    (),
                )
                checks.append(
                    pdr.Check(
                        _as_series_check(lambda a: ~duplicated([a])),
                        name=check_name,
                        ignore_na=False,
                    )
                )
            if column.cadence is not None:
                check_name = f"{Code.CADENCE_MISMATCH.value}:{name}"
                meaning[check_name] = (
                    Code.CADENCE_MISMATCH,
                    f"is not {column.cadence} after the previous timestamp (cadence)",
                    column,
                    (),
                )
                checks.append(
                    pdr.Check(
                        _as_series_check(_cadence_check(duration_us(column.cadence))),
                        name=check_name,
                        ignore_na=False,
                    )
                )
            if checks:
                schema_columns[name] = pdr.Column(checks=checks, nullable=True, required=False)
        frame_checks = []
        for key in self.contract.checks.unique:
            if not all(k in present for k in key):
                continue
            check_name = f"{Code.DUPLICATE_KEY.value}:{','.join(key)}"
            meaning[check_name] = (
                Code.DUPLICATE_KEY,
                f"repeats the key ({', '.join(key)}) of an earlier row",
                None,
                key,
            )
            frame_checks.append(pdr.Check(_key_check(key), name=check_name, ignore_na=False))
        schema = None
        if schema_columns or frame_checks:
            schema = pdr.DataFrameSchema(schema_columns, checks=frame_checks, strict=False)
        self._schemas[present] = (schema, meaning)
        return schema, meaning


_PANDERA_ENV = ("PYARROW_IGNORE_TIMEZONE", "SPARK_LOCAL_IP")


def pandera_pandas() -> Any:
    """`pandera.pandas`, imported without the environment changes pandera makes for pyspark.

    Importing pandera sets PYARROW_IGNORE_TIMEZONE=1, after which `pa.array` reads the wall time
    of every aware Python datetime as UTC, in skewless and in the caller's own code.
    """
    import os

    before = {key: os.environ.get(key) for key in _PANDERA_ENV}
    import pandera.pandas

    for key, value in before.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    return pandera.pandas


def _as_series_check(test: Callable[[pa.Array], np.ndarray]) -> Callable[[pd.Series], pd.Series]:
    def check(series: pd.Series) -> pd.Series:
        import pandas as pd

        return pd.Series(test(arrow_of(series)), index=series.index, copy=False)

    return check


def _cadence_check(step_us: int) -> Callable[[pa.Array], np.ndarray]:
    return lambda array: ~cadence_breaks(array, step_us)


def _key_check(key: tuple[str, ...]) -> Callable[[pd.DataFrame], pd.Series]:
    def check(frame: pd.DataFrame) -> pd.Series:
        import pandas as pd

        dup = duplicated([arrow_of(frame[k]) for k in key])
        return pd.Series(~dup, index=frame.index, copy=False)

    return check


def _tuple_values(
    getters: list[Callable[[np.ndarray], Sequence[Any]]],
) -> Callable[[np.ndarray], list[Any]]:
    return lambda rows: list(zip(*(g(rows) for g in getters), strict=True))


# --- columns in, arrays out -------------------------------------------------------------------


def arrow_of(data: ColumnData) -> pa.Array:
    """The pyarrow array behind a column, without a copy where pandas allows it."""
    import pyarrow as pa

    if isinstance(data, pa.ChunkedArray):
        return data.combine_chunks() if data.num_chunks != 1 else data.chunk(0)
    if isinstance(data, pa.Array):
        return data
    array = data.array
    if hasattr(array, "__arrow_array__"):
        return arrow_of(array.__arrow_array__())
    return pa.Array.from_pandas(data)


def convert_column(column: Column, data: ColumnData, *, text: bool) -> Converted:
    """Read one column into its contract type (object columns go value by value)."""
    import pyarrow as pa

    if isinstance(data, list):  # values parsed from JSON: NaN is a value there
        return convert_python(column, data, nan_is_null=False)
    if not isinstance(data, pa.Array | pa.ChunkedArray) and data.dtype == object:
        return convert_python(column, data.tolist())
    return convert_arrow(column, arrow_of(data), text=text)


def raw_values(data: ColumnData) -> Callable[[np.ndarray], Sequence[Any]]:
    """A getter for the values as they arrived, at given rows (for the report)."""
    import pyarrow as pa

    def get(rows: np.ndarray) -> Sequence[Any]:
        if isinstance(data, list):
            return [data[i] for i in rows.tolist()]
        try:
            if isinstance(data, pa.Array | pa.ChunkedArray):
                return list(data.take(rows).to_pylist())
            return list(data.iloc[rows].tolist())
        except (OverflowError, ValueError, pa.ArrowException):
            # A value Python cannot hold (a timestamp in year 300000): show pyarrow's text.
            return [_shown(s) for s in arrow_of(data).take(rows)]

    return get


def _shown(scalar: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        return scalar.as_py()
    except (OverflowError, ValueError):
        try:
            return pc.cast(scalar, pa.string()).as_py()
        except pa.ArrowException:
            return f"<{scalar.type} value>"


def frame_columns(data: Any, source: str) -> dict[str, ColumnData]:
    """A DataFrame's columns by name; duplicate or non-string names cannot be judged."""
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise InputError(source, f"expected a pandas DataFrame, got {type(data).__name__}")
    names = [str(c) for c in data.columns]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise InputError(source, f"duplicate column names: {', '.join(map(repr, dupes))}")
    return {name: data.iloc[:, i] for i, name in enumerate(names)}


def _rename_hints(
    missing: list[Column], unexpected: list[str], columns: Mapping[str, ColumnData]
) -> dict[str, str]:
    """missing name -> the unexpected column it was probably renamed to."""
    hints: dict[str, str] = {}
    free = [u for u in unexpected if u in columns]
    for col in missing:
        if not free:
            break
        scored = [
            (difflib.SequenceMatcher(None, col.name.lower(), u.lower()).ratio(), u) for u in free
        ]
        best_score, best = max(scored)
        if best_score < 0.6:
            fits = [u for u in free if _fits(col, columns[u])]
            if len(fits) != 1 and not (len(free) == 1 and len(missing) == 1):
                continue
            best = fits[0] if len(fits) == 1 else free[0]
        hints[col.name] = best
        free.remove(best)
    return hints


def _fits(column: Column, data: ColumnData) -> bool:
    """Whether a sample of a column reads cleanly as `column`'s type."""
    import pyarrow as pa

    sample = data[:100] if isinstance(data, list | pa.Array | pa.ChunkedArray) else data.iloc[:100]
    converted = convert_column(column, sample, text=True)
    return not converted.failures and converted.array.null_count < len(converted.array)


def validate_frame(contract: Contract, data: pd.DataFrame, **kwargs: Any) -> Report:
    return compile_contract(contract).validate(data, **kwargs)


__all__ = ["BatchValidator", "Outcome", "ViolationError", "compile_contract", "validate_frame"]
