"""One partitioned Parquet dataset on four engines: local, Dask (1 and 2 workers), Spark local[2].

    .venv/bin/python bench/bench_scale.py [--rows 20000000] [--files 20] [--seed 0]
                                          [--engines local,dask1,dask2,spark2] [--modes gate,report]

The dataset holds the 15 columns of `contracts/user_features.yaml`, made by `bench_batch.py`'s
generator one file at a time (`--rows / --files` rows a file, one row group each, two files a
day under hive directories `day=2024-01-DD/`), with ~1% of the rows broken in ~30 ways, plus a
few `user_id`s repeated from the previous file, so that `unique` is judged across partitions.
It is generated once and cached in bench/results/ (git-ignored). The contract rejects extra
columns, so the dataset is read through the glob `DIR/day=*/*.parquet`: the same files in the
same order (row ids), without the hive key `day` (read as a directory, it would be an extra
column and fail every row).

Every run is `skewless.engines.run_engine`, as `skewless validate --engine ...` runs it, in a
fresh subprocess (`--one ENGINE MODE`), so that nothing is warm and its memory is its own:

- `local`: the local engine (chunks of 1,000,000 rows, one process);
- `dask1`, `dask2`: a Dask LocalCluster of 1 or 2 worker processes (one thread each), started
  and stopped by the run;
- `spark2`: Spark `local[2]`, the session started and stopped by the run, with Spark's
  defaults (1 GiB of driver memory; set `PYSPARK_SUBMIT_ARGS="--driver-memory 4g
  pyspark-shell"` to give it more).

The modes: `gate` writes the valid rows and the quarantine (the ETL gate's job), `report`
writes nothing. The time is `run_engine`'s wall time, the start and stop of the cluster or
session included (`start` runs measure that alone, with no data); imports are done before the
clock starts. Peak memory is the largest sum of the RSS of the subprocess
and all its descendants (Dask's nanny and worker processes, Spark's JVM and its Python
workers), sampled every 50 ms with psutil; pages shared between processes (libraries) count
once per process. The engines must agree on the rows, the failing rows (the same row ids),
the counts by code and the outputs' sizes: "parity: ok", or the differences (and any run that
failed, its stderr kept in bench/results/) and exit 1.
Figures also go to bench/results/ as JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common

# name: (engine, scheduler, workers)
ENGINES: dict[str, tuple[str, str | None, int | None]] = {
    "local": ("local", None, None),
    "dask1": ("dask", None, 1),
    "dask2": ("dask", None, 2),
    "spark2": ("spark", "local[2]", None),
}
MODES = ("gate", "report")
FILES_A_DAY = 2
SAMPLE_S = 0.05


# --- the dataset ------------------------------------------------------------------------------


def generate(root: Path, rows: int, files: int, seed: int) -> dict[str, Any]:
    """Write the dataset file by file into `root`; returns what was broken (for the check)."""
    import warnings

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pandera imports pyspark (pandas >= 3)
        from bench_stream import dirty_block

    rng = np.random.default_rng(seed)
    tmp = root.with_name(root.name + ".tmp")
    broken_all = []
    previous: tuple[np.ndarray, np.ndarray] | None = None  # (untouched rows, their user_ids)
    per_file = -(-rows // files)
    started = time.perf_counter()
    for i, lo in enumerate(range(0, rows, per_file)):
        n = min(per_file, rows - lo)
        dirty, broken, previous = dirty_block(lo, n, rng, previous)
        broken_all.append(broken + lo)
        day = tmp / f"day=2024-01-{1 + i // FILES_A_DAY:02d}"
        day.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(dirty, preserve_index=False)
        # Microsecond timestamps: Spark reads no others (TIMESTAMP(NANOS) is "illegal" to it).
        path = day / f"part-{i:03d}.parquet"
        pq.write_table(table, path, row_group_size=per_file, coerce_timestamps="us")
        print(
            f"  {lo + n:,} rows, {i + 1} files ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    tmp.rename(root)
    broken_rows = np.concatenate(broken_all)
    np.save(root.with_name(root.name + ".broken.npy"), broken_rows)
    return {"rows": rows, "files": files, "seed": seed, "broken_rows": len(broken_rows)}


def dataset(rows: int, files: int, seed: int) -> tuple[Path, dict[str, Any]]:
    """The cached dataset's directory and its facts; generated when absent."""
    import shutil

    common.RESULTS.mkdir(exist_ok=True)
    root = common.RESULTS / f"scale-{rows}-{files}-{seed}-v2"
    meta_path = root.with_name(root.name + ".json")
    if root.is_dir() and meta_path.exists():
        meta: dict[str, Any] = json.loads(meta_path.read_text())
        return root, meta
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(root.with_name(root.name + ".tmp"), ignore_errors=True)
    print(f"generating {rows:,} rows into {root.relative_to(common.ROOT)}/ (once) ...", flush=True)
    started = time.perf_counter()
    meta = generate(root, rows, files, seed)
    meta["generate_s"] = time.perf_counter() - started
    meta_path.write_text(json.dumps(meta) + "\n")
    return root, meta


