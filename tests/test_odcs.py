"""skewless.odcs, skewless.interop and `skewless export` / `skewless import`.

- The project's ODCS test files (tests/contracts/odcs/) follow the published ODCS v3.1 JSON
  schema (open-data-contract-standard 3.1.0's schema.json, Draft 2019-09), and import -> export
  -> import is stable on each: the same YAML, the same Contract, nothing unmapped the second time.
- Every contract of the repository (and the ones tests/test_strategies.py writes to reach every
  adversarial class) exports to ODCS the schema accepts, and imports back to an equal Contract.
- What an import cannot map is reported, line by line; hostile files are one error line, exit 2.
- JSON Schema: every contract's exported record schema imports to a contract that gives the
  record validator's verdicts on valid records and on every adversarial class JSON Schema can
  express (tests/test_json_schema.py's EXPRESSIBLE), in each environment.
- The YAML writer: what it writes, the contract dialect, YAML 1.1 and YAML 1.2 all read back.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft201909Validator

import skewless
from skewless import adversarial, nasty, strategies
from skewless.contract import Contract, Env
from skewless.ecma import ecma_pattern
from skewless.errors import InputError
from skewless.interop import dump_yaml, export, import_contract, re2_pattern, read_document
from skewless.json_schema import record_schema
from skewless.odcs import from_odcs, odcs_text, to_odcs
from tests.conftest import ROOT
from tests.test_cli import run_all
from tests.test_json_schema import EXPRESSIBLE, PATTERNS
from tests.test_strategies import CONTRACTS

ODCS_FILES = sorted((ROOT / "tests" / "contracts" / "odcs").glob("*.yaml"))


@cache
def odcs_validator() -> Draft201909Validator:
    import open_data_contract_standard

    package = Path(open_data_contract_standard.__file__).parent
    schema = json.loads((package / "schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2019-09/schema"
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema)


def schema_errors(document: Any) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in odcs_validator().iter_errors(document)]


def positionless(contract: Contract) -> Contract:
    """The contract without where it was read from (file, lines): what equality compares."""
    columns = tuple(dataclasses.replace(c, line=None) for c in contract.columns)
    return dataclasses.replace(contract, source=None, columns=columns)


def imported(path: Path, fmt: str = "odcs") -> tuple[str, Contract, list[str]]:
    text, unmapped = import_contract(path, fmt)
    return text, skewless.loads_contract(text), unmapped


# --- the project's ODCS files -------------------------------------------------------------------


def test_the_odcs_files_cover_both_versions_and_every_kind() -> None:
    names = {p.name for p in ODCS_FILES}
    assert {"minimal.odcs.yaml", "every_mapped_field.odcs.yaml", "unmappable.odcs.yaml"} <= names
    versions = {read_document(p)["apiVersion"] for p in ODCS_FILES}
    assert "v3.1.0" in versions
    assert versions & {"v3.0.0", "v3.0.1", "v3.0.2"}


@pytest.mark.parametrize("path", ODCS_FILES, ids=lambda p: p.name)
def test_each_odcs_file_follows_the_published_v3_1_schema(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))  # as any ODCS tool reads it
    assert schema_errors(document) == []
    assert read_document(path) == document  # the dialect reads these files alike


@pytest.mark.parametrize("path", ODCS_FILES, ids=lambda p: p.name)
def test_import_export_import_is_stable(path: Path, tmp_path: Path) -> None:
    first_text, first, _ = imported(path)
    exported = tmp_path / "again.odcs.yaml"
    exported.write_text(odcs_text(first), encoding="utf-8")
    assert schema_errors(read_document(exported)) == []
    second_text, second, unmapped = imported(exported)
    assert second_text == first_text
    assert positionless(second) == positionless(first)
    assert unmapped == []  # what skewless writes, it reads whole


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_every_contract_exports_to_valid_odcs_and_back(name: str, tmp_path: Path) -> None:
    contract = CONTRACTS[name]
    document = to_odcs(contract)
    assert schema_errors(document) == []
    path = tmp_path / "c.odcs.yaml"
    path.write_text(odcs_text(contract), encoding="utf-8")
    assert read_document(path) == document
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == document  # YAML 1.1 tools too
    _, back, unmapped = imported(path)
    assert unmapped == []
    assert positionless(back) == positionless(contract)


# --- what maps to what --------------------------------------------------------------------------


def test_every_mapped_field_lands_on_its_contract_key() -> None:
    _, c, unmapped = imported(
        ROOT / "tests" / "contracts" / "odcs" / "every_mapped_field.odcs.yaml"
    )
    assert unmapped == []
    assert (c.name, c.version, c.owner, c.extra_columns) == (
        "orders",
        "2.3.0",
        "commerce-data",
        "drop",
    )
    assert c.description == (
        "One row per order line, as the pricing model reads it.\n\n"
        "Usage: Training and online scoring of the pricing model."
    )
    assert dict(c.drift) == {"ks": 0.1, "min_rows": 2000}
    col = c.column
    # primaryKey: not null, and a two-column key in primaryKeyPosition order
    assert c.checks.unique == (("tenant_id", "order_id"), ("order_id", "line_id"))
    assert (c.checks.rows_min, c.checks.rows_max) == (1, 5_000_000)
    assert (col("tenant_id").min, col("tenant_id").max) == (1, 2**31 - 1)  # format: i32
    assert not col("tenant_id").nullable
    assert col("order_id").min == 1  # exclusiveMinimum: 0, for whole numbers
    assert (col("unit_price").type, col("unit_price").max) == ("float", 100000.5)
    assert col("unit_price").description == "Price of one unit, in the order's currency."
    assert col("currency").values == ("EUR", "USD", "GBP", "NO")  # NO stays Norway
    assert (col("channel").map_to, col("channel").nullable) == ("other", False)  # nullValues
    coupon = col("coupon_code")
    assert (coupon.pattern, coupon.min_length, coupon.max_length) == ("^[A-Z0-9]+$", 4, 12)
    assert (coupon.charset, coupon.required, coupon.nullable) == ("ascii", False, True)
    assert col("iban").pii
    assert col("iban").pattern.startswith("^[A-Z]{2}")  # the invalidValues pattern
    email = col("customer_email")
    assert (email.pii, email.nullable) == (True, False)  # the tag pii; missingValues [null]
    ordered = col("ordered_at")
    assert (ordered.timezone, ordered.naive, ordered.other_zones) == (
        "Europe/Paris",
        "reject",
        "reject",
    )
    shipped = col("shipped_local")
    assert (shipped.timezone, shipped.naive) == ("America/New_York", "assume")
    assert shipped.fill_null.isoformat() == "2024-01-01T00:00:00-05:00"
    assert col("delivery_date").type == "date"
    assert (col("sku").unique, col("sku").nullable) == (True, False)
    discount = col("discount")
    assert (discount.unique, discount.allow_nan, discount.coerce) == (True, True, True)
    assert dict(discount.drift) == {"psi": 0.1}
    assert col("returned").only_in == "training"


def test_a_v3_0_file_reads_its_owner_and_its_timestamps() -> None:
    _, c, unmapped = imported(ROOT / "tests" / "contracts" / "odcs" / "legacy_v3_0_2.odcs.yaml")
    assert c.owner == "Mary Hopper"  # the team member whose role is Owner
    stamp = c.column("txn_timestamp")
    assert (stamp.type, stamp.naive, stamp.timezone) == ("datetime", "assume", "UTC")
    assert c.column("txn_ref_dt").type == "date"
    assert (c.column("items").min, c.column("items").max) == (0, 2**15 - 1)  # format: i16
    rcvr = c.column("rcvr_id")
    assert (rcvr.unique, rcvr.pii, rcvr.nullable) == (True, True, False)  # primaryKey, restricted
    assert (c.checks.rows_min, c.checks.rows_max) == (5, None)
    text = "\n".join(unmapped)
    for expected in ("team[0]", "physicalType (on columns txn_ref_dt, rcvr_id", "partitioned"):
        assert expected in text
    assert "wall time in UTC" in text  # a time format without an offset


UNMAPPED = [
    "schema[1] carriers: not imported",
    "version: '1.2' is not a semantic version: version 1.2.0",
    "status: 'draft' not kept",
    "team.members: not mapped",
    "name: 'Shipments and parcels' not kept",
    *(f"{key}: not mapped" for key in ("domain", "dataProduct", "tenant", "tags", "servers")),
    *(f"{key}: not mapped" for key in ("support", "price", "roles", "slaProperties")),
    "schema parcels.businessName: not mapped",
    "schema parcels.physicalType: not mapped",
    "schema parcels.tags: not mapped",
    "column parcel_id: format 'uuid': not checked",
    "examples (on column parcel_id)",
    "physicalType (on columns parcel_id, weight_kg)",
    "column dimensions: not imported: logicalType 'object'",
    "column scans: not imported: logicalType 'array'",
    "column pickup_time: not imported: logicalType 'time'",
    "column weight_kg: quality[0] nullValues: a tolerance is not mapped",
    "column weight_kg quality[1]: a 'sql' rule",
    "column weight_kg quality[2]: a 'custom' rule",
    "column weight_kg: exclusiveMinimum: not mapped",
    "column weight_kg: logicalTypeOptions.multipleOf: not mapped",
    "column carrier: quality[0] invalidValues: a tolerance is not mapped",
    "column carrier quality[1]: a 'text' rule",
    "column carrier: classification 'internal' is not read as personal data",
    "criticalDataElement (on column carrier)",
    "column sent_at: logicalTypeOptions.minimum: not mapped",
    "column sent_at: values without an offset are read as wall time in UTC",
    "column sent_at: format: not mapped (skewless reads ISO 8601 text)",
    "schema quality[0]: severity 'warning'",
    "schema quality[1]: duplicateValues with a tolerance",
]


def test_what_cannot_be_mapped_is_reported_and_the_rest_loads() -> None:
    _, c, unmapped = imported(ROOT / "tests" / "contracts" / "odcs" / "unmappable.odcs.yaml")
    for expected in UNMAPPED:
        assert any(line.startswith(expected) for line in unmapped), expected
    assert len(unmapped) == len(UNMAPPED)
    assert c.column_names == ("parcel_id", "weight_kg", "carrier", "sent_at")
    assert c.column("carrier").type == "string"  # a vocabulary with a tolerance is not one
    assert c.column("sent_at").naive == "assume"  # yyyy-MM-dd HH:mm:ss has no offset
    assert (c.checks.rows_min, c.version, c.owner) == (101, "1.2.0", "logistics-data")
    assert "Limitations: Carrier B reports a day late." in (c.description or "")


def test_every_top_level_key_a_file_has_is_mapped_or_reported() -> None:
    for path in ODCS_FILES:
        document = read_document(path)
        _, _, unmapped = imported(path)
        read = {"apiVersion", "kind", "id", "name", "version", "status", "description", "team"}
        for key in set(document) - read - {"schema", "customProperties"}:
            assert any(line.startswith(f"{key}:") for line in unmapped), (path.name, key)


def _rules(*rules: dict[str, Any], logical: str = "string") -> dict[str, Any]:
    prop = {"name": "x", "logicalType": logical, "quality": list(rules)}
    table = {"name": "t", "properties": [prop]}
    return {"apiVersion": "v3.0.2", "kind": "DataContract", "version": "1.0.0", "schema": [table]}


@pytest.mark.parametrize(
    ("rule", "column"),
    [
        (
            {"rule": "validValues", "validValues": ["a", "b"]},
            {"type": "category", "values": ["a", "b"], "nullable": True},
        ),
        ({"rule": "nullCheck"}, {"type": "string"}),
        ({"metric": "nullValues", "mustBeLessOrEqualTo": 0, "unit": "percent"}, {"type": "string"}),
        ({"metric": "nullValues", "mustBeLessThan": 1}, {"type": "string"}),
        (
            {"metric": "duplicateValues", "mustBe": 0},
            {"type": "string", "nullable": True, "unique": True},
        ),
        (
            {"metric": "invalidValues", "arguments": {"validValues": [1, 2, None]}, "mustBe": 0},
            {"type": "category", "nullable": True, "values": ["1", "2"]},
        ),
        (
            {"metric": "invalidValues", "arguments": {"pattern": "[0-9]+"}, "mustBe": 0},
            {"type": "string", "nullable": True, "pattern": "(?s:.*)(?:[0-9]+)(?s:.*)"},
        ),
    ],
)
def test_library_rules_of_v3_0_and_v3_1(rule: dict[str, Any], column: dict[str, Any]) -> None:
    spec, unmapped = from_odcs(_rules(rule), source="t")
    assert unmapped == []
    assert spec["columns"]["x"] == column


@pytest.mark.parametrize(
    ("rule", "reported"),
    [
        ({"metric": "nullValues", "mustBeLessThan": 1, "unit": "percent"}, "a tolerance"),
        (
            {"metric": "invalidValues", "arguments": {"validValues": ["a"]}, "mustBeLessThan": 5},
            "a tolerance",
        ),
        (
            {"metric": "invalidValues", "arguments": {"pattern": "(?=a)b"}, "mustBe": 0},
            "RE2 cannot read it",
        ),
        (
            {"metric": "missingValues", "arguments": {"missingValues": ["", "N/A"]}, "mustBe": 0},
            "missingValues: not mapped",
        ),
        ({"metric": "rowCount", "mustBe": 3}, "rowCount: not mapped for a string column"),
        ({"metric": "medianValue", "mustBe": 3}, "metric 'medianValue'"),
        ({"type": "sql", "query": "SELECT 1", "mustBe": 1}, "a 'sql' rule"),
        ({"metric": "nullValues", "mustBe": 0, "schedule": "0 20 * * *"}, "schedule: not mapped"),
        ("not a rule", "not a mapping"),
    ],
)
def test_rules_skewless_cannot_hold_are_reported(rule: Any, reported: str) -> None:
    _, unmapped = from_odcs(_rules(rule), source="t")
    assert any(reported in line for line in unmapped), unmapped


def test_without_a_logical_type_the_physical_type_names_it_and_says_so() -> None:
    properties = [
        {"name": "a", "physicalType": "BIGINT"},
        {"name": "b", "physicalType": "timestamp with time zone"},
        {"name": "c", "physicalType": "blob"},
    ]
    document = _rules()
    document["schema"][0]["properties"] = properties
    spec, unmapped = from_odcs(document, source="t")
    assert {n: c["type"] for n, c in spec["columns"].items()} == {"a": "integer", "b": "datetime"}
    assert unmapped == [
        "column a: no logicalType: type integer, read from the physicalType",
        "column b: no logicalType: type datetime, read from the physicalType",
        "column c: not imported: no logicalType (nor a physicalType to read one from)",
    ]


def test_integer_formats_and_exclusive_bounds_are_exact_for_whole_numbers() -> None:
    def bounds(options: dict[str, Any]) -> tuple[Any, Any, list[str]]:
        document = _rules(logical="integer")
        document["schema"][0]["properties"][0]["logicalTypeOptions"] = options
        spec, unmapped = from_odcs(document, source="t")
        column = spec["columns"]["x"]
        return column.get("min"), column.get("max"), unmapped

    assert bounds({"format": "u8"})[:2] == (0, 255)
    assert bounds({"format": "i8", "minimum": 0})[:2] == (0, 127)
    assert bounds({"exclusiveMinimum": 2.5, "exclusiveMaximum": 10})[:2] == (3, 9)
    assert bounds({"minimum": 0.5, "maximum": 9.5})[:2] == (1, 9)
    assert bounds({"minimum": -(2**70)})[:2] == (None, None)  # looser than 64 bits: no bound
    low, _, unmapped = bounds({"format": "u64"})
    assert low == 0
    assert "integer_overflow" in unmapped[0]
    assert "neither mapped" in bounds({"minimum": 5, "maximum": 1})[2][0]


# --- hostile files ----------------------------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("content", "fmt", "message"),
    [
        ("apiVersion: v3.1.0\nkind: [unclosed\n", "odcs", "not usable YAML"),
        (
            "contract: x\nversion: 1.0.0\ncolumns:\n  a: {type: integer}\n",
            "odcs",
            "no apiVersion or kind",
        ),
        ("apiVersion: v2.2.2\nkind: DataContract\n", "odcs", "apiVersion 'v2.2.2' is not read"),
        ("apiVersion: v3.1.0\nkind: Other\n", "odcs", "kind 'Other'"),
        ("- apiVersion: v3.1.0\n", "odcs", "expected a mapping at the top"),
        ("apiVersion: v3.1.0\nkind: DataContract\nversion: 1.0.0\n", "odcs", "no schema"),
        (
            "apiVersion: v3.1.0\nkind: DataContract\nschema: [{name: t}]\n",
            "odcs",
            "has no properties",
        ),
        ("a: " + DEEP + "\n", "odcs", "nested more than 20 levels"),
        (DEEP, "jsonschema", "nested too deeply"),
        ("[" * 70 + "]" * 70, "jsonschema", "nested more than 64 levels"),
        (
            '{"type": "object", "properties": {"a": {}}, "a": 1, "a": 2}',
            "jsonschema",
            "duplicate key",
        ),
        ("a: &x 1\nb: *x\n", "odcs", "anchors and aliases"),
        ("a: !!python/object/apply:os.system [ls]\n", "odcs", "tag"),
        ("\x00", "odcs", "not usable YAML"),
        ("", "odcs", "empty file"),
        ("# only a comment\n", "odcs", "only comments"),
        ('{"type": "array"}', "jsonschema", "its type is not object"),
        (
            '{"type": "object", "properties": {"\\u0001": {"type": "string"}}}',
            "jsonschema",
            "no property could be imported",
        ),
    ],
)
def test_a_file_that_cannot_be_imported_is_one_clear_error(
    content: str, fmt: str, message: str, tmp_path: Path
) -> None:
    path = tmp_path / ("in.json" if content.startswith(("{", "[")) else "in.yaml")
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        import_contract(path, fmt)
    assert message in caught.value.message, caught.value.message
    assert "\n" not in caught.value.message


def test_missing_unreadable_and_directory_files(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes(b"name: caf\xe9\n")
    for path, message in (
        (tmp_path / "missing.yaml", "no such file"),
        (tmp_path, "is a directory"),
        (tmp_path / "latin1.yaml", "not UTF-8"),
    ):
        with pytest.raises(InputError, match=message):
            import_contract(path, "odcs")


def test_control_characters_in_names_skip_the_column_and_say_so_escaped() -> None:
    properties = [
        {"name": "bad\x00name", "logicalType": "string"},
        {"name": "esc\x1b[31m", "logicalType": "string"},
        {"name": "", "logicalType": "string"},
        {"name": 7, "logicalType": "string"},
        {"name": "\u202eevil", "logicalType": "string"},  # printable to the loader, shown escaped
        {"name": "ok", "logicalType": "integer"},
        {"name": "ok", "logicalType": "string"},
    ]
    document = {
        "apiVersion": "v3.1.0",
        "kind": "DataContract",
        "version": "1.0.0",
        "schema": [{"name": "t\x07", "properties": properties}],
    }
    spec, unmapped = from_odcs(document, source="t")
    assert list(spec["columns"]) == ["\u202eevil", "ok"]
    assert spec["contract"] == "t"
    assert len(unmapped) == 6
    for line in unmapped:
        assert line.isprintable(), line
    assert any("'bad\\x00name'" in line and "control character" in line for line in unmapped)
    assert any("a second column of this name" in line for line in unmapped)


# Documents built from ODCS's and JSON Schema's own keys with any values in them: each imports
# to a contract that loads (a refused key left out and reported), or is one InputError.
ODCS_KEYS = ["name", "logicalType", "logicalTypeOptions", "required", "unique", "primaryKey",
             "primaryKeyPosition", "description", "classification", "tags", "quality",
             "customProperties", "metric", "rule", "arguments", "validValues", "pattern", "mustBe",
             "mustBeBetween", "mustBeLessThan", "mustBeGreaterThan", "unit", "type", "minimum",
             "maximum", "exclusiveMinimum", "format", "maxLength", "timezone", "defaultTimezone",
             "property", "value", "properties", "missingValues", "team", "role", "purpose"]  # fmt: skip
WORDS = ["string", "integer", "number", "timestamp", "date", "time", "object", "library", "sql",
         "nullValues", "invalidValues", "duplicateValues", "rowCount", "i8", "u64", "UTC",
         "Mars/Base", "skewlessFillNull", "skewlessMapTo", "skewlessPattern", "skewlessCadence",
         "skewlessDrift", "skewlessCharset", "skewlessTimezone", "skewlessOnlyIn", "5min",
         "^[a-z]+$", "(?=x)", "restricted", "percent", "date-time", "null", "array"]  # fmt: skip
ANY = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=5)
    | st.sampled_from(WORDS),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(ODCS_KEYS) | st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=16,
)
CUSTOM = st.lists(
    st.fixed_dictionaries(
        {"property": st.sampled_from([w for w in WORDS if w.startswith("skewless")]), "value": ANY}
    ),
    max_size=2,
)
RULE = st.fixed_dictionaries(
    {"metric": st.sampled_from(["nullValues", "invalidValues", "duplicateValues", "rowCount"])},
    optional={"arguments": ANY, "mustBe": ANY, "mustBeBetween": ANY, "unit": ANY},
)


def with_any_keys(known: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """`known`'s mappings, with a key or two of any text besides."""
    other = st.dictionaries(st.text(max_size=3), ANY, max_size=2)
    return st.tuples(known, other).map(lambda pair: {**pair[1], **pair[0]})


