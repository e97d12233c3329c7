"""Per-record validation and normalisation, four ways, one process: skewless, pydantic v2,
msgspec and fastjsonschema, from a dict and from JSON bytes.

    .venv/bin/python bench/bench_record.py [--records 2000] [--repeat 5] [--seed 0]
    make bench-record

The contract is `contracts/user_features.yaml` in the serving environment (14 columns; `label`
is training-only, so not allowed). The competitors encode the same rules the way a user of each
library would (`PydanticUser`, `MsgspecUser` and `json_schema()` below):

- skewless: `validator.validate(record)` from a dict; `validator.validate_body(body)` from
  JSON bytes (what the middleware calls: parse and validate in one step, msgspec's fast way
  first).
- pydantic v2: a `BaseModel`, `model_validate(d)` / `model_validate_json(b)`.
- msgspec: a `Struct` with `Meta` constraints and a `__post_init__` for the rest,
  `msgspec.convert(d, Struct)` / `msgspec.json.Decoder(Struct).decode(b)` (`decode(b,
  type=Struct)` with the type compiled once).
- fastjsonschema: a compiled draft-07 JSON Schema, `validate(d)` / `validate(json.loads(b))`.
  It only says yes or no: no normalisation (no zone conversion, no null fill, no map_to).

The data: `--records` realistic valid records (clean), and the same records with ~10% of them
broken in one field each (dirty), as dicts (what `json.loads` gives) and as JSON bytes
(`json.dumps(...).encode()`; NaN and infinities become the `NaN` / `Infinity` literals, which
pydantic and msgspec refuse as invalid JSON: a rejection all the same). Before timing, every
implementation must accept every valid record and reject every broken one (a WARNING line per
kind of disagreement), and skewless' normalised records must equal pydantic's (and msgspec's).

Timing: `time.perf_counter_ns()` around each single call, so the percentiles are per record.
One warm-up pass, then `--repeat` passes; in each pass the 16 (implementation, input, data)
combinations take turns record by record, starting at a different one for each record, so
drift on a shared machine hits all alike. The dataset is moved out of the garbage collector's
reach (`gc.freeze()`), as a server's long-lived objects would be; collections still happen
during the calls. Also measured: micro-batches of 100 records (skewless `validate_many` vs
pydantic `TypeAdapter(list[Model])`); where skewless spends its time per column (through the
record validator's compiled per-column plans, when their shape is the one this script knows);
skewless against pydantic per kind of clean record (nulls, non-ASCII text) and per way of
breaking one. Figures go to bench/results/bench_record-<time>.json and bench_record-latest.json.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import math
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import fastjsonschema
import msgspec
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NaiveDatetime,
    StrictBool,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

import common
import skewless
from skewless.payload import parse_json

INT64_MAX = 2**63 - 1
UTC = dt.UTC
LA = ZoneInfo("America/Los_Angeles")
BROWSERS = ("Chrome", "Safari", "Firefox", "Edge", "Other")
SYSTEMS = ("Windows", "macOS", "Linux", "iOS", "Android", "Other")
KNOWN_SYSTEMS = frozenset(SYSTEMS)
COUNTRIES = [
    *("US", "GB", "FR", "DE", "ES", "IT", "NL", "BE", "CH", "AT", "SE", "NO", "DK", "FI", "PL"),
    *("PT", "IE", "CA", "MX", "BR", "AR", "CL", "JP", "KR", "CN", "IN", "SG", "AU", "NZ", "ZA"),
]
REFERRERS = [
    *("google.com", "www.google.com", "google.co.uk", "google.de", "bing.com", "duckduckgo.com"),
    *("search.yahoo.com", "yandex.ru", "baidu.com", "ecosia.org", "news.ycombinator.com"),
    *("reddit.com", "old.reddit.com", "t.co", "twitter.com", "x.com", "facebook.com"),
    *("m.facebook.com", "l.facebook.com", "instagram.com", "linkedin.com", "lnkd.in"),
    *("pinterest.com", "youtube.com", "m.youtube.com", "tiktok.com", "medium.com", "github.com"),
    *("stackoverflow.com", "wikipedia.org", "en.wikipedia.org", "de.wikipedia.org"),
    *("slack.com", "discord.com", "mail.google.com", "outlook.live.com", "mail.yahoo.com"),
    *("nytimes.com", "bbc.co.uk", "theguardian.com", "lemonde.fr", "spiegel.de"),
    *("producthunt.com", "techcrunch.com", "example.org", "partner-42.example.com"),
    *("affiliate.shop-network.net", "newsletter.example.net", "cdn.ampproject.org"),
]
COMMENTS = [
    "great",
    "ok",
    "slow delivery",
    "would buy again",
    "the size runs small, order one up",
    "arrived damaged but support replaced it quickly",
    "five stars",
    "très bien, merci",  # non-ASCII: `json.dumps` escapes it (\u00e8)
    "日本語のコメント",
    "would buy again\nthanks",  # a newline is allowed (not a control character here)
    "tab\tseparated",
    'said "fine"',
]

CONTROL_OR_ASTRAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\U00010000-\U0010ffff]")


# --- the data ---------------------------------------------------------------------------------


def clean_records(n: int, rng: random.Random) -> list[dict[str, Any]]:
    """`n` valid serving records, values exactly as `json.loads` gives them."""
    start = dt.datetime(2024, 1, 1, tzinfo=UTC)
    out = []
    for _ in range(n):
        purchase = start + dt.timedelta(seconds=rng.randrange(366 * 24 * 3600))
        # Wall times between 08:00 and 22:59 never fall in a DST gap or fold.
        local = dt.datetime(2024, 1, 1) + dt.timedelta(
            days=rng.randrange(366), seconds=rng.randrange(8 * 3600, 23 * 3600)
        )
        signup = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3300))
        os_name = "ChromeOS" if rng.random() < 1 / 7 else rng.choice(SYSTEMS)
        out.append(
            {
                "user_id": rng.randrange(1, 50_000_000),
                "user_age": rng.randint(13, 120),
                "browser_type": rng.choice(BROWSERS),
                "os": os_name,
                "country": rng.choice(COUNTRIES),
                "last_purchase_at": purchase.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "local_time": local.isoformat(),
                "signup_date": signup.isoformat(),
                "session_count": min(200, int(rng.expovariate(1 / 6))),
                "basket_value": round(rng.gammavariate(2.0, 40.0), 2),
                "click_rate": None if rng.random() < 0.05 else rng.random(),
                "is_premium": rng.random() < 0.1,
                "referrer": None if rng.random() < 0.3 else rng.choice(REFERRERS),
                "comment": None if rng.random() < 0.7 else rng.choice(COMMENTS),
            }
        )
    return out


_DROP: Any = object()  # a break that removes the key
# (label, column, bad value): each broken record gets one of these.
BREAKS: list[tuple[str, str, Any]] = [
    ("age 7", "user_age", 7),
    ("age 150", "user_age", 150),
    ("age true (a bool is not an int)", "user_age", True),
    ("age '42' (text)", "user_age", "42"),
    ("user_id 0", "user_id", 0),
    ("user_id 2**64", "user_id", 2**64),
    ("session_count -1", "session_count", -1),
    ("session_count 3.0 (a float)", "session_count", 3.0),
    ("browser Netscape", "browser_type", "Netscape"),
    ("browser chrome", "browser_type", "chrome"),
    ("browser null", "browser_type", None),
    ("country us", "country", "us"),
    ("country USA", "country", "USA"),
    ("country 'US\\n'", "country", "US\n"),
    ("country 'U\\x00'", "country", "U\x00"),
    ("last_purchase_at naive", "last_purchase_at", "2024-05-01T02:17:00"),
    ("last_purchase_at +02:00", "last_purchase_at", "2024-05-01T04:17:00+02:00"),
    ("last_purchase_at null", "last_purchase_at", None),
    ("last_purchase_at garbage", "last_purchase_at", "yesterday"),
    ("local_time DST gap", "local_time", "2024-03-10T02:30:00"),
    ("local_time DST fold", "local_time", "2024-11-03T01:30:00"),
    ("signup_date 2023-02-30", "signup_date", "2023-02-30"),
    ("signup_date null", "signup_date", None),
    ("basket_value NaN", "basket_value", math.nan),
    ("basket_value inf", "basket_value", math.inf),
    ("basket_value -5", "basket_value", -5.0),
    ("basket_value 1e6", "basket_value", 1e6),
    ("basket_value '12.5' (text)", "basket_value", "12.5"),
    ("click_rate 1.5", "click_rate", 1.5),
    ("click_rate -inf", "click_rate", -math.inf),
    ("is_premium 'yes'", "is_premium", "yes"),
    ("is_premium 1", "is_premium", 1),
    ("referrer Example.com", "referrer", "Example.com"),
    ("referrer exämple.com", "referrer", "exämple.com"),
    ("referrer 'example.com\\n'", "referrer", "example.com\n"),
    ("comment NUL", "comment", "null\x00byte"),
    ("comment ANSI escape", "comment", "\x1b[31mred\x1b[0m"),
    ("comment emoji (4-byte UTF-8)", "comment", "great 😀"),
    ("comment 600 chars", "comment", "x" * 600),
    ("session_count missing", "session_count", _DROP),
    ("extra key 'sessions'", "sessions", 5),
    ("label (training only)", "label", True),
]


def dirty_records(
    clean: list[dict[str, Any]], rng: random.Random
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """A copy of `clean` with ~10% of the records broken in one field each: (records, {i: how})."""
    dirty = [dict(r) for r in clean]
    chosen = rng.sample(range(len(clean)), max(len(BREAKS), len(clean) // 10))
    broken = {}
    for k, i in enumerate(sorted(chosen)):
        label, column, value = BREAKS[k % len(BREAKS)]  # every kind, in equal shares
        if value is _DROP:
            del dirty[i][column]
        else:
            dirty[i][column] = value
        broken[i] = label
    return dirty, broken


def to_json(records: list[dict[str, Any]]) -> list[bytes]:
    return [json.dumps(r).encode() for r in records]


# --- 2. pydantic v2 ---------------------------------------------------------------------------


def _map_os(value: str) -> str:
    return value if value in KNOWN_SYSTEMS else "Other"


def _in_utc(value: dt.datetime) -> dt.datetime:
    if value.utcoffset() != dt.timedelta(0):  # other_zones: reject
        raise ValueError("is not in UTC")
    return value.astimezone(UTC)


def _in_la(value: dt.datetime) -> dt.datetime:
    """A naive Los Angeles wall time, localised; a time the clock skips or shows twice fails."""
    local = value.replace(tzinfo=LA)
    if local.utcoffset() != local.replace(fold=1).utcoffset():
        back = local.astimezone(UTC).astimezone(LA).replace(tzinfo=None)
        raise ValueError("does not exist (DST gap)" if back != value else "is ambiguous (DST fold)")
    return local


def _no_control_or_astral(value: str | None) -> str | None:
    if value is not None and CONTROL_OR_ASTRAL.search(value):
        raise ValueError("holds a control character or a 4-byte UTF-8 character")
    return value


def _fill_zero(value: float | None) -> float:
    return 0.0 if value is None else value


def _ints(lo: int, hi: int = INT64_MAX) -> Any:
    return Field(strict=True, ge=lo, le=hi)


def _floats(lo: float, hi: float) -> Any:
    return Field(strict=True, ge=lo, le=hi, allow_inf_nan=False)


class PydanticUser(BaseModel):
    """The contract as a pydantic user writes it: strict numbers, Literal, validators."""

    model_config = ConfigDict(extra="forbid")

    user_id: Annotated[int, _ints(1)]
    user_age: Annotated[int, _ints(13, 120)]
    browser_type: Literal["Chrome", "Safari", "Firefox", "Edge", "Other"]
    os: Annotated[str, AfterValidator(_map_os)]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$", max_length=2)]
    last_purchase_at: Annotated[AwareDatetime, AfterValidator(_in_utc)]
    local_time: Annotated[NaiveDatetime, AfterValidator(_in_la)]
    signup_date: dt.date
    session_count: Annotated[int, _ints(0)]
    basket_value: Annotated[float, _floats(0, 100_000)]
    click_rate: Annotated[Annotated[float, _floats(0, 1)] | None, AfterValidator(_fill_zero)]
    is_premium: StrictBool
    # The pattern implies ASCII and no control characters; pydantic's Rust regex `$` is the
    # end of the text, so a trailing newline fails.
    referrer: Annotated[str, StringConstraints(pattern=r"^[a-z0-9.-]+$", max_length=253)] | None
    comment: Annotated[
        Annotated[str, StringConstraints(max_length=500)] | None,
        AfterValidator(_no_control_or_astral),
    ]


# --- 3. msgspec -------------------------------------------------------------------------------


class MsgspecUser(msgspec.Struct, forbid_unknown_fields=True):
    """The contract as a msgspec user writes it: Meta constraints, `__post_init__` for the rest."""

    user_id: Annotated[int, msgspec.Meta(ge=1, le=INT64_MAX)]
    user_age: Annotated[int, msgspec.Meta(ge=13, le=120)]
    browser_type: Literal["Chrome", "Safari", "Firefox", "Edge", "Other"]
    os: str
    country: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$", max_length=2)]
    last_purchase_at: Annotated[dt.datetime, msgspec.Meta(tz=True)]
    local_time: Annotated[dt.datetime, msgspec.Meta(tz=False)]
    signup_date: dt.date
    session_count: Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)]
    basket_value: Annotated[float, msgspec.Meta(ge=0, le=100_000)]
    click_rate: Annotated[float, msgspec.Meta(ge=0, le=1)] | None
    is_premium: bool
    # msgspec matches with Python's `re.search`, where `$` also matches before a trailing
    # newline: `\Z` is what the contract's `$` means.
    referrer: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9.-]+\Z", max_length=253)] | None
    comment: Annotated[str, msgspec.Meta(max_length=500)] | None

    def __post_init__(self) -> None:
        if self.os not in KNOWN_SYSTEMS:
            self.os = "Other"
        self.last_purchase_at = _in_utc(self.last_purchase_at)
        self.local_time = _in_la(self.local_time)
        if self.click_rate is None:
            self.click_rate = 0.0
        _no_control_or_astral(self.comment)


# --- 4. fastjsonschema ------------------------------------------------------------------------


def _la_wall_time(text: str) -> bool:
    """A custom format: a naive ISO 8601 date-time that exists once on Los Angeles clocks."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    if value.tzinfo is not None:
        return False
    local = value.replace(tzinfo=LA)
    return local.utcoffset() == local.replace(fold=1).utcoffset()


