"""Test-data generation, one process: skewless' hypothesis strategies against pandera's.

    .venv/bin/python bench/bench_generate.py [--examples 20] [--rounds 3] [--rows 10]
    make bench-generate

Rows per second that hypothesis generates, outside a test, for the 15 columns of
`contracts/user_features.yaml` in the training environment (`label` is `only_in: training`,
so both sides have the same 15 columns):

- skewless records: `skewless.strategies.records(contract, env="training")`, one dict per
  example (JSON-like values: datetimes and dates as ISO 8601 text), one row each;
- skewless frames: `skewless.strategies.frames(contract, env="training", min_rows=ROWS,
  max_rows=ROWS)`, pandas DataFrames of exactly `--rows` rows;
- pandera: `pandera_schema().strategy(size=ROWS)`, DataFrames of exactly `--rows` rows from a
  hand-written `pandera.pandas.DataFrameSchema` holding the same rules (below);
- pandera (comment: any Unicode): the same schema with a weaker rule on `comment` (no control
  characters, but 4-byte characters allowed), for information: see "the one costly rule".

Method: each measurement is a `@given(strategy)` function under `@settings(max_examples=N,
database=None, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))`
that counts the rows it is given, timed with `time.perf_counter` around the call: hypothesis'
own engine (choice recording, the example loop) is in the figure, as it is in a test. Per run:
`--examples` frames for each pandera schema, 5x that many frames for skewless (its frames are
cheaper: each run then lasts long enough to time) and 50x that many records. One untimed
warm-up run each, then `--rounds` rounds, the four taking turns in an order rotated every
round so that drift on a shared machine hits all alike; the figure is the median rows/s over
the rounds. A pandera run that fails (an error, Unsatisfiable) is reported and left out.

Before timing, and once: 200 skewless records must pass
`contract.record_validator("training").validate(record).ok`, 20 skewless frames
`contract.validate(frame, env="training").ok`, and 5 frames from each pandera schema
`schema.validate(frame)`; every record and frame must hold exactly the 15 columns. A WARNING
line says otherwise.

The pandera schema (`pandera_schema()`), pandera 0.35, built-in checks only (a check with no
strategy turns into a `.filter` over the drawn data): `int64` with `Check.ge(1)` and
`unique=True` (`user_id`), `Check.in_range(13, 120)` (`user_age`), `Check.ge(0)`
(`session_count`); `str` with `Check.isin` (`browser_type`); `str_matches(r"^[A-Z]{2}\\Z")` and
`str_length(max_value=2)` (`country`); `str_matches(r"^[a-z0-9.-]+\\Z")` and
`str_length(max_value=253)`, nullable (`referrer`); `float64` with `Check.in_range(0, 100000)`
(`basket_value`) and `Check.in_range(0, 1)`, nullable (`click_rate`); `bool` (`is_premium`,
`label`); `DatetimeTZDtype("ns", "UTC")` (`last_purchase_at`) and `DatetimeTZDtype("ns",
"America/Los_Angeles")` (`local_time`); `unique=["user_id", "last_purchase_at"]`,
`strict=True`. Where the two differ:

- `comment` (`max_length: 500`, `charset: bmp`, no control characters, nullable): pandera has
  no charset or control-character check with a strategy, so the rule is written as a pattern,
  `str_matches("^[\\t\\n\\r -~\\x80-\\uffff]*\\Z")` (tab, newline, CR, printable ASCII, then
  the rest of the Basic Multilingual Plane; pandera strips the surrogates it draws) with
  `str_length(max_value=500)`. Same rule, spelt as a character class. The literal spelling,
  `[^<control characters>\\U00010000-\\U0010ffff]`, was over 10x slower still for pandera,
  so the cheaper one is used.
- `signup_date` (`type: date`): pandera cannot generate its `Date` dtype ("Data generation for
  the 'date' data type is currently unsupported"), so it is a naive `datetime64[ns]` column
  there (any time of day, not dates); skewless frames hold `datetime.date` objects.
- `local_time` (`naive: assume`, Pacific): pandera has one dtype per column, aware Los Angeles
  here; skewless frames also hold naive Pacific wall times (DST gaps and folds avoided) in some
  frames, and `us` as well as `ns` units in both datetime columns. `naive: reject` and
  `other_zones: reject` on `last_purchase_at` are what the UTC dtype says in a frame.
- `os` (`unknown: {map_to: Other}`): any text is valid, so pandera's column is `str` with no
  check; pandera cannot express the mapping (a normalisation, not a rule). skewless draws its
  six values or any text up to 20 characters.
- Dtypes: pandera draws one dtype per column; skewless varies them as users have them
  (`int64`/`Int64`, `bool`/`boolean`, `object`/`str`/`category`, whole-number floats as int64).
- `checks.rows: {min: 1}`: every frame has `--rows` rows on both sides, so the pandera schema
  leaves out the frame-level check (with no strategy it would be a filter).

Figures go to bench/results/bench_generate-<time>.json and bench_generate-latest.json.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pdr
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import common
import skewless
from skewless.strategies import frames, records

ENV = "training"  # `label` is only_in training: 15 columns, as in the pandera schema
SKEWLESS_FRAMES_PER_PANDERA_FRAME = 5  # per run, so that a skewless run lasts long enough
RECORDS_PER_PANDERA_FRAME = 50
BROWSERS = ["Chrome", "Safari", "Firefox", "Edge", "Other"]
# `comment`: tab, newline, CR, printable ASCII, then the rest of the BMP (C1 controls are
# allowed, as in skewless). Real characters in the pattern rather than \x or \u escapes,
# which RE2 spells differently (pandas tries pyarrow's RE2 first, Python's re when RE2 refuses
# a pattern, as it refuses `\Z`).
BMP_NO_CONTROL = "^[\t\n\r -~\x80-\uffff]*\\Z"
NO_CONTROL = "^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*\\Z"  # the weaker variant: astral allowed
NAMES = {
    "skewless_records": "skewless records (dicts)",
    "skewless_frames": "skewless frames",
    "pandera": "pandera frames",
    "pandera_unicode_comment": "pandera, comment any Unicode",
}
SKEWLESS = ("skewless_records", "skewless_frames")
PANDERA = ("pandera", "pandera_unicode_comment")
TARGET = 20.0


# --- the pandera schema -----------------------------------------------------------------------


def pandera_schema(comment: str = BMP_NO_CONTROL) -> pdr.DataFrameSchema:
    """The contract's rules as a pandera user who wants to generate data would write them:
    built-in checks, which carry strategies. `comment`: the pattern for the comment column."""
    return pdr.DataFrameSchema(
        {
            "user_id": pdr.Column("int64", pdr.Check.ge(1), unique=True),
            "user_age": pdr.Column("int64", pdr.Check.in_range(13, 120)),
            "browser_type": pdr.Column(str, pdr.Check.isin(BROWSERS)),
            "os": pdr.Column(str),  # any text: unknown systems are mapped to Other
            "country": pdr.Column(
                str, [pdr.Check.str_matches(r"^[A-Z]{2}\Z"), pdr.Check.str_length(max_value=2)]
            ),
            "last_purchase_at": pdr.Column(pd.DatetimeTZDtype("ns", "UTC")),
            "local_time": pdr.Column(pd.DatetimeTZDtype("ns", "America/Los_Angeles")),
            # pandera cannot generate its Date dtype: naive timestamps stand in for dates.
            "signup_date": pdr.Column("datetime64[ns]"),
            "session_count": pdr.Column("int64", pdr.Check.ge(0)),
            "basket_value": pdr.Column("float64", pdr.Check.in_range(0, 100000)),
            "click_rate": pdr.Column("float64", pdr.Check.in_range(0, 1), nullable=True),
            "is_premium": pdr.Column(bool),
            "referrer": pdr.Column(
                str,
                [pdr.Check.str_matches(r"^[a-z0-9.-]+\Z"), pdr.Check.str_length(max_value=253)],
                nullable=True,
            ),
            "comment": pdr.Column(
                str,
                [pdr.Check.str_matches(comment), pdr.Check.str_length(max_value=500)],
                nullable=True,
            ),
            "label": pdr.Column(bool),
        },
        unique=["user_id", "last_purchase_at"],
        strict=True,
    )


# --- drawing ----------------------------------------------------------------------------------


def draw(strategy: st.SearchStrategy[Any], examples: int, each: Callable[[Any], None]) -> float:
    """Run hypothesis' generate phase for `examples` examples of `strategy`, calling `each`
    on every one; the seconds it took."""

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(value: Any) -> None:
        each(value)

    with warnings.catch_warnings():
        # hypothesis' pandas extra warns at every aware datetime pandera draws
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        run()
        return time.perf_counter() - t0


def sample(strategy: st.SearchStrategy[Any], examples: int) -> list[Any]:
    """`examples` values of `strategy`, drawn as in the timed runs."""
    out: list[Any] = []
    draw(strategy, examples, out.append)
    return out


def measure(strategy: st.SearchStrategy[Any], examples: int) -> dict[str, Any]:
    """Examples, rows, seconds and rows per second of one run (a dict counts as one row)."""
    seen = {"examples": 0, "rows": 0}

    def count(value: Any) -> None:
        seen["examples"] += 1
        seen["rows"] += 1 if isinstance(value, dict) else len(value)

    seconds = draw(strategy, examples, count)
    return {**seen, "seconds": seconds, "rows_per_s": seen["rows"] / seconds}


def strategies(
    contract: skewless.Contract, rows: int
) -> dict[str, tuple[st.SearchStrategy[Any], int]]:
    """Each implementation's strategy and its number of examples per `--examples` unit."""
    return {
        "skewless_records": (records(contract, env=ENV), RECORDS_PER_PANDERA_FRAME),
        "skewless_frames": (
            frames(contract, env=ENV, min_rows=rows, max_rows=rows),
            SKEWLESS_FRAMES_PER_PANDERA_FRAME,
        ),
        "pandera": (pandera_schema().strategy(size=rows), 1),
        "pandera_unicode_comment": (pandera_schema(NO_CONTROL).strategy(size=rows), 1),
    }


