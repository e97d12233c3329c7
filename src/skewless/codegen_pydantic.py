"""The pydantic half of `skewless.codegen`: what a generated pydantic v2 model module runs, and a
contract column written as a field.

    >>> from skewless.codegen_pydantic import pydantic_type
    >>> print(pydantic_type(contract.column("user_id")))
    typing.Annotated[
        typing.Annotated[
            int,
            pydantic.Field(ge=1, le=9223372036854775807),
        ],
        reader('integer', nullable=False),
    ]

A field's type is skewless's reader before pydantic's strict type (so a value is read as
skewless reads it, and errors carry skewless's violation code as their type), then the type's
own constraints, then the per-value checks written as code. The runtime is text
(`PYDANTIC_RUNTIME`, after `skewless.codegen_reader.READING`); `BOUND` names what the module
binds at its top level, which a field must not shadow. `skewless.codegen.pydantic_source`
assembles the module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from skewless.checks import float_bound
from skewless.codegen_reader import (
    call,
    int_bounds,
    literal,
    one_a_line,
    reader_options,
    value_checks,
)

if TYPE_CHECKING:
    from skewless.contract import Column, Env

PYDANTIC_IMPORTS = """\
import datetime
import decimal
import math
import numbers
import re
import typing
import zoneinfo

import pydantic
import pydantic_core
"""

# Names the pydantic module binds at its top level: a field of that name would shadow it in the
# class body (fields are aliased instead).
BOUND = frozenset(
    {"datetime", "decimal", "math", "numbers", "re", "typing", "zoneinfo", "pydantic"}
    | {"pydantic_core", "refused", "reader", "holds", "mapped", "refuse_keys", "read"}
    | {"Unreadable", "skewless_keys", "model_config", "UNEXPRESSED_PATTERNS", "MISPLACED"}
)

# What the model's validators run, after READING in the generated module: errors carry
# skewless's violation code as their type.
PYDANTIC_RUNTIME = r'''

def refused(code, message):
    return pydantic_core.PydanticCustomError(code, message)


def reader(kind, nullable, fill=_NO_FILL, **options):
    """A null (filled, or refused) or a value read as skewless reads it, before pydantic's own
    strict validation; errors carry skewless's violation code as their type."""

    def read_value(value):
        if _is_null(value, False):
            if not nullable:
                raise refused("null_not_allowed", "is null and the column is not nullable")
            if fill is _NO_FILL:
                return None
            value = fill
        try:
            return read(kind, value, **options)
        except Unreadable as exc:
            raise refused(exc.code, exc.message) from None

    return pydantic.BeforeValidator(read_value)


def holds(code, message, test):
    def check(value):
        if not test(value):
            raise refused(code, message)
        return value

    return pydantic.AfterValidator(check)


def mapped(values, map_to):
    """unknown: {map_to}: a value outside the vocabulary becomes map_to."""
    known = frozenset(values)
    return pydantic.AfterValidator(lambda value: value if value in known else map_to)


def refuse_keys(data, misplaced):
    """unexpected_column for keys that are not text, and for the other environment's columns."""
    if isinstance(data, dict):
        for key in data:
            if not isinstance(key, str) or key in misplaced:
                raise refused("unexpected_column", "is not a column of this record")
    return data
'''


def pydantic_type(column: Column) -> str:
    """The column's annotated type: the reader before pydantic's strict type, the type's own
    constraints, then the checks written as code."""
    kind = column.type
    constraints: list[str] = []
    if kind == "integer":
        lo, hi = int_bounds(column)
        base = "int"
        constraints.append(f"pydantic.Field(ge={lo!r}, le={hi!r})")
    elif kind == "float":
        base = "float"
        if column.allow_nan or column.allow_inf:
            constraints.append("pydantic.Field(allow_inf_nan=True)")
        else:
            bounds = {
                "ge": float_bound(column.min, lower=True),
                "le": float_bound(column.max, lower=False),
            }
            given = "".join(f", {k}={v!r}" for k, v in bounds.items() if v is not None)
            constraints.append(f"pydantic.Field(allow_inf_nan=False{given})")
    elif kind == "boolean":
        base = "bool"
    elif kind == "category":
        if column.map_to is None:
            base = f"typing.Literal[{', '.join(map(repr, column.values))}]"
        else:
            base = "str"
            constraints.append(call("mapped", repr(column.values), repr(column.map_to)))
    elif kind == "string":
        base = "str"
        lengths = {"min_length": column.min_length, "max_length": column.max_length}
        given = ", ".join(f"{k}={v!r}" for k, v in lengths.items() if v is not None)
        if given:
            constraints.append(f"pydantic.Field({given})")
    elif kind == "date":
        base = "datetime.date"
    else:
        base = "datetime.datetime"
    skip_range = kind == "float" and not (column.allow_nan or column.allow_inf)
    for code, message, test in value_checks(column):
        if not (skip_range and code in ("nan_not_allowed", "inf_not_allowed", "out_of_range")):
            constraints.append(call("holds", repr(code), repr(message), test))
    pad = 8 if column.nullable else 4
    inner = base
    if constraints:
        inner = f"typing.Annotated[{one_a_line([base, *constraints], pad + 4)}\n{' ' * pad}]"
    if column.nullable:
        inner = f"typing.Optional[\n        {inner}\n    ]"
    kwargs = {"nullable": repr(column.nullable), **reader_options(column)}
    if column.has_fill:
        kwargs["fill"] = literal(column.fill_null)
    return (
        "typing.Annotated[" + one_a_line([inner, call("reader", repr(kind), **kwargs)], 4) + "\n]"
    )


def pydantic_field(column: Column, field: str, env: Env | None) -> str:
    """The field's `pydantic.Field(...)`: the column's name as alias where the field is named
    otherwise, a default where the key may be absent, the description."""
    kwargs: dict[str, str] = {}
    if field != column.name:
        kwargs["alias"] = repr(column.name)
    # An absent optional key reads as null: filled, or None; a column that is not nullable
    # cannot be left out (null_not_allowed), so it stays required.
    if not column.required_in(env) and column.nullable:
        kwargs["default"] = literal(column.fill_null) if column.has_fill else "None"
        kwargs["validate_default"] = "True"
    if column.description:
        kwargs["description"] = repr(column.description)
    return call("pydantic.Field", **kwargs)