# --- one run, in a fresh process --------------------------------------------------------------


def one(name: str, mode: str, data: str, out_dir: str) -> dict[str, Any]:
    """Runs in the subprocess: one engine, one mode; its figures and verdicts."""
    started = time.perf_counter()
    engine, scheduler, workers = ENGINES[name]
    import skewless
    from skewless.batch import pandera_pandas
    from skewless.engines import run_engine

    pandera_pandas()
    if engine == "dask":
        from skewless import engine_dask

        engine_dask._dask()
    elif engine == "spark":
        from skewless import spark_session

        spark_session.pyspark_sql()
    imported = time.perf_counter()
    result: dict[str, Any] = {"engine": name, "mode": mode, "import_s": imported - started}
    if mode == "start":
        if engine == "dask":
            with engine_dask.client(scheduler, workers):
                pass
        else:
            with spark_session.session(scheduler):
                pass
        result["wall_s"] = time.perf_counter() - imported
        result["driver_peak_rss"] = common.proc_status("VmHWM")
        return result

    contract = skewless.load_contract(common.CONTRACT)
    out = Path(out_dir)
    suffix = ".parquet" if engine == "local" else ""  # distributed outputs are directories
    outputs = (
        {"valid_out": out / f"valid{suffix}", "quarantine": out / f"quarantine{suffix}"}
        if mode == "gate"
        else {}
    )
    begin = time.perf_counter()
    gate = run_engine(
        contract,
        data,
        engine=engine,  # type: ignore[arg-type]
        scheduler=scheduler,
        workers=workers,
        **outputs,
    )
    result["wall_s"] = time.perf_counter() - begin
    result["driver_peak_rss"] = common.proc_status("VmHWM")

    import numpy as np

    report = gate.report
    failed = report.failed_rows()
    result.update(
        rows=report.rows,
        rows_failed=report.rows_failed,
        violations=report.total,
        counts=report.counts,
        failed_rows_sha=hashlib.sha256(failed.astype("int64").tobytes()).hexdigest()[:16],
        valid_rows=gate.valid_rows,
        quarantined_rows=gate.quarantined_rows,
    )
    root = Path(data).parent.parent  # DIR of DIR/day=*/*.parquet
    broken = root.with_name(root.name + ".broken.npy")
    if broken.exists():  # the rows the generator broke, and no other, must fail
        expected = np.load(broken)
        result["rows_unexpected"] = len(np.setdiff1d(failed, expected))
        result["rows_missed"] = len(np.setdiff1d(expected, failed))
    if mode == "gate":
        import pyarrow.dataset as ds

        valid = ds.dataset(str(outputs["valid_out"]), format="parquet")
        held = ds.dataset(str(outputs["quarantine"]), format="parquet")
        held_rows = np.sort(held.to_table(columns=["_row"]).column("_row").to_numpy())
        result.update(
            valid_file_rows=valid.count_rows(),
            held_file_rows=len(held_rows),
            held_rows_sha=hashlib.sha256(held_rows.astype("int64").tobytes()).hexdigest()[:16],
            output_bytes=sum(
                p.stat().st_size for p in out.rglob("*") if p.is_file() and p.suffix == ".parquet"
            ),
        )
    return result


