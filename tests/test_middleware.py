"""The HTTP gate: `ContractMiddleware` (ASGI) and `WSGIContractMiddleware`, in front of real apps.

Every hostile body goes through both twins (httpx's ASGI and WSGI transports) and once over a
real uvicorn server on loopback: each gets its 4xx and code, the app never sees it, and the
next valid request still gets its 200 with the *normalised* record. No mocks: the apps are
Starlette, FastAPI, Flask and plain ASGI/WSGI callables that record what they received.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import httpx
import prometheus_client
import pytest
import uvicorn
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route as StarletteRoute

import skewless
from skewless.middleware import ContractMiddleware, Route, WSGIContractMiddleware
from skewless.observe import Observer

CONTRACT = Path(__file__).resolve().parent.parent / "contracts" / "user_features.yaml"
OUTPUT_CONTRACT = """\
contract: prediction
version: 1.0.0
columns:
  score: {type: float, min: 0, max: 1}
"""
JSON = {"content-type": "application/json"}
BROWSER = "Mozilla/5.0 (X11; Linux x86_64)"

VALID: dict[str, Any] = {
    "user_id": 7,
    "user_age": 34,
    "browser_type": "Chrome",
    "os": "ChromeOS",  # not in the vocabulary: mapped to Other
    "country": "US",
    "last_purchase_at": "2024-05-01T09:17:00Z",
    "local_time": "2024-05-01T02:17:00",  # naive wall time in Los Angeles (PDT, -07:00)
    "signup_date": "2023-01-15",
    "session_count": 3,
    "basket_value": 42.5,
    "click_rate": None,  # filled with 0.0
    "is_premium": False,
    "referrer": "example.com",
    "comment": None,
}
NORMALISED = {
    **VALID,
    "os": "Other",
    "last_purchase_at": "2024-05-01T09:17:00Z",
    "local_time": "2024-05-01T02:17:00-07:00",
    "click_rate": 0.0,
}

# One registry per twin, made at import: observe.py keys its counters by `id(registry)`, so a
# registry made in a test could reuse the id of a dead one and get its stale counters.
REGISTRIES = {
    "asgi": prometheus_client.CollectorRegistry(),
    "wsgi": prometheus_client.CollectorRegistry(),
}


def body(**changes: Any) -> bytes:
    return json.dumps({**VALID, **changes}).encode()


def raw(**changes: bytes) -> bytes:
    """A valid record with some values replaced by raw JSON text (bytes not even UTF-8)."""
    text = body(**{k: f"@@{k}@@" for k in changes})
    for key, value in changes.items():
        text = text.replace(f'"@@{key}@@"'.encode(), value)
    return text


@dataclass(frozen=True)
class Hostile:
    id: str
    content: bytes
    status: int
    code: str
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON))
    outcome: str | None = None  # the counted outcome, when the code does not tell it


HOSTILE = [
    Hostile("empty", b"", 422, "malformed_input"),
    Hostile("not_json", b"hello", 422, "malformed_input"),
    Hostile("truncated", body()[:-9], 422, "malformed_input"),
    Hostile("10mb", body(comment="a" * 10_000_000), 413, "payload_too_large"),
    Hostile("deep_list", b"[" * 10_000 + b"]" * 10_000, 422, "malformed_input"),
    Hostile("deep_object", b'{"a":' * 10_000 + b"1" + b"}" * 10_000, 422, "malformed_input"),
    # Deep but under the parser's recursion limit: read, then judged (a list is no record, and
    # no comment).
    Hostile("deep_list_600", b"[" * 600 + b"]" * 600, 422, "malformed_input", outcome="rejected"),
    Hostile("deep_value_600", raw(comment=b"[" * 600 + b"]" * 600), 422, "wrong_type"),
    Hostile("duplicate_key", body()[:-1] + b', "user_id": 8}', 422, "malformed_input"),
    Hostile("lone_surrogate", raw(comment=b'"ok \\ud800"'), 422, "invalid_unicode"),
    Hostile("invalid_utf8", raw(comment=b'"ok \xff\xfe"'), 422, "invalid_unicode"),
    Hostile("nul_value", body(comment="a\x00b"), 422, "control_character"),
    Hostile("raw_nul_in_string", raw(comment=b'"a\x00b"'), 422, "malformed_input"),
    Hostile("nul_key", body()[:-1] + b', "us\\u0000er": 1}', 422, "unexpected_column"),
    Hostile("ansi_escape", body(comment="\x1b[31mred"), 422, "control_character"),
    Hostile("nan", raw(basket_value=b"NaN"), 422, "nan_not_allowed"),
    Hostile("int_2_64", body(user_id=2**64), 422, "integer_overflow"),
    Hostile("unknown_browser", body(browser_type=BROWSER), 422, "not_in_vocabulary"),
    Hostile("100k_records", b"[" + b",".join([b"{}"] * 100_000) + b"]", 413, "payload_too_large"),
    Hostile("text_plain", body(), 415, "malformed_input", {"content-type": "text/plain"}),
    Hostile("no_content_type", body(), 415, "malformed_input", {}),
]


# --- the apps behind the gate ---------------------------------------------------------------


@dataclass
class Seen:
    """What the app behind the gate received (thread-safe: list.append)."""

    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def records(self) -> list[Any]:
        return [json.loads(b) for b in self.bodies]


def starlette_app(seen: Seen, score: Any = 0.5) -> Starlette:
    async def predict(request: Request) -> Response:
        seen.bodies.append(await request.body())
        seen.headers.append(dict(request.headers))
        return JSONResponse({"score": score})

    async def text(request: Request) -> Response:
        seen.bodies.append(await request.body())
        return PlainTextResponse("not json")

    async def missing(request: Request) -> Response:
        return JSONResponse({"detail": "no such user"}, status_code=404)

    return Starlette(
        routes=[
            StarletteRoute("/predict", predict, methods=["GET", "POST", "PUT"]),
            StarletteRoute("/other", predict, methods=["POST"]),
            StarletteRoute("/text", text, methods=["POST"]),
            StarletteRoute("/missing", missing, methods=["POST"]),
        ]
    )


def wsgi_app(seen: Seen, score: Any = 0.5) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH")
        stream = environ["wsgi.input"]
        seen.bodies.append(stream.read(int(length)) if length else stream.read())
        seen.headers.append({"content-length": length or ""})
        path = environ["PATH_INFO"]
        if path == "/text":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"not json"]
        if path == "/missing":
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"detail": "no such user"}']
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"score": score}).encode()]

    return app


# --- one client over either twin ------------------------------------------------------------


class Client:
    """An app behind the gate, reached through httpx's ASGI or WSGI transport."""

    def __init__(self, kind: str, app: Any) -> None:
        self.kind, self.app = kind, app

    def request(
        self,
        method: str,
        path: str,
        content: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        chunked: bool = False,
    ) -> httpx.Response:
        if self.kind == "asgi":
            return asyncio.run(self._arequest(method, path, content, headers, chunked))
        stream: Any = iter(_pieces(content)) if chunked else content
        with httpx.Client(transport=httpx.WSGITransport(self.app), base_url="http://gate") as c:
            return c.request(method, path, content=stream, headers=headers)

    def post(
        self, path: str, content: bytes, headers: dict[str, str] | None = None, **kw: Any
    ) -> httpx.Response:
        return self.request("POST", path, content, JSON if headers is None else headers, **kw)

    async def _arequest(
        self, method: str, path: str, content: bytes, headers: dict[str, str] | None, chunked: bool
    ) -> httpx.Response:
        stream: Any = _apieces(content) if chunked else content
        transport = httpx.ASGITransport(self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gate") as c:
            return await c.request(method, path, content=stream, headers=headers)


def _pieces(content: bytes, size: int = 1000) -> list[bytes]:
    return [content[i : i + size] for i in range(0, len(content), size)] or [b""]


async def _apieces(content: bytes) -> AsyncIterator[bytes]:
    for piece in _pieces(content):
        yield piece


def gate(
    kind: str,
    *,
    observer: Observer | None = None,
    score: Any = 0.5,
    paths: tuple[str, ...] = ("/predict",),
    **options: Any,
) -> tuple[Client, Seen, Observer]:
    seen = Seen()
    observer = observer or Observer(prometheus=False)
    routes = {p: Route(CONTRACT, **options) for p in paths}
    if kind == "asgi":
        app: Any = ContractMiddleware(starlette_app(seen, score), routes=routes, observer=observer)
    else:
        app = WSGIContractMiddleware(wsgi_app(seen, score), routes=routes, observer=observer)
    return Client(kind, app), seen, observer


def recorder(statuses: list[str]) -> Any:
    """A WSGI `start_response` that keeps the status lines."""

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)
        return lambda data: None

    return start_response