def json_schema() -> dict[str, Any]:
    """The contract as JSON Schema (draft 7). NaN has no JSON Schema form: it passes bounds."""

    def integer(lo: int, hi: int = INT64_MAX) -> dict[str, Any]:
        return {"type": "integer", "minimum": lo, "maximum": hi}

    def number(lo: float, hi: float, *, null: bool = False) -> dict[str, Any]:
        return {"type": ["number", "null"] if null else "number", "minimum": lo, "maximum": hi}

    properties: dict[str, Any] = {
        "user_id": integer(1),
        "user_age": integer(13, 120),
        "browser_type": {"enum": list(BROWSERS)},
        "os": {"type": "string"},
        "country": {"type": "string", "maxLength": 2, "pattern": "^[A-Z]{2}$"},
        "last_purchase_at": {
            "type": "string",
            "format": "date-time",
            "pattern": "(Z|z|[+-]00:00)$",  # other_zones: reject
        },
        "local_time": {"type": "string", "format": "la-wall-time"},
        "signup_date": {"type": "string", "format": "date"},
        "session_count": integer(0),
        "basket_value": number(0, 100_000),
        "click_rate": number(0, 1, null=True),
        "is_premium": {"type": "boolean"},
        "referrer": {"type": ["string", "null"], "maxLength": 253, "pattern": "^[a-z0-9.-]+$"},
        "comment": {
            "type": ["string", "null"],
            "maxLength": 500,
            "not": {"type": "string", "pattern": CONTROL_OR_ASTRAL.pattern},
        },
    }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