PROPERTY = with_any_keys(
    st.fixed_dictionaries(
        {"name": st.sampled_from(["c", "d"]) | st.text(max_size=3), "logicalType": ANY},
        optional={
            **{key: ANY for key in ("logicalTypeOptions", "required", "primaryKey", "tags")},
            "quality": st.lists(RULE, max_size=2),
            "customProperties": CUSTOM,
        },
    )
)
ODCS_DOCUMENTS = with_any_keys(
    st.fixed_dictionaries(
        {
            "apiVersion": st.just("v3.1.0"),
            "kind": st.just("DataContract"),
            "version": ANY,
            "schema": st.lists(
                with_any_keys(
                    st.fixed_dictionaries(
                        {"name": ANY, "properties": st.lists(PROPERTY, min_size=1, max_size=4)},
                        optional={
                            "quality": st.lists(RULE, max_size=2),
                            "customProperties": CUSTOM,
                        },
                    )
                ),
                min_size=1,
                max_size=2,
            ),
        },
        optional={"team": ANY, "description": ANY, "customProperties": CUSTOM, "status": ANY},
    )
)
JSON_DOCUMENTS = st.fixed_dictionaries(
    {
        "type": st.just("object"),
        "properties": st.dictionaries(st.text(max_size=3), ANY, min_size=1),
    },
    optional={k: ANY for k in ("required", "additionalProperties", "title", "$comment", "anyOf")},
)


