"""`skewless fuzz`: a function or a web app fed from the contract, and a tally by class.

    >>> from skewless import fuzzer
    >>> report = fuzzer.run(contract, fuzzer.FunctionTarget(predict), examples=100)
    >>> report = fuzzer.run(contract, fuzzer.AppTarget(app, "/predict"), seed=7)
    >>> report.ok, [t.tried for t in report.tallies]

Every class is searched on its own with hypothesis: `valid` (records the contract accepts),
`nasty` (accepted records holding what crashes models: 4-byte UTF-8, right-to-left text,
int64 ends, DST edges) and each adversarial class of `skewless.adversarial` that applies to the
contract (a NUL byte, an unseen category, a naive datetime, a repeated JSON key...). Each input
gets one outcome:

- `accepted`: the function returned, or the app answered 1xx-3xx;
- `rejected`: the function raised `skewless.ViolationError` (a `guard`), or the app answered
  4xx (the middleware's 422, 400, 413...);
- `crashed`: any other exception, or a 5xx answer.

Findings: a crash, anywhere; valid data rejected (the target disagrees with its contract);
with `expect_rejection`, invalid data accepted (it reached the model). A class with a finding is
searched again to shrink its input to the smallest that still does it.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from skewless.report import escape
from skewless.targets import (
    AppTarget,
    FunctionTarget,
    Result,
    Target,
    TargetError,
    load_object,
)

if TYPE_CHECKING:
    from hypothesis import strategies as st

    from skewless.contract import Contract, Env

VALID_CLASSES = {
    "valid": "records the contract accepts",
    "nasty": "accepted records holding what crashes models (4-byte UTF-8, RTL text, extremes)",
}


@dataclass(slots=True)
class Finding:
    """The smallest input of a class that the target mishandled."""

    name: str
    column: str | None
    result: Result
    shown: str  # the input, escaped


@dataclass(slots=True)
class Tally:
    """One class: what it is, the code its inputs carry, and what they did."""

    name: str
    what: str
    columns: tuple[str | None, ...]
    code: str | None  # None: a valid class
    tried: int = 0
    accepted: int = 0
    rejected: int = 0
    crashed: int = 0
    finding: Finding | None = None

    @property
    def valid(self) -> bool:
        return self.code is None


@dataclass(slots=True)
class FuzzReport:
    """Every class tried against one target, with its findings."""

    contract: str
    version: str
    target: str
    env: Env | None
    examples: int
    seed: int
    expect_rejection: bool
    tallies: list[Tally] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [t.finding for t in self.tallies if t.finding is not None]

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def tried(self) -> int:
        return sum(t.tried for t in self.tallies)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (docs/fuzzing.md)."""
        return {
            "contract": self.contract,
            "version": self.version,
            "target": self.target,
            "env": self.env,
            "seed": self.seed,
            "examples": self.examples,
            "expect_rejection": self.expect_rejection,
            "ok": self.ok,
            "tried": self.tried,
            "classes": [
                {
                    "class": t.name,
                    "what": t.what,
                    "columns": list(t.columns),
                    "code": t.code,
                    "tried": t.tried,
                    "accepted": t.accepted,
                    "rejected": t.rejected,
                    "crashed": t.crashed,
                }
                for t in self.tallies
            ],
            "findings": [
                {
                    "class": f.name,
                    "column": f.column,
                    "outcome": f.result.outcome,
                    "detail": f.result.detail,
                    "input": f.shown,
                }
                for f in self.findings
            ],
        }


# --- the run ----------------------------------------------------------------------------------


def run(
    contract: Contract,
    target: Target,
    *,
    env: Env | None = "serving",
    examples: int = 100,
    seed: int | None = None,
    only: Collection[str] | None = None,
    expect_rejection: bool | None = None,
    shrink_seconds: float = 10.0,
    on_class: Callable[[Tally], None] | None = None,
) -> FuzzReport:
    """Try every class (or those in `only`) on `target`, up to `examples` inputs each.

    `expect_rejection` (default: True for apps, False for functions): invalid inputs the target
    accepts are findings. `seed` makes the run repeatable (one is drawn and reported if None).
    `shrink_seconds`: the time a class's finding may take to shrink to its smallest input.
    """
    from skewless import adversarial

    if examples < 1:
        raise ValueError("examples must be at least 1")
    seed = random.SystemRandom().randrange(2**32) if seed is None else seed
    strict = isinstance(target, AppTarget) if expect_rejection is None else expect_rejection
    report = FuzzReport(contract.name, contract.version, target.name, env, examples, seed, strict)
    defects = {d.name: d for d in adversarial.DEFECTS}
    shapes = {s.name: s for s in adversarial.STRUCTURE + adversarial.BODIES}
    texts = {s.name for s in adversarial.BODIES}  # defects of JSON text: payloads only
    columns: dict[str, list[str | None]] = {name: [] for name in VALID_CLASSES}
    for name, column in adversarial.classes(contract, env=env):
        if target.takes == "payload" or name not in texts:
            columns.setdefault(name, []).append(column)
    if only is not None:
        unknown = sorted(set(only) - set(columns))
        if unknown:
            raise ValueError(
                f"no class {', '.join(map(repr, unknown))} applies to {contract.name}; "
                f"classes: {', '.join(sorted(columns))}"
            )
        columns = {k: v for k, v in columns.items() if k in only}
    with target.running():
        for name, where in columns.items():
            if name in VALID_CLASSES:
                tally = Tally(name, VALID_CLASSES[name], (), None)
            elif name in defects:  # its code can depend on the column (category or text)
                found = {str(defects[name].code(contract.column(c))) for c in where if c}
                tally = Tally(name, defects[name].what, tuple(where), ", ".join(sorted(found)))
            else:
                shape = shapes[name]
                tally = Tally(name, shape.what, tuple(where), str(shape.code))
            _search(contract, target, env, tally, examples, seed, strict, shrink_seconds)
            report.tallies.append(tally)
            if on_class is not None:
                on_class(tally)
    return report


