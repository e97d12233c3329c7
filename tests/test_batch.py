"""The batch engine on DataFrames: structure, types, nulls, normalisation, report order."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import skewless
from skewless import Code

BASE = """
contract: t
version: 1.0.0
timezone: UTC
columns:
  user_id: {type: integer, unique: true}
  browser: {type: category, values: [Chrome, Safari, Other], unknown: {map_to: Other}}
  age: {type: integer, min: 13, max: 120, nullable: true, fill_null: 35}
  seen_at: {type: datetime}
  local: {type: datetime, timezone: America/Los_Angeles, naive: assume}
  label: {type: boolean, only_in: training}
"""


@pytest.fixture
def contract() -> skewless.Contract:
    return skewless.loads_contract(BASE)


def frame(**overrides: object) -> pd.DataFrame:
    data: dict[str, object] = {
        "user_id": [1, 2, 3],
        "browser": ["Chrome", "Netscape", None],
        "age": pd.array([20, None, 40], dtype="Int64"),
        "seen_at": pd.to_datetime(["2024-01-01T00:00Z"] * 3),
        "local": pd.to_datetime(["2024-06-01 10:00"] * 3),
    }
    data.update(overrides)
    return pd.DataFrame(data)


def codes(report: skewless.Report) -> set[tuple[str, str | None, int | None]]:
    return {(v.code, v.column, v.row) for v in report.violations}


def test_clean_frame_passes(contract: skewless.Contract) -> None:
    report = contract.validate(frame(browser=["Chrome", "Netscape", "Safari"]))
    assert report.ok, report.summary()
    assert report.rows == 3
    assert report.rows_failed == 0


def test_nulls_in_a_non_nullable_category_are_violations(contract: skewless.Contract) -> None:
    report = contract.validate(frame())
    assert codes(report) == {("null_not_allowed", "browser", 2)}


def test_normalize_fills_maps_and_converts_zones(contract: skewless.Contract) -> None:
    out = contract.normalize(frame(browser=["Chrome", "Netscape", "Safari"]))
    assert out["browser"].tolist() == ["Chrome", "Other", "Safari"]
    assert out["age"].tolist() == [20, 35, 40]
    # 10:00 wall time in Los Angeles in June is 17:00 UTC
    assert out["local"].iloc[0] == pd.Timestamp("2024-06-01T17:00Z")
    assert str(out["local"].dtype.pyarrow_dtype.tz) == "America/Los_Angeles"


def test_normalize_refuses_invalid_data(contract: skewless.Contract) -> None:
    with pytest.raises(skewless.ViolationError) as info:
        contract.normalize(frame())
    assert info.value.report.counts == {"null_not_allowed": 1}
    assert "null_not_allowed x1" in str(info.value)


def test_renamed_column_is_reported_with_a_hint(contract: skewless.Contract) -> None:
    data = frame(browser=["Chrome", "Safari", "Other"]).rename(columns={"browser": "browser_name"})
    report = contract.validate(data)
    missing = [v for v in report.violations if v.code == "missing_column"]
    extra = [v for v in report.violations if v.code == "unexpected_column"]
    assert [v.column for v in missing] == ["browser"]
    assert "renamed to 'browser_name'?" in missing[0].message
    assert [v.column for v in extra] == ["browser_name"]
    assert "renamed from 'browser'?" in extra[0].message


def test_rename_hint_by_type_when_names_differ(contract: skewless.Contract) -> None:
    data = frame(browser=["Chrome", "Safari", "Other"]).rename(columns={"user_id": "uid"})
    report = contract.validate(data)
    missing = next(v for v in report.violations if v.code == "missing_column")
    assert "renamed to 'uid'?" in missing.message


def test_only_in_columns_follow_the_environment(contract: skewless.Contract) -> None:
    good = frame(browser=["Chrome", "Safari", "Other"])
    with_label = good.assign(label=[True, False, True])
    assert contract.validate(good).ok  # no env: only_in columns are optional
    assert contract.validate(with_label).ok
    assert codes(contract.validate(good, env="training")) == {("missing_column", "label", None)}
    assert contract.validate(with_label, env="training").ok
    serving = contract.validate(with_label, env="serving")
    assert codes(serving) == {("unexpected_column", "label", None)}
    assert contract.validate(good, env="serving").ok


@pytest.mark.parametrize(
    ("policy", "ok", "kept"),
    [("reject", False, False), ("allow", True, True), ("drop", True, False)],
)
def test_extra_columns_policy(policy: str, ok: bool, kept: bool) -> None:
    contract = skewless.loads_contract(
        f"contract: t\nversion: 1.0.0\nextra_columns: {policy}\ncolumns:\n  a: {{type: integer}}\n"
    )
    data = pd.DataFrame({"a": [1, 2], "debug": ["x", "y"]})
    assert contract.validate(data).ok is ok
    if ok:
        assert ("debug" in contract.normalize(data).columns) is kept


@pytest.mark.parametrize(
    "values",
    [
        pd.array([1, 2, None], dtype="Int64"),
        pd.array([1, 2, None], dtype=pd.ArrowDtype(pa.int32())),
        pd.Series([1, 2, None], dtype=object),
        pd.array(np.array([1, 2, 3], dtype=np.uint8)),
    ],
    ids=["Int64", "arrow-int32", "object", "uint8"],
)
def test_integer_columns_from_any_integer_dtype(values: object) -> None:
    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n  a: {type: integer, nullable: true, max: 2}\n"
    )
    report = contract.validate(pd.DataFrame({"a": values}))
    assert report.counts == ({"out_of_range": 1} if len(report.violations) else {})


def test_float_column_from_integers_is_fine_but_booleans_are_not() -> None:
    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n  x: {type: float}\n"
    )
    assert contract.validate(pd.DataFrame({"x": [1, 2, 3]})).ok
    report = contract.validate(pd.DataFrame({"x": [True, False]}))
    assert report.counts == {"wrong_type": 2}


def test_nan_is_not_a_null_where_pandas_can_tell() -> None:
    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n  x: {type: float, nullable: true}\n"
    )
    # Built from a pyarrow array: pandas itself turns a Python NaN into a null on construction.
    arrow = pd.arrays.ArrowExtensionArray(pa.array([1.0, float("nan"), None]))
    assert codes(contract.validate(pd.DataFrame({"x": arrow}))) == {("nan_not_allowed", "x", 1)}
    obj = pd.Series([1.0, float("nan"), None], dtype=object)
    assert codes(contract.validate(pd.DataFrame({"x": obj}))) == {("nan_not_allowed", "x", 1)}
    # numpy float64: NaN is pandas' null marker, so it reads as a null
    assert contract.validate(pd.DataFrame({"x": [1.0, np.nan]})).ok


def test_categorical_dtype_and_pyarrow_strings_read_as_strings(contract: skewless.Contract) -> None:
    cat = pd.Categorical(["Chrome", "Safari", "Other"])
    assert contract.validate(frame(browser=cat)).ok
    arrow = pd.array(["Chrome", "Safari", "Other"], dtype=pd.ArrowDtype(pa.string()))
    assert contract.validate(frame(browser=arrow)).ok


def test_datetimes_from_objects_and_iso_strings(contract: skewless.Contract) -> None:
    aware = [dt.datetime(2024, 1, 1, tzinfo=dt.UTC)] * 3
    iso = ["2024-01-01T00:00:00Z", "2024-01-01T01:00:00+01:00", "2024-01-01 00:00"]
    report = contract.validate(frame(browser=["Chrome"] * 3, seen_at=aware))
    assert report.ok
    report = contract.validate(frame(browser=["Chrome"] * 3, seen_at=iso))
    assert codes(report) == {("naive_datetime", "seen_at", 2)}


def test_duplicate_column_names_cannot_be_judged(contract: skewless.Contract) -> None:
    data = pd.DataFrame([[1, 2]], columns=["user_id", "user_id"])
    with pytest.raises(skewless.InputError, match="duplicate column names"):
        contract.validate(data)


def test_not_a_dataframe_cannot_be_judged(contract: skewless.Contract) -> None:
    with pytest.raises(skewless.InputError, match="expected a pandas DataFrame"):
        contract.validate([{"user_id": 1}])  # type: ignore[arg-type]


def test_unique_keeps_the_first_and_ignores_nulls() -> None:
    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n  a: {type: integer, unique: true, nullable: true}\n"
    )
    data = pd.DataFrame({"a": pd.array([1, None, 1, None, 2, 1], dtype="Int64")})
    assert codes(contract.validate(data)) == {("not_unique", "a", 2), ("not_unique", "a", 5)}


def test_compound_unique_reports_each_row_once() -> None:
    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n  a: {type: integer}\n  b: {type: string}\n"
        "checks:\n  unique: [[a, b]]\n"
    )
    data = pd.DataFrame({"a": [1, 1, 1, 2], "b": ["x", "y", "x", "x"]})
    report = contract.validate(data)
    assert [(v.code, v.row, v.value) for v in report.violations] == [
        ("duplicate_key", 2, "(1, 'x')")
    ]


def test_report_order_and_lazy_cap() -> None:
    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n  a: {type: integer, max: 0}\n  b: {type: integer, max: 0}\n"
    )
    n = 100_000
    data = pd.DataFrame({"a": np.ones(n, dtype=np.int64), "b": np.ones(n, dtype=np.int64)})
    report = contract.validate(data)
    assert report.total == 2 * n
    assert report.rows_failed == n
    first = list(report.iter_violations(4))
    assert [(v.row, v.column) for v in first] == [(0, "a"), (0, "b"), (1, "a"), (1, "b")]
    doc = report.to_dict(max_violations=10)
    assert len(doc["violations"]) == 10
    assert doc["truncated"] is True
    assert doc["counts"] == {"out_of_range": 2 * n}


def test_raise_for_violations() -> None:
    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n  a: {type: integer, min: 0}\n"
    )
    contract.validate(pd.DataFrame({"a": [1]})).raise_for_violations()
    with pytest.raises(skewless.ViolationError, match="out_of_range x1"):
        contract.validate(pd.DataFrame({"a": [-1]})).raise_for_violations()


def test_every_code_of_the_report_is_a_known_code(contract: skewless.Contract) -> None:
    report = contract.validate(frame(user_id=["a", "b", "c"]))
    assert {v.code for v in report.violations} <= {c.value for c in Code}


def test_nanosecond_timestamps_are_read_like_the_per_value_form() -> None:
    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n"
        "  a: {type: datetime, timezone: UTC}\n  n: {type: datetime, timezone: UTC, naive: assume}\n"
    )
    aware = pd.Series(pd.to_datetime(["1969-12-31T23:59:59.999999999Z"], format="ISO8601"))
    naive = pd.Series(pd.to_datetime(["2024-01-01T00:00:00.000000999"], format="ISO8601"))
    out = contract.normalize(pd.DataFrame({"a": aware, "n": naive}))
    assert out["a"].iloc[0] == pd.Timestamp(aware.iloc[0].to_pydatetime(warn=False))
    assert out["n"].iloc[0] == pd.Timestamp("2024-01-01T00:00Z")


def test_timestamps_outside_python_years_are_out_of_range() -> None:
    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n  a: {type: datetime, timezone: UTC}\n"
    )
    seconds = pa.array([0, 10**12 * 300], pa.timestamp("s", tz="UTC"))
    report = contract.validate(pd.DataFrame({"a": pd.arrays.ArrowExtensionArray(seconds)}))
    assert codes(report) == {("out_of_range", "a", 1)}


def test_rename_hint_escapes_odd_names_once(contract: skewless.Contract) -> None:
    data = frame(browser=["Chrome", "Safari", "Other"]).rename(columns={"browser": "brow\nser"})
    missing = next(v for v in contract.validate(data).violations if v.code == "missing_column")
    assert missing.message.endswith("renamed to 'brow\\nser'?")


@pytest.mark.parametrize(
    ("data", "ok"),
    [
        (pd.Series([1 + 2j, 3 + 0j]), False),  # no arrow array for complex: each value judged
        (pd.Series(pd.arrays.SparseArray([1.0, 2.5])), True),
        (pd.Series(np.array([1.5, 2.0], dtype=np.float16)), True),
    ],
    ids=["complex", "sparse", "float16"],
)
def test_dtypes_pyarrow_cannot_take_are_judged_value_by_value(data: pd.Series, ok: bool) -> None:
    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n"
        "  x: {type: float}\n  s: {type: string, coerce: true}\n"
    )
    report = contract.validate(pd.DataFrame({"x": data, "s": data.astype(object)}))
    codes = {(v.column, v.code) for v in report.violations}
    assert report.ok is ok, codes
    if not ok:  # a complex number is no float, nor text to coerce
        assert codes == {("x", "wrong_type"), ("s", "wrong_type")}