def codes(response: httpx.Response) -> set[str]:
    return {item["type"] for item in response.json()["detail"]}


def outcomes(observer: Observer) -> dict[tuple[str, str], int]:
    return {(r["route"], r["outcome"]): r["count"] for r in observer.counts()["records"]}


KINDS = pytest.mark.parametrize("kind", ["asgi", "wsgi"])


# --- hostile bodies ---------------------------------------------------------------------------


@KINDS
@pytest.mark.parametrize("case", HOSTILE, ids=[h.id for h in HOSTILE])
def test_hostile_body_is_refused_and_the_app_never_sees_it(kind: str, case: Hostile) -> None:
    client, seen, observer = gate(kind)
    response = client.post("/predict", case.content, case.headers)
    assert response.status_code == case.status, response.text
    assert case.code in codes(response)
    assert response.headers["content-type"] == "application/json"
    assert response.content.isascii()
    assert seen.bodies == []
    outcome = case.outcome or (
        "refused" if case.status in (413, 415) or case.code == "malformed_input" else "rejected"
    )
    assert outcomes(observer) == {("/predict", outcome): 1}

    after = client.post("/predict", body())
    assert after.status_code == 200
    assert seen.records() == [NORMALISED]


@KINDS
def test_valid_record_reaches_the_app_normalised(kind: str) -> None:
    client, seen, observer = gate(kind)
    winter = body(local_time="2024-01-15T08:00:00", os="Windows", click_rate=0.25)
    assert client.post("/predict", body()).status_code == 200
    assert client.post("/predict", winter).status_code == 200
    first, second = seen.records()
    assert first == NORMALISED
    assert first["os"] == "Other"
    assert first["click_rate"] == 0.0
    assert first["local_time"] == "2024-05-01T02:17:00-07:00"
    assert second["local_time"] == "2024-01-15T08:00:00-08:00"
    assert second["os"] == "Windows"
    assert all(
        h["content-length"] == str(len(b)) for h, b in zip(seen.headers, seen.bodies, strict=True)
    )
    assert outcomes(observer) == {("/predict", "valid"): 2}


