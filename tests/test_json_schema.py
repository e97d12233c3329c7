"""skewless.json_schema: contracts as JSON Schema (Draft 2020-12), checked against the record path.

For every contract in `contracts/` and `tests/contracts/valid/` (and those tests/test_strategies.py
writes to reach every adversarial class and RE2's own pattern spellings), in every environment:

- the record and body schemas are valid Draft 2020-12 (the metaschema), and compile in
  jsonschema-rs, the Rust validator schemathesis checks responses with;
- every valid record (`strategies.records`, `nasty.records`) passes the schema;
- every adversarial case of a class JSON Schema can express is refused by the schema exactly as
  the record validator refuses it; the classes it cannot express are `NOT_EXPRESSED`'s.

And: translated patterns (`skewless.ecma`) match what RE2 matches, on Python's `re` and jsonschema-rs alike; the
date pattern is the calendar; a body is one record or a list of 1 to max_records, as the
middleware reads it; docs/json-schema.md lists what is not expressed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from functools import lru_cache
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import skewless
from skewless import adversarial, nasty, strategies
from skewless.adversarial import Case
from skewless.checks import fullmatcher
from skewless.contract import Contract, Env
from skewless.ecma import ecma_pattern
from skewless.json_schema import DIALECT, NOT_EXPRESSED, body_schema, openapi_body, record_schema
from tests.conftest import ROOT
from tests.test_strategies import CONTRACTS, ENVS

# Every contract and environment runs the same property; at most 40 examples each keeps the
# file under a minute on the ci profile, never more than the profile says.
EXAMPLES = settings(max_examples=min(settings.default.max_examples, 40))

# The adversarial classes JSON Schema can express, with the columns where it can (None: all).
EXPRESSIBLE: dict[str, Any] = {
    "nul": None,
    "control": None,
    "astral_in_bmp": None,
    "non_ascii": None,
    "zero_width": None,
    "rtl_mark": None,
    "overlong": None,
    "underlong": None,
    "trailing_newline": lambda c: ecma_pattern(c.pattern) is not None,
    "near_miss_case": None,
    "near_miss_space": None,
    "homoglyph": None,
    "unseen_category": None,
    "below_min": None,
    "above_max": None,
    "int64_max_plus_1": None,
    "int64_min_minus_1": None,
    "bool_as_int": None,
    "number_as_string": None,
    "int_as_bool": None,
    "bool_as_string": None,
    "number_for_text": None,
    "naive_datetime": None,
    "foreign_zone": lambda c: c.timezone == "UTC",  # elsewhere the offset depends on the instant
    "date_for_datetime": None,
    "epoch_number": None,
    "impossible_datetime": None,
    "datetime_for_date": None,
    "impossible_date": None,
    "null": None,
    "wrong_type": None,
    "missing_column": None,
    "extra_column": None,
    "misplaced_column": None,
    "renamed_column": None,
}
# Not expressible, each for a reason NOT_EXPRESSED gives: JSON's numbers, the JSON reader,
# zones and calendars that depend on the instant, and the JSON text itself.
NOT_EXPRESSIBLE = {
    "nan",
    "inf",
    "whole_float",
    "lone_surrogate",
    "dst_gap",
    "dst_fold",
    "outside_years",
    *(shape.name for shape in adversarial.BODIES),
}


@lru_cache(maxsize=64)
def validator(contract: Contract, env: Env | None) -> Draft202012Validator:
    schema = record_schema(contract, env=env)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def skewless_accepts(contract: Contract, record: Any, env: Env | None) -> bool:
    return contract.record_validator(env).validate(record).ok


def why(schema_validator: Draft202012Validator, record: Any) -> str:
    return "; ".join(f"{list(e.path)}: {e.message}" for e in schema_validator.iter_errors(record))


@pytest.fixture(scope="module", params=sorted(CONTRACTS))
def contract(request: pytest.FixtureRequest) -> Contract:
    return CONTRACTS[request.param]


def test_every_class_is_sorted_into_expressible_or_not() -> None:
    every = {d.name for d in adversarial.DEFECTS}
    every |= {s.name for s in adversarial.STRUCTURE + adversarial.BODIES}
    assert set(EXPRESSIBLE) | NOT_EXPRESSIBLE == every
    assert not set(EXPRESSIBLE) & NOT_EXPRESSIBLE


# --- the schemas are JSON Schema ----------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_the_schemas_pass_the_draft_2020_12_metaschema(contract: Contract, env: Env | None) -> None:
    record = record_schema(contract, env=env)
    body = body_schema(contract, env=env)
    for schema in (record, body):
        assert schema["$schema"] == DIALECT
        Draft202012Validator.check_schema(schema)
        jsonschema_rs.validator_for(schema)  # every pattern compiles in a second engine
    assert record["title"] == contract.name
    assert contract.version in record["$comment"]
    assert body["$defs"][contract.name] == {k: v for k, v in record.items() if k != "$schema"}
    for column in contract.columns:
        if column.allowed_in(env) and column.description:
            assert record["properties"][column.name]["description"] == column.description


def test_the_user_features_schema_says_what_the_contract_says() -> None:
    schema = record_schema(skewless.load_contract(ROOT / "contracts" / "user_features.yaml"))
    properties = schema["properties"]
    assert "label" not in properties  # only_in: training
    assert schema["additionalProperties"] is False
    assert schema["required"] == list(properties)  # required: true, nullable or not
    assert properties["user_age"] == {"type": "integer", "minimum": 13, "maximum": 120}
    assert properties["user_id"]["maximum"] == 2**63 - 1
    assert properties["browser_type"] == {"enum": ["Chrome", "Safari", "Firefox", "Edge", "Other"]}
    assert "enum" not in properties["os"]  # unknown: {map_to: Other} takes any text
    assert properties["click_rate"]["type"] == ["number", "null"]
    assert properties["country"]["pattern"] == "^(?:[A-Z]{2})$(?!\\n)"
    assert properties["last_purchase_at"]["format"] == "date-time"
    assert "format" not in properties["local_time"]  # naive: assume: no offset needed
    assert properties["signup_date"]["format"] == "date"


def test_an_optional_nullable_column_may_be_left_out_an_optional_other_may_not() -> None:
    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n"
        "  a: {type: integer}\n"
        "  b: {type: integer, required: false}\n"  # absent reads as null: null_not_allowed
        "  c: {type: category, values: [x, y], nullable: true, required: false}\n"
    )
    schema = record_schema(contract)
    assert schema["required"] == ["a", "b"]
    assert schema["properties"]["c"]["enum"] == ["x", "y", None]
    check = Draft202012Validator(schema)
    for record in (
        {"a": 1},
        {"a": 1, "b": 2},
        {"a": 1, "b": 2, "c": None},
        {"a": 1, "b": 2, "c": "x"},
    ):
        assert check.is_valid(record) == skewless_accepts(contract, record, "serving"), record


# --- valid data passes, expressible defects fail --------------------------------------------------


@EXAMPLES
@given(data=st.data())
def test_every_valid_record_passes_the_schema(contract: Contract, data: st.DataObject) -> None:
    env = data.draw(st.sampled_from(ENVS), label="env")
    record = data.draw(
        strategies.records(contract, env=env) | nasty.records(contract, env=env), label="record"
    )
    assert skewless_accepts(contract, record, env)
    check = validator(contract, env)
    assert check.is_valid(record), why(check, record)


@settings(max_examples=settings.default.max_examples)  # one class an example: the full budget
@given(data=st.data())
def test_expressible_defects_fail_the_schema_as_they_fail_skewless(
    contract: Contract, data: st.DataObject
) -> None:
    env = data.draw(st.sampled_from(ENVS), label="env")
    names = sorted({name for name, _ in adversarial.classes(contract, env=env)} & set(EXPRESSIBLE))
    assume(names)
    check = validator(contract, env)
    # One class an example, each as likely (a sweep of all of them in one example makes a base
    # example too large for hypothesis on wide contracts).
    name = data.draw(st.sampled_from(names), label="class")
    case: Case = data.draw(adversarial.cases(contract, env=env, only=[name]), label=name)
    applies = EXPRESSIBLE[case.name]
    if case.column is not None and applies is not None:
        assume(applies(contract.column(case.column)))
    assert case.record is not None
    verdict = skewless_accepts(contract, case.record, env)
    assert not verdict, case  # the cases are built to fail
    assert check.is_valid(case.record) == verdict, (case.name, case.column, case.record)


# --- patterns ----------------------------------------------------------------------------------

# RE2 spellings Python's `re` or ECMA-262 read another way, and the translation of each.
TRANSLATED = {
    r"^[A-Z]{2}$": r"^(?:[A-Z]{2})$(?!\n)",
    r"\d{3}": r"^(?:[0-9]{3})$(?!\n)",  # Python's \d takes Arabic-Indic digits too
    r"\w+\s\S": r"^(?:[0-9A-Za-z_]+[\t\n\f\r ][^\t\n\f\r ])$(?!\n)",
    r"a.c": r"^(?:a[^\n]c)$(?!\n)",  # ECMA-262's . also refuses \r
    r"[[:alpha:]]+": r"^(?:[A-Za-z]+)$(?!\n)",
    r"(?P<y>[0-9]{4})-(?<m>[01][0-9])": r"^(?:(?:[0-9]{4})-(?:[01][0-9]))$(?!\n)",
    r"a{,3}": r"^(?:a\{,3\})$(?!\n)",  # RE2: text, Python: a repeat
    r"[]a]": r"^(?:[\x5da])$(?!\n)",
    r"[a&&b~~]": r"^(?:[a\x26\x26b\x7e\x7e])$(?!\n)",
    r"\Qa.b\E": r"^(?:a\.b)$(?!\n)",
    r"\x{263a}|x$|^y": r"^(?:\u263a|x$(?!\n)|^y)$(?!\n)",
    r"[a-z.-]+": r"^(?:[a-z.-]+)$(?!\n)",
}
UNTRANSLATED = [r"(?i)abc", r"a(?i:b)", r"\bword\b", r"\pL+", r"\x{1F600}", r"[\D]", r"\C"]
ALPHABET = "aAbcxyz0123٣_-.,: \t\n\r\f\v&~]{}[$^😀☺é"


@pytest.mark.parametrize(("pattern", "expected"), sorted(TRANSLATED.items()))
def test_re2_patterns_are_spelled_for_ecma_262_and_python(pattern: str, expected: str) -> None:
    assert ecma_pattern(pattern) == expected


@pytest.mark.parametrize("pattern", UNTRANSLATED)
def test_patterns_with_no_faithful_spelling_are_left_out(pattern: str) -> None:
    assert ecma_pattern(pattern) is None
    contract = skewless.loads_contract(
        f"contract: t\nversion: 1.0.0\ncolumns:\n  s: {{type: string, pattern: '{pattern}'}}\n"
    )
    column = record_schema(contract)["properties"]["s"]
    assert "not expressed" in column["$comment"]
    assert column["pattern"].startswith("^[^\\x00")  # the control-character rule alone


PATTERNS = sorted(
    {c.pattern for k in CONTRACTS.values() for c in k.columns if c.pattern is not None}
    | set(TRANSLATED)
)


def test_the_repository_patterns_translate_but_two() -> None:
    left_out = [p for p in PATTERNS if ecma_pattern(p) is None]
    assert left_out == [r"\Qa.b\E(?i:x)", r"\x{41}+\x{1F600}?"]  # a flag, a code point > FFFF


@pytest.mark.parametrize("pattern", [p for p in PATTERNS if ecma_pattern(p) is not None])
@settings(max_examples=min(settings.default.max_examples, 60))
@given(data=st.data())
def test_a_translated_pattern_matches_what_re2_matches(pattern: str, data: st.DataObject) -> None:
    translated = ecma_pattern(pattern)
    assert translated is not None
    # Text the translation matches, text RE2 matches (where Python can spell the pattern to
    # draw from), and any text.
    options = [st.from_regex(translated), st.text(ALPHABET, max_size=8)]
    with contextlib.suppress(ValueError, FutureWarning):  # \pL; a class Python reads as a set
        options.append(st.from_regex(strategies.python_pattern(pattern), fullmatch=True))
    drawn = data.draw(st.one_of(options), label="text")
    for text in (drawn, drawn + "\n", "\n" + drawn, drawn[1:], drawn + drawn):
        expected = fullmatcher(pattern)(text)
        assert bool(re.search(translated, text)) == expected, (text, translated)
        schema = {"type": "string", "pattern": translated}
        assert jsonschema_rs.is_valid(schema, text) == expected, (text, translated)


def test_the_date_pattern_is_the_calendar() -> None:
    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ntimezone: UTC\ncolumns:\n  d: {type: date}\n"
        "  t: {type: datetime, naive: assume}\n"
    )
    properties = record_schema(contract)["properties"]
    date, wall = re.compile(properties["d"]["pattern"]), re.compile(properties["t"]["pattern"])
    for year in (0, 1, 3, 4, 100, 400, 1900, 2000, 2023, 2024, 9999):
        for month in range(14):
            for day in range(33):
                text = f"{year:04d}-{month:02d}-{day:02d}"
                try:
                    dt.date.fromisoformat(text)
                    real = True
                except ValueError:
                    real = False
                assert bool(date.search(text)) == real, text
                assert bool(wall.search(text + "T10:00:00")) == real, text


# --- bodies -------------------------------------------------------------------------------------


@EXAMPLES
@given(data=st.data())
def test_a_body_is_a_record_or_a_list_as_the_middleware_reads_it(
    contract: Contract, data: st.DataObject
) -> None:
    env = data.draw(st.sampled_from(ENVS), label="env")
    body = Draft202012Validator(body_schema(contract, env=env, max_records=3))
    validate = contract.record_validator(env).validate_body
    records = data.draw(st.lists(strategies.records(contract, env=env), min_size=1, max_size=3))
    for document in (records, records[0]):
        assert body.is_valid(document), why(body, document)
        assert validate(strategies.to_body(document), max_records=3).ok
    for document in ([], records * 4, 42, "text", None, [records[0], 1]):
        assert not body.is_valid(document), document
        assert not validate(strategies.to_body(document), max_records=3).ok, document


def test_openapi_bodies_refer_to_components() -> None:
    contract = CONTRACTS["user_features.yaml"]
    body, components = openapi_body(contract, max_records=10)
    assert body["anyOf"][0] == {"$ref": "#/components/schemas/user_features"}
    assert body["anyOf"][1]["maxItems"] == 10
    record = record_schema(contract)
    del record["$schema"]
    assert components == {"user_features": record}


# --- docs ---------------------------------------------------------------------------------------


def test_the_docs_list_every_rule_json_schema_cannot_express() -> None:
    text = (ROOT / "docs" / "json-schema.md").read_text(encoding="utf-8")
    docs = " ".join(text.replace("`", "").split())
    for rule in NOT_EXPRESSED:
        assert rule in docs, rule
