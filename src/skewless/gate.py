"""The ETL gate: validate a source, split it into valid and quarantined rows, fail loudly.

    >>> import skewless
    >>> result = skewless.validate("out/users.parquet", "contracts/user_features.yaml",
    ...                            valid_out="clean.parquet", quarantine="held.parquet")
    >>> result.report.ok, result.valid_rows, result.quarantined_rows

    >>> @skewless.gate("contracts/user_features.yaml", on_violation="quarantine",
    ...                quarantine="held.parquet")
    ... def build_features() -> pd.DataFrame: ...

The run id is derived from the contract, the source's identity and the options, so re-running
on the same input writes the same outputs, byte for byte.
"""

from __future__ import annotations

import functools
import hashlib
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from skewless.batch import compile_contract
from skewless.contract import Contract, Env
from skewless.errors import InputError
from skewless.global_checks import cadence_pass
from skewless.io import DEFAULT_CHUNK_ROWS, FileSource, FrameSource, Source, open_source
from skewless.loader import load_contract
from skewless.quarantine import Outputs
from skewless.report import Report

if TYPE_CHECKING:
    import pandas as pd

F = TypeVar("F", bound=Callable[..., Any])
OnViolation = Literal["raise", "quarantine", "warn"]


@dataclass(frozen=True, slots=True)
class GateResult:
    """What a gate run did: its report and where every row went."""

    report: Report
    run_id: str
    valid_rows: int
    quarantined_rows: int
    valid_out: Path | None = None
    quarantine: Path | None = None

    @property
    def ok(self) -> bool:
        return self.report.ok

    @classmethod
    def of(
        cls, report: Report, run_id: str, valid_out: Path | None, quarantine: Path | None
    ) -> GateResult:
        """Where every row of `report` went: its failing rows quarantined, the others valid."""
        failed = report.rows_failed
        return cls(report, run_id, report.rows - failed, failed, valid_out, quarantine)


def run_id_for(contract: Contract, source: Source, env: Env | None) -> str:
    identity = source.identity or source.name
    if isinstance(source, FileSource):
        # The file as it is now: the same bytes at the same place give the same id.
        identity += "".join(
            f"\n{p}:{st.size}:{st.mtime_ns}"
            for p, st in zip(source.paths, source.stamps(), strict=True)
        )
    return run_id_of(contract, identity, env)


def run_id_of(contract: Contract, identity: str, env: Env | None) -> str:
    """16 hex digits naming a run of `contract` over the data `identity` names."""
    digest = hashlib.sha256()
    for part in (repr(contract), identity, str(env)):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def run_gate(
    contract: Contract,
    source: Source,
    *,
    env: Env | None = None,
    valid_out: str | Path | None = None,
    quarantine: str | Path | None = None,
    chunk_rows: int | None = DEFAULT_CHUNK_ROWS,
    run_id: str | None = None,
    keep_values: int | None = 1000,
    on_chunk: Callable[[int], None] | None = None,
) -> GateResult:
    """Validate `source` chunk by chunk; write the outputs asked for, atomically."""
    validator = compile_contract(contract)
    run_id = run_id or run_id_for(contract, source, env)
    outputs = Outputs(
        run_id,
        Path(valid_out) if valid_out is not None else None,
        Path(quarantine) if quarantine is not None else None,
    )
    if valid_out is not None:
        # An empty valid output still has the contract's columns (a source that lacks one sends
        # every row to quarantine, a header-only CSV has none): readers downstream expect them.
        outputs._valid_schema = _valid_schema(contract, env)
    writing = valid_out is not None or quarantine is not None
    cadence_bad = None
    if writing and any(c.cadence is not None for c in contract.columns):
        # A row's cadence verdict needs every timestamp: one pass for them, one to split.
        cadence_bad = cadence_pass(contract, _cadence_columns(contract, source, chunk_rows))
    run = validator.start(
        source=source.name, env=env, keep_values=keep_values, cadence_bad=cadence_bad
    )
    try:
        for chunk in source.chunks(chunk_rows):
            result = run.feed(chunk)
            if writing:
                outputs.write(result, run.report.blocks)
            if on_chunk is not None:
                on_chunk(chunk.rows)
            del chunk, result  # not held while the source reads the next chunk
        report = run.finish()
        if writing:
            outputs.commit()
    except BaseException:
        outputs.abort()
        raise
    return GateResult.of(report, run_id, outputs.valid_out, outputs.quarantine)


def _valid_schema(contract: Contract, env: Env | None) -> Any:
    import pyarrow as pa

    from skewless.dtypes import arrow_type

    return pa.schema([(c.name, arrow_type(c)) for c in contract.columns if c.allowed_in(env)])


