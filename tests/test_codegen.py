"""skewless.codegen: generated pandera schemas and pydantic models agree with skewless.

For every contract in `contracts/` and `tests/contracts/valid/` (and those tests/test_strategies.py
writes to reach every adversarial class), in every environment, the generated modules are
executed in a fresh module namespace, and:

- pydantic: every valid record (`strategies.records`, `nasty.records`, JSON-like and Python
  objects) passes the model, and `model_dump(by_alias=True)` is skewless's normalised record
  (fills, mapped categories, zones); every adversarial case (`adversarial.cases`) fails it, unless
  one of its codes is one pydantic cannot express (`UNEXPRESSED`, by code);
- pandera: every valid frame (`strategies.frames`) passes the schema; on frames of valid records
  with an adversarial one among them, the schema's verdict is skewless's once violations of the
  codes pandera cannot express are set aside (`UNEXPRESSED`, by code).

And: the generated code is safe (hostile names, values, patterns and descriptions stay literals);
the edges DESIGN.md lists hold on both targets; docs/codegen.md lists what is not expressed.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import json
import math
import re
import tokenize
import types
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import skewless
from skewless import adversarial, nasty, strategies
from skewless.adversarial import Case
from skewless.batch import pandera_pandas
from skewless.codegen import NOT_EXPRESSED, field_names, model_name, pandera_source, pydantic_source
from skewless.contract import Column, Contract, Env
from skewless.ecma import ecma_pattern
from tests.conftest import ROOT
from tests.test_exports import heavy_after
from tests.test_strategies import CONTRACTS, ENVS

# Each property runs once per contract (eight of them): a few dozen examples each keep the file
# within its time budget on the ci profile, never more than the profile says.
EXAMPLES = settings(max_examples=min(settings.default.max_examples, 50))
FRAMES = settings(max_examples=min(settings.default.max_examples, 30))


def _untranslated(column: Column | None) -> bool:
    return (
        column is not None and column.pattern is not None and ecma_pattern(column.pattern) is None
    )


# The codes each target cannot express, each for a reason NOT_EXPRESSED gives (docs/codegen.md),
# with the columns where it cannot (None: anywhere). Cases and violations are set aside by these
# codes alone, never by what the target answered.
ROW_SPANNING = {"not_unique": None, "duplicate_key": None, "row_count": None}
UNEXPRESSED: dict[str, dict[str, Callable[[Column | None], bool] | None]] = {
    "pandera": {"cadence_mismatch": None, "pattern_mismatch": _untranslated},
    "pydantic": {**ROW_SPANNING, "cadence_mismatch": None, "pattern_mismatch": _untranslated},
}
# Body classes carry JSON bytes, not a record: "the JSON text" of NOT_EXPRESSED["pydantic"]; a
# DataFrame has no JSON text either.
BODY_CLASSES = frozenset(shape.name for shape in adversarial.BODIES)


def expressible(target: str, contract: Contract, code: str, column: str | None) -> bool:
    if code not in UNEXPRESSED[target]:
        return True
    where = UNEXPRESSED[target][code]
    known = column is not None and column in contract.column_names
    return where is not None and not where(contract.column(column) if known else None)


# --- the generated modules ----------------------------------------------------------------------


@lru_cache(maxsize=128)
def module(contract: Contract, env: Env | None, target: str) -> types.ModuleType:
    """The generated source executed as a module of its own."""
    pandera_pandas()  # pandera imported without its environment change, as skewless does
    source = (
        pandera_source(contract, env=env)
        if target == "pandera"
        else pydantic_source(contract, env=env)
    )
    generated = types.ModuleType(f"generated_{contract.name}_{env}_{target}")
    # dont_inherit: this file's `from __future__ import annotations` must not leak into it.
    code = compile(source, f"<{target} {contract.name}>", "exec", dont_inherit=True)
    exec(code, generated.__dict__)  # noqa: S102
    generated.__dict__["SOURCE"] = source
    return generated


def model(contract: Contract, env: Env | None) -> Any:
    return getattr(module(contract, env, "pydantic"), model_name(contract))


def pydantic_says(contract: Contract, env: Env | None, record: Any) -> tuple[bool, Any]:
    import pydantic

    try:
        instance = model(contract, env).model_validate(record)
    except pydantic.ValidationError as error:
        return False, error
    return True, instance.model_dump(by_alias=True)


def pandera_says(contract: Contract, env: Env | None, frame: pd.DataFrame) -> tuple[bool, Any]:
    import pandera.errors

    schema = module(contract, env, "pandera").schema
    try:
        schema.validate(frame, lazy=True)
    except (pandera.errors.SchemaErrors, pandera.errors.SchemaError) as error:
        return False, error
    return True, None


def same(left: Any, right: Any) -> bool:
    """Normalised values alike: NaN equal to NaN, datetimes by instant and by UTC offset."""
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left):
        return math.isnan(right)
    if isinstance(left, dt.datetime) and isinstance(right, dt.datetime):
        return left == right and left.utcoffset() == right.utcoffset()
    return type(left) is type(right) and left == right


def assert_same_record(expected: dict[str, Any], got: dict[str, Any]) -> None:
    assert set(expected) == set(got), (sorted(expected), sorted(got))
    for key, value in expected.items():
        assert same(value, got[key]), (key, value, got[key])


def frame_of(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Records as a DataFrame with the dtypes pandas infers (objects where it cannot hold a
    value: a lone surrogate in pandas' pyarrow-backed text)."""
    columns = {}
    for key in dict.fromkeys(key for record in records for key in record):
        values = [record.get(key) for record in records]
        try:
            columns[key] = pd.Series(values)
        except UnicodeError:
            columns[key] = pd.Series(values, dtype=object)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(records)))