@settings(max_examples=min(settings.default.max_examples, 150))
@given(document=ODCS_DOCUMENTS | JSON_DOCUMENTS)
def test_any_document_imports_to_a_contract_that_loads_or_one_error(document: Any) -> None:
    from skewless.interop import from_json_schema, loadable_text

    fmt = "odcs" if "kind" in document else "jsonschema"
    failure = None
    try:
        if fmt == "odcs":
            spec, unmapped = from_odcs(document, source="t")
        else:
            spec, unmapped = from_json_schema(document, source="t")
        text = loadable_text(spec, unmapped, source="t", origin=fmt)
    except InputError as exc:
        failure = exc.message
    if failure is not None:  # the file is not of the format, or holds no column
        assert "does not load" not in failure, failure
        return
    skewless.loads_contract(text)
    assert all(line.isprintable() for line in unmapped), unmapped


# --- the command line -----------------------------------------------------------------------------


def test_export_and_import_on_the_command_line(tmp_path: Path) -> None:
    odcs_out = tmp_path / "uf.odcs.yaml"
    contract = ROOT / "contracts" / "user_features.yaml"
    unmappable = ROOT / "tests" / "contracts" / "odcs" / "unmappable.odcs.yaml"
    strict_out = tmp_path / "strict.yaml"
    runs = run_all(
        ["export", contract, "--to", "odcs", "-o", odcs_out],
        ["export", contract, "--to", "jsonschema", "--env", "training"],
        ["import", unmappable, "--from", "odcs"],
        ["import", unmappable, "--from", "odcs", "--strict", "-o", strict_out],
        ["import", unmappable, "--from", "odcs", "--schema", "carriers"],
        ["import", unmappable, "--from", "odcs", "--schema", "nope"],
        ["import", tmp_path / "missing.yaml", "--from", "odcs"],
        ["export", contract, "--to", "xml"],
        ["import", unmappable, "--from", "csv"],
        ["export", ROOT / "tests" / "contracts" / "invalid" / "missing_type.yaml", "--to", "odcs"],
    )
    written, schema, lenient, strict, carriers, nope, missing, bad_to, bad_from, bad = runs
    assert (written.code, written.out) == (0, "")
    assert "exported user_features 2.1.0 to odcs" in written.err
    assert schema.code == 0
    assert "label" in json.loads(schema.out)["properties"]
    assert lenient.code == 0
    assert lenient.out.startswith("# Imported by skewless import")
    lines = lenient.err.splitlines()
    assert len(lines) == len(UNMAPPED)
    assert all(line.startswith("unmapped: ") for line in lines)
    assert (strict.code, strict.out, strict_out.exists()) == (1, "", False)
    assert "not mapped (--strict): nothing written" in strict.err
    assert carriers.code == 0
    assert "contract: carriers" in carriers.out
    assert nope.code == 2
    assert "no schema object 'nope' (the file has: parcels, carriers)" in nope.err
    assert missing.code == 2
    assert missing.err.strip().endswith("missing.yaml: no such file")
    assert (bad_to.code, bad_from.code) == (2, 2)
    assert bad.code == 2
    assert "does not load" in bad.err
    back = tmp_path / "back.yaml"
    runs = run_all(
        ["import", odcs_out, "--from", "odcs", "--strict", "-o", back],
        ["import", tmp_path / "nowhere" / "x.odcs.yaml", "--from", "odcs"],
    )
    assert runs[0].code == 0
    assert runs[0].err.startswith("imported ")
    assert positionless(skewless.load_contract(back)) == positionless(
        skewless.load_contract(contract)
    )
    assert runs[1].code == 2
    assert len(runs[1].err.strip().splitlines()) == 1


