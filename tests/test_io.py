"""Hostile files through the readers and the real command line: a clear error, never a traceback.

Each case writes a real file under tmp_path and runs `python -m skewless validate` on it (and,
where it says more, `skewless.io.validate_file`). Exit codes: 0 pass, 1 violations, 2 could not
judge. Row ids are 0-based positions of the records in the source.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import skewless
from skewless.io import validate_file
from tests.cli_run import skewless_cli

CONTRACT = """\
contract: hostile
version: 1.0.0
columns:
  id: {type: integer}
  name: {type: string, max_length: 20}
  score: {type: float, nullable: true}
"""


def triples(doc: dict[str, Any]) -> list[tuple[str, str | None, int | None]]:
    return [(v["code"], v["column"], v["row"]) for v in doc["violations"]]


@pytest.fixture
def contract_path(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.yaml"
    path.write_text(CONTRACT)
    return path


@pytest.fixture
def contract(contract_path: Path) -> skewless.Contract:
    return skewless.load_contract(contract_path)


def validate_json(contract_path: Path, data: Path) -> tuple[int, dict[str, Any]]:
    run = skewless_cli("validate", contract_path, data.name, "--format", "json", cwd=data.parent)
    return run.code, run.json()


def cannot_judge(contract_path: Path, data: Path, *words: str) -> str:
    """Exit 2 with one `error:` line on stderr and one ERROR line on stdout, naming the file."""
    run = skewless_cli("validate", contract_path, data.name, cwd=data.parent)
    assert run.code == 2, run
    line = run.error_line()
    assert line.startswith(f"error: {data.name}: "), line
    for word in words:
        assert word in line, line
    assert run.out.strip().splitlines() == [f"ERROR {line.removeprefix('error: ')}"], run.out
    return line


# --- files that cannot be judged --------------------------------------------------------------


def test_missing_file(contract_path: Path, contract: skewless.Contract, tmp_path: Path) -> None:
    cannot_judge(contract_path, tmp_path / "absent.csv", "no such file")
    with pytest.raises(skewless.InputError, match="no such file"):
        validate_file(contract, tmp_path / "absent.csv")


def test_directory(contract_path: Path, contract: skewless.Contract, tmp_path: Path) -> None:
    (tmp_path / "folder.csv").mkdir()
    cannot_judge(contract_path, tmp_path / "folder.csv", "directory")
    with pytest.raises(skewless.InputError, match="directory"):
        validate_file(contract, tmp_path / "folder.csv")


def test_empty_file(contract_path: Path, contract: skewless.Contract, tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    cannot_judge(contract_path, tmp_path / "empty.csv", "empty file")
    for suffix in (".parquet", ".jsonl"):
        (tmp_path / f"empty{suffix}").write_bytes(b"")
        with pytest.raises(skewless.InputError, match="empty file"):
            validate_file(contract, tmp_path / f"empty{suffix}")


def test_unknown_extension(contract_path: Path, tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("id,name,score\n1,a,1.0\n")
    cannot_judge(contract_path, tmp_path / "data.txt", "unknown file type '.txt'")


def test_invalid_utf8_in_the_header(contract_path: Path, tmp_path: Path) -> None:
    (tmp_path / "header.csv").write_bytes(b"id,na\xffme,score\n1,a,1.0\n")
    cannot_judge(contract_path, tmp_path / "header.csv", "header", "UTF-8")


def test_duplicate_header_names(contract_path: Path, tmp_path: Path) -> None:
    (tmp_path / "dupes.csv").write_bytes(b"id,name,score,name\n1,a,1.0,b\n")
    cannot_judge(contract_path, tmp_path / "dupes.csv", "duplicate column name 'name'")


def test_truncated_parquet(
    contract_path: Path, contract: skewless.Contract, tmp_path: Path
) -> None:
    whole = tmp_path / "whole.parquet"
    pq.write_table(pa.table({"id": [1, 2], "name": ["a", "b"], "score": [1.0, 2.0]}), whole)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    cannot_judge(contract_path, cut, "unreadable Parquet")
    with pytest.raises(skewless.InputError, match="unreadable Parquet"):
        validate_file(contract, cut)


# --- CSV: bad rows are row-level violations, the other rows are still judged -----------------


def test_header_only_passes(
    contract_path: Path, contract: skewless.Contract, tmp_path: Path
) -> None:
    (tmp_path / "header.csv").write_bytes(b"id,name,score\n")
    run = skewless_cli("validate", contract_path, "header.csv", cwd=tmp_path)
    assert run.code == 0, run
    assert run.out.strip() == "PASS header.csv: 0 rows pass hostile 1.0.0"
    # Without the final newline too.
    (tmp_path / "bare.csv").write_bytes(b"id,name,score")
    report = validate_file(contract, tmp_path / "bare.csv")
    assert report.ok, report.summary()
    assert report.rows == 0


def test_header_only_fails_a_row_minimum(contract_path: Path, tmp_path: Path) -> None:
    contract_path.write_text(CONTRACT + "checks:\n  rows: {min: 1}\n")
    (tmp_path / "header.csv").write_bytes(b"id,name,score\n")
    code, doc = validate_json(contract_path, tmp_path / "header.csv")
    assert code == 1
    assert triples(doc) == [("row_count", None, None)]
    assert doc["rows"] == 0
    assert "at least 1" in doc["violations"][0]["message"]


def test_ragged_rows(contract_path: Path, contract: skewless.Contract, tmp_path: Path) -> None:
    data = tmp_path / "ragged.csv"
    data.write_bytes(b"id,name,score\n1,a,1.5\n2,b\n3,c,2.0,9\n4,d,x\n5,e,1\n6,f,y")
    code, doc = validate_json(contract_path, data)
    assert code == 1
    assert triples(doc) == [
        ("malformed_input", None, 1),
        ("malformed_input", None, 2),
        ("wrong_type", "score", 3),
        ("wrong_type", "score", 5),
    ]
    too_few, too_many = doc["violations"][:2]
    assert too_few["value"] == "'2,b'"
    assert too_few["message"] == "the record has 2 fields; the header has 3"
    assert too_many["value"] == "'3,c,2.0,9'"
    assert too_many["message"] == "the record has 4 fields; the header has 3"
    assert doc["violations"][2]["value"] == "'x'"
    assert (doc["rows"], doc["rows_failed"]) == (6, 4)
    assert triples(validate_file(contract, data).to_dict()) == triples(doc)


def test_blank_lines_keep_row_ids(contract: skewless.Contract, tmp_path: Path) -> None:
    data = tmp_path / "blank.csv"
    data.write_bytes(b"id,name,score\n1,a,1.5\n\n3,c,x\n")
    report = validate_file(contract, data)
    # A blank line is a record with every field null; the record after it keeps its row id.
    found = {(v.code, v.row) for v in report.violations}
    assert found == {("null_not_allowed", 1), ("wrong_type", 2)}
    assert report.rows == 3


def test_invalid_utf8_in_a_cell(contract_path: Path, tmp_path: Path) -> None:
    (tmp_path / "bytes.csv").write_bytes(b"id,name,score\n1,ok,1.0\n2,a\xff\xfeb,2.0\n3,c,x\n")
    code, doc = validate_json(contract_path, tmp_path / "bytes.csv")
    assert code == 1
    assert triples(doc) == [("invalid_unicode", "name", 1), ("wrong_type", "score", 2)]
    assert doc["violations"][0]["value"] == r"b'a\xff\xfeb'"


def test_nul_bytes_in_cells(contract_path: Path, tmp_path: Path) -> None:
    (tmp_path / "nul.csv").write_bytes(b"id,name,score\n1,a\x00b,1.0\n2\x003,c,2.0\n4,d,3.0\n")
    code, doc = validate_json(contract_path, tmp_path / "nul.csv")
    assert code == 1
    assert triples(doc) == [("control_character", "name", 0), ("wrong_type", "id", 1)]
    assert [v["value"] for v in doc["violations"]] == [r"'a\x00b'", r"'2\x003'"]


def test_utf8_bom(contract_path: Path, contract: skewless.Contract, tmp_path: Path) -> None:
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbfid,name,score\n1,a,1.0\n2,b,x\n")
    code, doc = validate_json(contract_path, tmp_path / "bom.csv")
    assert code == 1
    # The first column is `id`, not `\ufeffid`: no missing or unexpected column.
    assert triples(doc) == [("wrong_type", "score", 1)]
    (tmp_path / "bom.jsonl").write_bytes(b'\xef\xbb\xbf{"id": 1, "name": "a", "score": 1.0}\n')
    assert validate_file(contract, tmp_path / "bom.jsonl").ok


def test_crlf_gives_the_same_report_as_lf(contract_path: Path, tmp_path: Path) -> None:
    rows = [b"id,name,score", b"1,a,1.5", b"2,b", b'3,"c\r\nd",x', b"4,0123456789012345678901,2"]
    (tmp_path / "lf.csv").write_bytes(b"\n".join(rows).replace(b"\r\n", b"\n") + b"\n")
    (tmp_path / "crlf.csv").write_bytes(b"\r\n".join(r.replace(b"\r\n", b"\n") for r in rows))
    run = skewless_cli("validate", contract_path, "lf.csv", "crlf.csv", "-f", "json", cwd=tmp_path)
    assert run.code == 1
    reports = [{k: v for k, v in doc.items() if k != "source"} for doc in run.json()["reports"]]
    assert reports[0] == reports[1]
    assert triples(reports[0]) == [
        ("malformed_input", None, 1),
        ("wrong_type", "score", 2),
        ("too_long", "name", 3),
    ]


def test_a_10_mb_field(contract_path: Path, tmp_path: Path) -> None:
    huge = "\x1b[31m" + "x" * (10 << 20)
    (tmp_path / "huge.csv").write_text(f"id,name,score\n1,{huge},1.0\n2,b,x\n", encoding="utf-8")
    run = skewless_cli("validate", contract_path, "huge.csv", "--format", "json", cwd=tmp_path)
    assert run.code == 1
    assert len(run.out) < 10_000
    doc = run.json()
    assert triples(doc) == [
        ("control_character", "name", 0),
        ("too_long", "name", 0),
        ("wrong_type", "score", 1),
    ]
    value = doc["violations"][1]["value"]
    assert doc["violations"][0]["value"] == value
    assert value.startswith(r"'\x1b[31mxxx")
    assert value.endswith(f"... ({len(huge)} characters)")
    assert "\x1b" not in value


def test_quoted_field_with_a_newline_is_one_record(contract_path: Path, tmp_path: Path) -> None:
    data = b'id,name,score\n1,"two\nlines",1.0\n2,"line one\nline two is long",2.0\n3,c,x\n'
    (tmp_path / "multi.csv").write_bytes(data)
    code, doc = validate_json(contract_path, tmp_path / "multi.csv")
    assert code == 1
    assert doc["rows"] == 3
    assert triples(doc) == [("too_long", "name", 1), ("wrong_type", "score", 2)]
    assert doc["violations"][0]["value"] == r"'line one\nline two is long'"


# --- Parquet ------------------------------------------------------------------------------------


def test_parquet_with_the_wrong_types(contract_path: Path, tmp_path: Path) -> None:
    table = pa.table({"id": ["1", "2"], "name": ["a", "b"], "score": pa.array([1, 2], pa.int32())})
    pq.write_table(table, tmp_path / "typed.parquet")
    code, doc = validate_json(contract_path, tmp_path / "typed.parquet")
    assert code == 1
    # ints stored as strings are not ints; int32 is a fine float column (no precision lost).
    assert triples(doc) == [("wrong_type", "id", 0), ("wrong_type", "id", 1)]
    assert doc["violations"][0]["value"] == "'1'"
    assert "expected an integer, found a string" in doc["violations"][0]["message"]


# --- JSON Lines -------------------------------------------------------------------------------


def jsonl(tmp_path: Path, *lines: bytes) -> Path:
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


GOOD = b'{"id": 1, "name": "a", "score": 1.0}'
LATE = b'{"id": 9, "name": "z", "score": "x"}'  # a violation after the bad line


def test_jsonl_invalid_json_line(contract_path: Path, tmp_path: Path) -> None:
    data = jsonl(tmp_path, GOOD, b'{"id": 2, "name": "b", "score": ', LATE)
    code, doc = validate_json(contract_path, data)
    assert code == 1
    assert triples(doc) == [("malformed_input", None, 1), ("wrong_type", "score", 2)]
    assert doc["violations"][0]["message"].startswith("the record is not valid JSON: ")


def test_jsonl_duplicate_keys(contract_path: Path, tmp_path: Path) -> None:
    data = jsonl(tmp_path, b'{"id": 1, "id": 2, "name": "a", "score": 1.0}', GOOD, LATE)
    code, doc = validate_json(contract_path, data)
    assert code == 1
    assert triples(doc) == [("malformed_input", None, 0), ("wrong_type", "score", 2)]
    assert "duplicate key 'id'" in doc["violations"][0]["message"]


def test_jsonl_a_line_that_is_not_an_object(contract_path: Path, tmp_path: Path) -> None:
    data = jsonl(tmp_path, GOOD, b"[1, 2, 3]", b'"text"', b"null", LATE)
    code, doc = validate_json(contract_path, data)
    assert code == 1
    assert triples(doc) == [
        ("malformed_input", None, 1),
        ("malformed_input", None, 2),
        ("malformed_input", None, 3),
        ("wrong_type", "score", 4),
    ]
    assert doc["violations"][0]["message"] == "the record is a JSON list, not an object"


def test_jsonl_nan_literal(contract_path: Path, tmp_path: Path) -> None:
    data = jsonl(tmp_path, GOOD, b'{"id": 2, "name": "b", "score": NaN}', LATE)
    code, doc = validate_json(contract_path, data)
    assert code == 1
    # A NaN is not a null, even in a nullable column.
    assert triples(doc) == [("nan_not_allowed", "score", 1), ("wrong_type", "score", 2)]


def test_jsonl_integer_beyond_int64(contract_path: Path, tmp_path: Path) -> None:
    data = jsonl(tmp_path, GOOD, b'{"id": %d, "name": "b", "score": 1}' % 2**64, LATE)
    code, doc = validate_json(contract_path, data)
    assert code == 1
    assert triples(doc) == [("integer_overflow", "id", 1), ("wrong_type", "score", 2)]
    assert doc["violations"][0]["value"] == str(2**64)


def test_jsonl_lone_surrogate(contract_path: Path, tmp_path: Path) -> None:
    data = jsonl(tmp_path, GOOD, b'{"id": 2, "name": "a\\ud800b", "score": 1}', LATE)
    code, doc = validate_json(contract_path, data)
    assert code == 1
    assert triples(doc) == [("invalid_unicode", "name", 1), ("wrong_type", "score", 2)]
    assert doc["violations"][0]["value"] == r"'a\ud800b'"


def test_jsonl_nested_10000_deep(contract_path: Path, tmp_path: Path) -> None:
    deep = b'{"id": 2, "name": ' + b"[" * 10_000 + b"]" * 10_000 + b', "score": 1}'
    data = jsonl(tmp_path, GOOD, deep, b'{"a": ' * 10_000 + b"1" + b"}" * 10_000, LATE)
    code, doc = validate_json(contract_path, data)
    assert code == 1
    assert triples(doc) == [
        ("malformed_input", None, 1),
        ("malformed_input", None, 2),
        ("wrong_type", "score", 3),
    ]
    assert {v["message"] for v in doc["violations"][:2]} == {"the record is nested too deeply"}
    assert len(doc["violations"][-2]["value"]) < 200


def test_jsonl_blank_lines(
    contract_path: Path, contract: skewless.Contract, tmp_path: Path
) -> None:
    data = jsonl(tmp_path, GOOD, b"", b"   ", LATE)
    code, doc = validate_json(contract_path, data)
    assert code == 1
    assert triples(doc) == [
        ("malformed_input", None, 1),
        ("malformed_input", None, 2),
        ("wrong_type", "score", 3),
    ]
    assert doc["violations"][0]["message"] == "the record is a blank line, not a JSON object"
    # Nothing but blank lines cannot be judged.
    (tmp_path / "blank.jsonl").write_bytes(b"\n \n\n")
    with pytest.raises(skewless.InputError, match="no records"):
        validate_file(contract, tmp_path / "blank.jsonl")


# --- one dataset, three formats, one report ---------------------------------------------------

SAME = """\
contract: same
version: 1.0.0
timezone: UTC
columns:
  id: {type: integer, min: 1, unique: true}
  browser: {type: category, values: [Chrome, Safari]}
  country: {type: string, pattern: '^[A-Z]{2}$', nullable: true}
  score: {type: float, min: 0, max: 1}
  seen_at: {type: datetime}
  premium: {type: boolean}
