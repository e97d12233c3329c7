"""Profiles (`skewless.profile`, `skewless profile`): exact merges, accurate sketches, the values
as they arrived, and clear errors on what cannot be read."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import skewless
from skewless import strategies
from skewless.profile import ALPHA, MAX_VALUES, OTHER, Profile, Sketch, profile, profile_chunk
from tests.cli_run import skewless_cli
from tests.conftest import CONTRACTS, ROOT

CONTRACT_PATHS = sorted(CONTRACTS.glob("*.yaml")) + sorted(
    (ROOT / "tests" / "contracts" / "valid").glob("*.yaml")
)
DATA = ROOT / "examples" / "data"
EXAMPLES = settings(max_examples=min(settings.default.max_examples, 50))


@pytest.fixture(scope="module")
def contract() -> skewless.Contract:
    return skewless.load_contract(CONTRACTS / "user_features.yaml")


# --- merging is exact -------------------------------------------------------------------------


@pytest.mark.parametrize("path", CONTRACT_PATHS, ids=lambda p: p.name)
@EXAMPLES
@given(data=st.data())
def test_the_merge_of_two_parts_is_the_profile_of_the_whole(path: Path, data: Any) -> None:
    contract = skewless.load_contract(path)
    env = data.draw(st.sampled_from([None, "training", "serving"]), label="env")
    frame = data.draw(strategies.frames(contract, env=env, max_rows=12), label="frame")
    cut = data.draw(st.integers(0, len(frame)), label="cut")
    whole = profile(contract, frame, env=env)
    first, second = (profile(contract, part, env=env) for part in (frame[:cut], frame[cut:]))
    if not len(frame.columns):
        return
    assert first.merge(second).to_dict() == whole.to_dict()


@given(
    st.lists(st.dictionaries(st.sampled_from("abcdef"), st.integers(1, 5), max_size=6), max_size=4)
)
def test_merged_counts_do_not_depend_on_the_order(parts: list[dict[str, int]]) -> None:
    from collections import Counter

    from skewless.profile import _count_capped

    forward: Counter[str] = Counter()
    backward: Counter[str] = Counter()
    for part in parts:
        _count_capped(forward, Counter(part))
    for part in reversed(parts):
        _count_capped(backward, Counter(part))
    assert forward == backward == sum((Counter(p) for p in parts), Counter())


def test_values_past_the_cap_count_as_other(contract: Any) -> None:
    browsers = [f"agent-{i}" for i in range(MAX_VALUES + 50)]
    made = profile_chunk(contract, {"browser_type": pd.Series(browsers)}, env="serving")
    values = made.columns["browser_type"].values
    assert values is not None
    assert len(values) == MAX_VALUES + 1
    assert values[OTHER] == 50
    assert sum(values.values()) == len(browsers)


def test_profiles_of_other_contracts_or_environments_do_not_merge(contract: Any) -> None:
    training = Profile(contract.name, contract.version, "training")
    with pytest.raises(ValueError, match="cannot merge"):
        training.merge(Profile(contract.name, contract.version, "serving"))
    with pytest.raises(ValueError, match="cannot merge"):
        training.merge(Profile("other", "1.0.0", "training"))


# --- sketches ---------------------------------------------------------------------------------


@given(
    st.lists(
        st.floats(-1e12, 1e12, allow_nan=False).filter(lambda x: x == 0 or abs(x) > 1e-6),
        min_size=1,
        max_size=300,
    ),
    st.floats(0, 1),
)
def test_a_sketch_quantile_is_within_alpha_of_the_true_one(values: list[float], q: float) -> None:
    sketch = Sketch()
    sketch.add(np.array(values, dtype=np.float64))
    found = sketch.quantile(q)
    true = float(np.quantile(np.array(values), q, method="lower"))
    assert found is not None
    assert math.isclose(found, true, rel_tol=ALPHA * 1.0001, abs_tol=1e-9), (found, true)


def test_an_empty_sketch_has_no_quantile() -> None:
    assert Sketch().quantile(0.5) is None
    assert Sketch().count == 0


def test_a_sketch_is_small_whatever_the_number_of_values() -> None:
    sketch = Sketch()
    rng = np.random.default_rng(0)
    sketch.add(rng.lognormal(3, 1, 1_000_000))
    assert sketch.count == 1_000_000
    assert len(sketch.positive) < 1000  # buckets of 1%: a few hundred over six decades


# --- what is counted --------------------------------------------------------------------------


def test_the_demo_file_profile_counts_what_arrived(contract: Any) -> None:
    made = profile(contract, DATA / "user_events.csv", env="training")
    raw = pd.read_csv(DATA / "user_events.csv", dtype=str, keep_default_na=False)
    assert made.rows == len(raw)
    assert made.undeclared == {"sessions": len(raw)}  # session_count arrived renamed
    age = made.columns["user_age"]
    assert age.nulls == int((raw["user_age"] == "").sum())
    browsers = made.columns["browser_type"].values
    assert browsers is not None
    assert sum(browsers.values()) == len(raw) - made.columns["browser_type"].nulls
    assert any(name.startswith("Mozilla/5.0") for name in browsers)  # unseen values kept
    stamps = made.columns["last_purchase_at"]
    assert stamps.offsets is not None
    assert stamps.offsets["Z"] > 0
    assert sum(stamps.offsets.values()) == len(raw) - stamps.nulls
    assert stamps.invalid == 2  # two values that are not datetimes: invalid, not null


def test_nulls_are_counted_before_fill_null_and_unseen_before_map_to(contract: Any) -> None:
    frame = pd.DataFrame(
        {"click_rate": [None, 0.5, None, None], "os": ["Plan9", "Linux", "Plan9", "BeOS"]}
    )
    made = profile(contract, frame, env="serving")
    assert made.columns["click_rate"].nulls == 3  # fill_null: 0.0 did not hide them
    assert made.columns["os"].values == {"Plan9": 2, "Linux": 1, "BeOS": 1}  # not mapped to Other


def test_hours_are_counted_in_the_column_zone(contract: Any) -> None:
    instants = pd.to_datetime(["2024-01-15T12:00:00Z", "2024-07-15T12:00:00Z"], utc=True)
    frame = pd.DataFrame({"last_purchase_at": instants, "local_time": instants})
    made = profile(contract, frame, env="serving")
    utc, pacific = made.columns["last_purchase_at"], made.columns["local_time"]
    assert utc.hours is not None
    assert pacific.hours is not None
    assert utc.hours[12] == 2
    assert pacific.hours[4] == 1  # PST, UTC-8
    assert pacific.hours[5] == 1  # PDT, UTC-7
    assert utc.offsets == {"UTC": 2}


def test_nan_and_infinities_are_not_nulls(contract: Any) -> None:
    # An Arrow-backed column, where NaN is a value and None a null, as the engine reads them (a
    # NaN in a plain float64 column is pandas' null, and read as one).
    import pyarrow as pa

    arrow = pa.array([math.nan, math.inf, -math.inf, 1.0, None], pa.float64())
    values = pd.Series(pd.arrays.ArrowExtensionArray(arrow))
    column = profile(contract, pd.DataFrame({"basket_value": values}), env="serving")
    basket = column.columns["basket_value"]
    assert basket.nans == 1
    assert basket.infinities == 2
    assert basket.nulls == 1
    assert basket.low == basket.high == 1.0


def test_a_label_sent_to_serving_is_counted_as_undeclared(contract: Any) -> None:
    frame = pd.DataFrame({"user_id": [1, 2], "label": [True, False]})
    assert profile(contract, frame, env="serving").undeclared == {"label": 2}
    assert "label" in profile(contract, frame, env="training").columns


def test_the_json_form_round_trips(contract: Any) -> None:
    made = profile(contract, DATA / "user_events.csv", env="training")
    text = made.to_json()
    assert Profile.from_json(text).to_json() == text
    doc = json.loads(text)
    assert doc["format"] == "skewless-profile/1"
    assert doc["env"] == "training"


HEAD = '{"format": "skewless-profile/1", "contract": "x", "version": "1.0.0", '
COUNTS = '{"type": "datetime", "rows": 1, "nulls": 0, "invalid": 0, "nans": 0, "infinities": 0'


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        "{}",
        '{"format": "skewless-profile/1"}',
        "\x00",
        '{"format": "other"}',
        "{" * 99,
        "[" * 100_000,
        HEAD + '"rows": 1, "columns": []}',
        HEAD + '"rows": "many", "columns": {}}',
        HEAD + '"rows": 1, "columns": {}, "undeclared": [1]}',
        HEAD + '"rows": 1, "columns": {"a": {"type": "integer", "rows": 1}}}',
        HEAD + '"rows": 1, "columns": {"a": ' + COUNTS + ', "hours": [1], "weekdays": [],'
        ' "offsets": {}}}}',
        HEAD + '"rows": 1, "columns": {"a": ' + COUNTS + ', "sketch": {"zero": 0,'
        ' "positive": {"x": 1}, "negative": {}}}}}',
    ],
)
def test_what_is_not_a_profile_is_refused_clearly(text: str) -> None:
    with pytest.raises(ValueError, match="profile"):
        Profile.from_json(text)


def test_hostile_csv_cells_are_counted_not_fatal(contract: Any, tmp_path: Path) -> None:
    path = tmp_path / "hostile.csv"
    path.write_bytes(
        b"user_id,last_purchase_at,comment\n"
        b"1,2024-05-01T08:00:00\xff\xfeZ,a\x00b\n"
        b"2,2024-05-01T08:00:00Z,\xf0\x9f\x98\x80\n"
        b"3,,\n"
    )
    made = profile(contract, path, env="serving")
    stamps = made.columns["last_purchase_at"]
    assert stamps.rows == 3
    assert stamps.invalid + stamps.nulls + stamps.present == 3
    assert stamps.present == 1


# --- the command line -------------------------------------------------------------------------


def test_the_command_writes_and_merges_profiles(tmp_path: Path) -> None:
    contract = CONTRACTS / "user_features.yaml"
    first = skewless_cli(
        "profile", contract, DATA / "user_events.csv", "--env", "training", "-o", "a.json",
        cwd=tmp_path,
    )  # fmt: skip
    assert first.code == 0, first.err
    assert "profiled 40 rows" in first.err
    second = skewless_cli(
        "profile", contract, DATA / "user_events_clean.csv", "--env", "training",
        "--merge", "a.json", cwd=tmp_path,
    )  # fmt: skip
    assert second.code == 0, second.err
    merged = json.loads(second.out)
    loaded = skewless.load_contract(contract)
    both = profile(loaded, DATA / "user_events.csv", env="training").merge(
        profile(loaded, DATA / "user_events_clean.csv", env="training")
    )
    assert merged == both.to_dict()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("missing.csv",), "missing.csv: no such file"),
        ((), "give DATA to profile, or --merge"),
        (("--merge", "junk.json"), "not a readable skewless profile"),
        (("--merge", "absent.json"), "absent.json: "),
        (("--merge", "serving.json", "--env", "training"), "cannot merge a profile"),
        (("empty.csv",), "empty.csv"),
        ((str(DATA / "user_events.csv"), "-o", "nodir/out.json"), "does not exist"),
    ],
)
def test_what_cannot_be_profiled_exits_2(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "junk.json").write_text("not json\x00")
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "serving.json").write_text(Profile("user_features", "2.1.0", "serving").to_json())
    run = skewless_cli("profile", CONTRACTS / "user_features.yaml", *args, cwd=tmp_path)
    assert run.code == 2, run.out + run.err
    assert message in run.error_line()


def test_the_python_example_in_docs_drift_md_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    doc = (ROOT / "docs" / "drift.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", doc, re.S)
    assert blocks
    monkeypatch.chdir(ROOT)
    for block in blocks:
        exec(compile(block, "docs/drift.md", "exec"), {})  # noqa: S102 - the project's own docs