@KINDS
def test_micro_batch_is_normalised_or_rejected_with_row_numbers(kind: str) -> None:
    client, seen, observer = gate(kind)
    batch = json.dumps([VALID, {**VALID, "user_id": 8}]).encode()
    assert client.post("/predict", batch).status_code == 200
    assert seen.records() == [[NORMALISED, {**NORMALISED, "user_id": 8}]]

    bad = json.dumps([VALID, {**VALID, "browser_type": BROWSER}, {**VALID, "user_id": 0}]).encode()
    response = client.post("/predict", bad)
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "not_in_vocabulary",
                "loc": ["body", 1, "browser_type"],
                "msg": "is not one of the 5 known values (Chrome, Safari, Firefox, Edge, Other)",
            },
            {
                "type": "out_of_range",
                "loc": ["body", 2, "user_id"],
                "msg": "must be at least 1",
            },
        ]
    }
    assert len(seen.bodies) == 1
    assert outcomes(observer) == {("/predict", "valid"): 3, ("/predict", "rejected"): 2}


@KINDS
def test_422_never_echoes_values_unless_asked(kind: str) -> None:
    record = body(browser_type=BROWSER, comment="a\x00b", user_age=7)
    client, _, _ = gate(kind)
    response = client.post("/predict", record)
    assert response.status_code == 422
    text = response.text
    assert "Mozilla" not in text
    assert "a\\u0000b" not in text
    assert "\x00" not in text
    assert "x00" not in text
    assert all("input" not in item for item in response.json()["detail"])

    client, _, _ = gate(kind, echo_values=True)
    shown = {
        item["loc"][-1]: item["input"] for item in client.post("/predict", record).json()["detail"]
    }
    assert shown == {
        "browser_type": repr(BROWSER),
        "comment": "'a\\x00b'",
        "user_age": "<redacted>",
    }


