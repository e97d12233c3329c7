"""Every violation code: a test that triggers it, and a section in docs/violations.md.

Each test below builds a small contract and the smallest data that breaks it, validates for
real (a DataFrame through `Contract.validate`, or a file through `skewless.io.validate_file` for
what only a reader can see), and checks the code lands on the right column and row. `@triggers`
records which code a test proves; `test_every_code_is_triggered_and_documented` fails, naming the
codes, when a member of `skewless.Code` has no such test or no `## \\`code\\`` heading in the docs.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pytest

import skewless
import skewless.io
from skewless import Code

DOCS = Path(__file__).resolve().parent.parent / "docs" / "violations.md"

TRIGGERS: dict[Code, list[str]] = {}


def triggers(code: Code) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register the decorated test as the proof that `code` can be produced."""

    def register(test: Callable[..., None]) -> Callable[..., None]:
        TRIGGERS.setdefault(code, []).append(test.__name__)
        return test

    return register


def contract_of(columns: str, *, top: str = "", checks: str = "") -> skewless.Contract:
    text = f"contract: t\nversion: 1.0.0\n{top}columns:\n{columns}"
    if checks:
        text += f"checks:\n{checks}"
    return skewless.loads_contract(text)


def found(report: skewless.Report) -> list[tuple[str, str | None, int | None]]:
    return [(v.code, v.column, v.row) for v in report.violations]


def only(report: skewless.Report, code: Code) -> skewless.Violation:
    """The single violation of `code` in the report (its JSON form round-trips)."""
    hits = [v for v in report.violations if v.code == code]
    assert len(hits) == 1, f"expected one {code}, found {found(report)}"
    doc = report.to_dict()
    assert hits[0].to_dict() in doc["violations"]
    assert json.loads(json.dumps(doc)) == doc
    return hits[0]


# --- structure --------------------------------------------------------------------------------


@triggers(Code.MISSING_COLUMN)
def test_missing_column() -> None:
    contract = contract_of("  user_id: {type: integer}\n  age: {type: integer}\n")
    report = contract.validate(pd.DataFrame({"user_id": [1, 2]}))
    v = only(report, Code.MISSING_COLUMN)
    assert (v.column, v.row, v.value) == ("age", None, None)
    assert v.message == "is missing"


@triggers(Code.MISSING_COLUMN)
def test_missing_column_says_where_it_went() -> None:
    contract = contract_of("  user_id: {type: integer}\n  age: {type: integer}\n")
    report = contract.validate(pd.DataFrame({"user_id": [1], "user_age": [30]}))
    assert found(report) == [
        ("missing_column", "age", None),
        ("unexpected_column", "user_age", None),
    ]
    assert report.violations[0].message == "is missing; renamed to 'user_age'?"


@triggers(Code.UNEXPECTED_COLUMN)
def test_unexpected_column() -> None:
    contract = contract_of("  user_id: {type: integer}\n")
    report = contract.validate(pd.DataFrame({"user_id": [1], "debug": ["x"]}))
    v = only(report, Code.UNEXPECTED_COLUMN)
    assert (v.column, v.row) == ("debug", None)
    assert (
        contract_of("  user_id: {type: integer}\n", top="extra_columns: allow\n")
        .validate(pd.DataFrame({"user_id": [1], "debug": ["x"]}))
        .ok
    )


@triggers(Code.UNEXPECTED_COLUMN)
def test_a_training_only_column_in_serving_data() -> None:
    contract = contract_of("  x: {type: integer}\n  label: {type: boolean, only_in: training}\n")
    data = pd.DataFrame({"x": [1], "label": [True]})
    assert contract.validate(data, env="training").ok
    v = only(contract.validate(data, env="serving"), Code.UNEXPECTED_COLUMN)
    assert (v.column, v.row) == ("label", None)


# --- reading values into their type -----------------------------------------------------------


@triggers(Code.WRONG_TYPE)
def test_wrong_type() -> None:
    contract = contract_of("  age: {type: integer}\n")
    report = contract.validate(pd.DataFrame({"age": pd.Series([30, "42"], dtype=object)}))
    v = only(report, Code.WRONG_TYPE)
    assert (v.column, v.row, v.value) == ("age", 1, "'42'")
    assert "coerce: true" in v.message
    coerced = contract_of("  age: {type: integer, coerce: true}\n")
    assert coerced.validate(pd.DataFrame({"age": pd.Series([30, "42"], dtype=object)})).ok


