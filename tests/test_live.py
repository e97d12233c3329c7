"""Online skew (`skewless.live`): what a gate receives, counted as the batch profile of the same
records counts it, bounded against hostile clients, exact under threads, served by the example
service and judged by `skewless drift`."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import random
import re
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route as Endpoint

import skewless
from skewless import adversarial, nasty, strategies
from skewless.errors import Code
from skewless.live import MAX_KEY, LiveProfile
from skewless.middleware import ContractMiddleware, Route, WSGIContractMiddleware
from skewless.payload import parse_document
from skewless.profile import MAX_VALUES, OTHER, ColumnProfile, Profile, profile
from skewless.strategies import to_body
from tests.cli_run import skewless_cli
from tests.conftest import CONTRACTS, ROOT, imported
from tests.records import USER_RECORD

CONTRACT_PATHS = sorted(CONTRACTS.glob("*.yaml")) + sorted(
    (ROOT / "tests" / "contracts" / "valid").glob("*.yaml")
)
CONTRACT = CONTRACTS / "user_features.yaml"
SERVICE = ROOT / "examples" / "inference_service"
JSON = {"content-type": "application/json"}
EXAMPLES = settings(max_examples=min(settings.default.max_examples, 100))


@functools.cache
def serving_contract(path: Path) -> skewless.Contract:
    """The contract at `path`, loaded once (its strategies are cached per contract)."""
    contract = skewless.load_contract(path)
    if not any(c.allowed_in("serving") for c in contract.columns):
        pytest.skip(f"{path.name} declares no column for serving")
    return contract


@functools.cache
def arriving(contract: skewless.Contract) -> st.SearchStrategy[dict[str, Any]]:
    """Records a serving gate receives: valid ones, valid ones nasty to a model, and ones with
    one defect each (every value and structure class of `skewless.adversarial`; the body
    classes are bytes, not records)."""
    bodies = {shape.name for shape in adversarial.BODIES}
    broken = {name for name, _ in adversarial.classes(contract, env="serving")} - bodies
    return (
        strategies.records(contract, env="serving")
        | nasty.records(contract, env="serving")
        | adversarial.cases(contract, env="serving", only=broken).map(lambda case: case.record)
    )


def without_violations(doc: dict[str, Any]) -> dict[str, Any]:
    """A profile document without the live-only `violations` of its columns."""
    columns = {
        name: {k: v for k, v in column.items() if k != "violations"}
        for name, column in doc["columns"].items()
    }
    return {**doc, "columns": columns}


def live_from_lines(
    contract: skewless.Contract, lines: bytes, *, judged: bool = False
) -> LiveProfile:
    """A LiveProfile fed each line as the middleware reads a body (`payload.parse_document`);
    `judged`: as the middleware counts it, with the validator's normalised record when the
    record passed (`observe(record, passed)`)."""
    live = LiveProfile(contract, env="serving")
    validator = contract.record_validator("serving")
    for line in lines.splitlines():
        value, problem = parse_document(line)
        assert problem is None, problem
        if judged:
            (result,) = validator.validate_body(line).results
            live.observe(value, result.record if result.ok else None)
        else:
            live.observe(value)
    return live


def user(**changes: Any) -> dict[str, Any]:
    return {**USER_RECORD, **changes}


@pytest.fixture(scope="module")
def contract() -> skewless.Contract:
    return skewless.load_contract(CONTRACT)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("live")


# --- parity: the live counts are the batch profile of the same records --------------------------


@pytest.mark.parametrize("path", CONTRACT_PATHS, ids=lambda p: p.name)
@EXAMPLES
@given(data=st.data())
def test_live_counts_are_the_batch_profile_of_the_same_records(
    path: Path, workdir: Path, data: Any
) -> None:
    contract = serving_contract(path)
    drawn = data.draw(st.lists(arriving(contract), min_size=1, max_size=8), label="records")
    chunk_rows = data.draw(st.sampled_from([None, 1, 3]), label="chunk_rows")
    lines = b"".join(to_body(record) + b"\n" for record in drawn)
    written = workdir / f"{path.stem}.jsonl"
    written.write_bytes(lines)

    batch = profile(contract, written, env="serving", chunk_rows=chunk_rows).to_dict()
    live = live_from_lines(contract, lines).snapshot().to_dict()
    # As the middleware counts: a record that passed from the validator's normalised values.
    gated = live_from_lines(contract, lines, judged=True).snapshot().to_dict()

    assert without_violations(live) == batch
    assert gated == live
    assert all("violations" in column for column in live["columns"].values())
    assert not any("violations" in column for column in batch["columns"].values())


@pytest.mark.parametrize("path", CONTRACT_PATHS, ids=lambda p: p.name)
@EXAMPLES
@given(data=st.data())
def test_live_violations_are_the_record_validators_codes_per_column(path: Path, data: Any) -> None:
    contract = serving_contract(path)
    drawn = data.draw(st.lists(arriving(contract), min_size=1, max_size=8), label="records")
    records = [parse_document(to_body(record))[0] for record in drawn]
    live = LiveProfile(contract, env="serving")
    live.observe_many(records)

    counted = Counter(
        {
            (name, code): n
            for name, column in live.snapshot().columns.items()
            for code, n in (column.violations or {}).items()
        }
    )
    # A null (or an absent key) is a null in a profile, whatever the column allows: the null
    # rate is drift's business, not a violation count.
    nulls = {Code.NULL_NOT_ALLOWED, Code.MISSING_COLUMN}
    validator = contract.record_validator("serving")
    declared = {c.name for c in contract.columns if c.allowed_in("serving")}
    expected = Counter(
        (v.column, str(v.code))
        for record in records
        for v in validator.validate(record).violations
        if v.column in declared and v.code not in nulls
    )
    assert counted == expected


# Where the two once differed: the batch profile's counts of ragged JSON Lines and of 'z'.


def test_a_batch_profile_of_records_with_different_keys_counts_as_the_live_one(
    workdir: Path,
) -> None:
    minimal = skewless.load_contract(ROOT / "tests" / "contracts" / "valid" / "minimal.yaml")
    lines = b'{"id": 1, "x": 5}\n{}\n{}\n'
    written = workdir / "ragged.jsonl"
    written.write_bytes(lines)
    live = live_from_lines(minimal, lines).snapshot()
    assert (live.rows, live.columns["id"].nulls, live.undeclared) == (3, 2, Counter(x=1))
    for chunk_rows in (None, 1):
        batch = profile(minimal, written, env="serving", chunk_rows=chunk_rows)
        assert batch.to_dict() == without_violations(live.to_dict()), chunk_rows


def test_a_batch_profile_counts_every_z_offset(workdir: Path, contract: Any) -> None:
    lines = b"".join(
        to_body(user(last_purchase_at=f"2024-05-01T10:00:00{z}")) + b"\n" for z in "Zz"
    )
    written = workdir / "zulu.jsonl"
    written.write_bytes(lines)
    live = live_from_lines(contract, lines).snapshot().columns["last_purchase_at"]
    assert live.offsets == Counter(Z=2)  # the lower-case one is wrong_type, counted as it came
    assert live.violations == Counter(wrong_type=1)
    batch = profile(contract, written, env="serving").columns["last_purchase_at"]
    assert batch.offsets == live.offsets


# --- what is counted -----------------------------------------------------------------------------


def test_each_violation_is_counted_under_its_column_and_code(contract: Any) -> None:
    live = LiveProfile(contract, env="serving")
    live.observe_many(
        [
            user(),
            user(user_age=0),  # out_of_range
            user(user_age=121, browser_type="Brave"),  # out_of_range, not_in_vocabulary
            user(last_purchase_at="2024-05-01T10:00:00+02:00"),  # wrong_timezone
            user(session_count="3", is_premium="yes"),  # wrong_type twice
            user(country="usa"),  # pattern_mismatch and too_long
        ]
    )
    made = live.snapshot()
    violations = {name: c.violations for name, c in made.columns.items() if c.violations}
    assert violations == {
        "user_age": Counter(out_of_range=2),
        "browser_type": Counter(not_in_vocabulary=1),
        "last_purchase_at": Counter(wrong_timezone=1),
        "session_count": Counter(wrong_type=1),
        "is_premium": Counter(wrong_type=1),
        "country": Counter(pattern_mismatch=1, too_long=1),
    }
    # A value that breaks a check still counts as a value; one that does not read as the
    # column's type counts as invalid, and nowhere else.
    age = made.columns["user_age"]
    assert (age.rows, age.invalid, age.low, age.high) == (6, 0, 0, 121)
    sessions = made.columns["session_count"]
    assert (sessions.invalid, sessions.sketch.count if sessions.sketch else 0) == (1, 5)
    assert made.columns["is_premium"].values == Counter(false=5)
    assert made.columns["country"].high == 3
    assert made.columns["last_purchase_at"].offsets == Counter({"Z": 5, "+02:00": 1})
    # An unseen category is counted as it came, before `unknown: {map_to: Other}`, and a null
    # as a null, before `fill_null: 0.0`: what arrived, not what the model was given.
    assert made.columns["browser_type"].values == Counter(Chrome=5, Brave=1)
    assert made.columns["os"].values == Counter(ChromeOS=6)
    assert made.columns["os"].violations == Counter()
    assert (made.columns["click_rate"].nulls, made.columns["click_rate"].present) == (6, 0)
    # Wall times in the column's zone: a naive 10:00 in Los Angeles, 10:00 UTC at 03:00 there.
    assert made.columns["local_time"].hours[10] == 6
    assert made.columns["local_time"].offsets == Counter(naive=6)
    # Another zone where the contract rejects one does not read as the column's type: invalid.
    purchases = made.columns["last_purchase_at"]
    assert (purchases.invalid, purchases.hours[10], sum(purchases.hours or [])) == (1, 5, 5)
    assert made.undeclared == Counter()


def test_keys_outside_the_environment_are_counted_as_undeclared(contract: Any) -> None:
    serving = LiveProfile(contract, env="serving")
    training = LiveProfile(contract, env="training")
    for live in (serving, training):
        live.observe_many([user(label=True), user(label=False, USER_ID=7), user()])
    assert "label" not in serving.snapshot().columns
    assert serving.snapshot().undeclared == Counter(label=2, USER_ID=1)
    labels = training.snapshot().columns["label"]
    assert (labels.rows, labels.nulls, labels.values) == (3, 1, Counter(true=1, false=1))
    assert training.snapshot().undeclared == Counter(USER_ID=1)


def test_what_is_no_record_is_not_counted(contract: Any) -> None:
    live = LiveProfile(contract)
    live.observe_many([None, 1, 2.5, "record", ["user_id", 7], [user()], True, b"{}"])
    live.observe(None)
    made = live.snapshot()
    assert made.rows == 0
    assert all(c.rows == 0 for c in made.columns.values())
    live.observe_many(iter([user(), "x", user()]))  # a generator too
    assert live.snapshot().rows == 2


def test_distinct_values_past_the_cap_count_together(contract: Any) -> None:
    live = LiveProfile(contract)
    hostile = [f"\u202e{i}\x00<script>{'😀' * (i % 7)}" for i in range(MAX_VALUES + 1)]
    live.observe_many(user(browser_type=b, os=b) for b in hostile)
    live.observe(user(browser_type=hostile[0]))  # a value already kept still counts as itself
    for name in ("browser_type", "os"):
        values = live.snapshot().columns[name].values
        assert values is not None
        assert len(values) == MAX_VALUES + 1
        assert set(values) - {OTHER} == set(hostile[:MAX_VALUES])  # the first that came
        assert sum(values.values()) == len(hostile) + 1
    # The last record's browser was kept, its operating system (ChromeOS) came too late.
    assert live.snapshot().columns["browser_type"].values[hostile[0]] == 2
    assert live.snapshot().columns["browser_type"].values[OTHER] == 1
    assert live.snapshot().columns["os"].values[OTHER] == 2
    assert live.snapshot().columns["browser_type"].violations == Counter(
        not_in_vocabulary=len(hostile) + 1
    )


def test_a_megabyte_value_or_key_is_kept_to_its_first_characters(contract: Any) -> None:
    huge = "x" * 1_000_000
    live = LiveProfile(contract)
    live.observe(user(os=huge, comment=huge, **{huge: 1, "y" * MAX_KEY: 2}))
    made = live.snapshot()
    kept = "x" * (MAX_KEY - 1) + "\u2026"
    assert made.columns["os"].values == Counter({kept: 1})
    assert made.undeclared == Counter({kept: 1, "y" * MAX_KEY: 1})  # 256 characters fit
    comment = made.columns["comment"]  # a string column keeps its length, not its text
    assert (comment.high, comment.violations) == (1_000_000, Counter(too_long=1))
    assert len(made.to_json()) < 20_000


def test_distinct_undeclared_keys_past_the_cap_count_together(contract: Any) -> None:
    live = LiveProfile(contract)
    live.observe_many(user(**{f"k{i}": i}) for i in range(1500))
    live.observe(user(**{f"z{i}": i for i in range(500)}))  # many in one record too
    undeclared = live.snapshot().undeclared
    assert len(undeclared) == MAX_VALUES + 1
    assert set(undeclared) - {OTHER} == {f"k{i}" for i in range(MAX_VALUES)}
    assert undeclared[OTHER] == 1000
    assert live.snapshot().rows == 1501


def test_every_counts_one_record_in_so_many(contract: Any) -> None:
    live = LiveProfile(contract, every=3)
    live.observe_many([user(user_id=i) for i in range(1, 6)] + ["no record", None])
    live.observe_many(user(user_id=i) for i in range(6, 11))
    made = live.snapshot()
    assert made.rows == 3  # the 3rd, 6th and 9th records: what is no record does not count
    ids = made.columns["user_id"]
    assert (ids.rows, ids.low, ids.high) == (3, 3, 9)
    for wrong in (0, -1, 1.5, True, "2", None):
        with pytest.raises(ValueError, match="every"):
            LiveProfile(contract, every=wrong)  # type: ignore[arg-type]


def test_counts_from_threads_are_exact(contract: Any) -> None:
    threads, calls = 8, 1000
    live = LiveProfile(contract)
    start = threading.Barrier(threads + 1)
    torn: list[str] = []
    done = threading.Event()

    def observe(k: int) -> None:
        record = user(user_age=20 + k, browser_type=["Chrome", "Safari"][k % 2], **{f"t{k}": k})
        start.wait()
        for _ in range(calls):
            live.observe(record)

    def snapshots() -> None:  # each snapshot is taken between two records, never inside one
        start.wait()
        while not done.is_set():
            made = live.snapshot()
            if {c.rows for c in made.columns.values()} != {made.rows}:
                torn.append(f"{made.rows} rows, columns {[c.rows for c in made.columns.values()]}")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as CPython will
    try:
        workers = [threading.Thread(target=observe, args=(k,)) for k in range(threads)]
        watcher = threading.Thread(target=snapshots)
        for thread in [*workers, watcher]:
            thread.start()
        for thread in workers:
            thread.join()
        done.set()
        watcher.join()
    finally:
        sys.setswitchinterval(interval)
    made = live.snapshot()
    assert not torn, torn[:3]
    assert made.rows == threads * calls
    assert all(c.rows == threads * calls for c in made.columns.values())
    assert made.columns["browser_type"].values == Counter(Chrome=4000, Safari=4000)
    age = made.columns["user_age"]
    assert age.sketch is not None
    assert (age.sketch.count, age.low, age.high) == (8000, 20, 27)
    assert made.undeclared == Counter({f"t{k}": calls for k in range(threads)})


def test_reset_returns_the_counts_and_starts_again(contract: Any) -> None:
    live = LiveProfile(contract)
    live.observe_many([user(user_age=0), user(extra=1)])
    before = live.snapshot()
    window = live.reset()
    assert window.to_dict() == before.to_dict()
    assert window.rows == 2
    assert window.columns["user_age"].violations == Counter(out_of_range=1)
    empty = live.snapshot()
    assert empty.rows == 0
    assert empty.undeclared == Counter()
    assert empty.to_dict() == LiveProfile(contract).snapshot().to_dict()
    live.observe(user(browser_type="Brave"))
    after = live.snapshot()
    assert after.rows == 1
    assert after.columns["browser_type"].values == Counter(Brave=1)
    assert after.columns["user_age"].violations == Counter()
    assert window.rows == 2  # the window returned is a copy, untouched by later counts
    assert window.columns["browser_type"].values == Counter(Chrome=2)


def test_a_snapshot_is_a_copy(contract: Any) -> None:
    live = LiveProfile(contract)
    live.observe(user())
    made = live.snapshot()
    assert made.columns["os"].values is not None
    made.columns["os"].values["ChromeOS"] += 100
    made.undeclared["x"] += 1
    live.observe(user())
    assert live.snapshot().columns["os"].values == Counter(ChromeOS=2)
    assert live.snapshot().undeclared == Counter()
    assert made.rows == 1


def test_dump_writes_a_profile_whole_and_leaves_nothing_else(contract: Any, tmp_path: Path) -> None:
    live = LiveProfile(contract)
    target = tmp_path / "serving.json"
    target.write_text("an older profile, longer than nothing " * 1000)
    live.observe_many([user(), user(user_age=0, os="\u202eevil", **{"x\ud800": 1})])
    written = live.dump(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["serving.json"]
    text = target.read_bytes()
    assert text.isascii()
    assert text.endswith(b"}\n")
    read = Profile.from_json(text)
    assert read.to_dict() == written.to_dict() == live.snapshot().to_dict()
    assert read.columns["user_age"].violations == Counter(out_of_range=1)
    assert read.columns["os"].values == Counter({"ChromeOS": 1, "\u202eevil": 1})
    assert read.undeclared == Counter({"x\ud800": 1})
    with pytest.raises(skewless.errors.OutputError):
        live.dump(tmp_path / "missing" / "serving.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["serving.json"]


def test_violations_merge_and_survive_json(contract: Any, tmp_path: Path) -> None:
    first, second = LiveProfile(contract), LiveProfile(contract)
    first.observe_many([user(user_age=0), user(browser_type="Brave")])
    second.observe_many([user(user_age=200), user(user_age=5)])
    merged = first.snapshot().merge(second.snapshot())
    assert merged.columns["user_age"].violations == Counter(out_of_range=3)
    assert merged.columns["browser_type"].violations == Counter(not_in_vocabulary=1)
    assert Profile.from_json(merged.to_json()).to_dict() == merged.to_dict()
    # A batch profile has none; merged with a live one, the live counts stay.
    path = tmp_path / "one.jsonl"
    path.write_bytes(to_body(user()) + b"\n")
    batch = profile(contract, path, env="serving")
    assert batch.columns["user_age"].violations is None
    assert "violations" not in batch.to_dict()["columns"]["user_age"]
    batch.merge(merged)
    assert batch.columns["user_age"].violations == Counter(out_of_range=3)
    assert batch.rows == 5
    lone = ColumnProfile("a", "integer")
    lone.merge(ColumnProfile("a", "integer"))
    assert lone.violations is None


# --- the request path stays light ---------------------------------------------------------------

HEAVY = ("numpy", "pyarrow", "pandas", "pandera", "hypothesis", "scipy")


def test_live_counting_imports_no_heavy_library(tmp_path: Path) -> None:
    script = f"""
