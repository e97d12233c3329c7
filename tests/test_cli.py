"""The `skewless` command line, run for real in subprocesses: help, usage errors, formats, envs.

Exit codes everywhere: 0 pass, 1 violations, 2 could not judge. No output ever holds a traceback,
a raw control character, an ANSI escape or an invisible format character from the data, and
`pii: true` columns show `<redacted>` in every format.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import skewless
from tests.conftest import CONTRACTS, ROOT

USER_FEATURES = CONTRACTS / "user_features.yaml"
HEADER = (
    "user_id,user_age,browser_type,os,country,last_purchase_at,local_time,signup_date,"
    "session_count,basket_value,click_rate,is_premium,referrer,comment"
)
CLEAN = [
    "1000,57,Safari,iOS,BR,2024-05-01T08:00:00Z,2024-05-01 01:00:00,2022-02-19,4,329.40,,true,,fast",
    "1001,23,Other,macOS,US,2024-05-01T08:07:00Z,2024-05-01 01:07:00,2022-03-30,27,170.18,0.241,false,google.com,",
]
REQUIRED_KEYS = {
    "contract",
    "version",
    "source",
    "ok",
    "rows",
    "rows_failed",
    "counts",
    "violations",
    "truncated",
}


@dataclass
class Run:
    code: int
    out: str
    err: str
    raw: bytes  # stdout and stderr as bytes, for the byte-level checks

    def json(self) -> Any:
        return json.loads(self.out)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["TERM"] = "dumb"
    return env


def run_all(*argvs: list[str | Path], cwd: Path | None = None) -> list[Run]:
    """Run several `python -m skewless` commands side by side; none may print a traceback."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "skewless", *map(str, argv)],
            cwd=cwd,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for argv in argvs
    ]
    runs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        text_out, text_err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        assert "Traceback" not in text_out + text_err, text_out + text_err
        runs.append(Run(proc.returncode, text_out, text_err, out + err))
    return runs


def run(*argv: str | Path, cwd: Path | None = None) -> Run:
    return run_all(list(argv), cwd=cwd)[0]


def junit_xml(r: Run) -> ET.Element:
    return ET.fromstring(r.out.encode("utf-8"))  # noqa: S314 - our own output, under test


def csv_file(path: Path, *rows: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


# --- help, version, usage errors ----------------------------------------------------------------


def test_help_for_the_app_and_each_command_teaches_the_exit_codes() -> None:
    runs = run_all(["--help"], ["validate", "--help"], ["lint", "-h"])
    for r, words in zip(
        runs, (["validate", "lint"], ["--format", "--env"], ["contracts"]), strict=True
    ):
        assert r.code == 0, r
        assert r.err == ""
        text = " ".join(r.out.split())  # help text is wrapped to the terminal
        assert re.search(r"[Ee]xit (codes: )?0 .*\b1 .*\b2 ", text), text
        for word in words:
            assert word in text, text


def test_version() -> None:
    r = run("--version")
    assert r.code == 0
    assert r.out.strip() == f"skewless {skewless.__version__}"


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "--bogus"],
        ["validate", str(USER_FEATURES), "data.csv", "--format", "xml"],
        ["validate", str(USER_FEATURES), "data.csv", "--max-violations", "-1"],
        ["validate", str(USER_FEATURES)],
        ["frobnicate"],
    ],
    ids=["unknown-option", "unknown-format", "negative-limit", "no-data", "unknown-command"],
)
def test_bad_usage_exits_2_without_a_traceback(argv: list[str]) -> None:
    r = run(*argv)
    assert r.code == 2, r
    assert "Usage:" in r.err
    assert r.err.rstrip().splitlines()[-1].startswith("Error: "), r.err
    assert r.out == ""


def test_a_bad_contract_exits_2_naming_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("contract: t\nversion: 1.0.0\ncolumns:\n  id: {type: integer, colour: red}\n")
    syntax = tmp_path / "syntax.yaml"
    syntax.write_text("contract: t\nversion: 1.0.0\ncolumns: [\n")
    data = csv_file(tmp_path / "data.csv", "1", header="id")
    unknown_key, yaml_error, lint = run_all(
        ["validate", bad, data], ["validate", syntax, data], ["lint", USER_FEATURES, bad]
    )
    for r, path in ((unknown_key, bad), (yaml_error, syntax)):
        assert r.code == 2, r
        assert r.out == ""
        [line] = r.err.strip().splitlines()
        assert line.startswith(f"error: the contract does not load: {path}:"), line
    assert re.search(r"bad\.yaml:4:\d+: unknown_key: columns\.id\.colour", unknown_key.err)
    assert re.search(r"syntax\.yaml:\d+(:\d+)?: yaml_syntax", yaml_error.err), yaml_error.err
    # lint judges contracts: a contract that does not load is a finding (1), not "cannot judge".
    assert lint.code == 1
    assert lint.out.startswith(f"ok {USER_FEATURES}: user_features 2.1.0")
    assert "bad.yaml:4:" in lint.err


