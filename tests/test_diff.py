"""`skewless diff`: every kind of change, its classes, the version rules, the formats, hostile input.

`KIND_CASES` is the specification: one row per example of a kind, with the classes it must have.
It must list the same kinds and classes as docs/diff.md's table and as `skewless.diff.KINDS`,
so the three cannot drift apart. The property tests check the classes against the validators
themselves: when `diff` says no producer breaks, every record valid before stays valid.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import skewless
from skewless.diff import CLASSES, COMPATIBLE, CONSUMERS, KINDS, PRODUCERS, diff, version_bump
from tests.cli_run import Run, skewless_cli
from tests.conftest import CONTRACTS, ROOT

DOC = ROOT / "docs" / "diff.md"
P, C, PC, OK = (PRODUCERS,), (CONSUMERS,), (PRODUCERS, CONSUMERS), (COMPATIBLE,)


def doc(
    columns: str = "  x: {type: integer}\n",
    *,
    top: str = "",
    checks: str = "",
    name: str = "t",
    version: str = "1.0.0",
) -> str:
    """A contract's text: column lines (two-space indent), extra top-level lines, checks."""
    text = f"contract: {name}\nversion: {version}\n{top}columns:\n{columns}"
    return text + (f"checks:\n{checks}" if checks else "")


def load(text: str) -> skewless.Contract:
    return skewless.loads_contract(text)


def col(spec: str, name: str = "x") -> str:
    return f"  {name}: {{{spec}}}\n"


X, Y = col("type: integer"), col("type: integer", "y")
T = "type: datetime, timezone: UTC"


def one(spec: str) -> str:
    """A contract of one column `x` with these rules."""
    return doc(col(spec))


TOP_ALLOW, TOP_DROP = "extra_columns: allow\n", "extra_columns: drop\n"
CAT, MAPPED = (
    "type: category, values: [a, z]",
    "type: category, values: [a, z], unknown: {map_to: z}",
)
FILL_37 = "type: integer, nullable: true, fill_null: {freeze: median, value: 37}"