def tree_rss(root: Any) -> tuple[int, dict[str, int]]:
    """The RSS of a process and its descendants, in bytes: the sum, and by kind of process."""
    import psutil

    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0, {}
    kinds: dict[str, int] = {}
    for p in procs:
        try:
            rss = p.memory_info().rss
            kind = "driver" if p.pid == root.pid else ("jvm" if p.name() == "java" else "workers")
        except psutil.Error:  # ended between the listing and the reading
            continue
        kinds[kind] = kinds.get(kind, 0) + rss
    return sum(kinds.values()), kinds


def measure(name: str, mode: str, data: str) -> dict[str, Any]:
    """`one(name, mode)` in a subprocess, the RSS of its process tree sampled meanwhile. A run
    that fails gives `error` (skewless' error or its last line, and the JVM's cause if any)
    instead of verdicts; its stderr is kept in bench/results/bench_scale-NAME-MODE.stderr.txt."""
    import psutil

    with tempfile.TemporaryDirectory(prefix="bench_scale-", dir=common.RESULTS) as out_dir:
        command = [sys.executable, __file__, "--one", name, mode, data, out_dir]
        with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
            start = time.perf_counter()
            proc = subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True)
            root = psutil.Process(proc.pid)
            peak, at_peak = 0, {}
            try:
                while proc.poll() is None:
                    total, kinds = tree_rss(root)
                    if total > peak:
                        peak, at_peak = total, kinds
                    time.sleep(SAMPLE_S)
            except BaseException:  # Ctrl-C: the JVM and Dask's workers follow their parent
                proc.terminate()
                raise
            process_s = time.perf_counter() - start
            stdout.seek(0)
            stderr.seek(0)
            out, err = stdout.read(), stderr.read()
    result: dict[str, Any] = {"engine": name, "mode": mode}
    if proc.returncode == 0:
        result.update(json.loads(out.strip().splitlines()[-1]))
    else:
        log = common.RESULTS / f"bench_scale-{name}-{mode}.stderr.txt"
        log.write_text(err)
        lines = [line.strip() for line in err.splitlines() if line.strip()]
        ours = [line for line in lines if line.startswith("skewless.errors.")]
        causes = [line for line in lines if line.startswith("Caused by:")]
        last = ours[-1] if ours else lines[-1] if lines else f"exit {proc.returncode}"
        result["error"] = last + (f" [JVM: {causes[0]}]" if causes else "")
        result["wall_s"] = process_s  # until it failed, imports included
        print(f"  {name} {mode} FAILED after {process_s:.0f} s, see {log.relative_to(common.ROOT)}")
    # The driver's exact high-water mark where known: samples may miss a short peak.
    result.update(
        process_s=process_s,
        peak_tree_rss=max(peak, result.get("driver_peak_rss", 0)),
        peak_by_kind=at_peak,
    )
    return result


# --- the run ----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    import psutil

    java = subprocess.run(
        ["java", "-version"],  # noqa: S607 - java from PATH, as Spark finds it
        capture_output=True,
        text=True,
        check=False,
    ).stderr.splitlines()
    return common.machine_facts(
        memory_gib=round(psutil.virtual_memory().total / 2**30, 1),
        **{lib: version(lib) for lib in ("pyarrow", "pandas", "dask", "distributed", "pyspark")},
        java=java[0] if java else "none",
        pyspark_submit_args=os.environ.get("PYSPARK_SUBMIT_ARGS"),  # e.g. --driver-memory 4g
        commit=common.git("rev-parse", "--short", "HEAD"),
        src_changes=common.git("status", "--porcelain", "src"),  # uncommitted, as measured
    )


