"""The columns of two contract versions compared: which were removed, added (a probable rename
is named) or moved, and each column kept, rule by rule.

Presence is judged per environment (training, serving, none), so one `required` or `only_in`
edit may be several changes. A column whose type changed is compared no further: its type's
keys mean other things now. A pii column's fill value is never shown. Split from
`skewless.diff`, which compares the contract's own keys and its table checks and calls these.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from skewless.contract import UNSET, Column, Contract, Env
from skewless.diff_kinds import _SECRET, _Changes, _show
from skewless.dtypes import INT64_MAX, INT64_MIN

_ENV_LABELS: dict[Env | None, str] = {
    "training": "training data",
    "serving": "serving data",
    None: "data checked without an environment",
}
_CHARSET_RANK = {"ascii": 0, "bmp": 1, "unicode": 2}


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