# --- several files ------------------------------------------------------------------------------


def test_several_files_one_bad_one_good_exits_1(tmp_path: Path) -> None:
    good = csv_file(tmp_path / "good.csv", *CLEAN)
    # An unseen os is mapped to Other (unknown: {map_to: Other}); an unseen browser is rejected.
    bad_row = CLEAN[1].replace("macOS", "BeOS", 1).replace("Other", "Netscape", 1)
    bad = csv_file(tmp_path / "bad.csv", CLEAN[0], bad_row)
    text, as_json = run_all(
        ["validate", USER_FEATURES, good, bad], ["validate", USER_FEATURES, good, bad, "-f", "json"]
    )
    assert text.code == 1
    lines = text.out.splitlines()
    assert lines[0] == f"PASS {good}: 2 rows pass user_features 2.1.0"
    assert lines[1] == f"FAIL {bad}: 1 violation in 1 of 2 rows (user_features 2.1.0)"
    assert as_json.code == 1
    doc = as_json.json()
    assert set(doc) == {"ok", "reports"}
    assert doc["ok"] is False
    passing, failing = doc["reports"]
    assert set(passing) >= REQUIRED_KEYS
    assert (passing["source"], passing["ok"], passing["rows"]) == (str(good), True, 2)
    assert (passing["violations"], passing["counts"], passing["truncated"]) == ([], {}, False)
    assert (failing["source"], failing["ok"]) == (str(bad), False)
    assert [(v["code"], v["column"], v["row"]) for v in failing["violations"]] == [
        ("not_in_vocabulary", "browser_type", 1)
    ]


def test_an_unreadable_file_exits_2_and_the_others_are_still_reported(tmp_path: Path) -> None:
    bad = csv_file(tmp_path / "bad.csv", CLEAN[0].replace("BR", "Brazil", 1))
    missing = tmp_path / "missing.csv"
    text, as_json = run_all(
        ["validate", USER_FEATURES, bad, missing],
        ["validate", USER_FEATURES, missing, bad, "--format", "json"],
    )
    assert text.code == 2
    assert text.err.strip() == f"error: {missing}: no such file"
    assert text.out.splitlines()[0].startswith(f"FAIL {bad}: 2 violations in 1 of 1 rows")
    assert f"ERROR {missing}: no such file" in text.out.splitlines()
    assert as_json.code == 2
    doc = as_json.json()
    assert doc["ok"] is False
    unreadable, report = doc["reports"]
    assert unreadable == {
        "source": str(missing),
        "ok": None,
        "error": "no such file",
        "skewless": skewless.__version__,
    }
    assert report["source"] == str(bad)
    assert report["counts"] == {"pattern_mismatch": 1, "too_long": 1}


# --- the JSON and JUnit formats -----------------------------------------------------------------


def test_json_report_holds_the_documented_keys(tmp_path: Path) -> None:
    rows = [
        CLEAN[0].replace("Safari", f"Browser{i}", 1).replace("1000", str(1000 + i))
        for i in range(5)
    ]
    data = csv_file(tmp_path / "data.csv", *rows)
    full, limited = run_all(
        ["validate", USER_FEATURES, data, "--format", "json"],
        ["validate", USER_FEATURES, data, "--format", "json", "--max-violations", "3"],
    )
    assert full.code == 1
    doc = full.json()
    assert set(doc) >= REQUIRED_KEYS
    assert doc["contract"] == "user_features"
    assert doc["version"] == "2.1.0"
    assert doc["source"] == str(data)
    assert (doc["ok"], doc["rows"], doc["rows_failed"]) == (False, 5, 5)
    assert doc["counts"] == {"not_in_vocabulary": 5}
    assert doc["counts_by_column"] == {"browser_type": {"not_in_vocabulary": 5}}
    assert doc["truncated"] is False
    assert doc["skewless"] == skewless.__version__
    assert doc["violations"][0] == {
        "code": "not_in_vocabulary",
        "column": "browser_type",
        "row": 0,
        "value": "'Browser0'",
        "message": doc["violations"][0]["message"],
    }
    assert [v["row"] for v in doc["violations"]] == [0, 1, 2, 3, 4]

    assert limited.code == 1
    short = limited.json()
    assert len(short["violations"]) == 3
    assert short["truncated"] is True
    assert short["counts"] == {"not_in_vocabulary": 5}  # counts always cover everything
    assert short["violations"] == doc["violations"][:3]


