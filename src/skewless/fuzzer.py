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

import asyncio
import contextlib
import importlib
import inspect
import io
import random
import sys
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from skewless.errors import ViolationError
from skewless.report import escape, printable

if TYPE_CHECKING:
    from hypothesis import strategies as st

    from skewless.contract import Contract, Env

Outcome = Literal["accepted", "rejected", "crashed"]
Takes = Literal["record", "frame", "payload"]
VALID_CLASSES = {
    "valid": "records the contract accepts",
    "nasty": "accepted records holding what crashes models (4-byte UTF-8, RTL text, extremes)",
}
DETAIL_LIMIT = 200


class TargetError(Exception):
    """A target that cannot be loaded or started: could not judge (exit 2)."""


@dataclass(frozen=True, slots=True)
class Result:
    """What one input did to the target."""

    outcome: Outcome
    detail: str  # 'HTTP 422', 'ZeroDivisionError: division by zero'


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


# --- targets ----------------------------------------------------------------------------------


class Target:
    """Something to feed: `takes` says what one input is; calling it judges one input."""

    name: str
    takes: Takes

    def __call__(self, given: Any) -> Result:
        raise NotImplementedError

    @contextmanager
    def running(self) -> Iterator[None]:
        """Around the whole run (an app's startup and shutdown)."""
        yield


class FunctionTarget(Target):
    """A Python callable taking a record (dict), a DataFrame or JSON bytes; async too."""

    def __init__(self, function: Callable[..., Any], *, takes: Takes = "record") -> None:
        if not callable(function):
            raise TargetError(f"{function!r} is not callable")
        self.function = function
        self.takes = takes
        self.name = str(getattr(function, "__qualname__", repr(function)))

    def __call__(self, given: Any) -> Result:
        try:
            answer = self.function(given)
            if inspect.isawaitable(answer):
                asyncio.run(_awaited(answer))
        except ViolationError:
            return Result("rejected", "ViolationError")
        except Exception as exc:  # the finding itself: whatever the function raised
            return Result("crashed", _exception(exc))
        return Result("accepted", "returned")


async def _awaited(answer: Any) -> Any:
    return await answer


class AppTarget(Target):
    """An ASGI or WSGI app, called in-process: each input is POSTed to `path` as JSON."""

    takes: Takes = "payload"

    def __init__(self, app: Any, path: str = "/predict", *, method: str = "POST") -> None:
        if not callable(app):
            raise TargetError(f"{app!r} is not an ASGI or WSGI app")
        if not path.startswith("/"):
            raise TargetError(f"the path must start with '/', not {printable(path)!r}")
        self.app, self.path, self.method = app, path, method.upper()
        self.asgi = inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(
            type(app).__call__
        )
        self.name = f"{'ASGI' if self.asgi else 'WSGI'} app {self.method} {path}"
        self._runner: asyncio.Runner | None = None
        self._lifespan: _Lifespan | None = None

    @contextmanager
    def running(self) -> Iterator[None]:
        if not self.asgi:
            yield
            return
        with asyncio.Runner() as runner:
            self._runner = runner
            self._lifespan = _Lifespan(self.app)
            runner.run(self._lifespan.start())
            try:
                yield
            finally:
                runner.run(self._lifespan.stop())
                self._runner = None

    def __call__(self, given: Any) -> Result:
        body = given if isinstance(given, bytes) else b""
        try:
            if self.asgi:
                if self._runner is None:
                    with self.running():
                        return self(given)
                status = self._runner.run(_asgi_post(self.app, self.method, self.path, body))
            else:
                status = _wsgi_post(self.app, self.method, self.path, body)
        except Exception as exc:  # raised out of the app: what a server answers 500
            return Result("crashed", f"HTTP 500 ({_exception(exc)})")
        if status >= 500:
            return Result("crashed", f"HTTP {status}")
        return Result("rejected" if status >= 400 else "accepted", f"HTTP {status}")


