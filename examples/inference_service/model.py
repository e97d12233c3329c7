"""A small real model behind the contract: logistic regression in numpy, trained at import.

It predicts whether a user buys again (the contract's training-only `label`) from the features
`contracts/user_features.yaml` describes. Training data is synthetic and seeded, so every run
trains the same weights in a few milliseconds; what matters here is that the model is real
code that indexes vocabularies, takes logs and reads clocks, the way a serving model does, and
that it only ever sees records the contract has validated and normalised: a browser it never
saw would have no one-hot slot, a NaN would poison the dot product, a naive timestamp would
shift the hour feature by eight.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

BROWSERS = ("Chrome", "Safari", "Firefox", "Edge", "Other")
SYSTEMS = ("Windows", "macOS", "Linux", "iOS", "Android", "Other")
FEATURES = 7 + len(BROWSERS) + len(SYSTEMS)


def features(record: dict[str, Any]) -> np.ndarray:
    """One normalised record (as the middleware passes it on, JSON) as a feature vector."""
    local = dt.datetime.fromisoformat(record["local_time"])
    hour = (local.hour + local.minute / 60) / 24 * 2 * math.pi
    x = np.zeros(FEATURES)
    x[0] = 1.0
    x[1] = (record["user_age"] - 40) / 15
    x[2] = math.log1p(record["session_count"]) - 2
    x[3] = math.log1p(record["basket_value"]) - 4
    x[4] = record["click_rate"]  # filled with 0.0 when null, as in training
    x[5] = 1.0 if record["is_premium"] else 0.0
    x[6] = math.sin(hour)
    x[7 + BROWSERS.index(record["browser_type"])] = 1.0  # ValueError on an unseen browser
    x[7 + len(BROWSERS) + SYSTEMS.index(record["os"])] = 1.0
    return x


def _training_set(rows: int = 4000, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.zeros((rows, FEATURES))
    x[:, 0] = 1.0
    x[:, 1] = rng.normal(0, 1, rows)
    x[:, 2] = rng.normal(0, 1, rows)
    x[:, 3] = rng.normal(0, 1, rows)
    x[:, 4] = rng.uniform(0, 1, rows)
    x[:, 5] = rng.uniform(0, 1, rows) < 0.2
    x[:, 6] = np.sin(rng.uniform(0, 2 * math.pi, rows))
    x[np.arange(rows), 7 + rng.integers(0, len(BROWSERS), rows)] = 1.0
    x[np.arange(rows), 7 + len(BROWSERS) + rng.integers(0, len(SYSTEMS), rows)] = 1.0
    truth = np.zeros(FEATURES)
    truth[[0, 1, 2, 3, 4, 5, 6]] = [-0.5, -0.3, 0.9, 0.4, 1.5, 0.8, 0.2]
    chance = 1 / (1 + np.exp(-(x @ truth)))
    return x, (rng.uniform(0, 1, rows) < chance).astype(float)


def train(steps: int = 300, rate: float = 0.5) -> np.ndarray:
    """Weights fitted by gradient descent on the log loss."""
    x, y = _training_set()
    w = np.zeros(FEATURES)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w)))
        w -= rate * x.T @ (p - y) / len(y)
    return w


WEIGHTS = train()


def score(record: dict[str, Any]) -> float:
    """The probability that this user buys again."""
    value = float(1 / (1 + np.exp(-(features(record) @ WEIGHTS))))
    if not math.isfinite(value):  # the contract keeps NaN and inf out; never answer one
        raise ValueError("the model produced a non-finite score")
    return value
