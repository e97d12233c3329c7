"""The contract as an HTTP gate: pure ASGI middleware and its WSGI twin.

    >>> app = ContractMiddleware(app, routes={"/predict": Route("contracts/user_features.yaml")})
    >>> flask_app.wsgi_app = WSGIContractMiddleware(flask_app.wsgi_app, routes={...})

For a request whose path is a route and whose method is one of the route's `methods`:

- not JSON (`content-type`) -> 415; a body over `max_bytes` -> 413, refused on its
  `content-length` or as soon as more arrived (a body is never buffered past the limit);
  a body that is not usable JSON -> 422, too many records -> 413. Outcome `refused`.
- a record (or micro-batch) that breaks the contract -> 422 in the FastAPI shape
  (`{"detail": [{"type": code, "loc": ["body", column], "msg": ...}]}`); the app is not called.
  Outcome `rejected`. Submitted values are echoed (escaped) only with `echo_values=True`.
- a valid one -> the app receives the *normalised* body (`content-length` updated). `valid`.
- `on_violation="shadow"` never changes what the app receives: the findings are counted and
  logged (`shadowed`, or `refused`) and the original request goes through.
- `output_contract`: a 2xx JSON response that breaks it becomes a 500 (`loc: ["response", ...]`)
  with reject, or is counted and passed with shadow.
- `profile=LiveProfile(contract)`: every record of a readable body, valid or not, is counted
  as it arrived (`skewless.live`): a profile of serving traffic for `skewless drift`.

Everything else (other paths and methods, lifespan, websockets) passes through untouched. The
decisions live in `_Gates` (no I/O); the two classes only read bodies and write answers, so
both twins give the same verdicts. Nothing is kept between requests but counts. Stdlib and
skewless's light modules only: no pandas, pyarrow, pandera or hypothesis.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from skewless.errors import Code
from skewless.guard import load
from skewless.live import LiveProfile
from skewless.observe import Observer
from skewless.payload import MAX_BYTES, MAX_RECORDS, Payload, is_json_type, to_json
from skewless.payload import parse_document as _parse_document
from skewless.record import BodyResult, RecordResult
from skewless.report import Violation, escape, escape_name

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from skewless.contract import Contract, Env
    from skewless.record import RecordValidator

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
OnViolation = Literal["reject", "shadow"]

_CHUNK = 1 << 16
_NOT_JSON = "the content type must be application/json (or application/*+json)"
_NO_TYPE = "the request has no content type; expected application/json"
_TOO_DEEP = "is nested too deeply"


class Route:
    """One guarded path: its contract, what a violation does, and its limits."""

    __slots__ = (
        "contract",
        "echo_values",
        "env",
        "max_bytes",
        "max_records",
        "methods",
        "on_violation",
        "output_contract",
        "output_validator",
        "profile",
        "special_floats",
        "validator",
    )

    def __init__(
        self,
        contract: Contract | str | Path,
        *,
        on_violation: OnViolation = "reject",
        env: Env | None = "serving",
        max_bytes: int = MAX_BYTES,
        max_records: int = MAX_RECORDS,
        echo_values: bool = False,
        output_contract: Contract | str | Path | None = None,
        methods: tuple[str, ...] = ("POST", "PUT", "PATCH"),
        profile: LiveProfile | None = None,
    ) -> None:
        if on_violation not in ("reject", "shadow"):
            raise ValueError(f"on_violation must be 'reject' or 'shadow', not {on_violation!r}")
        if env not in ("training", "serving", None):
            raise ValueError(f"env must be 'training', 'serving' or None, not {env!r}")
        for name, limit in (("max_bytes", max_bytes), ("max_records", max_records)):
            if type(limit) is not int or limit < 1:
                raise ValueError(f"{name} must be a positive integer, not {limit!r}")
        if isinstance(methods, str) or not methods:
            raise ValueError(f"methods must be a tuple of HTTP methods, not {methods!r}")
        self.contract: Contract = load(contract)
        self.validator: RecordValidator = self.contract.record_validator(env)
        self.on_violation: OnViolation = on_violation
        self.env: Env | None = env
        self.max_bytes = max_bytes
        self.max_records = max_records
        self.echo_values = echo_values
        self.output_contract: Contract | None = None
        self.output_validator: RecordValidator | None = None
        if output_contract is not None:
            self.output_contract = load(output_contract)
            self.output_validator = self.output_contract.record_validator(None)
        self.methods = frozenset(m.upper() for m in methods)
        if profile is not None and not isinstance(profile, LiveProfile):
            raise TypeError(f"profile must be a skewless.live.LiveProfile, not {profile!r}")
        # Running counts of every record received (online skew): opt-in, it parses the body a
        # second time, as it arrived.
        self.profile = profile
        # NaN or infinities can pass: forward them as JSON literals, not as null.
        self.special_floats = any(c.allow_nan or c.allow_inf for c in self.contract.columns)

    def __repr__(self) -> str:
        return f"Route({self.contract.name!r}, on_violation={self.on_violation!r})"


@dataclass(frozen=True, slots=True)
class _Reply:
    """An answer the gate gives instead of the app: a status and a JSON body."""

    status: int
    body: bytes

    @property
    def status_line(self) -> str:
        return f"{self.status} {HTTPStatus(self.status).phrase}"

    @property
    def headers(self) -> list[tuple[str, str]]:
        return [("content-type", "application/json"), ("content-length", str(len(self.body)))]


@dataclass(frozen=True, slots=True)
class _Verdict:
    """reply set: answer it, the app is not called. Else the app runs, on `body` when set,
    on the request as it came otherwise (shadow mode)."""

    reply: _Reply | None = None
    body: bytes | None = None


_GO_ON = _Verdict()


def _error_body(detail: list[dict[str, Any]]) -> bytes:
    # ensure_ascii: no raw control character, surrogate or bidi override reaches a client.
    return json.dumps({"detail": detail}, ensure_ascii=True, separators=(",", ":")).encode()


def _item(violation: Violation, where: str, batch: bool, echo: bool) -> dict[str, Any]:
    loc: list[str | int] = [where]
    if batch and violation.row is not None:
        loc.append(violation.row)
    if violation.column is not None:
        loc.append(escape_name(violation.column))  # a client's key: shown printable
    item: dict[str, Any] = {"type": str(violation.code), "loc": loc, "msg": violation.message}
    if echo:
        item["input"] = violation.value  # escaped and truncated, `<redacted>` for pii columns
    return item


def _violation(code: str, message: str, shown: str | None = None) -> Violation:
    """A finding about the whole body (or response): no column, no row."""
    return Violation(code, None, None, shown, message)


def _too_deep(subject: str) -> Violation:
    return _violation(Code.MALFORMED_INPUT, f"{subject} {_TOO_DEEP}")


class _Gates:
    """The decisions both twins share; no I/O here."""

    def __init__(self, routes: Mapping[str, Route], observer: Observer | None) -> None:
        for path, route in routes.items():
            if not isinstance(path, str) or not path.startswith("/"):
                raise ValueError(f"a route is an absolute path such as '/predict', not {path!r}")
            if not isinstance(route, Route):
                raise TypeError(f"routes[{path!r}] must be a Route, not {type(route).__name__}")
        self.routes: dict[str, Route] = dict(routes)
        self.observer = observer or Observer()

    def route(self, path: str, method: str) -> Route | None:
        route = self.routes.get(path)
        return route if route is not None and method in route.methods else None

    def check_headers(
        self, route: Route, path: str, content_type: str | None, content_length: int | None
    ) -> _Verdict | None:
        """A verdict before the body is read, or None: read it."""
        if not is_json_type(content_type):
            message = _NO_TYPE if content_type is None else _NOT_JSON
            shown = None if content_type is None else escape(content_type)
            return self._refuse(route, path, 415, ["header", "content-type"], message, shown)
        if content_length is not None and content_length > route.max_bytes:
            message = f"the body is {content_length} bytes; the limit is {route.max_bytes}"
            return self._refuse(route, path, 413, ["body"], message, code=Code.PAYLOAD_TOO_LARGE)
        return None

    def check_body(self, route: Route, path: str, body: bytes) -> _Verdict:
        """The verdict on a body read up to `max_bytes + 1` bytes."""
        if len(body) > route.max_bytes:
            message = f"the body is over the limit of {route.max_bytes} bytes"
            return self._refuse(route, path, 413, ["body"], message, code=Code.PAYLOAD_TOO_LARGE)
        try:
            result = route.validator.validate_body(
                body, max_bytes=route.max_bytes, max_records=route.max_records
            )
            records = [r.record for r in result.results]
            forward = (
                to_json(
                    records if result.batch else records[0], special_floats=route.special_floats
                )
                if result.ok
                else None
            )
        except RecursionError:  # nesting near the limit: payload's quote count, repr, dumps
            result = BodyResult(False, [], (_too_deep("the body"),))
        if route.profile is not None and not result.violations:
            _count(route.profile, body, result)
        if result.violations:
            v = result.violations[0]
            status = 413 if v.code == Code.PAYLOAD_TOO_LARGE else 422
            return self._refuse(route, path, status, ["body"], v.message, code=v.code)
        found = self._judge(route, route.contract, path, result.results)
        if not found:
            return _Verdict(body=forward)
        if route.on_violation == "shadow":
            return _GO_ON
        detail = [_item(v, "body", result.batch, route.echo_values) for v in found]
        return _Verdict(_Reply(422, _error_body(detail)))

    def judges_response(self, route: Route, status: int, headers: Iterable[Any]) -> bool:
        """Whether a response must be held for the output contract: 2xx, JSON, not encoded."""
        if route.output_validator is None or not 200 <= status < 300 or status in (204, 205):
            return False
        content_type = None
        for name, value in headers:
            key = name.decode("latin-1") if isinstance(name, bytes) else name
            text = value.decode("latin-1") if isinstance(value, bytes) else value
            if key.lower() == "content-encoding" and text.strip().lower() != "identity":
                return False
            if key.lower() == "content-type" and content_type is None:
                content_type = text
        return is_json_type(content_type)

    def check_response(self, route: Route, path: str, body: bytes) -> _Reply | None:
        """A 500 that replaces a response breaking the output contract (reject), or None."""
        validator, contract = route.output_validator, route.output_contract
        if validator is None or contract is None or not body.strip():
            return None
        batch = False
        try:
            value, problem = _parse_document(body)
            if problem is None:
                batch = type(value) is list
                results = self._validate(validator, Payload(value if batch else [value], batch))
        except RecursionError:
            problem = _TOO_DEEP
        if problem is not None:
            message = f"the response {problem}"
            results = [RecordResult(None, (_violation(Code.MALFORMED_INPUT, message),))]
        found = self._judge(route, contract, _response_label(path), results)
        if not found or route.on_violation == "shadow":
            return None
        detail = [_item(v, "response", batch, route.echo_values) for v in found]
        return _Reply(500, _error_body(detail))

    @staticmethod
    def _validate(validator: RecordValidator, payload: Payload) -> list[RecordResult]:
        if payload.batch:
            return validator.validate_many(payload.records)
        return [validator.validate(payload.records[0])]

    def _judge(
        self, route: Route, contract: Contract, label: str, results: list[RecordResult]
    ) -> list[Violation]:
        """Count the results (one count per record, as `guard` does); their violations."""
        if len(results) == 1 and not results[0].violations:  # the common case, kept short
            self.observer.observe(contract, label, "valid")
            return []
        found = [v for r in results for v in r.violations]
        bad = sum(1 for r in results if not r.ok)
        if found:
            outcome = "shadowed" if route.on_violation == "shadow" else "rejected"
            self.observer.observe(contract, label, outcome, found, records=bad)
        if len(results) > bad:
            self.observer.observe(contract, label, "valid", records=len(results) - bad)
        return found

    def _refuse(
        self,
        route: Route,
        path: str,
        status: int,
        loc: list[str | int],
        message: str,
        shown: str | None = None,
        code: str = Code.MALFORMED_INPUT,
    ) -> _Verdict:
        violation = _violation(code, message, shown)
        self.observer.observe(route.contract, path, "refused", [violation])
        if route.on_violation == "shadow":
            return _GO_ON
        item: dict[str, Any] = {"type": str(code), "loc": loc, "msg": message}
        if route.echo_values and shown is not None:
            item["input"] = shown
        return _Verdict(_Reply(status, _error_body([item])))


def _count(profile: LiveProfile, body: bytes, result: BodyResult) -> None:
    """Count the records of a readable body as they arrived, valid or not."""
    arrived, problem = _parse_document(body)
    if problem is not None:
        return
    records = arrived if type(arrived) is list else [arrived]
    for record, judged in zip(records, result.results, strict=False):
        profile.observe(record, judged.record if judged.ok else None)


def _response_label(path: str) -> str:
    """The `route` label of output-contract counts, apart from the request's."""
    return f"{path}#response"