@KINDS
def test_client_keys_are_escaped_in_loc(kind: str) -> None:
    client, _, _ = gate(kind)
    keys = body()[:-1] + b', "us\\u0000er": 1, "\\u202eevil": 2, "\\ud800": 3}'
    response = client.post("/predict", keys)
    assert response.status_code == 422
    assert response.content.isascii()
    locs = [item["loc"] for item in response.json()["detail"]]
    assert locs == [["body", "'us\\x00er'"], ["body", "'\\u202eevil'"], ["body", "'\\ud800'"]]


@KINDS
@pytest.mark.parametrize("comment", ["a\x00b", "\x1b[31mred\x1b[0m", "line\r\nbreak\x7f"])
def test_log_lines_hold_no_control_character(
    kind: str, comment: str, caplog: pytest.LogCaptureFixture
) -> None:
    client, _, _ = gate(kind, observer=Observer(prometheus=False, log_values=True))
    with caplog.at_level(logging.WARNING, logger="skewless"):
        client.post("/predict", body(comment=comment))
        client.post("/predict", body()[:-1] + b', "\\u001b[2Jkey\\u0000": 1}')
        client.post("/predict", body(), {"content-type": "text/plain\x01"})
    messages = [r.getMessage() for r in caplog.records if r.name == "skewless"]
    assert len(messages) == 3
    for message in messages:
        assert not any(ord(c) < 32 or ord(c) == 127 for c in message), message
        assert json.loads(message)["event"] == "skewless.violations"
    assert json.loads(messages[0])["violations"][0]["code"] == "control_character"


@KINDS
def test_prometheus_counters(kind: str) -> None:
    registry = REGISTRIES[kind]
    client, _, _ = gate(kind, observer=Observer(registry=registry))
    client.post("/predict", body())
    client.post("/predict", json.dumps([VALID, VALID]).encode())
    client.post("/predict", body(browser_type=BROWSER, user_id=0))
    client.post("/predict", body(), {"content-type": "text/plain"})
    client.post("/predict", body()[:-1] + b', "a": 1, "b": 2}')

    def sample(name: str, **labels: str) -> float | None:
        value: float | None = registry.get_sample_value(
            name, {"contract": "user_features", "route": "/predict", **labels}
        )
        return value

    assert sample("skewless_records_total", outcome="valid") == 3
    assert sample("skewless_records_total", outcome="rejected") == 2
    assert sample("skewless_records_total", outcome="refused") == 1
    assert sample("skewless_records_total", outcome="shadowed") is None
    violations = "skewless_violations_total"
    assert sample(violations, code="not_in_vocabulary", column="browser_type") == 1
    assert sample(violations, code="out_of_range", column="user_id") == 1
    assert sample(violations, code="malformed_input", column="<record>") == 1
    assert sample(violations, code="unexpected_column", column="<extra>") == 2


# --- limits and streams -----------------------------------------------------------------------


@KINDS
def test_chunked_body_over_the_limit_is_refused(kind: str) -> None:
    client, seen, _ = gate(kind, max_bytes=2000)
    response = client.post("/predict", body(comment="a" * 5000), chunked=True)
    assert response.status_code == 413
    assert codes(response) == {"payload_too_large"}
    assert client.post("/predict", body(), chunked=True).status_code == 200
    assert seen.records() == [NORMALISED]


@KINDS
def test_content_length_over_the_limit_is_refused_unread(kind: str) -> None:
    client, seen, _ = gate(kind, max_bytes=100)
    response = client.post("/predict", body())
    assert response.status_code == 413
    assert (
        response.json()["detail"][0]["msg"] == f"the body is {len(body())} bytes; the limit is 100"
    )
    assert seen.bodies == []


