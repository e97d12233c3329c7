"""Every contract key, through real DataFrames: one case where data passes, one where it fails.

For keys that only describe the contract (`contract`, `version`, `owner`, ...), the failing case
is the contract itself being refused. The last tests tie docs/contracts.md to the loader's key
lists and error codes, so the reference cannot fall behind the code.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import yaml

import skewless
import skewless.batch
from skewless import ContractError, ContractErrorCode
from skewless.loader import ALL_COLUMN_KEYS, TOP_KEYS

DOC = Path(__file__).resolve().parent.parent / "docs" / "contracts.md"
UTC = dt.UTC


def make(columns: str, top: str = "") -> skewless.Contract:
    """A contract from column lines (indented two spaces) and optional top-level lines."""
    return skewless.loads_contract(f"contract: t\nversion: 1.0.0\n{top}columns:\n{columns}")


def refused(text: str) -> ContractError:
    with pytest.raises(ContractError) as info:
        skewless.loads_contract(text)
    return info.value


def found(report: skewless.Report) -> set[tuple[str, str | None, int | None]]:
    return {(v.code, v.column, v.row) for v in report.violations}


def check(contract: skewless.Contract, **columns: object) -> skewless.Report:
    return contract.validate(pd.DataFrame(columns))


def arrow_floats(values: list[float | None]) -> pd.Series:
    """A float column that keeps NaN apart from null (numpy float64 cannot)."""
    return pd.Series(pd.arrays.ArrowExtensionArray(pa.array(values, pa.float64())))


# --- top-level keys ---------------------------------------------------------------------------

ONE = "  x: {type: integer}\n"


def test_contract_accepted() -> None:
    loaded = skewless.loads_contract(f"contract: user_features_2\nversion: 1.0.0\ncolumns:\n{ONE}")
    assert loaded.name == "user_features_2"
    report = check(loaded, x=[1, 2])
    assert report.ok
    assert report.contract == "user_features_2"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("contract: User-Features\n", "invalid_value"),
        ("contract: 1st_contract\n", "invalid_value"),
        ("contract: user features\n", "invalid_value"),
        ("contract: ''\n", "invalid_value"),
        ("contract: 42\n", "invalid_type"),
        ("", "missing_key"),
    ],
)
def test_contract_rejected(line: str, code: str) -> None:
    error = refused(f"{line}version: 1.0.0\ncolumns:\n{ONE}")
    assert error.code.value == code
    assert error.path == ("contract" if line else "")


@pytest.mark.parametrize("version", ["1.0.0", "0.0.1", "2.1.0-rc.1", "1.0.0+build.5", "10.20.30"])
def test_version_accepted(version: str) -> None:
    contract = skewless.loads_contract(f"contract: t\nversion: {version}\ncolumns:\n{ONE}")
    report = check(contract, x=[1])
    assert (report.ok, report.version) == (True, version)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2.1", "invalid_type"),
        ("2", "invalid_type"),
        ("'2.1'", "invalid_value"),
        ("v1.0.0", "invalid_value"),
        ("01.0.0", "invalid_value"),
        ("1.0.0.0", "invalid_value"),
        ("latest", "invalid_value"),
    ],
)
def test_version_rejected(value: str, code: str) -> None:
    error = refused(f"contract: t\nversion: {value}\ncolumns:\n{ONE}")
    assert (error.code.value, error.path, error.line) == (code, "version", 2)


def test_version_missing() -> None:
    error = refused(f"contract: t\ncolumns:\n{ONE}")
    assert (error.code, error.message) == (
        ContractErrorCode.MISSING_KEY,
        "missing required key 'version'",
    )


@pytest.mark.parametrize("key", ["owner", "description"])
def test_owner_and_description_accepted(key: str) -> None:
    contract = make(ONE, top=f"{key}: 'ML platform: feature store, 2024-01-01'\n")
    assert getattr(contract, key) == "ML platform: feature store, 2024-01-01"
    assert check(contract, x=[1]).ok


@pytest.mark.parametrize("key", ["owner", "description"])
@pytest.mark.parametrize("value", ["[a, b]", "{team: ml}", "12", "true", "~"])
def test_owner_and_description_rejected(key: str, value: str) -> None:
    error = refused(f"contract: t\nversion: 1.0.0\n{key}: {value}\ncolumns:\n{ONE}")
    assert (error.code, error.path) == (ContractErrorCode.INVALID_TYPE, key)


def test_top_level_timezone_accepted() -> None:
    contract = make("  at: {type: datetime, other_zones: reject}\n", top="timezone: Europe/Paris\n")
    assert contract.column("at").timezone == "Europe/Paris"
    data = pd.DataFrame({"at": ["2024-01-15T09:00:00+01:00", "2024-07-15T09:00:00+02:00"]})
    assert contract.validate(data).ok
    out = contract.normalize(data)["at"]
    assert str(out.dtype.pyarrow_dtype.tz) == "Europe/Paris"
    assert out.iloc[0] == pd.Timestamp("2024-01-15T08:00:00Z")


def test_top_level_timezone_rejected() -> None:
    contract = make("  at: {type: datetime, other_zones: reject}\n", top="timezone: Europe/Paris\n")
    report = check(contract, at=["2024-01-15T09:00:00+01:00", "2024-01-15T08:00:00Z"])
    assert found(report) == {("wrong_timezone", "at", 1)}
    for zone in ("Mars/Olympus", "+02:00", "localtime", "utc", "CEST"):
        error = refused(f"contract: t\nversion: 1.0.0\ntimezone: {zone}\ncolumns:\n{ONE}")
        assert (error.code, error.path) == (ContractErrorCode.UNKNOWN_TIMEZONE, "timezone")


@pytest.mark.parametrize(
    ("policy", "ok", "kept"),
    [(None, False, False), ("reject", False, False), ("allow", True, True), ("drop", True, False)],
)
def test_extra_columns(policy: str | None, ok: bool, kept: bool) -> None:
    top = f"extra_columns: {policy}\n" if policy else ""
    contract = make(ONE, top=top)
    data = pd.DataFrame({"x": [1, 2], "debug": ["a", "b"]})
    report = contract.validate(data)
    assert report.ok is ok
    if not ok:
        assert found(report) == {("unexpected_column", "debug", None)}
        with pytest.raises(skewless.ViolationError):
            contract.normalize(data)
    else:
        assert ("debug" in contract.normalize(data).columns) is kept


def test_extra_columns_rejected_value() -> None:
    error = refused(f"contract: t\nversion: 1.0.0\nextra_columns: ignore\ncolumns:\n{ONE}")
    assert (error.code, error.path) == (ContractErrorCode.INVALID_VALUE, "extra_columns")


def test_columns_accepted_and_rejected() -> None:
    contract = make("  x: {type: integer}\n  y: {type: string}\n")
    assert contract.column_names == ("x", "y")
    assert check(contract, x=[1], y=["a"]).ok
    assert found(check(contract, x=[1])) == {("missing_column", "y", None)}
    for body in ("columns: {}\n", "columns: [x, y]\n", "columns: x\n", ""):
        error = refused(f"contract: t\nversion: 1.0.0\n{body}")
        assert error.code in (
            ContractErrorCode.INVALID_VALUE,
            ContractErrorCode.INVALID_TYPE,
            ContractErrorCode.MISSING_KEY,
        )


def test_checks_accepted_and_rejected() -> None:
    contract = make(
        "  x: {type: integer}\n  y: {type: integer}\n",
        top="checks:\n  unique: [[x, y]]\n  rows: {min: 2}\n",
    )
    assert check(contract, x=[1, 1], y=[1, 2]).ok
    assert found(check(contract, x=[1, 1], y=[1, 1])) == {("duplicate_key", "x, y", 1)}
    assert found(check(contract, x=[1], y=[1])) == {("row_count", None, None)}
    error = refused(f"contract: t\nversion: 1.0.0\ncolumns:\n{ONE}checks:\n  uniq: [[x]]\n")
    assert (error.code, error.hint) == (ContractErrorCode.UNKNOWN_KEY, "did you mean 'unique'?")


# --- column keys: type ------------------------------------------------------------------------

TYPE_CASES = {
    "integer": (
        [pd.Series([1, -(2**63), 2**63 - 1]), pd.array([1, None], dtype="Int64"), [np.int32(5)]],
        [[1.5], [1.0, 2.0], [True], ["42"]],
    ),
    "float": (
        [[1.5, 2.0], [1, 2], pd.array([0.5, None], dtype="Float64")],
        [["1.5"], [True]],
    ),
    "boolean": (
        [[True, False], pd.array([True, None], dtype="boolean"), [np.bool_(True)]],
        [[1, 0], ["true"], [1.0]],
    ),
    "string": (
        [["a", "é", ""], pd.Series(["x"], dtype="string"), pd.Series(["x"], dtype="str")],
        [[1], [1.5], [b"bytes"]],
    ),
    "category": (
        [["a", "b"], pd.Categorical(["a", "b"])],
        [[1], [True]],
    ),
    "datetime": (
        [
            ["2024-01-01T00:00:00Z", "2024-01-01 01:00+01:00", "2024-01-01T00:00:00.123456Z"],
            pd.to_datetime(["2024-01-01T00:00:00Z"]),
            pd.to_datetime(["2024-01-01T00:00:00"]).tz_localize("Asia/Tokyo"),
            [dt.datetime(2024, 1, 1, tzinfo=UTC)],
            [pd.Timestamp("2024-01-01", tz="UTC")],
        ],
        [["2024-01-01"], [1_700_000_000], [dt.date(2024, 1, 1)], ["yesterday"]],
    ),
    "date": (
        [["2024-01-01", "2024-02-29"], [dt.date(2024, 1, 1)]],
        [
            ["2024-01-01T00:00:00Z"],
            ["2023-02-29"],
            ["2024-1-1"],
            pd.to_datetime(["2024-01-01"]),
            [dt.datetime(2024, 1, 1, tzinfo=UTC)],
        ],
    ),
}


def _typed(ctype: str) -> skewless.Contract:
    extra = ", values: [a, b]" if ctype == "category" else ""
    extra += ", timezone: UTC" if ctype == "datetime" else ""
    return make(f"  v: {{type: {ctype}, nullable: true{extra}}}\n")


@pytest.mark.parametrize(
    ("ctype", "values"),
    [(t, v) for t, (good, _) in TYPE_CASES.items() for v in good],
)
def test_type_accepted(ctype: str, values: object) -> None:
    report = check(_typed(ctype), v=values)
    assert report.ok, report.summary()


@pytest.mark.parametrize(
    ("ctype", "values"),
    [(t, v) for t, (_, bad) in TYPE_CASES.items() for v in bad],
)
def test_type_rejected(ctype: str, values: object) -> None:
    report = check(_typed(ctype), v=values)
    assert set(report.counts) == {"wrong_type"}, report.summary()


def test_integer_overflow_and_bad_type_names() -> None:
    report = check(_typed("integer"), v=pd.Series([2**63], dtype="uint64"))
    assert report.counts == {"integer_overflow": 1}
    error = refused("contract: t\nversion: 1.0.0\ncolumns:\n  v: {type: int}\n")
    assert (error.code, error.hint) == (ContractErrorCode.INVALID_VALUE, "did you mean 'integer'?")
    error = refused("contract: t\nversion: 1.0.0\ncolumns:\n  v: {nullable: true}\n")
    assert error.code is ContractErrorCode.MISSING_KEY


# --- column keys every type takes -------------------------------------------------------------


def test_description_accepted_and_rejected() -> None:
    contract = make("  x: {type: integer, description: 'Stable id: never reused.'}\n")
    assert contract.column("x").description == "Stable id: never reused."
    assert check(contract, x=[1]).ok
    error = refused("contract: t\nversion: 1.0.0\ncolumns:\n  x: {type: integer, description: 5}\n")
    assert (error.code, error.path) == (ContractErrorCode.INVALID_TYPE, "columns.x.description")


def test_nullable() -> None:
    data = {"x": pd.array([1, None], dtype="Int64"), "s": ["a", None]}
    strict = make("  x: {type: integer}\n  s: {type: string}\n")
    assert found(strict.validate(pd.DataFrame(data))) == {
        ("null_not_allowed", "x", 1),
        ("null_not_allowed", "s", 1),
    }
    loose = make("  x: {type: integer, nullable: true}\n  s: {type: string, nullable: true}\n")
    assert loose.validate(pd.DataFrame(data)).ok
    error = refused("contract: t\nversion: 1.0.0\ncolumns:\n  x: {type: integer, nullable: no}\n")
    assert (error.code, error.hint) == (ContractErrorCode.INVALID_TYPE, "write true or false")


def test_fill_null_accepted_and_applied() -> None:
    contract = make(
        "  age: {type: integer, min: 13, nullable: true, fill_null: 35}\n"
        "  browser: {type: category, values: [Chrome, Other], nullable: true, fill_null: Other}\n"
        "  day: {type: date, nullable: true, fill_null: '1970-01-01'}\n"
        "  at: {type: datetime, timezone: UTC, nullable: true, fill_null: '2024-01-01T00:00:00Z'}\n"
    )
    data = pd.DataFrame(
        {
            "age": pd.array([20, None], dtype="Int64"),
            "browser": ["Chrome", None],
            "day": ["2024-05-01", None],
            "at": ["2024-05-01T00:00:00Z", None],
        }
    )
    assert contract.validate(data).ok
    out = contract.normalize(data)
    assert out["age"].tolist() == [20, 35]
    assert out["browser"].tolist() == ["Chrome", "Other"]
    assert out["day"].tolist() == [dt.date(2024, 5, 1), dt.date(1970, 1, 1)]
    assert out["at"].iloc[1] == pd.Timestamp("2024-01-01T00:00:00Z")


def test_fill_null_rejected() -> None:
    # The contract: a fill that fails its own column, or a fill on a non-nullable column.
    error = refused(
        "contract: t\nversion: 1.0.0\ncolumns:\n"
        "  age: {type: integer, min: 13, nullable: true, fill_null: -1}\n"
    )
    assert (error.code, error.path) == (
        ContractErrorCode.FILL_NULL_INVALID,
        "columns.age.fill_null",
    )
    error = refused(
        "contract: t\nversion: 1.0.0\ncolumns:\n  age: {type: integer, fill_null: 20}\n"
    )
    assert error.code is ContractErrorCode.INVALID_VALUE
    # The data: a fill never hides invalid values; normalize refuses the batch.
    contract = make("  age: {type: integer, min: 13, nullable: true, fill_null: 35}\n")
    data = pd.DataFrame({"age": pd.array([5, None], dtype="Int64")})
    assert found(contract.validate(data)) == {("out_of_range", "age", 0)}
    with pytest.raises(skewless.ViolationError):
        contract.normalize(data)


def test_required() -> None:
    optional = make("  x: {type: integer}\n  debug: {type: string, required: false}\n")
    assert check(optional, x=[1]).ok
    assert found(check(optional, x=[1], debug=[5])) == {("wrong_type", "debug", 0)}
    required = make("  x: {type: integer}\n  debug: {type: string}\n")
    assert found(check(required, x=[1])) == {("missing_column", "debug", None)}
    error = refused(
        "contract: t\nversion: 1.0.0\ncolumns:\n  x: {type: integer, required: maybe}\n"
    )
    assert error.code is ContractErrorCode.INVALID_TYPE


def test_unique() -> None:
    contract = make("  x: {type: integer, unique: true, nullable: true}\n")
    assert check(contract, x=pd.array([1, 2, None, None], dtype="Int64")).ok  # nulls never repeat
    report = check(contract, x=[1, 2, 1, 1])
    assert found(report) == {("not_unique", "x", 2), ("not_unique", "x", 3)}
    assert check(make("  x: {type: integer}\n"), x=[1, 1]).ok  # default: repeats are fine


def test_coerce() -> None:
    strict = make("  x: {type: integer}\n  b: {type: boolean}\n  s: {type: string}\n")
    data = pd.DataFrame({"x": ["42", "-7"], "b": ["true", "FALSE"], "s": [1, 2]})
    assert set(strict.validate(data).counts) == {"wrong_type"}
    loose = make(
        "  x: {type: integer, coerce: true}\n"
        "  b: {type: boolean, coerce: true}\n"
        "  s: {type: string, coerce: true}\n"
    )
    assert loose.validate(data).ok
    out = loose.normalize(data)
    assert (out["x"].tolist(), out["b"].tolist(), out["s"].tolist()) == (
        [42, -7],
        [True, False],
        ["1", "2"],
    )
    assert check(loose, x=[1.0, 2.0], b=[1, 0], s=[1.5, 2.5]).ok  # exact conversions only
    report = check(loose, x=["4x2", " 42", "1.5"], b=["yes", "1", "no"], s=["a", "b", "c"])
    assert report.counts == {"wrong_type": 6}


def test_only_in() -> None:
    contract = make("  x: {type: integer}\n  label: {type: boolean, only_in: training}\n")
    with_label = pd.DataFrame({"x": [1], "label": [True]})
    without = pd.DataFrame({"x": [1]})
    assert contract.validate(with_label, env="training").ok
    assert contract.validate(without, env="serving").ok
    assert contract.validate(without).ok  # no environment: optional
    assert found(contract.validate(without, env="training")) == {("missing_column", "label", None)}
    assert found(contract.validate(with_label, env="serving")) == {
        ("unexpected_column", "label", None)
    }
    error = refused("contract: t\nversion: 1.0.0\ncolumns:\n  x: {type: integer, only_in: train}\n")
    assert (error.code, error.hint) == (ContractErrorCode.INVALID_VALUE, "did you mean 'training'?")


def test_pii() -> None:
    contract = make(
        "  email: {type: string, pattern: '^[^@]+@[^@]+$', pii: true}\n"
        "  note: {type: string, pattern: '^[^@]+@[^@]+$'}\n"
    )
    assert check(contract, email=["a@b.example"], note=["c@d.example"]).ok
    report = check(contract, email=["jane.doe at example"], note=["john at example"])
    values = {v.column: v.value for v in report.violations}
    assert values == {"email": "<redacted>", "note": "'john at example'"}
    assert "jane" not in str(report.to_dict())


def test_drift() -> None:
    from skewless.drift import thresholds_for

    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ndrift: {ks: 0.08, min_rows: 5000}\ncolumns:\n"
        "  a: {type: integer, drift: {ks: 0.2, alpha: 0.01}}\n  b: {type: category, values: [x]}\n"
    )
    a, b = contract.columns
    assert thresholds_for(contract, a)["ks"] == 0.2  # the column's, over the contract's
    assert thresholds_for(contract, a)["alpha"] == 0.01
    assert thresholds_for(contract, b)["ks"] == 0.08  # the contract's, over the default
    assert thresholds_for(contract, b)["min_rows"] == 5000
    assert thresholds_for(contract, b)["psi"] == 0.2  # the default
    for bad, code in [
        ("{ks: 1.5}", ContractErrorCode.INVALID_VALUE),
        ("{alpha: 1}", ContractErrorCode.INVALID_VALUE),
        ("{psi: 0}", ContractErrorCode.INVALID_VALUE),
        ("{ks: '0.1'}", ContractErrorCode.INVALID_TYPE),
        ("{ks: true}", ContractErrorCode.INVALID_TYPE),
        ("{kss: 0.1}", ContractErrorCode.UNKNOWN_KEY),
        ("{min_rows: 1.5}", ContractErrorCode.INVALID_TYPE),
        ("[ks]", ContractErrorCode.INVALID_TYPE),
    ]:
        error = refused(
            f"contract: t\nversion: 1.0.0\ndrift: {bad}\ncolumns:\n  a: {{type: date}}\n"
        )
        assert error.code == code, bad
        column = refused(
            f"contract: t\nversion: 1.0.0\ncolumns:\n  a: {{type: date, drift: {bad}}}\n"
        )
        assert column.code == code, bad


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("ctype", ["integer", "float"])
def test_min(ctype: str) -> None:
    contract = make(f"  x: {{type: {ctype}, min: 13}}\n")
    assert check(contract, x=[13, 14]).ok
    assert found(check(contract, x=[13, 12])) == {("out_of_range", "x", 1)}


@pytest.mark.parametrize("ctype", ["integer", "float"])
def test_max(ctype: str) -> None:
    contract = make(f"  x: {{type: {ctype}, max: 120}}\n")
    assert check(contract, x=[-5, 120]).ok
    assert found(check(contract, x=[120, 121])) == {("out_of_range", "x", 1)}


def test_min_max_rejected_contracts() -> None:
    head = "contract: t\nversion: 1.0.0\ncolumns:\n"
    cases = {
        "  x: {type: integer, min: 5, max: 1}\n": ContractErrorCode.INVALID_VALUE,
        "  x: {type: integer, min: 1.5}\n": ContractErrorCode.INVALID_TYPE,
        "  x: {type: integer, max: '10'}\n": ContractErrorCode.INVALID_TYPE,
        "  x: {type: float, max: .nan}\n": ContractErrorCode.INVALID_VALUE,
        "  x: {type: string, min: 1}\n": ContractErrorCode.NOT_APPLICABLE,
        "  x: {type: integer, min: 9223372036854775808}\n": ContractErrorCode.INVALID_VALUE,
    }
    for column, code in cases.items():
        assert refused(head + column).code is code, column


def test_allow_nan() -> None:
    data = arrow_floats([1.0, math.nan, None])
    strict = make("  x: {type: float, nullable: true}\n")
    assert found(check(strict, x=data)) == {("nan_not_allowed", "x", 1)}
    loose = make("  x: {type: float, nullable: true, allow_nan: true}\n")
    assert check(loose, x=data).ok
    # An object column keeps NaN as a value too; a numpy float64 column cannot (NaN is its null).
    assert found(check(strict, x=pd.Series([1.0, math.nan], dtype=object))) == {
        ("nan_not_allowed", "x", 1)
    }
    assert check(strict, x=[1.0, np.nan]).ok


def test_allow_inf() -> None:
    strict = make("  x: {type: float, max: 10}\n")
    report = check(strict, x=[1.0, math.inf, -math.inf])
    assert found(report) == {("inf_not_allowed", "x", 1), ("inf_not_allowed", "x", 2)}
    loose = make("  x: {type: float, allow_inf: true}\n")
    assert check(loose, x=[1.0, math.inf, -math.inf]).ok
    bounded = make("  x: {type: float, max: 10, allow_inf: true}\n")
    assert found(check(bounded, x=[-math.inf, math.inf])) == {("out_of_range", "x", 1)}


# --- categories -------------------------------------------------------------------------------


def test_values() -> None:
    contract = make("  c: {type: category, values: [NO, SE, DK]}\n")
    assert check(contract, c=["NO", "SE"]).ok
    report = check(contract, c=["NO", "no", "False", "FI"])
    assert found(report) == {
        ("not_in_vocabulary", "c", 1),
        ("not_in_vocabulary", "c", 2),
        ("not_in_vocabulary", "c", 3),
    }
    head = "contract: t\nversion: 1.0.0\ncolumns:\n"
    error = refused(head + "  c: {type: category, values: [1, 2]}\n")
    assert (error.code, error.hint) == (ContractErrorCode.INVALID_TYPE, "quote it: '1'")
    assert refused(head + "  c: {type: category, values: []}\n").code is (
        ContractErrorCode.INVALID_VALUE
    )
    assert refused(head + "  c: {type: category}\n").code is ContractErrorCode.MISSING_KEY
    assert refused(head + "  c: {type: string, values: [a]}\n").code is (
        ContractErrorCode.NOT_APPLICABLE
    )


def test_unknown_map_to() -> None:
    mapped = make("  os: {type: category, values: [Linux, Other], unknown: {map_to: Other}}\n")
    data = pd.DataFrame({"os": ["Linux", "Plan 9", "BeOS"]})
    assert mapped.validate(data).ok
    assert mapped.normalize(data)["os"].tolist() == ["Linux", "Other", "Other"]
    # unknown: reject (the default, also explicit)
    for column in (
        "  os: {type: category, values: [Linux, Other]}\n",
        "  os: {type: category, values: [Linux, Other], unknown: reject}\n",
    ):
        assert found(make(column).validate(data)) == {
            ("not_in_vocabulary", "os", 1),
            ("not_in_vocabulary", "os", 2),
        }
    error = refused(
        "contract: t\nversion: 1.0.0\ncolumns:\n"
        "  os: {type: category, values: [Linux, Other], unknown: {map_to: other}}\n"
    )
    assert (error.code, error.path, error.hint) == (
        ContractErrorCode.MAP_TO_NOT_IN_VALUES,
        "columns.os.unknown.map_to",
        "did you mean 'Other'?",
    )


def test_unknown_keeps_nulls_for_nullable() -> None:
    contract = make(
        "  os: {type: category, values: [Linux, Other], unknown: {map_to: Other}, nullable: true}\n"
    )
    out = contract.normalize(pd.DataFrame({"os": ["Linux", None]}))
    assert out["os"].iloc[0] == "Linux"
    assert out["os"].isna().iloc[1]


# --- strings ----------------------------------------------------------------------------------


def test_pattern() -> None:
    contract = make("  cc: {type: string, pattern: '^[A-Z]{2}$'}\n")
    assert check(contract, cc=["NO", "SE"]).ok
    report = check(contract, cc=["NO", "no", "NOR", "NO\n", ""])
    assert {row for _, _, row in found(report)} == {1, 2, 3, 4}
    assert set(report.counts) == {"pattern_mismatch"}
    unanchored = make("  cc: {type: string, pattern: '[A-Z]{2}'}\n")  # still a full match
    assert found(check(unanchored, cc=["NO", "xNOx"])) == {("pattern_mismatch", "cc", 1)}
    for pattern in ("'(a)\\1'", "'(?=x)x'", "'(abc'", "'a{2,1}'"):
        error = refused(
            f"contract: t\nversion: 1.0.0\ncolumns:\n  cc: {{type: string, pattern: {pattern}}}\n"
        )
        assert error.code is ContractErrorCode.INVALID_PATTERN, pattern


def test_min_length() -> None:
    contract = make("  s: {type: string, min_length: 2}\n")
    assert check(contract, s=["ab", "abc", "日本"]).ok
    assert found(check(contract, s=["ab", "a", ""])) == {
        ("too_short", "s", 1),
        ("too_short", "s", 2),
    }
    error = refused(
        "contract: t\nversion: 1.0.0\ncolumns:\n  s: {type: string, min_length: 3, max_length: 2}\n"
    )
    assert (error.code, error.path) == (ContractErrorCode.INVALID_VALUE, "columns.s.min_length")


def test_max_length() -> None:
    contract = make("  s: {type: string, max_length: 3}\n")
    assert check(contract, s=["abc", "日本語", "😀😀😀"]).ok  # code points, not bytes
    assert found(check(contract, s=["abc", "abcd"])) == {("too_long", "s", 1)}
    head = "contract: t\nversion: 1.0.0\ncolumns:\n"
    for value in ("-1", "0", "2.5", "'3'"):
        error = refused(head + f"  s: {{type: string, max_length: {value}}}\n")
        assert error.code in (ContractErrorCode.INVALID_VALUE, ContractErrorCode.INVALID_TYPE)


@pytest.mark.parametrize(
    ("charset", "good", "bad"),
    [
        ("ascii", ["plain", "tab\there"], ["café", "😀"]),
        ("bmp", ["café", "日本", "\uffff"], ["😀", "𝔘"]),
        ("unicode", ["café", "😀", "𝔘"], []),
    ],
)
def test_charset(charset: str, good: list[str], bad: list[str]) -> None:
    contract = make(f"  s: {{type: string, charset: {charset}}}\n")
    assert check(contract, s=good).ok
    if bad:
        report = check(contract, s=good + bad)
        assert report.counts == {"outside_charset": len(bad)}


def test_charset_rejected_value() -> None:
    error = refused("contract: t\nversion: 1.0.0\ncolumns:\n  s: {type: string, charset: utf8}\n")
    assert (error.code, error.path) == (ContractErrorCode.INVALID_VALUE, "columns.s.charset")


def test_allow_control() -> None:
    data = ["ok", "line\nbreak\ttab\r", "nul\x00", "bell\x07", "del\x7f", "\x1b[31mred"]
    strict = make("  s: {type: string}\n")
    report = check(strict, s=data)
    assert found(report) == {("control_character", "s", row) for row in (2, 3, 4, 5)}
    assert all("\x00" not in (v.value or "") for v in report.violations)
    loose = make("  s: {type: string, allow_control: true}\n")
    assert check(loose, s=data).ok


# --- datetimes --------------------------------------------------------------------------------


def test_column_timezone() -> None:
    contract = make(
        "  at: {type: datetime, timezone: America/Los_Angeles}\n", top="timezone: UTC\n"
    )
    data = pd.DataFrame({"at": ["2024-06-01T17:00:00Z", "2024-06-01T10:00:00-07:00"]})
    assert contract.validate(data).ok
    out = contract.normalize(data)["at"]
    assert str(out.dtype.pyarrow_dtype.tz) == "America/Los_Angeles"
    assert out.iloc[0] == out.iloc[1]
    error = refused(
        "contract: t\nversion: 1.0.0\ncolumns:\n  at: {type: datetime, timezone: Mars/Olympus}\n"
    )
    assert (error.code, error.path) == (ContractErrorCode.UNKNOWN_TIMEZONE, "columns.at.timezone")
    error = refused("contract: t\nversion: 1.0.0\ncolumns:\n  at: {type: datetime}\n")
    assert error.code is ContractErrorCode.MISSING_KEY


@pytest.mark.parametrize("ignore_timezone", [False, True])
def test_timezone_conversion_of_text_and_objects(
    monkeypatch: pytest.MonkeyPatch, ignore_timezone: bool
) -> None:
    # pandera sets PYARROW_IGNORE_TIMEZONE=1 when imported (for pyspark), and so do pyspark
    # users; with it, pyarrow reads a Python datetime's wall time as UTC. Zones must not care.
    skewless.batch.pandera_pandas()
    if ignore_timezone:
        monkeypatch.setenv("PYARROW_IGNORE_TIMEZONE", "1")
    else:
        monkeypatch.delenv("PYARROW_IGNORE_TIMEZONE", raising=False)
    contract = make(
        "  at: {type: datetime, naive: assume}\n"
        "  fill: {type: datetime, nullable: true, fill_null: '2024-01-01T00:00:00Z'}\n",
        top="timezone: America/Los_Angeles\n",
    )
    for column in (
        ["2024-06-01T10:00:00", "2024-06-01T19:00:00+02:00"],
        pd.Series(["2024-06-01T10:00:00", "2024-06-01T19:00:00+02:00"], dtype=object),
        [dt.datetime(2024, 6, 1, 10), dt.datetime(2024, 6, 1, 17, tzinfo=UTC)],
    ):
        data = pd.DataFrame({"at": column, "fill": [None, "2024-06-01T17:00:00Z"]})
        out = contract.normalize(data)
        assert out["at"].tolist() == [pd.Timestamp("2024-06-01T17:00:00Z")] * 2
        assert out["fill"].tolist() == [
            pd.Timestamp("2024-01-01T00:00:00Z"),
            pd.Timestamp("2024-06-01T17:00:00Z"),
        ]


def test_validating_leaves_the_environment_alone() -> None:
    code = (
        "import os, pandas as pd, skewless\n"
        "c = skewless.loads_contract('contract: t\\nversion: 1.0.0\\ncolumns:\\n  x: {type: integer}\\n')\n"
        "assert c.validate(pd.DataFrame({'x': [1]})).ok\n"
        "assert 'pandera' in __import__('sys').modules\n"
        "print(sorted(k for k in os.environ if k in ('PYARROW_IGNORE_TIMEZONE', 'SPARK_LOCAL_IP')))\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYARROW_IGNORE_TIMEZONE", "SPARK_LOCAL_IP")
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert (result.returncode, result.stdout) == (0, "[]\n"), result.stderr


@pytest.mark.parametrize(
    "naive_values",
    [
        ["2024-06-01T10:00:00"],
        ["2024-06-01 10:00"],
        pd.to_datetime(["2024-06-01T10:00:00"]),
        [dt.datetime(2024, 6, 1, 10, 0)],
    ],
    ids=["iso", "iso-space", "pandas", "python"],
)
def test_naive(naive_values: object) -> None:
    reject = make("  at: {type: datetime, timezone: America/Los_Angeles}\n")
    assert found(check(reject, at=naive_values)) == {("naive_datetime", "at", 0)}
    assume = make("  at: {type: datetime, timezone: America/Los_Angeles, naive: assume}\n")
    data = pd.DataFrame({"at": naive_values})
    assert assume.validate(data).ok
    assert assume.normalize(data)["at"].iloc[0] == pd.Timestamp("2024-06-01T17:00:00Z")


def test_naive_assume_refuses_wall_times_dst_makes_ambiguous() -> None:
    assume = make("  at: {type: datetime, timezone: America/Los_Angeles, naive: assume}\n")
    report = check(assume, at=["2024-03-10T02:30:00", "2024-11-03T01:30:00", "2024-11-03T03:30:00"])
    assert found(report) == {("naive_datetime", "at", 0), ("naive_datetime", "at", 1)}


def test_other_zones() -> None:
    data = pd.DataFrame({"at": ["2024-01-01T00:00:00Z", "2024-01-01T02:00:00+02:00"]})
    convert = make("  at: {type: datetime, timezone: UTC}\n")
    assert convert.validate(data).ok
    assert convert.normalize(data)["at"].tolist() == [pd.Timestamp("2024-01-01T00:00:00Z")] * 2
    reject = make("  at: {type: datetime, timezone: UTC, other_zones: reject}\n")
    assert found(reject.validate(data)) == {("wrong_timezone", "at", 1)}
    aware = pd.DataFrame({"at": pd.to_datetime(["2024-01-01T00:00:00"]).tz_localize("Asia/Tokyo")})
    assert found(reject.validate(aware)) == {("wrong_timezone", "at", 0)}


def test_cadence() -> None:
    contract = make("  at: {type: datetime, timezone: UTC, cadence: 5min}\n")
    regular = pd.date_range("2024-01-01", periods=6, freq="5min", tz="UTC")
    assert check(contract, at=regular).ok
    assert check(contract, at=list(regular) + list(regular)).ok  # rows may share a window
    gap = list(regular[:3]) + list(regular[4:])
    assert found(check(contract, at=gap)) == {("cadence_mismatch", "at", 3)}
    finer = pd.date_range("2024-01-01", periods=3, freq="1min", tz="UTC")
    assert found(check(contract, at=finer)) == {
        ("cadence_mismatch", "at", 1),
        ("cadence_mismatch", "at", 2),
    }
    head = "contract: t\nversion: 1.0.0\ntimezone: UTC\ncolumns:\n"
    for value, code in (
        ("5 minutes", ContractErrorCode.INVALID_VALUE),
        ("0min", ContractErrorCode.INVALID_VALUE),
        ("5m", ContractErrorCode.INVALID_VALUE),
    ):
        error = refused(head + f"  at: {{type: datetime, cadence: {value}}}\n")
        assert (error.code, error.path) == (code, "columns.at.cadence")
    error = refused(head + "  at: {type: date, cadence: 1d}\n")
    assert error.code is ContractErrorCode.NOT_APPLICABLE


# --- table checks -----------------------------------------------------------------------------


def test_checks_unique() -> None:
    contract = make(
        "  user_id: {type: integer}\n  day: {type: date, nullable: true}\n",
        top="checks:\n  unique: [[user_id, day]]\n",
    )
    ok = pd.DataFrame({"user_id": [1, 1, 2], "day": ["2024-01-01", "2024-01-02", "2024-01-01"]})
    assert contract.validate(ok).ok
    nulls = pd.DataFrame({"user_id": [1, 1], "day": [None, None]})
    assert contract.validate(nulls).ok  # a key with a null is never a duplicate
    dup = pd.DataFrame({"user_id": [1, 2, 1], "day": ["2024-01-01"] * 3})
    report = contract.validate(dup)
    assert found(report) == {("duplicate_key", "user_id, day", 2)}
    assert report.violations[0].value == "(1, '2024-01-01')"
    error = refused(
        "contract: t\nversion: 1.0.0\ncolumns:\n  user_id: {type: integer}\n"
        "checks:\n  unique: [[user_id, dya]]\n"
    )
    assert (error.code, error.path) == (ContractErrorCode.UNKNOWN_COLUMN, "checks.unique[0][1]")
    error = refused(
        "contract: t\nversion: 1.0.0\ncolumns:\n  user_id: {type: integer}\n  day: {type: date}\n"
        "checks:\n  unique: [[user_id, day], [day, user_id]]\n"
    )
    assert (error.code, error.path) == (ContractErrorCode.DUPLICATE_KEY, "checks.unique[1]")


def test_checks_rows() -> None:
    contract = make(ONE, top="checks:\n  rows: {min: 2, max: 3}\n")
    assert check(contract, x=[1, 2]).ok
    assert check(contract, x=[1, 2, 3]).ok
    for rows in ([1], [1, 2, 3, 4], []):
        assert found(check(contract, x=rows)) == {("row_count", None, None)}
    error = refused(
        f"contract: t\nversion: 1.0.0\ncolumns:\n{ONE}checks:\n  rows: {{min: 5, max: 1}}\n"
    )
    assert (error.code, error.path) == (ContractErrorCode.INVALID_VALUE, "checks.rows.min")


# --- the reference doc keeps up with the code -------------------------------------------------


@pytest.mark.parametrize("key", [*TOP_KEYS, *ALL_COLUMN_KEYS])
def test_every_key_has_its_tests_here(key: str) -> None:
    names = [name for name in globals() if name.startswith("test_")]
    assert any(key in name for name in names), f"no test_*{key}* in {__name__}"


def _headings() -> list[str]:
    return re.findall(r"^#{2,3} (.+)$", DOC.read_text(), flags=re.MULTILINE)


@pytest.mark.parametrize(
    "key", [*TOP_KEYS, *ALL_COLUMN_KEYS, "map_to", "checks.unique", "checks.rows"]
)
def test_every_key_has_a_doc_heading(key: str) -> None:
    assert any(f"`{key}`" in heading for heading in _headings()), f"docs/contracts.md: `{key}`"


@pytest.mark.parametrize("code", [c.value for c in ContractErrorCode])
def test_every_contract_error_code_is_documented(code: str) -> None:
    errors = DOC.read_text().split("## Contract errors", 1)[1]
    assert re.search(rf"^\| `{code}` \|", errors, flags=re.MULTILINE), code


def _yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def test_doc_yaml_examples_are_valid_and_load() -> None:
    blocks = _yaml_blocks()
    assert len(blocks) >= len(TOP_KEYS) + len(ALL_COLUMN_KEYS)
    for block in blocks:
        parsed = yaml.safe_load(block)
        assert isinstance(parsed, dict), block
        text = block
        if "version" not in parsed:
            text = "version: 1.0.0\n" + text
        if "contract" not in parsed:
            text = "contract: doc_example\n" + text
        if "columns" not in parsed:
            text += "columns:\n  user_id: {type: integer}\n"
        skewless.loads_contract(text, file="docs/contracts.md")
