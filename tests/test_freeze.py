"""Frozen statistics: `fill_null: {freeze: median|mean|mode}`, `skewless freeze`, and engines that
refuse a contract whose statistic has not been frozen yet.

Statistics are judged against Python's own `statistics` module on hypothesis-drawn columns (over
`Fraction`s where the answer must be exact); the text edit is judged against contracts generated
from parts, so the file expected after the edit is known byte for byte; the command line runs for
real in subprocesses, on real files.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import re
import shutil
import statistics as py_statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

import skewless
from skewless import ContractError, ContractErrorCode
from skewless.freeze import (
    NothingToFreeze,
    freeze,
    frozen_text,
    quoted,
    statistics,
    yaml_literal,
)
from skewless.gate import source_of
from skewless.loader import UNSET
from skewless.middleware import Route
from tests.cli_run import Run, skewless_cli
from tests.conftest import ROOT

HEAD = "contract: t\nversion: 1.0.0\ncolumns:\n"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def contract(columns: str, file: str = "c.yaml") -> skewless.Contract:
    return skewless.loads_contract(HEAD + columns, file=file)


def refused(columns: str) -> ContractError:
    with pytest.raises(ContractError) as info:
        contract(columns)
    return info.value


def cli_all(*argvs: tuple[str | Path, ...], cwd: Path) -> list[Run]:
    """Several `python -m skewless` runs side by side: most of each run is starting Python."""
    with ThreadPoolExecutor(max_workers=len(argvs)) as pool:
        return list(pool.map(lambda argv: skewless_cli(*argv, cwd=cwd), argvs))


def same(a: Any, b: Any) -> bool:
    """Equal and of one type; for floats, the same double (-0.0 is not 0.0)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.copysign(1, a) == math.copysign(1, b) and a == b
    return type(a) is type(b) and a == b


# --- the contract key: forms that load and forms that are refused -----------------------------


@pytest.mark.parametrize(
    ("columns", "statistic", "value"),
    [
        ("  x:\n    type: integer\n    nullable: true\n    fill_null:\n      freeze: median\n", "median", UNSET),
        ("  x: {type: integer, nullable: true, fill_null: {freeze: mean}}\n", "mean", UNSET),
        ("  x: {type: integer, nullable: true, fill_null: {freeze: median, value: 37}}\n", "median", 37),
        ("  x: {type: integer, nullable: true, fill_null: {value: -3, freeze: mode}}\n", "mode", -3),
        ("  x:\n    type: float\n    nullable: true\n    fill_null:\n      value: 2\n      freeze: mean\n", "mean", 2.0),
        ("  x: {type: float, nullable: true, fill_null: {freeze: median, value: -0.0}}\n", "median", -0.0),
        ("  x: {type: boolean, nullable: true, fill_null: {freeze: mode, value: false}}\n", "mode", False),
        ("  x: {type: string, nullable: true, fill_null: {freeze: mode, value: 'null'}}\n", "mode", "null"),
        (
            "  x: {type: category, values: [a, b], nullable: true, fill_null: {freeze: mode, value: b}}\n",
            "mode",
            "b",
        ),
        ("  x: {type: integer, nullable: true, pii: true, fill_null: {freeze: median}}\n", "median", UNSET),
    ],
)  # fmt: skip
def test_fill_null_freeze_loads(columns: str, statistic: str, value: Any) -> None:
    column = contract(columns).column("x")
    assert column.fill_freeze == statistic
    assert column.fill_null is value if value is UNSET else same(column.fill_null, value)
    assert column.has_fill is (value is not UNSET)


def test_fill_null_freeze_date_and_datetime_modes_load() -> None:
    import datetime as dt

    loaded = contract(
        "  d: {type: date, nullable: true, fill_null: {freeze: mode, value: '2024-02-29'}}\n"
        "  t:\n    type: datetime\n    timezone: UTC\n    nullable: true\n"
        "    fill_null: {freeze: mode, value: '2024-01-01T01:00:00+01:00'}\n"
    )
    assert loaded.column("d").fill_null == dt.date(2024, 2, 29)
    assert loaded.column("t").fill_null == dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


X = "  x:\n    type: {type}\n    nullable: true\n{extra}    fill_null: {fill}\n"


@pytest.mark.parametrize(
    ("type_", "extra", "fill", "code", "line", "path", "hint"),
    [
        ("integer", "", "{freeze: average}", "invalid_value", 7, "columns.x.fill_null.freeze", None),
        ("integer", "", "{freeze: Median}", "invalid_value", 7, "columns.x.fill_null.freeze", "did you mean 'median'?"),
        ("integer", "", "{freeze: [median]}", "invalid_type", 7, "columns.x.fill_null.freeze", None),
        ("integer", "", "{freeze: 1}", "invalid_type", 7, "columns.x.fill_null.freeze", None),
        ("integer", "", "{value: 3}", "missing_key", 7, "columns.x.fill_null", "for example {freeze: median}"),
        ("integer", "", "{}", "missing_key", 7, "columns.x.fill_null", None),
        ("integer", "", "{freeze: median, valu: 3}", "unknown_key", 7, "columns.x.fill_null.valu", "did you mean 'value'?"),
        ("integer", "", "\n      freeze: median\n      freeze: mean", "duplicate_key", 9, "columns.x.fill_null.freeze", None),
        ("string", "", "{freeze: median}", "invalid_value", 7, "columns.x.fill_null.freeze", "use mode"),
        ("date", "", "{freeze: mean}", "invalid_value", 7, "columns.x.fill_null.freeze", "use mode"),
        ("boolean", "", "{freeze: mean}", "invalid_value", 7, "columns.x.fill_null.freeze", "use mode"),
        ("category", "    values: [a, b]\n", "{freeze: median}", "invalid_value", 8, "columns.x.fill_null.freeze", "use mode"),
        ("datetime", "    timezone: UTC\n", "{freeze: median}", "invalid_value", 8, "columns.x.fill_null.freeze", "use mode"),
        ("string", "    pii: true\n", "{freeze: mode}", "invalid_value", 8, "columns.x.fill_null.freeze", "write a literal fill_null"),
        ("integer", "    pii: true\n", "{freeze: mode}", "invalid_value", 8, "columns.x.fill_null.freeze", "write a literal fill_null"),
        ("integer", "    min: 0\n", "{freeze: median, value: -1}", "fill_null_invalid", 8, "columns.x.fill_null.value", None),
        ("integer", "", "{freeze: median, value: 1.5}", "fill_null_invalid", 7, "columns.x.fill_null.value", None),
        ("integer", "", "{freeze: median, value: null}", "fill_null_invalid", 7, "columns.x.fill_null.value", None),
        ("float", "", "{freeze: mean, value: .nan}", "fill_null_invalid", 7, "columns.x.fill_null.value", None),
        ("category", "    values: [a, b]\n", "{freeze: mode, value: c}", "fill_null_invalid", 8, "columns.x.fill_null.value", None),
    ],
)  # fmt: skip
def test_fill_null_freeze_refused(
    type_: str, extra: str, fill: str, code: str, line: int, path: str, hint: str | None
) -> None:
    error = refused(X.format(type=type_, extra=extra, fill=fill))
    assert (error.code.value, error.line, error.path) == (code, line, path), str(error)
    if hint is not None:
        assert error.hint == hint


