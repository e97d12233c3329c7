"""`@skewless.guard(contract)`: the online gate for code that is not an HTTP endpoint.

    >>> @skewless.guard("contracts/user_features.yaml")
    ... def score(record: dict) -> float:       # a queue consumer, a batch scorer...
    ...     return model.predict(record)
    >>> score({"user_id": 7, ...})               # runs on the normalised record
    >>> score({"user_id": "7", ...})             # raises ViolationError before the model runs

The first positional argument is the record (a dict) or a micro-batch (a list of dicts); the
function receives it normalised, exactly as the middleware and the batch engine normalise it.
`on_violation`:

- `"raise"` (default): a `ViolationError` carrying the violations; the function never runs;
- `"skip"`: a single bad record returns None without calling the function; a micro-batch
  calls it with its valid records only (none valid: returns None);
- `"shadow"`: count and log the violations, then call the function with the input unchanged
  (to roll a contract out without changing behaviour).

Every call is counted and logged by an `Observer` (Prometheus counters when installed).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from skewless.errors import ViolationError
from skewless.observe import Observer
from skewless.report import counted, escape_name

if TYPE_CHECKING:
    from skewless.contract import Contract, Env
    from skewless.report import Violation

F = TypeVar("F", bound=Callable[..., Any])
OnViolation = Literal["raise", "skip", "shadow"]


def load(contract: Contract | str | Path) -> Contract:
    """A contract, or the contract at a path."""
    from skewless.contract import Contract
    from skewless.loader import load_contract

    return contract if isinstance(contract, Contract) else load_contract(contract)


def guard(
    contract: Contract | str | Path,
    *,
    on_violation: OnViolation = "raise",
    env: Env | None = "serving",
    observer: Observer | None = None,
    name: str | None = None,
) -> Callable[[F], F]:
    """Validate and normalise the first argument of the decorated function (see the module)."""
    if on_violation not in ("raise", "skip", "shadow"):
        raise ValueError(f"on_violation must be 'raise', 'skip' or 'shadow', not {on_violation!r}")
    loaded = load(contract)
    validator = loaded.record_validator(env)
    seen = observer or Observer()

    def decorate(function: F) -> F:
        route: str = name or str(getattr(function, "__qualname__", "guarded"))

        @functools.wraps(function)
        def guarded(data: Any, *args: Any, **kwargs: Any) -> Any:
            batch = isinstance(data, list)
            results = validator.validate_many(data) if batch else [validator.validate(data)]
            found: list[Violation] = [v for r in results for v in r.violations]
            bad = sum(1 for r in results if not r.ok)
            if not found:
                seen.observe(loaded, route, "valid", records=len(results))
                records = [r.record for r in results]
                return function(records if batch else records[0], *args, **kwargs)
            outcome = "shadowed" if on_violation == "shadow" else "rejected"
            seen.observe(loaded, route, outcome, found, records=bad)
            if len(results) > bad:
                seen.observe(loaded, route, "valid", records=len(results) - bad)
            if on_violation == "shadow":
                return function(data, *args, **kwargs)
            if on_violation == "raise":
                summary = (
                    f"{counted(bad, 'record')} of {len(results)} broke {loaded.name} "
                    f"{loaded.version}: " + "; ".join(_short(v) for v in found[:5])
                )
                raise ViolationError(None, summary, found)
            valid = [r.record for r in results if r.ok]
            if not valid:
                return None
            return function(valid if batch else valid[0], *args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def _short(violation: Violation) -> str:
    where = "" if violation.row is None else f"record {violation.row}: "
    column = "" if violation.column is None else f"{escape_name(violation.column)} "
    return f"{where}{column}{violation.message} ({violation.code})"