# The specification: (kind, classes, OLD, NEW, other kinds the same edit also produces).
# fmt: off
KIND_CASES: list[tuple[str, tuple[str, ...], str, str, tuple[str, ...]]] = [
    # the contract
    ("contract_renamed", C, doc(), doc(name="u"), ()),
    ("owner_changed", OK, doc(), doc(top="owner: ml-platform\n"), ()),
    ("description_changed", OK, doc(top="description: a\n"), doc(top="description: b\n"), ()),
    ("description_changed", OK, doc(), one("type: integer, description: id"), ()),
    ("default_timezone_changed", OK, doc(top="timezone: UTC\n"), doc(top="timezone: Asia/Tokyo\n"), ()),
    ("drift_thresholds_changed", OK, doc(), doc(top="drift: {ks: 0.1}\n"), ()),
    ("drift_thresholds_changed", OK, doc(), one("type: integer, drift: {psi: 0.3}"), ()),
    ("extra_columns_allow_to_reject", P, doc(top=TOP_ALLOW), doc(), ()),
    ("extra_columns_drop_to_reject", P, doc(top=TOP_DROP), doc(top="extra_columns: reject\n"), ()),
    ("extra_columns_reject_to_allow", C, doc(), doc(top=TOP_ALLOW), ()),
    ("extra_columns_drop_to_allow", C, doc(top=TOP_DROP), doc(top=TOP_ALLOW), ()),
    ("extra_columns_allow_to_drop", C, doc(top=TOP_ALLOW), doc(top=TOP_DROP), ()),
    ("extra_columns_reject_to_drop", OK, doc(), doc(top=TOP_DROP), ()),
    # columns as a whole
    ("column_added_required", P, doc(X), doc(X + Y), ()),
    ("column_added_required", P, doc(X), doc(X + col("type: boolean, only_in: training", "label")), ()),
    ("column_added_optional", OK, doc(X), doc(X + col("type: integer, required: false", "y")), ()),
    ("column_added_optional", OK, doc(X), doc(X + col("type: string, nullable: true, required: false", "y")), ()),
    ("extra_column_declared", P, doc(X, top=TOP_ALLOW), doc(X + col("type: integer, required: false", "y"), top=TOP_ALLOW), ()),
    ("column_removed", PC, doc(X + Y), doc(X), ()),
    ("column_removed_tolerated", C, doc(X + Y, top=TOP_DROP), doc(X, top=TOP_DROP), ()),
    ("column_removed_tolerated", C, doc(X + Y, top=TOP_ALLOW), doc(X, top=TOP_ALLOW), ()),
    ("columns_reordered", C, doc(X + Y), doc(Y + X), ()),
    ("columns_reordered", C, doc(X + Y), doc(X + col("type: string, required: false", "z") + Y), ("column_added_optional",)),
    ("column_made_required", P, one("type: integer, required: false"), doc(X), ()),
    ("column_made_optional", C, doc(X), one("type: integer, required: false"), ()),
    ("column_forbidden", PC, doc(X), one("type: integer, only_in: training"), ("column_made_optional",)),
    ("column_forbidden", PC, one("type: integer, only_in: serving"), one("type: integer, only_in: training"), ("column_made_required",)),
    ("column_allowed", OK, one("type: integer, only_in: training, required: false"), one("type: integer, required: false"), ("column_made_optional",)),
    ("required_no_effect", OK, one("type: integer, only_in: training"), one("type: integer, only_in: training, required: false"), ()),
    # every column type
    ("type_changed", PC, doc(), one("type: float"), ()),
    ("type_changed", PC, one("type: category, values: [a]"), one("type: string"), ()),
    ("nulls_forbidden", P, one("type: integer, nullable: true"), doc(), ()),
    ("nulls_allowed", C, doc(), one("type: integer, nullable: true"), ()),
    ("fill_null_added", C, one("type: integer, nullable: true"), one("type: integer, nullable: true, fill_null: 0"), ()),
    ("fill_null_added", C, one("type: integer, nullable: true"), one("type: integer, nullable: true, fill_null: {freeze: median}"), ()),
    ("fill_null_removed", C, one("type: string, nullable: true, fill_null: ''"), one("type: string, nullable: true"), ()),
    ("fill_null_changed", C, one("type: float, nullable: true, fill_null: 0.0"), one("type: float, nullable: true, fill_null: -1.0"), ()),
    ("fill_null_changed", C, one(FILL_37), one(FILL_37.replace("37", "38")), ()),
    ("fill_null_changed", C, one(f"{T}, nullable: true, fill_null: '2024-01-01T00:00:00Z'"), one(f"{T}, nullable: true, fill_null: '2024-01-01T01:00:00Z'"), ()),
    ("fill_null_statistic_changed", C, one(FILL_37), one(FILL_37.replace("median", "mean")), ()),
    ("fill_null_statistic_changed", C, one("type: integer, nullable: true, fill_null: 37"), one(FILL_37), ()),
    ("unique_added", P, doc(), one("type: integer, unique: true"), ()),
    ("unique_removed", C, one("type: integer, unique: true"), doc(), ()),
    ("coerce_added", OK, doc(), one("type: integer, coerce: true"), ()),
    ("coerce_removed", P, one("type: integer, coerce: true"), doc(), ()),
    ("pii_changed", OK, doc(), one("type: integer, pii: true"), ()),
    # integer and float
    ("min_raised", P, doc(), one("type: integer, min: 0"), ()),
    ("min_raised", P, one("type: float, min: -1.5"), one("type: float, min: 0"), ()),
    ("min_lowered", C, one("type: integer, min: 13"), one("type: integer, min: 0"), ()),
    ("min_lowered", C, one("type: float, min: 0"), one("type: float"), ()),
    ("max_lowered", P, one("type: integer, max: 120"), one("type: integer, max: 99"), ()),
    ("max_raised", C, one("type: integer, max: 120"), one("type: integer, max: 130"), ()),
    ("max_raised", C, one("type: float, max: 1"), one("type: float"), ()),
    ("nan_forbidden", P, one("type: float, allow_nan: true"), one("type: float"), ()),
    ("nan_allowed", C, one("type: float"), one("type: float, allow_nan: true"), ()),
    ("inf_forbidden", P, one("type: float, allow_inf: true"), one("type: float"), ()),
    ("inf_allowed", C, one("type: float"), one("type: float, allow_inf: true"), ()),
    # category
    ("category_value_added", C, one(CAT), one("type: category, values: [a, b, z]"), ()),
    ("category_value_added", C, one(MAPPED), one(MAPPED.replace("[a, z]", "[a, b, z]")), ()),
    ("category_value_removed", P, one("type: category, values: [a, b, z]"), one(CAT), ()),
    ("category_value_removed_mapped", C, one(MAPPED.replace("[a, z]", "[a, b, z]")), one(MAPPED), ()),
    ("category_values_reordered", C, one(CAT), one("type: category, values: [z, a]"), ()),
    ("unknown_mapped", C, one(CAT), one(MAPPED), ()),
    ("unknown_rejected", P, one(MAPPED), one(f"{CAT}, unknown: reject"), ()),
    ("map_to_changed", C, one(MAPPED), one(MAPPED.replace("map_to: z", "map_to: a")), ()),
    # string
    ("pattern_added", P, one("type: string"), one("type: string, pattern: '^[A-Z]{2}$'"), ()),
    ("pattern_removed", C, one("type: string, pattern: '[a-z]+'"), one("type: string"), ()),
    ("pattern_changed", PC, one("type: string, pattern: '[a-z]+'"), one("type: string, pattern: '[a-z0-9]+'"), ()),
    ("max_length_lowered", P, one("type: string"), one("type: string, max_length: 500"), ()),
    ("max_length_raised", C, one("type: string, max_length: 2"), one("type: string, max_length: 3"), ()),
    ("min_length_raised", P, one("type: string"), one("type: string, min_length: 1"), ()),
    ("min_length_lowered", C, one("type: string, min_length: 2"), one("type: string, min_length: 0"), ()),
    ("charset_narrowed", P, one("type: string"), one("type: string, charset: bmp"), ()),
    ("charset_narrowed", P, one("type: string, charset: bmp"), one("type: string, charset: ascii"), ()),
    ("charset_widened", C, one("type: string, charset: ascii"), one("type: string, charset: unicode"), ()),
    ("control_characters_forbidden", P, one("type: string, allow_control: true"), one("type: string"), ()),
    ("control_characters_allowed", C, one("type: string"), one("type: string, allow_control: true"), ()),
    # datetime
    ("timezone_changed", C, one(T), one("type: datetime, timezone: Europe/Paris"), ()),
    ("timezone_changed", C, one("type: datetime").replace("columns:", "timezone: UTC\ncolumns:"), one("type: datetime").replace("columns:", "timezone: America/New_York\ncolumns:"), ("default_timezone_changed",)),
    ("timezone_changed_strict", PC, one(f"{T}, other_zones: reject"), one("type: datetime, timezone: Europe/Paris, other_zones: reject"), ()),
    ("timezone_changed_strict", PC, one(f"{T}, naive: assume"), one("type: datetime, timezone: Europe/Paris, naive: assume"), ()),
    ("naive_assumed", C, one(T), one(f"{T}, naive: assume"), ()),
    ("naive_rejected", P, one(f"{T}, naive: assume"), one(f"{T}, naive: reject"), ()),
    ("other_zones_rejected", P, one(T), one(f"{T}, other_zones: reject"), ()),
    ("other_zones_converted", OK, one(f"{T}, other_zones: reject"), one(T), ()),
    ("cadence_added", P, one(T), one(f"{T}, cadence: 5min"), ()),
    ("cadence_removed", C, one(f"{T}, cadence: 5min"), one(T), ()),
    ("cadence_changed", PC, one(f"{T}, cadence: 5min"), one(f"{T}, cadence: 1h"), ()),
    ("cadence_changed", PC, doc(col(f"{T}, cadence: 5min") + Y), doc(col(f"{T}, cadence: {{every: 5min, by: y}}") + Y), ()),
    # table checks
    ("unique_key_added", P, doc(X + Y), doc(X + Y, checks="  unique: [[x, y]]\n"), ()),
    ("unique_key_removed", C, doc(X + Y, checks="  unique: [[x], [x, y]]\n"), doc(X + Y, checks="  unique: [[y, x]]\n"), ()),
    ("rows_min_raised", P, doc(), doc(checks="  rows: {min: 1}\n"), ()),
    ("rows_min_lowered", C, doc(checks="  rows: {min: 1000}\n"), doc(checks="  rows: {min: 1}\n"), ()),
    ("rows_max_lowered", P, doc(), doc(checks="  rows: {max: 1000000}\n"), ()),
    ("rows_max_raised", C, doc(checks="  rows: {min: 1, max: 10}\n"), doc(checks="  rows: {min: 1}\n"), ()),
]
# fmt: on

