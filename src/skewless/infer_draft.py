"""The draft contract's YAML text, written from what `skewless infer` saw in each column.

    >>> result = draft(source, "user_events", states, rows, read, malformed, sample_rows=None)
    >>> print(result.text)      # contract: user_events ... every key commented for review

Every key is written with a comment saying what it was guessed from (a range seen, the values
seen, the zone values carried), so a reviewer widens what was seen to what is valid; `unique`
is only ever suggested in a comment. Rows and columns the draft cannot accept (malformed
records, values no type reads, names no contract can declare) are said plainly as warnings at
the top. Column names, category values and zones are written by `skewless.yaml_dialect.scalar`:
plain where that is safe, else double-quoted, read back as exactly that text. Split from
`skewless.infer`, which reads the source; `skewless.infer_columns` finds each column's type and
statistics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from skewless.contract import ColumnType
from skewless.errors import InputError
from skewless.infer_columns import UNUSABLE_NAME
from skewless.loader import MAX_CONTRACT_BYTES
from skewless.report import escape, printable
from skewless.yaml_dialect import scalar

if TYPE_CHECKING:
    from skewless.infer_columns import ColumnState, Seen
    from skewless.io import Source

VERSION = "0.1.0"
UNIQUE_MIN = 10  # fewer values than this say nothing about uniqueness
_UTC_OFFSETS = {"Z", "+00:00", "+0000", "-00:00", "-0000"}


@dataclass(frozen=True, slots=True)
class Inferred:
    """A draft contract: its YAML text, and what was read to make it."""

    text: str
    name: str
    source: str
    rows: int
    columns: int
    warnings: tuple[str, ...]  # rows or columns the draft cannot accept, said plainly


@dataclass(slots=True)
class _Lines:
    """A column's YAML lines as (text, comment) pairs, indented by the writer."""

    lines: list[tuple[str, str]] = field(default_factory=list)

    def add(self, text: str, comment: str = "") -> None:
        self.lines.append((text, comment))


def draft(
    source: Source,
    name: str,
    states: dict[str, ColumnState],
    rows: int,
    read: int,
    malformed: int,
    sample_rows: int | None,
) -> Inferred:
    """The draft for what was seen in `rows` rows (`read` records and `malformed` ones), the
    first `sample_rows` when sampled. Raises `InputError` when no column can be declared, or when
    the draft would be larger than a contract may be."""
    where = "a DataFrame" if source.name == "<DataFrame>" else printable(source.name)[:300]
    seen_rows = _n(rows, "row").replace(" ", "\u00a0")  # kept on one line by the wrapping
    sampled = sample_rows is not None and rows >= sample_rows
    warnings: list[str] = []
    if malformed:
        warnings.append(
            f"{malformed:,} of {_n(rows, 'row')} could not be read as records (malformed_input): "
            "no contract accepts them"
        )
    body: list[str] = []
    declared = 0
    for state in states.values():
        if state.name == "" or UNUSABLE_NAME.search(state.name):
            shown = escape(state.name)
            warnings.append(
                f"column {shown}: a contract cannot declare a name that is empty or holds a "
                "control character; the data fails with unexpected_column until it is renamed"
            )
            body.append(f"  # {shown}: not declared: its name is empty or holds a control")
            body.append("  #   character, which no contract can name (rename it upstream)")
            continue
        lines, warning = _column_lines(state, read)
        if warning:
            warnings.append(f"column {escape(state.name)}: {warning}")
        body.extend(_key_lines(state.name))
        body.extend(_aligned(lines.lines, "    "))
        declared += 1
    if not declared:
        raise InputError(
            source.name,
            "has no column a contract can declare (names are empty or hold control characters)",
        )
    intro = (
        f"A draft contract inferred by `skewless infer` from {where} "
        f"({'the first ' if sampled else ''}{seen_rows}). Every key is a guess from those rows: "
        "review each one, and widen ranges and vocabularies to what is valid rather than what "
        "was seen."
    )
    if sampled:
        intro += " Only a sample was read: later rows may break this draft."
    header = _wrapped(intro)
    for warning in warnings:
        header += _wrapped(f"warning: {printable(warning)}")
    top = _aligned(
        [
            (f"contract: {name}", ""),
            (f"version: {VERSION}", "a draft: give it its real version when reviewed"),
            ("extra_columns: reject", "a column the data gains later is a violation"),
            ("columns:", ""),
        ],
        "",
    )
    text = "\n".join(header + top + body) + "\n"
    size = len(text.encode("utf-8"))
    if size > MAX_CONTRACT_BYTES:
        raise InputError(
            source.name,
            f"the draft would be {size:,} bytes, over the {MAX_CONTRACT_BYTES:,} a contract may "
            "hold (long column names or vocabularies: try a lower --max-categories)",
        )
    return Inferred(text, name, source.name, rows, declared, tuple(warnings))