HOSTILE_FILES = {
    "not_yaml.yaml": "apiVersion: v3.1.0\nkind: [unclosed\n",
    "a_skewless_contract.yaml": "contract: x\nversion: 1.0.0\ncolumns:\n  a: {type: integer}\n",
    "v2.yaml": "apiVersion: v2.2.2\nkind: DataContract\nid: x\nversion: 1.0.0\nstatus: active\n",
    "deep.yaml": "a: " + DEEP + "\n",
    "deep.json": DEEP,
    "nul.yaml": "apiVersion: v3.1.0\x00\n",
    "escape_in_kind.yaml": 'apiVersion: v3.1.0\nkind: "\\e[2J"\n',
}


def test_hostile_files_on_the_command_line_are_one_error_line(tmp_path: Path) -> None:
    for name, content in HOSTILE_FILES.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    runs = run_all(*(["import", tmp_path / name, "--from", "odcs"] for name in HOSTILE_FILES))
    for name, r in zip(HOSTILE_FILES, runs, strict=True):
        assert (r.code, r.out) == (2, ""), name
        lines = r.err.strip().splitlines()
        assert len(lines) == 1, (name, r.err)
        assert lines[0].startswith(f"error: {tmp_path / name}: "), lines[0]
        assert lines[0].isprintable(), lines[0]


