"""Streaming validation of a large Parquet file, against the cost of just reading it.

    .venv/bin/python bench/bench_stream.py [--rows 10000000] [--chunk-rows 1000000] [--repeat 3]

The file holds the 15 columns of `contracts/user_features.yaml`, made by `bench_batch.py`'s
generator one block of 1,000,000 rows at a time (each block one row group), with ~1% of the rows
broken in ~30 ways, plus a few `user_id`s repeated from the previous block so that `unique` is
judged across chunks. It is generated once and cached in bench/results/ (git-ignored).

Each measurement runs in a fresh subprocess, so its peak RSS (VmHWM, read from
/proc/self/status when it ends) is its own; the runs are interleaved and the figure is the
median of `--repeat` runs:

- `load`: read the file with pyarrow in batches of `chunk_rows`, one thread (skewless reads with
  one), converting nothing: `pq.ParquetFile(path).iter_batches(chunk_rows, use_threads=False)`.
  This is the load cost the ratios are taken against;
- `load-threaded` (for information): the same with pyarrow's default, all cores;
- `read-skewless` (for information): skewless' Parquet source alone, `open_source(path)
  .chunks(chunk_rows)`: each row group that fits in a chunk read column by column;
- `validate`: `skewless.io.validate_source(contract, open_source(path), chunk_rows=...)`, the
  report only, as `skewless validate CONTRACT FILE --chunk-rows N` computes it;
- `validate-purge` (for information): `validate` with `MIMALLOC_PURGE_DELAY=0`, so that
  pyarrow's allocator returns freed memory at once: the part of the peak RSS that is memory
  kept for reuse rather than memory in use;
- `gate`: `skewless.gate.run_gate(..., valid_out=, quarantine=)`, which also writes the valid
  rows (normalised) and the quarantined rows with their reasons.

Peak RSS is compared with one chunk's DataFrame size: `memory_usage(deep=True).sum()` of the
first `chunk_rows` rows read with `to_pandas()`. Figures also go to bench/results/ as JSON.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import common

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

BLOCK = 1_000_000  # rows generated (and written as one row group) at a time
CROSS = 100  # user_ids per block repeated from the previous block
MODES = ("load", "load-threaded", "read-skewless", "validate", "validate-purge", "gate")
# Environment of a mode's subprocess: pyarrow's allocator (mimalloc) gives freed pages back at
# once instead of keeping them for reuse; shows how much of a peak is memory kept, not used.
MODE_ENV = {"validate-purge": {"MIMALLOC_PURGE_DELAY": "0"}}


# --- the file ---------------------------------------------------------------------------------


def dirty_block(
    lo: int, n: int, rng: np.random.Generator, previous: tuple[np.ndarray, np.ndarray] | None
) -> tuple[pd.DataFrame, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Rows lo..lo+n of the dataset, 1% broken: (the frame, its broken rows, the untouched rows
    and their user_ids, for the next block). `CROSS` untouched rows repeat a user_id of the
    previous block: not_unique across chunks, files and partitions."""
    import numpy as np

    from bench_batch import clean_frame, dirty_frame

    clean = clean_frame(n, rng)
    clean["user_id"] += lo
    dirty, broken = dirty_frame(clean, rng)
    untouched = np.setdiff1d(np.arange(n), broken)
    if previous is not None and len(untouched) > CROSS:
        # Only rows whose user_id no other row copied (else that copy would become the first
        # occurrence, a valid row), and only untouched rows of the previous block as sources.
        ids = dirty["user_id"].to_numpy()
        values, counts = np.unique(ids, return_counts=True)
        single = untouched[np.isin(ids[untouched], values[counts == 1])]
        rows_here = rng.choice(single, size=CROSS, replace=False)
        source_rows, source_ids = previous
        picked = rng.choice(len(source_rows), size=CROSS, replace=False)
        dirty.loc[rows_here, "user_id"] = source_ids[picked]
        broken = np.union1d(broken, rows_here)
        untouched = np.setdiff1d(untouched, rows_here)
    return dirty, broken, (untouched, dirty["user_id"].to_numpy()[untouched])


