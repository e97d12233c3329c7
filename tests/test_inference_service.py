"""examples/inference_service: the FastAPI scorer behind the contract, in-process and as a real
uvicorn server started the way its docstring says."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from skewless import load_contract
from skewless.json_schema import ERROR_SCHEMA, openapi_body
from tests.conftest import ROOT, imported
from tests.loopback import serve
from tests.records import USER_RECORD

SERVICE = ROOT / "examples" / "inference_service"
CONTRACT = ROOT / "contracts" / "user_features.yaml"
RECORD = USER_RECORD


@pytest.fixture(scope="module")
def service() -> Any:
    with imported(SERVICE, "app", "model") as service_app:  # examples/inference_service/app.py
        yield service_app


def post(app: Any, path: str, body: bytes, content_type: str = "application/json") -> Any:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(path, content=body, headers={"content-type": content_type})

    return asyncio.run(call())


def get(app: Any, path: str) -> Any:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    return asyncio.run(call())


def test_a_valid_record_is_scored(service: Any) -> None:
    answer = post(service.app, "/predict", json.dumps(RECORD).encode())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["user_id"] == 7
    assert 0 < body["score"] < 1


def test_a_micro_batch_is_scored_in_order(service: Any) -> None:
    records = [dict(RECORD, user_id=i, session_count=i) for i in range(1, 6)]
    answer = post(service.app, "/predict", json.dumps(records).encode())
    assert answer.status_code == 200, answer.text
    scores = answer.json()
    assert [s["user_id"] for s in scores] == [1, 2, 3, 4, 5]
    assert all(0 < s["score"] < 1 for s in scores)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"browser_type": "Mozilla/5.0 (X11; Linux x86_64)"}, "not_in_vocabulary"),
        ({"click_rate": math.nan}, "nan_not_allowed"),
        ({"last_purchase_at": "2024-05-01T10:00:00+02:00"}, "wrong_timezone"),
        ({"last_purchase_at": "2024-05-01T10:00:00"}, "naive_datetime"),
        ({"local_time": "2024-03-10T02:30:00"}, "naive_datetime"),  # the DST gap in LA
        ({"comment": "a\x00b"}, "control_character"),
        ({"user_age": 0}, "out_of_range"),
        ({"label": True}, "unexpected_column"),
    ],
)
def test_what_would_break_the_model_never_reaches_it(
    service: Any, change: dict[str, Any], code: str
) -> None:
    answer = post(service.app, "/predict", json.dumps(dict(RECORD, **change)).encode())
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert code in {d["type"] for d in detail}
    assert "Mozilla" not in answer.text  # values are not echoed


def test_the_counters_are_served_for_prometheus(service: Any) -> None:
    post(service.app, "/predict", json.dumps(dict(RECORD, user_age=0)).encode())
    metrics = get(service.app, "/metrics/").text
    assert "skewless_records_total" in metrics
    assert 'code="out_of_range"' in metrics


def test_the_openapi_document_publishes_the_contract(service: Any) -> None:
    document = get(service.app, "/openapi.json").json()
    assert document["openapi"].startswith("3.1")  # JSON Schema 2020-12 as it is
    operation = document["paths"]["/predict"]["post"]
    request, records = openapi_body(load_contract(CONTRACT), env="serving")
    assert operation["requestBody"]["required"] is True
    assert operation["requestBody"]["content"]["application/json"]["schema"] == request
    schemas = document["components"]["schemas"]
    assert schemas["user_features"] == records["user_features"]
    assert schemas["user_features"]["properties"]["user_id"]["maximum"] == 2**63 - 1  # no float
    answers = operation["responses"]
    for status in ("413", "415", "422", "500"):
        assert answers[status]["content"]["application/json"]["schema"] == ERROR_SCHEMA

    def check(schema: dict[str, Any]) -> Draft202012Validator:
        # `#/components/...` resolves against the root: the document's components go there.
        return Draft202012Validator({**schema, "components": document["components"]})

    body = check(request)
    assert body.is_valid(RECORD)
    assert body.is_valid([RECORD, dict(RECORD, user_id=8)])
    for bad in ([], dict(RECORD, user_age=0), dict(RECORD, label=True), dict(RECORD, country="us")):
        assert not body.is_valid(bad), bad
    # The answers are what the document says they are.
    good = post(service.app, "/predict", json.dumps([RECORD]).encode())
    assert check(answers["200"]["content"]["application/json"]["schema"]).is_valid(good.json())
    bad = post(service.app, "/predict", json.dumps(dict(RECORD, user_age=0)).encode())
    assert bad.status_code == 422
    assert check(ERROR_SCHEMA).is_valid(bad.json()), bad.text


@pytest.fixture
def server() -> Iterator[str]:
    with serve(SERVICE, "app:app") as running:
        yield running.url


def test_the_service_runs_under_uvicorn(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as client:
        good = client.post("/predict", json=RECORD)
        assert good.status_code == 200, good.text
        bad = client.post(
            "/predict",
            content=b'{"user_id": 1, "user_id": 2}',
            headers={"content-type": "application/json"},
        )
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["type"] == "malformed_input"
        assert client.post("/predict", json=RECORD).status_code == 200  # still serving