def test_fill_null_freeze_needs_nullable() -> None:
    error = refused("  x:\n    type: integer\n    fill_null: {freeze: median}\n")
    assert (error.code, error.line, error.path) == (
        ContractErrorCode.INVALID_VALUE,
        6,
        "columns.x.fill_null",
    )


# --- an unfrozen contract loads, and every engine refuses it -----------------------------------

UNFROZEN = """\
# a statistic waiting for skewless freeze
contract: ages
version: 1.0.0
columns:
  id: {type: integer}
  age:
    type: integer
    min: 0
    max: 130
    nullable: true
    fill_null: {freeze: median}   # the median age of training
"""
AGES_CSV = "id,age\n1,30\n2,\n3,40\n4,500\n5,20\n"  # 500 fails max: left out, median 30


@pytest.fixture
def unfrozen(tmp_path: Path) -> Path:
    (tmp_path / "ages.csv").write_text(AGES_CSV)
    path = tmp_path / "ages.yaml"
    path.write_text(UNFROZEN)
    return path


def _ages() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2], "age": pd.array([30, None], dtype="Int64")})


ENGINES: dict[str, Callable[[skewless.Contract], Any]] = {
    "contract.validate": lambda c: c.validate(_ages()),
    "contract.normalize": lambda c: c.normalize(_ages()),
    "skewless.validate": lambda c: skewless.validate(_ages(), c),
    "skewless.gate": lambda c: skewless.gate(c)(_ages)(),
    "record_validator()": lambda c: c.record_validator(),
    "record_validator(serving)": lambda c: c.record_validator("serving"),
    "guard": lambda c: skewless.guard(c)(lambda record: record)({"id": 1, "age": None}),
    "Route(contract)": lambda c: Route(c),
    "Route(path)": lambda c: Route(c.source or ""),
}


@pytest.mark.parametrize("engine", list(ENGINES))
def test_every_engine_refuses_an_unfrozen_contract(unfrozen: Path, engine: str) -> None:
    loaded = skewless.load_contract(unfrozen)  # it loads: freeze and profile read it
    assert loaded.column("age").fill_null is UNSET
    with pytest.raises(ContractError) as info:
        ENGINES[engine](loaded)
    error = info.value
    assert error.code is ContractErrorCode.UNFROZEN
    assert (error.file, error.line, error.path) == (
        str(unfrozen),
        loaded.column("age").line,
        "columns.age.fill_null",
    )
    assert error.line == 7  # the column's mapping starts on `type: integer`
    assert error.hint == f"run: skewless freeze {unfrozen} --from TRAINING_DATA"
    assert str(error) == (
        f"{unfrozen}:7: unfrozen: columns.age.fill_null: fill_null: {{freeze: median}} has no "
        f"value yet (run: skewless freeze {unfrozen} --from TRAINING_DATA)"
    )


def test_require_frozen_names_a_contract_without_a_file() -> None:
    loaded = contract("  a: {type: float, nullable: true, fill_null: {freeze: mean}}\n", file="")
    with pytest.raises(ContractError) as info:
        loaded.require_frozen()
    assert info.value.hint == "run: skewless freeze CONTRACT --from TRAINING_DATA"


def test_every_engine_fills_with_the_frozen_value(unfrozen: Path) -> None:
    freeze(unfrozen, unfrozen.with_name("ages.csv"))
    loaded = skewless.load_contract(unfrozen)
    assert loaded.column("age").fill_null == 30
    for engine in ENGINES.values():
        engine(loaded)  # compiles now
    assert loaded.normalize(_ages())["age"].tolist() == [30, 30]
    assert loaded.record_validator().validate({"id": 2, "age": None}).record["age"] == 30


def test_the_cli_refuses_an_unfrozen_contract_where_it_validates(unfrozen: Path) -> None:
    from skewless.profile import profile

    here = unfrozen.parent
    loaded = skewless.load_contract(unfrozen)
    (here / "baseline.json").write_text(profile(loaded, here / "ages.csv").to_json())
    shutil.copy(unfrozen, here / "frozen.yaml")
    freeze(here / "frozen.yaml", here / "ages.csv")
    validate, fuzz, lint, profiled, drift, frozen = cli_all(
        ("validate", "ages.yaml", "ages.csv"),
        ("fuzz", "ages.yaml", "--target", "json:loads"),
        ("lint", "ages.yaml"),
        ("profile", "ages.yaml", "ages.csv"),
        ("drift", "ages.yaml", "ages.csv", "--baseline", "baseline.json"),
        ("lint", "frozen.yaml"),
        cwd=here,
    )
    message = (
        "ages.yaml:7: unfrozen: columns.age.fill_null: fill_null: {freeze: median} has no value "
        "yet (run: skewless freeze ages.yaml --from TRAINING_DATA)"
    )
    for run in (validate, fuzz):
        assert run.code == 2, run
        assert run.error_line() == f"error: the contract is not frozen: {message}"
        assert run.out == ""
    assert lint.code == 1, lint
    assert message in lint.err
    assert "ok ages.yaml" not in lint.out
    assert profiled.code == 0, profiled  # profiles count nulls before any fill
    assert '"nulls": 1' in profiled.out
    assert drift.code == 0, drift
    assert frozen.code == 0, frozen
    assert frozen.out.startswith("ok frozen.yaml: ages 1.0.0, 2 columns")


# --- the statistics, against Python's `statistics` module --------------------------------------


def _contract_for(type_: str, lo: Any, hi: Any) -> skewless.Contract:
    bounds = "".join(f", {k}: {v!r}" for k, v in (("min", lo), ("max", hi)) if v is not None)
    return contract(
        "".join(
            f"  {name}: {{type: {type_}, nullable: true{bounds}, fill_null: {{freeze: {name}}}}}\n"
            for name in ("median", "mean", "mode")
        )
    )


