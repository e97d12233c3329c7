"""The online path's parts: JSON intake, the body fast way, guard, counters and log lines.

Batch-versus-record parity lives in test_parity.py; the HTTP middleware in
test_middleware.py. Here: `payload.parse_json` reads hostile bodies into codes (with msgspec
and without it alike), `validate_body`'s fast way accepts only what the general way accepts,
with the same normalised values, `@skewless.guard` never lets a bad record through, and the
counters and log lines hold no raw control character and no unbounded label.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import skewless
from skewless import payload
from skewless.observe import EXTRA, Observer
from tests.conftest import ROOT
from tests.records import USER_RECORD

CONTRACT = skewless.load_contract(ROOT / "contracts" / "user_features.yaml")
GOOD = USER_RECORD


def codes(result: Any) -> list[tuple[str, str | None]]:
    return sorted((str(v.code), v.column) for v in result.violations)


# --- JSON intake ------------------------------------------------------------------------------

HOSTILE_BODIES = [
    (b"", "malformed_input"),
    (b"   ", "malformed_input"),
    (b"hello", "malformed_input"),
    (b'{"user_id": 1', "malformed_input"),
    (b"[" * 10_000 + b"]" * 10_000, "malformed_input"),
    (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "malformed_input"),
    (b'{"user_id": 1, "user_id": 2}', "malformed_input"),
    (b'{"a": {"b": 1, "b": 2}}', "malformed_input"),
    (b"[]", "malformed_input"),
    (b"42", "malformed_input"),
    (b'"text"', "malformed_input"),
    (b"null", "malformed_input"),
    (b"x" * (payload.MAX_BYTES + 1), "payload_too_large"),
    (b"[" + b",".join([b"{}"] * (payload.MAX_RECORDS + 1)) + b"]", "payload_too_large"),
]


@pytest.fixture(params=["msgspec", "json"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both parsers: msgspec (the fast way, when installed) and the standard library's."""
    if request.param == "json":
        monkeypatch.setattr(payload, "_decode", None)
    else:
        pytest.importorskip("msgspec")
    return str(request.param)


@pytest.mark.parametrize(("body", "code"), HOSTILE_BODIES, ids=range(len(HOSTILE_BODIES)))
def test_hostile_bodies_are_codes_not_crashes(parser: str, body: bytes, code: str) -> None:
    parsed = payload.parse_json(body)
    assert [str(v.code) for v in parsed.violations] == [code]
    assert not parsed.records
    for v in parsed.violations:
        assert v.value is None  # nothing of the body is echoed
        assert all(c.isprintable() for c in v.message)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"a": NaN, "b": -Infinity}', {"a": math.nan, "b": -math.inf}),
        (b'{"a": 18446744073709551616}', {"a": 2**64}),
        (b'{"a": "\\ud800"}', {"a": "\ud800"}),
        (b'{"a": "x\xffy"}', {"a": "x\udcffy"}),  # bytes that are not UTF-8: kept, reported later
        (b'{"a\\u0000": "\\u0000"}', {"a\x00": "\x00"}),
        (b'\xef\xbb\xbf{"a": 1}', {"a": 1}),
        (b' {"a" : "b:\\"c\\""}\n', {"a": 'b:"c"'}),
        (b'{"a": [1, {"b": "c"}]}', {"a": [1, {"b": "c"}]}),
    ],
)
def test_values_naive_json_mishandles_reach_the_contract(
    parser: str, body: bytes, expected: dict[str, Any]
) -> None:
    parsed = payload.parse_json(body)
    assert parsed.ok, parsed.violations
    got = parsed.records[0]
    assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)


@given(value=st.dictionaries(st.text(max_size=4), JSON_VALUES, max_size=5), spaced=st.booleans())
def test_msgspec_and_json_read_every_object_alike(value: dict[str, Any], spaced: bool) -> None:
    body = json.dumps(value, ensure_ascii=False, indent=1 if spaced else None).encode(
        "utf-8", "surrogatepass"
    )
    fast = payload.parse_json(body)
    saved = payload._decode
    payload._decode = None
    try:
        slow = payload.parse_json(body)
    finally:
        payload._decode = saved
    assert fast.ok == slow.ok
    assert repr(fast.records) == repr(slow.records)