def test_unmapped_lines_on_the_command_line_hold_no_raw_control_character(tmp_path: Path) -> None:
    path = tmp_path / "c.odcs.yaml"
    path.write_text(
        "apiVersion: v3.1.0\nkind: DataContract\nversion: 1.0.0\nschema:\n  - name: t\n"
        '    properties:\n      - {name: "a\\x1b[2Jb", logicalType: string}\n'
        '      - {name: "\\u202ec", logicalType: string}\n'
        '      - {name: d, logicalType: string, description: "x\\x00y"}\n',
        encoding="utf-8",
    )
    (r,) = run_all(["import", path, "--from", "odcs"])
    assert r.code == 0
    assert "\x1b" not in r.err + r.out
    assert "\u202e" not in r.err + r.out
    assert "'a\\x1b[2Jb'" in r.err
    assert '"\\u202ec":' in r.out
    assert 'description: "x\\x00y"' in r.out


# --- export dispatch ---------------------------------------------------------------------------------


def test_export_dispatches_to_each_format() -> None:
    contract = CONTRACTS["user_features.yaml"]
    assert json.loads(export(contract, "jsonschema")) == record_schema(contract, env="serving")
    assert json.loads(export(contract, "jsonschema", env="training")) == record_schema(
        contract, env="training"
    )
    assert export(contract, "odcs") == odcs_text(contract)
    from skewless.codegen import pandera_source, pydantic_source

    assert export(contract, "pandera") == pandera_source(contract)
    assert export(contract, "pydantic", env="serving") == pydantic_source(contract, env="serving")
    with pytest.raises(ValueError, match="cannot export to 'xml'"):
        export(contract, "xml")