def test_junit_is_xml_with_a_testsuite_per_file(tmp_path: Path) -> None:
    good = csv_file(tmp_path / "good.csv", *CLEAN)
    bad = csv_file(tmp_path / "bad.csv", CLEAN[0].replace("57", "abc", 1).replace("BR", "br", 1))
    missing = tmp_path / "missing.parquet"
    r = run("validate", USER_FEATURES, good, bad, missing, "--format", "junit")
    assert r.code == 2
    root = junit_xml(r)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [
        f"user_features 2.1.0: {good}",
        f"user_features 2.1.0: {bad}",
        str(missing),
    ]
    passing, failing, unreadable = suites
    assert passing.get("failures") == "0"
    columns = list(skewless.load_contract(USER_FEATURES).column_names)
    assert [c.get("name") for c in passing.iter("testcase")] == columns
    assert passing.find("testcase/failure") is None
    assert failing.get("failures") == "2"
    assert failing.get("tests") == str(len(columns))
    cases = {c.get("name"): c for c in failing.iter("testcase")}
    assert set(cases) == set(columns)
    assert {n for n, c in cases.items() if c.find("failure") is not None} == {"user_age", "country"}
    age_failure = cases["user_age"].find("failure")
    assert age_failure is not None
    assert age_failure.get("message") == "1 violation"
    assert age_failure.text == (
        "row 0: wrong_type: value <redacted>: "
        "is not an integer (expected digits with an optional sign)"
    )
    assert unreadable.get("errors") == "1"
    error = unreadable.find("testcase/error")
    assert error is not None
    assert error.get("message") == "no such file"


# --- environments -------------------------------------------------------------------------------


def test_env_decides_the_only_in_training_label(tmp_path: Path) -> None:
    serving = csv_file(tmp_path / "serving.csv", *CLEAN)
    training = csv_file(
        tmp_path / "training.csv", CLEAN[0] + ",true", CLEAN[1] + ",false", header=HEADER + ",label"
    )
    both = [USER_FEATURES, serving, training, "-f", "json"]
    as_serving, as_training, no_env, unknown_env = run_all(
        ["validate", *both, "--env", "serving"],
        ["validate", *both, "--env", "training"],
        ["validate", *both],
        ["validate", *both, "--env", "production"],
    )

    def found(r: Run) -> list[list[tuple[str, str | None, str]]]:
        return [
            [(v["code"], v["column"], v["message"]) for v in report["violations"]]
            for report in r.json()["reports"]
        ]

    assert as_serving.code == 1
    assert found(as_serving) == [
        [],
        [
            (
                "unexpected_column",
                "label",
                "exists only in training data (only_in), not in serving data",
            )
        ],
    ]
    assert as_training.code == 1
    assert found(as_training) == [
        [("missing_column", "label", "is missing (required in training data)")],
        [],
    ]
    # Without --env, an only_in column may be present or absent.
    assert no_env.code == 0
    assert found(no_env) == [[], []]
    assert unknown_env.code == 2
    assert "production" in unknown_env.err


# --- nothing raw reaches a terminal, a log or a CI page -----------------------------------------

HOSTILE = {
    "nul": "a\x00b",
    "ansi": "\x1b[31mred\x1b[0m",
    "bell": "ding\x07",
    "c1": "c1\x85\x9b[2J",
    "osc": "\x1b]0;pwned\x07",
    "rtl": "evil\u202etxt.exe",
    "zwsp": "zero\u200bwidth",
    "del": "rub\x7fout",
    "ff": "form\x0cfeed\x0bvt",
}
FORBIDDEN_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FORBIDDEN_CHARS = re.compile("[\x80-\x9f\u202e\u200b]")
ESCAPE_CONTRACT = """\
contract: escapes
version: 1.0.0
columns:
  id: {type: integer}
  browser: {type: category, values: [Chrome]}
  note: {type: string, max_length: 3, allow_control: true}
"""


def assert_clean(r: Run) -> None:
    assert not FORBIDDEN_BYTES.findall(r.raw), FORBIDDEN_BYTES.findall(r.raw)
    text = r.raw.decode("utf-8")  # valid UTF-8 too, whatever the input held
    assert not FORBIDDEN_CHARS.findall(text), FORBIDDEN_CHARS.findall(text)