def test_deep_but_parseable_nesting_is_read_not_a_crash(parser: str) -> None:
    # msgspec reads up to about 1,000 levels; counting quotes over them must not overflow.
    for body in (b"[" * 600 + b"]" * 600, b'{"comment": ' + b"[" * 600 + b"]" * 600 + b"}"):
        parsed = payload.parse_json(body)
        assert parsed.ok
    result = CONTRACT.record_validator("serving").validate_body(b"[" * 600 + b"]" * 600)
    assert [str(v.code) for r in result.results for v in r.violations] == ["malformed_input"]


def test_a_repeated_key_is_found_however_the_body_is_spaced(parser: str) -> None:
    for body in (
        b'{"a":1,"a":1}',
        b'{"a" : "x" , "a" : "x"}',
        b'{\n "a": "x",\n "b": {"c": 1, "c": 2}\n}',
        b'[{"a": 1}, {"a": 2, "a": 3}]',
        b'{"a": "\\"", "a": 2}',
    ):
        parsed = payload.parse_json(body)
        assert [str(v.code) for v in parsed.violations] == ["malformed_input"], body
        assert "duplicate key" in parsed.violations[0].message


def test_content_types() -> None:
    for good in ("application/json", "application/json; charset=utf-8", b"Application/JSON"):
        assert payload.is_json_type(good)
    assert payload.is_json_type("application/problem+json")
    for bad in (None, "", "text/plain", "application/jsonx", "multipart/form-data"):
        assert not payload.is_json_type(bad)


# --- the body fast way ------------------------------------------------------------------------

COUNTRIES = ["US", "FR", "us", "U\x00", "US\n", "😀", None, 12]


def _record(data: st.DataObject) -> dict[str, Any]:
    record = dict(GOOD)
    for name, choices in {
        "user_id": [7, 0, 2**63, True, "7", None, 1.0],
        "os": ["Linux", "ChromeOS", "linux\x00", None, "\ud800"],
        "browser_type": ["Chrome", "chrome", "Mozilla/5.0", None],
        "country": COUNTRIES,
        "last_purchase_at": [
            "2024-05-01T10:00:00Z",
            "2024-05-01T10:00:00.123456Z",
            "2024-05-01T10:00:00+02:00",
            "2024-05-01T10:00:00",
            "2024-02-30T10:00:00Z",
            "2024-W18-3T10:00:00Z",
            None,
        ],
        "local_time": [
            "2024-05-01T10:00:00",
            "2024-03-10T02:30:00",
            "2024-11-03T01:30:00",
            "2024-11-03T12:00:00",
            "2024-05-01T10:00:00Z",
        ],
        "signup_date": ["2024-01-02", "2024-13-01", "2024-01-02T00:00:00", None],
        "basket_value": [12.5, 0, -1, 1e5, 100000.5, None],
        "click_rate": [None, 0.5, 1, 2, -0.0],
        "referrer": ["example.com", "Example.com", None, "a" * 254],
        "comment": [None, "hi", "a\x1b[31m", "😀", "é" * 501],
    }.items():
        # A few columns changed at a time: many records stay valid, with varied values, so
        # the fast way is tried on what it should accept as much as on what it should not.
        if data.draw(st.integers(0, 7), label=f"change {name}") == 0:
            record[name] = data.draw(st.sampled_from(choices), label=name)
    if data.draw(st.booleans(), label="drop a key"):
        record.pop(data.draw(st.sampled_from(sorted(record)), label="dropped"), None)
    if data.draw(st.booleans(), label="add a key"):
        record[data.draw(st.sampled_from(["zz", "label", "a\x00"]), label="added")] = 1
    return record


fast_ways: list[bool] = []


def test_the_fast_way_was_tried_on_valid_bodies_too() -> None:
    fast_ways.clear()
    test_the_body_fast_way_accepts_only_what_the_general_way_accepts()
    assert sum(fast_ways) >= len(fast_ways) // 10, (sum(fast_ways), len(fast_ways))


