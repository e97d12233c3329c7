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
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from skewless.contract import UNSET, Column, Contract, Env
from skewless.dtypes import INT64_MAX, INT64_MIN
from skewless.report import REDACTED, escape

if TYPE_CHECKING:
    from collections.abc import Iterator

Bump = Literal["major", "minor", "patch", "none"]
# What the version did between OLD and NEW: `prerelease` is a move between pre-releases of one
# version (2.0.0-rc.1 -> 2.0.0-rc.2, or -> 2.0.0).
VersionBump = Literal["major", "minor", "patch", "prerelease", "none", "downgrade"]

PRODUCERS = "breaking-producers"
CONSUMERS = "breaking-consumers"
COMPATIBLE = "compatible"
CLASSES = (PRODUCERS, CONSUMERS, COMPATIBLE)
_P, _C, _PC = (PRODUCERS,), (CONSUMERS,), (PRODUCERS, CONSUMERS)

# kind -> (classes, bump, why). Breaking kinds need a major bump; compatible ones a minor bump
# (something new is accepted) or a patch bump (nothing any data meets changes).
KINDS: dict[str, tuple[tuple[str, ...], Bump, str]] = {
    # the contract
    "contract_renamed": (_C, "major", "reports, profiles and drift baselines carry the name"),
    "owner_changed": ((COMPATIBLE,), "patch", "documentation only"),
    "description_changed": ((COMPATIBLE,), "patch", "documentation only"),
    "default_timezone_changed": (
        (COMPATIBLE,),
        "patch",
        "a default only; each column whose zone changes is listed on its own",
    ),
    "drift_thresholds_changed": (
        (COMPATIBLE,),
        "patch",
        "monitoring thresholds: no data passes or fails differently",
    ),
    "extra_columns_allow_to_reject": (_P, "major", "producers sending other columns now fail"),
    "extra_columns_drop_to_reject": (_P, "major", "producers sending other columns now fail"),
    "extra_columns_reject_to_allow": (
        _C,
        "major",
        "undeclared, unchecked columns now reach consumers",
    ),
    "extra_columns_drop_to_allow": (
        _C,
        "major",
        "undeclared, unchecked columns now reach consumers",
    ),
    "extra_columns_allow_to_drop": (
        _C,
        "major",
        "undeclared columns consumers received are dropped",
    ),
    "extra_columns_reject_to_drop": (
        (COMPATIBLE,),
        "minor",
        "other columns are now accepted and left out: consumers receive the same columns",
    ),
    # columns as a whole
    "column_added_required": (_P, "major", "data without it now fails"),
    "column_added_optional": ((COMPATIBLE,), "minor", "a new optional column"),
    "extra_column_declared": (
        _P,
        "major",
        "it used to pass unchecked as an extra column: a producer sending it now has its values "
        "checked",
    ),
    "column_removed": (
        _PC,
        "major",
        "consumers lose it, and producers still sending it now fail (extra_columns: reject)",
    ),
    "column_removed_tolerated": (
        _C,
        "major",
        "consumers lose it (producers may still send it: extra_columns allow or drop)",
    ),
    "columns_reordered": (
        _C,
        "major",
        "normalised frames follow the contract's order: a model fed columns by position gets "
        "them swapped",
    ),
    "column_made_required": (_P, "major", "data without it now fails"),
    "column_made_optional": (_C, "major", "data may now lack it: a feature goes missing"),
    "column_forbidden": (_PC, "major", "data holding it now fails, and consumers lose it"),
    "column_allowed": ((COMPATIBLE,), "minor", "data may now hold it (optional)"),
    "required_no_effect": (
        (COMPATIBLE,),
        "patch",
        "only_in decides where the column is required; required is not read",
    ),
    # every column type
    "type_changed": (_PC, "major", "values of the old type fail, consumers receive another type"),
    "nulls_forbidden": (_P, "major", "a null now fails"),
    "nulls_allowed": (_C, "major", "nulls now reach consumers"),
    "fill_null_added": (_C, "major", "nulls, kept or refused before, now become this value"),
    "fill_null_removed": (_C, "major", "nulls now reach consumers as nulls"),
    "fill_null_changed": (_C, "major", "a null becomes another value than in training"),
    "fill_null_statistic_changed": (
        _C,
        "major",
        "the fill is another statistic of training data",
    ),
    "unique_added": (_P, "major", "a repeated value now fails"),
    "unique_removed": (_C, "major", "repeated values now reach consumers (joins fan out)"),
    "coerce_added": (
        (COMPATIBLE,),
        "minor",
        "values of another type are accepted when they convert exactly; consumers receive "
        "the column's type",
    ),
    "coerce_removed": (_P, "major", 'values of another type ("42") now fail'),
    "pii_changed": ((COMPATIBLE,), "patch", "redaction in reports only"),
    # integer and float
    "min_raised": (_P, "major", "values below the new min now fail"),
    "min_lowered": (_C, "major", "values below the old min now reach consumers"),
    "max_lowered": (_P, "major", "values above the new max now fail"),
    "max_raised": (_C, "major", "values above the old max now reach consumers"),
    "nan_forbidden": (_P, "major", "a NaN now fails"),
    "nan_allowed": (_C, "major", "NaN now reaches consumers"),
    "inf_forbidden": (_P, "major", "an infinity now fails"),
    "inf_allowed": (_C, "major", "infinities now reach consumers"),
    # category
    "category_value_added": (_C, "major", "a value the model never saw"),
    "category_value_removed": (_P, "major", "producers sending them now fail"),
    "category_value_removed_mapped": (
        _C,
        "major",
        "they are accepted but now reach consumers as the map_to value",
    ),
    "category_values_reordered": (
        _C,
        "major",
        "an encoder built from the list's order swaps its indices",
    ),
    "unknown_mapped": (
        _C,
        "major",
        "unseen values, refused before, now reach consumers as the map_to value",
    ),
    "unknown_rejected": (_P, "major", "values outside the list now fail"),
    "map_to_changed": (_C, "major", "unseen values reach consumers as another value"),
    # string
    "pattern_added": (_P, "major", "values that do not match now fail"),
    "pattern_removed": (_C, "major", "values of any shape now reach consumers"),
    "pattern_changed": (
        _PC,
        "major",
        "values of the old shape may fail, values of a new shape may reach consumers",
    ),
    "max_length_lowered": (_P, "major", "longer values now fail"),
    "max_length_raised": (_C, "major", "longer values now reach consumers"),
    "min_length_raised": (_P, "major", "shorter values now fail"),
    "min_length_lowered": (_C, "major", "shorter values now reach consumers"),
    "charset_narrowed": (_P, "major", "characters outside the new charset now fail"),
    "charset_widened": (_C, "major", "characters the old charset refused now reach consumers"),
    "control_characters_forbidden": (_P, "major", "a control character now fails"),
    "control_characters_allowed": (_C, "major", "control characters (NUL...) now reach consumers"),
    # datetime
    "timezone_changed": (_C, "major", "values are converted into another zone"),
    "timezone_changed_strict": (
        _PC,
        "major",
        "values in the old zone (other_zones: reject), or naive wall times the new zone skips or "
        "repeats at a DST change (naive: assume), now fail; the rest arrive in another zone",
    ),
    "naive_assumed": (
        _C,
        "major",
        "naive values, refused before, are now read as wall time in the column's zone",
    ),
    "naive_rejected": (_P, "major", "naive values now fail"),
    "other_zones_rejected": (_P, "major", "values written in another zone now fail"),
    "other_zones_converted": (
        (COMPATIBLE,),
        "minor",
        "values in other zones are accepted, converted: consumers receive the column's zone",
    ),
    "cadence_added": (_P, "major", "irregularly spaced data now fails"),
    "cadence_removed": (_C, "major", "data at any spacing now reaches consumers"),
    "cadence_changed": (
        _PC,
        "major",
        "data at the old spacing fails, consumers receive another spacing",
    ),
    # table checks
    "unique_key_added": (_P, "major", "rows repeating the key now fail"),
    "unique_key_removed": (_C, "major", "rows repeating the key now reach consumers"),
    "rows_min_raised": (_P, "major", "smaller tables now fail"),
    "rows_min_lowered": (_C, "major", "smaller tables (an empty extract) now reach consumers"),
    "rows_max_lowered": (_P, "major", "larger tables now fail"),
    "rows_max_raised": (_C, "major", "larger tables now reach consumers"),
}

