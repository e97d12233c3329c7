"""Batch validation, three ways, one process: skewless, hand-written pandera, hand-written masks.

    .venv/bin/python bench/bench_batch.py [--rows 1000000] [--repeat 5] [--seed 0]

The data is `contracts/user_features.yaml` (15 columns) as a pandas user would hold it: int64,
float64 (NaN as the null marker), bool, pandas' default `str` strings (pyarrow-backed in pandas 3),
`datetime64[ns, UTC]` for the aware timestamp, naive `datetime64[ns]` for the Pacific wall time,
and Python `datetime.date` objects for the date column (what `pandas.read_parquet` gives for a
Parquet `date32`). It is validated once clean and once with ~1% of its rows broken across many
columns and checks.

Each implementation validates the frame *and* collects every failing row with its column and
check, as `{(column, check): row positions}`; the time is the median of `--repeat` runs after
one warm-up. Peak memory is measured in a separate, untimed run: a background thread samples the
process RSS every 2 ms (psutil) and, where Linux allows it, the kernel's exact high-water mark
(VmHWM, reset through /proc/self/clear_refs) is read too; the larger of the two, minus the RSS
before the call, is the extra peak. The three must find the same failing rows, column by column;
a WARNING line says so when they do not. Figures also go to bench/results/ as JSON.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import gc
import statistics
import sys
import threading
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import numpy as np
import pandas as pd
import psutil
import pyarrow as pa

import common
import skewless
from skewless.batch import pandera_pandas

# pandera as skewless imports it: where PySpark is installed (the dev extras), a bare `import
# pandera` also imports pyspark.pandas, which patches pandas and warns under pandas 3; both
# sides of the comparison run with the same pandas.
pdr = pandera_pandas()

Found = dict[tuple[str, str], np.ndarray]  # (column, check) -> failing row positions

BROWSERS = ["Chrome", "Safari", "Firefox", "Edge", "Other"]
SYSTEMS = ["Windows", "macOS", "Linux", "iOS", "Android", "Other"]
COUNTRIES = "US GB FR DE ES IT NL BE CH AT SE NO DK FI PL PT IE CA MX BR AR JP KR CN IN AU NZ ZA"
REFERRERS = ["google.com", "news.ycombinator.com", "t.co", "duckduckgo.com", "example.org"]
COMMENTS = [
    "great",
    "slow delivery",
    "très bien, merci",
    "日本語のコメント",
    "would buy again\nthanks",
    "tab\tseparated",
    "ok " * 40,
]
KEY = "user_id,last_purchase_at"  # how all three name the compound-key finding
LA = "America/Los_Angeles"
CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"  # C0 except \t \n \r, and DEL
ASTRAL = "[\U00010000-\U0010ffff]"  # code points that need 4 bytes of UTF-8


# --- the data ---------------------------------------------------------------------------------


def clean_frame(rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """`rows` valid rows for user_features, in the dtypes a pandas user would have."""
    start = np.datetime64("2024-01-01T00:00:00", "s")
    year = 366 * 24 * 3600
    purchase = start + rng.integers(0, year, rows).astype("timedelta64[s]")
    # Wall times between 08:00 and 22:59 never fall in a DST gap or fold.
    days = rng.integers(0, 366, rows).astype("timedelta64[D]")
    seconds = rng.integers(8 * 3600, 23 * 3600, rows).astype("timedelta64[s]")
    signup = np.datetime64("2015-01-01") + rng.integers(0, 3300, rows).astype("timedelta64[D]")

    def strings(choices: list[str], nulls: float = 0.0) -> pd.Series:
        values = np.asarray(choices, dtype=object)[rng.integers(0, len(choices), rows)]
        if nulls:
            values[rng.random(rows) < nulls] = None
        return pd.Series(values, dtype="str")

    os_values = strings([*SYSTEMS, "ChromeOS"])  # unknown systems are mapped to Other: valid
    click = rng.random(rows)
    click[rng.random(rows) < 0.05] = np.nan  # nullable, filled with 0.0
    return pd.DataFrame(
        {
            "user_id": rng.permutation(rows).astype(np.int64) + 1,
            "user_age": rng.integers(13, 121, rows),
            "browser_type": strings(BROWSERS),
            "os": os_values,
            "country": strings(COUNTRIES.split()),
            "last_purchase_at": pd.Series(purchase.astype("datetime64[ns]")).dt.tz_localize("UTC"),
            "local_time": pd.Series(
                (np.datetime64("2024-01-01") + days + seconds).astype("M8[ns]")
            ),
            "signup_date": pd.Series(signup.astype(object), dtype=object),
            "session_count": rng.poisson(5, rows).astype(np.int64),
            "basket_value": np.round(rng.gamma(2.0, 40.0, rows), 2),
            "click_rate": click,
            "is_premium": rng.random(rows) < 0.1,
            "referrer": strings(REFERRERS, nulls=0.3),
            "comment": strings(COMMENTS, nulls=0.7),
            "label": rng.random(rows) < 0.02,
        }
    )


# (column, value or marker, weight): ~1% of the rows get one of these each.
BREAKS: list[tuple[str, Any, int]] = [
    ("user_age", 7, 500),
    ("user_age", 150, 500),
    ("session_count", -1, 500),
    ("user_id", 0, 300),  # below min, and the 0s repeat each other
    ("user_id", "duplicate", 500),
    (KEY, "duplicate", 300),  # user_id and last_purchase_at copied from an earlier row
    ("browser_type", "Netscape", 600),
    ("browser_type", "chrome", 400),
    ("browser_type", None, 300),
    ("country", "us", 500),
    ("country", "USA", 300),  # pattern and max_length
    ("country", "US\n", 200),  # `$` must not match before a trailing newline
    ("country", "U\x00", 100),  # pattern and control character
    ("basket_value", np.nan, 300),  # NaN is pandas' null in a float64 column
    ("basket_value", np.inf, 200),
    ("basket_value", -5.0, 300),
    ("basket_value", 1e6, 200),
    ("click_rate", 1.5, 400),
    ("click_rate", -np.inf, 100),
    ("referrer", "Example.com", 300),
    ("referrer", "exämple.com", 200),  # pattern and charset ascii
    ("comment", "null\x00byte", 300),
    ("comment", "\x1b[31mred\x1b[0m", 200),
    ("comment", "great 😀", 500),  # 4-byte UTF-8, charset bmp
    ("comment", "x" * 600, 100),
    ("last_purchase_at", None, 300),
    ("local_time", "2024-03-10 02:30", 150),  # DST gap in Los Angeles
    ("local_time", "2024-11-03 01:30", 150),  # DST fold
    ("signup_date", None, 300),
]


def dirty_frame(clean: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """A copy of `clean` with ~1% of its rows broken; returns the frame and the broken rows."""
    df = clean.copy(deep=True)
    n = len(df)
    total = sum(w for _, _, w in BREAKS)
    sizes = [max(1, round(w * n * 0.01 / total)) for _, _, w in BREAKS]
    broken = np.sort(rng.choice(np.arange(1, n), size=sum(sizes), replace=False))
    untouched = np.setdiff1d(np.arange(n), broken)
    rng.shuffle(broken)
    at = 0
    for (column, value, _), size in zip(BREAKS, sizes, strict=True):
        rows = np.sort(broken[at : at + size])
        at += size
        if value == "duplicate":
            # Copy from an earlier untouched row, so the broken row is the later occurrence.
            below = np.searchsorted(untouched, rows)
            sources = untouched[(rng.random(size) * below).astype(np.int64)]
            for name in column.split(","):
                df.loc[rows, name] = df[name].to_numpy()[sources]
        elif column == "local_time":
            df.loc[rows, column] = pd.Timestamp(value)
        elif column == "last_purchase_at" and value is None:
            df.loc[rows, column] = pd.NaT
        else:
            df.loc[rows, column] = value
    return df, np.sort(broken)


# --- 1. skewless ------------------------------------------------------------------------------


def run_skewless(contract: skewless.Contract) -> Callable[[pd.DataFrame], Found]:
    def run(df: pd.DataFrame) -> Found:
        report = contract.validate(df)
        found: Found = {}
        for block in report.blocks:
            column = (block.column or "<table>").replace(", ", ",")
            rows = block.rows if block.rows is not None else np.zeros(0, dtype=np.int64)
            key = (column, block.code.value)  # one block per message: a DST gap, a DST fold
            found[key] = np.concatenate([found[key], rows]) if key in found else rows
        return found

    return run


# --- 2. hand-written pandera ------------------------------------------------------------------


def pandera_schema() -> pdr.DataFrameSchema:
    """The contract's rules written as a pandera user would, built-in checks where they exist."""
    from pandera.engines import pandas_engine

    def no_control(s: pd.Series) -> pd.Series:
        return ~s.str.contains(CONTROL, regex=True)

    def no_astral(s: pd.Series) -> pd.Series:
        return ~s.str.contains(ASTRAL, regex=True)

    def finite_or_nan(s: pd.Series) -> pd.Series:
        return ~np.isinf(s)

    def exists_in_la(s: pd.Series) -> pd.Series:
        return s.dt.tz_localize(LA, ambiguous="NaT", nonexistent="NaT").notna()

    control = pdr.Check(no_control, name="control_character")
    not_inf = pdr.Check(finite_or_nan, name="inf_not_allowed")
    return pdr.DataFrameSchema(
        {
            "user_id": pdr.Column(
                "int64", pdr.Check.ge(1), unique=True, report_duplicates="exclude_first"
            ),
            "user_age": pdr.Column("int64", pdr.Check.in_range(13, 120)),
            "browser_type": pdr.Column(str, pdr.Check.isin(BROWSERS)),
            "os": pdr.Column(str),
            "country": pdr.Column(
                str,
                [
                    control,
                    pdr.Check.str_length(max_value=2),
                    pdr.Check.str_matches(r"^[A-Z]{2}\Z"),
                ],
            ),
            "last_purchase_at": pdr.Column(pd.DatetimeTZDtype("ns", "UTC")),
            "local_time": pdr.Column(
                "datetime64[ns]", pdr.Check(exists_in_la, name="naive_datetime")
            ),
            "signup_date": pdr.Column(pandas_engine.Date),
            "session_count": pdr.Column("int64", pdr.Check.ge(0)),
            "basket_value": pdr.Column("float64", [pdr.Check.in_range(0, 100000), not_inf]),
            "click_rate": pdr.Column("float64", [pdr.Check.in_range(0, 1), not_inf], nullable=True),
            "is_premium": pdr.Column(bool),
            "referrer": pdr.Column(
                str,
                [
                    control,
                    pdr.Check(lambda s: s.str.isascii(), name="outside_charset"),
                    pdr.Check.str_length(max_value=253),
                    pdr.Check.str_matches(r"^[a-z0-9.-]+\Z"),
                ],
                nullable=True,
            ),
            "comment": pdr.Column(
                str,
                [
                    control,
                    pdr.Check(no_astral, name="outside_charset"),
                    pdr.Check.str_length(max_value=500),
                ],
                nullable=True,
            ),
            "label": pdr.Column(bool, required=False),
        },
        checks=[pdr.Check(lambda df: len(df) >= 1, name="row_count")],
        unique=["user_id", "last_purchase_at"],
        report_duplicates="exclude_first",
        strict=True,
    )