# The same meaning written differently: no change at all.
NO_CHANGE_CASES = [
    (doc(col("type: integer, max: 9223372036854775807")), doc()),  # int64's own limit
    (doc(col("type: float, min: 0")), doc(col("type: float, min: 0.0"))),
    (doc(col("type: string, min_length: 0")), doc(col("type: string"))),
    (doc(col(f"{T}, cadence: 1h")), doc(col(f"{T}, cadence: 60min"))),
    (doc(col("type: datetime"), top="timezone: Z\n"), doc(col(T), top="timezone: UTC\n")),
    (doc(X + Y, checks="  unique: [[x, y]]\n"), doc(X + Y, checks="  unique: [[y, x]]\n")),
    (
        doc(col("type: category, values: [a, b], unknown: reject")),
        doc(col("type: category, values: [a, b]")),
    ),
    (doc(top="extra_columns: reject\n"), doc()),
    (doc(col("type: integer, nullable: false, required: true, unique: false")), doc()),
    (doc(), doc(version="1.0.1+build.7")),
]


def kinds_of(old: str, new: str) -> dict[str, tuple[str, ...]]:
    return {c.kind: c.classes for c in diff(load(old), load(new)).changes}


@pytest.mark.parametrize(
    ("kind", "classes", "old", "new", "also"),
    KIND_CASES,
    ids=[f"{row[0]}-{i}" for i, row in enumerate(KIND_CASES)],
)
def test_each_kind_of_change_has_its_classes(
    kind: str, classes: tuple[str, ...], old: str, new: str, also: tuple[str, ...]
) -> None:
    found = kinds_of(old, new)
    assert set(found) == {kind, *also}, found
    assert found[kind] == classes
    result = diff(load(old), load(new))
    breaking = any(c.breaking for c in result.changes)
    assert result.required == ("major" if breaking else KINDS[kind][1])
    assert not result.ok  # the same version on both sides: something changed, nothing bumped


@pytest.mark.parametrize(("old", "new"), NO_CHANGE_CASES)
def test_the_same_rules_written_differently_are_no_change(old: str, new: str) -> None:
    result = diff(load(old), load(new))
    assert result.changes == ()
    assert (result.ok, result.required) == (True, "none")


# --- the table, the docs and the library agree ------------------------------------------------


def _test_table() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for kind, classes, *_ in KIND_CASES:
        assert table.setdefault(kind, classes) == classes, f"{kind}: two classes in KIND_CASES"
    return table