_ENV_LABELS: dict[Env | None, str] = {
    "training": "training data",
    "serving": "serving data",
    None: "data checked without an environment",
}
_CHARSET_RANK = {"ascii": 0, "bmp": 1, "unicode": 2}


class _Redacted:
    """A pii column's fill value, in messages and in JSON."""

    def __str__(self) -> str:
        return REDACTED


_SECRET = _Redacted()


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between the contracts: its kind, column (None: the contract or table),
    the old and new values (plain JSON values), its classes and a one-line message."""

    kind: str
    column: str | None
    old: Any
    new: Any
    classes: tuple[str, ...]
    message: str

    @property
    def bump(self) -> Bump:
        return KINDS[self.kind][1]

    @property
    def breaking(self) -> bool:
        return COMPATIBLE not in self.classes

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "column": self.column,
            "old": self.old,
            "new": self.new,
            "classes": list(self.classes),
            "bump": self.bump,
            "message": self.message,
        }


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


# --- collecting changes ---------------------------------------------------------------------


class _Changes(list[Change]):
    def add(self, kind: str, column: str | None, old: Any, new: Any, what: str) -> None:
        classes, _, why = KINDS[kind]
        self.append(Change(kind, column, _plain(old), _plain(new), classes, f"{what}: {why}"))


def _plain(value: Any) -> Any:
    """A JSON value: tuples as lists, dates as ISO text, UNSET as null."""
    if value is UNSET or value is None:
        return None
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _show(value: Any) -> str:
    """A value as the message shows it: YAML-like, strings quoted and escaped."""
    if value is UNSET or value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return escape(value, 80)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, _Redacted):
        return REDACTED
    return escape(value)


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


def _rules(column: Column) -> Column:
    """A column's rules without its name and prose, to spot a probable rename."""
    return replace(column, name="", line=None, description=None)


