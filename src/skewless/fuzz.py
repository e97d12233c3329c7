"""`@skewless.fuzz(contract)`: a hypothesis test fed from the contract alone.

    >>> @skewless.fuzz("contracts/user_features.yaml")
    ... def test_predict_never_crashes(record):          # valid records, nasty ones included
    ...     model.predict(record)
    >>> @skewless.fuzz("contracts/user_features.yaml")
    ... def test_the_gate_holds(case):                   # one named defect per case
    ...     with pytest.raises(skewless.ViolationError):
    ...         guarded_predict(case.record)

The test's parameters say what it receives: `record` (a valid record, `skewless.strategies
.records`), `frame` (a valid DataFrame, `strategies.frames`), `payload` (JSON bytes of valid
records), `case` (an `adversarial.Case`: a record or body breaking the contract in one named way,
with the code it must trigger). Hypothesis settings come from the project's active profile;
a failure shows the shrunk example (`repr`: a NUL is `'\\x00'`) and, under a profile with
`print_blob=True`, the `@reproduce_failure` line that replays it.

Also the checks the pytest plugin runs per contract (`skewless.pytest_plugin`), each a plain
function of a contract, raising AssertionError with an escaped example.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from skewless.guard import load

if TYPE_CHECKING:
    from skewless.contract import Contract, Env

F = TypeVar("F", bound=Callable[..., Any])
PARAMETERS = ("record", "frame", "payload", "case")


def fuzz(contract: Contract | str | Path, *, env: Env | None = "serving") -> Callable[[F], F]:
    """Feed the decorated test from `contract` (see the module docstring)."""
    from hypothesis import given

    from skewless import adversarial, nasty, strategies

    loaded = load(contract)
    loaded.require_frozen()  # its valid data would be judged by a fill no engine accepts

    def decorate(test: F) -> F:
        wanted = [p for p in inspect.signature(test).parameters if p in PARAMETERS]
        if not wanted:
            raise TypeError(
                f"@skewless.fuzz: {test.__name__} takes none of {', '.join(PARAMETERS)}; "
                "name the parameter after what it should receive"
            )
        made: dict[str, Callable[[], Any]] = {
            # Valid records, a share of them nasty (4-byte UTF-8, extremes, DST edges).
            "record": lambda: strategies.records(loaded, env=env) | nasty.records(loaded, env=env),
            "frame": lambda: strategies.frames(loaded, env=env),
            "payload": lambda: strategies.payloads(loaded, env=env),
            "case": lambda: adversarial.cases(loaded, env=env),
        }
        run: Any = given(**{name: made[name]() for name in wanted})
        wrapped: F = run(test)
        return wrapped

    return decorate


# --- the per-contract checks of the pytest plugin ---------------------------------------------


def batch_results(contract: Contract, records: list[Any], env: Env | None) -> Any:
    """Records through the batch engine, as a JSON Lines chunk: the report."""
    from skewless.batch import compile_contract

    return compile_contract(contract).records(records, env=env, source="<fuzz>")[0]


_SPANNING = frozenset(("not_unique", "duplicate_key", "row_count", "cadence_mismatch"))


def _codes(violations: Any) -> list[tuple[str, str | None]]:
    return sorted(
        ((str(v.code), v.column) for v in violations if str(v.code) not in _SPANNING),
        key=lambda p: (p[0], p[1] or ""),
    )


def check_valid_records(contract: Contract, env: Env | None = "serving") -> None:
    """Generated valid records pass both paths."""
    from hypothesis import given

    from skewless import strategies

    validator = contract.record_validator(env)

    @given(record=strategies.records(contract, env=env))
    def valid_records_pass_both_paths(record: dict[str, Any]) -> None:
        online = validator.validate(record)
        assert online.ok, f"record path refused {record!r}: {online.violations}"
        batch = _codes(batch_results(contract, [record], env).violations)
        assert not batch, f"batch path refused {record!r}: {batch}"

    valid_records_pass_both_paths()


def check_adversarial_cases(contract: Contract, env: Env | None = "serving") -> None:
    """Every adversarial case gets exactly its codes, on both paths."""
    from hypothesis import given

    from skewless import adversarial

    validator = contract.record_validator(env)

    @given(case=adversarial.cases(contract, env=env))
    def every_case_gets_its_code(case: Any) -> None:
        if case.record is not None:
            online = _codes(validator.validate(case.record).violations)
            batch = _codes(batch_results(contract, [case.record], env).violations)
        else:
            result = validator.validate_body(case.body)
            online = _codes(
                [*result.violations, *(v for r in result.results for v in r.violations)]
            )
            batch = online  # a body-level defect (a repeated key): the JSON reader's, shared
        expected = list(case.expected)
        assert online == expected, f"{case.name}: record path said {online}, not {expected}"
        assert batch == expected, f"{case.name}: batch path said {batch}, not {expected}"

    every_case_gets_its_code()


CHECKS: dict[str, Callable[[Contract, Any], None]] = {
    "valid records pass both paths": check_valid_records,
    "every adversarial case gets its code": check_adversarial_cases,
}
