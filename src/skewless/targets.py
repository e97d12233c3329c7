"""What `skewless fuzz` feeds: a Python function, or a web app called in-process.

    >>> target = AppTarget(app, "/predict")       # ASGI (FastAPI, Starlette) or WSGI (Flask)
    >>> with target.running():                    # the ASGI lifespan: startup, then shutdown
    ...     target(b'{"user_id": 1, ...}')        # Result('accepted', 'HTTP 200')
    >>> FunctionTarget(predict)({"user_id": 1})   # Result('crashed', 'KeyError: ...')

A target judges one input: `accepted` (returned; 1xx-3xx), `rejected` (raised
`skewless.ViolationError`; 4xx) or `crashed` (anything else; 5xx, or raised out of the app).
Requests are made as a server would make them, with no HTTP client and no socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import io
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from skewless.errors import ViolationError
from skewless.report import printable

Outcome = Literal["accepted", "rejected", "crashed"]
Takes = Literal["record", "frame", "payload"]
DETAIL_LIMIT = 200


class TargetError(Exception):
    """A target that cannot be loaded or started: could not judge (exit 2)."""


@dataclass(frozen=True, slots=True)
class Result:
    """What one input did to the target."""

    outcome: Outcome
    detail: str  # 'HTTP 422', 'ZeroDivisionError: division by zero'


class Target(ABC):
    """Something to feed: `takes` says what one input is; calling it judges one input."""

    name: str
    takes: Takes

    @abstractmethod
    def __call__(self, given: Any) -> Result:
        """What `given` did to the target."""

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