def test_asgi_stops_reading_past_the_limit() -> None:
    """A body that never ends is read only up to the limit (plus one chunk), then refused."""
    pulled = 0
    sent: list[dict[str, Any]] = []
    chunk = b"x" * 65536

    async def endless() -> dict[str, Any]:
        nonlocal pulled
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: Any) -> None:
        sent.append(message)

    seen = Seen()
    app = ContractMiddleware(
        starlette_app(seen), routes={"/predict": Route(CONTRACT, max_bytes=1 << 20)}
    )
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/predict",
        "headers": [(b"content-type", b"application/json")],
    }
    asyncio.run(app(scope, endless, send))
    assert sent[0]["status"] == 413
    assert pulled <= (1 << 20) + len(chunk)
    assert seen.bodies == []


def test_wsgi_stops_reading_past_the_limit() -> None:
    class Endless:
        pulled = 0

        def read(self, size: int = -1) -> bytes:
            assert size >= 0, "an unbounded read of a body that never ends"
            self.pulled += size
            return b"x" * size

    stream = Endless()
    seen = Seen()
    app = WSGIContractMiddleware(
        wsgi_app(seen), routes={"/predict": Route(CONTRACT, max_bytes=1 << 20)}
    )
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/predict",
        "CONTENT_TYPE": "application/json",
        "wsgi.input": stream,
        "wsgi.input_terminated": True,
    }
    setup_testing_defaults(environ)
    statuses: list[str] = []
    app(environ, recorder(statuses))
    assert [s.split()[0] for s in statuses] == ["413"]  # the phrase varies by Python
    assert stream.pulled == (1 << 20) + 1
    assert seen.bodies == []


def test_wsgi_without_length_or_chunking_reads_no_body() -> None:
    """HTTP/1.1: no content-length and no chunking is no body; reading would block."""

    class Unreadable:
        def read(self, size: int = -1) -> bytes:
            raise AssertionError("read a body the request does not have")

    seen = Seen()
    app = WSGIContractMiddleware(wsgi_app(seen), routes={"/predict": Route(CONTRACT)})
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/predict",
        "CONTENT_TYPE": "application/json",
        "wsgi.input": Unreadable(),
    }
    setup_testing_defaults(environ)
    statuses: list[str] = []
    chunks = app(environ, recorder(statuses))
    assert [s.split()[0] for s in statuses] == ["422"]
    assert (
        json.loads(b"".join(chunks))["detail"][0]["msg"]
        == "the body is empty; expected a JSON object"
    )


class Socketish:
    """A `wsgi.input` over a socket: `content`, then any further read would wait forever."""

    def __init__(self, content: bytes) -> None:
        self.stream = io.BytesIO(content)
        self.left = len(content)

    def read(self, size: int = -1) -> bytes:
        assert size >= 0, "an unbounded read: it would wait forever"
        assert self.left > 0, "a read past the body: it would wait forever"
        data = self.stream.read(min(size, self.left))
        self.left -= len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        assert self.left > 0, "a read past the body: it would wait forever"
        data = self.stream.readline(size if size >= 0 else self.left)
        self.left -= len(data)
        return data


def test_wsgi_shadow_replays_without_reading_past_the_body() -> None:
    seen: list[bytes] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append(environ["wsgi.input"].read())  # no size: fine on the replayed body
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    gate_ = WSGIContractMiddleware(app, routes={"/predict": Route(CONTRACT, on_violation="shadow")})
    bad = body(user_id=0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/predict",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(bad)),
        "wsgi.input": Socketish(bad),
    }
    setup_testing_defaults(environ)
    statuses: list[str] = []
    assert b"".join(gate_(environ, recorder(statuses))) == b"ok"
    assert seen == [bad]