# --- the implementations, as (input) -> normalised record or None --------------------------

Impl = Callable[[Any], Any]


def implementations(validator: Any) -> dict[tuple[str, str], Impl]:
    model, struct = PydanticUser, MsgspecUser
    schema = fastjsonschema.compile(json_schema(), formats={"la-wall-time": _la_wall_time})
    validate = validator.validate
    model_validate, model_validate_json = model.model_validate, model.model_validate_json
    convert, decode = msgspec.convert, msgspec.json.Decoder(struct).decode
    loads, schema_error = json.loads, fastjsonschema.JsonSchemaException

    def skewless_dict(d: Any) -> Any:
        return validate(d).record

    validate_body = validator.validate_body

    def skewless_json(b: bytes) -> Any:
        result = validate_body(b)
        return result.results[0].record if result.ok else None

    def pydantic_dict(d: Any) -> Any:
        try:
            return model_validate(d)
        except ValidationError:
            return None

    def pydantic_json(b: bytes) -> Any:
        try:
            return model_validate_json(b)
        except ValidationError:
            return None

    def msgspec_dict(d: Any) -> Any:
        try:
            return convert(d, struct)
        except msgspec.ValidationError:
            return None

    def msgspec_json(b: bytes) -> Any:
        try:
            return decode(b)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return None

    def fastjsonschema_dict(d: Any) -> Any:
        try:
            return schema(d)
        except schema_error:
            return None

    def fastjsonschema_json(b: bytes) -> Any:
        try:
            return schema(loads(b))
        except schema_error:
            return None

    return {
        ("skewless", "dict"): skewless_dict,
        ("skewless", "json"): skewless_json,
        ("pydantic", "dict"): pydantic_dict,
        ("pydantic", "json"): pydantic_json,
        ("msgspec", "dict"): msgspec_dict,
        ("msgspec", "json"): msgspec_json,
        ("fastjsonschema", "dict"): fastjsonschema_dict,
        ("fastjsonschema", "json"): fastjsonschema_json,
    }