@given(data=st.data())
def test_the_body_fast_way_accepts_only_what_the_general_way_accepts(data: st.DataObject) -> None:
    record: Any = _record(data)
    if data.draw(st.integers(0, 3), label="micro-batch") == 0:
        record = [record] + [_record(data) for _ in range(data.draw(st.integers(0, 2)))]
    body = json.dumps(record, ensure_ascii=data.draw(st.booleans(), label="ascii")).encode(
        "utf-8", "surrogatepass"
    )
    if data.draw(st.booleans(), label="repeat a key"):
        at = body.index(b"{") + 1  # the (first) record's first key, repeated
        body = body[:at] + b'"user_id": 8, ' + body[at:]
    validator = CONTRACT.record_validator("serving")
    got = validator.validate_body(body)
    general = skewless.record.RecordValidator(CONTRACT, "serving")
    general.body_fast = None  # the general way only
    expected = general.validate_body(body)
    assert got.ok == expected.ok
    assert got.batch == expected.batch
    fast_ways.append(got.ok)
    assert [codes(r) for r in got.results] == [codes(r) for r in expected.results]
    assert codes(got) == codes(expected)
    if got.ok:
        for mine, theirs in zip(got.results, expected.results, strict=True):
            assert mine.record == theirs.record
            assert payload.to_json(mine.record) == payload.to_json(theirs.record)


def test_a_good_body_is_normalised_the_fast_way() -> None:
    validator = CONTRACT.record_validator("serving")
    result = validator.validate_body(json.dumps(GOOD).encode())
    assert result.ok
    assert validator.body_fast is not None  # msgspec is installed in the test environment
    record = result.results[0].record
    assert record is not None
    assert record["os"] == "Other"
    assert record["click_rate"] == 0.0
    assert record["local_time"].isoformat() == "2024-05-01T10:00:00-07:00"
    assert json.loads(payload.to_json(record))["last_purchase_at"] == "2024-05-01T10:00:00Z"


def test_a_micro_batch_numbers_its_violations() -> None:
    validator = CONTRACT.record_validator("serving")
    body = json.dumps([GOOD, dict(GOOD, country="us"), "x"]).encode()
    result = validator.validate_body(body)
    assert result.batch
    assert [r.ok for r in result.results] == [True, False, False]
    assert [(v.row, v.column, str(v.code)) for v in result.results[1].violations] == [
        (1, "country", "pattern_mismatch")
    ]
    assert [str(v.code) for v in result.results[2].violations] == ["malformed_input"]


# --- guard ------------------------------------------------------------------------------------


def test_guard_runs_the_function_on_normalised_records_only() -> None:
    seen: list[Any] = []
    observer = Observer(prometheus=False)

    @skewless.guard(CONTRACT, observer=observer)
    def score(record: dict[str, Any], factor: int = 1) -> int:
        seen.append(record)
        return factor

    assert score(dict(GOOD), factor=3) == 3
    assert seen[-1]["os"] == "Other"
    with pytest.raises(skewless.ViolationError) as caught:
        score(dict(GOOD, country="U\x00"))
    assert len(seen) == 1
    assert {str(v.code) for v in caught.value.violations} >= {"control_character"}
    assert "\x00" not in str(caught.value)
    assert score([GOOD, GOOD]) == 1
    assert len(seen[-1]) == 2
    with pytest.raises(skewless.ViolationError):
        score([GOOD, dict(GOOD, user_age=True)])
    counts = {(r["outcome"]): r["count"] for r in observer.counts()["records"]}
    assert counts == {"valid": 4, "rejected": 2}  # a bad batch: 1 rejected, 1 valid


def test_guard_skip_and_shadow() -> None:
    seen: list[Any] = []

    @skewless.guard(CONTRACT, on_violation="skip", observer=Observer(prometheus=False))
    def skip(record: Any) -> str:
        seen.append(record)
        return "ran"

    assert skip(dict(GOOD, user_age=7)) is None
    assert skip([dict(GOOD, user_age=7), GOOD]) == "ran"
    assert len(seen) == 1
    assert len(seen[0]) == 1  # the valid record only
    assert skip([dict(GOOD, user_age=7)]) is None

    @skewless.guard(CONTRACT, on_violation="shadow", observer=Observer(prometheus=False))
    def shadow(record: Any) -> Any:
        return record

    bad = dict(GOOD, user_age=7)
    assert shadow(bad) is bad  # unchanged: shadow mode only counts and logs
    with pytest.raises(ValueError, match="on_violation"):
        skewless.guard(CONTRACT, on_violation="drop")  # type: ignore[arg-type]


# --- counters and log lines -------------------------------------------------------------------


