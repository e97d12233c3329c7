"""The `skewless` command line. Each command parses, calls one library function, renders, exits.

Exit codes, everywhere: 0 the data (or contract) passes; 1 it does not (violations, or a contract
that `lint` rejects); 2 could not judge (bad usage, a contract that does not load, unreadable
input). Results go to stdout, diagnostics to stderr.
"""

from __future__ import annotations

import logging
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
            help="Write the rows that pass, normalised, to this Parquet file (one DATA only).",
            metavar="PATH",
        ),
    ] = None,
    quarantine: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--quarantine",
            help="Write the rows that fail, as they arrived, with their violations and the run "
            "id, to this Parquet file (one DATA only).",
            metavar="PATH",
        ),
    ] = None,
    chunk_rows: ChunkRows = DEFAULT_CHUNK_ROWS,
    table: Table = None,
    query: Query = None,
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
    """
    from skewless.errors import OutputError
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
    results: list[Report | tuple[str, str]] = []
    written: dict[str, dict[str, object]] = {}
    unreadable = False
    for spec in data:
        try:
            source = open_source(spec, table=table, query=query)
            with ChunkProgress(source.name, enabled=not quiet) as progress:
                result = run_gate(
                    loaded,
                    source,
                    env=env.value if env is not None else None,
                    valid_out=valid_out,
                    quarantine=quarantine,
                    chunk_rows=chunk_rows,
                    keep_values=max_violations if max_violations is not None else 1000,
                    on_chunk=progress.advance,
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
        except (InputError, OutputError) as exc:
            unreadable = True
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


@app.command()
def profile(
    contract: ContractPath,
    data: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Argument(
            help="Sources to profile as one dataset (parts of it): files, Parquet datasets, "
            "a SQLAlchemy URL with --table or --query.",
            show_default=False,
            metavar="DATA",
        ),
    ] = None,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--output", "-o", help="Write the profile here (JSON); default: stdout.", metavar="PATH"
        ),
    ] = None,
    merge: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option(
            "--merge",
            help="Add a profile written before (another part, another machine); repeatable.",
            metavar="PROFILE",
        ),
    ] = None,
    env: Annotated[
        Optional[EnvChoice],  # noqa: UP045
        typer.Option(help="Which data this is: training (a baseline) or serving."),
    ] = None,
    chunk_rows: ChunkRows = DEFAULT_CHUNK_ROWS,
    table: Table = None,
    query: Query = None,
    quiet: Quiet = False,
) -> None:
    """Profile data for drift checks: per column, counts, nulls, a quantile sketch, categories,
    hours and zone offsets (docs/drift.md has the format). Profiles merge exactly.

    Exit 0 when the profile is written, 2 when the contract, a source or a profile to merge
    cannot be read, or the output cannot be written.

    Examples:

      skewless profile contracts/user_features.yaml train.parquet --env training -o baseline.json

      skewless profile contracts/user_features.yaml part-2.parquet --merge part-1.json -o all.json
    """
    if not data and not merge:
        _fail("give DATA to profile, or --merge profiles to add up")
    if output is not None:
        _writable(output)
    loaded = _load(contract, frozen=False)  # profiles count nulls before any fill
    whole = _profile_all(
        loaded,
        data or [],
        merge or [],
        env.value if env is not None else None,
        chunk_rows,
        table,
        query,
        quiet,
    )
    text = whole.to_json() + "\n"
    if output is None:
        sys.stdout.write(text)
        raise typer.Exit(PASS)
    _write_atomically(output, text.encode("ascii"))
    where = escape_name(str(output))
    _err_console().print(
        f"profiled {whole.rows:,} rows, {len(whole.columns)} columns, into {where}", markup=False
    )
    raise typer.Exit(PASS)


@app.command()
def freeze(
    contract: ContractPath,
    data: Annotated[
        list[str],
        typer.Option(
            "--from",
            help="Training data to compute the statistics from: files, Parquet datasets, a "
            "SQLAlchemy URL with --table or --query; repeatable (parts of one dataset).",
            show_default=False,
            metavar="DATA",
        ),
    ],
    env: Annotated[
        EnvChoice, typer.Option(help="Which data this is (only_in columns of the other are left).")
    ] = EnvChoice.training,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Write nothing; exit 1 if a frozen value is missing or differs from the data.",
        ),
    ] = False,
    chunk_rows: ChunkRows = DEFAULT_CHUNK_ROWS,
    table: Table = None,
    query: Query = None,
    quiet: Quiet = False,
) -> None:
    """Freeze statistics into the contract: each `fill_null: {freeze: median|mean|mode}` gets
    `value: LITERAL`, computed from training data. Only those values change in the file:
    comments and layout stay. Serving then fills nulls with training's value, never its own.

    A statistic is computed over the column's non-null values that pass its own checks.

    Exit 0 when the values are written (or, with --check, already current), 1 with --check
    when one is missing or stale, 2 when the contract or the data cannot be read, a column
    has no usable value, or the contract cannot be written.

    Examples:

      skewless freeze contracts/user_features.yaml --from train.parquet

      skewless freeze contracts/user_features.yaml --from train.parquet --check
    """
    from skewless import freeze as freezing
    from skewless.errors import OutputError
    from skewless.io import open_source
    from skewless.render import ChunkProgress, freeze_text

    loaded = _load(contract, frozen=False)
    if not any(c.fill_freeze for c in loaded.columns):
        _err_console().print(f"{escape_name(str(contract))}: nothing to freeze", markup=False)
        raise typer.Exit(PASS)
    try:
        sources = [open_source(spec, table=table, query=query) for spec in data]
        with ChunkProgress(sources[0].name, enabled=not quiet) as progress:
            result = freezing.freeze(
                contract,
                sources,
                env=env.value,
                chunk_rows=chunk_rows,
                write=not check,
                on_chunk=progress.advance,
            )
    except InputError as exc:
        _fail(f"{escape_name(exc.source)}: {exc.message}")
    except freezing.NothingToFreeze as exc:
        _fail(printable(str(exc)))
    except OutputError as exc:
        _fail(f"{escape_name(exc.target)}: {exc.message}")
    except OSError as exc:
        _fail(f"{escape_name(str(contract))}: {exc.strerror or exc}")
    freeze_text(_out_console(), result, check=check)
    raise typer.Exit(FINDINGS if check and result.changed else PASS)


@app.command()
def drift(
    contract: ContractPath,
    data: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Argument(
            help="Current data, profiled as one dataset (or give --current profiles).",
            show_default=False,
            metavar="DATA",
        ),
    ] = None,
    baseline: Annotated[
        Path,
        typer.Option(
            "--baseline", help="The training profile (skewless profile).", metavar="PROFILE"
        ),
    ] = Path("baseline.json"),
    current: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option(
            "--current",
            help="A profile of current data, instead of or with DATA.",
            metavar="PROFILE",
        ),
    ] = None,
    env: Annotated[
        EnvChoice, typer.Option(help="Which data the current data is.")
    ] = EnvChoice.serving,
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="text for people, json for programs.")
    ] = Format.text,
    html_out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--html",
            help="Also write an HTML report, a plot per drifted column (no script).",
            metavar="PATH",
        ),
    ] = None,
    chunk_rows: ChunkRows = DEFAULT_CHUNK_ROWS,
    table: Table = None,
    query: Query = None,
    quiet: Quiet = False,
) -> None:
    """Check current data against a training profile: per column KS, PSI, chi-square,
    Jensen-Shannon, null rate and unseen categories, with the contract's thresholds.

    A column drifts when an effect size reaches its threshold and the difference is
    significant, with enough rows on both sides (docs/drift.md). Columns the contract does not
    declare for the environment (a label at serving) fail the check too.

    Exit 0 when nothing drifted, 1 when something did, 2 when the contract, the baseline or the
    data cannot be read.

    Examples:

      skewless drift contracts/user_features.yaml serving.parquet --baseline baseline.json

      skewless drift contracts/user_features.yaml --current today.json --baseline baseline.json
    """
    try:
        from skewless.drift import compare
    except ImportError:  # pragma: no cover - an install without the drift extra
        _fail("skewless drift needs scipy: pip install 'skewless[drift]'")
    from skewless.render import drift_text

    if not data and not current:
        _fail("give DATA, or --current profiles, to compare with the baseline")
    if output_format not in (Format.text, Format.json):
        _fail("skewless drift writes --format text or json")
    loaded = _load(contract, frozen=False)
    if html_out is not None:
        _writable(html_out)
    before = _read_profile(baseline)
    now = _profile_all(
        loaded, data or [], current or [], env.value, chunk_rows, table, query, quiet
    )
    try:
        report = compare(loaded, before, now)
    except ValueError as exc:
        _fail(printable(str(exc)))
    if html_out is not None:
        from skewless.drift_html import drift_html

        _write_atomically(html_out, drift_html(report, before, now).encode("utf-8"))
    if output_format is Format.json:
        import json

        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=True, indent=2) + "\n")
    else:
        drift_text(_out_console(), report)
    raise typer.Exit(PASS if report.ok else FINDINGS)


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


def _read_profile(path: Path) -> Any:
    from skewless.profile import Profile

    try:
        return Profile.from_json(path.read_bytes())
    except OSError as exc:
        _fail(f"{escape_name(str(path))}: {exc.strerror or exc}")
    except ValueError as exc:
        _fail(f"{escape_name(str(path))}: {printable(str(exc))}")


def _profile_all(
    contract: Any,
    data: list[str],
    profiles: list[Path],
    env: str | None,
    chunk_rows: int,
    table: str | None,
    query: str | None,
    quiet: bool,
) -> Any:
    """Every DATA profiled and every profile file added, as one profile."""
    from skewless.io import open_source
    from skewless.profile import Profile, profile_source
    from skewless.render import ChunkProgress

    whole = Profile(contract.name, contract.version, env)  # type: ignore[arg-type]
    for path in profiles:
        try:
            whole.merge(_read_profile(path))
        except ValueError as exc:
            _fail(f"{escape_name(str(path))}: {printable(str(exc))}")
    for spec in data:
        try:
            source = open_source(spec, table=table, query=query)
            with ChunkProgress(source.name, enabled=not quiet) as progress:
                part = profile_source(
                    contract,
                    source,
                    env=whole.env,
                    chunk_rows=chunk_rows,
                    on_chunk=progress.advance,
                )
        except InputError as exc:
            _fail(f"{escape_name(exc.source)}: {exc.message}")
        whole.merge(part)
    return whole


class Takes(StrEnum):
    record = "record"
    frame = "frame"
    payload = "payload"


@app.command()
def fuzz(
    contract: ContractPath,
    target: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="A function to feed, MODULE:NAME; it takes one input (see --takes).",
            metavar="MODULE:NAME",
        ),
    ] = None,
    app_spec: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--app",
            help="An ASGI or WSGI app to POST JSON bodies to, in-process, MODULE:NAME.",
            metavar="MODULE:NAME",
        ),
    ] = None,
    path: Annotated[str, typer.Option(help="With --app: the route to POST to.")] = "/predict",
    takes: Annotated[
        Takes,
        typer.Option(
            help="With --target: what one input is: a record (dict), a frame (pandas "
            "DataFrame) or a payload (JSON bytes)."
        ),
    ] = Takes.record,
    app_dir: Annotated[
        Path,
        typer.Option(
            "--app-dir", help="Put this directory first on the import path.", metavar="DIR"
        ),
    ] = Path("."),
    env: Annotated[
        EnvChoice, typer.Option(help="The environment whose columns the inputs hold.")
    ] = EnvChoice.serving,
    examples: Annotated[
        int, typer.Option(min=1, help="Inputs tried per class (valid, nasty, each defect).")
    ] = 100,
    seed: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Repeat a run: the report prints the seed it used."),
    ] = None,
    only: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--only", help="Try only this class (repeatable).", metavar="CLASS"),
    ] = None,
    expect_rejection: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option(
            "--expect-rejection/--crashes-only",
            help="Whether invalid inputs the target accepts are findings "
            "(default: yes for --app, no for --target).",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="text for people, json for programs.")
    ] = Format.text,
    quiet: Quiet = False,
) -> None:
    """Feed a function or an app valid and adversarial data from the contract; report by class.

    Classes: valid records, nasty valid ones (4-byte UTF-8, right-to-left text, extremes), and
    every defect that applies (NUL bytes, lone surrogates, unseen categories, naive datetimes,
    DST gaps, repeated JSON keys, missing columns...). A crash (an exception, a 5xx) is a finding
    in any class; so is valid data rejected, and, with --expect-rejection, invalid data accepted.

    Exit 0 with no finding, 1 with findings, 2 when the contract or the target cannot be loaded.

    Examples:

      skewless fuzz contracts/user_features.yaml --app app:app --app-dir
      examples/inference_service --path /predict

      skewless fuzz contracts/user_features.yaml --target scoring:predict --examples 500

      skewless fuzz contracts/user_features.yaml --target etl:transform --takes frame --seed 7
    """
    try:
        from skewless import fuzzer
    except ImportError:  # pragma: no cover - an install without the fuzz extra
        _fail("skewless fuzz needs hypothesis: pip install 'skewless[fuzz]'")
    from skewless.render import ChunkProgress, fuzz_text

    if (target is None) == (app_spec is None):
        _fail("give one of --target MODULE:NAME or --app MODULE:NAME")
    # The target's own skewless middleware or guard logs a warning per rejected input: here
    # rejections are the expected answer, and the report counts them.
    logging.getLogger("skewless").setLevel(logging.ERROR)
    if output_format not in (Format.text, Format.json):
        _fail("skewless fuzz writes --format text or json")
    loaded = _load(contract)
    try:
        if app_spec is not None:
            made: fuzzer.Target = fuzzer.AppTarget(fuzzer.load_object(app_spec, app_dir), path)
        else:
            assert target is not None
            made = fuzzer.FunctionTarget(fuzzer.load_object(target, app_dir), takes=takes.value)
        with ChunkProgress(made.name, enabled=not quiet, unit="classes") as progress:
            report = fuzzer.run(
                loaded,
                made,
                env=env.value,
                examples=examples,
                seed=seed,
                only=only,
                expect_rejection=expect_rejection,
                on_class=lambda tally: progress.advance(1),
            )
    except fuzzer.TargetError as exc:
        _fail(str(exc))
    except ValueError as exc:
        _fail(printable(str(exc)))
    if output_format is Format.json:
        import json

        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=True, indent=2) + "\n")
    else:
        out = _out_console()
        fuzz_text(out, report)
    raise typer.Exit(PASS if report.ok else FINDINGS)


# Commands kept in modules of their own: each imports `app` and the shared options from here,
# so they are imported last.
# (one `import skewless.cli_<name>` line per module below, with noqa E402 and F401)
import skewless.cli_diff  # noqa: E402
import skewless.cli_docs  # noqa: E402
import skewless.cli_infer  # noqa: E402
import skewless.cli_interop  # noqa: E402, F401


def main() -> None:
    app()