def test_reports_never_print_a_raw_control_character(tmp_path: Path) -> None:
    (tmp_path / "escapes.yaml").write_text(ESCAPE_CONTRACT)
    evil_name = "col\x1b[31m\u202e"
    rows = [f'{i},"{value}","{value}","{value}"' for i, value in enumerate(HOSTILE.values())]
    rows.append('99,\x1b[2J"ragged\x07')  # a malformed record: shown raw? never
    data = tmp_path / "hostile.csv"
    data.write_bytes(
        "\n".join([f"id,browser,note,{evil_name}", *rows]).encode("utf-8")
        + b"\n100,\xff\x1b[1m\xfe,ok,x\n"  # invalid UTF-8 around an escape
    )
    named = tmp_path / "evil\x1b[31m.csv"  # file names come from producers too
    named.write_bytes(data.read_bytes())
    argv = ["validate", "escapes.yaml", data.name, named.name, "missing\x1b[5m.csv"]
    runs = run_all(*([*argv, "-f", fmt] for fmt in ("text", "json", "junit")), cwd=tmp_path)
    for r in runs:
        assert r.code == 2, r  # one file is unreadable
        assert_clean(r)
    text, as_json, junit = runs

    doc = as_json.json()["reports"][0]
    shown = {v["value"] for v in doc["violations"] if v["column"] == "browser"}
    for value in HOSTILE.values():
        assert repr(value) in shown
    assert r"b'\xff\x1b[1m\xfe'" in shown
    [unexpected] = [v for v in doc["violations"] if v["code"] == "unexpected_column"]
    assert unexpected["column"] == evil_name  # exact in JSON, where escaping is the encoder's
    [ragged] = [v for v in doc["violations"] if v["code"] == "malformed_input"]
    assert ragged["value"] == repr('99,\x1b[2J"ragged\x07')

    assert r"'\x1b[31mred\x1b[0m'" in text.out
    assert r"'evil\u202etxt.exe'" in text.out
    assert r"'col\x1b[31m\u202e'" in text.out
    assert r"'evil\x1b[31m.csv'" in text.out
    assert r"error: 'missing\x1b[5m.csv': no such file" in text.err

    root = junit_xml(junit)
    names = {c.get("name") for c in root.iter("testcase")}
    assert r"col\x1b[31m\u202e" in names
    assert any(r"'zero\u200bwidth'" in (f.text or "") for f in root.iter("failure"))


def test_pii_columns_are_redacted_in_every_format(tmp_path: Path) -> None:
    age = "4711"  # user_age is pii: true in contracts/user_features.yaml
    rows = [
        CLEAN[0].replace(",57,", f",{age},", 1),  # out_of_range
        CLEAN[1].replace(",23,", f",{age}x,", 1),  # wrong_type
        f"1002,{age},Safari",  # a ragged record holds the age too
    ]
    csv_file(tmp_path / "people.csv", *rows)
    runs = run_all(  # a relative path: no digit of the output comes from tmp_path
        *(
            ["validate", USER_FEATURES, "people.csv", "-f", fmt]
            for fmt in ("text", "json", "junit")
        ),
        cwd=tmp_path,
    )
    for r in runs:
        assert r.code == 1, r
        assert age not in r.out + r.err
        assert "<redacted>" in r.out or "&lt;redacted&gt;" in r.out
    doc = runs[1].json()
    values = {(v["code"], v["column"]): v["value"] for v in doc["violations"]}
    assert values == {
        ("out_of_range", "user_age"): "<redacted>",
        ("wrong_type", "user_age"): "<redacted>",
        ("malformed_input", None): "<redacted>",
    }
    failures = [f.text or "" for f in junit_xml(runs[2]).iter("failure")]
    assert sum(t.count("value <redacted>") for t in failures) == 3


# --- docs/cli.md shows what the command line really prints -------------------------------------


def test_the_examples_in_docs_cli_md_are_real() -> None:
    """Each `$ skewless ...` in a console block, its output and the `echo $?` after it."""
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    examples = []
    for block in re.findall(r"```console\n(.*?)```", doc, re.S):
        for command in re.split(r"^(?=\$ skewless )", block, flags=re.M)[1:]:
            first, *lines = command.splitlines()
            code = None
            if len(lines) >= 2 and lines[-2] == "$ echo $?":
                code = int(lines[-1])
                lines = lines[:-2]
            examples.append((first.removeprefix("$ skewless ").split(), lines, code))
    assert len(examples) >= 6
    runs = run_all(*(argv for argv, _, _ in examples), cwd=ROOT)
    for (argv, lines, code), r in zip(examples, runs, strict=True):
        shown = [line.rstrip() for line in (r.err + r.out).splitlines()]
        assert shown == lines, argv
        if code is not None:
            assert r.code == code, argv