def test_wsgi_shadow_replays_a_body_over_the_limit_then_the_rest() -> None:
    lines = b"".join(b"line %d\n" % i for i in range(300))
    lines_read: list[bytes] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        stream = environ["wsgi.input"]
        lines_read.append(stream.read(3))
        lines_read.extend(iter(lambda: stream.readline(), b""))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    route = Route(CONTRACT, on_violation="shadow", max_bytes=100)
    gate_ = WSGIContractMiddleware(app, routes={"/predict": route})
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/predict",
        "CONTENT_TYPE": "application/json",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(lines),
    }
    setup_testing_defaults(environ)
    assert b"".join(gate_(environ, recorder([]))) == b"ok"
    assert lines_read[0] == b"lin"
    assert b"".join(lines_read) == lines
    assert all(line.endswith(b"\n") for line in lines_read[1:])


def test_disconnect_while_reading_calls_nothing() -> None:
    messages = iter(
        [
            {"type": "http.request", "body": b'{"user_id": ', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[Any] = []
    called: list[Any] = []

    async def receive() -> Any:
        return next(messages)

    async def send(message: Any) -> None:
        sent.append(message)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        called.append(scope)

    observer = Observer(prometheus=False)
    gate_ = ContractMiddleware(app, routes={"/predict": Route(CONTRACT)}, observer=observer)
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/predict",
        "headers": [(b"content-type", b"application/json")],
    }
    asyncio.run(gate_(scope, receive, send))
    assert (sent, called) == ([], [])
    assert observer.counts()["records"] == []


def test_body_is_replayed_once_then_receive_passes_through() -> None:
    incoming = iter(
        [
            {"type": "http.request", "body": body()[:100], "more_body": True},
            {"type": "http.request", "body": body()[100:], "more_body": False},
            {"type": "http.disconnect"},
        ]
    )
    got: list[Any] = []
    scopes: list[Any] = []

    async def receive() -> Any:
        return next(incoming)

    async def send(message: Any) -> None:
        pass

    async def app(scope: Any, receive: Any, send: Any) -> None:
        scopes.append(scope)
        got.append(await receive())
        got.append(await receive())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    gate_ = ContractMiddleware(app, routes={"/predict": Route(CONTRACT)})
    headers = [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")]
    asyncio.run(
        gate_(
            {"type": "http", "method": "POST", "path": "/predict", "headers": headers},
            receive,
            send,
        )
    )
    assert json.loads(got[0]["body"]) == NORMALISED
    assert got[0]["more_body"] is False
    assert got[1] == {"type": "http.disconnect"}
    assert dict(scopes[0]["headers"]) == {
        b"content-type": b"application/json",
        b"content-length": str(len(got[0]["body"])).encode(),
    }


# --- what passes through ----------------------------------------------------------------------


@KINDS
def test_other_paths_and_methods_pass_untouched(kind: str) -> None:
    client, seen, observer = gate(kind)
    assert client.request("GET", "/predict").status_code == 200
    assert client.post("/other", b"hello", {"content-type": "text/plain"}).status_code == 200
    assert client.post("/predict/", body()).status_code in (200, 404, 307)
    assert seen.bodies[:2] == [b"", b"hello"]
    assert observer.counts()["records"] == []


def test_lifespan_and_websocket_scopes_pass_through() -> None:
    kinds: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        kinds.append(scope["type"])

    async def receive() -> Any:
        return {"type": "lifespan.startup"}

    async def send(message: Any) -> None:
        pass

    gate_ = ContractMiddleware(app, routes={"/predict": Route(CONTRACT)})
    asyncio.run(gate_({"type": "lifespan"}, receive, send))
    asyncio.run(gate_({"type": "websocket", "path": "/predict", "headers": []}, receive, send))
    assert kinds == ["lifespan", "websocket"]


@KINDS
def test_several_routes_on_one_middleware(kind: str) -> None:
    client, seen, observer = gate(kind, paths=("/predict", "/other"))
    assert client.post("/other", body(user_id=0)).status_code == 422
    assert client.post("/other", body()).status_code == 200
    assert client.post("/predict", body()).status_code == 200
    assert outcomes(observer) == {
        ("/other", "rejected"): 1,
        ("/other", "valid"): 1,
        ("/predict", "valid"): 1,
    }
    assert seen.records() == [NORMALISED, NORMALISED]


def test_asgi_route_is_matched_below_the_root_path() -> None:
    sent: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app ran")

    async def receive() -> Any:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    gate_ = ContractMiddleware(app, routes={"/predict": Route(CONTRACT)})
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/predict",
        "root_path": "/api",
        "headers": [(b"content-type", b"application/json")],
    }
    asyncio.run(gate_(scope, receive, send))
    assert sent[0]["status"] == 422


# --- shadow mode and output contracts ---------------------------------------------------------


@KINDS
def test_shadow_mode_passes_the_original_body_and_counts(kind: str) -> None:
    client, seen, observer = gate(kind, on_violation="shadow", max_bytes=3000)
    bad = body(browser_type=BROWSER, comment="a\x00b")
    assert client.post("/predict", bad).status_code == 200
    assert client.post("/predict", b"hello", {"content-type": "text/plain"}).status_code == 200
    assert client.post("/predict", b"{nope").status_code == 200
    too_big = body(comment="a" * 5000)
    assert client.post("/predict", too_big, chunked=True).status_code == 200
    assert client.post("/predict", body()).status_code == 200
    assert seen.bodies == [
        bad,
        b"hello",
        b"{nope",
        too_big,
        json.dumps(NORMALISED, separators=(",", ":")).encode(),
    ]
    assert outcomes(observer) == {
        ("/predict", "shadowed"): 1,
        ("/predict", "refused"): 3,
        ("/predict", "valid"): 1,
    }


@KINDS
def test_output_contract_rejects_a_bad_response(kind: str) -> None:
    output = skewless.loads_contract(OUTPUT_CONTRACT)
    client, _, observer = gate(
        kind, score=1.5, output_contract=output, paths=("/predict", "/text", "/missing")
    )
    response = client.post("/predict", body())
    assert response.status_code == 500
    assert response.json() == {
        "detail": [
            {"type": "out_of_range", "loc": ["response", "score"], "msg": "must be between 0 and 1"}
        ]
    }
    assert client.post("/text", body()).text == "not json"
    assert client.post("/missing", body()).status_code == 404
    assert outcomes(observer)[("/predict#response", "rejected")] == 1

    client, _, _ = gate(kind, score=0.25, output_contract=output)
    response = client.post("/predict", body())
    assert (response.status_code, response.json()) == (200, {"score": 0.25})


@KINDS
def test_output_contract_in_shadow_mode_passes_the_response(kind: str) -> None:
    output = skewless.loads_contract(OUTPUT_CONTRACT)
    client, _, observer = gate(kind, score="high", output_contract=output, on_violation="shadow")
    response = client.post("/predict", body())
    assert (response.status_code, response.json()) == (200, {"score": "high"})
    assert outcomes(observer) == {("/predict", "valid"): 1, ("/predict#response", "shadowed"): 1}


# --- frameworks -----------------------------------------------------------------------------


def test_fastapi_add_middleware() -> None:
    from fastapi import FastAPI

    api = FastAPI()
    received: list[dict[str, Any]] = []

    @api.post("/predict")
    async def predict(record: dict[str, Any]) -> dict[str, float]:
        received.append(record)
        return {"score": 0.5}

    api.add_middleware(
        ContractMiddleware,
        routes={"/predict": Route(CONTRACT)},
        observer=Observer(prometheus=False),
    )
    client = Client("asgi", api)
    assert client.post("/predict", body(user_id="7")).json()["detail"][0]["type"] == "wrong_type"
    assert client.post("/predict", body()).json() == {"score": 0.5}
    assert received == [NORMALISED]


def test_flask_wsgi_app() -> None:
    from flask import Flask, jsonify, request

    flask_app = Flask(__name__)
    received: list[Any] = []

    @flask_app.post("/predict")
    def predict() -> Any:
        received.append(request.get_json())
        return jsonify(score=0.5)

    flask_app.wsgi_app = WSGIContractMiddleware(  # type: ignore[method-assign]
        flask_app.wsgi_app,
        routes={"/predict": Route(CONTRACT)},
        observer=Observer(prometheus=False),
    )
    client = Client("wsgi", flask_app)
    for case in HOSTILE:
        response = client.post("/predict", case.content, case.headers)
        assert response.status_code == case.status, case.id
        assert case.code in codes(response), case.id
    assert received == []
    assert client.post("/predict", body()).json() == {"score": 0.5}
    assert received == [NORMALISED]


# --- no 500 for any input; threads ------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _wsgi_status(app: Any, content: bytes) -> int:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/predict",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(content)),
    }
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(content)
    statuses: list[str] = []
    b"".join(app(environ, recorder(statuses)))
    return int(statuses[0].split()[0])


_FUZZ_APP = WSGIContractMiddleware(
    wsgi_app(Seen()), routes={"/predict": Route(CONTRACT)}, observer=Observer(prometheus=False)
)


@given(
    st.binary(max_size=300)
    | _json.map(lambda v: json.dumps(v).encode())
    | st.dictionaries(st.sampled_from(sorted(VALID)), _json).map(lambda d: body(**d))
)
def test_no_input_gets_a_500(content: bytes) -> None:
    assert _wsgi_status(_FUZZ_APP, content) in (200, 413, 422)


def test_concurrent_requests_get_their_own_verdicts() -> None:
    seen = Seen()
    app = WSGIContractMiddleware(
        wsgi_app(seen), routes={"/predict": Route(CONTRACT)}, observer=Observer(prometheus=False)
    )

    def one(i: int) -> tuple[int, int]:
        content = body(user_id=i + 1) if i % 3 else body(user_id=i + 1, os=5)
        return i, _wsgi_status(app, content)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(600)))
    assert all(status == (422 if i % 3 == 0 else 200) for i, status in results)
    assert sorted(r["user_id"] for r in seen.records()) == [i + 1 for i in range(600) if i % 3]