# --- same answers -----------------------------------------------------------------------------


def as_dict(out: Any) -> dict[str, Any]:
    if isinstance(out, BaseModel):
        return dict(out)
    if isinstance(out, msgspec.Struct):
        return msgspec.structs.asdict(out)
    return dict(out)


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dt.datetime):  # the instant, the offset and the zone's name
        return (a, a.isoformat(), str(a.tzinfo)) == (b, b.isoformat(), str(b.tzinfo))
    return bool(a == b)


# Where a library cannot say what the contract says: its WARNING line tells why.
KNOWN_LIMITS = {
    ("fastjsonschema", "session_count 3.0 (a float)"): "JSON Schema counts 3.0 as an integer",
    ("fastjsonschema", "basket_value NaN"): "NaN passes JSON Schema's numeric bounds",
}


def check_answers(
    impls: dict[tuple[str, str], Impl],
    data: dict[str, dict[str, list[Any]]],
    broken: dict[int, str],
) -> tuple[list[str], dict[str, Any]]:
    """WARNING lines where a verdict is wrong or a normalised record differs from pydantic's."""
    warnings: list[str] = []
    summary: dict[str, Any] = {}
    for (name, kind), fn in impls.items():
        for label, inputs in data.items():
            wrong: dict[str, list[int]] = {}
            for i, x in enumerate(inputs[kind]):
                accepted = fn(x) is not None
                should = label == "clean" or i not in broken
                if accepted != should:
                    how = broken.get(i, "valid record") if label == "dirty" else "valid record"
                    wrong.setdefault(("accepts " if accepted else "rejects ") + how, []).append(i)
            summary[f"wrong verdicts {name}/{kind}/{label}"] = sum(len(v) for v in wrong.values())
            for what, rows in wrong.items():
                why = KNOWN_LIMITS.get((name, what.split(" ", 1)[1]))
                warnings.append(
                    f"WARNING: {name} ({kind}, {label}) {what}: {len(rows)} record(s), "
                    f"e.g. #{rows[0]}" + (f" (known limit: {why})" if why else "")
                )
    # Normalised values on clean records: skewless and msgspec against pydantic, field by field.
    for kind in ("dict", "json"):
        reference = impls[("pydantic", kind)]
        for name in ("skewless", "msgspec"):
            fn = impls[(name, kind)]
            differ: dict[str, list[int]] = {}
            for i, x in enumerate(data["clean"][kind]):
                ours, theirs = fn(x), reference(x)
                if ours is None or theirs is None:
                    continue  # reported above
                a, b = as_dict(ours), as_dict(theirs)
                for field in sorted(set(a) | set(b)):
                    if not _same(a.get(field), b.get(field)):
                        differ.setdefault(field, []).append(i)
            summary[f"normalised unlike pydantic {name}/{kind}"] = sorted(differ)
            for field, rows in differ.items():
                i = rows[0]
                ours = as_dict(fn(data["clean"][kind][i])).get(field)
                theirs = as_dict(reference(data["clean"][kind][i])).get(field)
                warnings.append(
                    f"WARNING: {name} ({kind}) normalises {field} unlike pydantic in "
                    f"{len(rows)} record(s), e.g. #{i}: {ours!r} vs {theirs!r}"
                )
    return warnings, summary


