"""The public strategies and the adversarial cases, against both validators.

For every contract in `contracts/` and `tests/contracts/valid/`, and contracts written here to
reach every adversarial class (an ASCII string without a pattern, a zone with 30-minute DST,
patterns in RE2's own spelling, a unique column with three values), in every environment:

- valid records (`strategies.records`, JSON-like and Python objects) and valid-but-nasty ones
  (`nasty.records`) pass the record path and the batch path (the records as one JSON Lines
  chunk of the batch engine, as `skewless.io.JsonlSource` builds it); payload bytes
  (`strategies.payloads`) pass `validate_body`; frames (`strategies.frames`) pass
  `contract.validate`;
- every adversarial case (`adversarial.cases`) gets exactly its expected codes, at its column, on
  the record path and the batch path, and through `validate_body` when the record is JSON; a body
  case (a repeated key, bytes that are not UTF-8) through `validate_body`; and both, one a line,
  through the JSON Lines reader (`skewless.io`) whenever a file is written. A sweep draws one case
  of every class that applies, so no class depends on luck.

Row-spanning checks (not_unique, duplicate_key, row_count, cadence_mismatch) are left out of
the batch side: the records of one chunk are independent draws.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import skewless
from skewless import adversarial, nasty, strategies
from skewless.adversarial import BODIES, DEFECTS, STRUCTURE, Case
from skewless.batch import compile_contract
from skewless.checks import CHECKS, ROW_SPANNING, fullmatcher
from skewless.contract import Contract, Env
from skewless.io import validate_file
from tests.test_exports import heavy_after

ROOT = Path(__file__).resolve().parent.parent
SPANNING = frozenset(str(code) for code in ROW_SPANNING)
ENVS: tuple[Env | None, ...] = (None, "training", "serving")
Codes = tuple[tuple[str, str | None], ...]

# Reaches the classes no repository contract has: ASCII and BMP text without a pattern, text
# with control characters allowed, a vocabulary with caseless values, numbers with bounds of
# every kind, a zone whose DST moves clocks by 30 minutes, a pattern that takes a newline.
EVERY_CLASS = """
contract: every_class
version: 1.0.0
timezone: America/Los_Angeles
columns:
  code: {type: string, charset: ascii, min_length: 2, max_length: 8}
  note: {type: string, charset: bmp, max_length: 20, nullable: true}
  raw: {type: string, allow_control: true, required: false, nullable: true}
  free: {type: string, min_length: 1}
  no_comma: {type: string, pattern: '[^,]+', max_length: 6}
  level: {type: category, values: [low, high, '=', 'Ω', '']}
  kind: {type: category, values: [a, b], unknown: {map_to: b}, nullable: true}
  n: {type: integer, min: -5, max: 5}
  big: {type: integer, max: 9007199254740993, coerce: true}
  ratio: {type: float, min: 0.5, max: 9007199254740993}
  score: {type: float, allow_nan: true, allow_inf: true, nullable: true, fill_null: 0.0}
  open: {type: float, allow_inf: true, min: 0}
  flag: {type: boolean}
  yes_no: {type: boolean, coerce: true, nullable: true}
  at: {type: datetime, naive: assume, other_zones: reject}
  utc_at: {type: datetime, timezone: UTC, nullable: true}
  howe: {type: datetime, timezone: Australia/Lord_Howe, naive: assume}
  day: {type: date}
  label: {type: boolean, only_in: training}
  debug: {type: string, only_in: serving, nullable: true}
checks:
  unique: [[n, flag]]
"""
# Patterns in RE2's own spelling, which Python's `re` reads another way or not at all.
PATTERNS = r"""
contract: patterns
version: 1.0.0
extra_columns: allow
columns:
  digits: {type: string, pattern: '\d{3}-\d{2}$'}
  spaced: {type: string, pattern: '^\w+\s\S+\z'}
  posix: {type: string, pattern: '[[:alpha:]][[:digit:]_]{0,3}', charset: bmp}
  hex: {type: string, pattern: '\x{41}+\x{1F600}?'}
  quoted: {type: string, pattern: '\Qa.b\E(?i:x)'}
  named: {type: string, pattern: '(?P<year>[0-9]{4})-(?<month>[01][0-9])', max_length: 7}
  either: {type: string, pattern: '^(?:yes|no)$|^[A-Z]$', nullable: true}
