"""The contract as data: frozen, engine-free, loaded once from YAML.

    >>> import skewless
    >>> contract = skewless.load_contract("contracts/user_features.yaml")
    >>> report = contract.validate(df)          # a Report, never an exception for bad data
    >>> report.raise_for_violations()           # opt in to raising
    >>> clean = contract.normalize(df)          # fills, maps unknown categories, converts zones

Engines (`skewless.batch`, `skewless.record`) compile a Contract into validators; the
Contract itself imports no pandas, pyarrow or pandera.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

    from skewless.record import RecordValidator
    from skewless.report import Report

ColumnType = Literal["integer", "float", "boolean", "string", "category", "datetime", "date"]
COLUMN_TYPES: tuple[ColumnType, ...] = (
    "integer",
    "float",
    "boolean",
    "string",
    "category",
    "datetime",
    "date",
)
Env = Literal["training", "serving"]
ENVS: tuple[Env, ...] = ("training", "serving")


class _Unset:
    """Marks a key the contract does not set (distinct from an explicit `null`)."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()


# Drift checks (skewless.drift): each statistic's threshold, an effect size, and the guards of
# every check: the significance level and the least rows on each side. A contract's `drift:`
# (top level, then per column) sets some of them; these are the rest.
DRIFT_DEFAULTS: dict[str, float] = {
    "ks": 0.05,
    "psi": 0.2,
    "chi2": 0.1,
    "js": 0.1,
    "null_rate": 0.02,
    "unseen_rate": 0.01,
    "alpha": 0.001,
    "min_rows": 1000,
}
DriftLimits = tuple[tuple[str, float], ...]  # (statistic, threshold) pairs, as declared


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a contract; keys that do not apply to its type keep their defaults."""

    name: str
    type: ColumnType
    description: str | None = None
    nullable: bool = False
    fill_null: Any = UNSET  # the normalised value of a null; UNSET: nulls stay null
    # `fill_null: {freeze: median}`: the fill is a statistic of the training data, written into
    # the contract by `skewless freeze`; until then fill_null is UNSET and no engine compiles.
    fill_freeze: Literal["median", "mean", "mode"] | None = None
    required: bool = True
    unique: bool = False
    coerce: bool = False
    only_in: Env | None = None
    pii: bool = False
    # integer / float
    min: int | float | None = None
    max: int | float | None = None
    allow_nan: bool = False
    allow_inf: bool = False
    # category
    values: tuple[str, ...] = ()
    map_to: str | None = None  # unknown categories become this value; None: they are rejected
    # string
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    charset: Literal["unicode", "bmp", "ascii"] = "unicode"
    allow_control: bool = False
    # datetime
    timezone: str | None = None
    naive: Literal["reject", "assume"] = "reject"
    other_zones: Literal["convert", "reject"] = "convert"
    cadence: str | None = None  # e.g. "5min": expected spacing of sorted distinct values (batch)
    cadence_by: tuple[str, ...] = ()  # judged per group of rows sharing these columns' values
    drift: DriftLimits = ()  # thresholds for drift checks over the contract's (docs/drift.md)
    # where the column was declared, for messages
    line: int | None = None

    @property
    def has_fill(self) -> bool:
        return self.fill_null is not UNSET

    def required_in(self, env: Env | None) -> bool:
        """Whether data for `env` must carry this column (`only_in` columns only in their env)."""
        if self.only_in is not None:
            return env == self.only_in
        return self.required

    def allowed_in(self, env: Env | None) -> bool:
        return self.only_in is None or env is None or env == self.only_in


@dataclass(frozen=True, slots=True)
class TableChecks:
    """Checks over the whole table (batch only)."""

    unique: tuple[tuple[str, ...], ...] = ()
    rows_min: int | None = None
    rows_max: int | None = None


@dataclass(frozen=True, slots=True)
class Contract:
    """A loaded contract. Build it with `load_contract`; it is immutable and hashable."""

    name: str
    version: str
    columns: tuple[Column, ...]
    owner: str | None = None
    description: str | None = None
    timezone: str | None = None
    extra_columns: Literal["reject", "allow", "drop"] = "reject"
    checks: TableChecks = field(default_factory=TableChecks)
    drift: DriftLimits = ()  # thresholds for drift checks, over the built-in DRIFT_DEFAULTS
    source: str | None = None  # the file it came from

    def require_frozen(self) -> None:
        """Raise `ContractError` (`unfrozen`) if a statistic still waits for `skewless freeze`:
        a fill computed from whatever data arrives would differ between training and serving."""
        for column in self.columns:
            if column.fill_freeze is not None and not column.has_fill:
                from skewless.errors import ContractError, ContractErrorCode

                where = self.source or "CONTRACT"
                raise ContractError(
                    ContractErrorCode.UNFROZEN,
                    f"fill_null: {{freeze: {column.fill_freeze}}} has no value yet",
                    file=self.source,
                    line=column.line,
                    path=f"columns.{column.name}.fill_null",
                    hint=f"run: skewless freeze {where} --from TRAINING_DATA",
                )

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def validate(
        self,
        data: pd.DataFrame,
        *,
        env: Env | None = None,
        source: str = "<DataFrame>",
    ) -> Report:
        """Validate a pandas DataFrame; every violation is collected, none raised.

        A Dask or Spark DataFrame is validated on its own engine, partition by partition, with
        the verdicts of a local run over the same rows (docs/scale.md)."""
        from skewless.batch import compile_contract
        from skewless.engines import engine_of, validate_frame

        if engine_of(data) is not None:
            return validate_frame(data, self, env=env, keep_values=None).report

        return compile_contract(self).validate(data, env=env, source=source)

    def record_validator(self, env: Env | None = None) -> RecordValidator:
        """The online path: validate and normalise one record (a dict) or a micro-batch.

            >>> validator = contract.record_validator(env="serving")
            >>> result = validator.validate({"user_id": 7, ...})
            >>> result.ok, result.record, result.violations

        Compiled once per (contract, env); imports no pandas, pyarrow or pandera.
        """
        from skewless.record import compile_record

        return compile_record(self, env)

    def normalize(self, data: pd.DataFrame, *, env: Env | None = None) -> pd.DataFrame:
        """Return the normalised frame (fill_null, unknown categories mapped, zones converted).

        Raises `ViolationError` if the data breaks the contract: invalid rows are never
        normalised into something that looks valid.
        """
        from skewless.batch import compile_contract

        return compile_contract(self).normalize(data, env=env)