@triggers(Code.WRONG_TYPE)
def test_wrong_type_from_csv_text(tmp_path: Path) -> None:
    path = tmp_path / "flags.csv"
    path.write_bytes(b"id,premium\n1,true\n2,no\n3,FALSE\n")
    contract = contract_of("  id: {type: integer}\n  premium: {type: boolean}\n")
    report = skewless.io.validate_file(contract, path)
    assert found(report) == [("wrong_type", "premium", 1)]
    assert report.violations[0].value == "'no'"


@triggers(Code.NULL_NOT_ALLOWED)
def test_null_not_allowed() -> None:
    contract = contract_of("  age: {type: integer}\n")
    report = contract.validate(pd.DataFrame({"age": pd.array([30, None], dtype="Int64")}))
    v = only(report, Code.NULL_NOT_ALLOWED)
    assert (v.column, v.row) == ("age", 1)
    nullable = contract_of("  age: {type: integer, nullable: true, fill_null: -1}\n")
    assert nullable.normalize(pd.DataFrame({"age": pd.array([30, None], dtype="Int64")}))[
        "age"
    ].tolist() == [30, -1]


@triggers(Code.INTEGER_OVERFLOW)
def test_integer_overflow() -> None:
    contract = contract_of("  user_id: {type: integer}\n")
    report = contract.validate(pd.DataFrame({"user_id": pd.Series([1, 2**64], dtype=object)}))
    v = only(report, Code.INTEGER_OVERFLOW)
    assert (v.column, v.row, v.value) == ("user_id", 1, "18446744073709551616")