def _frames(data: st.DataObject, frame: pd.DataFrame) -> list[pd.DataFrame]:
    """`frame` cut into consecutive parts (some of them empty): several sources of one dataset."""
    cuts = sorted(data.draw(st.lists(st.integers(0, len(frame)), max_size=3), label="cuts"))
    edges = [0, *cuts, len(frame)]
    return [frame.iloc[a:b].reset_index(drop=True) for a, b in itertools.pairwise(edges)]


def _all_agree(
    data: st.DataObject, loaded: skewless.Contract, frame: pd.DataFrame
) -> dict[str, Any]:
    """The statistics of `frame` whole; read in small chunks and as several sources, the same."""
    whole = statistics(loaded, [source_of(frame)])
    chunk_rows = data.draw(st.integers(1, 7), label="chunk_rows")
    chunked = statistics(loaded, [source_of(frame)], chunk_rows=chunk_rows)
    parts = statistics(loaded, [source_of(f) for f in _frames(data, frame)], chunk_rows=chunk_rows)
    for name, stat in whole.items():
        for other in (chunked[name], parts[name]):
            assert same(other.value, stat.value)
            assert (other.values, other.nulls, other.left_out) == (
                stat.values,
                stat.nulls,
                stat.left_out,
            )
    return whole


@given(st.data())
def test_integer_statistics_are_exact(data: st.DataObject) -> None:
    lo = data.draw(st.none() | st.integers(INT64_MIN, INT64_MAX), label="min")
    hi = data.draw(st.none() | st.integers(INT64_MIN if lo is None else lo, INT64_MAX), label="max")
    inside = st.integers(INT64_MIN if lo is None else lo, INT64_MAX if hi is None else hi)
    limits = st.integers(INT64_MAX - 3, INT64_MAX) | st.integers(INT64_MIN, INT64_MIN + 3)
    pool = data.draw(st.lists(inside | limits | st.integers(-5, 5), min_size=1, max_size=6))
    values = data.draw(st.lists(st.none() | st.sampled_from(pool), max_size=40), label="values")
    loaded = _contract_for("integer", lo, hi)
    frame = pd.DataFrame({n: pd.array(values, dtype="Int64") for n in ("median", "mean", "mode")})
    kept = [
        v for v in values if v is not None and (lo is None or v >= lo) and (hi is None or v <= hi)
    ]
    if not kept:
        with pytest.raises(NothingToFreeze, match="has no value to compute the median of"):
            statistics(loaded, [source_of(frame)])
        return
    found = _all_agree(data, loaded, frame)
    exact = [Fraction(v) for v in kept]
    # round() of a Fraction rounds half to even, exactly: the rule for integer columns.
    assert same(found["median"].value, round(py_statistics.median(exact)))
    assert same(found["mean"].value, round(py_statistics.mean(exact)))
    assert same(found["mode"].value, min(py_statistics.multimode(kept)))
    nulls = values.count(None)
    for stat in found.values():
        assert (stat.values, stat.nulls, stat.left_out) == (
            len(kept),
            nulls,
            len(values) - nulls - len(kept),
        )
        assert stat.before is UNSET
        assert stat.changed


# Finite doubles up to 1e300 (-0.0 included): sums of 40 of them stay finite, so the reference
# mean needs no rescue (values near the limit have their own tests below).
FINITE = st.floats(-1e300, 1e300, allow_nan=False)


@given(st.data())
def test_float_statistics_match_the_statistics_module(data: st.DataObject) -> None:
    lo = data.draw(st.none() | FINITE, label="min")
    hi = data.draw(st.none() | st.floats(-1e300 if lo is None else lo, 1e300), label="max")
    inside = st.floats(-1e300 if lo is None else lo, 1e300 if hi is None else hi)
    special = st.sampled_from([math.nan, math.inf, -math.inf])  # nan_ and inf_not_allowed
    pool = data.draw(st.lists(inside | FINITE | special, min_size=1, max_size=6))
    values = data.draw(st.lists(st.none() | st.sampled_from(pool), max_size=40), label="values")
    loaded = _contract_for("float", lo, hi)
    # Arrow-backed, so that NaN stays apart from null (numpy's float64 cannot tell them apart).
    column = pd.arrays.ArrowExtensionArray(pa.array(values, pa.float64()))
    frame = pd.DataFrame({n: pd.Series(column) for n in ("median", "mean", "mode")})
    kept = [
        v
        for v in values
        if v is not None
        and math.isfinite(v)
        and (lo is None or v >= lo)
        and (hi is None or v <= hi)
    ]
    if not kept:
        with pytest.raises(NothingToFreeze):
            statistics(loaded, [source_of(frame)])
        return
    found = _all_agree(data, loaded, frame)
    assert found["median"].value == py_statistics.median(kept)
    # The mean is fsum / count (statistics.fmean), kept within the values' range.
    fmean = min(max(py_statistics.fmean(kept), min(kept)), max(kept))
    assert found["mean"].value == fmean
    exact = py_statistics.mean([Fraction(v) for v in kept])
    assert math.isclose(found["mean"].value, exact, rel_tol=1e-15, abs_tol=1e-320)
    assert found["mode"].value == min(py_statistics.multimode(kept))
    for stat in found.values():
        assert type(stat.value) is float
        assert stat.values == len(kept)
        assert stat.nulls == values.count(None)


@pytest.mark.parametrize(
    ("values", "median", "mean"),
    [
        ([1, 2], 2, 2),  # 1.5: to the even 2
        ([2, 3], 2, 2),  # 2.5: to the even 2
        ([-2, -1], -2, -2),  # -1.5: to the even -2
        ([-3, -2], -2, -2),  # -2.5: to the even -2
        ([0, 5], 2, 2),  # 2.5
        ([5, 6], 6, 6),  # 5.5
        ([1, 2, 2, 2], 2, 2),  # mean 1.75
        ([1, 1, 1, 2], 1, 1),  # mean 1.25
        ([1, 2, 3, 100], 2, 26),  # median 2.5, mean 26.5
        ([INT64_MAX, INT64_MAX - 1], INT64_MAX - 1, INT64_MAX - 1),  # ...806.5: to ...806
        ([INT64_MAX, INT64_MAX - 2], INT64_MAX - 1, INT64_MAX - 1),  # exact, no float on the way
        ([INT64_MIN, INT64_MIN + 1], INT64_MIN, INT64_MIN),  # -...807.5 to -...808
        ([INT64_MIN, INT64_MAX], 0, 0),  # -0.5: to 0
        ([INT64_MAX] * 3 + [INT64_MIN], INT64_MAX, 2**62 - 1),  # (3 * MAX + MIN) / 4
    ],
)
def test_integer_median_and_mean_round_half_to_even(
    values: list[int], median: int, mean: int
) -> None:
    loaded = _contract_for("integer", None, None)
    frame = pd.DataFrame({n: pd.array(values, dtype="Int64") for n in ("median", "mean", "mode")})
    found = statistics(loaded, [source_of(frame)])
    assert (found["median"].value, found["mean"].value) == (median, mean)