def _doc_table() -> dict[str, tuple[tuple[str, ...], str]]:
    """docs/diff.md's kinds: `| \\`kind\\` | classes | bump | ... |` rows of its kinds table."""
    section = DOC.read_text(encoding="utf-8").split("## Kinds of change", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| ([a-z, -]+) \| (major|minor|patch) \|", section, re.M)
    table: dict[str, tuple[tuple[str, ...], str]] = {}
    for kind, classes, bump in rows:
        assert kind not in table, f"docs/diff.md lists {kind} twice"
        table[kind] = (tuple(c.strip() for c in classes.split(",")), bump)
    return table


def test_the_docs_table_lists_the_same_kinds_and_classes_as_the_tests() -> None:
    documented = _doc_table()
    assert len(documented) >= 40
    assert {k: classes for k, (classes, _) in documented.items()} == _test_table()
    for kind, (classes, bump) in documented.items():
        assert set(classes) <= set(CLASSES), kind
        assert bump == ("major" if COMPATIBLE not in classes else bump), kind


def test_the_library_knows_the_same_kinds_classes_and_bumps() -> None:
    assert {k: classes for k, (classes, _, _) in KINDS.items()} == _test_table()
    assert {k: (classes, bump) for k, (classes, bump, _) in KINDS.items()} == _doc_table()
    for kind, (classes, bump, why) in KINDS.items():
        assert (bump == "major") == (COMPATIBLE not in classes), kind
        assert why, kind
        assert not why.endswith("."), kind  # it ends a message line


# --- every contract in the repository ---------------------------------------------------------

REPO_CONTRACTS = sorted(
    [*CONTRACTS.glob("*.yaml"), *(ROOT / "tests" / "contracts" / "valid").glob("*.yaml")]
)


@pytest.mark.parametrize("path", REPO_CONTRACTS, ids=lambda p: p.name)
def test_a_contract_against_itself_is_no_change(path: Path, tmp_path: Path) -> None:
    contract = skewless.load_contract(path)
    assert diff(contract, contract).changes == ()
    if path.name == "dialect.yaml":
        return  # written to show where PyYAML reads YAML otherwise (`NO`, `=`): no rewrite
    # Rewritten by another YAML writer (no comments, other quoting and layout): the same rules.
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    copy = tmp_path / "copy.yaml"
    copy.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = diff(contract, skewless.load_contract(copy))
    assert (result.changes, result.ok) == ((), True)


@pytest.mark.parametrize(
    ("old", "new"),
    [(a, b) for a in REPO_CONTRACTS for b in REPO_CONTRACTS if a != b],
    ids=lambda p: p.name,
)
def test_any_two_repository_contracts_diff_both_ways(old: Path, new: Path) -> None:
    before, after = skewless.load_contract(old), skewless.load_contract(new)
    forth, back = diff(before, after), diff(after, before)
    assert forth.changes
    assert back.changes
    assert all(c.kind in KINDS and c.classes == KINDS[c.kind][0] for c in forth.changes)
    assert forth.to_dict()["changes"] == [c.to_dict() for c in forth.changes]


# --- the mirror: a tighter rule one way is a looser one the other way --------------------------

MIRROR = {
    "min_raised": "min_lowered",
    "max_lowered": "max_raised",
    "nan_forbidden": "nan_allowed",
    "inf_forbidden": "inf_allowed",
    "category_value_removed": "category_value_added",
    "pattern_added": "pattern_removed",
    "pattern_changed": "pattern_changed",
    "max_length_lowered": "max_length_raised",
    "min_length_raised": "min_length_lowered",
    "charset_narrowed": "charset_widened",
    "control_characters_forbidden": "control_characters_allowed",
    "naive_rejected": "naive_assumed",
    "cadence_added": "cadence_removed",
    "cadence_changed": "cadence_changed",
    "unique_added": "unique_removed",
    "unique_key_added": "unique_key_removed",
    "rows_min_raised": "rows_min_lowered",
    "rows_max_lowered": "rows_max_raised",
    "nulls_forbidden": "nulls_allowed",
    "column_made_required": "column_made_optional",
    "extra_columns_allow_to_reject": "extra_columns_reject_to_allow",
}
MIRROR.update({b: a for a, b in MIRROR.items()})
SWAP = {PRODUCERS: CONSUMERS, CONSUMERS: PRODUCERS}


def _flag(key: str) -> st.SearchStrategy[str]:
    return st.sampled_from(["", f", {key}: true"])


def _parts(draw: st.DrawFn, mirror: bool) -> list[str]:
    """The parts of a contract over one column of each type (each key drawn from values that
    load), its extra_columns and its table checks.

    `mirror`: only keys whose two directions mirror each other (a tighter rule one way, a looser
    one the other), so no map_to, no zone or other_zones, no type change.
    """
    lo, hi = sorted(
        draw(st.lists(st.sampled_from([None, -5, 0, 3, 10]), min_size=2, max_size=2)),
        key=lambda v: (v is None, v),
    )
    if draw(st.booleans()):
        lo, hi = None, lo  # only a max, or neither
    bounds = [(k, v) for k, v in (("min", lo), ("max", hi)) if v is not None]
    parts = [
        col(
            "type: integer"
            + "".join(f", {k}: {v}" for k, v in bounds)
            + draw(_flag("nullable"))
            + draw(st.sampled_from(["", ", required: false"]))
            + draw(_flag("unique")),
            "n",
        )
    ]
    parts += [
        col(
            "type: float"
            + "".join(f", {k}: {v}.5" for k, v in bounds)
            + draw(_flag("allow_nan"))
            + draw(_flag("allow_inf")),
            "f",
        )
    ]
    lengths = [
        (k, draw(st.sampled_from(choices)))
        for k, choices in (("min_length", [None, 1, 2]), ("max_length", [None, 5, 8]))
    ]
    parts += [
        col(
            "type: string"
            + draw(st.sampled_from(["", ", pattern: '[a-z]*'", ", pattern: '[a-z0-9]*'"]))
            + "".join(f", {k}: {v}" for k, v in lengths if v is not None)
            + draw(st.sampled_from(["", ", charset: bmp", ", charset: ascii"]))
            + draw(_flag("allow_control")),
            "s",
        )
    ]
    values = draw(st.lists(st.sampled_from("abcd"), min_size=1, unique=True).map(sorted))
    unknown = "" if mirror or draw(st.booleans()) else f", unknown: {{map_to: {values[-1]}}}"
    parts += [col(f"type: category, values: [{', '.join(values)}]{unknown}", "c")]
    zone = "UTC" if mirror else draw(st.sampled_from(["UTC", "Europe/Paris"]))
    naive = draw(st.sampled_from(["", ", naive: assume"]))
    others = "" if mirror else draw(st.sampled_from(["", ", other_zones: reject"]))
    cadence = draw(st.sampled_from(["", ", cadence: 5min", ", cadence: 1h"]))
    parts += [col(f"type: datetime, timezone: {zone}{naive}{others}{cadence}", "t")]
    parts += [draw(st.sampled_from(["reject", "allow"]))]
    parts += [draw(st.sampled_from(["", "  rows: {min: 1}\n", "  rows: {max: 100}\n"]))]
    parts += [draw(st.sampled_from(["", "  unique: [[n, s]]\n"]))]
    return parts


@st.composite
def pairs(draw: st.DrawFn, *, mirror: bool) -> tuple[str, str]:
    """Two contracts: the second keeps each part of the first (four times in five) or draws it
    anew, so most pairs differ in a few rules, as real edits do."""
    old = _parts(draw, mirror)
    fresh = _parts(draw, mirror)
    new = [o if draw(st.integers(0, 4)) else f for o, f in zip(old, fresh, strict=True)]  # 4 in 5

    def text(parts: list[str]) -> str:
        *columns, extra, rows, unique = parts
        return doc("".join(columns), top=f"extra_columns: {extra}\n", checks=rows + unique)

    return text(old), text(new)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(pairs(mirror=True))
def test_diff_back_is_the_mirror_of_diff_forth(texts: tuple[str, str]) -> None:
    old, new = map(load, texts)
    forth = diff(old, new).changes
    back = diff(new, old).changes

    def mirrored(change: Any) -> tuple[Any, ...]:
        classes = tuple(sorted(SWAP[c] for c in change.classes))
        return (MIRROR[change.kind], change.column, change.new, change.old, classes)

    def plain(change: Any) -> tuple[Any, ...]:
        return (change.kind, change.column, change.old, change.new, tuple(sorted(change.classes)))

    assert sorted(map(mirrored, forth), key=repr) == sorted(map(plain, back), key=repr)
    assert any(c.breaking for c in forth) == any(c.breaking for c in back)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(pairs(mirror=False), st.data())
def test_the_classes_agree_with_the_validators(texts: tuple[str, str], data: Any) -> None:
    """No producer breaks: every record OLD accepts, NEW accepts. No consumer breaks and nothing
    is added (a minor bump): every record NEW accepts, OLD accepted."""
    from skewless.strategies import records

    old, new = map(load, texts)
    changes = diff(old, new).changes
    loosened = any(CONSUMERS in c.classes or c.bump == "minor" for c in changes)
    for source, judge, skip in (
        (old, new, any(PRODUCERS in c.classes for c in changes)),
        (new, old, loosened),
    ):
        if skip:
            continue
        validator = judge.record_validator(env=None)
        for _ in range(3):
            record = data.draw(records(source, env=None), label=f"valid for {source is old}")
            result = validator.validate(record)
            assert result.ok, (record, result.violations, changes)


# --- the version rules ------------------------------------------------------------------------

BREAKING = (doc(col("type: integer, max: 10")), doc(col("type: integer, max: 5")))
ADDITIVE = (doc(X), doc(X + col("type: integer, required: false", "y")))
DOCS_ONLY = (doc(), doc(top="owner: ml\n"))
SAME = (doc(), doc())


def _versioned(pair: tuple[str, str], old: str, new: str) -> tuple[skewless.Contract, ...]:
    return tuple(
        load(text.replace("version: 1.0.0", f"version: {v}"))
        for text, v in zip(pair, (old, new), strict=True)
    )


@pytest.mark.parametrize(
    ("pair", "old", "new", "ok", "required", "bump"),
    [
        (BREAKING, "1.4.2", "2.0.0", True, "major", "major"),
        (BREAKING, "1.4.2", "1.5.0", False, "major", "minor"),
        (BREAKING, "1.4.2", "1.4.3", False, "major", "patch"),
        (BREAKING, "1.4.2", "1.4.2", False, "major", "none"),
        (BREAKING, "1.4.2", "1.4.2+build.9", False, "major", "none"),
        (BREAKING, "1.4.2", "2.0.0-rc.1", True, "major", "major"),
        (BREAKING, "2.0.0-rc.1", "2.0.0-rc.2", True, "major", "prerelease"),
        (BREAKING, "2.0.0-rc.2", "2.0.0", True, "major", "prerelease"),
        (BREAKING, "2.0.0", "2.0.0-rc.3", False, "major", "downgrade"),
        (BREAKING, "2.0.0", "1.9.0", False, "major", "downgrade"),
        # below 1.0.0 a minor bump may break, below 0.1.0 any bump may
        (BREAKING, "0.3.1", "0.4.0", True, "major", "minor"),
        (BREAKING, "0.3.1", "1.0.0", True, "major", "major"),
        (BREAKING, "0.3.1", "0.3.2", False, "major", "patch"),
        (BREAKING, "0.0.3", "0.0.4", True, "major", "patch"),
        (ADDITIVE, "1.4.2", "1.5.0", True, "minor", "minor"),
        (ADDITIVE, "1.4.2", "1.4.3", True, "minor", "patch"),  # accepted; the verdict says so
        (ADDITIVE, "1.4.2", "2.0.0", True, "minor", "major"),
        (ADDITIVE, "1.4.2", "1.4.2", False, "minor", "none"),
        (DOCS_ONLY, "1.4.2", "1.4.3", True, "patch", "patch"),
        (DOCS_ONLY, "1.4.2", "1.4.2", False, "patch", "none"),
        (SAME, "1.4.2", "1.4.2", True, "none", "none"),
        (SAME, "1.4.2", "1.5.0", True, "none", "minor"),
        (SAME, "1.4.2", "1.4.1", False, "none", "downgrade"),
    ],
)
def test_version_rules(
    pair: tuple[str, str], old: str, new: str, ok: bool, required: str, bump: str
) -> None:
    result = diff(*_versioned(pair, old, new))
    assert (result.ok, result.required, result.bump) == (ok, required, bump), result.verdict


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (
            "1.4.2",
            "1.5.0",
            "need a major version bump, and 1.4.2 -> 1.5.0 is a minor bump: try 2.0.0",
        ),
        (
            "0.3.1",
            "0.3.2",
            "need a minor version bump, and 0.3.1 -> 0.3.2 is a patch bump: try 0.4.0",
        ),
        ("1.4.2", "1.4.2", "the contract changed but its version did not: try 2.0.0"),
        ("2.0.0", "1.9.0", "the version goes backwards, 2.0.0 -> 1.9.0 (are OLD and NEW swapped?)"),
        ("0.3.1", "0.4.0", "is a minor bump: below 1.0.0 it may break"),
    ],
)
def test_the_verdict_says_what_to_do(old: str, new: str, words: str) -> None:
    assert words in diff(*_versioned(BREAKING, old, new)).verdict