def _length(value: str | None) -> int | None:
    """A content-length of ASCII digits, or None (absent or unusable: the body's end says)."""
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None


# --- ASGI -----------------------------------------------------------------------------------


class ContractMiddleware(_Gates):
    """Pure ASGI middleware: `app.add_middleware(ContractMiddleware, routes={...})`."""

    def __init__(
        self, app: ASGIApp, routes: Mapping[str, Route], observer: Observer | None = None
    ) -> None:
        super().__init__(routes, observer)
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan, websocket
            await self.app(scope, receive, send)
            return
        path = _route_path(scope)
        route = self.route(path, scope["method"])
        if route is None:
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers") or []
        content_type, length_text = _headers(headers)
        length = _length(length_text)
        verdict = self.check_headers(route, path, content_type, length)
        if verdict is None:
            read = await _read(receive, route.max_bytes)
            if read is None:  # the client left while sending: nobody to answer
                return
            body, more = read
            verdict = self.check_body(route, path, body)
            if verdict.body is not None:
                scope = {**scope, "headers": _with_length(headers, len(verdict.body))}
                receive = _replay(verdict.body, False, receive)
            elif verdict.reply is None:  # shadow: the original request, as read so far
                receive = _replay(body, more, receive)
        if verdict.reply is not None:
            await _answer(send, verdict.reply)
            return
        if route.output_validator is not None:
            send = _ResponseGate(self, route, path, send)
        await self.app(scope, receive, send)