def _exception(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return printable(text if len(text) <= DETAIL_LIMIT else text[:DETAIL_LIMIT] + "...")


def _headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [
        (b"host", b"skewless-fuzz"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]


async def _asgi_post(app: Any, method: str, path: str, body: bytes) -> int:
    """One request through an ASGI app, as a server would make it; the status it answered."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": _headers(body),
        "client": ("127.0.0.1", 50000),
        "server": ("skewless-fuzz", 80),
        "state": {},
    }
    answered = asyncio.Event()
    status: list[int] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(int(message["status"]))
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            answered.set()

    try:
        await app(scope, receive, send)
    finally:
        answered.set()
    if not status:
        raise RuntimeError("the app returned without answering")
    return status[0]


def _wsgi_post(app: Any, method: str, path: str, body: bytes) -> int:
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "skewless-fuzz",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "skewless-fuzz",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    status: list[int] = []

    def start_response(line: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], None]:
        status.append(int(line.split(" ", 1)[0]))
        return lambda data: None

    answer = app(environ, start_response)
    try:
        for _ in answer:
            pass
    finally:
        if hasattr(answer, "close"):
            answer.close()
    if not status:
        raise RuntimeError("the app returned without answering")
    return status[-1]


class _Lifespan:
    """The ASGI lifespan protocol around a run: startup before the first request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def _serve(self) -> None:
        # An app without lifespan support raises on the scope: it has none, then.
        with contextlib.suppress(Exception):
            await self.app(
                {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                self.inbox.get,
                self.outbox.put,
            )
        await self.outbox.put(None)

    async def start(self) -> None:
        self.task = asyncio.create_task(self._serve())
        await self.inbox.put({"type": "lifespan.startup"})
        message = await self.outbox.get()
        if message is not None and message["type"] == "lifespan.startup.failed":
            raise TargetError(f"the app's startup failed: {printable(message.get('message', ''))}")
        if message is None:
            self.task = None

    async def stop(self) -> None:
        if self.task is None:
            return
        await self.inbox.put({"type": "lifespan.shutdown"})
        await self.outbox.get()
        self.task = None


def load_object(spec: str, app_dir: str | Path | None = None) -> Any:
    """`module:attribute` (dotted attributes allowed) imported as uvicorn does, `app_dir` first
    on the path; TargetError with the reason when it cannot be."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise TargetError(f"expected MODULE:NAME, e.g. service.app:app, not {printable(spec)!r}")
    where = str(Path(app_dir or ".").resolve())
    if where not in sys.path:
        sys.path.insert(0, where)
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise TargetError(f"cannot import {printable(module_name)!r}: {exc}") from None
    except Exception as exc:  # the user's module failed at import: say how
        raise TargetError(
            f"importing {printable(module_name)!r} failed: {_exception(exc)}"
        ) from None
    for part in attribute.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise TargetError(
                f"{printable(module_name)!r} has no attribute {printable(attribute)!r}"
            ) from None
    return found


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
    what = {d.name: d.what for d in adversarial.DEFECTS}
    what |= {s.name: s.what for s in adversarial.STRUCTURE + adversarial.BODIES}
    codes = {d.name: d for d in adversarial.DEFECTS}
    columns: dict[str, list[str | None]] = {name: [] for name in VALID_CLASSES}
    for name, column in adversarial.classes(contract, env=env):
        if target.takes == "payload" or name not in _BODY_ONLY:
            columns.setdefault(name, []).append(column)
    known = set(columns)
    if only is not None:
        unknown = sorted(set(only) - known)
        if unknown:
            raise ValueError(
                f"no class {', '.join(map(repr, unknown))} applies to {contract.name}; "
                f"classes: {', '.join(sorted(known))}"
            )
        columns = {k: v for k, v in columns.items() if k in only}
    with target.running():
        for name, where in columns.items():
            if name in VALID_CLASSES:
                tally = Tally(name, VALID_CLASSES[name], (), None)
            else:
                shape = codes.get(name)
                code = (
                    ", ".join(sorted({str(shape.code(contract.column(c))) for c in where if c}))
                    if shape is not None
                    else str(_shape_code(name))
                )
                tally = Tally(name, what[name], tuple(where), code)
            _search(contract, target, env, tally, examples, seed, strict, shrink_seconds)
            report.tallies.append(tally)
            if on_class is not None:
                on_class(tally)
    return report


_BODY_ONLY = frozenset(
    ("duplicate_json_key", "not_an_object", "truncated_json", "deep_nesting", "invalid_utf8")
)


def _shape_code(name: str) -> str:
    from skewless import adversarial

    return str(next(s.code for s in adversarial.STRUCTURE + adversarial.BODIES if s.name == name))


def _inputs(
    contract: Contract, target: Target, env: Env | None, name: str
) -> st.SearchStrategy[Any]:
    """The class's inputs, shaped as the target takes them, each with its column."""
    from hypothesis import strategies as st

    from skewless import adversarial, strategies

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
            adversarial.nasty(contract, env=env, python=python).map(lambda r: _shaped(target, r)),
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