def run_pandera(schema: pdr.DataFrameSchema) -> Callable[[pd.DataFrame], Found]:
    def run(df: pd.DataFrame) -> Found:
        try:
            schema.validate(df, lazy=True, inplace=True)
        except pdr.errors.SchemaErrors as errors:
            cases = errors.failure_cases
        else:
            return {}
        found: Found = {}
        columns = cases["column"].fillna("<table>").to_numpy(dtype=object)
        checks = cases["check"].astype(str).to_numpy(dtype=object)
        index = cases["index"].to_numpy(dtype=object)
        frame = pd.DataFrame({"c": columns, "k": checks, "i": index})
        for (column, check), group in frame.groupby(["c", "k"], sort=False):
            if check == "multiple_fields_uniqueness":
                column = KEY
            rows = group["i"].dropna().to_numpy(dtype=np.int64)
            key = (str(column), str(check))
            if key in found:
                rows = np.concatenate([found[key], rows])
            found[key] = np.unique(rows)
        return found

    return run


# --- 3. hand-written numpy / pandas masks -----------------------------------------------------


def run_masks(df: pd.DataFrame) -> Found:
    """The contract's rules as boolean masks, one per check, then row positions."""
    found: Found = {}

    def add(column: str, check: str, mask: Any) -> None:
        rows = np.flatnonzero(np.asarray(mask, dtype=bool))
        if len(rows):
            found[(column, check)] = rows

    expected = {
        "user_id": "int64",
        "user_age": "int64",
        "session_count": "int64",
        "basket_value": "float64",
        "click_rate": "float64",
        "is_premium": "bool",
        "label": "bool",
        "local_time": "datetime64[ns]",
        "last_purchase_at": "datetime64[ns, UTC]",
    }
    strings = ["browser_type", "os", "country", "referrer", "comment"]
    names = [*expected, *strings, "signup_date"]
    for name in df.columns:
        if name not in names:
            found[(str(name), "unexpected_column")] = np.zeros(0, dtype=np.int64)
    for name in names:
        if name not in df.columns and name != "label":
            found[(name, "missing_column")] = np.zeros(0, dtype=np.int64)
    if len(df) < 1:
        found[("<table>", "row_count")] = np.zeros(0, dtype=np.int64)
    everything = np.arange(len(df))
    for name, dtype in expected.items():
        if name in df.columns and str(df[name].dtype) != dtype:
            found[(name, "wrong_type")] = everything
    for name in strings:
        if not isinstance(df[name].dtype, pd.StringDtype):
            found[(name, "wrong_type")] = everything
    dates = df["signup_date"]
    if pd.api.types.infer_dtype(dates, skipna=True) not in ("date", "empty"):
        add("signup_date", "wrong_type", ~dates.map(lambda v: type(v) is dt.date or v is None))

    nulls = {name: df[name].isna().to_numpy() for name in df.columns}
    for name in df.columns:
        if name not in ("click_rate", "referrer", "comment"):
            add(name, "null_not_allowed", nulls[name])

    user_id = df["user_id"].to_numpy()
    add("user_id", "out_of_range", user_id < 1)
    add("user_id", "not_unique", df["user_id"].duplicated(keep="first").to_numpy())
    key_dup = df.duplicated(["user_id", "last_purchase_at"], keep="first").to_numpy()
    add(KEY, "duplicate_key", key_dup & ~nulls["last_purchase_at"])
    age = df["user_age"].to_numpy()
    add("user_age", "out_of_range", (age < 13) | (age > 120))
    add("session_count", "out_of_range", df["session_count"].to_numpy() < 0)
    for name, lo, hi in (("basket_value", 0, 100000), ("click_rate", 0, 1)):
        x = df[name].to_numpy()
        infinite = np.isinf(x)
        add(name, "inf_not_allowed", infinite)
        with np.errstate(invalid="ignore"):
            add(name, "out_of_range", ((x < lo) | (x > hi)) & ~infinite)

    # pandas' str methods answer False (or NaN) on a missing value; nulls pass value checks.
    browser = df["browser_type"]
    add("browser_type", "not_in_vocabulary", ~browser.isin(BROWSERS) & ~nulls["browser_type"])
    for name, longest in (("country", 2), ("referrer", 253), ("comment", 500)):
        s, valid = df[name], ~nulls[name]
        add(name, "control_character", s.str.contains(CONTROL, regex=True) & valid)
        add(name, "too_long", (s.str.len() > longest) & valid)
    for name, pattern in (("country", "[A-Z]{2}"), ("referrer", "[a-z0-9.-]+")):
        add(name, "pattern_mismatch", ~df[name].str.fullmatch(pattern) & ~nulls[name])
    add("referrer", "outside_charset", ~df["referrer"].str.isascii() & ~nulls["referrer"])
    add("comment", "outside_charset", df["comment"].str.contains(ASTRAL, regex=True))

    local = df["local_time"]
    in_la = local.dt.tz_localize(LA, ambiguous="NaT", nonexistent="NaT")
    add("local_time", "naive_datetime", in_la.isna().to_numpy() & ~nulls["local_time"])
    return found