def _inputs(
    contract: Contract, target: Target, env: Env | None, name: str
) -> st.SearchStrategy[Any]:
    """The class's inputs, shaped as the target takes them, each with its column."""
    from hypothesis import strategies as st

    from skewless import adversarial, nasty, strategies

    python = target.takes == "frame"
    made: st.SearchStrategy[Any]
    if name == "valid":
        if target.takes == "frame":
            made = strategies.frames(contract, env=env, min_rows=1)
        elif target.takes == "payload":
            made = strategies.payloads(contract, env=env)
        else:
            made = strategies.records(contract, env=env)
        return st.tuples(made, st.none())
    if name == "nasty":
        return st.tuples(
            nasty.records(contract, env=env, python=python).map(lambda r: _shaped(target, r)),
            st.none(),
        )
    cases = adversarial.cases(contract, env=env, python=python, only={name})
    return cases.map(lambda c: (_shaped(target, c.record, c.body), c.column))


def _shaped(target: Target, record: Any, body: bytes | None = None) -> Any:
    from skewless.strategies import to_body

    if target.takes == "payload":
        return body if body is not None else to_body(record)
    if target.takes == "frame":
        return _frame(record)
    return record


def _frame(record: dict[str, Any]) -> Any:
    """A one-row DataFrame with the dtypes pandas infers; a value no inferred dtype can hold
    (a lone surrogate in an Arrow string column) keeps its column as plain objects."""
    import pandas as pd

    columns = {}
    for name, value in record.items():
        try:
            columns[name] = pd.Series([value])
        except (UnicodeError, ValueError, TypeError, OverflowError):
            columns[name] = pd.Series([value], dtype=object)
    return pd.DataFrame(columns)


def _finding(tally: Tally, result: Result, strict: bool) -> bool:
    if result.outcome == "crashed":
        return True
    if tally.valid:
        return result.outcome == "rejected"
    return strict and result.outcome == "accepted"


def _search(
    contract: Contract,
    target: Target,
    env: Env | None,
    tally: Tally,
    examples: int,
    seed: int,
    strict: bool,
    shrink_seconds: float,
) -> None:
    """Explore the class (counting every input), then shrink the first finding, if any."""
    import hypothesis
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings

    strategy = _inputs(contract, target, env, tally.name)
    quiet = settings(
        database=None,
        deadline=None,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
    )
    first: list[tuple[Any, str | None, Result]] = []

    @hypothesis.seed(seed)
    @settings(quiet, max_examples=examples, phases=[Phase.generate])
    @given(strategy)
    def explore(pair: tuple[Any, str | None]) -> None:
        result = target(pair[0])
        tally.tried += 1
        setattr(tally, result.outcome, getattr(tally, result.outcome) + 1)
        if not first and _finding(tally, result, strict):
            first.append((pair[0], pair[1], result))

    explore()
    if not first:
        return
    given_, column, result = first[0]
    # Shrink within a time budget: the smallest input found when it runs out stands.
    best = [(given_, column, result)]
    deadline = time.monotonic() + shrink_seconds

    def still_fails(pair: tuple[Any, str | None]) -> bool:
        if time.monotonic() > deadline:
            raise _OutOfTime
        answer = target(pair[0])
        if _finding(tally, answer, strict):
            best.append((pair[0], pair[1], answer))
            return True
        return False

    with contextlib.suppress(hypothesis.errors.NoSuchExample, _OutOfTime):
        hypothesis.find(
            strategy,
            still_fails,
            settings=settings(
                quiet, max_examples=examples * 2, phases=[Phase.generate, Phase.shrink]
            ),
            random=random.Random(seed),
        )
    given_, column, result = best[-1]
    tally.finding = Finding(tally.name, column, result, _shown(given_))


class _OutOfTime(Exception):
    """The shrink budget is spent."""


def _shown(given: Any) -> str:
    if type(given).__name__ == "DataFrame":
        return escape(given.to_dict("records"), 2000)
    if isinstance(given, dict):
        return (
            "{" + ", ".join(f"{escape(k, 200)}: {escape(v, 200)}" for k, v in given.items()) + "}"
        )
    return escape(given, 2000)


__all__ = [
    "VALID_CLASSES",
    "AppTarget",
    "Finding",
    "FunctionTarget",
    "FuzzReport",
    "Result",
    "Tally",
    "Target",
    "TargetError",
    "load_object",
    "run",
]
