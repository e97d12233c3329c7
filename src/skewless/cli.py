"""The `skewless` command line. Each command parses, calls one library function, renders, exits.

Exit codes, everywhere: 0 the data (or contract) passes; 1 it does not (violations, or a contract
that `lint` rejects); 2 could not judge (bad usage, a contract that does not load, unreadable
input). Results go to stdout, diagnostics to stderr.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from rich.console import Console

from skewless import __version__
from skewless.errors import ContractError, InputError
from skewless.loader import load_contract
from skewless.report import Report, escape_name, printable

PASS, FINDINGS, CANNOT_JUDGE = 0, 1, 2

app = typer.Typer(
    name="skewless",
    help=(
        "Data contracts for ML systems: validate batch data against a YAML contract.\n\n"
        "Exit codes: 0 pass, 1 violations found, 2 could not judge (bad contract, unreadable "
        "input, bad usage)."
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


class EnvChoice(StrEnum):
    training = "training"
    serving = "serving"


def _err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str) -> NoReturn:
    _err_console().print(f"error: {message}", markup=False)
    raise typer.Exit(CANNOT_JUDGE)


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
    contract: Annotated[
        Path, typer.Argument(help="The contract YAML file.", show_default=False, metavar="CONTRACT")
    ],
    data: Annotated[
        list[Path],
        typer.Argument(
            help="Data files: .csv, .parquet, .jsonl (one report each).",
            show_default=False,
            metavar="DATA",
        ),
    ],
    output_format: Annotated[
        Format,
        typer.Option("--format", "-f", help="text for people, json for programs, junit for CI."),
    ] = Format.text,
    max_violations: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--max-violations",
            min=0,
            help="Violations listed per report (default 50 in text, 1000 in json/junit); "
            "counts always cover all of them.",
        ),
    ] = None,
    env: Annotated[
        Optional[EnvChoice],  # noqa: UP045
        typer.Option(help="Which data this is: columns with only_in are required only there."),
    ] = None,
) -> None:
    """Validate data files against a contract and report every violation.

    Exit 0 when every file passes, 1 when one has violations, 2 when the contract does not
    load or a file cannot be read (the other files are still reported).

    Example: skewless validate contracts/user_features.yaml data/users.csv --format json
    """
    from skewless.io import validate_file
    from skewless.render import report_json, report_junit, report_text

    try:
        loaded = load_contract(contract)
    except ContractError as exc:
        _fail(f"the contract does not load: {printable(str(exc))}")
    results: list[Report | tuple[str, str]] = []
    unreadable = False
    for path in data:
        try:
            results.append(validate_file(loaded, path, env=env.value if env is not None else None))
        except InputError as exc:
            unreadable = True
            _err_console().print(f"error: {escape_name(exc.source)}: {exc.message}", markup=False)
            results.append((str(path), exc.message))
    if output_format is Format.json:
        sys.stdout.write(report_json(results, max_violations) + "\n")
    elif output_format is Format.junit:
        sys.stdout.write(report_junit(results, max_violations) + "\n")
    else:
        out = Console(highlight=False, soft_wrap=False)
        if not out.is_terminal:
            out = Console(highlight=False, soft_wrap=False, width=160)
        report_text(out, results, max_violations)
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


def main() -> None:
    app()