@pytest.fixture(scope="module", params=sorted(CONTRACTS))
def contract(request: pytest.FixtureRequest) -> Contract:
    return CONTRACTS[request.param]


def test_every_class_is_fed_or_set_aside_by_name() -> None:
    every = {d.name for d in adversarial.DEFECTS} | {s.name for s in adversarial.STRUCTURE}
    assert not every & BODY_CLASSES
    assert {s.name for s in adversarial.BODIES} == BODY_CLASSES


@pytest.mark.parametrize("target", ["pandera", "pydantic"])
@pytest.mark.parametrize("env", ENVS)
def test_every_contract_compiles_to_a_module(
    contract: Contract, env: Env | None, target: str
) -> None:
    generated = module(contract, env, target)
    header = generated.SOURCE.split("\nimport ", 1)[0]
    assert f"contract {contract.name} {contract.version} ({target}" in header
    assert "Do not edit" in header
    for rule in NOT_EXPRESSED[target]:
        assert " ".join(rule.split()[:6]) in " ".join(header.replace("#", " ").split())
    ast.parse(generated.SOURCE)
    present = [c for c in contract.columns if c.allowed_in(env)]
    if target == "pandera":
        schema = generated.schema
        assert schema.name == contract.name
        assert set(c.name for c in present) <= set(schema.columns)
        for column in present:
            assert schema.columns[column.name].required == column.required_in(env)
    else:
        cls = model(contract, env)
        assert cls.__name__ == model_name(contract)
        aliases = {f.alias or name for name, f in cls.model_fields.items()}
        assert aliases == {c.name for c in present}


def test_model_names_are_camel_case_and_never_keywords() -> None:
    def named(name: str) -> str:
        return model_name(
            skewless.loads_contract(
                f"contract: '{name}'\nversion: 1.0.0\ncolumns:\n  a: {{type: integer}}\n"
            )
        )

    assert named("user_features") == "UserFeatures"
    assert named("dialect_2") == "Dialect2"
    assert named("none") == "NoneRecord"
    assert named("true") == "TrueRecord"


# --- pydantic -----------------------------------------------------------------------------------


@EXAMPLES
@given(data=st.data())
def test_valid_records_pass_the_model_and_normalise_alike(
    contract: Contract, data: st.DataObject
) -> None:
    env = data.draw(st.sampled_from(ENVS), label="env")
    python = data.draw(st.booleans(), label="python")
    record = data.draw(
        strategies.records(contract, env=env, python=python)
        | nasty.records(contract, env=env, python=python),
        label="record",
    )
    result = contract.record_validator(env).validate(record)
    assert result.ok, result.violations
    ok, got = pydantic_says(contract, env, record)
    assert ok, got
    assert result.record is not None
    assert_same_record(result.record, got)


@settings(max_examples=settings.default.max_examples)  # one class an example: the full budget
@given(data=st.data())
def test_adversarial_records_fail_the_model_as_they_fail_skewless(
    contract: Contract, data: st.DataObject
) -> None:
    env = data.draw(st.sampled_from(ENVS), label="env")
    python = data.draw(st.booleans(), label="python")
    names = sorted({name for name, _ in adversarial.classes(contract, env=env)} - BODY_CLASSES)
    assume(names)
    name = data.draw(st.sampled_from(names), label="class")
    case: Case = data.draw(adversarial.cases(contract, env=env, python=python, only=[name]))
    assert case.record is not None
    assert not contract.record_validator(env).validate(case.record).ok, case
    if not all(expressible("pydantic", contract, code, col) for code, col in case.expected):
        return  # set aside by its code (UNEXPRESSED)
    ok, error = pydantic_says(contract, env, case.record)
    assert not ok, (case.name, case.column, case.record, error)