def test_float_mode_counts_negative_zero_as_zero() -> None:
    loaded = contract("  x: {type: float, nullable: true, fill_null: {freeze: mode}}\n")
    found = statistics(loaded, [source_of(pd.DataFrame({"x": [0.0, -0.0, 1.0, 1.0, 0.0]}))])
    assert found["x"].value == 0.0  # 0.0 three times (as Python's statistics.multimode counts)


def test_mode_ties_go_to_the_smallest_value() -> None:
    loaded = contract(
        "  i: {type: integer, nullable: true, fill_null: {freeze: mode}}\n"
        "  s: {type: string, nullable: true, fill_null: {freeze: mode}}\n"
        "  b: {type: boolean, nullable: true, fill_null: {freeze: mode}}\n"
    )
    frame = pd.DataFrame(
        {
            "i": pd.array([9, 3, 9, 3, None, None, None], dtype="Int64"),
            "s": ["b", "B", "a", "b", "B", None, "a"],  # 'B' < 'a' < 'b', each twice
            "b": [True, False, True, False, None, None, None],
        }
    )
    found = statistics(loaded, [source_of(frame)])
    assert {n: s.value for n, s in found.items()} == {"i": 3, "s": "B", "b": False}


# --- one dataset as CSV, Parquet, a DataFrame, and several --from parts ------------------------

MIXED = """\
contract: mixed
version: 1.0.0
columns:
  age: {type: integer, min: 0, max: 120, nullable: true, fill_null: {freeze: median}}
  score: {type: float, min: 0, nullable: true, fill_null: {freeze: mean}}
  browser:
    type: category
    values: [Chrome, Safari, Other]
    unknown: {map_to: Other}
    nullable: true
    fill_null: {freeze: mode}
  day: {type: date, nullable: true, fill_null: {freeze: mode}}
  premium: {type: boolean, nullable: true, fill_null: {freeze: mode}}
  country: {type: string, pattern: '[A-Z]{2}', nullable: true, fill_null: {freeze: mode}}
"""
MIXED_ROWS = [
    # age, score, browser, day, premium, country
    (30, 0.5, "Chrome", "2024-01-02", True, "FR"),
    (None, 1.25, "Mozilla/5.0", "2024-01-01", False, "fr"),  # fr fails the pattern
    (200, -1.0, "Lynx", "2024-01-01", None, "fr"),  # 200 and -1.0 fail their bounds
    (40, None, "Chrome", None, True, "DE"),
    (20, 2.0, "Opera", "2024-01-02", False, "DE"),
    (35, 0.25, None, "2024-01-03", False, None),
]
MIXED_EXPECTED = {
    "age": 32,  # median of 20, 30, 35, 40 is 32.5: to the even 32
    "score": 1.0,  # (0.5 + 1.25 + 2.0 + 0.25) / 4
    "browser": "Other",  # three unknowns map to Other; Chrome twice
    "day": "2024-01-01",  # 01 and 02 twice each: the smaller
    "premium": False,
    "country": "DE",  # fr fails the pattern twice; DE twice, FR once
}


def _mixed_frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    import datetime as dt

    age, score, browser, day, premium, country = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "age": pd.array(age, dtype="Int64"),
            "score": pd.array(score, dtype="Float64"),
            "browser": pd.Series(browser, dtype=object),
            "day": pd.Series([d and dt.date.fromisoformat(d) for d in day], dtype=object),
            "premium": pd.array(premium, dtype="boolean"),
            "country": pd.Series(country, dtype=object),
        }
    )


def _mixed_csv(path: Path, rows: list[tuple[Any, ...]]) -> Path:
    def cell(v: Any) -> str:
        return "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)

    lines = ["age,score,browser,day,premium,country"]
    lines += [",".join(cell(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _shown(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def test_csv_parquet_and_dataframe_give_the_same_statistics(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text(MIXED)
    loaded = skewless.load_contract(path)
    frame = _mixed_frame(MIXED_ROWS)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "mixed.parquet")
    csv = _mixed_csv(tmp_path / "mixed.csv", MIXED_ROWS)
    for data in (frame, tmp_path / "mixed.parquet", csv):
        found = statistics(loaded, [source_of(data)])
        assert {n: _shown(s.value) for n, s in found.items()} == MIXED_EXPECTED, data
    assert (found["age"].values, found["age"].nulls, found["age"].left_out) == (4, 1, 1)
    assert (found["country"].values, found["country"].left_out) == (3, 2)


def test_a_cell_that_does_not_read_as_the_type_is_left_out(tmp_path: Path) -> None:
    csv = tmp_path / "ages.csv"
    csv.write_text("age\n10\nabc\n12\n99999999999999999999\n\n")
    loaded = contract("  age: {type: integer, nullable: true, fill_null: {freeze: mean}}\n")
    found = statistics(loaded, [source_of(csv)])["age"]
    assert (found.value, found.values, found.nulls, found.left_out) == (11, 2, 1, 2)


def test_several_from_are_parts_of_one_dataset(tmp_path: Path) -> None:
    (tmp_path / "mixed.yaml").write_text(MIXED)
    (tmp_path / "whole.yaml").write_text(MIXED)
    _mixed_csv(tmp_path / "whole.csv", MIXED_ROWS)
    _mixed_csv(tmp_path / "a.csv", MIXED_ROWS[:2])
    part = _mixed_frame(MIXED_ROWS[2:4])
    pq.write_table(pa.Table.from_pandas(part, preserve_index=False), tmp_path / "b.parquet")
    _mixed_csv(tmp_path / "c.csv", MIXED_ROWS[4:])
    whole = freeze(tmp_path / "whole.yaml", tmp_path / "whole.csv", chunk_rows=1)
    assert whole.changed == list(MIXED_EXPECTED)
    parts = skewless_cli(
        "freeze", "mixed.yaml", "--from", "a.csv", "--from", "b.parquet", "--from", "c.csv",
        cwd=tmp_path,
    )  # fmt: skip
    assert parts.code == 0, parts
    frozen = (tmp_path / "mixed.yaml").read_text()
    assert frozen == (tmp_path / "whole.yaml").read_text()
    reread = skewless.load_contract(tmp_path / "mixed.yaml")
    assert {c.name: _shown(c.fill_null) for c in reread.columns} == MIXED_EXPECTED
    assert "fill_null: {freeze: median, value: 32}" in frozen
    assert 'fill_null: {freeze: mode, value: "2024-01-01"}' in frozen
    assert "    fill_null: {freeze: mode, value: Other}\n" in frozen


def test_datetime_mode_is_an_instant_in_the_column_zone(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        HEAD + "  at: {type: datetime, timezone: UTC, nullable: true, fill_null: {freeze: mode}}\n"
    )
    csv = tmp_path / "t.csv"
    csv.write_text("at\n2024-01-01T01:00:00+01:00\n2024-01-01T00:00:00Z\n2024-01-02T00:00:00Z\n\n")
    result = freeze(path, csv)
    assert result.statistics["at"].values == 3
    assert path.read_text().endswith(
        'fill_null: {freeze: mode, value: "2024-01-01T00:00:00+00:00"}}\n'
    )


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"x": pd.array([None, None], dtype="Int64")}), "(2 nulls, 0 values left out)"),
        (pd.DataFrame({"x": pd.array([-1, None, -5], dtype="Int64")}), "(1 nulls, 2 values left out)"),
        (pd.DataFrame({"x": pd.array([], dtype="Int64")}), "(0 nulls, 0 values left out)"),
    ],
)  # fmt: skip
def test_nothing_to_freeze(frame: pd.DataFrame, message: str) -> None:
    loaded = contract("  x: {type: integer, min: 0, nullable: true, fill_null: {freeze: mean}}\n")
    with pytest.raises(NothingToFreeze) as info:
        statistics(loaded, [source_of(frame)])
    assert str(info.value) == f"column 'x' has no value to compute the mean of {message}"