def _column_set_changes(out: _Changes, old: Contract, new: Contract) -> None:
    """Columns removed, added (a same-rules pair is probably a rename) and moved."""
    removed = [c for c in old.columns if c.name not in new.column_names]
    added = [c for c in new.columns if c.name not in old.column_names]
    renamed: dict[str, str] = {}  # old name -> new name
    for gone in removed:
        for came in added:
            if came.name not in renamed.values() and _rules(came) == _rules(gone):
                renamed[gone.name] = came.name
                break
    for gone in removed:
        hint = f" (renamed to {_show(renamed[gone.name])}?)" if gone.name in renamed else ""
        kind = "column_removed" if new.extra_columns == "reject" else "column_removed_tolerated"
        out.add(kind, gone.name, gone.type, None, f"column removed{hint}")
    was = {n: o for o, n in renamed.items()}
    for came in added:
        hint = f" (renamed from {_show(was[came.name])}?)" if came.name in was else ""
        required = [env for env in _ENV_LABELS if _presence(came, env) == "required"]
        if required:
            what = f"column added, required in {_where(required)}{hint}"
            out.add("column_added_required", came.name, None, came.type, what)
        elif old.extra_columns != "reject":
            what = f"column added, optional, where extra_columns was {old.extra_columns}{hint}"
            out.add("extra_column_declared", came.name, None, came.type, what)
        else:
            out.add("column_added_optional", came.name, None, came.type, f"column added{hint}")
    # Positions in normalised frames: the common columns' order, and where added ones land.
    before, after = list(old.column_names), list(new.column_names)
    common_before = [n for n in before if n in after]
    common_after = [n for n in after if n in before]
    if common_before != common_after:
        what = f"columns {_show(common_before)} -> {_show(common_after)}"
        out.add("columns_reordered", None, common_before, common_after, what)
    elif common_after:
        last = after.index(common_after[-1])
        inserted = [c.name for c in added if after.index(c.name) < last]
        if inserted:
            what = f"columns {_show(inserted)} added before existing ones, which move right"
            out.add("columns_reordered", None, before, after, what)


