"""`skewless fuzz` and `skewless.fuzzer`: real functions and real apps (ASGI and WSGI, called
in-process), fed from the contract; the tally by class, the findings and their smallest inputs."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

import skewless
from skewless import fuzzer
from tests.cli_run import skewless_cli
from tests.conftest import CONTRACTS, ROOT, imported

CONTRACT = CONTRACTS / "user_features.yaml"
SERVICE = ROOT / "examples" / "inference_service"
FEW = 8  # inputs a class where a test needs breadth, not depth

TARGETS = textwrap.dedent(
    f"""
    import json

    import skewless
    from skewless.middleware import ContractMiddleware, Route, WSGIContractMiddleware

    CONTRACT = {str(CONTRACT)!r}


    def tolerant(record):
        return 0.5


    def nul_intolerant(record):
        comment = record.get("comment")
        if isinstance(comment, str) and "\\x00" in comment:
            raise ValueError("the engine stops at a NUL")
        return 0.5


    def heavy_sessions(record):
        if record["session_count"] > 1000:
            raise OverflowError("session_count past the embedding table")
        return 0.5


    guarded = skewless.guard(CONTRACT)(tolerant)
    guarded_heavy = skewless.guard(CONTRACT)(heavy_sessions)


    async def scored(record):
        return 0.5


    def frame_rows(frame):
        return len(frame)


    def frame_sessions(frame):
        if (frame["session_count"] > 1000).any():
            raise OverflowError("session_count past the embedding table")
        return len(frame)


    def payload_parser(body):
        return json.loads(body)


    async def _answer(send, status, body=b"{{}}"):
        await send({{"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]}})
        await send({{"type": "http.response.body", "body": body}})


    async def _body(receive):
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                return b"".join(chunks)


    async def open_app(scope, receive, send):
        # No contract in front: it parses and scores whatever comes.
        if scope["type"] != "http":
            return
        record = json.loads(await _body(receive))
        score = 1 / (1 + record["session_count"])
        await _answer(send, 200, json.dumps({{"score": score}}).encode())


    async def _sessions_model(scope, receive, send):
        body = json.loads(await _body(receive))
        records = body if isinstance(body, list) else [body]
        for record in records:
            1 / record["session_count"]  # a model that never saw a user without sessions
        await _answer(send, 200)


    gated_divider = ContractMiddleware(_sessions_model, routes={{"/predict": Route(CONTRACT)}})


    async def _accept_all(scope, receive, send):
        if scope["type"] == "http":
            await _body(receive)
            await _answer(send, 200)


    accept_all = _accept_all


    async def _model(scope, receive, send):
        await _body(receive)
        await _answer(send, 200)


    gated = ContractMiddleware(_model, routes={{"/predict": Route(CONTRACT)}})


    class WithLifespan:
        def __init__(self):
            self.model = None

        async def __call__(self, scope, receive, send):
            if scope["type"] == "lifespan":
                while True:
                    message = await receive()
                    if message["type"] == "lifespan.startup":
                        self.model = lambda record: 0.5
                        await send({{"type": "lifespan.startup.complete"}})
                    else:
                        await send({{"type": "lifespan.shutdown.complete"}})
                        return
            await _body(receive)
            self.model({{}})  # None before startup: a crash if startup never ran
            await _answer(send, 200)


    with_lifespan = ContractMiddleware(WithLifespan(), routes={{"/predict": Route(CONTRACT)}})


    async def failing_startup(scope, receive, send):
        if scope["type"] == "lifespan":
            await receive()
            await send({{"type": "lifespan.startup.failed", "message": "no model file"}})


    def _wsgi_model(environ, start_response):
        environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{{}}"]


    wsgi_gated = WSGIContractMiddleware(_wsgi_model, routes={{"/predict": Route(CONTRACT)}})
    """
)


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    where = tmp_path_factory.mktemp("targets")
    (where / "fuzz_targets.py").write_text(TARGETS)
    with imported(where, "fuzz_targets") as module:
        yield module


@pytest.fixture(scope="module")
def contract() -> skewless.Contract:
    return skewless.load_contract(CONTRACT)


def run(contract: skewless.Contract, target: fuzzer.Target, **options: Any) -> fuzzer.FuzzReport:
    options.setdefault("examples", FEW)
    options.setdefault("seed", 0)
    return fuzzer.run(contract, target, **options)


def by_class(report: fuzzer.FuzzReport) -> dict[str, fuzzer.Tally]:
    return {t.name: t for t in report.tallies}


# --- what is tried ----------------------------------------------------------------------------


def test_every_class_that_applies_is_tried_and_counted(contract: Any, targets: Any) -> None:
    from skewless import adversarial

    report = run(contract, fuzzer.AppTarget(targets.gated, "/predict"))
    tallies = by_class(report)
    expected = {"valid", "nasty"} | {name for name, _ in adversarial.classes(contract)}
    assert set(tallies) == expected
    for t in report.tallies:
        assert t.tried > 0, t.name
        assert t.tried == t.accepted + t.rejected + t.crashed
        assert t.tried <= FEW
    assert report.ok, report.findings
    assert tallies["valid"].accepted == tallies["valid"].tried
    assert all(t.rejected == t.tried for t in report.tallies if not t.valid)
    assert tallies["nul"].code is not None
    assert "control_character" in tallies["nul"].code
    assert set(tallies["nul"].columns) == {"browser_type", "comment"}


def test_a_function_target_never_gets_json_text_defects(contract: Any, targets: Any) -> None:
    tallies = by_class(run(contract, fuzzer.FunctionTarget(targets.tolerant), examples=2))
    assert "duplicate_json_key" not in tallies
    assert "truncated_json" not in tallies
    assert "nul" in tallies
    assert "missing_column" in tallies


def test_only_narrows_the_run_and_an_unknown_class_is_refused(contract: Any, targets: Any) -> None:
    report = run(contract, fuzzer.FunctionTarget(targets.tolerant), only={"nul", "valid"})
    assert [t.name for t in report.tallies] == ["valid", "nul"]
    with pytest.raises(ValueError, match="no class 'nul_bytes'"):
        run(contract, fuzzer.FunctionTarget(targets.tolerant), only={"nul_bytes"})


def test_the_same_seed_tries_the_same_inputs(contract: Any, targets: Any) -> None:
    seen: list[list[Any]] = [[], []]

    for attempt in seen:

        def record_it(record: dict[str, Any], into: list[Any] = attempt) -> None:
            into.append(json.dumps(record, sort_keys=True))

        run(contract, fuzzer.FunctionTarget(record_it), seed=1234, only={"valid", "nul"})
    assert seen[0] == seen[1]
    assert len(seen[0]) > FEW


# --- findings ---------------------------------------------------------------------------------


def test_a_crash_on_a_nul_byte_is_found_and_shrunk(contract: Any, targets: Any) -> None:
    report = run(contract, fuzzer.FunctionTarget(targets.nul_intolerant), examples=30)
    assert not report.ok
    tallies = by_class(report)
    finding = tallies["nul"].finding
    assert finding is not None
    assert finding.result.outcome == "crashed"
    assert finding.result.detail == "ValueError: the engine stops at a NUL"
    assert finding.column == "comment"
    assert "'comment': '\\x00'" in finding.shown
    assert "\x00" not in finding.shown
    assert tallies["valid"].finding is None  # valid data has no NUL: only the defect crashes
    assert tallies["control"].finding is None


def test_a_crash_on_valid_data_shrinks_to_the_boundary(contract: Any, targets: Any) -> None:
    report = run(
        contract, fuzzer.FunctionTarget(targets.heavy_sessions), only={"valid"}, examples=200
    )
    finding = by_class(report)["valid"].finding
    assert finding is not None, "200 valid records never had more than 1000 sessions"
    assert finding.result.detail.startswith("OverflowError")
    assert "'session_count': 1001" in finding.shown


def test_a_guard_in_front_turns_defects_into_rejections(contract: Any, targets: Any) -> None:
    report = run(contract, fuzzer.FunctionTarget(targets.guarded), expect_rejection=True)
    assert report.ok, [(f.name, f.result, f.shown) for f in report.findings]
    assert all(t.rejected == t.tried for t in report.tallies if not t.valid)
    assert all(t.accepted == t.tried for t in report.tallies if t.valid)


def test_invalid_data_reaching_a_function_is_a_finding_only_when_asked(
    contract: Any, targets: Any
) -> None:
    lenient = run(contract, fuzzer.FunctionTarget(targets.tolerant), only={"unseen_category"})
    assert lenient.ok
    assert not lenient.expect_rejection
    assert by_class(lenient)["unseen_category"].accepted > 0
    strict = run(
        contract,
        fuzzer.FunctionTarget(targets.tolerant),
        only={"unseen_category"},
        expect_rejection=True,
    )
    finding = by_class(strict)["unseen_category"].finding
    assert finding is not None
    assert finding.result.outcome == "accepted"


def test_an_async_function_is_awaited(contract: Any, targets: Any) -> None:
    report = run(contract, fuzzer.FunctionTarget(targets.scored), only={"valid", "nasty"})
    assert report.ok
    assert by_class(report)["valid"].accepted > 0


def test_frames_and_payloads_reach_functions_taking_them(contract: Any, targets: Any) -> None:
    some = {"valid", "nasty", "lone_surrogate", "nul", "missing_column", "wrong_type"}
    frames = run(contract, fuzzer.FunctionTarget(targets.frame_rows, takes="frame"), only=some)
    assert frames.ok
    assert by_class(frames)["missing_column"].accepted > 0
    assert by_class(frames)["lone_surrogate"].accepted > 0  # an object column holds it
    shrunk = run(
        contract,
        fuzzer.FunctionTarget(targets.frame_sessions, takes="frame"),
        only={"valid"},
        examples=30,
        shrink_seconds=1.0,  # frames shrink slowly: the budget bounds it
    )
    finding = by_class(shrunk)["valid"].finding
    assert finding is not None
    assert finding.result.detail.startswith("OverflowError")
    assert "'session_count': " in finding.shown
    payloads = run(
        contract,
        fuzzer.FunctionTarget(targets.payload_parser, takes="payload"),
        only={"valid", "nasty", "truncated_json", "duplicate_json_key"},
    )
    parsed = by_class(payloads)
    assert parsed["valid"].finding is None
    truncated = parsed["truncated_json"].finding
    assert truncated is not None
    assert truncated.result.detail.startswith("JSONDecodeError")


# --- apps -------------------------------------------------------------------------------------


def test_an_app_without_a_contract_crashes_and_lets_defects_through(
    contract: Any, targets: Any
) -> None:
    report = run(
        contract,
        fuzzer.AppTarget(targets.open_app, "/predict"),
        only={"valid", "truncated_json", "unseen_category"},
    )
    tallies = by_class(report)
    assert report.expect_rejection  # an app is the gate: what it accepts reaches the model
    not_json = tallies["truncated_json"].finding
    assert not_json is not None
    assert not_json.result.detail.startswith("HTTP 500 (JSONDecodeError")
    assert tallies["unseen_category"].finding is not None
    assert tallies["unseen_category"].finding.result.outcome == "accepted"


def test_a_model_crash_behind_the_middleware_is_found(contract: Any, targets: Any) -> None:
    report = run(
        contract, fuzzer.AppTarget(targets.gated_divider, "/predict"), only={"valid"}, examples=100
    )
    finding = by_class(report)["valid"].finding
    assert finding is not None
    assert finding.result.detail.startswith("HTTP 500 (ZeroDivisionError")
    assert '"session_count":0' in finding.shown.replace(" ", "")


def test_an_app_accepting_everything_fails_every_defect_class(contract: Any, targets: Any) -> None:
    classes = {"valid", "nasty", "nul", "missing_column", "deep_nesting", "int64_max_plus_1"}
    report = run(contract, fuzzer.AppTarget(targets.accept_all, "/predict"), only=classes)
    invalid = [t for t in report.tallies if not t.valid]
    assert len(invalid) == 4
    assert all(t.finding is not None for t in invalid)
    assert all(t.finding is None for t in report.tallies if t.valid)


def test_a_wsgi_app_is_called_as_wsgi(contract: Any, targets: Any) -> None:
    target = fuzzer.AppTarget(targets.wsgi_gated, "/predict")
    assert not target.asgi
    report = run(contract, target, examples=4)
    assert report.ok, [(f.name, f.result) for f in report.findings]
    assert by_class(report)["valid"].accepted > 0


def test_the_lifespan_runs_around_the_run(contract: Any, targets: Any) -> None:
    report = run(contract, fuzzer.AppTarget(targets.with_lifespan, "/predict"), examples=4)
    assert report.ok, [(f.name, f.result) for f in report.findings]
    with pytest.raises(fuzzer.TargetError, match="startup failed: no model file"):
        run(contract, fuzzer.AppTarget(targets.failing_startup, "/predict"))


# --- the command line -------------------------------------------------------------------------


def test_the_example_service_survives_the_ci_profile_run(tmp_path: Path) -> None:
    examples = settings.default.max_examples  # 200 under the ci profile, 25 under dev
    run_ = skewless_cli(
        "fuzz", CONTRACT, "--app", "app:app", "--app-dir", SERVICE, "--path", "/predict",
        "--examples", str(examples), "--seed", "5", "--format", "json",
        cwd=tmp_path,
    )  # fmt: skip
    assert run_.code == 0, run_.out + run_.err
    doc = run_.json()
    assert doc["ok"] is True
    assert doc["findings"] == []
    assert doc["expect_rejection"] is True
    assert doc["seed"] == 5
    for entry in doc["classes"]:
        assert entry["crashed"] == 0, entry
        assert entry["tried"] > 0, entry
        if entry["code"] is None:
            assert entry["accepted"] == entry["tried"], entry
        else:
            assert entry["rejected"] == entry["tried"], entry
    assert doc["tried"] > 40 * min(examples, 20)
    assert run_.err == ""  # the service's rejection log lines are kept out of the run


def test_the_text_report_names_the_finding_with_escapes(tmp_path: Path) -> None:
    (tmp_path / "engine.py").write_text(TARGETS)
    run_ = skewless_cli(
        "fuzz", CONTRACT, "--target", "engine:nul_intolerant", "--only", "nul",
        "--examples", "20", "--seed", "3",
        cwd=tmp_path,
    )  # fmt: skip
    assert run_.code == 1, run_.out + run_.err
    assert "FINDING nul at comment: " in run_.out
    assert "crashed (ValueError: the engine stops at a NUL)" in run_.out
    assert "\\x00" in run_.out
    assert "\x00" not in run_.out
    assert "replay with: --seed 3 --only nul" in run_.out
    assert "FAIL 1 finding in " in run_.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give one of --target MODULE:NAME or --app MODULE:NAME"),
        (("--target", "a:b", "--app", "c:d"), "give one of --target"),
        (("--target", "no_such_module:f"), "cannot import 'no_such_module'"),
        (("--target", "engine:missing"), "'engine' has no attribute 'missing'"),
        (("--target", "engine"), "expected MODULE:NAME"),
        (("--target", "broken:f"), "importing 'broken' failed: RuntimeError: no GPU"),
        (("--target", "engine:CONTRACT"), "is not callable"),
        (("--app", "engine:gated", "--path", "predict"), "the path must start with '/'"),
        (("--app", "engine:failing_startup"), "the app's startup failed: no model file"),
        (("--target", "engine:tolerant", "--only", "bogus"), "no class 'bogus' applies"),
        (("--target", "engine:tolerant", "--format", "junit"), "--format text or json"),
    ],
)
def test_what_cannot_be_judged_exits_2_with_one_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "engine.py").write_text(TARGETS)
    (tmp_path / "broken.py").write_text("raise RuntimeError('no GPU')\n")
    run_ = skewless_cli("fuzz", CONTRACT, *args, cwd=tmp_path)
    assert run_.code == 2, run_.out + run_.err
    assert message in run_.error_line()


def test_a_contract_that_does_not_load_exits_2(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("contract: x\nversion: 1\n")
    run_ = skewless_cli("fuzz", tmp_path / "bad.yaml", "--target", "os:getcwd", cwd=tmp_path)
    assert run_.code == 2
    assert "the contract does not load" in run_.error_line()


def test_help_teaches_the_options(tmp_path: Path) -> None:
    run_ = skewless_cli("fuzz", "--help", cwd=tmp_path)
    assert run_.code == 0
    for option in ("--target", "--app", "--path", "--examples", "--seed", "--only", "--takes"):
        assert option in run_.out