def _column_lines(state: ColumnState, read: int) -> tuple[_Lines, str]:
    """A column's keys and their comments, and a warning when some values read as no type."""
    out = _Lines()
    rows = read
    chosen = state.leader
    assert chosen is not None
    warning = ""
    if chosen.failed:
        warning = (
            f"{_n(chosen.failed, 'value')} read as no column type ({printable(chosen.failure)}); "
            "the draft rejects them"
        )
    if chosen.present == 0 and not chosen.failed:
        _no_values(state, out, rows)
    else:
        _typed_lines(state, chosen, out, rows, warning)
    nulls = chosen.nulls - state.absent_in
    if nulls:
        out.add("nullable: true", f"nulls in {nulls:,} of {_n(rows, 'row')}")
    elif state.absent:
        out.add("nullable: true", "a record without the key reads as null")
    if state.absent:
        out.add("required: false", f"absent from {state.absent:,} of {_n(rows, 'record')}")
    distinct = chosen.distinct
    if (
        chosen.column.type != "category"
        and distinct is not None
        and distinct.state == "unique"
        and chosen.present >= UNIQUE_MIN
    ):
        out.add(
            "# unique: true",
            f"suggested, not set: the {chosen.present:,} values seen are all distinct",
        )
    return out, warning


def _no_values(state: ColumnState, out: _Lines, rows: int) -> None:
    """A column with nulls only: its own type in a typed source, else string."""
    import pyarrow as pa

    kind: ColumnType = "string"
    t = state.source_type
    if t is not None:
        for test, named in (
            (pa.types.is_boolean, "boolean"),
            (pa.types.is_integer, "integer"),
            (pa.types.is_floating, "float"),
            (pa.types.is_date, "date"),
            (pa.types.is_timestamp, "datetime"),
        ):
            if test(t):
                kind = named  # type: ignore[assignment]
    chosen = next(s for s in state.tried if s.column.type == kind and not s.column.coerce)
    why = f"the source's type, {t}" if t is not None else "a guess"
    seen = "no rows" if not rows else "no value seen, only nulls"
    out.add(f"type: {kind}", f"{seen}: the type is {why}")
    if kind == "datetime":
        zone = chosen.column.timezone or "UTC"
        known = t is not None and t.tz == zone
        out.add(
            f"timezone: {scalar(zone)}",
            "the zone of the source's type" if known else "guessed: set the zone values carry",
        )