# --- JSON Schema import ----------------------------------------------------------------------------

JSON_ENVS: tuple[Env, ...] = ("serving", "training")


@cache
def from_schema(name: str, env: Env) -> tuple[Contract, tuple[str, ...]]:
    """The contract imported from `name`'s exported record schema of `env`."""
    import tempfile

    schema = record_schema(CONTRACTS[name], env=env)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "record.schema.json"
        path.write_text(json.dumps(schema), encoding="utf-8")
        _, contract, unmapped = imported(path, "jsonschema")
    return contract, tuple(unmapped)


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_the_exported_json_schema_imports_every_rule_it_expresses(name: str) -> None:
    contract = CONTRACTS[name]
    for env in JSON_ENVS:
        back, unmapped = from_schema(name, env)
        assert (back.name, back.version) == (contract.name, contract.version)  # from $comment
        assert back.column_names == tuple(c.name for c in contract.columns if c.allowed_in(env))
        for line in unmapped:  # only what JSON Schema cannot say
            assert re.search(r"no time zone|vocabulary is not in|another environment", line), line
        for column in contract.columns:
            if not column.allowed_in(env):
                continue
            got = back.column(column.name)
            expected = "string" if column.type == "category" and column.map_to else column.type
            assert got.type == expected
            assert (got.nullable, got.coerce, got.description) == (
                column.nullable,
                column.coerce,
                column.description,
            )
            if column.type == "integer":
                assert (got.min, got.max) == tuple(
                    None if b in (-(2**63), 2**63 - 1) else b for b in (column.min, column.max)
                )
            if column.type == "float":
                assert (got.min, got.max) == (column.min, column.max)
            if column.type == "category" and not column.map_to:
                assert got.values == column.values
            if column.type == "string":
                assert (got.max_length, got.charset) == (column.max_length, column.charset)
                assert got.min_length == (column.min_length or None)
                assert got.allow_control == column.allow_control
                assert (got.pattern is None) == (column.pattern is None)
                if column.pattern is not None:  # the same language: the same translation
                    assert ecma_pattern(got.pattern) == ecma_pattern(column.pattern)
            if column.type == "datetime":
                assert got.naive == column.naive
                if column.timezone == "UTC":
                    assert got.other_zones == column.other_zones