"""


def test_csv_parquet_and_jsonl_give_the_same_report(tmp_path: Path) -> None:
    import datetime as dt

    utc = dt.UTC
    columns: dict[str, list[Any]] = {
        "id": [1, 2, 2, 0, 5],
        "browser": ["Chrome", "Netscape", None, "Safari", "Chrome"],
        "country": ["US", "us", None, "FR", "US\n"],
        "score": [0.5, 1.5, -0.1, 0.2, 0.3],
        "seen_at": [dt.datetime(2024, 1, 1, h, tzinfo=utc) for h in range(5)],
        "premium": [True, False, True, None, False],
    }
    (tmp_path / "same.yaml").write_text(SAME)
    records = [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]

    def csv_cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, dt.datetime):
            return value.isoformat()
        if isinstance(value, str) and "\n" in value:
            return f'"{value}"'
        return str(value)

    lines = [",".join(columns)] + [",".join(csv_cell(v) for v in r.values()) for r in records]
    (tmp_path / "same.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    pq.write_table(pa.table(columns), tmp_path / "same.parquet")
    with (tmp_path / "same.jsonl").open("w", encoding="utf-8") as out:
        for r in records:
            out.write(json.dumps(r, default=lambda v: v.isoformat()) + "\n")

    run = skewless_cli(
        "validate",
        "same.yaml",
        "same.csv",
        "same.parquet",
        "same.jsonl",
        "-f",
        "json",
        cwd=tmp_path,
    )
    assert run.code == 1
    docs = run.json()["reports"]
    assert [d["source"] for d in docs] == ["same.csv", "same.parquet", "same.jsonl"]
    expected = [
        ("not_in_vocabulary", "browser", 1),
        ("pattern_mismatch", "country", 1),
        ("out_of_range", "score", 1),
        ("not_unique", "id", 2),
        ("null_not_allowed", "browser", 2),
        ("out_of_range", "score", 2),
        ("out_of_range", "id", 3),
        ("null_not_allowed", "premium", 3),
        ("pattern_mismatch", "country", 4),  # '$' never matches before a trailing newline
    ]
    for doc in docs:
        assert sorted(triples(doc)) == sorted(expected), doc["source"]
        assert triples(doc) == triples(docs[0]), doc["source"]
        assert (doc["rows"], doc["rows_failed"], doc["counts"]) == (5, 4, docs[0]["counts"])