def _typed_lines(state: ColumnState, seen: Seen, out: _Lines, rows: int, warning: str) -> None:
    column = seen.column
    kind = column.type
    guessed_range = f"guessed: the range seen in {_n(rows, 'row')}; widen it to what is valid"
    if kind == "string" and not column.coerce and not warning:
        vocabulary = seen.vocabulary
        if vocabulary and len(vocabulary) * 2 <= seen.present:
            out.add("type: category", f"{len(vocabulary)} distinct values in {_n(rows, 'row')}")
            items = [scalar(v) for v in sorted(vocabulary)]
            comment = "guessed: the values seen; add the valid ones that were not"
            flow = "[" + ", ".join(items) + "]"
            if len(flow) <= 80:
                out.add(f"values: {flow}", comment)
            else:
                out.add("values:", comment)
                for item in items:
                    out.add(f"  - {item}")
            return
    comment = warning
    if kind in ("date", "datetime") and seen.low is not None:
        comment = f"seen from {_iso(seen.low)} to {_iso(seen.high)}"
    if column.coerce:
        comment = "values of several types: numbers are read as their text (coerce)"
    out.add(f"type: {'string' if column.coerce else kind}", comment)
    if kind == "datetime":
        _zone_lines(seen, out)
    elif kind in ("integer", "float") and seen.low is not None:
        low, high = _number(seen.low), _number(seen.high)
        if not seen.minus_inf:
            out.add(f"min: {low}", guessed_range)
        if not seen.plus_inf:
            out.add(f"max: {high}", "" if not seen.minus_inf else guessed_range)
    if seen.nans:
        out.add("allow_nan: true", f"NaN in {_n(seen.nans, 'row')}")
    if seen.plus_inf or seen.minus_inf:
        signs = " and ".join(
            s for s, on in (("-inf", seen.minus_inf), ("+inf", seen.plus_inf)) if on
        )
        out.add("allow_inf: true", f"{signs} seen, so no bound on that side")
    if kind == "string" and seen.longest > 0:
        out.add(
            f"max_length: {seen.longest}",
            "guessed: the longest value seen (in characters); allow for longer ones",
        )
    if kind == "string" and seen.control:
        out.add(
            "allow_control: true",
            "control characters seen (NUL, ESC, ...): are they meant to be there?",
        )
    if column.coerce:
        out.add("coerce: true")


def _zone_lines(seen: Seen, out: _Lines) -> None:
    column = seen.column
    zone = column.timezone or "UTC"
    arrived = sorted(seen.zones)
    aware = [z for z in arrived if z != "naive"]
    if column.naive == "assume":
        out.add(
            f"timezone: {scalar(zone)}",
            "guessed: values without a zone came; set the zone they were written in",
        )
        mixed = f" ({len(aware)} kinds of aware values came too)" if aware else ""
        out.add("naive: assume", f"values without a zone are read as wall time there{mixed}")
        return
    if zone != "UTC" or aware == ["UTC"]:
        out.add(f"timezone: {scalar(zone)}", "the zone the values carry")
    elif aware and set(aware) <= _UTC_OFFSETS:
        out.add("timezone: UTC", f"the values are in UTC ({', '.join(aware)})")
    else:
        shown = ", ".join(printable(z) for z in aware[:5]) + (", ..." if len(aware) > 5 else "")
        out.add(
            "timezone: UTC",
            f"guessed: the values carry {shown} (offsets or zones); set the zone they mean",
        )


def _n(n: int, noun: str) -> str:
    """'1 row', '1,200 rows'."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _wrapped(text: str) -> list[str]:
    """A comment paragraph, wrapped."""
    import textwrap

    lines = textwrap.wrap(text, 94, break_on_hyphens=False)
    return ["# " + line.replace("\u00a0", " ") for line in lines]


def _iso(value: Any) -> str:
    return str(value.isoformat())


def _number(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    return repr(float(value) if value else 0.0)  # -0.0 is 0.0, whichever a chunk met first


# --- YAML text --------------------------------------------------------------------------------

COMMENT_COLUMN = 36


def _key_lines(name: str) -> list[str]:
    """A column's key: plain or quoted; an explicit key (`? KEY`) past YAML's 1024-character
    limit on implicit keys."""
    key = scalar(name)
    if len(key) > 1000:
        return [f"  ? {key}", "  :"]
    comment = "" if name.isprintable() else "  # its name holds invisible characters, escaped"
    return [f"  {key}:{comment}"]


def _aligned(lines: list[tuple[str, str]], indent: str) -> list[str]:
    out = []
    for text, comment in lines:
        line = indent + text
        if comment:
            line = line.ljust(COMMENT_COLUMN) + "  # " + printable(comment)
        out.append(line)
    return out
