"""The pandera half of `skewless.codegen`: what a generated `DataFrameSchema` module runs, and
a contract column written as a `pa.Column`.

    >>> from skewless.codegen_pandera import pandera_column
    >>> print(pandera_column(contract.column("user_id"), "training"))
            'user_id': pa.Column(
                checks=[
                    reads_as('integer'),
                    pa.Check.in_range(1, 9223372036854775807),
                    unique('integer', identity('integer')),
                ],
                ...

The schema's checks judge a column as skewless does: the type is a check (`reads_as`), since
the dtypes skewless accepts are more than one pandera dtype; `coerce: true` parses by the
contract's grammar rather than pandera's coerce; `unique` and compound keys compare values read,
filled and mapped, where pandera's own would count nulls as duplicates. The runtime is text
(`PANDERA_RUNTIME`, after `skewless.codegen_reader.READING`); `skewless.codegen.pandera_source`
assembles the module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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

PANDERA_IMPORTS = """\
import datetime
import decimal
import math
import numbers
import os
import re
import zoneinfo

import pandas as pd

# Importing pandera sets PYARROW_IGNORE_TIMEZONE=1 (for pyspark), after which pyarrow reads the
# wall time of every aware datetime as UTC, in this process: the variables are put back.
_ENVIRONMENT = {key: os.environ.get(key) for key in ("PYARROW_IGNORE_TIMEZONE", "SPARK_LOCAL_IP")}
import pandera.pandas as pa  # noqa: E402

for _key, _value in _ENVIRONMENT.items():
    if _value is None:
        os.environ.pop(_key, None)
    else:
        os.environ[_key] = _value
"""

# What the schema's checks run, after READING in the generated module: each judges a column as
# skewless does, on the values read as the column's type.
PANDERA_RUNTIME = r'''

def _cells(series, kind):
    """A column's values, None for a null as skewless reads a DataFrame: a NaN is a null except
    in a float column held as objects or by pyarrow, where it is a value (allow_nan)."""
    nan_is_null = not (
        kind == "float" and (series.dtype == object or isinstance(series.dtype, pd.ArrowDtype))
    )
    return [None if _is_null(value, nan_is_null) else value for value in series.tolist()]


_SKIP = object()  # a null, or a value that is not of the column's type (reads_as reports it)


def _typed(series, kind, options):
    out = []
    for cell in _cells(series, kind):
        try:
            out.append(_SKIP if cell is None else read(kind, cell, **options))
        except Unreadable:
            out.append(_SKIP)
    return out


def _mask(series, passed):
    return pd.Series(passed, index=series.index, dtype=bool)


def reads_as(kind, **options):
    """The column's type as skewless reads it: the dtypes it accepts (int64, Int64, uint64,
    objects holding Python ints...) are more than one pandera dtype, so the type is a check."""

    def check(series):
        passed = []
        for cell in _cells(series, kind):
            try:
                passed.append(cell is None or read(kind, cell, **options) is not None)
            except Unreadable:
                passed.append(False)
        return _mask(series, passed)

    return pa.Check(
        check,
        name=f"reads_as_{kind}",
        error=f"reads as {_ARTICLE[kind]} (wrong_type, integer_overflow, invalid_unicode, "
        "naive_datetime, wrong_timezone)",
        ignore_na=False,
    )


def holds(kind, options, code, message, test):
    """A check of skewless's check table, on the values read as the column's type."""

    def check(series):
        return _mask(series, [v is _SKIP or bool(test(v)) for v in _typed(series, kind, options)])

    return pa.Check(check, name=code, error=message, ignore_na=False)


def not_null(kind):
    """null_not_allowed for float columns, where pandera would count a NaN value as a null."""

    def check(series):
        return _mask(series, [cell is not None for cell in _cells(series, kind)])

    return pa.Check(check, name="null_not_allowed", error="is not null", ignore_na=False)


def parsed(kind, **options):
    """coerce: true, by the contract's grammar ("42" -> 42, 1.0 -> 1; "1.5" stays and fails
    reads_as), where pandera's coerce would turn "1.5" into 1 and "no" into True."""

    def parse(series):
        out = []
        for raw, cell in zip(series.tolist(), _cells(series, kind)):
            if cell is None:
                out.append(None)
                continue
            try:
                out.append(read(kind, cell, coerce=True, **options))
            except Unreadable:
                out.append(raw)
        return pd.Series(out, index=series.index, dtype=object)

    return pa.Parser(parse)