def test_a_patch_bump_for_an_addition_passes_with_a_note() -> None:
    verdict = diff(*_versioned(ADDITIVE, "1.4.2", "1.4.3")).verdict
    assert verdict == "additions, and 1.4.2 -> 1.4.3 is a patch bump (semver asks for a minor one)"


SEMVER_ORDER = [  # semver.org, section 11, in increasing precedence
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.1.0",
    "2.0.0",
    "2.1.0",
    "2.1.1",
]


@given(st.sampled_from(SEMVER_ORDER), st.sampled_from(SEMVER_ORDER))
def test_version_bump_follows_semver_precedence(a: str, b: str) -> None:
    bump = version_bump(a, b)
    i, j = SEMVER_ORDER.index(a), SEMVER_ORDER.index(b)
    assert (bump == "downgrade") == (j < i)
    assert (bump == "none") == (i == j)
    if j > i:
        assert version_bump(b, a) == "downgrade"
    assert version_bump(a, a + "+build.1") == "none"


# --- what is shown -----------------------------------------------------------------------------


def test_a_pii_fill_value_is_never_shown() -> None:
    old = doc(col("type: string, pii: true, nullable: true, fill_null: alice@example.com"))
    new = doc(col("type: string, pii: true, nullable: true, fill_null: bob@example.com"))
    for before, after in ((old, new), (doc(col("type: string, nullable: true")), new)):
        result = diff(load(before), load(after))
        shown = repr(result.to_dict()) + " ".join(c.message for c in result.changes)
        assert "example.com" not in shown
        assert "<redacted>" in shown
    # The column stops being pii: its old value stays redacted too.
    unmarked = doc(col("type: string, nullable: true, fill_null: bob@example.com"))
    assert "alice" not in repr(diff(load(old), load(unmarked)).to_dict())


