"""Drift statistics (`skewless.drift`): agreement with scipy where they compute the same
quantity, detection of the shifts that break models, and no alarm on noise."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon

import skewless
from skewless.drift import chi_square, compare, jensen_shannon, ks, psi
from skewless.profile import Sketch, profile
from tests.cli_run import skewless_cli

EXAMPLES = settings(max_examples=min(settings.default.max_examples, 60))

CONTRACT = skewless.loads_contract(
    """
contract: drift_probe
version: 1.0.0
columns:
  amount: {type: float, nullable: true}
  browser: {type: category, values: [Chrome, Safari, Firefox, Edge]}
  seen_at: {type: datetime, timezone: UTC}
  label: {type: boolean, only_in: training}
"""
)


def sketch_of(values: np.ndarray) -> Sketch:
    made = Sketch()
    made.add(values.astype(np.float64))
    return made


def bucket_values(sketch: Sketch) -> np.ndarray:
    """Every counted value replaced by its bucket's value: what the sketch knows of the data."""
    pairs = sketch.buckets()
    return np.repeat([v for v, _ in pairs], [n for _, n in pairs])


# --- the same quantities as scipy -------------------------------------------------------------

samples = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=200)


@EXAMPLES
@given(samples, samples)
def test_ks_is_scipy_ks_2samp_on_the_sketch_buckets(a: list[float], b: list[float]) -> None:
    left, right = sketch_of(np.array(a)), sketch_of(np.array(b))
    d, p = ks(left, right)
    if round(len(a) * len(b) / (len(a) + len(b))) < 1:  # one value each: scipy divides by 0
        assert p == 1.0
        return
    expected = stats.ks_2samp(bucket_values(left), bucket_values(right), method="asymp")
    assert math.isclose(d, float(expected.statistic), abs_tol=1e-9)
    assert math.isclose(p, float(expected.pvalue), abs_tol=1e-9)


counts = st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 500), min_size=1)