def test_log_lines_hold_no_raw_control_character(caplog: pytest.LogCaptureFixture) -> None:
    observer = Observer(prometheus=False, log_values=True)
    validator = CONTRACT.record_validator("serving")
    bad = dict(GOOD, country="U\x00\x1b[2J", comment="\u202e\x07", user_age=999)
    bad["\x00key\x1b"] = 1
    with caplog.at_level(logging.WARNING, logger="skewless"):
        observer.observe(CONTRACT, "/predict", "rejected", validator.validate(bad).violations)
    assert caplog.records
    for entry in caplog.records:
        message = entry.getMessage()
        assert all(32 <= ord(c) < 127 for c in message), message
        event = json.loads(message)
        shown = {v["column"]: v.get("value") for v in event["violations"]}
        assert shown["user_age"] == "<redacted>"  # pii: true
        assert shown["country"] == repr("U\x00\x1b[2J")  # escaped text, never the raw value


def test_unknown_keys_share_one_label() -> None:
    prometheus_client = pytest.importorskip("prometheus_client")
    registry = prometheus_client.CollectorRegistry()
    observer = Observer(registry=registry)
    validator = CONTRACT.record_validator("serving")
    for key in ("a", "b", "c\x00"):
        observer.observe(
            CONTRACT, "/p", "rejected", validator.validate({**GOOD, key: 1}).violations
        )
    observer.observe(CONTRACT, "/p", "valid", records=2)

    def sample(name: str, **labels: str) -> float | None:
        value: float | None = registry.get_sample_value(name, labels)
        return value

    base = {"contract": "user_features", "route": "/p"}
    assert sample("skewless_records_total", **base, outcome="rejected") == 3
    assert sample("skewless_records_total", **base, outcome="valid") == 2
    assert sample("skewless_violations_total", **base, code="unexpected_column", column=EXTRA) == 3
    labels = {s.labels.get("column") for m in registry.collect() for s in m.samples}
    assert labels <= {None, EXTRA}


# --- every fast test is sound -----------------------------------------------------------------

CONTRACT_FILES = sorted((ROOT / "contracts").glob("*.yaml")) + sorted(
    (ROOT / "tests" / "contracts" / "valid").glob("*.yaml")
)
TEXT = st.text(
    st.characters(codec=None, exclude_categories=())
    | st.sampled_from("\t\n\r\x00\x1b\x7f😀é\u202e"),
    max_size=12,
)
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    TEXT,
    st.sampled_from(
        [
            "US",
            "FR",
            "Chrome",
            "Other",
            "ChromeOS",
            "example.com",
            "2024-05-01T10:00:00Z",
            "2024-05-01T10:00:00.5Z",
            "2024-05-01T10:00:00",
            "2024-03-10T02:30:00",
            "2024-11-03T01:30:00",
            "2024-02-30T00:00:00Z",
            "2024-01-02",
            "2024-13-01",
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00",
        ]
    ),
    st.datetimes(timezones=st.none() | st.timezones()),
    st.dates(),
)


@pytest.mark.parametrize("path", CONTRACT_FILES, ids=lambda p: p.name)
@given(data=st.data())
def test_a_fast_test_accepts_only_what_the_general_path_accepts_unchanged(
    path: Any, data: st.DataObject
) -> None:
    from skewless.record import _Slow

    contract = skewless.load_contract(path)
    validator = contract.record_validator(None)
    for plan in validator._plans:
        value = data.draw(ANY_VALUE, label=plan.column.name)
        try:
            fast = plan.fast(value)
        except _Slow:
            continue
        normalised, failures = plan.general(value)
        assert failures == [], (plan.column, value, fast)
        assert type(fast) is type(normalised), (plan.column, value)
        assert repr(fast) == repr(normalised) or fast == normalised, (plan.column, value)
        if hasattr(fast, "utcoffset"):
            assert fast.utcoffset() == normalised.utcoffset()


def test_numpy_booleans_and_signalling_nans_read_like_their_python_kin() -> None:
    import decimal

    import numpy as np
    import pandas as pd

    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n  b: {type: boolean}\n  f: {type: float}\n"
    )
    validator = contract.record_validator()
    ok = validator.validate({"b": np.True_, "f": 1.5})
    assert ok.ok, ok.violations
    assert ok.record == {"b": True, "f": 1.5}
    assert type(ok.record["b"]) is bool
    nan = validator.validate({"b": False, "f": decimal.Decimal("sNaN")})
    assert codes(nan) == [("nan_not_allowed", "f")]
    frame = pd.DataFrame(
        {"b": pd.Series([np.True_, False], dtype=object), "f": [decimal.Decimal("sNaN"), 1.0]}
    )
    report = contract.validate(frame)
    assert [(v.code, v.column, v.row) for v in report.violations] == [("nan_not_allowed", "f", 0)]
