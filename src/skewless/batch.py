"""The batch engine: a contract compiled into a pandera schema over typed, normalised columns.

A run is fed a source chunk by chunk, in source order (a DataFrame is one chunk). Per chunk:

1. structure: missing, unexpected and renamed columns (`--env` decides `only_in` columns). A
   columnar source (CSV, Parquet, SQL, a DataFrame) gets column-level findings, which fail every
   row; a record source (JSON Lines) gets them per record, as the online path will;
2. types and nulls (`dtypes`): each column is read into its contract type as a pyarrow array;
   cells that cannot be read are reported and nulled, nulls are filled or reported, unknown
   categories mapped (`normalize`);
3. values (pandera): the check table's vectorised tests run as pandera checks on the typed
   frame, with `lazy=True`; pandera's failure cases become report blocks;
4. row-spanning checks (`global_checks`): unique and compound unique keep their seen keys
   between chunks; row count and cadence are judged when the run finishes.

So a chunked run gives exactly the report of a whole-source run. `compile_contract(contract)` is
cached: compile once, validate many.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from skewless.checks import checks_for, vector_test
from skewless.contract import Column, Contract, Env
from skewless.dtypes import Converted, convert_arrow, convert_python, decoded
from skewless.errors import Code, InputError
from skewless.global_checks import GlobalChecks
from skewless.normalize import normalize_column
from skewless.record import EXTRA_MESSAGE, misplaced_message, missing_message
from skewless.report import Block, Report, escape

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa


ColumnData = Any  # a pandas Series, a pyarrow Array / ChunkedArray, or a list of Python values
STRUCTURAL = (Code.MISSING_COLUMN, Code.UNEXPECTED_COLUMN)


class _Absent:
    """A key a record does not hold (JSON Lines): not a null, a missing field."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


def absent_as_null(data: Any) -> Any:
    """A records column (a list) with every missing key read as null; other columns as they
    are. Outside the validator, which reports a missing required key apart, that is the rule."""
    if not isinstance(data, list):
        return data
    return [None if v is ABSENT else v for v in data]


@dataclass(slots=True)
class Chunk:
    """A slice of a source: named columns, and where each of its rows sits in the source."""

    columns: dict[str, ColumnData]
    positions: np.ndarray  # source row id of each row of `columns`, increasing
    text: bool = False  # values are text to parse by the contract (CSV)
    records: bool = False  # a record source: keys may be ABSENT, structure is judged per row
    skipped: dict[int, Any] = field(default_factory=dict)  # unreadable records: row id -> raw
    reasons: dict[int, str] = field(default_factory=dict)  # row id -> why it was unreadable
    too_large: frozenset[int] = frozenset()  # skipped rows that were over the size limit
    raw: list[bytes] | None = None  # record sources: each read row's record as it arrived

    @property
    def rows(self) -> int:
        return len(self.positions) + len(self.skipped)


@dataclass(slots=True)
class ChunkResult:
    """What one chunk produced: its violations and its typed, normalised columns."""

    chunk: Chunk
    typed: dict[str, pa.Array]
    extras: dict[str, ColumnData]
    blocks: list[Block]  # rows are source row ids
    every_row_fails: bool  # a column-level structural violation fails the whole source

    def failed(self) -> np.ndarray:
        """Mask over the chunk's read rows (`chunk.positions`): True where a row fails."""
        import numpy as np

        positions = self.chunk.positions
        if self.every_row_fails:
            return np.ones(len(positions), dtype=bool)
        mask = np.zeros(len(positions), dtype=bool)
        for block in self.blocks:
            if block.rows is not None and len(block.rows):
                mask[np.searchsorted(positions, block.rows[np.isin(block.rows, positions)])] = True
        return mask


@lru_cache(maxsize=128)
def compile_contract(contract: Contract) -> BatchValidator:
    """Compile once per contract (contracts are frozen and hashable)."""
    return BatchValidator(contract)