def test_a_probable_rename_is_hinted_on_both_sides() -> None:
    old = doc(X + col("type: category, values: [Chrome, Other]", "browser"))
    new = doc(X + col("type: category, values: [Chrome, Other]", "browser_name"))
    changes = diff(load(old), load(new)).changes
    messages = {c.kind: c.message for c in changes}
    assert set(messages) == {"column_removed", "column_added_required"}
    assert "renamed to 'browser_name'?" in messages["column_removed"]
    assert "renamed from 'browser'?" in messages["column_added_required"]
    other = doc(X + col("type: category, values: [Chrome, Safari]", "browser_name"))
    assert "renamed" not in repr(diff(load(old), load(other)).changes)


def test_every_key_is_compared() -> None:
    """A key added to the contract's dataclasses must be added to diff (and to this list)."""
    import dataclasses

    from skewless.contract import Column, Contract, TableChecks

    compared = {
        Column: {
            "type",
            "description",
            "nullable",
            "fill_null",
            "fill_freeze",
            "required",
            "unique",
            "coerce",
            "only_in",
            "pii",
            "min",
            "max",
            "allow_nan",
            "allow_inf",
            "values",
            "map_to",
            "pattern",
            "min_length",
            "max_length",
            "charset",
            "allow_control",
            "timezone",
            "naive",
            "other_zones",
            "cadence",
            "cadence_by",
            "drift",
            "name",
            "line",  # identity (a rename is a removal and an addition); where it was read
        },
        Contract: {
            "name",
            "owner",
            "description",
            "timezone",
            "extra_columns",
            "columns",
            "checks",
            "drift",
            "version",
            "source",  # the version is checked, not compared; where it was read
        },
        TableChecks: {"unique", "rows_min", "rows_max"},
    }
    for cls, names in compared.items():
        assert {f.name for f in dataclasses.fields(cls)} == names, cls


