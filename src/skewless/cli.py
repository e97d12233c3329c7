"""The `skewless` command line. Each command parses, calls one library function, renders, exits.

Exit codes, everywhere: 0 the data (or contract) passes; 1 it does not (violations, or a contract
that `lint` rejects); 2 could not judge (bad usage, a contract that does not load, unreadable
input). Results go to stdout, diagnostics to stderr.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer
from rich.console import Console

from skewless import __version__
from skewless.errors import ContractError, InputError
from skewless.io import DEFAULT_CHUNK_ROWS
from skewless.loader import load_contract
from skewless.report import Report, escape_name, printable

PASS, FINDINGS, CANNOT_JUDGE = 0, 1, 2

app = typer.Typer(
    name="skewless",
    help=(
        "Data contracts for ML systems: validate data against a YAML contract (validate, "
        "lint), check it for drift against training (profile, freeze, drift), fuzz functions "
        "and apps from it (fuzz), and keep it over its life (infer, diff, docs, export, "
        "import).\n\n"
        "Exit codes: 0 pass, 1 findings (violations, drift), 2 could not judge (bad contract, "
        "unreadable input, bad usage)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(StrEnum):
    text = "text"
    json = "json"
    junit = "junit"
    markdown = "markdown"


class EnvChoice(StrEnum):
    training = "training"
    serving = "serving"


class EngineChoice(StrEnum):
    local = "local"
    dask = "dask"
    spark = "spark"


ContractPath = Annotated[
    Path, typer.Argument(help="The contract YAML file.", show_default=False, metavar="CONTRACT")
]
ChunkRows = Annotated[
    int,
    typer.Option(
        "--chunk-rows", min=1, help="Rows read at a time: memory is bounded by the chunk."
    ),
]
Table = Annotated[
    Optional[str],  # noqa: UP045 - typer reads the annotation at run time
    typer.Option(help="With a database URL: the table to read.", metavar="NAME"),
]
Query = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(help="With a database URL: the query whose rows to read.", metavar="SQL"),
]
Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress display (it only shows on a terminal).")
]


def _out_console() -> Console:
    """Results on stdout: the terminal's width, or 160 columns into a pipe or a file."""
    out = Console(highlight=False, soft_wrap=False)
    return out if out.is_terminal else Console(highlight=False, soft_wrap=False, width=160)


def _err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str) -> NoReturn:
    _err_console().print(f"error: {message}", markup=False)
    raise typer.Exit(CANNOT_JUDGE)


def _load(path: Path, *, frozen: bool = True) -> Any:
    """The contract, or exit 2 with its error; `frozen`: it must be ready to validate (no
    statistic waiting for `skewless freeze`)."""
    try:
        loaded = load_contract(path)
        if frozen:
            loaded.require_frozen()
    except ContractError as exc:
        what = "is not frozen" if exc.code.value == "unfrozen" else "does not load"
        _fail(f"the contract {what}: {printable(str(exc))}")
    return loaded


def _writable(path: Path) -> None:
    """Refuse an output path whose directory does not exist, before any work is done."""
    if not (path.parent if str(path.parent) else Path(".")).is_dir():
        _fail(f"{escape_name(str(path))}: the directory {path.parent} does not exist")


def _write_atomically(path: Path, data: bytes) -> None:
    """The whole file at `path`, or nothing (written under a hidden name, then renamed)."""
    from skewless.errors import OutputError
    from skewless.quarantine import AtomicFile

    try:
        written = AtomicFile(path)
        written.file.write(data)
        written.commit()
    except OutputError as exc:
        _fail(f"{escape_name(exc.target)}: {exc.message}")
    except OSError as exc:
        _fail(f"{escape_name(str(path))}: {exc.strerror or exc}")


def _version(value: bool) -> None:
    if value:
        print(f"skewless {__version__}")
        raise typer.Exit(PASS)