def failure(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text if len(text) <= 300 else text[:297] + "..."


# --- the sanity check -------------------------------------------------------------------------


def check_samples(contract: skewless.Contract, rows: int) -> tuple[list[str], dict[str, str]]:
    """Generated data is valid on both sides and has the same 15 columns: WARNING lines when
    not, and the pandera schemas that could not generate at all (name -> error)."""
    lines: list[str] = []
    failed: dict[str, str] = {}
    columns = set(pandera_schema().columns)
    validator = contract.record_validator(env=ENV)
    drawn = sample(records(contract, env=ENV), 200)
    bad = [r for r in drawn if not validator.validate(r).ok]
    if bad:
        lines.append(f"WARNING: {len(bad)} of {len(drawn)} skewless records fail: {bad[0]!r}")
    odd = [r for r in drawn if set(r) != columns]
    if odd:
        lines.append(f"WARNING: {len(odd)} skewless records lack or add keys: {sorted(odd[0])}")
    for frame in sample(frames(contract, env=ENV, min_rows=rows, max_rows=rows), 20):
        report = contract.validate(frame, env=ENV)
        if not report.ok:
            lines.append(f"WARNING: a skewless frame fails its contract: {report.counts}")
        if set(frame.columns) != columns or len(frame) != rows:
            lines.append(f"WARNING: a skewless frame of {len(frame)} rows: {list(frame.columns)}")
    for name, pattern in (("pandera", BMP_NO_CONTROL), ("pandera_unicode_comment", NO_CONTROL)):
        schema = pandera_schema(pattern)
        try:
            drawn_frames = sample(schema.strategy(size=rows), 5)
        except Exception as exc:  # any pandera failure is reported, not raised
            failed[name] = failure(exc)
            lines.append(f"WARNING: {NAMES[name]} could not generate: {failed[name]}")
            continue
        for frame in drawn_frames:
            try:
                schema.validate(frame)
            except pdr.errors.SchemaError as exc:
                lines.append(f"WARNING: a {NAMES[name]} frame fails its schema: {failure(exc)}")
            if set(frame.columns) != columns or len(frame) != rows:
                lines.append(f"WARNING: a {NAMES[name]} frame: {list(frame.columns)}")
    return lines, failed


# --- report -----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return common.machine_facts(
        skewless_commit=common.git("rev-parse", "--short", "HEAD"),
        skewless_uncommitted_changes=bool(common.git("status", "--porcelain", "--", "src")),
        strategies_py_sha256=common.short_sha256(
            Path(skewless.__file__).with_name("strategies.py")
        ),
        hypothesis=version("hypothesis"),
        pandas=version("pandas"),
        pandera=version("pandera"),
    )