def test_route_options_are_checked() -> None:
    with pytest.raises(ValueError, match="on_violation"):
        Route(CONTRACT, on_violation="raise")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_bytes"):
        Route(CONTRACT, max_bytes=0)
    with pytest.raises(ValueError, match="absolute path"):
        ContractMiddleware(starlette_app(Seen()), routes={"predict": Route(CONTRACT)})
    with pytest.raises(TypeError, match="must be a Route"):
        WSGIContractMiddleware(wsgi_app(Seen()), routes={"/predict": CONTRACT})  # type: ignore[dict-item]


# --- a real server on loopback ----------------------------------------------------------------


@pytest.fixture
def server_url() -> Iterator[str]:
    """The Starlette app behind the gate, served by uvicorn on 127.0.0.1 in a thread."""
    seen = Seen()
    app = ContractMiddleware(
        starlette_app(seen),
        routes={"/predict": Route(CONTRACT)},
        observer=Observer(prometheus=False),
    )
    config = uvicorn.Config(app, log_level="warning", lifespan="off", http="h11", ws="none")
    server = uvicorn.Server(config)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 10
            while not server.started:
                assert thread.is_alive(), "uvicorn stopped before serving"
                assert time.monotonic() < deadline, "uvicorn did not start in 10 s"
                time.sleep(0.01)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    assert not thread.is_alive(), "uvicorn did not stop"
    assert seen.bodies == [json.dumps(NORMALISED, separators=(",", ":")).encode()]


def test_real_server_on_loopback(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=30) as client:
        for case in HOSTILE:
            response = client.post("/predict", content=case.content, headers=case.headers)
            assert response.status_code == case.status, (case.id, response.text)
            assert case.code in codes(response), case.id
        chunked = client.post(
            "/predict", content=iter(_pieces(body(comment="a" * 2_000_000), 65536)), headers=JSON
        )
        assert chunked.status_code == 413
        response = client.post("/predict", content=body(), headers=JSON)
        assert response.status_code == 200
        assert response.json() == {"score": 0.5}


# --- docs/middleware.md runs as written -------------------------------------------------------


def test_docs_try_it_prints_what_it_shows(tmp_path: Path) -> None:
    """The 'Try it' script of docs/middleware.md, run as is, prints the output the page shows."""
    doc = (CONTRACT.parent.parent / "docs" / "middleware.md").read_text("utf-8")
    section = doc.split("## Try it", 1)[1]
    script = section.split("```python\n", 1)[1].split("```", 1)[0]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode() == shown
