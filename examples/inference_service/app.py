"""The user-features scorer: a FastAPI service with the contract in front of its model.

    make serve    # .venv/bin/python -m uvicorn --app-dir examples/inference_service app:app

    curl -s localhost:8000/predict -H 'content-type: application/json' -d @record.json
    curl -s localhost:8000/metrics | grep skewless_
    curl -s localhost:8000/skew/profile > serving.json    # then: skewless drift ... --current

`/predict` takes one record or a list of records (`contracts/user_features.yaml`, serving
environment). `ContractMiddleware` validates each request before FastAPI sees it: a bad one is
answered 422 with FastAPI-shaped errors and never reaches the model; a good one reaches it
normalised (unknown operating systems mapped to `Other`, a missing click rate filled with the
0.0 training used, wall times read in Los Angeles). The model's answers are checked too,
against `contracts/user_scores.yaml`. `/metrics` serves the counters for Prometheus, and
`/skew/profile` the running profile of every record received (`skewless.live`), to compare with
training's: `skewless drift contracts/user_features.yaml --baseline baseline.json --current
serving.json`.

`/openapi.json` publishes both contracts as JSON Schema (`skewless.json_schema`): the request
body of `/predict`, its answers, and the gate's refusals (413, 415, 422; 500 when the model's
answer breaks its contract), so clients and fuzzers such as schemathesis know what to send.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from model import score
from prometheus_client import make_asgi_app

from skewless import load_contract
from skewless.json_schema import ERROR_SCHEMA, openapi_body
from skewless.live import LiveProfile
from skewless.middleware import ContractMiddleware, Route
from skewless.observe import Observer

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "contracts" / "user_features.yaml"
SCORES = ROOT / "contracts" / "user_scores.yaml"

FEATURES, ANSWERS = load_contract(CONTRACT), load_contract(SCORES)
LIVE = LiveProfile(FEATURES, env="serving")
ROUTE = Route(FEATURES, env="serving", output_contract=ANSWERS, profile=LIVE)
# The bodies refer to the record schemas by `#/components/schemas/<contract>`, added to the
# document below (FastAPI would also turn their int64 bounds into floats).
REQUEST, REQUEST_RECORDS = openapi_body(FEATURES, env="serving", max_records=ROUTE.max_records)
ANSWER, ANSWER_RECORDS = openapi_body(ANSWERS, env=None, max_records=ROUTE.max_records)


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


app = FastAPI(title="user-features scorer", version="1.0.0")
app.mount("/metrics", make_asgi_app())
app.add_middleware(ContractMiddleware, routes={"/predict": ROUTE}, observer=Observer())


def openapi() -> dict[str, Any]:
    """FastAPI's document, with the contracts' record schemas under components.schemas."""
    if app.openapi_schema is None:
        document = FastAPI.openapi(app)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(REQUEST_RECORDS | ANSWER_RECORDS)
    return app.openapi_schema or {}


app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend it


@app.post(
    "/predict",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": REQUEST}}}
    },
    responses={
        200: _json("A score per record, in the shape of the request.", ANSWER),
        413: _json(f"Over {ROUTE.max_bytes} bytes or {ROUTE.max_records} records.", ERROR_SCHEMA),
        415: _json("The content type is not JSON.", ERROR_SCHEMA),
        422: _json("Not usable JSON, or a record breaks the contract.", ERROR_SCHEMA),
        500: _json("The model's answer broke its output contract.", ERROR_SCHEMA),
    },
)
async def predict(request: Request) -> Any:
    """Scores for one record (an object) or a micro-batch (a list), in the same shape."""
    body = await request.json()
    records = body if isinstance(body, list) else [body]
    scores = [{"user_id": r["user_id"], "score": score(r)} for r in records]
    return scores if isinstance(body, list) else scores[0]


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get(
    "/skew/profile",
    responses={200: _json("The profile of every record received so far.", {"type": "object"})},
)
async def skew_profile() -> Response:
    """What serving has received, as a skewless profile (docs/drift.md has the format): its own
    JSON text, ASCII only, whatever keys clients sent (a lone surrogate included)."""
    return Response(LIVE.snapshot().to_json(), media_type="application/json")