def skewless_accepts(contract: Contract, record: Any, env: Env | None) -> bool:
    return contract.record_validator(env).validate(record).ok


@settings(max_examples=min(settings.default.max_examples, 150))
@given(data=st.data())
def test_the_imported_contract_judges_records_as_the_original(data: st.DataObject) -> None:
    """Valid records (and nasty ones) pass both; every adversarial case of a class JSON Schema
    expresses fails both."""
    name = data.draw(st.sampled_from(sorted(CONTRACTS)), label="contract")
    env = data.draw(st.sampled_from(JSON_ENVS), label="env")
    contract = CONTRACTS[name]
    back, _ = from_schema(name, env)
    record = data.draw(
        strategies.records(contract, env=env) | nasty.records(contract, env=env), label="record"
    )
    assert skewless_accepts(contract, record, env)
    finite = all(math.isfinite(v) for v in record.values() if isinstance(v, float))
    if finite:  # JSON has no NaN or infinity (json_schema.NOT_EXPRESSED)
        assert skewless_accepts(back, record, None), record
    names = sorted({n for n, _ in adversarial.classes(contract, env=env)} & set(EXPRESSIBLE))
    assume(names)
    case = data.draw(adversarial.cases(contract, env=env, only=[data.draw(st.sampled_from(names))]))
    applies = EXPRESSIBLE[case.name]
    if case.column is not None and applies is not None:
        assume(applies(contract.column(case.column)))
    assert not skewless_accepts(contract, case.record, env)
    forbidden = case.column is not None and case.column not in back.column_names
    if not forbidden:  # a property the schema forbids, other columns allowed: not importable
        assert not skewless_accepts(back, case.record, None), (case.name, case.column)


def test_a_body_schema_imports_its_record(tmp_path: Path) -> None:
    from skewless.json_schema import body_schema

    contract = CONTRACTS["user_scores.yaml"]
    path = tmp_path / "body.json"
    path.write_text(json.dumps(body_schema(contract)), encoding="utf-8")
    _, back, unmapped = imported(path, "jsonschema")
    assert unmapped == []
    assert positionless(back) == positionless(dataclasses.replace(contract, owner=None))


