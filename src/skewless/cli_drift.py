"""`skewless profile`, `freeze` and `drift`: the training side of a contract. Profile data,
freeze training's statistics into the contract, and check current data against training."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from skewless.cli import (
    FINDINGS,
    PASS,
    ChunkRows,
    ContractPath,
    EnvChoice,
    Format,
    Query,
    Quiet,
    Table,
    _err_console,
    _fail,
    _load,
    _out_console,
    _writable,
    _write_atomically,
    app,
)
from skewless.errors import InputError
from skewless.io import DEFAULT_CHUNK_ROWS
from skewless.report import escape_name, printable


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