"""
# A unique column of three values: frames hold at most three rows.
SMALL_KEYS = """
contract: small_keys
version: 1.0.0
extra_columns: drop
columns:
  rank: {type: integer, min: 1, max: 3, unique: true}
  tier: {type: category, values: [a, b], nullable: true, fill_null: a}
  on: {type: boolean, nullable: true}
checks:
  unique: [[tier, on]]
"""
CONTRACT_PATHS = sorted((ROOT / "contracts").glob("*.yaml")) + sorted(
    (ROOT / "tests" / "contracts" / "valid").glob("*.yaml")
)
CONTRACTS: dict[str, Contract] = {p.name: skewless.load_contract(p) for p in CONTRACT_PATHS} | {
    "every_class": skewless.loads_contract(EVERY_CLASS),
    "patterns": skewless.loads_contract(PATTERNS),
    "small_keys": skewless.loads_contract(SMALL_KEYS),
}
ALL_CLASSES = [d.name for d in DEFECTS] + [s.name for s in STRUCTURE + BODIES]
# Each property runs once per contract (eight of them), so at most 80 examples each (640 per
# property under the ci profile) keep this file under a minute; never more than the profile.
EXAMPLES = settings(max_examples=min(settings.default.max_examples, 80))


@pytest.fixture(scope="module", params=sorted(CONTRACTS))
def contract(request: pytest.FixtureRequest) -> Contract:
    return CONTRACTS[request.param]


# --- the paths --------------------------------------------------------------------------------


def codes(violations: Iterable[Any]) -> Codes:
    """(code, column) pairs sorted as `Case.expected` sorts them, row-spanning codes left out."""
    found = [(str(v.code), v.column) for v in violations if str(v.code) not in SPANNING]
    return tuple(sorted(found, key=lambda p: (p[0], p[1] or "")))


def record_path(contract: Contract, records: list[Any], env: Env | None) -> list[Codes]:
    results = contract.record_validator(env).validate_many(records)
    return [codes(result.violations) for result in results]


def batch_path(contract: Contract, records: list[Any], env: Env | None) -> list[Codes]:
    """The records as one chunk of a JSON Lines source (`JsonlSource.chunks`, `emit()`): the
    codes of each row."""
    n = len(records)
    report, _ = compile_contract(contract).records(records, env=env)
    assert report.rows == n
    rows: list[list[Any]] = [[] for _ in range(n)]
    for v in report.violations:
        if str(v.code) in SPANNING:
            continue
        assert v.row is not None, v
        assert 0 <= v.row < n, v
        rows[v.row].append(v)
    return [codes(row) for row in rows]


def body_path(contract: Contract, body: bytes, env: Env | None) -> Codes:
    result = contract.record_validator(env).validate_body(body)
    return codes([*result.violations, *(v for r in result.results for v in r.violations)])


def jsonl_path(contract: Contract, lines: list[bytes], env: Env | None) -> list[Codes]:
    """The lines as a JSON Lines file through `skewless.io`: the codes of each line."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.jsonl"
        path.write_bytes(b"".join(line + b"\n" for line in lines))
        report = validate_file(contract, path, env=env)
    rows: list[list[Any]] = [[] for _ in lines]
    for v in report.violations:
        if str(v.code) not in SPANNING:
            assert v.row is not None, v
            rows[v.row].append(v)
    return [codes(row) for row in rows]


def json_body(record: dict[str, Any]) -> bytes | None:
    """The record as a client would send it, or None if it holds no JSON value (objects)."""
    try:
        return strategies.to_body(record)
    except TypeError:
        return None


def shown(value: Any) -> str:
    return ascii(value)[:2000]


# --- valid data passes ------------------------------------------------------------------------