def parity(results: dict[str, Any]) -> list[str]:
    """Where the engines disagree with the local engine, as lines; [] when they all agree."""
    keys = ("rows", "rows_failed", "violations", "counts", "failed_rows_sha")
    gate_keys = ("valid_rows", "quarantined_rows", "valid_file_rows", "held_file_rows")
    problems = [
        f"{name} {mode} did not finish: {run['error']}"
        for mode, runs in results["runs"].items()
        for name, run in runs.items()
        if "error" in run
    ]
    for mode, runs in results["runs"].items():
        if "local" not in runs:
            continue
        reference = runs["local"]
        for name, run in runs.items():
            if "error" in run or "error" in reference:
                continue
            for key in keys + (gate_keys if mode == "gate" else ()):
                if run.get(key) != reference.get(key):
                    problems.append(
                        f"{name} {mode}: {key} = {run.get(key)}, local: {reference.get(key)}"
                    )
            if mode == "gate" and run["held_rows_sha"] != run["failed_rows_sha"]:
                problems.append(f"{name} gate: the quarantine's _row are not the failing rows")
            if run["rows"] != results["rows"]:
                problems.append(f"{name} {mode}: read {run['rows']:,} rows of {results['rows']:,}")
            if run.get("rows_unexpected") or run.get("rows_missed"):
                problems.append(
                    f"{name} {mode}: failed {run['rows_unexpected']:,} rows that were not "
                    f"broken and passed {run['rows_missed']:,} that were"
                )
    return problems


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        name, mode, data, out_dir = sys.argv[2:6]
        print(json.dumps(one(name, mode, data, out_dir)))
        return 0
    parser = common.argument_parser(__doc__, rows=20_000_000, files=20, seed=0)
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated subset")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated subset")
    args = parser.parse_args()
    names = [e for e in args.engines.split(",") if e]
    modes = [m for m in args.modes.split(",") if m]
    if not names or set(names) - set(ENGINES):
        parser.error(f"--engines: choose from {', '.join(ENGINES)}")
    if not modes or set(modes) - set(MODES):
        parser.error(f"--modes: choose from {', '.join(MODES)}")

    facts = machine()
    print(
        f"machine: {facts['cpus']} CPUs ({facts['processor']}), {facts['memory_gib']} GiB RAM; "
        f"Python {facts['python']}, "
        + ", ".join(f"{lib} {facts[lib]}" for lib in ("pyarrow", "dask", "distributed", "pyspark"))
        + f"; {facts['java']}"
        + (f"; PYSPARK_SUBMIT_ARGS={submit}" if (submit := facts["pyspark_submit_args"]) else ""),
        flush=True,
    )
    root, meta = dataset(args.rows, args.files, args.seed)
    data = f"{root}/day=*/*.parquet"
    files = sorted(root.glob("day=*/*.parquet"))
    results: dict[str, Any] = {
        "rows": args.rows,
        "files": len(files),
        "days": len({f.parent.name for f in files}),
        "seed": args.seed,
        "data_bytes": sum(f.stat().st_size for f in files),
        "broken_rows": meta["broken_rows"],
        "generate_s": meta.get("generate_s"),
        "source": f"glob {Path(data).relative_to(common.ROOT)}",
        "machine": facts,
        "memory_method": f"sum of the RSS of the process tree, every {SAMPLE_S * 1000:.0f} ms",
        "runs": {mode: {} for mode in modes},
        "start": {},
        "dask_scaling": {},
        "warnings": [],
    }
    print(
        f"data: {args.rows:,} rows x 15 columns in {results['files']} files "
        f"({results['days']} hive partitions day=..., one row group of "
        f"{-(-args.rows // args.files):,} rows a file), {results['data_bytes'] / 2**20:.0f} MiB, "
        f"{meta['broken_rows']:,} rows broken incl. user_ids repeated across files; "
        f"generated in {meta['generate_s']:.0f} s, cached in {root.relative_to(common.ROOT)}/",
        flush=True,
    )
    print(
        f"read as {results['source']}: the hive key `day` is not read (the contract rejects "
        "extra columns)",
        flush=True,
    )
    for mode in modes:
        for name in names:
            run = measure(name, mode, data)
            results["runs"][mode][name] = run
            if "error" in run:
                continue
            print(
                f"  {name:<7} {mode:<7} {run['wall_s']:7.1f} s  peak {_mib(run['peak_tree_rss'])} "
                f"MiB ({', '.join(f'{k} {_mib(v)}' for k, v in run['peak_by_kind'].items())})",
                flush=True,
            )
    for name in names:
        if ENGINES[name][0] != "local":
            run = measure(name, "start", data)
            results["start"][name] = run
            if "error" in run:
                continue
            peak = _mib(run["peak_tree_rss"])
            print(f"  {name:<7} start   {run['wall_s']:7.1f} s  peak {peak} MiB", flush=True)
    results["machine"]["load_average_after"] = common.load_average()
    problems = parity(results)
    results["parity"] = problems or "ok"
    summarize(results)
    print_table(results)
    if problems:
        print("\nparity: FAILED")
        for line in problems:
            print(f"  {line}")
    else:
        print("\nparity: ok (rows, failing row ids, counts by code, outputs' rows: all runs)")
    common.print_closing_notes(results)
    common.write_results("bench_scale", results)
    return 1 if problems else 0


