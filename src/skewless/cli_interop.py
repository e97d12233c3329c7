"""`skewless export` and `skewless import`: a contract to and from other formats
(skewless.interop: JSON Schema, ODCS, pandera and pydantic source)."""

from __future__ import annotations

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
    _err_console,
    _fail,
    _load,
    _writable,
    _write_atomically,
    app,
)
from skewless.errors import ContractError, InputError
from skewless.report import counted, escape_name, printable


class ExportFormat(StrEnum):
    jsonschema = "jsonschema"
    odcs = "odcs"
    pandera = "pandera"
    pydantic = "pydantic"


class ImportFormat(StrEnum):
    odcs = "odcs"
    jsonschema = "jsonschema"


Output = Annotated[
    Optional[Path],  # noqa: UP045 - typer reads the annotation at run time
    typer.Option(
        "--output", "-o", help="Write here (atomically) instead of stdout.", metavar="OUT"
    ),
]


@app.command("export")
def export_contract(
    contract: ContractPath,
    to: Annotated[
        ExportFormat,
        typer.Option(
            "--to",
            help="jsonschema (Draft 2020-12, one record), odcs (ODCS v3.1.0 YAML), pandera "
            "(a DataFrameSchema module), pydantic (a model module).",
            show_default=False,
        ),
    ],
    output: Output = None,
    env: Annotated[
        Optional[EnvChoice],  # noqa: UP045
        typer.Option(
            help="The environment whose columns jsonschema, pandera and pydantic describe "
            "(default: serving for jsonschema, any for pandera and pydantic; odcs holds all).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write the contract in another format: a JSON Schema for clients, an ODCS data contract
    for catalogs, pandera or pydantic source for code that wants its own validator.

    ODCS keeps every key (what ODCS has no place for travels in customProperties named
    skewless...), so `skewless import --from odcs` gives the same contract back. JSON Schema
    says what it can (docs/json-schema.md lists what it cannot).

    Exit 0 when written, 2 when the contract does not load or the output cannot be written.

    Examples:

      skewless export contracts/user_features.yaml --to odcs -o user_features.odcs.yaml

      skewless export contracts/user_features.yaml --to jsonschema --env training
    """
    from skewless.interop import export

    if output is not None:
        _writable(output)
    loaded = _load(contract, frozen=False)  # an unfrozen fill travels as {freeze: median}
    try:
        text = export(loaded, to.value, env=env.value if env is not None else None)
    except ContractError as exc:
        _fail(f"the contract cannot be exported to {to.value}: {printable(str(exc))}")
    except ImportError as exc:  # pragma: no cover - an install without the batch extra
        _fail(f"export to {to.value} needs {exc.name}: pip install 'skewless[batch]'")
    if output is None:
        sys.stdout.write(text)
        raise typer.Exit(PASS)
    _write_atomically(output, text.encode("utf-8"))
    _err_console().print(
        f"exported {loaded.name} {loaded.version} to {to.value}: {escape_name(str(output))}",
        markup=False,
    )
    raise typer.Exit(PASS)


@app.command("import")
def import_file(
    file: Annotated[
        Path,
        typer.Argument(help="The ODCS or JSON Schema file.", show_default=False, metavar="FILE"),
    ],
    from_: Annotated[
        ImportFormat,
        typer.Option(
            "--from",
            help="odcs (ODCS v3.0.x or v3.1.0, YAML or JSON) or jsonschema (an object schema).",
            show_default=False,
        ),
    ],
    output: Output = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Anything not mapped is a finding: exit 1 and write nothing."
        ),
    ] = False,
    schema: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--schema",
            help="With --from odcs: the schema object to import (default: the first).",
            metavar="NAME",
        ),
    ] = None,
) -> None:
    """Write a skewless contract from an ODCS data contract or a JSON Schema.

    What the contract cannot hold (an object or array column, a SQL rule, a tolerance such as
    "fewer than 5% nulls", servers, SLAs, team members...) is listed on stderr, one
    `unmapped:` line each, never dropped silently; the contract written always loads.

    Exit 0 when imported (even with unmapped parts, unless --strict), 1 with --strict when
    something is not mapped (nothing is written), 2 when the file cannot be read, is not of
    the format, or the output cannot be written.

    Examples:

      skewless import orders.odcs.yaml --from odcs -o contracts/orders.yaml

      skewless import record.schema.json --from jsonschema --strict
    """
    from skewless.interop import import_contract

    if output is not None:
        _writable(output)
    try:
        text, unmapped = import_contract(file, from_.value, schema=schema)
    except InputError as exc:
        _fail(f"{escape_name(exc.source)}: {printable(exc.message)}")
    err = _err_console()
    for line in unmapped:
        err.print(f"unmapped: {printable(line)}", markup=False)
    if strict and unmapped:
        shown = counted(len(unmapped), "part")
        err.print(f"{shown} not mapped (--strict): nothing written", markup=False)
        raise typer.Exit(FINDINGS)
    if output is None:
        sys.stdout.write(text)
    else:
        _write_atomically(output, text.encode("utf-8"))
        err.print(
            f"imported {escape_name(str(file))} into {escape_name(str(output))}", markup=False
        )
    raise typer.Exit(PASS)


__all__ = ["export_contract", "import_file"]