def _where(envs: list[Env | None]) -> str:
    if len(envs) == len(_ENV_LABELS):
        return "all data"
    return ", ".join(_ENV_LABELS[env] for env in envs)


def _presence(column: Column, env: Env | None) -> str:
    """In data of `env`: is the column required, optional or refused?"""
    if not column.allowed_in(env):
        return "refused"
    return "required" if column.required_in(env) else "optional"


_PRESENCE_KINDS = {
    ("optional", "required"): "column_made_required",
    ("refused", "required"): "column_made_required",
    ("required", "optional"): "column_made_optional",
    ("refused", "optional"): "column_allowed",
    ("required", "refused"): "column_forbidden",
    ("optional", "refused"): "column_forbidden",
}
_PRESENCE_WORDS = {
    "column_made_required": "now required in",
    "column_made_optional": "now optional in",
    "column_forbidden": "now refused in",
    "column_allowed": "now allowed in",
}


def _presence_changes(out: _Changes, old: Column, new: Column) -> None:
    keys = []
    if old.required != new.required:
        keys.append(f"required: {_show(old.required)} -> {_show(new.required)}")
    if old.only_in != new.only_in:
        keys.append(f"only_in: {_show(old.only_in)} -> {_show(new.only_in)}")
    if not keys:
        return
    effects: dict[str, list[Env | None]] = {}
    for env in _ENV_LABELS:
        move = (_presence(old, env), _presence(new, env))
        if move[0] != move[1]:
            effects.setdefault(_PRESENCE_KINDS[move], []).append(env)
    before = {"required": old.required, "only_in": old.only_in}
    after = {"required": new.required, "only_in": new.only_in}
    if not effects:
        out.add("required_no_effect", new.name, before, after, ", ".join(keys))
    for kind, envs in effects.items():
        what = f"{', '.join(keys)}: {_PRESENCE_WORDS[kind]} {_where(envs)}"
        out.add(kind, new.name, before, after, what)


def _column_changes(out: _Changes, old: Column, new: Column) -> None:
    name = new.name
    if old.type != new.type:
        out.add("type_changed", name, old.type, new.type, f"type: {old.type} -> {new.type}")
    if old.description != new.description:
        what = f"description: {_show(old.description)} -> {_show(new.description)}"
        out.add("description_changed", name, old.description, new.description, what)
    for key, (turned_on, turned_off) in {
        "nullable": ("nulls_allowed", "nulls_forbidden"),
        "unique": ("unique_added", "unique_removed"),
        "coerce": ("coerce_added", "coerce_removed"),
    }.items():
        before, after = getattr(old, key), getattr(new, key)
        if before != after:
            kind = turned_on if after else turned_off
            out.add(kind, name, before, after, f"{key}: {_show(before)} -> {_show(after)}")
    _fill_changes(out, old, new)
    _presence_changes(out, old, new)
    if old.pii != new.pii:
        out.add("pii_changed", name, old.pii, new.pii, f"pii: {_show(old.pii)} -> {_show(new.pii)}")
    if dict(old.drift) != dict(new.drift):
        before, after = dict(old.drift) or None, dict(new.drift) or None
        what = f"drift: {_show(before)} -> {_show(after)}"
        out.add("drift_thresholds_changed", name, before, after, what)
    if old.type != new.type:
        return  # the type's own keys mean other things now
    if new.type in ("integer", "float"):
        _number_changes(out, old, new)
    elif new.type == "category":
        _category_changes(out, old, new)
    elif new.type == "string":
        _string_changes(out, old, new)
    elif new.type == "datetime":
        _datetime_changes(out, old, new)