def generate(path: Path, rows: int, seed: int) -> dict[str, Any]:
    """Write the benchmark file block by block; returns what was broken (for the check)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    sys.path.insert(0, str(common.BENCH))

    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".tmp")
    broken_all = []
    previous: tuple[np.ndarray, np.ndarray] | None = None  # (untouched rows, their user_ids)
    writer = None
    try:
        for lo in range(0, rows, BLOCK):
            n = min(BLOCK, rows - lo)
            dirty, broken, previous = dirty_block(lo, n, rng, previous)
            broken_all.append(broken + lo)
            table = pa.Table.from_pandas(dirty, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table, row_group_size=BLOCK)
            print(f"  {lo + n:,} rows", flush=True)
    finally:
        if writer is not None:
            writer.close()
    tmp.replace(path)
    broken_rows = np.concatenate(broken_all)
    np.save(path.with_suffix(".broken.npy"), broken_rows)
    return {"rows": rows, "seed": seed, "broken_rows": len(broken_rows)}


def data_file(rows: int, seed: int) -> tuple[Path, dict[str, Any]]:
    common.RESULTS.mkdir(exist_ok=True)
    path = common.RESULTS / f"stream-{rows}-{seed}-v2.parquet"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta: dict[str, Any] = json.loads(meta_path.read_text())
        return path, meta
    print(f"generating {rows:,} rows into {path.relative_to(common.ROOT)} (once) ...", flush=True)
    meta = generate(path, rows, seed)
    meta_path.write_text(json.dumps(meta) + "\n")
    return path, meta


# --- one measurement, in a fresh process ------------------------------------------------------


def child(mode: str, path: str, chunk_rows: int, out_dir: str) -> dict[str, Any]:
    """Runs in the subprocess: one measurement; prints a JSON line."""
    started = time.perf_counter()
    result: dict[str, Any] = {"mode": mode}
    if mode in ("load", "load-threaded"):
        import pyarrow.parquet as pq

        imported = time.perf_counter()
        rss_imported = common.proc_status("VmRSS")
        rows = 0
        reader = pq.ParquetFile(path)
        for batch in reader.iter_batches(chunk_rows, use_threads=mode == "load-threaded"):
            rows += batch.num_rows
        result["rows"] = rows
    elif mode == "read-skewless":
        from skewless.batch import pandera_pandas
        from skewless.io import open_source

        pandera_pandas()
        imported = time.perf_counter()
        rss_imported = common.proc_status("VmRSS")
        rows = 0
        for chunk in open_source(path).chunks(chunk_rows):
            rows += chunk.rows
            del chunk
        result["rows"] = rows
    elif mode == "chunk-size":
        import pyarrow as pa
        import pyarrow.parquet as pq

        imported = time.perf_counter()
        rss_imported = common.proc_status("VmRSS")
        first = next(pq.ParquetFile(path).iter_batches(batch_size=chunk_rows))
        frame = pa.Table.from_batches([first]).to_pandas()
        result["rows"] = len(frame)
        result["frame_bytes"] = int(frame.memory_usage(deep=True).sum())
        result["arrow_bytes"] = int(first.nbytes)
    else:
        import skewless
        from skewless.batch import pandera_pandas
        from skewless.gate import run_gate
        from skewless.io import open_source, validate_source

        pandera_pandas()  # import cost outside the timed work, as for pyarrow above
        imported = time.perf_counter()
        rss_imported = common.proc_status("VmRSS")
        contract = skewless.load_contract(common.CONTRACT)
        if mode in ("validate", "validate-purge"):
            report = validate_source(contract, open_source(path), chunk_rows=chunk_rows)
            done = time.perf_counter()
        else:
            gate = run_gate(
                contract,
                open_source(path),
                chunk_rows=chunk_rows,
                valid_out=Path(out_dir) / "valid.parquet",
                quarantine=Path(out_dir) / "quarantine.parquet",
            )
            done = time.perf_counter()
            report = gate.report
            result["valid_rows"] = gate.valid_rows
            result["quarantined_rows"] = gate.quarantined_rows
            result["output_bytes"] = sum(
                p.stat().st_size for p in (gate.valid_out, gate.quarantine) if p is not None
            )
        result["rows"] = report.rows
        result["rows_failed"] = report.rows_failed
        result["violations"] = report.total
        result["counts"] = report.counts
        broken = Path(path).with_suffix(".broken.npy")
        if broken.exists():  # the rows the generator broke, and no other, must fail
            import numpy as np

            failed, expected = report.failed_rows(), np.load(broken)
            result["rows_unexpected"] = len(np.setdiff1d(failed, expected))
            result["rows_missed"] = len(np.setdiff1d(expected, failed))
    if mode not in ("validate", "validate-purge", "gate"):
        done = time.perf_counter()
    result["import_s"] = imported - started
    result["work_s"] = done - imported
    result["rss_after_imports"] = rss_imported
    result["peak_rss"] = common.proc_status("VmHWM")
    return result


def measure(mode: str, path: Path, chunk_rows: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench_stream-") as out_dir:
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, __file__, "--child", mode, str(path), str(chunk_rows), out_dir],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **MODE_ENV.get(mode, {})},
        )
        wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = wall
    return result


# --- the run ----------------------------------------------------------------------------------


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, data, chunk_rows, out_dir = sys.argv[2:6]
        print(json.dumps(child(mode, data, int(chunk_rows), out_dir)))
        return 0
    parser = common.argument_parser(
        __doc__, rows=10_000_000, chunk_rows=1_000_000, repeat=3, seed=0
    )
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated subset")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(MODES)
    if unknown or not modes:
        parser.error(f"--modes: choose from {', '.join(MODES)}")

    path, meta = data_file(args.rows, args.seed)
    chunk = measure("chunk-size", path, args.chunk_rows)
    import pandas as pd
    import pyarrow as pa

    results: dict[str, Any] = {
        "rows": args.rows,
        "chunk_rows": args.chunk_rows,
        "repeat": args.repeat,
        "seed": args.seed,
        "file_bytes": path.stat().st_size,
        "broken_rows": meta["broken_rows"],
        "chunk_frame_bytes": chunk["frame_bytes"],
        "chunk_arrow_bytes": chunk["arrow_bytes"],
        "machine": common.machine_facts(pandas=pd.__version__, pyarrow=pa.__version__),
        "runs": {mode: [] for mode in modes},
        "warnings": [],
    }
    for i in range(args.repeat):
        for mode in modes:  # interleaved, so drift on a shared machine hits every mode alike
            run = measure(mode, path, args.chunk_rows)
            results["runs"][mode].append(run)
            print(
                f"  [{i + 1}/{args.repeat}] {mode:<14} {run['work_s']:7.2f} s  "
                f"peak RSS {run['peak_rss'] / 2**20:7.1f} MiB",
                flush=True,
            )
    results["machine"]["load_average_after"] = common.load_average()
    summarize(results)
    print_table(results)
    common.write_results("bench_stream", results)
    return 0


def summarize(results: dict[str, Any]) -> None:
    summary: dict[str, Any] = {}
    for mode, runs in results["runs"].items():
        summary[mode] = {
            "median_work_s": statistics.median(r["work_s"] for r in runs),
            "median_process_s": statistics.median(r["process_s"] for r in runs),
            "median_import_s": statistics.median(r["import_s"] for r in runs),
            "max_peak_rss": max(r["peak_rss"] for r in runs),
            "median_peak_rss": statistics.median(r["peak_rss"] for r in runs),
            "rss_after_imports": statistics.median(r["rss_after_imports"] for r in runs),
        }
        for r in runs:
            if r["rows"] != results["rows"]:
                results["warnings"].append(f"WARNING: {mode} saw {r['rows']:,} rows")
            if "rows_failed" in r and r["rows_failed"] != results["broken_rows"]:
                results["warnings"].append(
                    f"WARNING: {mode} failed {r['rows_failed']:,} rows; "
                    f"{results['broken_rows']:,} were broken"
                )
            if r.get("rows_unexpected") or r.get("rows_missed"):
                results["warnings"].append(
                    f"WARNING: {mode} failed {r['rows_unexpected']:,} rows that were not broken "
                    f"and passed {r['rows_missed']:,} that were"
                )
            if "valid_rows" in r and r["valid_rows"] + r["quarantined_rows"] != r["rows"]:
                results["warnings"].append(f"WARNING: {mode} outputs do not add up to the input")
    frame = results["chunk_frame_bytes"]
    if "load" in summary:
        load = summary["load"]["median_work_s"]
        fastest = min(
            summary[m]["median_work_s"] for m in ("load", "load-threaded") if m in summary
        )
        for s in summary.values():
            s["ratio_to_load"] = s["median_work_s"] / load
            s["added_over_load"] = (s["median_work_s"] - load) / load
            s["ratio_to_fastest_load"] = s["median_work_s"] / fastest
    for s in summary.values():
        s["peak_rss_over_chunk_frame"] = s["max_peak_rss"] / frame
    results["summary"] = summary


def print_table(results: dict[str, Any]) -> None:
    mib = 2**20
    print(
        f"\n{results['rows']:,} rows x 15 columns, chunks of {results['chunk_rows']:,} rows, "
        f"median of {results['repeat']} runs; file {results['file_bytes'] / mib:.0f} MiB; "
        + common.describe_machine(results["machine"], "pandas", "pyarrow")
    )
    frame = results["chunk_frame_bytes"]
    print(
        f"one chunk as a DataFrame: {frame / mib:.1f} MiB (memory_usage deep; "
        f"{results['chunk_arrow_bytes'] / mib:.1f} MiB as Arrow); target peak RSS < 3x = "
        f"{3 * frame / mib:.0f} MiB"
    )
    print(
        f"\n{'mode':<14} {'time (s)':>9} {'/ load':>7} {'added/load':>11} {'/ fastest':>10} "
        f"{'process (s)':>12} {'peak RSS (MiB)':>15} {'/ chunk':>8} {'after imports':>14}"
    )
    for mode, s in results["summary"].items():
        print(
            f"{mode:<14} {s['median_work_s']:>9.2f} {s.get('ratio_to_load', 0):>6.2f}x "
            f"{s.get('added_over_load', 0):>10.2f}x {s.get('ratio_to_fastest_load', 0):>9.2f}x "
            f"{s['median_process_s']:>12.2f} "
            f"{s['max_peak_rss'] / mib:>15.1f} {s['peak_rss_over_chunk_frame']:>7.2f}x "
            f"{s['rss_after_imports'] / mib:>13.1f}"
        )
    for line in results["warnings"]:
        print(line)


if __name__ == "__main__":
    sys.exit(main())
