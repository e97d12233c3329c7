"""What a validation found: `Violation`s gathered in a `Report`.

A batch run can find millions of violations, so a Report keeps them as blocks (one code, one
column, one message, an array of row positions) and builds `Violation` objects only when asked,
in a stable order: table and column findings first, then by row, then by column.

Values are shown escaped (`escape`): a NUL is `'a\\x00b'`, an ANSI escape is `'\\x1b[31m'`, a
right-to-left override is `'\\u202e'`; never raw in a terminal, a log or a JSON body. Columns
marked `pii: true` show `<redacted>` instead.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from skewless.errors import Code, ViolationError

if TYPE_CHECKING:
    import numpy as np

REDACTED = "<redacted>"
_ASTRAL = re.compile(r"[\U00010000-\U0010FFFF]")
VALUE_LIMIT = 80


def escape(value: Any, limit: int = VALUE_LIMIT) -> str:
    """A value as safe, printable text: control and invisible characters escaped, truncated."""
    if isinstance(value, str):
        shown = value if len(value) <= limit else value[:limit]
        # repr escapes controls, surrogates and invisible format characters (bidi, zero-width);
        # 4-byte characters are escaped too, they are what breaks downstream engines.
        text = _ASTRAL.sub(lambda m: f"\\U{ord(m.group()):08x}", repr(shown))
        if len(value) > limit:
            text += f"... ({len(value)} characters)"
        return text
    if isinstance(value, bytes):
        try:  # text read as bytes (CSV cells) shows as text when it is valid UTF-8
            return escape(value.decode("utf-8"), limit)
        except UnicodeDecodeError:
            pass
        shown_b = value if len(value) <= limit else value[:limit]
        text = repr(shown_b)
        if len(value) > limit:
            text += f"... ({len(value)} bytes)"
        return text
    if isinstance(value, tuple):
        return "(" + ", ".join(escape(v, limit) for v in value) + ")"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, bool | int | float) or type(value).__module__ == "numpy":
        return repr(value.item() if hasattr(value, "item") else value)
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def printable(text: str, keep: str = "") -> str:
    """Text with every non-printable character escaped in place (no quotes added)."""
    return "".join(c if c.isprintable() or c in keep else repr(c)[1:-1] for c in text)


def counted(n: int, noun: str) -> str:
    """'1 violation', '2 violations'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def escape_name(name: str) -> str:
    """A column name as printable text (names from data files can hold anything)."""
    return name if name.isprintable() and len(name) <= 200 else escape(name, 200)


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: which code, which column, which row, what value (escaped), why."""

    code: str
    column: str | None
    row: int | None
    value: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "column": self.column,
            "row": self.row,
            "value": self.value,
            "message": self.message,
        }


@dataclass(slots=True)
class Block:
    """Many violations sharing code, column and message; rows None means 'not about a row'."""

    code: Code
    column: str | None
    message: str
    rows: np.ndarray | None = None
    values: Callable[[np.ndarray], Sequence[Any]] | None = None  # raw values at given rows
    redact: bool = False
    order: int = 0  # position of the column in the contract, for a stable order

    @property
    def count(self) -> int:
        return 1 if self.rows is None else len(self.rows)


@dataclass(slots=True)
class Report:
    """The outcome of validating one source against one contract."""

    contract: str
    version: str
    source: str
    rows: int
    blocks: list[Block] = field(default_factory=list)
    redact_all: bool = False
    columns: tuple[str, ...] = ()  # the contract's columns, for outputs that list each one

    @property
    def ok(self) -> bool:
        return not self.blocks

    @property
    def counts(self) -> dict[str, int]:
        """Violation code -> number of violations, in the order of the code list."""
        totals: Counter[str] = Counter()
        for block in self.blocks:
            totals[block.code.value] += block.count
        return {code.value: totals[code.value] for code in Code if totals[code.value]}

    @property
    def counts_by_column(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for block in self.blocks:
            per = out.setdefault(block.column or "<table>", {})
            per[block.code.value] = per.get(block.code.value, 0) + block.count
        return out

    @property
    def total(self) -> int:
        return sum(block.count for block in self.blocks)

    @property
    def every_row_fails(self) -> bool:
        """A missing or unexpected column (column-level) fails every row of the source."""
        return any(
            b.rows is None and b.code in (Code.MISSING_COLUMN, Code.UNEXPECTED_COLUMN)
            for b in self.blocks
        )

    def failed_rows(self) -> np.ndarray:
        """Sorted positions of every row with at least one violation (all of them when the
        source's columns do not match the contract)."""
        import numpy as np

        if self.every_row_fails:
            return np.arange(self.rows, dtype=np.int64)
        parts = [b.rows for b in self.blocks if b.rows is not None and len(b.rows)]
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(parts))

    @property
    def rows_failed(self) -> int:
        return len(self.failed_rows())

    def iter_violations(self, limit: int | None = None) -> Iterator[Violation]:
        """Violations in report order, at most `limit` of them, built lazily."""
        import numpy as np

        whole = [b for b in self.blocks if b.rows is None]
        whole.sort(key=lambda b: b.order)
        emitted = 0
        for block in whole:
            if limit is not None and emitted >= limit:
                return
            yield Violation(block.code.value, block.column, None, None, block.message)
            emitted += 1
        row_blocks = [b for b in self.blocks if b.rows is not None and len(b.rows)]
        if not row_blocks:
            return
        rows = np.concatenate([b.rows for b in row_blocks if b.rows is not None])
        which = np.concatenate(
            [np.full(b.count, i, dtype=np.int64) for i, b in enumerate(row_blocks)]
        )
        orders = np.asarray([b.order for b in row_blocks], dtype=np.int64)[which]
        sequence = np.lexsort((which, orders, rows))
        remaining = None if limit is None else max(limit - emitted, 0)
        if remaining is not None:
            sequence = sequence[:remaining]
        picked_rows, picked_blocks = rows[sequence], which[sequence]
        # Fetch the raw values block by block, only for the violations shown.
        shown: dict[int, dict[int, str | None]] = {}
        for i in np.unique(picked_blocks).tolist():
            block = row_blocks[i]
            at = picked_rows[picked_blocks == i]
            if block.values is not None and (block.redact or self.redact_all):
                shown[i] = dict.fromkeys(at.tolist(), REDACTED)
            elif block.values is not None:
                raw = block.values(at)
                shown[i] = {r: escape(v) for r, v in zip(at.tolist(), raw, strict=True)}
            else:
                shown[i] = {}
        for row, i in zip(picked_rows.tolist(), picked_blocks.tolist(), strict=True):
            block = row_blocks[i]
            yield Violation(block.code.value, block.column, row, shown[i].get(row), block.message)

    @property
    def violations(self) -> list[Violation]:
        return list(self.iter_violations())

    def summary(self) -> str:
        if self.ok:
            return f"{self.source}: {self.rows} rows pass {self.contract} {self.version}"
        counts = ", ".join(f"{code} x{n}" for code, n in self.counts.items())
        return (
            f"{self.source}: {counted(self.total, 'violation')} in {self.rows_failed} of "
            f"{self.rows} rows "
            f"against {self.contract} {self.version}: {counts}"
        )

    def raise_for_violations(self) -> None:
        """Raise `ViolationError` if anything failed, like httpx's `raise_for_status()`."""
        if not self.ok:
            raise ViolationError(self, self.summary())

    def to_dict(self, max_violations: int | None = 1000) -> dict[str, Any]:
        """The stable JSON document (docs/cli.md, 'JSON report')."""
        violations = [v.to_dict() for v in self.iter_violations(max_violations)]
        return {
            "contract": self.contract,
            "version": self.version,
            "source": self.source,
            "ok": self.ok,
            "rows": self.rows,
            "rows_failed": self.rows_failed,
            "counts": self.counts,
            "counts_by_column": self.counts_by_column,
            "violations": violations,
            "truncated": len(violations) < self.total,
        }