# --- timing -----------------------------------------------------------------------------------


def time_per_record(
    impls: dict[tuple[str, str], Impl],
    data: dict[str, dict[str, list[Any]]],
    repeat: int,
) -> dict[tuple[str, str, str], list[int]]:
    """Per-call latencies (ns) of every (implementation, input, data), interleaved per record."""
    combos = [(name, kind, label) for (name, kind) in impls for label in data]
    calls = [(impls[(n, k)], data[lab][k]) for n, k, lab in combos]
    times: dict[tuple[str, str, str], list[int]] = {c: [] for c in combos}
    sinks = [times[c] for c in combos]
    n = len(next(iter(data.values()))["dict"])
    clock = time.perf_counter_ns
    order = list(range(len(combos)))
    for rep in range(repeat + 1):  # pass 0 is the warm-up
        gc.collect()
        for i in range(n):
            first = (i + rep) % len(order)
            for j in order[first:] + order[:first]:
                fn, inputs = calls[j]
                x = inputs[i]
                t0 = clock()
                fn(x)
                t1 = clock()
                if rep:
                    sinks[j].append(t1 - t0)
        if rep:
            print(".", end="", flush=True)
    print(flush=True)
    return times


def timer_floor(n: int) -> float:
    """Median ns of timing a call that does nothing: included in every figure."""

    def noop(x: Any) -> Any:
        return x

    clock = time.perf_counter_ns
    out = []
    for i in range(n):
        t0 = clock()
        noop(i)
        out.append(clock() - t0)
    return float(statistics.median(out))