@EXAMPLES
@given(data=st.data())
def test_valid_records_nasty_records_and_payloads_pass(
    contract: Contract, data: st.DataObject
) -> None:
    env = data.draw(st.sampled_from(ENVS), label="env")
    python = data.draw(st.booleans(), label="python")
    drawn = data.draw(st.lists(strategies.records(contract, env=env, python=python), max_size=3))
    drawn += data.draw(st.lists(nasty.records(contract, env=env, python=python), max_size=3))
    if drawn:
        for record, online, batch in zip(
            drawn,
            record_path(contract, drawn, env),
            batch_path(contract, drawn, env),
            strict=True,
        ):
            assert online == (), f"record path refused {shown(record)}: {online}"
            assert batch == (), f"batch path refused {shown(record)}: {batch}"
    body = data.draw(strategies.payloads(contract, env=env), label="payload")
    assert body_path(contract, body, env) == (), shown(body)


@EXAMPLES
@given(data=st.data())
def test_frames_pass_the_batch_path(contract: Contract, data: st.DataObject) -> None:
    env = data.draw(st.sampled_from(ENVS), label="env")
    frame = data.draw(strategies.frames(contract, env=env, max_rows=8), label="frame")
    report = contract.validate(frame, env=env)
    assert report.ok, f"{report.violations[:5]}\n{frame.dtypes}\n{shown(frame.to_dict('list'))}"
    rows_min, rows_max = contract.checks.rows_min or 0, contract.checks.rows_max or len(frame)
    assert rows_min <= len(frame) <= rows_max


# --- adversarial cases get their code ---------------------------------------------------------


def assert_cases(contract: Contract, cases: list[Case], env: Env | None, *, jsonl: bool) -> None:
    """Each case gets exactly its expected codes on every path it can take: a record on the
    record and batch paths and, as JSON, `validate_body`; a body through `validate_body`; and
    both, one a line, through the JSON Lines reader when there is a body case or `jsonl`."""
    lines: list[tuple[Case, bytes]] = []
    held = [c for c in cases if c.record is not None]
    records = [c.record for c in held]
    if held:
        for case, online, batch in zip(
            held,
            record_path(contract, records, env),
            batch_path(contract, records, env),
            strict=True,
        ):
            where = f"{case.name} at {case.column!r}: {shown(case.record)}"
            assert online == case.expected, f"{where}\n record path: {online}"
            assert batch == case.expected, f"{where}\n batch path: {batch}"
            body = json_body(case.record) if case.record is not None else None
            if body is not None:
                got = body_path(contract, body, env)
                assert got == case.expected, f"{where}\n validate_body: {got}"
                lines.append((case, body))
    sent = [(c, c.body) for c in cases if c.body is not None]
    for case, body in sent:
        got = body_path(contract, body, env)
        assert got == case.expected, f"{case.name}: {shown(body)}\n validate_body: {got}"
    if sent or (jsonl and lines):
        lines += sent
        for (case, line), got in zip(
            lines, jsonl_path(contract, [b for _, b in lines], env), strict=True
        ):
            assert got == case.expected, f"{case.name}: {shown(line)}\n JSON Lines: {got}"


@EXAMPLES
@given(data=st.data())
def test_every_case_gets_its_code_on_every_path(contract: Contract, data: st.DataObject) -> None:
    env = data.draw(st.sampled_from(ENVS), label="env")
    python = data.draw(st.booleans(), label="python")
    drawn = data.draw(
        st.lists(adversarial.cases(contract, env=env, python=python), min_size=1, max_size=4),
        label="cases",
    )
    assert_cases(contract, drawn, env, jsonl=False)


# The classes in groups of eight: a whole record per class, and a group's records still fit
# what hypothesis draws for one example.
SWEEP = [ALL_CLASSES[i : i + 8] for i in range(0, len(ALL_CLASSES), 8)]


