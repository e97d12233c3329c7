"""Shared fixtures and the hypothesis profiles (`dev` quick, `ci` thorough)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"


@pytest.fixture
def user_contract_path() -> Path:
    return CONTRACTS / "user_features.yaml"


@pytest.fixture
def user_contract(user_contract_path: Path):  # type: ignore[no-untyped-def]
    import skewless

    return skewless.load_contract(user_contract_path)