@EXAMPLES
@given(counts, counts)
def test_chi_square_is_scipy_chisquare_on_the_table(a: dict[str, int], b: dict[str, int]) -> None:
    statistic, p, w = chi_square(Counter(a), Counter(b))
    keys = sorted(k for k in a.keys() | b.keys() if a.get(k) or b.get(k))
    table = np.array([[a.get(k, 0) for k in keys], [b.get(k, 0) for k in keys]], dtype=float)
    if len(keys) < 2 or not table[0].sum() or not table[1].sum():
        assert math.isnan(statistic)
        return
    contingency = stats.chi2_contingency(table, correction=False)
    assert math.isclose(statistic, float(contingency.statistic), rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(p, float(contingency.pvalue), rel_tol=1e-9, abs_tol=1e-9)
    dof = len(keys) - 1
    flat = stats.chisquare(
        table.ravel(), contingency.expected_freq.ravel(), ddof=table.size - 1 - dof
    )
    assert math.isclose(statistic, float(flat.statistic), rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(p, float(flat.pvalue), rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(w, math.sqrt(statistic / table.sum()), rel_tol=1e-12)


@EXAMPLES
@given(counts, counts)
def test_jensen_shannon_is_scipy_jensenshannon(a: dict[str, int], b: dict[str, int]) -> None:
    keys = sorted(a.keys() | b.keys())
    p = [a.get(k, 0) for k in keys]
    q = [b.get(k, 0) for k in keys]
    ours = jensen_shannon(Counter(a), Counter(b))
    if not sum(p) or not sum(q):
        assert math.isnan(ours)
        return
    assert math.isclose(ours, float(jensenshannon(p, q, base=2)), abs_tol=1e-9)
    assert math.isclose(jensen_shannon(p, q), ours, abs_tol=1e-12)  # by position, the same


def test_psi_is_zero_for_the_same_data_and_grows_with_a_shift() -> None:
    rng = np.random.default_rng(1)
    base = sketch_of(rng.normal(100, 10, 50_000))
    assert psi(base, base) == 0.0
    shifted = [psi(base, sketch_of(rng.normal(100 + s, 10, 50_000))) for s in (0, 2, 5, 10)]
    assert shifted == sorted(shifted)
    assert shifted[0] < 0.01 < shifted[-1]


# --- detection ----------------------------------------------------------------------------------


def frame(rng: np.random.Generator, n: int, **changes: Any) -> pd.DataFrame:
    """n rows like training's; `changes` shifts one thing."""
    amount = rng.normal(100 + changes.get("shift", 0) * 15, 15, n)
    amount[rng.random(n) < changes.get("nulls", 0.01)] = np.nan
    codes = rng.choice(4, n, p=[0.5, 0.3, 0.15, 0.05])
    new = changes.get("new_category", 0.0)
    if new:
        codes = np.where(rng.random(n) < new, 4, codes)
    browsers = pd.Categorical.from_codes(codes, ["Chrome", "Safari", "Firefox", "Edge", "Brave"])
    hours = np.clip(rng.normal(14, 2.5, n), 0, 23.99)  # activity peaks at 14:00 UTC
    offset = rng.integers(0, 28, n) * 24 + hours + changes.get("hours", 0)
    start = pd.Timestamp("2024-03-04", tz="UTC").value // 1000  # in microseconds
    stamps = pd.to_datetime(start + (offset * 3_600_000_000).astype(np.int64), unit="us", utc=True)
    data = {"amount": amount, "browser": browsers, "seen_at": stamps}
    if changes.get("label"):
        data["label"] = rng.random(n) < 0.5
    return pd.DataFrame(data)


def drifted(report: Any) -> set[tuple[str, str, str]]:
    return {(c.column, s.name, s.part) for c in report.columns for s in c.statistics if s.drifted}


@pytest.fixture(scope="module")
def baseline() -> Any:
    return profile(CONTRACT, frame(np.random.default_rng(7), 100_000), env="serving")


def current(seed: int = 8, n: int = 100_000, **changes: Any) -> Any:
    return profile(CONTRACT, frame(np.random.default_rng(seed), n, **changes), env="serving")


def test_the_same_distribution_does_not_drift(baseline: Any) -> None:
    report = compare(CONTRACT, baseline, current())
    assert report.ok, drifted(report)


def test_a_mean_shift_of_a_fifth_of_a_standard_deviation(baseline: Any) -> None:
    report = compare(CONTRACT, baseline, current(shift=0.2))
    assert drifted(report) == {("amount", "ks", "")}
    assert not report.ok


def test_a_new_category_at_five_percent(baseline: Any) -> None:
    found = drifted(compare(CONTRACT, baseline, current(new_category=0.05)))
    assert ("browser", "unseen_rate", "") in found
    assert {column for column, _, _ in found} == {"browser"}


def test_a_null_rate_from_one_to_ten_percent(baseline: Any) -> None:
    assert drifted(compare(CONTRACT, baseline, current(nulls=0.10))) == {
        ("amount", "null_rate", "")
    }


def test_timestamps_shifted_by_eight_hours(baseline: Any) -> None:
    # Pacific wall times written as if they were UTC: every instant eight hours early.
    found = drifted(compare(CONTRACT, baseline, current(hours=-8)))
    assert ("seen_at", "js", "hours") in found
    assert ("seen_at", "chi2", "hours") in found
    assert {column for column, _, _ in found} == {"seen_at"}


def test_a_label_present_at_serving(baseline: Any) -> None:
    report = compare(CONTRACT, baseline, current(label=True))
    assert report.undeclared == {"label": 100_000}
    assert not report.ok
    assert not drifted(report)


def test_too_few_rows_are_not_judged(baseline: Any) -> None:
    report = compare(CONTRACT, baseline, current(n=500, shift=3))
    assert report.ok
    assert all(c.skipped is not None and "too few rows" in c.skipped for c in report.columns)


def test_profiles_of_another_contract_are_refused(baseline: Any) -> None:
    other = skewless.loads_contract(
        "contract: other\nversion: 1.0.0\ncolumns:\n  a: {type: date}\n"
    )
    with pytest.raises(ValueError, match="not of other"):
        compare(other, baseline, baseline)


# --- no false alarms ----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_million_rows_twice_from_one_distribution_raise_no_alarm() -> None:
    """100 seeds, two independent samples of 1,000,000 rows each: at most one seed may drift per
    column kind (numeric, categorical, datetime), none for the null rate."""
    alarms: Counter[str] = Counter()
    for seed in range(100):
        rng = np.random.default_rng(seed)
        left = profile(CONTRACT, frame(rng, 1_000_000), env="serving")
        right = profile(CONTRACT, frame(rng, 1_000_000), env="serving")
        for column, name, _ in drifted(compare(CONTRACT, left, right)):
            alarms[f"{column}.{name}"] += 1
    assert all(n <= 1 for n in alarms.values()), alarms


# --- the command line -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Any:
    where = tmp_path_factory.mktemp("drift")
    (where / "probe.yaml").write_text(
        "contract: drift_probe\nversion: 1.0.0\ncolumns:\n"
        "  amount: {type: float, nullable: true}\n"
        "  browser: {type: category, values: [Chrome, Safari, Firefox, Edge]}\n"
        "  seen_at: {type: datetime, timezone: UTC}\n"
        "  label: {type: boolean, only_in: training}\n"
    )
    frame(np.random.default_rng(1), 20_000, label=True).to_parquet(where / "train.parquet")
    frame(np.random.default_rng(2), 20_000).to_parquet(where / "same.parquet")
    frame(np.random.default_rng(3), 20_000, shift=0.5).to_parquet(where / "shifted.parquet")
    made = skewless_cli(
        "profile", where / "probe.yaml", where / "train.parquet", "--env", "training",
        "-o", where / "baseline.json", cwd=where,
    )  # fmt: skip
    assert made.code == 0, made.err
    return where


def test_the_command_passes_the_same_distribution(files: Path) -> None:
    run = skewless_cli(
        "drift", files / "probe.yaml", files / "same.parquet", "--baseline", "baseline.json",
        cwd=files,
    )  # fmt: skip
    assert run.code == 0, run.out + run.err
    assert run.out.rstrip().endswith("PASS no drift")


def test_the_command_reports_a_shift_in_json_and_exits_1(files: Path) -> None:
    run = skewless_cli(
        "drift", files / "probe.yaml", files / "shifted.parquet", "--baseline", "baseline.json",
        "--format", "json", cwd=files,
    )  # fmt: skip
    assert run.code == 1, run.out + run.err
    doc = run.json()
    assert doc["ok"] is False
    by_column = {c["column"]: c for c in doc["columns"]}
    assert by_column["amount"]["drifted"] is True
    assert not by_column["browser"]["drifted"]
    ks_stat = next(s for s in by_column["amount"]["statistics"] if s["name"] == "ks")
    assert ks_stat["drifted"] is True
    assert ks_stat["threshold"] == 0.05


def test_current_profiles_stand_for_data(files: Path) -> None:
    made = skewless_cli(
        "profile", files / "probe.yaml", files / "shifted.parquet", "--env", "serving",
        "-o", "shifted.json", cwd=files,
    )  # fmt: skip
    assert made.code == 0, made.err
    run = skewless_cli(
        "drift", files / "probe.yaml", "--current", "shifted.json", "--baseline", "baseline.json",
        cwd=files,
    )  # fmt: skip
    assert run.code == 1, run.out + run.err
    assert "FAIL drift in amount" in run.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("same.parquet", "--baseline", "absent.json"), "absent.json: "),
        (("same.parquet", "--baseline", "junk.json"), "not a readable skewless profile"),
        (("--baseline", "baseline.json"), "give DATA, or --current profiles"),
        (("missing.parquet", "--baseline", "baseline.json"), "missing.parquet"),
        (("same.parquet", "--baseline", "other.json"), "not of drift_probe"),
        (("same.parquet", "--baseline", "baseline.json", "--format", "junit"), "text or json"),
    ],
)
def test_what_cannot_be_compared_exits_2(files: Path, args: tuple[str, ...], message: str) -> None:
    from skewless.profile import Profile

    (files / "junk.json").write_text('{"format": "skewless-profile/1"')
    (files / "other.json").write_text(Profile("other", "1.0.0", "training").to_json())
    run = skewless_cli("drift", files / "probe.yaml", *args, cwd=files)
    assert run.code == 2, run.out + run.err
    assert message in run.error_line()