def time_batches(
    validator: Any, clean: dict[str, list[Any]], size: int, repeat: int
) -> dict[str, Any]:
    """Micro-batches of `size` clean records: ns per record, medians over batches and passes."""
    model, struct = PydanticUser, MsgspecUser
    adapter = TypeAdapter(list[model])  # type: ignore[valid-type]
    dicts = clean["dict"]
    batches = [dicts[i : i + size] for i in range(0, len(dicts) - size + 1, size)]
    bodies = [json.dumps(b).encode() for b in batches]
    batch_decoder = msgspec.json.Decoder(list[struct])  # type: ignore[valid-type]

    def skewless_json(body: bytes) -> Any:
        return validator.validate_body(body).results

    fns: dict[tuple[str, str], tuple[Impl, list[Any]]] = {
        ("skewless", "dict"): (validator.validate_many, batches),
        ("skewless", "json"): (skewless_json, bodies),
        ("pydantic", "dict"): (adapter.validate_python, batches),
        ("pydantic", "json"): (adapter.validate_json, bodies),
        ("msgspec", "dict"): (lambda b: msgspec.convert(b, list[struct]), batches),  # type: ignore[valid-type]
        ("msgspec", "json"): (batch_decoder.decode, bodies),
    }
    assert all(r.ok for b in batches for r in validator.validate_many(b))
    times: dict[tuple[str, str], list[int]] = {k: [] for k in fns}
    clock = time.perf_counter_ns
    keys = list(fns)
    for rep in range(repeat + 1):
        gc.collect()
        for i in range(len(batches)):
            for k in keys[i % len(keys) :] + keys[: i % len(keys)]:
                fn, inputs = fns[k]
                t0 = clock()
                fn(inputs[i])
                t1 = clock()
                if rep:
                    times[k].append(t1 - t0)
    out: dict[str, Any] = {"batch_size": size, "batches": len(batches)}
    for (name, kind), ts in times.items():
        per_record = statistics.median(ts) / size
        out[f"{name}/{kind}"] = {
            "median_ns_per_record": per_record,
            "records_per_s": 1e9 / per_record,
        }
    return out


def skewless_columns(validator: Any, records: list[dict[str, Any]], repeat: int) -> dict[str, Any]:
    """Where skewless' `validate` spends its time, per column (record.py's compiled plans).

    For each column: how often the value leaves the fast test for the general path, and the
    median ns of the column's share of `validate` (the fast test, plus the general path when
    taken). Reads private attributes: it says so and returns nothing if they change shape.
    """
    import skewless.record as internals

    # The fast test's "take the general path" has been a returned sentinel (`_SLOW`) and a
    # raised exception (`_Slow`); either is understood.
    sentinel = getattr(internals, "_SLOW", None)
    signal: Any = getattr(internals, "_Slow", None)
    try:
        plans = list(validator._plans)
        columns = [(p.column.name, p.fast, p.general) for p in plans]
    except (AttributeError, TypeError) as exc:
        return {"unavailable": f"record.py internals changed ({exc!r})"}
    if sentinel is None and not (isinstance(signal, type) and issubclass(signal, BaseException)):
        return {"unavailable": "record.py internals changed (no _SLOW or _Slow)"}
    signals: tuple[type[BaseException], ...] = (signal,) if signal is not None else ()

    def column_cost(fast: Impl, general: Impl, v: Any) -> bool:
        """The column's share of `validate`: True when it took the general path."""
        try:
            out = fast(v)
        except signals:
            general(v)
            return True
        if sentinel is not None and out is sentinel:
            general(v)
            return True
        return False

    clock = time.perf_counter_ns
    out: dict[str, Any] = {}
    for name, fast, general in columns:
        values = [r.get(name) for r in records]
        slow = [column_cost(fast, general, v) for v in values]
        ts, slow_ts = [], []
        for rep in range(repeat + 1):
            for v, went_slow in zip(values, slow, strict=True):
                t0 = clock()
                column_cost(fast, general, v)
                t1 = clock()
                if rep:
                    ts.append(t1 - t0)
                    if went_slow:
                        slow_ts.append(t1 - t0)
        out[name] = {
            "general_path_share": sum(slow) / len(values),
            "median_ns": statistics.median(ts),
            "general_path_median_ns": statistics.median(slow_ts) if slow_ts else None,
        }
    # parse_json alone (the general way's parse), bodies with and without an escape.
    bodies = to_json(records)
    for escaped in (False, True):
        subset = [b for b in bodies if (b"\\" in b) == escaped]
        if not subset:
            continue
        ts = []
        for rep in range(repeat + 1):
            for b in subset:
                t0 = clock()
                parse_json(b)
                t1 = clock()
                if rep:
                    ts.append(t1 - t0)
        key = "parse_json (body with escapes)" if escaped else "parse_json (no escapes)"
        out[key] = {
            "share_of_bodies": len(subset) / len(bodies),
            "median_ns": statistics.median(ts),
        }
    return out