def _mib(n: float) -> str:
    return f"{n / 2**20:,.0f}"


def summarize(results: dict[str, Any]) -> None:
    """Ratios to the local engine, and Dask's 1 worker / 2 workers (with and without the
    cluster's start and stop, measured alone)."""
    start = {n: r for n, r in results["start"].items() if "error" not in r}
    for mode, runs in results["runs"].items():
        done = {n: r for n, r in runs.items() if "error" not in r}
        local = done.get("local")
        for run in done.values():
            if local is not None:
                run["time_vs_local"] = run["wall_s"] / local["wall_s"]
                run["memory_vs_local"] = run["peak_tree_rss"] / local["peak_tree_rss"]
            run["rows_per_s"] = run["rows"] / run["wall_s"]
        if "dask1" in done and "dask2" in done:
            scaling = {"with_start": done["dask1"]["wall_s"] / done["dask2"]["wall_s"]}
            if "dask1" in start and "dask2" in start:
                one, two = (done[n]["wall_s"] - start[n]["wall_s"] for n in ("dask1", "dask2"))
                scaling["without_start"] = one / two
            results["dask_scaling"][mode] = scaling


def print_table(results: dict[str, Any]) -> None:
    print(
        f"\n{results['rows']:,} rows, {results['files']} files; one run each, "
        "time = run_engine wall time incl. cluster/session start and stop; "
        "peak = process tree RSS"
    )
    print(
        f"{'engine':<8} {'mode':<7} {'wall s':>8} {'/ local':>8} {'peak MiB':>9} {'/ local':>8} "
        f"{'driver MiB':>11} {'rows/s':>11} {'rows failed':>12}"
    )
    for mode, runs in results["runs"].items():
        for name, r in runs.items():
            if "error" in r:
                print(
                    f"{name:<8} {mode:<7} FAILED after {r['wall_s']:.0f} s, peak "
                    f"{_mib(r['peak_tree_rss'])} MiB: {r['error']}"
                )
                continue
            print(
                f"{name:<8} {mode:<7} {r['wall_s']:>8.1f} {r.get('time_vs_local', 0):>7.2f}x "
                f"{_mib(r['peak_tree_rss']):>9} {r.get('memory_vs_local', 0):>7.2f}x "
                f"{_mib(r['driver_peak_rss']):>11} {r['rows_per_s']:>11,.0f} "
                f"{r['rows_failed']:>12,}"
            )
    for name, r in results["start"].items():
        if "error" in r:
            print(f"{name:<8} {'start':<7} FAILED: {r['error']}")
            continue
        print(
            f"{name:<8} {'start':<7} {r['wall_s']:>8.1f} {'':>8} {_mib(r['peak_tree_rss']):>9}"
            f" {'':>8} {_mib(r['driver_peak_rss']):>11}   (start and stop alone, no data)"
        )
    print()
    for mode, scaling in results["dask_scaling"].items():
        line = f"Dask scaling ({mode}): 1 worker / 2 workers = {scaling['with_start']:.2f}x"
        if "without_start" in scaling:
            line += f", {scaling['without_start']:.2f}x without the cluster's start and stop"
        print(line)
    if "gate" in results["runs"] and "report" in results["runs"]:
        for name in results["runs"]["gate"]:
            gate, bare = results["runs"]["gate"][name], results["runs"]["report"].get(name, {})
            if bare and "error" not in gate and "error" not in bare:
                print(
                    f"{name}: writing the outputs costs {gate['wall_s'] / bare['wall_s']:.2f}x "
                    f"the time and {gate['peak_tree_rss'] / bare['peak_tree_rss']:.2f}x the "
                    f"peak memory of the report alone"
                )


if __name__ == "__main__":
    sys.exit(main())