class BatchValidator:
    def __init__(self, contract: Contract) -> None:
        contract.require_frozen()
        self.contract = contract
        self.order = {c.name: i for i, c in enumerate(contract.columns)}
        self._schemas: dict[tuple[str, ...], Any] = {}

    # -- public API ----------------------------------------------------------------------------

    def validate(
        self, data: pd.DataFrame, *, env: Env | None = None, source: str = "<DataFrame>"
    ) -> Report:
        return self.whole(data, env=env, source=source)[0]

    def normalize(self, data: pd.DataFrame, *, env: Env | None = None) -> pd.DataFrame:
        report, result = self.whole(data, env=env, source="<DataFrame>")
        report.raise_for_violations()
        return self.frame(result.typed, result.extras)

    def whole(
        self, data: pd.DataFrame, *, env: Env | None, source: str
    ) -> tuple[Report, ChunkResult]:
        """A DataFrame as one chunk."""
        import numpy as np

        columns = frame_columns(data, source)
        run = self.start(source=source, env=env)
        result = run.feed(Chunk(columns, np.arange(len(data), dtype=np.int64)))
        return run.finish(), result

    def records(
        self, records: list[Any], *, env: Env | None, source: str = "<records>"
    ) -> tuple[Report, ChunkResult]:
        """Records (dicts, as parsed from JSON) as one chunk of a record source."""
        import numpy as np

        n = len(records)
        chunk = Chunk(
            record_columns(records), np.arange(n, dtype=np.int64), records=True, raw=[b""] * n
        )
        run = self.start(source=source, env=env)
        result = run.feed(chunk)
        return run.finish(), result

    def start(
        self,
        *,
        source: str,
        env: Env | None = None,
        keep_values: int | None = None,
        cadence_bad: dict[str, np.ndarray] | None = None,
        repeats: dict[int, np.ndarray] | None = None,
    ) -> Run:
        """A run over one source. `keep_values`: raw values kept for the first N violations
        only (a chunked run must not keep every chunk alive); None keeps them all lazily.
        `cadence_bad` and `repeats`: row-spanning verdicts already reduced over the whole
        source (`GlobalChecks`), for a run over part of it."""
        return Run(self, source, env, keep_values, cadence_bad, repeats)

    def frame(self, typed: dict[str, pa.Array], extras: dict[str, ColumnData]) -> pd.DataFrame:
        """Typed, normalised columns as a DataFrame (contract columns, then allowed extras)."""
        import pandas as pd

        columns: dict[str, Any] = {
            name: pd.Series(pd.arrays.ArrowExtensionArray(decoded(arr)), copy=False)
            for name, arr in typed.items()
        }
        if self.contract.extra_columns == "allow":
            columns.update(extras)
        return pd.DataFrame(columns)

    # -- one chunk -----------------------------------------------------------------------------

    def structure(
        self, columns: Mapping[str, ColumnData], env: Env | None
    ) -> tuple[list[Column], list[Column], list[str], list[str]]:
        """(present, missing, unexpected, extras) for a set of column names."""
        known = {c.name for c in self.contract.columns}
        present = [c for c in self.contract.columns if c.name in columns and c.allowed_in(env)]
        extras = [name for name in columns if name not in known]
        misplaced = [
            c.name for c in self.contract.columns if c.name in columns and not c.allowed_in(env)
        ]
        missing = [c for c in self.contract.columns if c.required_in(env) and c.name not in columns]
        unexpected = extras + misplaced if self.contract.extra_columns == "reject" else misplaced
        return present, missing, unexpected, extras

    def structure_blocks(
        self,
        missing: list[Column],
        unexpected: list[str],
        columns: Mapping[str, ColumnData],
        env: Env | None,
        rows: dict[str, np.ndarray] | None = None,
    ) -> list[Block]:
        """Missing and unexpected columns; `rows` (record sources) names the rows of each."""
        blocks = []
        renamed = _rename_hints(missing, unexpected, columns)
        for col in missing:
            message = missing_message(col)
            if col.name in renamed:
                message += f"; renamed to {escape(renamed[col.name])}?"
            at = None if rows is None else rows[col.name]
            blocks.append(
                Block(Code.MISSING_COLUMN, col.name, message, at, order=self.order[col.name])
            )
        back = {new: old for old, new in renamed.items()}
        for name in unexpected:
            if name in self.order:
                message = misplaced_message(env)
            else:
                message = EXTRA_MESSAGE
                if name in back:
                    message += f"; renamed from {escape(back[name])}?"
            at = None if rows is None else rows[name]
            order = len(self.order) + len(blocks)
            blocks.append(Block(Code.UNEXPECTED_COLUMN, name, message, at, order=order))
        return blocks

    def read_column(
        self,
        column: Column,
        data: ColumnData,
        text: bool,
        blocks: list[Block],
        absent: np.ndarray | None = None,
    ) -> pa.Array:
        """Read one column into its type, report what fails, normalise (chunk-local rows).

        `absent` (record sources): rows whose record lacks this required key. They read as
        null, but are `missing_column` alone, never also `null_not_allowed`."""
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
            if absent is not None:
                nulls &= ~absent
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

    def value_checks(
        self, present: list[Column], typed: dict[str, pa.Array], columns: Mapping[str, ColumnData]
    ) -> list[Block]:
        """The per-row checks, run by pandera: one pandera check per column, passing a row when
        every check kind of the column passes it. pandera finds the failing rows of each column;
        the check table then names the kinds they fail, testing those rows alone.

        One check per column, not one per kind: pandera builds a table of failure cases for each
        failing check (some milliseconds each, whatever the row count), which cost a third of a
        chunk's time when each kind was its own check.
        """
        import numpy as np
        import pandas as pd
        import pyarrow as pa

        pandera_pandas()
        import pandera.errors

        schema, kinds = self._schema(tuple(c.name for c in present))
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
            return []
        except pandera.errors.SchemaErrors as errors:
            tables = [errors.failure_cases]
        except pa.ArrowException:
            # pandera gathers the failure cases of every column in one table, its values cast
            # to one type: int64 past 2**53 beside float64 cannot be (ArrowInvalid). Column by
            # column, each table holds one column's values.
            tables = []
            for name in frame.columns:
                try:
                    schema.validate(frame[[name]], lazy=True, inplace=True)
                except pandera.errors.SchemaErrors as errors:
                    tables.append(errors.failure_cases)
        blocks = []
        for table in tables:
            for check, group in table.groupby("check", sort=False):
                if check not in kinds:
                    # A check that raised inside pandera: a bug of ours, never the user's data.
                    raise RuntimeError(
                        f"pandera check {check!r} failed unexpectedly: {group.iloc[0].to_dict()}"
                    ) from None
                column, column_kinds = kinds[str(check)]
                rows = np.unique(group["index"].to_numpy(dtype=np.int64))
                failing = typed[column.name].take(rows)
                raw = raw_values(columns[column.name])
                for kind in column_kinds:
                    failed = rows[~vector_test(kind, column)(failing)]
                    if len(failed):
                        code, message = kind.code, kind.message(column)
                        order = self.order[column.name]
                        blocks.append(
                            Block(code, column.name, message, failed, raw, column.pii, order)
                        )
        return blocks

    def _schema(self, present: tuple[str, ...]) -> tuple[Any, dict[str, tuple[Column, list[Any]]]]:
        """The pandera schema of the per-row checks for the columns present (cached), and per
        pandera check name, its column and check kinds."""
        if present in self._schemas:
            cached: tuple[Any, dict[str, tuple[Column, list[Any]]]] = self._schemas[present]
            return cached
        pdr = pandera_pandas()
        kinds: dict[str, tuple[Column, list[Any]]] = {}
        schema_columns = {}
        for name in present:
            column = self.contract.column(name)
            column_kinds = list(checks_for(column))
            if column_kinds:
                check_name = f"checks:{name}"
                kinds[check_name] = (column, column_kinds)
                check = pdr.Check(
                    _as_series_check([vector_test(kind, column) for kind in column_kinds]),
                    name=check_name,
                    ignore_na=False,
                )
                schema_columns[name] = pdr.Column(checks=[check], nullable=True, required=False)
        schema = pdr.DataFrameSchema(schema_columns, strict=False) if schema_columns else None
        self._schemas[present] = (schema, kinds)
        return schema, kinds