# --- pandera ------------------------------------------------------------------------------------


@FRAMES
@given(data=st.data())
def test_valid_frames_pass_the_schema(contract: Contract, data: st.DataObject) -> None:
    env = data.draw(st.sampled_from(ENVS), label="env")
    frame = data.draw(strategies.frames(contract, env=env, max_rows=6), label="frame")
    assert contract.validate(frame, env=env).ok
    ok, error = pandera_says(contract, env, frame)
    assert ok, (error, frame.dtypes.to_dict())


@FRAMES
@given(data=st.data())
def test_frames_of_records_get_skewless_verdict_from_the_schema(
    contract: Contract, data: st.DataObject
) -> None:
    env = data.draw(st.sampled_from(ENVS), label="env")
    python = data.draw(st.booleans(), label="python")
    records = data.draw(
        st.lists(strategies.records(contract, env=env, python=python), max_size=3), label="valid"
    )
    names = sorted({name for name, _ in adversarial.classes(contract, env=env)} - BODY_CLASSES)
    if names and data.draw(st.booleans(), label="with a case"):
        name = data.draw(st.sampled_from(names), label="class")
        case: Case = data.draw(adversarial.cases(contract, env=env, python=python, only=[name]))
        assert case.record is not None
        records.insert(data.draw(st.integers(0, len(records)), label="at"), case.record)
    frame = frame_of(records)
    report = contract.validate(frame, env=env)
    expected = not [
        v for v in report.violations if expressible("pandera", contract, str(v.code), v.column)
    ]
    ok, error = pandera_says(contract, env, frame)
    assert ok == expected, (report.violations[:5], error, frame.dtypes.to_dict(), records)


# --- the edges, on both targets -----------------------------------------------------------------

EDGES = """
contract: edges
version: 1.0.0
timezone: Europe/Paris
columns:
  code: {type: string, pattern: '^[a-z]+$'}
  n: {type: integer, nullable: true}
  big: {type: integer, coerce: true, nullable: true}
  ratio: {type: float, allow_nan: true, nullable: true, fill_null: 0.5}
  flag: {type: boolean, nullable: true, fill_null: false}
  os: {type: category, values: [linux, other], unknown: {map_to: other}, nullable: true}
  at: {type: datetime, nullable: true, fill_null: '2024-01-01T00:00:00Z'}
  day: {type: date, required: false, nullable: true}
"""


def both(contract: Contract, record: dict[str, Any]) -> tuple[bool, bool, bool]:
    """(skewless, pydantic, pandera) verdicts on one record."""
    skew = contract.record_validator(None).validate(record).ok
    frame = pd.DataFrame({k: pd.Series([v], dtype=object) for k, v in record.items()})
    assert contract.validate(frame).ok == skew
    return skew, pydantic_says(contract, None, record)[0], pandera_says(contract, None, frame)[0]


GOOD = {"code": "abc", "n": 1, "big": 1, "ratio": 1.5, "flag": True, "os": "linux", "at": None}


@pytest.mark.parametrize(
    ("change", "verdict"),
    [
        ({}, True),
        ({"code": "abc\n"}, False),  # `$` never matches before a trailing newline
        ({"code": "ab\nc"}, False),
        ({"n": True}, False),  # booleans are not integers
        ({"n": 1.0}, False),  # nor whole floats, without coerce
        ({"n": "1"}, False),
        ({"n": 2**63 - 1}, True),  # the int64 ends, exactly
        ({"n": -(2**63)}, True),
        ({"n": 2**63}, False),
        ({"big": "-9223372036854775808"}, True),  # coerce: the contract's grammar
        ({"big": "9223372036854775808"}, False),
        ({"big": 3.0}, True),
        ({"big": "1.5"}, False),  # pandera's own coerce would make it 1
        ({"big": " 1"}, False),
        ({"big": "1_000"}, False),
        ({"ratio": math.nan}, True),
        ({"ratio": math.inf}, False),
        ({"flag": 1}, False),
        ({"flag": "true"}, False),
        ({"os": "BeOS"}, True),  # mapped to other
        ({"at": "2024-05-01T10:00:00"}, False),  # naive: reject
        ({"at": "2024-05-01T10:00:00+09:00"}, True),
        ({"at": "2024-05-01"}, False),
        ({"at": 1714550400}, False),
        ({"day": "2023-02-29"}, False),
        ({"day": dt.datetime(2024, 1, 1)}, False),  # a datetime is not a date
        ({"day": dt.date(2024, 1, 1)}, True),
    ],
)
def test_the_edges_hold_on_both_targets(change: dict[str, Any], verdict: bool) -> None:
    contract = skewless.loads_contract(EDGES)
    assert both(contract, {**GOOD, **change}) == (verdict, verdict, verdict)