def test_a_foreign_json_schema(tmp_path: Path) -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Order Line",
        "type": "object",
        "required": ["id", "kind"],
        "properties": {
            "id": {"type": "integer", "exclusiveMinimum": 0, "maximum": 10},
            "kind": {"enum": ["a", "b", None]},
            "price": {"type": ["number", "null"], "minimum": 0, "exclusiveMaximum": 5},
            "code": {"type": "string", "pattern": "[A-Z]{2}", "maxLength": 8},
            "day": {"type": "string", "format": "date"},
            "at": {"type": "string", "format": "date-time"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "ref": {"$ref": "#/$defs/x"},
            "email": {"type": "string", "format": "email", "nullable": True, "default": "x"},
        },
    }
    path = tmp_path / "foreign.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    _, c, unmapped = imported(path, "jsonschema")
    assert (c.name, c.version, c.extra_columns) == ("order_line", "0.1.0", "allow")
    assert (c.column("id").min, c.column("id").max) == (1, 10)
    assert (c.column("kind").values, c.column("kind").nullable) == (("a", "b"), True)
    assert (c.column("price").nullable, c.column("price").required) == (True, False)
    assert c.column("code").pattern == "(?s:.*)(?:[A-Z]{2})(?s:.*)"  # a search, as ECMA-262's
    assert c.column("code").allow_control  # JSON Schema takes control characters
    assert (c.column("day").type, c.column("at").type, c.column("at").timezone) == (
        "date",
        "datetime",
        "UTC",
    )
    assert c.column("email").nullable
    text = "\n".join(unmapped)
    for expected in (
        "'Order Line' is not a contract identifier",
        "JSON Schema has no version",
        "column price: exclusiveMaximum: not mapped",
        'column tags: not imported: type "array"',
        "column ref: not imported",
        "column email: format 'email'",
        "default (on column email)",
        "column code: may be left out but not null",
    ):
        assert expected in text, expected


# --- patterns -------------------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", [p for p in PATTERNS if ecma_pattern(p) is not None])
def test_a_translated_pattern_reads_back_as_the_same_language(pattern: str) -> None:
    translated = ecma_pattern(pattern)
    assert translated is not None
    back = re2_pattern(translated)
    assert back is not None
    assert ecma_pattern(back) == translated


@pytest.mark.parametrize(
    ("ecma", "re2"),
    [
        ("^[a-z]+$", "^[a-z]+$"),
        ("[a-z]+", "(?s:.*)(?:[a-z]+)(?s:.*)"),
        ("^ab", "(?:^ab)(?s:.*)"),
        ("\\u00e9$", "(?s:.*)(?:\\x{00e9}$)"),
        ("(?=a)b", None),
        ("(a)\\1", None),
    ],
)
def test_foreign_ecma_patterns_keep_their_search_meaning(ecma: str, re2: str | None) -> None:
    assert re2_pattern(ecma) == re2


# --- the YAML writer ----------------------------------------------------------------------------

TRICKY = ["NO", "yes", "1e3", "1E+5", "0o17", "0x10", "012", "1_000", "~", "null", "=", "<<",
          "2024-01-01", "1:20", ".5", ".inf", "-", "- a", "a: b", "a #b", "#c", "'q", '"q', "",
          " lead", "trail ", "a\nb", "tab\t", "\x00", "\x85", "\u2028", "\ufeff", "\U0001f600",
          "é", "key:", "[x]", "{y}", "a,b", "@at", "`tick", "%p", "!bang", "&amp", "*star", "?q",
          "|p", ">g", "a:b"]  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.sampled_from(TRICKY)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=6) | st.sampled_from(TRICKY), inner, max_size=4)
    ),
    max_leaves=12,
)


def _read_dialect(text: str) -> Any:
    from skewless.interop import _plain
    from skewless.yaml_dialect import Node, compose

    return _plain(Node(compose(text, "t"), "", "t"))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@settings(max_examples=min(settings.default.max_examples, 150))
@given(
    value=st.dictionaries(
        st.text(min_size=1, max_size=8) | st.sampled_from(TRICKY), VALUES, min_size=1, max_size=5
    )
)
def test_the_yaml_writer_reads_back_in_every_reader(value: dict[str, Any]) -> None:
    text = dump_yaml(value)
    assert _same(_read_dialect(text), value), text
    assert _same(yaml.safe_load(text), value), text  # YAML 1.1, as most ODCS tools read it
    for line in text.splitlines():
        assert line.isprintable(), line


# --- docs ---------------------------------------------------------------------------------------


def test_the_examples_in_docs_interop_md_run(tmp_path: Path) -> None:
    """The shell block (in a directory holding the repository's contracts and tests), the
    Python block, and the console block's command with the output it shows."""
    import os
    import subprocess
    import sys

    doc = (ROOT / "docs" / "interop.md").read_text(encoding="utf-8")
    (shell,) = re.findall(r"```sh\n(.*?)```", doc, re.S)
    (python,) = re.findall(r"```python\n(.*?)```", doc, re.S)
    (console,) = re.findall(r"```console\n(.*?)```", doc, re.S)
    for name in ("contracts", "tests"):
        (tmp_path / name).symlink_to(ROOT / name)
    import shutil

    bash = shutil.which("bash")
    assert bash is not None
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run(
        [bash, "-e", "-c", shell], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "unmapped: column dimensions" in done.stderr
    assert skewless.load_contract(tmp_path / "user_features.yaml").name == "user_features"
    done = subprocess.run([sys.executable, "-c", python], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("not mapped: ") == 9
    command, *shown = console.splitlines()
    (r,) = run_all(command.removeprefix("$ skewless ").split(), cwd=ROOT)
    assert r.out.splitlines() == shown