import io, json, sys
from wsgiref.util import setup_testing_defaults

import skewless.live, skewless.middleware
from skewless import load_contract
from skewless.live import LiveProfile
from skewless.middleware import Route, WSGIContractMiddleware

contract = load_contract({str(CONTRACT)!r})
live = LiveProfile(contract, env="serving")
record = {USER_RECORD!r}
live.observe_many([
    record,
    dict(record, browser_type="Brave", os="ChromeOS", user_age=0, extra=1),
    dict(record, last_purchase_at="2070-07-01T10:00:00+02:00", local_time="2100-07-01T10:00:00"),
    dict(record, signup_date="0001-01-01", basket_value=float("nan"), is_premium="x"),
])

def app(environ, start_response):
    start_response("200 OK", [("content-type", "application/json")])
    return [b'{{"score": 0.5}}']

gated = WSGIContractMiddleware(app, routes={{"/predict": Route(contract, profile=live)}})
body = json.dumps([record, dict(record, user_age=7)]).encode()
environ = {{"REQUEST_METHOD": "POST", "PATH_INFO": "/predict", "CONTENT_TYPE": "application/json",
           "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}}
setup_testing_defaults(environ)
b"".join(gated(environ, lambda status, headers, exc_info=None: print(status)))
made = live.snapshot()
live.dump("serving.json")
assert made.rows == 6, made.rows
print(",".join(m for m in {HEAVY!r} if m in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["422 Unprocessable Entity", ""], done.stdout


# --- through the middleware ---------------------------------------------------------------------


def starlette_app(seen: list[bytes]) -> Starlette:
    async def predict(request: Request) -> JSONResponse:
        seen.append(await request.body())
        return JSONResponse({"score": 0.5})

    return Starlette(routes=[Endpoint("/predict", predict, methods=["GET", "POST"])])


def wsgi_app(seen: list[bytes]) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH")
        seen.append(environ["wsgi.input"].read(int(length)) if length else b"")
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"score": 0.5}']

    return app


class Gate:
    """An app behind a profiled route, reached through httpx's ASGI or WSGI transport."""

    def __init__(self, kind: str, *, profiled: bool = True, **options: Any) -> None:
        self.kind = kind
        self.seen: list[bytes] = []
        self.live = LiveProfile(skewless.load_contract(CONTRACT), env="serving")
        counted = self.live if profiled else None
        routes = {"/predict": Route(CONTRACT, profile=counted, **options)}
        if kind == "asgi":
            self.app: Any = ContractMiddleware(starlette_app(self.seen), routes=routes)
        else:
            self.app = WSGIContractMiddleware(wsgi_app(self.seen), routes=routes)

    def send(self, content: bytes | Iterator[bytes], headers: dict[str, str] = JSON) -> int:
        return self.request("POST", content, headers)

    def request(self, method: str, content: Any, headers: dict[str, str]) -> int:
        if self.kind == "asgi":

            async def call() -> httpx.Response:
                transport = httpx.ASGITransport(self.app)
                async with httpx.AsyncClient(transport=transport, base_url="http://gate") as c:
                    body = _apieces(content) if isinstance(content, Iterator) else content
                    return await c.request(method, "/predict", content=body, headers=headers)

            return asyncio.run(call()).status_code
        with httpx.Client(transport=httpx.WSGITransport(self.app), base_url="http://gate") as c:
            return c.request(method, "/predict", content=content, headers=headers).status_code


async def _apieces(pieces: Iterator[bytes]) -> Any:
    for piece in pieces:
        yield piece


KINDS = pytest.mark.parametrize("kind", ["asgi", "wsgi"])


@KINDS
def test_every_record_of_a_readable_body_is_counted_as_it_came(kind: str) -> None:
    gate = Gate(kind)
    assert gate.send(to_body(user())) == 200
    assert gate.send(to_body(user(user_age=0, browser_type="Brave"))) == 422
    batch = [user(user_id=i) for i in range(1, 5)] + [user(user_age=7), "not a record"]
    assert gate.send(to_body(batch)) == 422
    assert gate.send(to_body([user(user_id=i) for i in range(1, 11)])) == 200
    made = gate.live.snapshot()
    assert made.rows == 1 + 1 + 5 + 10  # the string in the batch is no record
    ages = made.columns["user_age"]
    assert (ages.low, ages.violations) == (0, Counter(out_of_range=2))
    assert made.columns["browser_type"].values == Counter(Chrome=16, Brave=1)
    # As it came: the app received `Other` and 0.0, the profile counts ChromeOS and a null.
    assert made.columns["os"].values == Counter(ChromeOS=17)
    assert made.columns["click_rate"].nulls == 17
    assert [json.loads(b)["os"] for b in gate.seen[:1]] == ["Other"]
    assert len(gate.seen) == 2


@KINDS
def test_shadowed_records_are_counted_once(kind: str) -> None:
    gate = Gate(kind, on_violation="shadow")
    assert gate.send(to_body(user(user_age=0))) == 200
    assert gate.send(to_body([user(), user(browser_type="Brave")])) == 200
    made = gate.live.snapshot()
    assert made.rows == 3
    assert made.columns["user_age"].violations == Counter(out_of_range=1)
    assert made.columns["browser_type"].violations == Counter(not_in_vocabulary=1)
    assert len(gate.seen) == 2  # passed on as they came
    # A refused body still goes through in shadow mode, and is still not counted.
    assert gate.send(b'{"user_id": 7,') == 200
    assert gate.send(to_body(user()), {"content-type": "text/plain"}) == 200
    assert gate.live.snapshot().rows == 3
    assert len(gate.seen) == 4


CHUNKED = to_body(user(comment="a" * 2_000_000))  # sent in pieces, without a content-length
REFUSED = [
    pytest.param(to_body(user()), {"content-type": "text/plain"}, 415, id="text_plain"),
    pytest.param(to_body(user()), {}, 415, id="no_content_type"),
    pytest.param(to_body(user(comment="a" * 2_000_000)), JSON, 413, id="content_length"),
    pytest.param(CHUNKED, JSON, 413, id="chunked_over_the_limit"),
    pytest.param(to_body([user()] * 1001), JSON, 413, id="too_many_records"),
    pytest.param(to_body(user())[:-9], JSON, 422, id="truncated"),
    pytest.param(b"", JSON, 422, id="empty"),
    pytest.param(b"[]", JSON, 422, id="empty_list"),
    pytest.param(to_body(user())[:-1] + b', "user_id": 8}', JSON, 422, id="duplicate_key"),
    pytest.param(b"[" * 10_000 + b"]" * 10_000, JSON, 422, id="deep"),
    pytest.param(b"NaN", JSON, 422, id="not_an_object"),
]


@KINDS
@pytest.mark.parametrize(("content", "headers", "status"), REFUSED)
def test_refused_bodies_are_not_counted(
    kind: str, content: Any, headers: dict[str, str], status: int
) -> None:
    gate = Gate(kind)
    if content is CHUNKED:
        content = iter([content[i : i + 65536] for i in range(0, len(content), 65536)])
    assert gate.send(content, headers) == status
    assert gate.request("GET", b"", {}) == 200  # not a method of the route: not judged
    assert gate.live.snapshot().rows == 0
    assert gate.send(to_body(user())) == 200  # and counting goes on
    assert gate.live.snapshot().rows == 1


def raw(**changes: bytes) -> bytes:
    """A valid record with some values replaced by raw JSON text (bytes not even UTF-8)."""
    text = to_body(user(**{k: f"@@{k}@@" for k in changes}))
    for key, value in changes.items():
        text = text.replace(f'"@@{key}@@"'.encode(), value)
    return text


@KINDS
def test_hostile_values_are_counted_and_answered_as_without_a_profile(kind: str) -> None:
    bodies = [
        to_body(user())[:-1] + b', "x\\u0000": 1}',  # a NUL in a key
        raw(comment=b'"ok \xff\xfe"'),  # bytes that are not UTF-8
        raw(comment=b"[" * 600 + b"]" * 600),  # deep, under the parser's limit
        raw(comment=b'"ok \\ud800"'),  # a lone surrogate
        to_body(user(user_id=2**64)),
        to_body(user(comment="a\x00b", os="\x1b[31m")),
    ]
    plain, profiled = Gate(kind, profiled=False), Gate(kind)
    for content in bodies:
        assert profiled.send(content) == plain.send(content) == 422
    made = profiled.live.snapshot()
    assert made.rows == len(bodies)
    assert plain.live.snapshot().rows == 0
    assert made.undeclared == Counter({"x\x00": 1})
    assert made.columns["comment"].violations == Counter(
        invalid_unicode=2, wrong_type=1, control_character=1
    )
    assert made.columns["user_id"].violations == Counter(integer_overflow=1)
    assert made.columns["os"].values == Counter({"ChromeOS": 5, "\x1b[31m": 1})
    assert Profile.from_json(made.to_json()).to_dict() == made.to_dict()


def test_a_profile_must_be_a_live_profile(contract: Any) -> None:
    with pytest.raises(TypeError, match="LiveProfile"):
        Route(contract, profile=Profile(contract.name, contract.version, "serving"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="LiveProfile"):
        Route(contract, profile=True)  # type: ignore[arg-type]
    assert Route(contract).profile is None


# --- end to end: the example service's traffic, judged against training by `skewless drift` ------

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
BROWSERS = (["Chrome", "Safari", "Firefox", "Edge", "Other"], [50, 25, 10, 10, 5])
SYSTEMS = ["Windows", "macOS", "Linux", "iOS", "Android"]
COUNTRIES = ["US", "FR", "DE", "GB", "JP", "BR", "IN"]
REFERRERS = ["google.com", "news.example.org", "t.co"]
COMMENTS = ["", "fast delivery", "gift for my sister", "ça marche très bien", "дякую", "好"]


def users(
    seed: int,
    n: int,
    *,
    training: bool = False,
    new_os: float = 0.0,
    new_browser: float = 0.0,
    wall_time_as_utc: bool = False,
) -> list[dict[str, Any]]:
    """`n` users of one population (purchases in the Californian day, in May 2024), or of the
    same with one change: a share of a new operating system or browser, or Pacific wall times
    written as UTC."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        day = dt.datetime(2024, 5, 1) + dt.timedelta(days=rng.randrange(28))
        wall = day + dt.timedelta(hours=rng.triangular(6, 24, 15))  # no DST change in May
        at = wall.replace(tzinfo=LOS_ANGELES).astimezone(dt.UTC)
        signup = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(800))
        record = {
            "user_id": rng.randrange(1, 10**9),
            "user_age": rng.randint(16, 80),
            "browser_type": rng.choices(*BROWSERS)[0],
            "os": rng.choice(SYSTEMS),
            "country": rng.choice(COUNTRIES),
            "last_purchase_at": (wall if wall_time_as_utc else at).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "local_time": wall.isoformat(timespec="seconds"),
            "signup_date": signup.isoformat(),
            "session_count": rng.randint(0, 40),
            "basket_value": round(min(rng.lognormvariate(4, 1), 99_999.0), 2),
            "click_rate": None if rng.random() < 0.1 else round(rng.random(), 3),
            "is_premium": rng.random() < 0.3,
            "referrer": None if rng.random() < 0.25 else rng.choice(REFERRERS),
            "comment": None if rng.random() < 0.3 else rng.choice(COMMENTS),
        }
        if rng.random() < new_os:
            record["os"] = "ChromeOS"  # mapped to Other: the gate lets it through
        if rng.random() < new_browser:
            record["browser_type"] = "Brave"  # outside the vocabulary: rejected, still counted
        if training:
            record["label"] = rng.random() < 0.2
        out.append(record)
    return out


@pytest.fixture(scope="module")
def service() -> Any:
    with imported(SERVICE, "app", "model") as service_app:  # examples/inference_service/app.py
        yield service_app


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Training's profile, written by `skewless profile --env training` from 4,000 rows."""
    where = tmp_path_factory.mktemp("training")
    rows = users(1, 4000, training=True)
    (where / "train.jsonl").write_bytes(b"".join(to_body(r) + b"\n" for r in rows))
    run = skewless_cli(
        "profile", CONTRACT, "train.jsonl", "--env", "training", "-o", "baseline.json", cwd=where
    )
    assert run.code == 0, run.err
    return where / "baseline.json"


def serve(app: Any, records: list[dict[str, Any]], per_request: int) -> tuple[Counter[int], Any]:
    """The records POSTed to /predict in micro-batches; (statuses, GET /skew/profile's JSON)."""

    async def call() -> tuple[Counter[int], Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            statuses: Counter[int] = Counter()
            for i in range(0, len(records), per_request):
                body = to_body(records[i : i + per_request])
                answer = await client.post("/predict", content=body, headers=JSON)
                statuses[answer.status_code] += 1
            served = await client.get("/skew/profile")
            assert served.status_code == 200, served.text
            return statuses, served.json()

    return asyncio.run(call())


DRIFTS = [
    pytest.param({}, 200, set(), id="same_population"),
    pytest.param({"new_os": 0.2}, 200, {"os"}, id="new_os_mapped_to_other"),
    pytest.param({"new_browser": 0.2}, 422, {"browser_type"}, id="new_browser_rejected"),
    pytest.param({"wall_time_as_utc": True}, 200, {"last_purchase_at"}, id="wall_time_as_utc"),
]


@pytest.mark.parametrize(("change", "status", "drifted"), DRIFTS)
def test_serving_traffic_profiled_online_is_judged_by_skewless_drift(
    service: Any,
    baseline: Path,
    tmp_path: Path,
    change: dict[str, Any],
    status: int,
    drifted: set[str],
) -> None:
    service.LIVE.reset()
    traffic = users(2, 2000, **change)
    statuses, served = serve(service.app, traffic, service.ROUTE.max_records)
    assert statuses == Counter({status: 2})  # two micro-batches of 1,000
    assert served["rows"] == 2000
    assert served["env"] == "serving"
    (tmp_path / "serving.json").write_text(json.dumps(served))

    run = skewless_cli(
        "drift", CONTRACT, "--baseline", baseline, "--current", "serving.json", "--format", "json",
        cwd=tmp_path,
    )  # fmt: skip
    report = run.json()
    assert run.code == (1 if drifted else 0), run.out
    assert (report["baseline_rows"], report["current_rows"]) == (4000, 2000)
    assert report["undeclared"] == {}
    assert {c["column"] for c in report["columns"] if c["drifted"]} == drifted, run.out
    judged = {c["column"] for c in report["columns"] if c["skipped"] is None}
    assert judged == {c.name for c in service.FEATURES.columns if c.allowed_in("serving")}
    if "wall_time_as_utc" in change:  # the hours moved by Los Angeles' seven hours, not the days
        parts = {
            s["part"]
            for c in report["columns"]
            if c["drifted"]
            for s in c["statistics"]
            if s["drifted"]
        }
        assert parts == {"hours"}
    if change == {"new_os": 0.2}:  # what people read: every request answered 200, yet
        text = skewless_cli(
            "drift", CONTRACT, "--baseline", baseline, "--current", "serving.json", cwd=tmp_path
        )
        assert text.code == 1
        assert text.out.strip().splitlines()[-1] == "FAIL drift in os", text.out
        assert re.search(
            r"^os +│ unseen_rate +│ +0\.1[89]\d* +│ +0\.01 +│ +│ DRIFT *$", text.out, re.M
        ), text.out


def test_the_example_service_serves_its_profile_whatever_keys_arrived(service: Any) -> None:
    service.LIVE.reset()
    body = to_body(user())[:-1] + b', "x\\ud800": 1}'  # an escaped lone surrogate in a key

    async def call() -> tuple[int, int]:
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            sent = await client.post("/predict", content=body, headers=JSON)
            return sent.status_code, (await client.get("/skew/profile")).status_code

    try:
        assert asyncio.run(call()) == (422, 200)
    finally:
        service.LIVE.reset()