@app.callback()
def _main(
    version: Annotated[
        Optional[bool],  # noqa: UP045 - typer reads the annotation at run time
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    """skewless: one data contract, enforced at every gate."""


@app.command()
def validate(
    contract: ContractPath,
    data: Annotated[
        list[str],
        typer.Argument(
            help="Sources, one report each: .csv, .parquet, .jsonl files, a Parquet directory "
            "or glob, or a SQLAlchemy URL with --table or --query.",
            show_default=False,
            metavar="DATA",
        ),
    ],
    output_format: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            help="text for people, json for programs, junit for CI, markdown for a CI job summary.",
        ),
    ] = Format.text,
    max_violations: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--max-violations",
            min=0,
            help="Violations listed per report (default 50 in text, 1000 otherwise); "
            "counts always cover all of them.",
        ),
    ] = None,
    env: Annotated[
        Optional[EnvChoice],  # noqa: UP045
        typer.Option(help="Which data this is: columns with only_in are required only there."),
    ] = None,
    valid_out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--valid-out",
            help="Write the rows that pass, normalised, to this Parquet file (one DATA only; "
            "a dataset directory on Dask and Spark).",
            metavar="PATH",
        ),
    ] = None,
    quarantine: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--quarantine",
            help="Write the rows that fail, as they arrived, with their violations and the run "
            "id, to this Parquet file (one DATA only; a dataset directory on Dask and Spark).",
            metavar="PATH",
        ),
    ] = None,
    chunk_rows: ChunkRows = DEFAULT_CHUNK_ROWS,
    table: Table = None,
    query: Query = None,
    engine: Annotated[
        EngineChoice,
        typer.Option(
            help="Where to run: this process, or the partitions of a Dask or Spark DataFrame "
            "(Parquet sources; outputs become Parquet datasets, directories). Same verdicts "
            "on every engine (docs/scale.md).",
        ),
    ] = EngineChoice.local,
    scheduler: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="Dask scheduler address (tcp://host:8786) or Spark master URL (local[4], "
            "spark://host:7077); default: a local cluster started for the run.",
            metavar="URL",
        ),
    ] = None,
    workers: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            min=1, help="Worker processes of the local Dask cluster (default: one per core)."
        ),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Validate data against a contract, report every violation, optionally split the rows.

    Exit 0 when every source passes, 1 when one has violations, 2 when the contract does not
    load, a source cannot be read or an output cannot be written (nothing partial is left).

    Examples:

      skewless validate contracts/user_features.yaml data/users.csv --format json

      skewless validate contracts/user_features.yaml data/users.parquet
      --valid-out clean.parquet --quarantine held.parquet

      skewless validate contracts/user_features.yaml sqlite:///etl.db --table users

      skewless validate contracts/user_features.yaml warehouse/users/ --engine dask
      --scheduler tcp://10.0.0.5:8786 --valid-out clean/ --quarantine held/
    """
    from skewless.engines import run_engine
    from skewless.errors import EngineError, OutputError
    from skewless.gate import run_gate
    from skewless.io import open_source
    from skewless.render import (
        ChunkProgress,
        report_json,
        report_junit,
        report_markdown,
        report_text,
    )

    loaded = _load(contract)
    writing = valid_out is not None or quarantine is not None
    if writing and len(data) != 1:
        _fail("--valid-out and --quarantine take one DATA source")
    if engine is EngineChoice.local and (scheduler is not None or workers is not None):
        _fail("--scheduler and --workers go with --engine dask or --engine spark")
    if engine is EngineChoice.spark and workers is not None:
        _fail("--workers sizes a local Dask cluster; give Spark a master such as local[4]")
    if engine is not EngineChoice.local and (table is not None or query is not None):
        _fail("--table and --query read SQL on the local engine; Dask and Spark read Parquet")
    if engine is not EngineChoice.local:
        import logging

        # py4j logs a lost JVM through the root logger, traceback and all; the failure is
        # reported once, below, as an `error:` line.
        logging.getLogger().addHandler(logging.NullHandler())
    results: list[Report | tuple[str, str]] = []
    written: dict[str, dict[str, object]] = {}
    unreadable = False
    for spec in data:
        try:
            keep = max_violations if max_violations is not None else 1000
            if engine is EngineChoice.local:
                source = open_source(spec, table=table, query=query)
                with ChunkProgress(source.name, enabled=not quiet) as progress:
                    result = run_gate(
                        loaded,
                        source,
                        env=env.value if env is not None else None,
                        valid_out=valid_out,
                        quarantine=quarantine,
                        chunk_rows=chunk_rows,
                        keep_values=keep,
                        on_chunk=progress.advance,
                    )
            else:
                result = run_engine(
                    loaded,
                    spec,
                    engine="dask" if engine is EngineChoice.dask else "spark",
                    scheduler=scheduler,
                    workers=workers,
                    env=env.value if env is not None else None,
                    valid_out=valid_out,
                    quarantine=quarantine,
                    chunk_rows=chunk_rows if chunk_rows != DEFAULT_CHUNK_ROWS else None,
                    keep_values=keep,
                )
            results.append(result.report)
            if writing:
                written[result.report.source] = {
                    "run_id": result.run_id,
                    "valid_out": None if valid_out is None else str(valid_out),
                    "valid_rows": result.valid_rows,
                    "quarantine": None if quarantine is None else str(quarantine),
                    "quarantined_rows": result.quarantined_rows,
                }
        except (InputError, OutputError, EngineError) as exc:
            unreadable = True
            if isinstance(exc, EngineError):
                where = exc.engine
            else:
                where = exc.source if isinstance(exc, InputError) else exc.target
            _err_console().print(f"error: {escape_name(where)}: {exc.message}", markup=False)
            results.append((spec, exc.message))
    if output_format is Format.json:
        sys.stdout.write(report_json(results, max_violations, written) + "\n")
    elif output_format is Format.junit:
        sys.stdout.write(report_junit(results, max_violations) + "\n")
    elif output_format is Format.markdown:
        sys.stdout.write(report_markdown(results, max_violations, written) + "\n")
    else:
        out = _out_console()
        report_text(out, results, max_violations, written)
    if unreadable:
        raise typer.Exit(CANNOT_JUDGE)
    if not all(isinstance(r, Report) and r.ok for r in results):
        raise typer.Exit(FINDINGS)
    raise typer.Exit(PASS)


@app.command()
def lint(
    contracts: Annotated[
        list[Path],
        typer.Argument(
            help="Contract YAML files to check.", show_default=False, metavar="CONTRACT"
        ),
    ],
) -> None:
    """Check contracts: each loads completely, or the first problem is shown with its line.

    Exit 0 when every contract loads, 1 when one does not, 2 when a file cannot be read.
    """
    console = Console(highlight=False, soft_wrap=True)
    worst = PASS
    for path in contracts:
        try:
            loaded = load_contract(path)
            loaded.require_frozen()  # it loads, but no engine will compile it yet
        except ContractError as exc:
            unreadable = exc.code.value in ("unreadable", "too_large")
            worst = max(worst, CANNOT_JUDGE if unreadable else FINDINGS)
            _err_console().print(printable(str(exc)), markup=False)
            continue
        console.print(
            f"ok {path}: {loaded.name} {loaded.version}, {len(loaded.columns)} columns",
            markup=False,
        )
    raise typer.Exit(worst)


# Commands kept in modules of their own: each imports `app` and the shared options from here,
# so they are imported last, in the order `skewless --help` lists them (typer lists commands
# as they are registered; the split keeps the import sorter from reordering the two blocks).
# Only the last line needs F401: each import rebinds `skewless`, and only the last is unused.
import skewless.cli_drift  # noqa: E402
import skewless.cli_fuzz  # noqa: E402

# isort: split
import skewless.cli_diff  # noqa: E402
import skewless.cli_docs  # noqa: E402
import skewless.cli_infer  # noqa: E402
import skewless.cli_interop  # noqa: E402, F401


def main() -> None:
    app()