def _fill(column: Column, secret: bool) -> tuple[str | None, Any]:
    """(statistic or None, value or UNSET); the value of a pii column is redacted."""
    value = column.fill_null
    if value is not UNSET and secret:
        value = _SECRET
    return column.fill_freeze, value


def _show_fill(fill: tuple[str | None, Any]) -> str:
    statistic, value = fill
    if statistic is None:
        return _show(value)
    return f"{{freeze: {statistic}, value: {'not frozen yet' if value is UNSET else _show(value)}}}"


def _plain_fill(fill: tuple[str | None, Any]) -> Any:
    statistic, value = fill
    return value if statistic is None else {"freeze": statistic, "value": value}


def _fill_changes(out: _Changes, old: Column, new: Column) -> None:
    if (old.fill_freeze, old.fill_null) == (new.fill_freeze, new.fill_null):
        return
    secret = old.pii or new.pii  # a fill may be one person's value: never shown
    before, after = _fill(old, secret), _fill(new, secret)
    has_before = old.has_fill or old.fill_freeze is not None
    has_after = new.has_fill or new.fill_freeze is not None
    what = f"fill_null: {_show_fill(before) if has_before else 'none'} -> "
    what += _show_fill(after) if has_after else "none"
    if not has_before:
        out.add("fill_null_added", new.name, None, _plain_fill(after), what)
    elif not has_after:
        out.add("fill_null_removed", new.name, _plain_fill(before), None, what)
    else:
        kind = (
            "fill_null_changed"
            if old.fill_freeze == new.fill_freeze
            else ("fill_null_statistic_changed")
        )
        out.add(kind, new.name, _plain_fill(before), _plain_fill(after), what)


def _bounds(column: Column) -> tuple[float, float]:
    """min and max as numbers; an absent bound is the type's own limit (compared exactly:
    int64's limits are not floats)."""
    low: float
    high: float
    if column.type == "integer":
        low, high = INT64_MIN, INT64_MAX
    else:
        low, high = -math.inf, math.inf
    return (
        low if column.min is None else column.min,
        high if column.max is None else column.max,
    )


def _number_changes(out: _Changes, old: Column, new: Column) -> None:
    (old_min, old_max), (new_min, new_max) = _bounds(old), _bounds(new)
    name = new.name
    if new_min != old_min:
        kind = "min_raised" if new_min > old_min else "min_lowered"
        out.add(kind, name, old.min, new.min, f"min: {_show(old.min)} -> {_show(new.min)}")
    if new_max != old_max:
        kind = "max_lowered" if new_max < old_max else "max_raised"
        out.add(kind, name, old.max, new.max, f"max: {_show(old.max)} -> {_show(new.max)}")
    for key, (allowed, forbidden) in {
        "allow_nan": ("nan_allowed", "nan_forbidden"),
        "allow_inf": ("inf_allowed", "inf_forbidden"),
    }.items():
        before, after = getattr(old, key), getattr(new, key)
        if before != after:
            kind = allowed if after else forbidden
            out.add(kind, name, before, after, f"{key}: {_show(before)} -> {_show(after)}")


