"""The user-features scorer: a FastAPI service with the contract in front of its model.

    make serve    # .venv/bin/python -m uvicorn --app-dir examples/inference_service app:app

    curl -s localhost:8000/predict -H 'content-type: application/json' -d @record.json
    curl -s localhost:8000/metrics | grep skewless_

`/predict` takes one record or a list of records (`contracts/user_features.yaml`, serving
environment). `ContractMiddleware` validates each request before FastAPI sees it: a bad one is
answered 422 with FastAPI-shaped errors and never reaches the model; a good one reaches it
normalised (unknown operating systems mapped to `Other`, a missing click rate filled with the
0.0 training used, wall times read in Los Angeles). The model's answers are checked too,
against `contracts/user_scores.yaml`. `/metrics` serves the counters for Prometheus.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from model import score
from prometheus_client import make_asgi_app

from skewless.middleware import ContractMiddleware, Route
from skewless.observe import Observer

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "contracts" / "user_features.yaml"
SCORES = ROOT / "contracts" / "user_scores.yaml"

app = FastAPI(title="user-features scorer", version="1.0.0")
app.mount("/metrics", make_asgi_app())
app.add_middleware(
    ContractMiddleware,
    routes={"/predict": Route(CONTRACT, env="serving", output_contract=SCORES)},
    observer=Observer(),
)


@app.post("/predict")
async def predict(request: Request) -> Any:
    """Scores for one record (an object) or a micro-batch (a list), in the same shape."""
    body = await request.json()
    records = body if isinstance(body, list) else [body]
    scores = [{"user_id": r["user_id"], "score": score(r)} for r in records]
    return scores if isinstance(body, list) else scores[0]


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
