"""Online skew counting per record, in one process: what LiveProfile adds to a request.

    .venv/bin/python bench/bench_live.py [--records 5000] [--repeat 5] [--seed 0]
    make bench-live

On the same records (`contracts/user_features.yaml`, serving; 10% broken in one field each):

- skewless validate: `validator.validate_body(body)`, the gate alone (the baseline cost);
- skewless live: what `Route(profile=...)` adds: `json.loads(body)` and
  `LiveProfile.observe(record, passed)` (counts, a DDSketch per number, categories, hours,
  offsets, and the checks' violations by code; `passed` is the validator's normalised record
  when the record passed, so its checks are not run twice);
- ddsketch track: the same record's numbers (ints and floats) added to one `ddsketch.DDSketch`
  per column (Datadog's Python DDSketch, relative accuracy 0.01, as skewless' sketch): the
  standard library for the sketch alone, and so a floor for any profiler built on it.

whylogs, the profiler ML teams reach for, was the alternative to run here; whylogs 1.6.4 (the
latest) fails on its first row under numpy 2 (`np.unicode_` was removed), so it cannot be
measured beside skewless, which needs numpy 2.

Timing: `time.perf_counter_ns()` around each call; the three take turns record by record,
starting at a different one each record. Figures go to bench/results/bench_live-*.json.
"""

from __future__ import annotations

import gc
import json
import math
import random
import sys
import time
from importlib.metadata import version
from typing import Any

from common import (
    CONTRACT,
    argument_parser,
    describe_machine,
    machine_facts,
    print_closing_notes,
    quantiles,
    write_results,
)
from skewless import load_contract
from skewless.live import LiveProfile


def main() -> int:
    parser = argument_parser(__doc__, records=5000, repeat=5, seed=0)
    args = parser.parse_args()
    from bench_record import clean_records, dirty_records, to_json

    try:
        from ddsketch import DDSketch
    except ImportError:
        print("bench_live needs ddsketch: .venv/bin/pip install ddsketch", file=sys.stderr)
        return 2

    contract = load_contract(CONTRACT)
    validator = contract.record_validator("serving")
    rng = random.Random(args.seed)
    clean = clean_records(args.records, rng)
    records, _ = dirty_records(clean, rng)
    bodies = to_json(records)
    dicts = [json.loads(b) for b in bodies]
    live = LiveProfile(contract, env="serving")
    judged = [validator.validate_body(b).results[0] for b in bodies]
    passed = [r.record if r.ok else None for r in judged]
    numeric = [c.name for c in contract.columns if c.type in ("integer", "float")]
    sketches = {name: DDSketch(relative_accuracy=0.01) for name in numeric}

    def skewless_validate(i: int) -> None:
        validator.validate_body(bodies[i])

    def skewless_live(i: int) -> None:
        # As the middleware counts: the body as it arrived, with the validator's normalised
        # record when it passed (the checks are not run twice).
        live.observe(json.loads(bodies[i]), passed[i])

    def ddsketch_track(i: int) -> None:
        record = dicts[i]
        for name, sketch in sketches.items():
            value = record.get(name)
            if (type(value) is int or type(value) is float) and math.isfinite(value):
                sketch.add(value)

    ways = {
        "skewless validate": skewless_validate,
        "skewless live": skewless_live,
        "ddsketch track": ddsketch_track,
    }
    names = list(ways)
    samples: dict[str, list[int]] = {name: [] for name in names}
    for i in range(len(bodies)):  # warm-up
        for fn in ways.values():
            fn(i)
    gc.freeze()
    for _ in range(args.repeat):
        for i in range(len(bodies)):
            for k in range(len(names)):
                name = names[(i + k) % len(names)]
                started = time.perf_counter_ns()
                ways[name](i)
                samples[name].append(time.perf_counter_ns() - started)
    figures = {name: quantiles(samples[name]) for name in names}
    from common import load_average

    base = figures["skewless live"]["p50_ns"]
    results: dict[str, Any] = {
        "machine": machine_facts(
            records=len(bodies), repeat=args.repeat, ddsketch=version("ddsketch")
        ),
        "warnings": [],
        "per_record": figures,
        "ratios": {
            "ddsketch_over_live_p50": figures["ddsketch track"]["p50_ns"] / base,
            "live_over_validate_p50": base / figures["skewless validate"]["p50_ns"],
        },
        "rows_counted": live.snapshot().rows,
    }
    results["machine"]["load_average_after"] = load_average()
    print(describe_machine(results["machine"], "ddsketch"))
    for name in names:
        f = figures[name]
        print(f"{name:18} p50 {f['p50_ns'] / 1000:8.1f} us   p99 {f['p99_ns'] / 1000:8.1f} us")
    ratios = results["ratios"]
    print(f"ddsketch numbers only / skewless live (p50): {ratios['ddsketch_over_live_p50']:.2f}x")
    print(f"skewless live / skewless validate (p50): {ratios['live_over_validate_p50']:.2f}x")
    print_closing_notes(results)
    print(f"results: {write_results('bench_live', results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