class Run:
    """One validation run over one source: feed chunks in source order, then `finish()`."""

    def __init__(
        self,
        validator: BatchValidator,
        source: str,
        env: Env | None,
        keep_values: int | None,
        cadence_bad: dict[str, np.ndarray] | None,
        repeats: dict[int, np.ndarray] | None = None,
    ) -> None:
        contract = validator.contract
        self.validator = validator
        self.env = env
        self.keep_values = keep_values
        self.report = Report(
            contract.name, contract.version, source, 0, [], columns=contract.column_names
        )
        self.globals = GlobalChecks(
            contract, validator.order, cadence_bad=cadence_bad, repeats=repeats
        )
        self._structure_seen = False
        self._kept = 0  # violations whose raw values were kept so far

    def feed(self, chunk: Chunk) -> ChunkResult:
        v = self.validator
        contract = v.contract
        positions = chunk.positions
        local: list[Block] = []  # rows are chunk-local until translated below
        columns = dict(chunk.columns)
        absent: dict[str, np.ndarray] = {}
        if chunk.records:
            present, missing, unexpected, extras = self._record_structure(
                columns, local, absent, len(positions)
            )
        else:
            present, missing, unexpected, extras = v.structure(columns, self.env)
            if not self._structure_seen:
                self.report.blocks.extend(
                    v.structure_blocks(missing, unexpected, columns, self.env)
                )
                self._structure_seen = True
        typed: dict[str, pa.Array] = {}
        for column in present:
            # A required key a record lacks is `missing_column` alone; an optional one reads
            # as null, under the column's null policy like any null.
            lacking = absent.get(column.name) if column.required_in(self.env) else None
            typed[column.name] = v.read_column(
                column, columns[column.name], chunk.text, local, lacking
            )
        values = {c.name: _at_positions(raw_values(columns[c.name]), positions) for c in present}
        for key in contract.checks.unique:
            if all(k in typed for k in key):
                values[key] = _tuple_values([values[k] for k in key])  # type: ignore[index]
        pii = {c.name: c.pii for c in present}
        # The row-spanning checks (sorts and hash tables in numpy and pandas, which release the
        # GIL) run in a second thread while pandera runs the per-row checks in this one.
        spanning = _Background(self.globals.chunk, typed, positions, values, pii)
        try:
            local.extend(v.value_checks(present, typed, columns))
        finally:
            found = spanning.result()
        # Translate chunk rows to source rows.
        for block in local:
            if block.rows is not None:
                block.rows = positions[block.rows]
                if block.values is not None:
                    block.values = _at_positions(block.values, positions)
        local.extend(found)
        local.extend(_malformed_blocks(chunk, any(c.pii for c in contract.columns)))
        self.globals.rows += len(chunk.skipped)
        if self.keep_values is not None:
            self._keep(local)
        self.report.blocks.extend(local)
        self.report.rows += chunk.rows
        every = any(b.code in STRUCTURAL and b.rows is None for b in self.report.blocks)
        kept_extras = {} if contract.extra_columns == "drop" else {n: columns[n] for n in extras}
        return ChunkResult(chunk, typed, kept_extras, local, every)

    def finish(self) -> Report:
        self.report.blocks.extend(self.globals.finish())
        return self.report

    def _record_structure(
        self,
        columns: dict[str, ColumnData],
        local: list[Block],
        absent: dict[str, np.ndarray],
        n: int,
    ) -> tuple[list[Column], list[Column], list[str], list[str]]:
        """Record sources: a required key a record lacks is missing_column at that row. `n`:
        the chunk's records (records with no key at all have no column to count them by)."""
        import numpy as np

        v = self.validator
        for c in v.contract.columns:
            columns.setdefault(c.name, [ABSENT] * n)
        absent.update(
            (name, np.fromiter((x is ABSENT for x in values), dtype=bool, count=n))
            for name, values in columns.items()
        )
        present, _, _, extras = v.structure(columns, self.env)
        known = {c.name for c in v.contract.columns}
        missing = [
            c for c in v.contract.columns if c.required_in(self.env) and absent[c.name].any()
        ]
        held = [name for name in columns if not absent[name].all()]
        misplaced = [
            c.name for c in v.contract.columns if c.name in held and not c.allowed_in(self.env)
        ]
        unexpected = misplaced + (
            [n for n in held if n not in known] if v.contract.extra_columns == "reject" else []
        )
        rows = {c.name: np.flatnonzero(absent[c.name]) for c in missing}
        rows.update({name: np.flatnonzero(~absent[name]) for name in unexpected})
        local.extend(v.structure_blocks(missing, unexpected, columns, self.env, rows))
        for name in list(columns):
            values = columns[name]
            if absent[name].any():
                columns[name] = [None if x is ABSENT else x for x in values]
        present = [c for c in v.contract.columns if c.allowed_in(self.env)]
        return present, missing, unexpected, [n for n in extras if not absent[n].all()]

    def _keep(self, blocks: list[Block]) -> None:
        """Keep raw values for the first `keep_values` violations of the run only."""
        import numpy as np

        budget = (self.keep_values or 0) - self._kept
        row_blocks = [b for b in blocks if b.rows is not None and len(b.rows)]
        if budget > 0 and row_blocks:
            rows = np.concatenate([b.rows for b in row_blocks if b.rows is not None])
            cutoff = np.sort(rows)[min(budget, len(rows)) - 1]
        else:
            cutoff = -1
        for block in row_blocks:
            assert block.rows is not None
            if block.values is None:
                continue
            shown = block.rows[block.rows <= cutoff]
            raw = block.values(shown) if len(shown) else []
            block.values = KeptValues(zip(shown.tolist(), raw, strict=True))
        self._kept += sum(b.count for b in row_blocks)