def _route_path(scope: Scope) -> str:
    """The path as the app's router sees it: `root_path` removed (as starlette does)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] == "/":
        return path[len(root) :]
    return path


def _headers(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    """The first content-type and content-length, in one pass over the headers."""
    content_type = length = None
    for key, value in headers:
        name = key.lower()
        if name == b"content-type" and content_type is None:
            content_type = value.decode("latin-1")
        elif name == b"content-length" and length is None:
            length = value.decode("latin-1")
    return content_type, length


def _with_length(headers: Iterable[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    kept = [
        (k, v) for k, v in headers if k.lower() not in (b"content-length", b"transfer-encoding")
    ]
    return [*kept, (b"content-length", str(length).encode("ascii"))]


async def _read(receive: Receive, limit: int) -> tuple[bytes, bool] | None:
    """The body up to `limit + 1` bytes, and whether more is coming; None on disconnect."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        more = bool(message.get("more_body", False))
        if not more or len(body) > limit:
            return bytes(body), more


def _replay(body: bytes, more: bool, receive: Receive) -> Receive:
    """`receive` that gives `body` once, then the original stream (more body, a disconnect)."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay


async def _answer(send: Send, reply: _Reply) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


class _ResponseGate:
    """A `send` that holds a JSON 2xx response until its end, then judges it. One per request."""

    def __init__(self, gates: _Gates, route: Route, path: str, send: Send) -> None:
        self.gates, self.route, self.path, self.send = gates, route, path, send
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            status, headers = message["status"], message.get("headers") or []
            if message.get("trailers") or not self.gates.judges_response(
                self.route, status, headers
            ):
                await self.send(message)
            else:
                self.start = message
            return
        if self.start is None:
            await self.send(message)
            return
        if kind != "http.response.body":  # an extension we cannot judge: let it all through
            await self._flush(b"".join(self.chunks), more=True)
            await self.send(message)
            return
        self.chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(self.chunks)
        reply = self.gates.check_response(self.route, self.path, body)
        if reply is not None:
            self.start = None
            await _answer(self.send, reply)
        else:
            await self._flush(body, more=False)

    async def _flush(self, body: bytes, *, more: bool) -> None:
        start, self.start, self.chunks = self.start, None, []
        if start is not None:
            await self.send(start)
        await self.send({"type": "http.response.body", "body": body, "more_body": more})


# --- WSGI -----------------------------------------------------------------------------------


class WSGIContractMiddleware(_Gates):
    """The WSGI twin: `flask_app.wsgi_app = WSGIContractMiddleware(flask_app.wsgi_app, ...)`."""

    def __init__(
        self,
        app: WSGIApplication,
        routes: Mapping[str, Route],
        observer: Observer | None = None,
    ) -> None:
        super().__init__(routes, observer)
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        route = self.route(path, environ.get("REQUEST_METHOD", "GET"))
        if route is None:
            return self.app(environ, start_response)
        length = _length(environ.get("CONTENT_LENGTH"))
        verdict = self.check_headers(route, path, environ.get("CONTENT_TYPE"), length)
        if verdict is None:
            body = _read_input(environ, length, route.max_bytes)
            verdict = self.check_body(route, path, body)
            environ = dict(environ)
            if verdict.body is not None:
                environ["wsgi.input"] = _Replay(verdict.body, None)
                environ["CONTENT_LENGTH"] = str(len(verdict.body))
                environ.pop("HTTP_TRANSFER_ENCODING", None)
            elif verdict.reply is None:  # shadow: the original request, as read so far
                rest = environ["wsgi.input"] if len(body) > route.max_bytes else None
                environ["wsgi.input"] = _Replay(body, rest)
        if verdict.reply is not None:
            start_response(verdict.reply.status_line, verdict.reply.headers)
            return [verdict.reply.body]
        if route.output_validator is not None:
            return self._judged(route, path, environ, start_response)
        return self.app(environ, start_response)

    def _judged(
        self, route: Route, path: str, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Run the app with its response held (output contract), then judge it."""
        chunks: list[bytes] = []
        started: list[tuple[str, list[tuple[str, str]], Any]] = []

        def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started.append((status, headers, exc_info))
            return chunks.append  # the legacy write() callable

        result = self.app(environ, hold)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status_line, headers, exc_info = started[-1]
        body = b"".join(chunks)
        status = _status_code(status_line)
        if self.judges_response(route, status, headers):
            reply = self.check_response(route, path, body)
            if reply is not None:
                start_response(reply.status_line, reply.headers)
                return [reply.body]
        start_response(status_line, headers, exc_info)
        return [body]