def record_kind(record: dict[str, Any]) -> str:
    """Which kind of clean record this is, as far as a fast path may care."""
    texts = [v for v in record.values() if type(v) is str]
    if not all(v.isascii() and v.isprintable() for v in texts):
        return "text with non-ASCII, tab or newline"
    if any(v is None for v in record.values()):
        return "a null (click_rate, referrer or comment)"
    return "no null, ASCII printable text"


def time_by_kind(
    impls: dict[tuple[str, str], Impl], kinds: dict[str, list[Any]], kind: str, repeat: int
) -> dict[str, Any]:
    """skewless and pydantic from `kind` inputs, per group of records (no private attributes)."""
    total = sum(len(subset) for subset in kinds.values())
    names = ("skewless", "pydantic")
    clock = time.perf_counter_ns
    out: dict[str, Any] = {}
    for group, subset in sorted(kinds.items()):
        ts: dict[str, list[int]] = {name: [] for name in names}
        for rep in range(repeat + 1):
            for i, r in enumerate(subset):
                for name in names[i % 2 :] + names[: i % 2]:
                    fn = impls[(name, kind)]
                    t0 = clock()
                    fn(r)
                    t1 = clock()
                    if rep:
                        ts[name].append(t1 - t0)
        medians = {name: statistics.median(t) for name, t in ts.items()}
        out[group] = {
            "share": len(subset) / total,
            **{f"{name}_median_ns": m for name, m in medians.items()},
            "ratio": medians["skewless"] / medians["pydantic"],
        }
    return out


# --- report -----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return common.machine_facts(
        skewless_commit=common.git("rev-parse", "--short", "HEAD"),
        skewless_uncommitted_changes=bool(common.git("status", "--porcelain", "--", "src")),
        # record.py is being optimised: which version of it was measured.
        record_py_sha256=common.short_sha256(Path(skewless.__file__).with_name("record.py")),
        pydantic=version("pydantic"),
        pydantic_core=version("pydantic_core"),
        msgspec=version("msgspec"),
        fastjsonschema=version("fastjsonschema"),
    )


def _us(ns: float) -> str:
    return f"{ns / 1000:.2f}"


def print_report(results: dict[str, Any]) -> None:
    machine = common.describe_machine(results["machine"], "pydantic", "msgspec", "fastjsonschema")
    print(
        f"\n{results['records']:,} records x {results['repeat']} passes per (implementation, "
        f"input, data); {machine}; timer floor {results['timer_floor_ns']:.0f} ns (included)"
    )
    print(
        f"{'implementation':<15} {'input':<5} {'data':<6} {'median us':>10} {'p90 us':>8} "
        f"{'p99 us':>8} {'records/s':>10}"
    )
    for key, q in results["latency"].items():
        name, kind, label = key.split("/")
        print(
            f"{name:<15} {kind:<5} {label:<6} {_us(q['median_ns']):>10} {_us(q['p90_ns']):>8} "
            f"{_us(q['p99_ns']):>8} {1e9 / q['median_ns']:>10,.0f}"
        )
    print("\nfastjsonschema only validates: no zone conversion, no null fill, no map_to.")
    print("\nskewless / pydantic v2 (target: median <= 1.0x pydantic v2 on both inputs)")
    for key, r in results["ratios"].items():
        met = "met" if r["median"] <= 1.0 else "NOT met"
        print(f"  {key:<11} median {r['median']:.2f}x, p99 {r['p99']:.2f}x   {met}")
    b = results["microbatch"]
    print(
        f"\nmicro-batches of {b['batch_size']} clean records ({b['batches']} batches), per record:"
    )
    for kind in ("dict", "json"):
        parts = [
            f"{name} {_us(b[f'{name}/{kind}']['median_ns_per_record'])} us "
            f"({b[f'{name}/{kind}']['records_per_s']:,.0f}/s)"
            for name in ("skewless", "pydantic", "msgspec")
        ]
        ratio = (
            b[f"skewless/{kind}"]["median_ns_per_record"]
            / (b[f"pydantic/{kind}"]["median_ns_per_record"])
        )
        print(f"  {kind:<5} {', '.join(parts)}; skewless/pydantic {ratio:.2f}x")
    cols = results["skewless_columns"]
    print("\nskewless validate(), per column on clean dicts (fast test + general path when taken):")
    if "unavailable" in cols:
        print(f"  {cols['unavailable']}")
    else:
        for name, c in cols.items():
            share = c.get("general_path_share", c.get("share_of_bodies"))
            label = "general path" if "general_path_share" in c else "of bodies"
            line = f"  {name:<32} {_us(c['median_ns']):>7} us   {share:>6.1%} {label}"
            if c.get("general_path_median_ns") is not None:
                line += f" ({_us(c['general_path_median_ns'])} us each)"
            print(line)
    print("\nskewless vs pydantic from dicts, per kind of clean record (median us):")
    for kind, k in results["skewless_by_record_kind"].items():
        print(
            f"  {kind:<42} {k['share']:>6.1%} of records   skewless "
            f"{_us(k['skewless_median_ns'])}, pydantic {_us(k['pydantic_median_ns'])}: "
            f"{k['ratio']:.2f}x"
        )
    for kind in ("dict", "json"):
        by_break = results[f"skewless_by_break_{kind}"]
        worst = sorted(by_break.items(), key=lambda item: -item[1]["ratio"])[:6]
        print(
            f"\nbroken records from {kind}, the slowest for skewless against pydantic (median us):"
        )
        for how, k in worst:
            print(
                f"  {how:<42} skewless {_us(k['skewless_median_ns']):>6}, pydantic "
                f"{_us(k['pydantic_median_ns']):>5}: {k['ratio']:.2f}x"
            )
    common.print_closing_notes(results)