def ratio(results: dict[str, Any], top: str, bottom: str) -> dict[str, Any] | None:
    """`top`'s median rows/s over `bottom`'s, and the same ratio round by round (both ran in
    each round, so drift between rounds cancels out of those); None if either failed."""
    figures = results["implementations"]
    a, b = figures[top], figures[bottom]
    if "error" in a or "error" in b:
        return None
    rounds = [x["rows_per_s"] / y["rows_per_s"] for x, y in zip(a["runs"], b["runs"], strict=True)]
    return {
        "of_medians": a["median_rows_per_s"] / b["median_rows_per_s"],
        "per_round": rounds,
        "median_per_round": statistics.median(rounds),
    }


def print_report(results: dict[str, Any]) -> None:
    m = common.describe_machine(results["machine"], "hypothesis", "pandas", "pandera")
    print(
        f"\n{results['rounds']} rounds, frames of {results['rows']} rows, contract "
        f"user_features in {ENV} (15 columns); {m}"
    )
    print(
        f"{'implementation':<30} {'examples/run':>12} {'rows/run':>9} {'median rows/s':>14}"
        "   rows/s per run"
    )
    for key, figures in results["implementations"].items():
        if "error" in figures:
            print(f"{NAMES[key]:<30} FAILED: {figures['error']}")
            continue
        runs = ", ".join(f"{r['rows_per_s']:,.1f}" for r in figures["runs"])
        print(
            f"{NAMES[key]:<30} {figures['examples_per_run']:>12,} {figures['rows_per_run']:>9,} "
            f"{figures['median_rows_per_s']:>14,.1f}   {runs}"
        )
    print(f"\nratios of the medians (target: skewless >= {TARGET:.0f}x pandera frames, on both)")
    for key, r in results["ratios"].items():
        if r is None:
            print(f"  {key:<58} n/a (a run failed)")
            continue
        note = ""
        if key.endswith(f"/ {NAMES['pandera']}"):
            note = "  met" if r["of_medians"] >= TARGET else "  NOT met"
        rounds = ", ".join(f"{x:.1f}x" for x in r["per_round"])
        print(f"  {key:<58} {r['of_medians']:>6.1f}x{note}   (per round: {rounds})")
    print(
        "\n'pandera, comment any Unicode' allows 4-byte characters in comment (charset: bmp "
        "dropped): not the contract, for information"
    )
    common.print_closing_notes(results)