def test_five_minute_aggregates_replaced_by_ten_second_samples() -> None:
    """Serving features aggregated every 10 seconds where training used 5-minute windows: the
    contract's `cadence` reports each row off the declared spacing (`cadence_mismatch`)."""
    windows = skewless.loads_contract(
        "contract: windows\nversion: 1.0.0\ncolumns:\n"
        "  window_start: {type: datetime, timezone: UTC, cadence: 5min}\n"
        "  clicks: {type: integer, min: 0}\n"
    )
    start = pd.Timestamp("2024-03-04", tz="UTC")
    training = pd.DataFrame(
        {"window_start": start + pd.to_timedelta(np.arange(288) * 5, unit="min"), "clicks": 1}
    )
    serving = pd.DataFrame(
        {"window_start": start + pd.to_timedelta(np.arange(288) * 10, unit="s"), "clicks": 1}
    )
    assert windows.validate(training).ok
    report = windows.validate(serving)
    found = {(v.code, v.column) for v in report.violations}
    assert found == {("cadence_mismatch", "window_start")}
    assert report.rows_failed == len(serving) - 1  # every sample after the first is too soon
    coarse = pd.DataFrame(
        {"window_start": start + pd.to_timedelta(np.arange(144) * 10, unit="min"), "clicks": 1}
    )  # too coarse: every other window missing
    assert {(v.code, v.column) for v in windows.validate(coarse).violations} == {
        ("cadence_mismatch", "window_start")
    }