def test_the_model_normalises_as_skewless_does() -> None:
    contract = skewless.loads_contract(EDGES)
    record = {**GOOD, "ratio": None, "flag": None, "os": "BeOS", "at": "2024-05-01T10:00:00+09:00"}
    expected = contract.record_validator(None).validate(record).record
    ok, got = pydantic_says(contract, None, record)
    assert ok
    assert expected is not None
    assert_same_record(expected, got)
    assert (got["ratio"], got["flag"], got["os"]) == (0.5, False, "other")
    assert got["at"] == dt.datetime(2024, 5, 1, 3, tzinfo=ZoneInfo("Europe/Paris"))
    assert got["at"].utcoffset() == dt.timedelta(hours=2)
    assert got["day"] is None  # absent and optional: null
    ok, got = pydantic_says(contract, None, {**GOOD})
    assert got["at"] == dt.datetime(2024, 1, 1, tzinfo=dt.UTC)  # the fill, in the column's zone
    assert got["at"].utcoffset() == dt.timedelta(hours=1)


UNIQUE = """
contract: keys
version: 1.0.0
columns:
  id: {type: integer, unique: true}
  maybe: {type: integer, unique: true, nullable: true}
  filled: {type: integer, unique: true, nullable: true, fill_null: 0}
  os: {type: category, values: [a, other], unknown: {map_to: other}, unique: true}
checks:
  unique: [[id, maybe]]
  rows: {min: 2, max: 3}
"""


@pytest.mark.parametrize(
    ("rows", "verdict"),
    [
        ({"id": [1, 2], "maybe": [None, None], "filled": [1, 2], "os": ["a", "x"]}, True),
        ({"id": [1, 1], "maybe": [1, 2], "filled": [1, 2], "os": ["a", "x"]}, False),
        ({"id": [1, 2], "maybe": [3, 3], "filled": [1, 2], "os": ["a", "x"]}, False),
        ({"id": [1, 2], "maybe": [None, 1], "filled": [None, 0], "os": ["a", "x"]}, False),
        ({"id": [1, 2], "maybe": [None, 1], "filled": [None, 5], "os": ["x", "y"]}, False),
        ({"id": [1], "maybe": [None], "filled": [1], "os": ["a"]}, False),
        ({"id": [1, 2, 3, 4], "maybe": [None] * 4, "filled": [1, 2, 3, 4], "os": ["a"] * 4}, False),
    ],
)
def test_unique_keys_and_rows_as_skewless_judges_them(
    rows: dict[str, list[Any]], verdict: bool
) -> None:
    contract = skewless.loads_contract(UNIQUE)
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in rows.items()})
    assert contract.validate(frame).ok == verdict
    assert pandera_says(contract, None, frame)[0] == verdict


def test_the_generated_pandera_module_leaves_pyarrow_timezones_alone() -> None:
    import os

    source = pandera_source(CONTRACTS["minimal.yaml"])
    assert "PYARROW_IGNORE_TIMEZONE" in source
    before = os.environ.get("PYARROW_IGNORE_TIMEZONE")
    code = compile(source, "<minimal>", "exec", dont_inherit=True)
    exec(code, types.ModuleType("m").__dict__)  # noqa: S102
    assert os.environ.get("PYARROW_IGNORE_TIMEZONE") == before


# --- safety -------------------------------------------------------------------------------------

TRIPLE = '"' * 3
INJECTION = "x'); __import__('os').system('exit 3'); ('"
DESCRIPTION = "''' " + TRIPLE + " \\ \n__import__('os').system('exit 3')  # {x}"
VALUES = ["'", '"', "\\", "{0}", "\u2028", "é", TRIPLE]
PLAIN = ["größe cm", "1st", "class", "model_config", "schema", "_private", "pydantic"]
PLAIN += ["column_0", "skewless_keys", "ﬁ", "fi", "\\"]


def _q(text: str) -> str:
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


HOSTILE = "\n".join(
    [
        "contract: none",
        "version: 1.0.0",
        f"description: {_q(DESCRIPTION)}",
        "extra_columns: allow",
        "columns:",
        f"  {_q(INJECTION)}: {{type: string, description: {_q('a' + chr(10) + 'b')}}}",
        f"  {_q(TRIPLE)}: {{type: category, values: [{', '.join(map(_q, VALUES))}]}}",
        *(f"  {_q(name)}: {{type: integer}}" for name in PLAIN),
        f"  p: {{type: string, pattern: {_q('(?:' + TRIPLE + '|x)' + chr(10) + '?')},"
        " nullable: true, fill_null: x}",
        "  label: {type: boolean, only_in: training}",
        "",
    ]
)


