"""What the benchmark scripts in bench/ share: paths, machine facts, percentiles, result files.

The scripts run as `python bench/<script>.py` (bench/ is then `sys.path[0]`), and
bench_serve.py is also imported by uvicorn with `--app-dir bench`; both ways put bench/ on the
path, so the scripts import this module as plain `common`.

Only the standard library is imported at module level, and nothing heavy: bench_stream.py's
measuring subprocesses import this module too, and their import time and RSS are measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CONTRACT = ROOT / "contracts" / "user_features.yaml"
RESULTS = BENCH / "results"


# --- the command line -------------------------------------------------------------------------


def argument_parser(doc: str | None, **int_options: int) -> argparse.ArgumentParser:
    """A parser described by the first line of the script's docstring `doc`, with an
    `--OPTION N` (an int) for each of `int_options` in order, `_` in a name written `-`."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    for name, default in int_options.items():
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=default)
    return parser


# --- the machine and the code measured --------------------------------------------------------


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo; `platform.machine()` where there is none."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip() or platform.machine()
    except OSError:
        pass
    return platform.machine()


def load_average() -> list[float]:
    """The 1, 5 and 15-minute load averages, rounded to two decimals."""
    return [round(x, 2) for x in os.getloadavg()]


def machine_facts(**facts: Any) -> dict[str, Any]:
    """CPUs, processor and Python version, then `facts` (library versions, source hashes...),
    then `load_average_before`; the caller adds `load_average_after` when the run ends."""
    return {
        "cpus": os.cpu_count(),
        "processor": cpu_model(),
        "python": platform.python_version(),
        **facts,
        "load_average_before": load_average(),
    }


def git(*args: str) -> str:
    """`git ARGS` in the repository, its stripped output; "" when git is missing or fails."""
    try:
        return subprocess.run(
            ["git", *args],  # noqa: S607 - git from PATH
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def short_sha256(path: Path) -> str:
    """The first 12 hex digits of the file's SHA-256: which version of a source was measured."""
    import hashlib  # here, not above: bench_stream.py's measured subprocesses never need it

    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def proc_status(field: str) -> int:
    """A memory field of /proc/self/status (`VmRSS`, `VmHWM`...) in bytes; 0 if absent."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


# --- figures ----------------------------------------------------------------------------------


def quantiles(samples: Sequence[int], *, median_key: str = "p50_ns") -> dict[str, float]:
    """The median (under `median_key`), p90, p99, p99.9, max and mean of latencies in ns, and
    the number of samples. A percentile p is the sorted sample at `int(p * n)`."""
    s = sorted(samples)
    n = len(s)

    def q(p: float) -> float:
        return float(s[min(n - 1, int(p * n))])

    return {
        median_key: float(statistics.median(s)),
        "p90_ns": q(0.90),
        "p99_ns": q(0.99),
        "p999_ns": q(0.999),
        "max_ns": float(s[-1]),
        "mean_ns": statistics.fmean(s),
        "samples": n,
    }


# --- the report -------------------------------------------------------------------------------


def describe_machine(machine: Mapping[str, Any], *libraries: str) -> str:
    """`machine` (from `machine_facts`) in words, "8 CPUs, Python 3.11.7, pandas 3.0.0, ...",
    with the versions of `libraries` in that order."""
    words = [f"{machine['cpus']} CPUs", f"Python {machine['python']}"]
    return ", ".join(words + [f"{name} {machine[name]}" for name in libraries])


def print_closing_notes(results: Mapping[str, Any], *, busy_note: bool = True) -> None:
    """A NOTE when the load average says the machine was busy (with `busy_note`), and how many
    warnings were printed above, if any."""
    m = results["machine"]
    if busy_note:
        busy = max(m["load_average_before"][0], m["load_average_after"][0])
        if m["cpus"] and busy > 0.5 * m["cpus"]:
            print(
                f"\nNOTE: the machine was busy (1-minute load average up to {busy:.1f} on "
                f"{m['cpus']} CPUs): other processes share the CPUs, expect noisy figures"
            )
    if results["warnings"]:
        print(f"\n{len(results['warnings'])} warning(s), see above")


def write_results(name: str, results: Mapping[str, Any]) -> Path:
    """`results` as JSON to bench/results/<name>-<time>.json and <name>-latest.json; says where.

    Returns the time-stamped file."""
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(results, indent=2) + "\n"
    out = RESULTS / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(text)
    (RESULTS / f"{name}-latest.json").write_text(text)
    print(f"\nfigures written to {out.relative_to(ROOT)}")
    return out
