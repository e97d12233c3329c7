"""Each kind of contract change, whom it breaks and the semver bump it needs; and the version check.

    >>> from skewless.diff_kinds import KINDS, version_bump
    >>> classes, bump, why = KINDS["min_raised"]   # ('breaking-producers',), 'major', ...
    >>> version_bump("1.2.0", "2.0.0-rc.1")          # 'major'

One row per kind, so a kind's classes, bump and reason are read in one place: docs/diff.md holds
the same table, and a test ties the two. A `Change` is recorded from its row (`_Changes.add`),
its values kept as plain JSON and shown escaped in its message. The version check reads 0.y.z
as Cargo and npm's caret ranges do: below 1.0.0 a minor bump may break, and below 0.1.0 any bump
may. The comparison that finds the changes is `skewless.diff`, which re-exports the public names.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

from skewless.contract import UNSET
from skewless.report import REDACTED, escape

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


# --- recording a change -------------------------------------------------------------------------


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
    "Bump",
    "Change",
    "VersionBump",
    "version_bump",
]