def test_hostile_contracts_stay_literals() -> None:
    contract = skewless.loads_contract(HOSTILE)
    for target in ("pandera", "pydantic"):
        source = pandera_source(contract) if target == "pandera" else pydantic_source(contract)
        tree = ast.parse(source)
        texts = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
        texts |= {  # pydantic fields named as their column (no alias needed)
            n.target.id
            for n in ast.walk(tree)
            if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
        }
        for column in contract.columns:
            assert column.name in texts, column.name
        assert contract.description in texts
        # Nothing of the contract in a comment or as code: only inside string literals.
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if "__import__" in token.string or "exit 3" in token.string:
                assert token.type == tokenize.STRING, token
        calls = {
            n.func.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        assert "__import__" not in calls
        module(contract, "serving", target)  # runs, and exits no process


def test_hostile_names_round_trip() -> None:
    contract = skewless.loads_contract(HOSTILE)
    env: Env = "serving"
    record = {INJECTION: "text", TRIPLE: "\\", "p": None, "extra": 1}
    record |= {name: i for i, name in enumerate(PLAIN)}
    result = contract.record_validator(env).validate(record)
    assert result.ok
    assert result.record is not None
    ok, got = pydantic_says(contract, env, record)
    assert ok, got
    assert_same_record(result.record, got)
    assert got["p"] == "x"
    names = field_names([c for c in contract.columns if c.allowed_in(env)])
    assert len(set(names)) == len(names)
    assert all(n.isascii() and n.isidentifier() and not n.startswith("_") for n in names)
    frame = pd.DataFrame({k: pd.Series([v], dtype=object) for k, v in record.items()})
    assert contract.validate(frame, env=env).ok
    assert pandera_says(contract, env, frame)[0]
    for bad in ({**record, "label": True}, {**record, 3: 1}, {**record, TRIPLE: "é "}):
        assert not contract.record_validator(env).validate(bad).ok
        assert not pydantic_says(contract, env, bad)[0], bad


def test_generating_loads_no_heavy_library() -> None:
    path = ROOT / "contracts" / "user_features.yaml"
    loaded = heavy_after(
        "import skewless\nfrom skewless.codegen import pandera_source, pydantic_source\n"
        f"c = skewless.load_contract({str(path)!r})\n"
        "assert pandera_source(c) and pydantic_source(c, env='serving')"
    )
    assert loaded == "", f"skewless.codegen pulled in: {loaded}"


def test_an_unfrozen_contract_is_refused() -> None:
    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n"
        "  a: {type: integer, nullable: true, fill_null: {freeze: median}}\n"
    )
    for generate in (pandera_source, pydantic_source):
        with pytest.raises(skewless.ContractError, match="unfrozen"):
            generate(contract)


def test_untranslated_patterns_are_named_not_applied() -> None:
    contract = CONTRACTS["patterns"]
    generated = module(contract, None, "pydantic")
    left = {c.name: c.pattern for c in contract.columns if _untranslated(c)}
    assert left
    assert left == generated.UNEXPRESSED_PATTERNS
    assert left == module(contract, None, "pandera").UNEXPRESSED_PATTERNS


# --- docs ---------------------------------------------------------------------------------------

DOCS = ROOT / "docs" / "codegen.md"


def test_the_docs_list_what_each_target_cannot_express() -> None:
    text = " ".join(DOCS.read_text(encoding="utf-8").replace("`", "").split())
    for target, rules in NOT_EXPRESSED.items():
        for rule in rules:
            assert rule in text, (target, rule)
        # Every code the tests set aside is named in a rule of its target.
        said = " ".join(rules)
        for code in UNEXPRESSED[target]:
            assert code in said or code.split("_")[0] in said, (target, code)


def test_the_docs_examples_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    import sys
    import tempfile

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(tempfile, "mkdtemp", lambda: str(tmp_path))
    monkeypatch.setattr(sys, "path", list(sys.path))  # the example adds its folder
    before = set(sys.modules)
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert blocks
    namespace: dict[str, Any] = {}
    try:
        for block in blocks:
            exec(compile(block, str(DOCS), "exec", dont_inherit=True), namespace)  # noqa: S102
    finally:
        for name in set(sys.modules) - before:
            if name.startswith("user_features_"):
                del sys.modules[name]