def _cadence_columns(
    contract: Contract, source: Source, chunk_rows: int | None
) -> Iterator[dict[str, Any]]:
    """Per chunk, the cadence columns and their group columns, typed and normalised as the
    validator reads them (so both passes see the same instants and groups)."""
    from skewless.batch import typed_columns

    names = {n for c in contract.columns if c.cadence for n in (c.name, *c.cadence_by)}
    for chunk in source.chunks(chunk_rows):
        yield typed_columns(contract, names, chunk.columns, text=chunk.text)


def _contract(contract: Contract | str | Path) -> Contract:
    return contract if isinstance(contract, Contract) else load_contract(contract)


def source_of(data: Any, *, table: str | None = None, query: str | None = None) -> Source:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return FrameSource("<DataFrame>", frame=data)
    if isinstance(data, Source):
        return data
    if isinstance(data, str | Path):
        return open_source(data, table=table, query=query)
    raise InputError(repr(type(data).__name__), "expected a DataFrame, a path or a database URL")


def validate(
    data: Any,
    contract: Contract | str | Path,
    *,
    env: Env | None = None,
    valid_out: str | Path | None = None,
    quarantine: str | Path | None = None,
    chunk_rows: int | None = DEFAULT_CHUNK_ROWS,
    table: str | None = None,
    query: str | None = None,
) -> GateResult:
    """Validate a DataFrame, a file, a Parquet dataset or a SQL table/query against a contract.

    Returns a `GateResult`; raises nothing for bad data (`result.report.raise_for_violations()`
    does), `InputError` for a source that cannot be read, `ContractError` for a bad contract.
    A Dask or Spark DataFrame runs on its engine; its outputs are Parquet datasets (directories).
    """
    from skewless.engines import engine_of, validate_frame

    if engine_of(data) is not None:
        return validate_frame(
            data, _contract(contract), env=env, valid_out=valid_out, quarantine=quarantine
        )
    return run_gate(
        _contract(contract),
        source_of(data, table=table, query=query),
        env=env,
        valid_out=valid_out,
        quarantine=quarantine,
        chunk_rows=chunk_rows,
    )


def gate(
    contract: Contract | str | Path,
    *,
    on_violation: OnViolation = "raise",
    quarantine: str | Path | None = None,
    env: Env | None = None,
) -> Callable[[F], F]:
    """Guard a function that returns a DataFrame with a contract.

    - `raise`: a `ViolationError` (carrying the report) if any row breaks the contract;
    - `quarantine`: the failing rows go to `quarantine` (a Parquet file), the function returns
      the valid rows, normalised;
    - `warn`: a `UserWarning` with the report's summary; the function returns the valid rows,
      normalised.

    On clean data all three return the normalised frame.
    """
    if on_violation not in ("raise", "quarantine", "warn"):
        raise ValueError(f"on_violation is 'raise', 'quarantine' or 'warn', not {on_violation!r}")
    if on_violation == "quarantine" and quarantine is None:
        raise ValueError("on_violation='quarantine' needs a quarantine path")
    loaded = _contract(contract)

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> pd.DataFrame:
            frame = function(*args, **kwargs)
            return _guard(loaded, frame, on_violation, quarantine, env, function.__qualname__)

        return wrapper  # type: ignore[return-value]

    return decorate


def _guard(
    contract: Contract,
    frame: Any,
    on_violation: OnViolation,
    quarantine: str | Path | None,
    env: Env | None,
    name: str,
) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"{name} returned {type(frame).__name__}; @skewless.gate expects a DataFrame"
        )
    validator = compile_contract(contract)
    source = FrameSource(f"{name}()", identity=f"{name}()", frame=frame)
    report, result = validator.whole(frame, env=env, source=source.name)
    if report.ok:
        if on_violation == "quarantine" and quarantine is not None:
            # An empty quarantine: one an earlier call left would pass for this call's (its
            # run id is the same, derived from the function's name).
            Outputs(run_id_for(contract, source, env), None, Path(quarantine)).commit()
        return validator.frame(result.typed, result.extras)
    if on_violation == "raise":
        report.raise_for_violations()
    if on_violation == "quarantine":
        run_gate(contract, source, env=env, quarantine=quarantine, chunk_rows=None)
    else:
        warnings.warn(report.summary(), UserWarning, stacklevel=3)
    keep = ~result.failed()
    typed = {n: a.filter(keep) for n, a in result.typed.items()}
    extras = {n: frame[n][keep].reset_index(drop=True) for n in result.extras}
    out = validator.frame(typed, extras)
    out.index = pd.RangeIndex(int(np.count_nonzero(keep)))
    return out