def test_only_the_columns_of_the_environment_are_frozen(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        HEAD + "  label: {type: integer, only_in: training, nullable: true, fill_null: "
        "{freeze: mode}}\n  x: {type: integer, nullable: true, fill_null: {freeze: median}}\n"
    )
    serving = pd.DataFrame({"x": pd.array([1, 2, 3], dtype="Int64")})
    result = freeze(path, serving, env="serving", write=False)
    assert list(result.statistics) == ["x"]
    with pytest.raises(skewless.InputError, match="has no column 'label'"):
        freeze(path, serving, env="training")
    assert "value" not in path.read_text()


# --- the text edit: only the value changes -----------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """Where `value: X` goes in a generated contract: `flow` (`, value: X` in `{...}`), `block`
    (a line `INDENT value: X`), or `held` (the X of a `value` the file already holds)."""

    column: str
    form: str
    indent: str = ""


@dataclass
class Layout:
    """A contract generated from parts, rendered with or without values at its slots."""

    parts: list[str | Slot]
    newline: str
    types: dict[str, str] = field(default_factory=dict)  # frozen column -> integer | float
    held: dict[str, str] = field(default_factory=dict)  # column -> the literal held before

    def render(self, literals: dict[str, str]) -> str:
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            literal = literals.get(part.column)
            if part.form == "held":
                out.append(self.held[part.column] if literal is None else literal)
            elif literal is None:
                continue
            elif part.form == "flow":
                out.append(f", value: {literal}")
            else:  # after the file's last line, which has no newline, the value line needs one
                lead = "" if "".join(out).endswith("\n") else self.newline
                out.append(f"{lead}{part.indent}value: {literal}{self.newline}")
        return "".join(out)


# Comments in any script, emoji included; never a line break (YAML breaks on NEL, LS, PS too).
COMMENT_TEXT = st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs", "Co"]), max_size=8)


@st.composite
def layouts(draw: st.DrawFn) -> Layout:
    nl = draw(st.sampled_from(["\n", "\r\n"]))

    def comment() -> str:
        text = draw(st.none() | COMMENT_TEXT)
        return "" if text is None else f"{draw(st.sampled_from([' ', '   ']))}# {text}"

    def comment_line(indent: str) -> list[str | Slot]:
        return [f"{indent}#{draw(COMMENT_TEXT)}{nl}"] if draw(st.booleans()) else []

    layout = Layout([], nl)
    parts = layout.parts
    parts += ["\ufeff"] if draw(st.booleans()) else []
    parts += comment_line("")
    parts += [f"contract: t{comment()}{nl}", f"version: 1.0.0{comment()}{nl}"]
    parts += [f"columns:{comment()}{nl}"]
    style = st.sampled_from(["block", "flow_in_block", "flow", "none"])
    styles = draw(st.lists(style, min_size=1, max_size=4))
    if all(s == "none" for s in styles):
        styles[0] = "block"
    for i, style in enumerate(styles):
        name = f"c{i}"
        if style == "none":
            parts.append(f"  {name}: {{type: string}}{comment()}{nl}")
            parts += comment_line("  ")
            continue
        type_ = draw(st.sampled_from(["integer", "float"]))
        statistic = draw(st.sampled_from(["median", "mean", "mode"]))
        written = draw(st.sampled_from([statistic, f"'{statistic}'", f'"{statistic}"']))
        held = draw(st.booleans())
        layout.types[name] = type_
        if held:
            layout.held[name] = draw(st.sampled_from(["0", "-7", "12"]))
        if style == "flow":
            head = f"  {name}: {{type: {type_}, nullable: true, fill_null: "
            tail = "}"
        else:
            parts.append(f"  {name}:{comment()}{nl}")
            parts.append(f"    type: {type_}{comment()}{nl}")
            parts += comment_line(draw(st.sampled_from(["", "    "])))
            parts.append(f"    nullable: true{comment()}{nl}")
            head, tail = "    fill_null: ", ""
        if style == "block":
            inner = " " * draw(st.sampled_from([6, 8]))
            parts.append(f"    fill_null:{comment()}{nl}")
            parts += comment_line(inner)
            freeze_line: list[str | Slot] = [f"{inner}freeze: {written}{comment()}{nl}"]
            if held:
                value_line = [f"{inner}value: ", Slot(name, "held"), f"{comment()}{nl}"]
                pair = [freeze_line, value_line]
                parts += [p for line in draw(st.permutations(pair)) for p in line]
            else:
                parts += [*freeze_line, Slot(name, "block", inner)]
            parts += comment_line(draw(st.sampled_from(["", inner])))
        else:
            opening, closing = draw(st.sampled_from([("{", "}"), ("{ ", " }")]))
            if held and draw(st.booleans()):
                parts += [f"{head}{opening}value: ", Slot(name, "held"), f", freeze: {written}"]
            elif held:
                parts += [f"{head}{opening}freeze: {written}, value: ", Slot(name, "held")]
            else:
                parts += [f"{head}{opening}freeze: {written}", Slot(name, "flow")]
            parts.append(f"{closing}{tail}{comment()}{nl}")
        if style != "flow" and draw(st.booleans()):
            parts.append(f"    description: after the fill{comment()}{nl}")
        parts += [nl] if draw(st.booleans()) else []
    if draw(st.booleans()):  # no newline at the end of the file
        last = max(i for i, p in enumerate(parts) if isinstance(p, str))
        text = parts[last]
        assert isinstance(text, str)
        parts[last] = text.removesuffix(nl)
    return layout


def _values(data: st.DataObject, layout: Layout) -> dict[str, int | float]:
    def one(type_: str) -> st.SearchStrategy[int | float]:
        if type_ == "integer":
            return st.integers(INT64_MIN, INT64_MAX)
        return st.floats(allow_nan=False, allow_infinity=False)

    return {n: data.draw(one(t), label=n) for n, t in layout.types.items()}


def _literals(values: dict[str, int | float]) -> dict[str, str]:
    return {n: repr(v) for n, v in values.items()}  # what a person writes: 37, 0.1, -1e-05


@given(layout=layouts(), data=st.data())
def test_frozen_text_changes_only_the_value(layout: Layout, data: st.DataObject) -> None:
    old = layout.render({})
    loaded = skewless.loads_contract(old, file="c.yaml")
    values = _values(data, layout)
    new = frozen_text(old, "c.yaml", values, loaded)
    assert new == layout.render(_literals(values))
    reread = skewless.loads_contract(new, file="c.yaml")
    for name, value in values.items():
        assert same(reread.column(name).fill_null, value)
    reread.require_frozen()
    # Freezing again with the same data is a no-op, byte for byte.
    assert frozen_text(new, "c.yaml", values, reread) == new
    # With other data, only the values change.
    others = _values(data, layout)
    assert frozen_text(new, "c.yaml", others, reread) == layout.render(_literals(others))


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize(
    "last", ["      freeze: median", "      freeze: median  # 😀 no newline after"]
)
def test_a_value_after_the_last_line_of_a_file_without_a_final_newline(
    newline: str, last: str
) -> None:
    lines = ["contract: t", "version: 1.0.0", "columns:", "  x:", "    type: integer"]
    lines += ["    nullable: true", "    fill_null:", last]
    old = newline.join(lines)
    new = frozen_text(old, "c.yaml", {"x": -5}, skewless.loads_contract(old))
    assert new == f"{old}{newline}      value: -5{newline}"
    assert skewless.loads_contract(new).column("x").fill_null == -5


COMMENTED = """\
# 𝒜 contract with comments everywhere — héllo, 世界 😀
contract: ages   # name
version: 1.0.0   # version

