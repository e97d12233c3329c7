"""A request body validated in one step: `RecordValidator.validate_body(body)`.

The general way is `payload.parse_json` then `validate` / `validate_many`. With msgspec
installed, one JSON object goes a faster way first: msgspec decodes it straight into a Struct
compiled from the contract (every column required, each typed, integer and float bounds
checked in C, text kept as text), and the record path's own fast tests finish the text columns.
The fast way only ever *accepts*: anything it cannot vouch for (a missing or unknown key, a
null where none is allowed, a value out of range, a repeated key) goes the
general way, which says why. Whatever it accepts, the general way accepts the same, with the
same normalised values (`tests/test_record.py` proves it on hostile and valid bodies).

Repeated keys: msgspec keeps the last silently. Every `"` of a JSON text that is not escaped
opens or closes a key or a text value, so the text holds exactly 2 such quotes per key and
per text value when no key repeats; a repeated key adds at least 2.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from skewless.dtypes import INT64_MAX, INT64_MIN
from skewless.payload import escaped_quotes, parse_json
from skewless.record import BodyResult, RecordResult, _Slow

if TYPE_CHECKING:
    from skewless.record import RecordValidator, _Plan

_FLOAT_MAX = 1.7976931348623157e308


def validate_body(
    validator: RecordValidator, body: bytes, *, max_bytes: int, max_records: int
) -> BodyResult:
    fast = validator.body_fast
    if fast is False:
        fast = validator.body_fast = _Fast.compile(validator)
    if fast is not None and len(body) <= max_bytes:
        if body.lstrip()[:1] == b"[":  # a micro-batch
            records = fast.many(body, max_records)
            if records is not None:
                return BodyResult(True, [RecordResult(r, ()) for r in records])
        else:
            record = fast(body)
            if record is not None:
                return BodyResult(False, [RecordResult(record, ())])
    payload = parse_json(body, max_bytes=max_bytes, max_records=max_records)
    if not payload.ok:
        return BodyResult(payload.batch, [], payload.violations)
    if payload.batch:
        return BodyResult(True, validator.validate_many(payload.records))
    return BodyResult(False, [validator.validate(payload.records[0])])


class _Fast:
    """One contract's msgspec Struct and what finishes each column after it."""

    def __init__(
        self,
        decode: tuple[Callable[[bytes], Any], Callable[[bytes], list[Any]]],
        astuple: Callable[[Any], tuple[Any, ...]],
        errors: tuple[type[BaseException], ...],
        names: tuple[str, ...],
        posts: tuple[Callable[[Any], Any] | None, ...],
        nullable_text: tuple[int, ...],
        quotes: int,
    ) -> None:
        self.decode, self.decode_many = decode  # one record, a list of them
        self.astuple = astuple
        self.errors = errors
        self.names = names
        self.posts = posts
        # The nullable text values of a decoded record (a tuple, or one value), and the quotes
        # of a record whose text values are all there: 2 per key, 2 per text value.
        self.nulls = operator.itemgetter(*nullable_text) if nullable_text else None
        self.quotes = 2 * len(names) + quotes

    @classmethod
    def compile(cls, validator: RecordValidator) -> _Fast | None:
        try:
            import msgspec
        except ImportError:
            return None
        if validator.contract.extra_columns != "reject":
            return None  # extras to keep or drop: the general way
        plans = validator._plans
        fields = []
        posts: list[Callable[[Any], Any] | None] = []
        nullable_text = []
        texts = 0
        for i, plan in enumerate(plans):
            kind, post = _field(plan, msgspec)
            if kind is None:
                return None
            column = plan.column
            if column.nullable:
                kind = kind | None
            fields.append((f"f{i}", kind))
            if column.type in ("string", "category", "datetime", "date"):
                texts += 1
                if column.nullable:
                    nullable_text.append(i)
            # What finishes the column after msgspec: the record path's fast test (which also
            # turns a null into the column's null value), or nothing.
            posts.append(plan.fast if post is not None or column.nullable else None)
        struct = msgspec.defstruct(
            "Record",
            fields,
            rename={f"f{i}": plan.column.name for i, plan in enumerate(plans)},
            forbid_unknown_fields=True,
        )
        decoder = msgspec.json.Decoder(struct)
        list_decoder = msgspec.json.Decoder(list[struct])  # type: ignore[valid-type]
        astuple = msgspec.structs.astuple
        errors = (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError)

        names = tuple(plan.column.name for plan in plans)
        return cls(
            (decoder.decode, list_decoder.decode),
            astuple,
            errors,
            names,
            tuple(posts),
            tuple(nullable_text),
            2 * texts,
        )

    def __call__(self, body: bytes) -> dict[str, Any] | None:
        """The normalised record, or None: go the general way."""
        try:
            values = self.astuple(self.decode(body))
        except self.errors:
            return None
        quotes = self.quotes
        if self.nulls is not None:  # a null text value has no quotes
            held = self.nulls(values)
            quotes -= 2 * (held.count(None) if type(held) is tuple else held is None)
        if body.count(b'"') - (b"\\" in body and escaped_quotes(body)) != quotes:
            return None  # a repeated key (or a BOM-less oddity): the general way
        try:
            return {
                name: value if post is None else post(value)
                for name, post, value in zip(self.names, self.posts, values)  # noqa: B905 - equal lengths
            }
        except _Slow:
            return None

    def many(self, body: bytes, max_records: int) -> list[dict[str, Any]] | None:
        """A micro-batch's normalised records, or None: go the general way."""
        try:
            decoded = self.decode_many(body)
        except self.errors:
            return None
        if not decoded or len(decoded) > max_records:
            return None  # the general way refuses an empty or oversized list
        astuple, names, posts, nulls = self.astuple, self.names, self.posts, self.nulls
        rows = [astuple(one) for one in decoded]
        quotes = self.quotes * len(rows)
        if nulls is not None:
            for values in rows:
                held = nulls(values)
                quotes -= 2 * (held.count(None) if type(held) is tuple else held is None)
        if body.count(b'"') - (b"\\" in body and escaped_quotes(body)) != quotes:
            return None
        try:
            return [
                {
                    name: value if post is None else post(value)
                    for name, post, value in zip(names, posts, values)  # noqa: B905 - equal lengths
                }
                for values in rows
            ]
        except _Slow:
            return None