class _Background:
    """A call run in a thread of its own; `result()` waits for it and returns or raises."""

    def __init__(self, call: Callable[..., Any], *args: Any) -> None:
        import threading

        self._outcome: tuple[bool, Any] = (False, None)
        self._thread = threading.Thread(target=self._run, args=(call, args), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            self._outcome = (True, call(*args))
        except BaseException as exc:  # handed to the caller's thread by result()
            self._outcome = (False, exc)

    def result(self) -> Any:
        self._thread.join()
        ok, value = self._outcome
        if not ok:
            raise value
        return value


class KeptValues(dict[int, Any]):
    """Raw values kept by row id, as a block's value getter (None for a row not kept); a plain
    dict, so a partition's violations travel from a worker to the driver as they are."""

    __slots__ = ()

    def __call__(self, rows: np.ndarray) -> list[Any]:
        return [self.get(r) for r in rows.tolist()]


def _at_positions(
    getter: Callable[[np.ndarray], Sequence[Any]], positions: np.ndarray
) -> Callable[[np.ndarray], Sequence[Any]]:
    """A chunk-local value getter asked with source row ids."""
    import numpy as np

    return lambda rows: getter(np.searchsorted(positions, rows))


def _malformed_blocks(chunk: Chunk, redact: bool) -> list[Block]:
    """Records the reader could not read (ragged CSV rows, bad JSON lines)."""
    import numpy as np

    by_reason: dict[tuple[str, bool], list[int]] = {}
    for position in sorted(chunk.skipped):
        too_large = position in chunk.too_large
        by_reason.setdefault((chunk.reasons[position], too_large), []).append(position)
    skipped = chunk.skipped
    return [
        Block(
            Code.PAYLOAD_TOO_LARGE if too_large else Code.MALFORMED_INPUT,
            None,
            f"the record {reason}",
            np.asarray(positions, dtype=np.int64),
            KeptValues({p: skipped[p] for p in positions}),
            redact,
            order=-1,
        )
        for (reason, too_large), positions in by_reason.items()
    ]


_PANDERA_ENV = ("PYARROW_IGNORE_TIMEZONE", "SPARK_LOCAL_IP")


@lru_cache(maxsize=1)
def pandera_pandas() -> Any:
    """`pandera.pandas`, imported without the environment changes pandera makes for pyspark,
    and ready to validate.

    Importing pandera sets PYARROW_IGNORE_TIMEZONE=1, after which `pa.array` reads the wall time
    of every aware Python datetime as UTC, in skewless and in the caller's own code. pandera
    registers its pandas backends (importing some forty more modules) at its first validation:
    done here, with the imports, rather than in the first chunk of a run.

    Where PySpark is installed (the `spark` extra), pandera also imports `pyspark.pandas`, which
    patches pandas' classes, takes a quarter of a second and warns under pandas 3; skewless hands
    pandera plain pandas objects only, so pandera is shown it as absent while it is imported.
    """
    import os
    import sys

    before = {key: os.environ.get(key) for key in _PANDERA_ENV}
    hidden = "pyspark.pandas" not in sys.modules
    if hidden:
        sys.modules["pyspark.pandas"] = None  # type: ignore[assignment]  # import raises
    try:
        import pandas as pd
        import pandera.pandas

        pandera.pandas.DataFrameSchema({}).validate(pd.DataFrame())  # registers the backends
    finally:
        if hidden:
            del sys.modules["pyspark.pandas"]
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return pandera.pandas


def _as_series_check(
    tests: list[Callable[[pa.Array], np.ndarray]],
) -> Callable[[pd.Series], pd.Series]:
    """A pandera check over a column: a row passes when every test passes it."""

    def check(series: pd.Series) -> pd.Series:
        import pandas as pd

        arr = arrow_of(series)
        passed = tests[0](arr)
        for test in tests[1:]:
            passed = passed & test(arr)
        return pd.Series(passed, index=series.index, copy=False)

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
    try:
        return convert_arrow(column, arrow_of(data), text=text)
    except (pa.ArrowNotImplementedError, pa.ArrowTypeError):
        # A dtype pyarrow has no array or kernel for (complex, sparse, float16 read as text):
        # value by value, where each value gets its verdict (a complex number is wrong_type).
        values = data.to_pylist() if isinstance(data, pa.Array | pa.ChunkedArray) else data.tolist()
        return convert_python(column, values)


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


def typed_columns(
    contract: Contract, names: Iterable[str], columns: Mapping[str, ColumnData], *, text: bool
) -> dict[str, pa.Array]:
    """The columns `names` that are present, read into their types and normalised as a run
    reads them, but not judged: what a first pass over a source needs (cadence instants, key
    codes), so that both passes see the same values."""
    from skewless.normalize import normalize_column

    out = {}
    for name in names:
        if name in columns:
            column = contract.column(name)
            converted = convert_column(column, absent_as_null(columns[name]), text=text).array
            out[name] = normalize_column(column, converted)
    return out


def record_columns(records: list[Any]) -> dict[str, list[Any]]:
    """Records as columns, one per key any record holds; ABSENT where a record lacks it."""
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record))
    return {k: [r.get(k, ABSENT) for r in records] for k in keys}


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


__all__ = ["ABSENT", "BatchValidator", "Chunk", "ChunkResult", "Run", "compile_contract"]