@pytest.mark.parametrize("group", range(len(SWEEP)), ids=lambda i: f"{SWEEP[i][0]}...")
@settings(
    max_examples=min(settings.default.max_examples, 3),
    suppress_health_check=[HealthCheck.large_base_example, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_case_of_every_class_in_a_sweep(
    contract: Contract, group: int, data: st.DataObject
) -> None:
    """One case of every class of the group that applies, all through the paths at once: no
    class depends on the random test drawing it."""
    env = data.draw(st.sampled_from(ENVS), label="env")
    applies = {name for name, _ in adversarial.classes(contract, env=env)}
    drawn = [
        data.draw(adversarial.cases(contract, env=env, only={name}), label=name)
        for name in SWEEP[group]
        if name in applies
    ]
    assert_cases(contract, drawn, env, jsonl=True)


def test_every_class_applies_to_a_contract_here() -> None:
    found = {
        name
        for contract in CONTRACTS.values()
        for env in ENVS
        for name, _ in adversarial.classes(contract, env=env)
    }
    assert found == set(ALL_CLASSES)
    assert len(ALL_CLASSES) == len(set(ALL_CLASSES))


def test_every_code_a_record_or_body_can_trigger_has_a_class() -> None:
    """The check table's codes, and the codes of reading values and records, each have a class
    here: a new check kind without its adversarial form fails this test."""
    covered = {str(s.code) for s in STRUCTURE + BODIES}
    for contract in CONTRACTS.values():
        for column in contract.columns:
            covered |= {str(d.code(column)) for d in DEFECTS if d.applies(column)}
    assert {str(kind.code) for kind in CHECKS} <= covered
    # Not drawn: the row-spanning codes (no single record triggers them) and a body over the
    # size limit (docs/fuzzing.md says how to test it).
    assert set(map(str, skewless.Code)) - covered == SPANNING | {"payload_too_large"}


def test_classes_apply_where_they_can_carry_one_code_alone() -> None:
    user = CONTRACTS["user_features.yaml"]
    pairs = set(adversarial.classes(user, env="serving"))
    # A NUL in a patterned string breaks the pattern too: not a nul case there.
    assert ("nul", "comment") in pairs
    assert ("nul", "country") not in pairs
    assert ("lone_surrogate", "country") in pairs  # invalid_unicode comes first, alone
    assert ("astral_in_bmp", "comment") in pairs
    assert ("astral_in_bmp", "referrer") not in pairs
    assert ("dst_gap", "local_time") in pairs
    assert ("dst_gap", "last_purchase_at") not in pairs
    assert ("foreign_zone", "last_purchase_at") in pairs
    assert ("foreign_zone", "local_time") not in pairs
    assert ("homoglyph", "browser_type") in pairs
    assert ("homoglyph", "os") not in pairs  # unknown: {map_to: Other} takes any text
    assert ("misplaced_column", "label") in pairs
    assert not any(name == "misplaced_column" for name, _ in adversarial.classes(user, env=None))


def test_a_rename_is_also_an_unexpected_column_under_reject() -> None:
    user = CONTRACTS["user_features.yaml"]

    @given(adversarial.cases(user, env="serving", only={"renamed_column"}))
    def check(case: Case) -> None:
        assert case.code == skewless.Code.MISSING_COLUMN
        [(code, name)] = case.also
        assert code == skewless.Code.UNEXPECTED_COLUMN
        assert case.record is not None
        assert name in case.record
        assert case.column not in case.record

    check()


# --- construction, not filtering -------------------------------------------------------------


def test_strategies_are_built_from_bounds_not_filters() -> None:
    for module in (strategies, adversarial):
        source = Path(str(module.__file__)).read_text(encoding="utf-8")
        filters = [line for line in source.splitlines() if re.search(r"[\w)]\.filter\(", line)]
        if module is strategies:
            # The one last resort: a length bound on st.from_regex draws, documented in place.
            assert len(filters) == 1, filters
            assert "last resort" in filters[0]
            assert "validat" not in filters[0]
        else:
            assert filters == []
        assert "assume(" not in source


def test_import_skewless_strategies_loads_no_pandas() -> None:
    loaded = heavy_after("import skewless.strategies, skewless.adversarial")
    assert loaded == "hypothesis", loaded


@pytest.mark.parametrize(
    "pattern",
    [
        r"^[A-Z]{2}$",
        r"\d{3}-\d{2}$",
        r"^\w+\s\S+\z",
        r"[[:alpha:]][[:digit:]_]{0,3}",
        r"\x{41}+\x{1F600}?",
        r"\Qa.b\E(?i:x)",
        r"(?P<year>[0-9]{4})-(?<month>[01][0-9])",
        r"[^,]+",
        r"[]a]+",
        r"(?U)a+?b",
        r"a{,2}b",
    ],
)
def test_drawn_text_matches_the_pattern_as_re2_reads_it(pattern: str) -> None:
    column = skewless.Column("text", "string", pattern=pattern, charset="bmp")
    matches = fullmatcher(pattern)

    @settings(max_examples=min(settings.default.max_examples, 50))
    @given(strategies.text(column))
    def check(value: str) -> None:
        assert matches(value), ascii(value)
        assert all(ord(ch) <= 0xFFFF for ch in value)

    check()


@pytest.mark.parametrize("pattern", [r"\pL+", r"\p{Greek}", r"a\C"])
def test_patterns_without_a_python_spelling_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="Python spelling"):
        strategies.python_pattern(pattern)


def test_values_of_a_column_outside_its_environment_are_refused() -> None:
    label = CONTRACTS["user_features.yaml"].column("label")
    with pytest.raises(ValueError, match="only in training"):
        strategies.values(label, env="serving")


def test_frames_respect_row_bounds_and_small_unique_domains() -> None:
    small = CONTRACTS["small_keys"]

    @given(strategies.frames(small, max_rows=50))
    def check(frame: Any) -> None:
        assert len(frame) <= 3  # three ranks
        assert frame["rank"].is_unique

    check()
    with pytest.raises(ValueError, match="allows no frame"):
        strategies.frames(small, min_rows=4)


def test_an_int64_column_past_2_53_reads_as_float() -> None:
    """Found by these strategies (fixed in 34f0d73): an int64 column past 2**53 read as float
    raised ArrowInvalid, pyarrow's safe cast, where the record path read the float."""
    import pandas as pd

    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n  f: {type: float}\n"
    )
    assert contract.record_validator().validate({"f": 2**60}).ok
    assert contract.validate(pd.DataFrame({"f": [2**60]})).ok