def _field(plan: _Plan, msgspec: Any) -> tuple[Any, Callable[[Any], Any] | None]:
    """The Struct field type of a column and the test that finishes it (None: msgspec's
    checks are all of it). (None, None): the column cannot go the fast way."""
    column = plan.column
    if column.type == "integer":
        lo = INT64_MIN if column.min is None else max(INT64_MIN, math.ceil(column.min))
        hi = INT64_MAX if column.max is None else min(INT64_MAX, math.floor(column.max))
        return Annotated[int, msgspec.Meta(ge=lo, le=hi)], None
    if column.type == "float":
        lo_f = -_FLOAT_MAX if column.min is None else column.min
        hi_f = _FLOAT_MAX if column.max is None else column.max
        if float(lo_f) != lo_f or float(hi_f) != hi_f:
            return None, None  # a bound no double holds: msgspec would round it
        return Annotated[float, msgspec.Meta(ge=float(lo_f), le=float(hi_f))], None
    if column.type == "boolean":
        return bool, None
    if column.type == "category" and column.map_to is None:
        # The vocabulary checked in C; values failing another check (none, in practice)
        # are left to the general way.
        known = tuple(v for v in column.values if plan.general(v) == (v, []))
        return (Literal[known], None) if known else (None, None)
    if column.type == "date" and plan.column.nullable is False and not plan.tests:
        # msgspec reads exactly YYYY-MM-DD, a calendar date, as the general way does.
        return dt.date, None
    if column.type in ("string", "category", "datetime", "date"):
        return str, plan.fast
    return None, None