def main() -> int:
    parser = common.argument_parser(__doc__, records=2000, repeat=5, seed=0)
    args = parser.parse_args()
    if args.records < 100:
        parser.error("--records must be at least 100 (one micro-batch)")

    rng = random.Random(args.seed)
    clean = clean_records(args.records, rng)
    dirty, broken = dirty_records(clean, rng)
    data: dict[str, dict[str, list[Any]]] = {
        "clean": {"dict": clean, "json": to_json(clean)},
        "dirty": {"dict": dirty, "json": to_json(dirty)},
    }
    validator = skewless.load_contract(common.CONTRACT).record_validator(env="serving")
    impls = implementations(validator)
    results: dict[str, Any] = {
        "records": args.records,
        "repeat": args.repeat,
        "seed": args.seed,
        "broken_records": len(broken),
        "machine": machine(),
        "notes": [
            "fastjsonschema only validates: no zone conversion, no null fill, no map_to",
            "latencies are per call, perf_counter_ns, timer floor included",
        ],
    }

    warnings, agreement = check_answers(impls, data, broken)
    for line in warnings:
        print(line, flush=True)
    results["warnings"] = warnings
    results["agreement"] = agreement
    n = args.records
    print(
        f"checked: {n:,} clean and {n:,} dirty records ({len(broken)} broken, "
        f"{len(BREAKS)} ways) through every implementation and input; normalised fields of "
        f"skewless and msgspec against pydantic on every clean record: "
        f"{len(warnings)} warning(s)",
        flush=True,
    )

    gc.collect()
    gc.freeze()  # the dataset is long-lived: keep it out of every collection
    results["timer_floor_ns"] = timer_floor(10_000)
    print(f"timing {len(impls) * 2} combinations x {args.records:,} records ...", flush=True)
    times = time_per_record(impls, data, args.repeat)
    # The median under "median_ns", as the ratios below and earlier results read it.
    results["latency"] = {
        "/".join(k): common.quantiles(v, median_key="median_ns") for k, v in times.items()
    }
    lat = results["latency"]
    results["ratios"] = {
        f"{kind}/{label}": {
            "median": lat[f"skewless/{kind}/{label}"]["median_ns"]
            / lat[f"pydantic/{kind}/{label}"]["median_ns"],
            "p99": lat[f"skewless/{kind}/{label}"]["p99_ns"]
            / lat[f"pydantic/{kind}/{label}"]["p99_ns"],
        }
        for kind in ("dict", "json")
        for label in ("clean", "dirty")
    }
    results["target"] = "median <= 1.0x pydantic v2 on both inputs"
    results["target_met"] = all(r["median"] <= 1.0 for r in results["ratios"].values())
    print("micro-batches and per-column figures ...", flush=True)
    results["microbatch"] = time_batches(validator, data["clean"], 100, args.repeat)
    results["skewless_columns"] = skewless_columns(validator, clean, args.repeat)
    kinds: dict[str, list[Any]] = {}
    for record in clean:
        kinds.setdefault(record_kind(record), []).append(record)
    results["skewless_by_record_kind"] = time_by_kind(impls, kinds, "dict", args.repeat)
    for kind in ("dict", "json"):
        by_break: dict[str, list[Any]] = {}
        for i, how in broken.items():
            by_break.setdefault(how, []).append(data["dirty"][kind][i])
        results[f"skewless_by_break_{kind}"] = time_by_kind(impls, by_break, kind, args.repeat)
    results["machine"]["load_average_after"] = common.load_average()
    gc.unfreeze()

    print_report(results)
    common.write_results("bench_record", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