def _category_changes(out: _Changes, old: Column, new: Column) -> None:
    name = new.name
    added = [v for v in new.values if v not in old.values]
    removed = [v for v in old.values if v not in new.values]
    if added:
        was = f" (mapped to {_show(old.map_to)} before)" if old.map_to is not None else ""
        out.add("category_value_added", name, None, added, f"values added {_show(added)}{was}")
    if removed:
        if new.map_to is not None:
            what = f"values removed {_show(removed)}, now mapped to {_show(new.map_to)}"
            out.add("category_value_removed_mapped", name, removed, None, what)
        else:
            what = f"values removed {_show(removed)}"
            out.add("category_value_removed", name, removed, None, what)
    if not added and not removed and old.values != new.values:
        what = f"values {_show(old.values)} -> {_show(new.values)}"
        out.add("category_values_reordered", name, old.values, new.values, what)
    if old.map_to != new.map_to:
        what = f"unknown: {_unknown(old)} -> {_unknown(new)}"
        if old.map_to is None:
            kind = "unknown_mapped"
        elif new.map_to is None:
            kind = "unknown_rejected"
        else:
            kind = "map_to_changed"
        out.add(kind, name, old.map_to, new.map_to, what)


def _unknown(column: Column) -> str:
    return "reject" if column.map_to is None else f"{{map_to: {_show(column.map_to)}}}"


def _string_changes(out: _Changes, old: Column, new: Column) -> None:
    name = new.name
    if old.pattern != new.pattern:
        what = f"pattern: {_show(old.pattern)} -> {_show(new.pattern)}"
        if old.pattern is None:
            kind = "pattern_added"
        elif new.pattern is None:
            kind = "pattern_removed"
        else:
            kind = "pattern_changed"
        out.add(kind, name, old.pattern, new.pattern, what)
    old_hi = math.inf if old.max_length is None else old.max_length
    new_hi = math.inf if new.max_length is None else new.max_length
    if old_hi != new_hi:
        kind = "max_length_lowered" if new_hi < old_hi else "max_length_raised"
        what = f"max_length: {_show(old.max_length)} -> {_show(new.max_length)}"
        out.add(kind, name, old.max_length, new.max_length, what)
    old_lo, new_lo = old.min_length or 0, new.min_length or 0
    if old_lo != new_lo:
        kind = "min_length_raised" if new_lo > old_lo else "min_length_lowered"
        what = f"min_length: {_show(old.min_length)} -> {_show(new.min_length)}"
        out.add(kind, name, old.min_length, new.min_length, what)
    if old.charset != new.charset:
        wider = _CHARSET_RANK[new.charset] > _CHARSET_RANK[old.charset]
        kind = "charset_widened" if wider else "charset_narrowed"
        what = f"charset: {old.charset} -> {new.charset}"
        out.add(kind, name, old.charset, new.charset, what)
    if old.allow_control != new.allow_control:
        kind = "control_characters_allowed" if new.allow_control else "control_characters_forbidden"
        what = f"allow_control: {_show(old.allow_control)} -> {_show(new.allow_control)}"
        out.add(kind, name, old.allow_control, new.allow_control, what)


def _cadence(column: Column) -> tuple[int, frozenset[str]] | None:
    from skewless.loader import duration_us

    if column.cadence is None:
        return None
    return duration_us(column.cadence), frozenset(column.cadence_by)


def _show_cadence(column: Column) -> str:
    if column.cadence is None:
        return "none"
    if not column.cadence_by:
        return column.cadence
    return f"{{every: {column.cadence}, by: {_show(column.cadence_by)}}}"


def _datetime_changes(out: _Changes, old: Column, new: Column) -> None:
    name = new.name
    if old.timezone != new.timezone:
        strict = new.other_zones == "reject" or old.naive == new.naive == "assume"
        kind = "timezone_changed_strict" if strict else "timezone_changed"
        what = f"timezone: {old.timezone} -> {new.timezone}"
        if new.naive == "assume":
            what += f" (naive values are now read as {new.timezone} wall time)"
        out.add(kind, name, old.timezone, new.timezone, what)
    if old.naive != new.naive:
        kind = "naive_assumed" if new.naive == "assume" else "naive_rejected"
        out.add(kind, name, old.naive, new.naive, f"naive: {old.naive} -> {new.naive}")
    if old.other_zones != new.other_zones:
        kind = "other_zones_rejected" if new.other_zones == "reject" else "other_zones_converted"
        what = f"other_zones: {old.other_zones} -> {new.other_zones}"
        out.add(kind, name, old.other_zones, new.other_zones, what)
    before, after = _cadence(old), _cadence(new)
    if before != after:
        if before is None:
            kind = "cadence_added"
        elif after is None:
            kind = "cadence_removed"
        else:
            kind = "cadence_changed"
        shown_old, shown_new = _show_cadence(old), _show_cadence(new)
        plain_old = None if old.cadence is None else {"every": old.cadence, "by": old.cadence_by}
        plain_new = None if new.cadence is None else {"every": new.cadence, "by": new.cadence_by}
        out.add(kind, name, plain_old, plain_new, f"cadence: {shown_old} -> {shown_new}")


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