@triggers(Code.INTEGER_OVERFLOW)
def test_integer_overflow_from_csv_text(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_bytes(b"user_id\n9223372036854775807\n9223372036854775808\n-0009\n")
    report = skewless.io.validate_file(contract_of("  user_id: {type: integer}\n"), path)
    assert found(report) == [("integer_overflow", "user_id", 1)]


@triggers(Code.INVALID_UNICODE)
def test_invalid_unicode() -> None:
    contract = contract_of("  name: {type: string}\n")
    # pandas' default string dtype refuses a lone surrogate; an object column (a JSON body) holds it.
    report = contract.validate(pd.DataFrame({"name": pd.Series(["ok", "bad\ud800"], dtype=object)}))
    v = only(report, Code.INVALID_UNICODE)
    assert (v.column, v.row, v.value) == ("name", 1, "'bad\\ud800'")


@triggers(Code.INVALID_UNICODE)
def test_invalid_utf8_in_a_csv_cell(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_bytes(b"name\nok\nbad\xff\n")
    report = skewless.io.validate_file(contract_of("  name: {type: string}\n"), path)
    v = only(report, Code.INVALID_UNICODE)
    assert (v.column, v.row, v.value) == ("name", 1, "b'bad\\xff'")


@triggers(Code.NAIVE_DATETIME)
def test_naive_datetime() -> None:
    contract = contract_of("  seen_at: {type: datetime, timezone: UTC}\n")
    data = pd.DataFrame(
        {"seen_at": pd.Series(["2024-05-01T09:00:00Z", "2024-05-01T09:00:00"], dtype=object)}
    )
    v = only(contract.validate(data), Code.NAIVE_DATETIME)
    assert (v.column, v.row, v.value) == ("seen_at", 1, "'2024-05-01T09:00:00'")


@triggers(Code.NAIVE_DATETIME)
def test_naive_datetime_in_a_dst_gap_with_naive_assume() -> None:
    contract = contract_of(
        "  local: {type: datetime, timezone: America/Los_Angeles, naive: assume}\n"
    )
    data = pd.DataFrame(
        {"local": pd.to_datetime(["2024-03-10 01:30", "2024-03-10 02:30", "2024-11-03 01:30"])}
    )
    report = contract.validate(data)
    assert found(report) == [("naive_datetime", "local", 1), ("naive_datetime", "local", 2)]
    assert "DST gap" in report.violations[0].message
    assert "DST fold" in report.violations[1].message


@triggers(Code.WRONG_TIMEZONE)
def test_wrong_timezone() -> None:
    contract = contract_of("  paid_at: {type: datetime, timezone: UTC, other_zones: reject}\n")
    values = [
        dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC),
        dt.datetime(2024, 5, 1, 11, tzinfo=ZoneInfo("Europe/Paris")),
    ]
    report = contract.validate(pd.DataFrame({"paid_at": pd.Series(values, dtype=object)}))
    v = only(report, Code.WRONG_TIMEZONE)
    assert (v.column, v.row, v.value) == ("paid_at", 1, "2024-05-01T11:00:00+02:00")
    converting = contract_of("  paid_at: {type: datetime, timezone: UTC}\n")
    assert converting.validate(pd.DataFrame({"paid_at": pd.Series(values, dtype=object)})).ok


# --- values (the check table) -----------------------------------------------------------------


@triggers(Code.NOT_IN_VOCABULARY)
def test_not_in_vocabulary() -> None:
    contract = contract_of("  browser: {type: category, values: [Chrome, Safari, Other]}\n")
    report = contract.validate(pd.DataFrame({"browser": ["Chrome", "Mozilla/5.0 (X11)"]}))
    v = only(report, Code.NOT_IN_VOCABULARY)
    assert (v.column, v.row, v.value) == ("browser", 1, "'Mozilla/5.0 (X11)'")
    mapped = contract_of(
        "  browser: {type: category, values: [Chrome, Safari, Other], unknown: {map_to: Other}}\n"
    )
    out = mapped.normalize(pd.DataFrame({"browser": ["Chrome", "Mozilla/5.0 (X11)"]}))
    assert out["browser"].tolist() == ["Chrome", "Other"]


@triggers(Code.OUT_OF_RANGE)
def test_out_of_range() -> None:
    contract = contract_of("  age: {type: integer, min: 13, max: 120}\n")
    report = contract.validate(pd.DataFrame({"age": [13, 7, 121]}))
    assert found(report) == [("out_of_range", "age", 1), ("out_of_range", "age", 2)]
    assert report.violations[0].message == "must be between 13 and 120"


@triggers(Code.OUT_OF_RANGE)
def test_out_of_range_on_a_float_bound_no_double_holds() -> None:
    # 2**53 + 1 is no float64: the bound is compared exactly, not rounded to 2**53.
    contract = contract_of(f"  x: {{type: float, max: {2**53 + 1}}}\n")
    report = contract.validate(pd.DataFrame({"x": [2.0**53, 2.0**53 + 2]}))
    assert found(report) == [("out_of_range", "x", 1)]


@triggers(Code.OUT_OF_RANGE)
def test_out_of_range_datetime_outside_the_years_a_datetime_holds(tmp_path: Path) -> None:
    path = tmp_path / "times.csv"
    path.write_bytes(b"at\n2024-01-01T00:00:00Z\n0001-01-01T00:00:00+05:30\n")
    report = skewless.io.validate_file(contract_of("  at: {type: datetime, timezone: UTC}\n"), path)
    assert found(report) == [("out_of_range", "at", 1)]


@triggers(Code.PATTERN_MISMATCH)
def test_pattern_mismatch() -> None:
    contract = contract_of("  country: {type: string, pattern: '^[A-Z]{2}$'}\n")
    report = contract.validate(pd.DataFrame({"country": ["FR", "fr", "FR\n"]}))
    # `$` never matches before a trailing newline: 'FR\n' fails like 'fr'.
    assert found(report) == [("pattern_mismatch", "country", 1), ("pattern_mismatch", "country", 2)]
    assert report.violations[1].value == "'FR\\n'"


@triggers(Code.TOO_LONG)
def test_too_long() -> None:
    contract = contract_of("  country: {type: string, max_length: 2}\n")
    v = only(contract.validate(pd.DataFrame({"country": ["FR", "FRA"]})), Code.TOO_LONG)
    assert (v.column, v.row, v.value) == ("country", 1, "'FRA'")


@triggers(Code.TOO_LONG)
def test_too_long_counts_characters_not_bytes() -> None:
    contract = contract_of("  name: {type: string, max_length: 3}\n")
    report = contract.validate(pd.DataFrame({"name": ["été", "étés"]}))
    assert found(report) == [("too_long", "name", 1)]


@triggers(Code.TOO_SHORT)
def test_too_short() -> None:
    contract = contract_of("  password_hash: {type: string, min_length: 8}\n")
    report = contract.validate(pd.DataFrame({"password_hash": ["0123456789abcdef", "", "abc"]}))
    assert found(report) == [("too_short", "password_hash", 1), ("too_short", "password_hash", 2)]


@triggers(Code.CONTROL_CHARACTER)
def test_control_character() -> None:
    contract = contract_of("  comment: {type: string}\n")
    report = contract.validate(
        pd.DataFrame({"comment": ["tabs\tand\nnewlines are fine", "great\x00service", "\x1b[31m"]})
    )
    assert found(report) == [
        ("control_character", "comment", 1),
        ("control_character", "comment", 2),
    ]
    assert [v.value for v in report.violations] == ["'great\\x00service'", "'\\x1b[31m'"]


@triggers(Code.OUTSIDE_CHARSET)
def test_outside_charset() -> None:
    contract = contract_of("  comment: {type: string, charset: bmp}\n")
    v = only(contract.validate(pd.DataFrame({"comment": ["ok ☺", "ok 😀"]})), Code.OUTSIDE_CHARSET)
    assert (v.column, v.row, v.value) == ("comment", 1, "'ok \\U0001f600'")
    ascii_only = contract_of("  host: {type: string, charset: ascii}\n")
    report = ascii_only.validate(pd.DataFrame({"host": ["example.com", "exаmple.com"]}))
    assert found(report) == [("outside_charset", "host", 1)]  # a Cyrillic а


@triggers(Code.NAN_NOT_ALLOWED)
def test_nan_not_allowed() -> None:
    contract = contract_of("  rate: {type: float}\n")
    # A pyarrow-backed column keeps NaN and null apart (numpy float64 cannot: NaN is its null).
    data = pd.DataFrame({"rate": pd.arrays.ArrowExtensionArray(pa.array([0.5, math.nan]))})
    v = only(contract.validate(data), Code.NAN_NOT_ALLOWED)
    assert (v.column, v.row, v.value) == ("rate", 1, "nan")
    assert contract_of("  rate: {type: float, allow_nan: true}\n").validate(data).ok


@triggers(Code.INF_NOT_ALLOWED)
def test_inf_not_allowed() -> None:
    contract = contract_of("  rate: {type: float, min: 0}\n")
    report = contract.validate(pd.DataFrame({"rate": [0.5, math.inf, -math.inf]}))
    assert found(report) == [("inf_not_allowed", "rate", 1), ("inf_not_allowed", "rate", 2)]
    allowed = contract_of("  rate: {type: float, min: 0, allow_inf: true}\n")
    assert found(allowed.validate(pd.DataFrame({"rate": [math.inf, -math.inf]}))) == [
        ("out_of_range", "rate", 1)
    ]


# --- checks that span rows (batch only) -------------------------------------------------------


@triggers(Code.NOT_UNIQUE)
def test_not_unique() -> None:
    contract = contract_of("  user_id: {type: integer, unique: true}\n")
    report = contract.validate(pd.DataFrame({"user_id": [7, 8, 7, 7]}))
    # The first occurrence is valid; each later repeat is a violation.
    assert found(report) == [("not_unique", "user_id", 2), ("not_unique", "user_id", 3)]


@triggers(Code.DUPLICATE_KEY)
def test_duplicate_key() -> None:
    contract = contract_of(
        "  user_id: {type: integer}\n  day: {type: date}\n",
        checks="  unique: [[user_id, day]]\n",
    )
    days = [dt.date(2024, 5, 1), dt.date(2024, 5, 2), dt.date(2024, 5, 1)]
    report = contract.validate(pd.DataFrame({"user_id": [1, 1, 1], "day": days}))
    v = only(report, Code.DUPLICATE_KEY)
    assert (v.column, v.row, v.value) == ("user_id, day", 2, "(1, 2024-05-01)")


@triggers(Code.ROW_COUNT)
def test_row_count() -> None:
    contract = contract_of("  x: {type: integer}\n", checks="  rows: {min: 3}\n")
    v = only(contract.validate(pd.DataFrame({"x": [1, 2]})), Code.ROW_COUNT)
    assert (v.column, v.row, v.value) == (None, None, None)
    assert v.message == "2 rows; the contract expects at least 3"


@triggers(Code.CADENCE_MISMATCH)
def test_cadence_mismatch() -> None:
    contract = contract_of("  window: {type: datetime, timezone: UTC, cadence: 5min}\n")
    stamps = pd.to_datetime(
        ["2024-05-01T00:00Z", "2024-05-01T00:05Z", "2024-05-01T00:05Z", "2024-05-01T00:15Z"]
    )
    report = contract.validate(pd.DataFrame({"window": stamps}))
    # Rows may share a window; the missing 00:10 window breaks the cadence at 00:15.
    assert found(report) == [("cadence_mismatch", "window", 3)]


# --- what only a reader sees ------------------------------------------------------------------


@triggers(Code.MALFORMED_INPUT)
def test_malformed_input_ragged_csv_row(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_bytes(b"user_id,country\n1,FR\n2,DE,extra\n3,IT\n")
    contract = contract_of("  user_id: {type: integer}\n  country: {type: string}\n")
    report = skewless.io.validate_file(contract, path)
    v = only(report, Code.MALFORMED_INPUT)
    assert (v.column, v.row, v.value) == (None, 1, "'2,DE,extra'")
    assert v.message == "the record has 3 fields; the header has 2"
    assert report.rows == 3  # the other rows are still judged


@triggers(Code.MALFORMED_INPUT)
def test_malformed_input_bad_json_line(tmp_path: Path) -> None:
    path = tmp_path / "users.jsonl"
    path.write_bytes(b'{"user_id": 1}\n{"user_id": 2,}\n{"user_id": 3}\n')
    report = skewless.io.validate_file(contract_of("  user_id: {type: integer}\n"), path)
    v = only(report, Code.MALFORMED_INPUT)
    assert (v.column, v.row) == (None, 1)
    assert v.message.startswith("the record is not valid JSON")


@triggers(Code.PAYLOAD_TOO_LARGE)
def test_payload_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The limit is 64 MiB; lower it rather than write a 64 MiB file (the limit is not under test).
    monkeypatch.setattr(skewless.io, "MAX_JSON_LINE", 64)
    path = tmp_path / "events.jsonl"
    big = json.dumps({"user_id": 2, "comment": "x" * 100})
    path.write_text(f'{{"user_id": 1, "comment": "ok"}}\n{big}\n', encoding="utf-8")
    contract = contract_of("  user_id: {type: integer}\n  comment: {type: string}\n")
    report = skewless.io.validate_file(contract, path)
    assert found(report) == [("payload_too_large", None, 1)]
    assert report.violations[0].message.startswith("the record is larger than")


# --- how values are shown ---------------------------------------------------------------------


def test_values_are_escaped_and_truncated() -> None:
    contract = contract_of("  s: {type: string, max_length: 5}\n")
    report = contract.validate(pd.DataFrame({"s": ["\u202egnp.exe", "x" * 200]}))
    shown = [v.value for v in report.violations]
    assert shown[0] == "'\\u202egnp.exe'"
    assert shown[1] == "'" + "x" * 80 + "'... (200 characters)"


def test_pii_columns_are_redacted() -> None:
    contract = contract_of(
        "  email: {type: string, pattern: '^[^@]+@[^@]+$', pii: true}\n  age: {type: integer, min: 0}\n"
    )
    report = contract.validate(pd.DataFrame({"email": ["jane.doe"], "age": [-1]}))
    assert [(v.code, v.value) for v in report.violations] == [
        ("pattern_mismatch", "<redacted>"),
        ("out_of_range", "-1"),
    ]
    assert "jane.doe" not in json.dumps(report.to_dict())


# --- the registry -----------------------------------------------------------------------------


def documented_codes() -> list[str]:
    return re.findall(r"^## `([a-z_]+)`\s*$", DOCS.read_text(encoding="utf-8"), re.MULTILINE)


def test_every_code_is_triggered_and_documented() -> None:
    names = set(globals())
    registered = {code for code, tests in TRIGGERS.items() if any(t in names for t in tests)}
    untested = [code.value for code in Code if code not in registered]
    assert not untested, f"codes with no test that triggers them: {untested}"
    for tests in TRIGGERS.values():
        assert all(t.startswith("test_") for t in tests), tests
    documented = documented_codes()
    undocumented = [code.value for code in Code if code.value not in documented]
    assert not undocumented, f"codes with no '## `code`' section in {DOCS.name}: {undocumented}"
    unknown = [name for name in documented if name not in {c.value for c in Code}]
    assert not unknown, f"{DOCS.name} documents codes skewless does not have: {unknown}"
    assert len(documented) == len(set(documented)), "a code has two sections"
    assert documented == [c.value for c in Code], "sections follow the order of skewless.Code"


def test_every_documented_example_is_a_violation_of_its_section() -> None:
    text = DOCS.read_text(encoding="utf-8")
    sections = re.split(r"^## `([a-z_]+)`\s*$", text, flags=re.MULTILINE)
    fields = list(skewless.Violation.__dataclass_fields__)
    for code, body in zip(sections[1::2], sections[2::2], strict=True):
        examples = [
            json.loads(line)
            for block in re.findall(r"```json\n(.*?)```", body, flags=re.DOTALL)
            for line in block.splitlines()
            if line.strip()
        ]
        assert examples, f"the {code} section shows no violation"
        assert code in {e["code"] for e in examples}, f"the {code} section shows other codes only"
        for example in examples:
            assert list(example) == fields, example
            assert example["code"] in {c.value for c in Code}
            for key in ("Triggers:", "Governed by:", "Scope:", "Fix:"):
                assert f"**{key}**" in body, f"the {code} section lacks {key}"