def main() -> int:
    parser = common.argument_parser(__doc__, examples=20, rounds=3, rows=10)
    args = parser.parse_args()
    if min(args.examples, args.rounds, args.rows) < 1:
        parser.error("--examples, --rounds and --rows must be at least 1")

    contract = skewless.load_contract(common.CONTRACT)
    results: dict[str, Any] = {
        "examples": args.examples,
        "rounds": args.rounds,
        "rows": args.rows,
        "env": ENV,
        "machine": machine(),
        "pandera_comment_pattern": BMP_NO_CONTROL,
        "pandera_unicode_comment_pattern": NO_CONTROL,
        "notes": [
            "rows per second through hypothesis' generate phase, engine included",
            "pandera's signup_date is naive datetime64[ns]: pandera cannot generate dates",
        ],
    }
    print("checking generated data on both sides ...", flush=True)
    lines, failed = check_samples(contract, args.rows)
    for line in lines:
        print(line, flush=True)
    results["warnings"] = lines
    print(
        f"checked: 200 skewless records, 20 skewless frames, 5 frames per pandera schema: "
        f"{len(lines)} warning(s)",
        flush=True,
    )

    plan = {
        key: (strategy, per * args.examples)
        for key, (strategy, per) in strategies(contract, args.rows).items()
        if key not in failed
    }
    errors = dict(failed)
    runs: dict[str, list[dict[str, Any]]] = {key: [] for key in plan}
    keys = list(plan)
    print(f"warm-up, then {args.rounds} rounds ...", flush=True)
    for round_ in range(-1, args.rounds):  # round -1: the warm-up, a few examples each
        turn = round_ % len(keys)
        for key in keys[turn:] + keys[:turn]:
            if key in errors:
                continue
            strategy, examples = plan[key]
            try:
                run = measure(strategy, examples if round_ >= 0 else max(2, examples // 10))
            except Exception as exc:  # a failing pandera run is reported, not raised
                if key not in PANDERA:
                    raise
                errors[key] = failure(exc)
                print(f"WARNING: {NAMES[key]} failed: {errors[key]}", flush=True)
                continue
            if round_ >= 0:
                runs[key].append(run)
        if round_ >= 0:
            done = ", ".join(
                f"{NAMES[k]} {runs[k][-1]['rows_per_s']:,.1f}" for k in keys if k not in errors
            )
            print(f"  round {round_ + 1}: rows/s {done}", flush=True)
    results["machine"]["load_average_after"] = common.load_average()

    figures: dict[str, Any] = {}
    for key in NAMES:
        if key in errors:
            figures[key] = {"error": errors[key]}
            continue
        figures[key] = {
            "examples_per_run": plan[key][1],
            "rows_per_run": plan[key][1] * (1 if key == "skewless_records" else args.rows),
            "median_rows_per_s": statistics.median(r["rows_per_s"] for r in runs[key]),
            "runs": runs[key],
        }
    results["implementations"] = figures
    results["ratios"] = {
        f"{NAMES[top]} / {NAMES[bottom]}": ratio(results, top, bottom)
        for bottom in PANDERA
        for top in SKEWLESS
    }
    met = [results["ratios"][f"{NAMES[top]} / {NAMES['pandera']}"] for top in SKEWLESS]
    results["target"] = f"skewless >= {TARGET:.0f}x pandera rows/s, records and frames"
    results["target_met"] = all(r is not None and r["of_medians"] >= TARGET for r in met)

    print_report(results)
    common.write_results("bench_generate", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