# --- the version ------------------------------------------------------------------------------

_SEMVER = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?")
_ORDER: dict[str, int] = {"none": 0, "patch": 1, "minor": 2, "major": 3}


def _precedence(version: str) -> tuple[int, int, int, tuple[Any, ...]]:
    """Semver precedence (section 11): a release above its pre-releases, numeric identifiers
    below alphanumeric ones and compared as numbers; build metadata ignored."""
    match = _SEMVER.fullmatch(version)
    if match is None:
        raise ValueError(f"{version!r} is not a semantic version")
    major, minor, patch, pre = match.groups()
    if pre is None:
        rank: tuple[Any, ...] = (1,)
    else:
        ids = [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")]
        rank = (0, *ids)
    return int(major), int(minor), int(patch), rank


def version_bump(old: str, new: str) -> VersionBump:
    """What `old -> new` is: a major, minor or patch bump, a move between pre-releases of one
    version, no change (build metadata does not count), or a step back."""
    before, after = _precedence(old), _precedence(new)
    if after < before:
        return "downgrade"
    if after == before:
        return "none"
    if after[0] > before[0]:
        return "major"
    if after[1] > before[1]:
        return "minor"
    if after[2] > before[2]:
        return "patch"
    return "prerelease"


def _required(changes: tuple[Change, ...]) -> Bump:
    return max((c.bump for c in changes), key=_ORDER.__getitem__, default="none")


def _next(version: str, required: Bump) -> str:
    major, minor, patch, _ = _precedence(version)
    if required == "major" and major == 0:
        return f"0.{minor + 1}.0" if minor else f"0.0.{patch + 1}"
    if required == "major":
        return f"{major + 1}.0.0"
    if required == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def _judge(
    changes: tuple[Change, ...], required: Bump, bump: VersionBump, old: str, new: str
) -> tuple[bool, str]:
    """(ok, verdict). Below 1.0.0 a minor bump may break, and below 0.1.0 any bump may (the
    caret ranges of Cargo and npm read 0.y.z so): docs/diff.md says why."""
    step = f"{old} -> {new}"
    if bump == "downgrade":
        return False, f"the version goes backwards, {step} (are OLD and NEW swapped?)"
    if not changes:
        return True, "no change" + ("" if bump == "none" else f" ({step})")
    if bump == "none":
        return False, f"the contract changed but its version did not: try {_next(old, required)}"
    if bump == "prerelease":
        return True, f"{step} moves between pre-releases of one version, which may change anything"
    major, minor, _, _ = _precedence(old)
    if required == "major":
        if bump == "major":
            return True, f"breaking changes, and {step} is a major bump"
        if major == 0 and (minor == 0 or bump == "minor"):
            return True, f"breaking changes, and {step} is a {bump} bump: below 1.0.0 it may break"
        need = "a major" if major else "a minor"
        return False, (
            f"breaking changes need {need} version bump, and {step} is a {bump} bump: "
            f"try {_next(old, required)}"
        )
    if required == "minor" and bump == "patch" and major:
        return True, f"additions, and {step} is a patch bump (semver asks for a minor one)"
    what = "additions" if required == "minor" else "compatible changes"
    return True, f"{what}, and {step} is a {bump} bump"


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