columns:         # the columns
  id: {type: integer}   # the key
  age:           # years
    type: integer
    # a comment between keys
    min: 0
    max: 130
    nullable: true
    fill_null:   # learned from training
      freeze: median   # 😀 the median
      # an indented comment after
    description: age in years   # after the fill
  rate: {type: float, nullable: true, fill_null: { freeze: mean }}  # flow style
# the end"""


def test_freeze_edits_the_file_in_place(tmp_path: Path) -> None:
    path = tmp_path / "ages.yaml"
    path.write_bytes(COMMENTED.encode())
    data = pd.DataFrame(
        {"id": [1, 2, 3], "age": pd.array([31, None, 40], dtype="Int64"), "rate": [0.5, 0.25, None]}
    )
    result = freeze(path, data)
    expected = COMMENTED.replace("# 😀 the median\n", "# 😀 the median\n      value: 36\n").replace(
        "{ freeze: mean }", "{ freeze: mean, value: 0.375 }"
    )
    assert path.read_bytes() == expected.encode()
    assert result.text == expected
    assert result.changed == ["age", "rate"]
    assert result.contract.column("age").fill_null == 36
    inode = path.stat().st_ino  # a rewrite replaces the file: a new inode
    again = freeze(path, data)
    assert again.changed == []
    assert path.read_bytes() == expected.encode()
    assert path.stat().st_ino == inode  # not even rewritten
    freeze(path, data.assign(age=pd.array([1, 3, None], dtype="Int64")))
    assert path.read_bytes() == expected.replace("value: 36", "value: 2").encode()


def test_freeze_keeps_crlf_line_endings_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ages.yaml"
    crlf = UNFROZEN.replace("\n", "\r\n")
    path.write_bytes(crlf.encode())
    freeze(path, pd.DataFrame({"id": [1], "age": pd.array([30], dtype="Int64")}))
    assert (
        path.read_bytes()
        == crlf.replace("{freeze: median}", "{freeze: median, value: 30}").encode()
    )


# --- literals: every value reads back as itself ------------------------------------------------

STRINGS = pytest.mark.parametrize(
    "value",
    [
        "Other",
        "",
        " leading space",
        "trailing space ",
        "null",
        "Null",
        "~",
        "true",
        "false",
        "123",
        "-1",
        "1e3",
        "0x1F",
        ".inf",
        "2024-01-01",
        'say "hi"',
        "it's",
        "back\\slash",
        "a: b",
        "#not a comment",
        "- item",
        "{flow}",
        "[list]",
        "tab\there",
        "line\nbreak",
        "\r\n",
        "\x00\x01\x1b[31m\x7f",
        "\x85\u2028\u2029",
        "\xa0non-breaking",
        "\ufeffbom",
        "\u202eright-to-left",
        "😀 non-BMP 𝒜",
        "\U0010fffd",
        "e\u0301",
        "\ue000\ufffe\uffff",
    ],
)


def _round_trip(value: Any, column_yaml: str, layout: str) -> Any:
    column = contract(column_yaml.format(fill="{freeze: mode}")).column("x")
    literal = yaml_literal(value, column)
    if layout == "flow":
        fill = f"{{freeze: mode, value: {literal}}}"
    else:
        fill = f"\n      freeze: mode\n      value: {literal}"
    return contract(column_yaml.format(fill=fill)).column("x").fill_null


STRING_COLUMN = (
    "  x:\n    type: string\n    allow_control: true\n    nullable: true\n    fill_null: {fill}\n"
)


@STRINGS
@pytest.mark.parametrize("layout", ["flow", "block"])
def test_strings_round_trip_through_their_literal(value: str, layout: str) -> None:
    assert same(_round_trip(value, STRING_COLUMN, layout), value)