def _status_code(status_line: str) -> int:
    code = status_line.split(" ", 1)[0]
    return int(code) if code.isascii() and code.isdigit() else 0


def _read_input(environ: WSGIEnvironment, length: int | None, limit: int) -> bytes:
    """`wsgi.input` up to `limit + 1` bytes: CONTENT_LENGTH bytes, or up to its end when the
    server says it ends (`wsgi.input_terminated`, or a chunked request). Without either, a
    request has no body (HTTP/1.1), and reading the socket would wait for the client."""
    if length is None:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not (environ.get("wsgi.input_terminated") or chunked):
            return b""
        want = limit + 1
    else:
        want = min(length, limit + 1)
    stream = environ["wsgi.input"]
    body = bytearray()
    while len(body) < want:
        chunk = stream.read(min(want - len(body), _CHUNK))
        if not chunk:
            break
        body += chunk
    return bytes(body)


class _Replay:
    """A `wsgi.input` that gives `head` first, then what is left of `rest` (if any)."""

    def __init__(self, head: bytes, rest: Any) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int | None = -1) -> bytes:
        n = -1 if size is None else size
        out = self._take(len(self._head) if n < 0 else n)
        if self._rest is None or len(out) == n:
            return out
        more: bytes = self._rest.read() if n < 0 else self._rest.read(n - len(out))
        return out + more

    def readline(self, size: int | None = -1) -> bytes:
        n = -1 if size is None else size
        limit = len(self._head) if n < 0 else min(n, len(self._head))
        out = self._take(self._head.find(b"\n", 0, limit) + 1 or limit)
        if out.endswith(b"\n") or self._rest is None or len(out) == n:
            return out
        more: bytes = self._rest.readline() if n < 0 else self._rest.readline(n - len(out))
        return out + more

    def readlines(self, hint: int = -1) -> list[bytes]:
        return list(self)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def _take(self, n: int) -> bytes:
        out, self._head = self._head[:n], self._head[n:]
        return out