def identity(kind, fill=_NO_FILL, values=(), map_to=None, **options):
    """A cell as skewless's unique checks compare it: read, filled, mapped (NaN one value); None
    for a null, which is never a duplicate."""
    known = frozenset(values)

    def key(cell):
        if cell is not None:
            try:
                cell = read(kind, cell, **options)
            except Unreadable:
                cell = None
        if cell is None:
            if fill is _NO_FILL:
                return None
            cell = read(kind, fill, **options)
        if map_to is not None and cell not in known:
            cell = map_to
        if isinstance(cell, float) and cell != cell:
            return ("nan",)
        return cell

    return key


def unique(kind, key):
    """not_unique, as skewless judges it. Not pandera's unique=True, which counts nulls as
    duplicates, compares values before fill_null and map_to, and raises TypeError on a cell
    it cannot hash (a list in an object column)."""

    def check(series):
        seen, passed = set(), []
        for cell in _cells(series, kind):
            found = key(cell)
            passed.append(found is None or found not in seen)
            seen.add(found)
        return _mask(series, passed)

    return pa.Check(check, name="not_unique", error="is unique", ignore_na=False)


def unique_key(columns):
    """duplicate_key over the columns of a key (`{name: (kind, identity)}`), judged as
    skewless judges it (not pandera's unique=[...]: see `unique`): normalised values, no row
    with a null in the key, and no check when a column of the key is absent."""

    def check(frame):
        if any(name not in frame.columns for name in columns):
            return True
        keys = [
            [key(cell) for cell in _cells(frame[name], kind)]
            for name, (kind, key) in columns.items()
        ]
        seen, passed = set(), []
        for row in zip(*keys):
            if any(part is None for part in row):
                passed.append(True)
                continue
            passed.append(row not in seen)
            seen.add(row)
        return pd.Series(passed, index=frame.index, dtype=bool)

    return pa.Check(check, name="duplicate_key", error="rows are unique on " + repr(list(columns)))


def rows(low, high):
    def check(frame):
        return (low is None or len(frame) >= low) and (high is None or len(frame) <= high)

    return pa.Check(check, name="row_count", error=f"between {low} and {high} rows")


def absent():
    """unexpected_column: a column of the other environment (only_in)."""
    return pa.Check(lambda series: False, name="unexpected_column", error="is absent")
'''


def identity_call(column: Column) -> str:
    """The runtime's `identity(...)` for a column: a cell as the unique checks compare it."""
    args = [repr(column.type)]
    kwargs = reader_options(column)
    if column.has_fill:
        kwargs["fill"] = literal(column.fill_null)
    if column.map_to is not None:
        kwargs["values"] = repr(column.values)
        kwargs["map_to"] = repr(column.map_to)
    return call("identity", *args, **kwargs)


def pandera_column(column: Column, env: Env | None) -> str:
    """The column's entry in the schema, `'name': pa.Column(...)`: its type and every check
    as skewless judges them, its parser (coerce: true), nullable and required."""
    kind, options = column.type, reader_options(column)
    checks = [call("reads_as", repr(kind), **options)]
    if kind == "integer" and (column.min, column.max) != (None, None):
        lo, hi = int_bounds(column)
        checks.append(f"pa.Check.in_range({lo!r}, {hi!r})")
    if kind == "category" and column.map_to is None:
        checks.append(f"pa.Check.isin({list(column.values)!r})")
    if kind == "string" and (column.min_length, column.max_length) != (None, None):
        checks.append(f"pa.Check.str_length({column.min_length!r}, {column.max_length!r})")
    opts = "{" + ", ".join(f"{k!r}: {v}" for k, v in options.items()) + "}"
    for code, message, test in value_checks(column):
        checks.append(call("holds", repr(kind), opts, repr(code), repr(message), test))
    nullable = column.nullable
    if kind == "float":  # a NaN value in an object column is no null for skewless
        nullable = True
        if not column.nullable:
            checks.append(call("not_null", repr(kind)))
    if column.unique:
        checks.append(call("unique", repr(kind), identity_call(column)))
    args = ["checks=[" + one_a_line(checks, 16) + "\n            ]"]
    if column.coerce and kind not in ("datetime", "date"):
        args.append(f"parsers=[{call('parsed', repr(kind))}]")
    args += [f"nullable={nullable!r}", f"required={column.required_in(env)!r}"]
    if column.description:
        args.append(f"description={column.description!r}")
    inner = "".join(f"\n            {a}," for a in args)
    return f"        {column.name!r}: pa.Column({inner}\n        ),"