def test_plain_strings_stay_plain_and_others_are_double_quoted() -> None:
    column = contract(STRING_COLUMN.format(fill="{freeze: mode}")).column("x")
    assert yaml_literal("Other", column) == "Other"
    assert yaml_literal("en-US", column) == "en-US"
    assert yaml_literal("null", column) == '"null"'
    assert yaml_literal("123", column) == '"123"'
    assert yaml_literal("a\tb", column) == '"a\\tb"'
    assert quoted('\\"😀\u2028\x00') == '"\\\\\\"😀\\u2028\\x00"'


@given(st.text(st.characters(exclude_categories=["Cs"])), st.sampled_from(["flow", "block"]))
def test_any_string_round_trips(value: str, layout: str) -> None:
    assert same(_round_trip(value, STRING_COLUMN, layout), value)


@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers(INT64_MIN, INT64_MAX))
def test_numbers_round_trip(value: float) -> None:
    type_ = "float" if isinstance(value, float) else "integer"
    column = f"  x:\n    type: {type_}\n    nullable: true\n    fill_null: {{fill}}\n"
    assert same(_round_trip(value, column, "flow"), value)


# --- the command line: what users see, and hostile input ---------------------------------------


@pytest.fixture
def project(unfrozen: Path) -> Path:
    """A directory with ages.yaml (unfrozen) and ages.csv."""
    return unfrozen.parent


def test_freeze_writes_the_values_and_check_exits_1_when_one_is_missing_or_stale(
    project: Path,
) -> None:
    (project / "older.csv").write_text("id,age\n1,25\n")
    shutil.copy(project / "ages.yaml", project / "copy.yaml")
    missing, run = cli_all(
        ("freeze", "copy.yaml", "--from", "ages.csv", "--check"),
        ("freeze", "ages.yaml", "--from", "ages.csv"),
        cwd=project,
    )
    assert missing.code == 1, missing
    assert missing.out.splitlines()[-1] == "1 of 1 frozen values would change: age"
    assert (project / "copy.yaml").read_text() == UNFROZEN  # --check writes nothing

    assert run.code == 0, run
    assert run.err == ""
    lines = [line.split() for line in run.out.splitlines()]
    assert lines[0] == ["column", "┃", "statistic", "┃", "value", "┃", "from", "┃", "was"]
    assert lines[2] == ["age", "│", "median", "│", "30", "│", "3", "values", "│", "(not", "frozen)"]
    assert run.out.splitlines()[-1] == "1 of 1 frozen values changed: age"
    frozen = UNFROZEN.replace("{freeze: median}", "{freeze: median, value: 30}")
    assert (project / "ages.yaml").read_text() == frozen

    current, stale = cli_all(
        ("freeze", "ages.yaml", "--from", "ages.csv", "--check"),
        ("freeze", "ages.yaml", "--from", "older.csv", "--check", "-q"),
        cwd=project,
    )
    assert current.code == 0, current
    assert current.out.splitlines()[2].split()[-1] == "unchanged"
    assert current.out.splitlines()[-1] == "0 of 1 frozen values would change"
    assert stale.code == 1, stale
    assert stale.out.splitlines()[2].split()[4::5] == ["25", "30"]  # value, was
    assert stale.out.splitlines()[-1] == "1 of 1 frozen values would change: age"
    assert (project / "ages.yaml").read_text() == frozen


def test_pii_values_are_redacted_in_the_output(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        HEAD + "  salary: {type: integer, pii: true, nullable: true, fill_null: "
        "{freeze: median, value: 12345}}\n"
    )
    (tmp_path / "d.csv").write_text("salary\n97531\n97531\n\n")
    run = skewless_cli("freeze", "c.yaml", "--from", "d.csv", cwd=tmp_path)
    assert run.code == 0, run
    assert "value: 97531}" in (tmp_path / "c.yaml").read_text()  # a median, not one person's
    assert "97531" not in run.out + run.err
    assert "12345" not in run.out + run.err
    assert run.out.splitlines()[2].split()[4::5] == ["<redacted>", "<redacted>"]