def test_dst_shifts_of_los_angeles_in_2024() -> None:
    import datetime as dt

    found = [s for s in adversarial.shifts("America/Los_Angeles") if s.start.year == 2024]
    hour = dt.timedelta(hours=1)
    assert found == [
        adversarial.Shift(dt.datetime(2024, 3, 10, 2), hour, gap=True),
        adversarial.Shift(dt.datetime(2024, 11, 3, 1), hour, gap=False),
    ]
    assert adversarial.shifts("UTC") == ()


# --- the documentation ------------------------------------------------------------------------


def test_docs_list_every_class_with_its_code() -> None:
    docs = (ROOT / "docs" / "fuzzing.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([a-z0-9_]+)` \|.*$", docs, re.M)}
    for name in ALL_CLASSES:
        assert name in rows, f"docs/fuzzing.md has no row for {name}"
    for shape in STRUCTURE + BODIES:
        assert f"`{shape.code}`" in rows[shape.name], shape.name
    for defect in DEFECTS:
        contract = CONTRACTS["every_class"]
        for column in contract.columns:
            if defect.applies(column):
                assert f"`{defect.code(column)}`" in rows[defect.name], (defect.name, column)


def test_docs_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python examples of docs/fuzzing.md, run in order as one test module."""
    monkeypatch.chdir(ROOT)
    docs = (ROOT / "docs" / "fuzzing.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", docs, re.S)
    assert len(blocks) >= 3
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    for block in blocks:
        exec(compile(block, "docs/fuzzing.md", "exec"), namespace)  # noqa: S102 - our own docs
    tests = [f for name, f in namespace.items() if name.startswith("test_") and callable(f)]
    assert len(tests) >= 3
    for test in tests:
        test()