# --- the command line -------------------------------------------------------------------------


def _files(tmp_path: Path, old: str, new: str) -> tuple[Path, Path]:
    a, b = tmp_path / "old.yaml", tmp_path / "new.yaml"
    a.write_text(old, encoding="utf-8")
    b.write_text(new, encoding="utf-8")
    return a, b


def cli(*args: str | Path, cwd: Path) -> Run:
    return skewless_cli("diff", *args, cwd=cwd)


def cli_all(argvs: list[list[str | Path]], cwd: Path) -> list[Run]:
    """Several `skewless` runs side by side (each one is a subprocess)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda argv: skewless_cli(*argv, cwd=cwd), argvs))


def test_identical_contracts_exit_0_in_every_format(tmp_path: Path) -> None:
    path = CONTRACTS / "user_features.yaml"
    text, document, markdown = cli_all(
        [["diff", path, path, "-f", fmt] for fmt in ("text", "json", "markdown")], tmp_path
    )
    assert (text.code, text.err) == (0, "")
    assert text.out.splitlines() == [
        "skewless diff: user_features 2.1.0 -> 2.1.0: 0 changes",
        "PASS no change",
    ]
    assert document.code == 0
    assert document.json()["changes"] == []
    assert document.json()["ok"] is True
    assert markdown.code == 0
    assert "**PASS**: no change" in markdown.out
    assert "|---" not in markdown.out


def test_a_breaking_change_without_a_major_bump_exits_1_in_every_format(tmp_path: Path) -> None:
    a, b = _files(
        tmp_path,
        doc(col("type: integer, max: 10"), version="1.4.2"),
        doc(col("type: integer, max: 5"), version="1.5.0"),
    )
    formats = ("text", "json", "markdown")
    runs = dict(
        zip(
            formats,
            cli_all([["diff", a, b, "--format", f] for f in formats], tmp_path),
            strict=True,
        )
    )
    assert {f: r.code for f, r in runs.items()} == {"text": 1, "json": 1, "markdown": 1}
    assert all(r.err == "" for r in runs.values())

    text = runs["text"].out
    assert "max_lowered" in text
    assert "breaking-producers" in text
    assert text.splitlines()[-1].startswith("FAIL breaking changes need a major version bump")

    document = runs["json"].json()
    assert set(document) == {
        "old",
        "new",
        "ok",
        "required_bump",
        "version_bump",
        "verdict",
        "counts",
        "changes",
        "skewless",
    }
    assert document["old"] == {"contract": "t", "version": "1.4.2", "source": str(a)}
    assert (document["ok"], document["required_bump"], document["version_bump"]) == (
        False,
        "major",
        "minor",
    )
    assert document["counts"] == {"breaking-producers": 1, "breaking-consumers": 0, "compatible": 0}
    assert document["changes"] == [
        {
            "kind": "max_lowered",
            "column": "x",
            "old": 10,
            "new": 5,
            "classes": ["breaking-producers"],
            "bump": "major",
            "message": "max: 10 -> 5: values above the new max now fail",
        }
    ]

    lines = runs["markdown"].out.splitlines()
    assert lines[0] == "### skewless diff: t 1.4.2 -> 1.5.0: 1 change"
    assert lines[2].startswith("**FAIL**: breaking changes need a major version bump")
    header = lines.index("| class | kind | column | change |")
    assert lines[header + 1] == "|---|---|---|---|"
    row = lines[header + 2]
    assert row.startswith("| breaking-producers | `max_lowered` | x | max: 10 -> 5")
    assert row.count(" | ") == 3  # four cells


def test_a_major_bump_passes(tmp_path: Path) -> None:
    a, b = _files(
        tmp_path,
        doc(col("type: integer, max: 10"), version="1.4.2"),
        doc(col("type: integer, max: 5"), version="2.0.0"),
    )
    r = cli(a, b, cwd=tmp_path)
    assert r.code == 0, r
    assert r.out.splitlines()[-1] == "PASS breaking changes, and 1.4.2 -> 2.0.0 is a major bump"


def test_names_and_values_are_escaped_in_every_format(tmp_path: Path) -> None:
    hostile = '"a\\u202eb|<img src=x>`*_"'  # bidi override, a pipe, HTML, markup
    a, b = _files(
        tmp_path,
        doc(X + f'  {hostile}: {{type: string, pattern: "[a-z]+\\t"}}\n'),
        doc(X + f"  {hostile}: {{type: string, pattern: '[a-z]+'}}\n", version="2.0.0"),
    )
    text, document, markdown = cli_all(
        [["diff", a, b, "-f", fmt] for fmt in ("text", "json", "markdown")], tmp_path
    )
    for r in (text, document, markdown):
        assert r.code == 0, r
        assert "\u202e" not in r.out
        assert "\t" not in r.out
    row = next(line for line in markdown.out.splitlines() if "pattern_changed" in line)
    assert "<img" not in row
    assert "&lt;img" in row
    assert row.count(" | ") == 3  # the pipe in the name is escaped, not a fifth cell
    assert "'a\\u202eb|<img src=x>`*_'" in text.out
    assert "'[a-z]+\\t' -> '[a-z]+'" in text.out
    assert document.json()["changes"][0]["column"] == "a\u202eb|<img src=x>`*_"


# fmt: off
UNLOADABLE: dict[str, tuple[str | bytes | None, str]] = {  # name: (content, words in the error)
    "missing": (None, "no such file"),
    "empty": ("", "empty"),
    "unknown-key": ("contract: t\nversion: 1.0.0\ncolumns:\n  x: {type: integer, nullabel: true}\n", "unknown_key"),
    "version-number": ("contract: t\nversion: 1.0\ncolumns:\n  x: {type: integer}\n", "invalid_type"),
    "python-tag": ("contract: t\nversion: 1.0.0\ncolumns:\n  x: !!python/object/apply:os.system [ls]\n", "unsupported_tag"),
    "not-utf8": (b"contract: t\nversion: 1.0.0\nowner: \xff\n", "not UTF-8"),
    "nul": ("\x00", "yaml_syntax"),
    "list": ("- a\n- b\n", "invalid_type"),
    "control-in-name": ("contract: t\nversion: 1.0.0\ncolumns:\n  \"a\\x1bb\": {type: integer}\n", "usable column name"),
}
# fmt: on


def test_a_contract_that_does_not_load_exits_2_in_one_line(tmp_path: Path) -> None:
    """Every case on either side, through the real command in this process (typer's runner,
    exceptions not caught); two of them in a subprocess too, where no traceback may show."""
    from typer.testing import CliRunner

    from skewless.cli import app

    good = CONTRACTS / "user_scores.yaml"
    runner = CliRunner()
    for name, (content, words) in UNLOADABLE.items():
        bad = tmp_path / f"{name}.yaml"
        if isinstance(content, bytes):
            bad.write_bytes(content)
        elif content is not None:
            bad.write_text(content, encoding="utf-8")
        for args in ((bad, good), (good, bad)):
            argv = ["diff", *map(str, args), "--format", "json"]
            result = runner.invoke(app, argv, catch_exceptions=False)
            assert (result.exit_code, result.stdout) == (2, ""), (name, result.stderr)
            (line,) = result.stderr.splitlines()
            assert line.startswith("error: the contract does not load: "), name
            assert str(bad) in line, name
            assert words in line, name
            assert line.isprintable(), name
    real = cli_all(
        [["diff", tmp_path / "missing.yaml", good], ["diff", good, tmp_path / "nul.yaml"]], tmp_path
    )
    for r, words in zip(real, ("no such file", "yaml_syntax"), strict=True):
        assert (r.code, r.out) == (2, "")
        assert words in r.error_line()


def test_a_directory_and_an_unfrozen_contract(tmp_path: Path) -> None:
    r = cli(tmp_path, CONTRACTS / "user_scores.yaml", cwd=tmp_path)
    assert r.code == 2
    assert "is a directory" in r.error_line()
    # A statistic not frozen yet is a contract under review, not an error.
    a, b = _files(
        tmp_path,
        doc(col("type: integer, nullable: true"), version="1.0.0"),
        doc(col("type: integer, nullable: true, fill_null: {freeze: median}"), version="2.0.0"),
    )
    r = cli(a, b, "-f", "json", cwd=tmp_path)
    assert r.code == 0, r
    (change,) = r.json()["changes"]
    assert change["kind"] == "fill_null_added"
    assert change["new"] == {"freeze": "median", "value": None}
    assert "not frozen yet" in change["message"]


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    argvs: list[list[str | Path]] = [
        ["diff"],
        ["diff", "a.yaml"],
        ["diff", "a.yaml", "b.yaml", "--format", "junit"],
        ["diff", "a.yaml", "b.yaml", "--bogus"],
    ]
    for argv, r in zip(argvs, cli_all(argvs, tmp_path), strict=True):
        assert r.code == 2, argv
        assert r.out == "", argv
        assert r.err.rstrip().splitlines()[-1].startswith("Error: "), r.err


def test_help_teaches_exit_codes_and_formats(tmp_path: Path) -> None:
    r = skewless_cli("diff", "--help", cwd=tmp_path)
    assert r.code == 0
    text = " ".join(r.out.split())
    assert re.search(r"Exit 0 .*\b1 .*\b2 ", text), text
    for word in ("--format", "text|json|markdown", "breaking for producers", "docs/diff.md"):
        assert word in text


# --- docs/diff.md -------------------------------------------------------------------------------


def test_the_try_it_script_in_docs_diff_md_prints_what_it_shows(tmp_path: Path) -> None:
    page = DOC.read_text(encoding="utf-8")
    section = page.split("## Try it", 1)[1].split("\n## ", 1)[0]
    script = section.split("```sh\n", 1)[1].split("```", 1)[0]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["TERM"] = "dumb"
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    bash = shutil.which("bash")
    assert bash is not None
    done = subprocess.run(
        [bash, "-c", script], cwd=tmp_path, env=env, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    printed = [line.rstrip() for line in done.stdout.decode().splitlines()]
    assert printed == shown.splitlines()


def test_the_json_keys_are_documented() -> None:
    page = DOC.read_text(encoding="utf-8")
    section = page.split("## The JSON document", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M))
    top = set(diff(load(doc()), load(doc())).to_dict()) | {"skewless"}
    change = set(diff(load(doc()), load(doc(name="u"))).changes[0].to_dict())
    assert top | change <= documented, (top | change) - documented