def test_a_contract_with_nothing_to_freeze_passes(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(HEAD + "  x: {type: integer, nullable: true, fill_null: 0}\n")
    run = skewless_cli("freeze", "c.yaml", "--from", "missing.csv", cwd=tmp_path)
    assert (run.code, run.out, run.err) == (0, "", "c.yaml: nothing to freeze\n")


def test_help() -> None:
    run = skewless_cli("freeze", "--help", cwd=ROOT)
    assert run.code == 0, run
    text = " ".join(run.out.split())
    assert re.search(r"Exit 0 .* 1 with --check .* 2 when", text), text
    for option in ("--from DATA", "--check", "--env", "--chunk-rows", "--table", "--query", "-q"):
        assert option in text


HOSTILE = [
    (("--from", "ages.csv", "--from", "nope.csv"), "error: nope.csv: no such file"),
    (("--from", "empty.csv"), "error: empty.csv: empty file (no header, no records)"),
    (("--from", "other.csv"), "error: other.csv: has no column 'age'"),
    (("--from", "nulls.csv"), "error: column 'age' has no value to compute the median of (3 nulls, 0 values left out)"),
    (("--from", "bad.csv"), "error: column 'age' has no value to compute the median of (1 nulls, 2 values left out)"),
]  # fmt: skip


def test_what_cannot_be_frozen_exits_2_with_one_line(project: Path) -> None:
    (project / "empty.csv").write_bytes(b"")
    (project / "other.csv").write_text("id\n1\n")
    (project / "nulls.csv").write_text("id,age\n1,\n2,\n3,\n")
    (project / "bad.csv").write_text("id,age\n1,-4\n2,\n3,old\n")  # out of range, not a number
    runs = cli_all(*(("freeze", "ages.yaml", *args) for args, _ in HOSTILE), cwd=project)
    for run, (args, line) in zip(runs, HOSTILE, strict=True):
        assert run.code == 2, (args, run)
        assert run.error_line() == line, args
        assert run.out == ""
    assert (project / "ages.yaml").read_text() == UNFROZEN


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ("ages.txt", "ages.txt: unknown file type '.txt'; expected .csv, .parquet or .jsonl"),
        ("header.csv", "column 'age' has no value to compute the median of (0 nulls, 0 values left out)"),
        (pd.DataFrame({"id": [1]}), "<DataFrame>: has no column 'age'"),
    ],
)  # fmt: skip
def test_what_cannot_be_frozen_raises(project: Path, data: Any, error: str) -> None:
    (project / "ages.txt").write_text(AGES_CSV)
    (project / "header.csv").write_text("id,age\n")
    given = project / data if isinstance(data, str) else data
    with pytest.raises((skewless.InputError, NothingToFreeze)) as info:
        freeze(project / "ages.yaml", given)
    assert str(info.value).removeprefix(f"{project}/") == error
    assert (project / "ages.yaml").read_text() == UNFROZEN


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """`directory` made unwritable for the process: by its mode, or for root (whom modes do not
    stop) by mounting a read-only tmpfs over it holding the same files."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        try:
            yield
        finally:
            directory.chmod(0o755)
        return
    saved = {p.name: p.read_bytes() for p in directory.iterdir()}
    mount, umount = _tool("mount"), _tool("umount")
    done = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(directory)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"root, and tmpfs cannot be mounted: {done.stderr.decode().strip()}")
    try:
        for name, data in saved.items():
            (directory / name).write_bytes(data)
        subprocess.run([mount, "-o", "remount,ro", str(directory)], check=True)
        yield
    finally:
        subprocess.run([umount, str(directory)], check=True)


def test_an_unwritable_directory_exits_2_and_leaves_the_file(tmp_path: Path) -> None:
    directory = tmp_path / "ro"
    directory.mkdir()
    (directory / "ages.yaml").write_text(UNFROZEN)
    (tmp_path / "ages.csv").write_text(AGES_CSV)
    with read_only(directory):
        write, check = cli_all(
            ("freeze", "ro/ages.yaml", "--from", "ages.csv"),
            ("freeze", "ro/ages.yaml", "--from", "ages.csv", "--check"),
            cwd=tmp_path,
        )
        assert (directory / "ages.yaml").read_text() == UNFROZEN
        assert sorted(p.name for p in directory.iterdir()) == ["ages.yaml"]
    assert write.code == 2, write
    assert write.error_line().startswith("error: ro/ages.yaml: "), write.err
    assert write.out == ""
    assert check.code == 1, check  # --check writes nothing: an unwritable file is fine


def test_an_immutable_contract_file_exits_2_and_is_unchanged(project: Path) -> None:
    """Root ignores modes; an immutable file is the read-only file root cannot replace."""
    if os.geteuid() != 0:
        pytest.skip("chattr +i needs root (a mode-0o444 file is tested below)")
    path = project / "ages.yaml"
    chattr = _tool("chattr")
    if subprocess.run([chattr, "+i", str(path)], capture_output=True, check=False).returncode:
        pytest.skip("this file system has no immutable attribute")
    try:
        run = skewless_cli("freeze", "ages.yaml", "--from", "ages.csv", cwd=project)
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)
    assert run.code == 2, run
    assert run.error_line() == "error: ages.yaml: Operation not permitted"
    assert path.read_text() == UNFROZEN


@pytest.mark.parametrize("mode", [0o444, 0o600])
def test_freeze_keeps_the_mode_of_the_contract_file(project: Path, mode: int) -> None:
    path = project / "ages.yaml"
    path.chmod(mode)
    with contextlib.suppress(skewless.OutputError):  # refusing a read-only file is right too
        freeze(path, project / "ages.csv")
    assert path.stat().st_mode & 0o777 == mode


def test_freeze_through_a_symlink_writes_the_contract(project: Path) -> None:
    (project / "link.yaml").symlink_to("ages.yaml")
    freeze(project / "link.yaml", project / "ages.csv")
    assert (project / "link.yaml").is_symlink()
    assert "value: 30" in (project / "ages.yaml").read_text()


def _one_float(column: str, values: list[float]) -> dict[str, Any]:
    loaded = contract(f"  x: {{type: float, nullable: true, {column}}}\n")
    return statistics(loaded, [source_of(pd.DataFrame({"x": values}))])


def test_float_mean_near_the_limit() -> None:
    found = _one_float("fill_null: {freeze: mean}", [1e308, 1.7e308])
    assert found["x"].value == 1.35e308


def test_float_median_near_the_limit() -> None:
    found = _one_float("fill_null: {freeze: median}", [1e308, 1.7e308])
    assert found["x"].value == 1.35e308


@pytest.mark.parametrize(
    ("column", "cell"),
    [("allow_nan: true, fill_null: {freeze: median}", math.nan), ("allow_inf: true, fill_null: {freeze: mean}", math.inf)],
)  # fmt: skip
def test_nan_or_inf_passing_the_column(tmp_path: Path, column: str, cell: float) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(HEAD + f"  x: {{type: float, nullable: true, {column}}}\n")
    frame = pd.DataFrame({"x": pd.arrays.ArrowExtensionArray(pa.array([cell, 1.0, 2.0]))})
    try:
        result = freeze(path, frame)
    except NothingToFreeze:
        return  # a clear refusal is fine
    assert math.isfinite(result.statistics["x"].value)


# --- the docs ------------------------------------------------------------------------------------


def test_the_try_it_script_in_docs_cli_md_prints_what_it_shows(tmp_path: Path) -> None:
    """The script of `skewless freeze` in docs/cli.md, run in bash, prints the output shown, and
    leaves the contract the page shows."""
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    section = doc.split("### `skewless freeze`", 1)[1].split("\n## ", 1)[0]
    script = section.split("```sh\n", 1)[1].split("```", 1)[0]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    after = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["TERM"] = "dumb"
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        [_tool("bash"), "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    printed = [line.rstrip() for line in done.stdout.decode().splitlines()]
    assert printed == shown.splitlines()
    assert after in (tmp_path / "ages.yaml").read_text()


def _anchors(doc: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens; a repeated
    heading gets `-1`, `-2`, ... (`# comments` in code blocks are no headings)."""
    anchors: set[str] = set()
    prose = re.sub(r"```.*?```", "", doc, flags=re.DOTALL)
    for heading in re.findall(r"^#{1,6} (.+)$", prose, flags=re.MULTILINE):
        slug = unique = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        n = 0
        while unique in anchors:
            n += 1
            unique = f"{slug}-{n}"
        anchors.add(unique)
    return anchors


@pytest.mark.parametrize("page", ["contracts.md", "drift.md", "cli.md"])
def test_links_to_the_freeze_docs_resolve(page: str) -> None:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    links = re.findall(r"\]\(((?:cli|contracts|drift)\.md)?#([^)]+)\)", text)
    assert ("cli.md" if page != "cli.md" else "", "skewless-freeze") in links
    for target, anchor in links:
        headings = _anchors((ROOT / "docs" / (target or page)).read_text(encoding="utf-8"))
        assert anchor in headings, f"{page}: {target}#{anchor}"