# --- measuring --------------------------------------------------------------------------------


def _trim() -> None:
    """Give freed memory back to the system so the RSS baseline is honest."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # glibc only
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak RSS (VmHWM) to the current RSS
        return True
    except OSError:
        return False


def peak_extra(fn: Callable[[], object]) -> int:
    """Extra peak RSS during `fn()`, in bytes: sampled every 2 ms, and the kernel's exact HWM."""
    process = psutil.Process()
    _trim()
    before = process.memory_info().rss
    exact = _reset_hwm()
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            done.wait(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        fn()
    finally:
        done.set()
        sampler.join()
    if exact:
        peak = max(peak, common.proc_status("VmHWM"))
    return max(0, peak - before)


def failing_by_column(found: Found) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for (column, _), rows in found.items():
        out.setdefault(column, set()).update(rows.tolist())
    return out


def compare(found: dict[str, Found], truth: np.ndarray | None) -> list[str]:
    """Warnings where the implementations disagree on the failing rows (per column)."""
    warnings = []
    per = {name: failing_by_column(f) for name, f in found.items()}
    names = list(per)
    reference = names[0]
    for other in names[1:]:
        for column in sorted(set(per[reference]) | set(per[other])):
            a, b = per[reference].get(column, set()), per[other].get(column, set())
            if a != b:
                only_a, only_b = sorted(a - b)[:5], sorted(b - a)[:5]
                warnings.append(
                    f"WARNING: {reference} and {other} disagree on column {column}: "
                    f"{len(a - b)} rows only in {reference} (e.g. {only_a}), "
                    f"{len(b - a)} only in {other} (e.g. {only_b})"
                )
    if truth is not None:
        for name, columns in per.items():
            rows = set().union(*columns.values()) if columns else set()
            if rows != set(truth.tolist()):
                warnings.append(
                    f"WARNING: {name} flags {len(rows)} rows, {len(truth)} were broken "
                    f"({len(rows - set(truth.tolist()))} extra, "
                    f"{len(set(truth.tolist()) - rows)} missed)"
                )
    return warnings


def main() -> int:
    args = common.argument_parser(__doc__, rows=1_000_000, repeat=5, seed=0).parse_args()

    rng = np.random.default_rng(args.seed)
    print(f"generating {args.rows:,} rows ...", flush=True)
    clean = clean_frame(args.rows, rng)
    dirty, broken = dirty_frame(clean, rng)
    contract = skewless.load_contract(common.CONTRACT)
    impls: dict[str, Callable[[pd.DataFrame], Found]] = {
        "skewless": run_skewless(contract),
        "pandera": run_pandera(pandera_schema()),
        "masks": run_masks,
    }
    frame_bytes = {
        "clean": int(clean.memory_usage(deep=True).sum()),
        "dirty": int(dirty.memory_usage(deep=True).sum()),
    }
    results: dict[str, Any] = {
        "rows": args.rows,
        "repeat": args.repeat,
        "seed": args.seed,
        "broken_rows": len(broken),
        "frame_bytes": frame_bytes,
        "machine": common.machine_facts(
            memory_gib=round(psutil.virtual_memory().total / 2**30, 1),
            numpy=np.__version__,
            pandas=pd.__version__,
            pyarrow=pa.__version__,
            pandera=version("pandera"),
        ),
        "memory_method": "RSS sampled every 2 ms (psutil)"
        + (" and the kernel's peak RSS, VmHWM" if _reset_hwm() else ""),
        "runs": {},
        "warnings": [],
    }
    frames = {"clean": (clean, None), "dirty": (dirty, broken)}
    found: dict[str, dict[str, Found]] = {label: {} for label in frames}
    times = {label: {name: [] for name in impls} for label in frames}
    for label, (df, _) in frames.items():
        for name, fn in impls.items():  # warm-up, and the findings we compare
            found[label][name] = fn(df)
    for _ in range(args.repeat):
        # Interleaved (data, implementation), so drift on a shared machine hits all alike.
        for label, (df, _) in frames.items():
            for name, fn in impls.items():
                gc.collect()
                start = time.perf_counter()
                fn(df)
                times[label][name].append(time.perf_counter() - start)
        print(".", end="", flush=True)
    print(flush=True)
    for label, (df, truth) in frames.items():
        memory = {name: peak_extra(lambda fn=fn, df=df: fn(df)) for name, fn in impls.items()}
        warnings = compare(found[label], truth)
        if truth is None:
            warnings += [
                f"WARNING: {name} reports {len(f)} findings on clean data: {sorted(f)[:5]}"
                for name, f in found[label].items()
                if f
            ]
        results["runs"][label] = {
            name: {
                "median_s": statistics.median(times[label][name]),
                "times_s": times[label][name],
                "peak_extra_bytes": memory[name],
                "failing_rows": len(
                    np.unique(np.concatenate([np.zeros(0, np.int64), *f.values()]))
                ),
                "findings": int(sum(len(r) for r in f.values())),
            }
            for name, f in found[label].items()
        }
        results["warnings"] += warnings
        for line in warnings:
            print(line, flush=True)
    results["machine"]["load_average_after"] = common.load_average()

    print_table(results)
    common.write_results("bench_batch", results)
    return 0


def print_table(results: dict[str, Any]) -> None:
    mib = 2**20
    machine = common.describe_machine(results["machine"], "pandas", "pyarrow", "pandera")
    print(f"\n{results['rows']:,} rows x 15 columns, median of {results['repeat']} runs; {machine}")
    print(
        f"{'data':<6} {'implementation':<15} {'time (s)':>9} {'peak extra (MiB)':>17} "
        f"{'failing rows':>13}"
    )
    for label, run in results["runs"].items():
        for name, r in run.items():
            print(
                f"{label:<6} {name:<15} {r['median_s']:>9.3f} "
                f"{r['peak_extra_bytes'] / mib:>17.1f} {r['failing_rows']:>13,}"
            )
    print()
    for label, run in results["runs"].items():
        frame = results["frame_bytes"][label]
        s = run["skewless"]
        print(
            f"{label}: skewless/pandera {s['median_s'] / run['pandera']['median_s']:.2f}x, "
            f"skewless/masks {s['median_s'] / run['masks']['median_s']:.2f}x; "
            f"DataFrame {frame / mib:.1f} MiB (memory_usage deep), skewless peak extra "
            f"{s['peak_extra_bytes'] / frame:.2f}x of it"
        )
    common.print_closing_notes(results, busy_note=False)


if __name__ == "__main__":
    sys.exit(main())
