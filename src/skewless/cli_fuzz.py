"""`skewless fuzz`: feed a function or an app valid and adversarial data generated from the
contract, and report what it did with each class of input (skewless.fuzzer)."""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer

from skewless.cli import (
    FINDINGS,
    PASS,
    ContractPath,
    EnvChoice,
    Format,
    Quiet,
    _fail,
    _load,
    _out_console,
    app,
)
from skewless.report import printable


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
