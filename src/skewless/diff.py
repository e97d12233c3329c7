"""Two versions of a contract compared: every change, whom it breaks, and the version bump it needs.

    >>> from skewless.diff import diff
    >>> result = diff(load_contract("old.yaml"), load_contract("new.yaml"))
    >>> result.ok, result.required, result.bump     # False, 'major', 'minor'
    >>> [(c.kind, c.column, c.classes) for c in result.changes]

A change *breaks producers* when data they write correctly today may fail tomorrow (a rule got
tighter), and *breaks consumers* when what they receive may differ (a rule got looser, or the
normalisation changed). A trained model is a consumer: a category it never saw, a value past the
range it was trained on, another fill value or another time zone are skew, not progress. A
change may break both; the others are *compatible*, additive (a minor bump) or documentation
(a patch bump). `KINDS` lists every kind with its classes; docs/diff.md explains each.

The version check follows semver, reading 0.y.z as Cargo and npm's caret ranges do: below
1.0.0 a minor bump may break (and below 0.1.0 any bump may).

Here: the comparison, key by key, of the contract's own keys and its table checks. The columns
are compared in `skewless.diff_columns`; the table of kinds, `Change` and the version check live
in `skewless.diff_kinds` (re-exported here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from skewless.contract import Contract
from skewless.diff_columns import _column_changes, _column_set_changes
from skewless.diff_kinds import (
    CLASSES,
    COMPATIBLE,
    CONSUMERS,
    KINDS,
    PRODUCERS,
    Bump,
    Change,
    VersionBump,
    _Changes,
    _judge,
    _required,
    _show,
    version_bump,
)

if TYPE_CHECKING:
    from collections.abc import Iterator


@dataclass(frozen=True, slots=True)
class Diff:
    """Every change from `old` to `new`, and whether the new version number says enough."""

    old: Contract = field(repr=False)
    new: Contract = field(repr=False)
    changes: tuple[Change, ...]
    required: Bump  # the least bump the changes need under plain semver
    bump: VersionBump  # what OLD.version -> NEW.version is
    ok: bool
    verdict: str  # one line: why ok or not

    def __iter__(self) -> Iterator[Change]:
        return iter(self.changes)

    def __len__(self) -> int:
        return len(self.changes)

    @property
    def counts(self) -> dict[str, int]:
        """Changes per class (a change breaking both sides counts in both)."""
        return {cls: sum(cls in c.classes for c in self.changes) for cls in CLASSES}

    def to_dict(self) -> dict[str, Any]:
        """The `--format json` document (docs/diff.md)."""

        def side(contract: Contract) -> dict[str, Any]:
            return {
                "contract": contract.name,
                "version": contract.version,
                "source": contract.source,
            }

        return {
            "old": side(self.old),
            "new": side(self.new),
            "ok": self.ok,
            "required_bump": self.required,
            "version_bump": self.bump,
            "verdict": self.verdict,
            "counts": self.counts,
            "changes": [c.to_dict() for c in self.changes],
        }


def diff(old: Contract, new: Contract) -> Diff:
    """Compare two contracts key by key and check the version bump against the changes."""
    changes = _Changes()
    _contract_changes(changes, old, new)
    _column_set_changes(changes, old, new)
    new_columns = {c.name: c for c in new.columns}
    for column in old.columns:
        if column.name in new_columns:
            _column_changes(changes, column, new_columns[column.name])
    _table_changes(changes, old, new)
    found = tuple(changes)
    required = _required(found)
    bump = version_bump(old.version, new.version)
    ok, verdict = _judge(found, required, bump, old.version, new.version)
    return Diff(old, new, found, required, bump, ok, verdict)


# --- the contract's own keys and its table checks ----------------------------------------------


def _contract_changes(out: _Changes, old: Contract, new: Contract) -> None:
    if old.name != new.name:
        out.add("contract_renamed", None, old.name, new.name, f"contract: {old.name} -> {new.name}")
    for key in ("owner", "description"):
        before, after = getattr(old, key), getattr(new, key)
        if before != after:
            kind = "owner_changed" if key == "owner" else "description_changed"
            out.add(kind, None, before, after, f"{key}: {_show(before)} -> {_show(after)}")
    if old.timezone != new.timezone:
        what = f"timezone: {_show(old.timezone)} -> {_show(new.timezone)}"
        out.add("default_timezone_changed", None, old.timezone, new.timezone, what)
    if old.extra_columns != new.extra_columns:
        kind = f"extra_columns_{old.extra_columns}_to_{new.extra_columns}"
        what = f"extra_columns: {old.extra_columns} -> {new.extra_columns}"
        out.add(kind, None, old.extra_columns, new.extra_columns, what)
    if dict(old.drift) != dict(new.drift):
        before, after = dict(old.drift), dict(new.drift)
        what = f"drift: {_show(before or None)} -> {_show(after or None)}"
        out.add("drift_thresholds_changed", None, before or None, after or None, what)


def _table_changes(out: _Changes, old: Contract, new: Contract) -> None:
    old_keys = {frozenset(k): k for k in old.checks.unique}
    new_keys = {frozenset(k): k for k in new.checks.unique}
    for key, columns in new_keys.items():
        if key not in old_keys:
            what = f"checks.unique: key {_show(columns)} added"
            out.add("unique_key_added", None, None, columns, what)
    for key, columns in old_keys.items():
        if key not in new_keys:
            what = f"checks.unique: key {_show(columns)} removed"
            out.add("unique_key_removed", None, columns, None, what)
    o, n = old.checks, new.checks
    if (o.rows_min or 0) != (n.rows_min or 0):
        kind = "rows_min_raised" if (n.rows_min or 0) > (o.rows_min or 0) else "rows_min_lowered"
        what = f"checks.rows.min: {_show(o.rows_min)} -> {_show(n.rows_min)}"
        out.add(kind, None, o.rows_min, n.rows_min, what)
    old_max = math.inf if o.rows_max is None else o.rows_max
    new_max = math.inf if n.rows_max is None else n.rows_max
    if old_max != new_max:
        kind = "rows_max_lowered" if new_max < old_max else "rows_max_raised"
        what = f"checks.rows.max: {_show(o.rows_max)} -> {_show(n.rows_max)}"
        out.add(kind, None, o.rows_max, n.rows_max, what)


__all__ = [
    "CLASSES",
    "COMPATIBLE",
    "CONSUMERS",
    "KINDS",
    "PRODUCERS",
    "Change",
    "Diff",
    "diff",
    "version_bump",
]
