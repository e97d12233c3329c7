"""The strict contract loader: golden invalid contracts, hints, hostile files and `skewless lint`.

Each file under tests/contracts/invalid/ states on its first line the error it must produce:
`# expect: <code> line <n>` (`line -` when the error has no line, e.g. an empty file), and may
state on its second line a hint the error must carry: `# hint: did you mean 'nullable'?`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import skewless
from skewless import ContractError, ContractErrorCode
from skewless.loader import MAX_CONTRACT_BYTES

HERE = Path(__file__).resolve().parent
INVALID = sorted((HERE / "contracts" / "invalid").glob("*.yaml"))
VALID = sorted((HERE / "contracts" / "valid").glob("*.yaml"))
EXAMPLES = sorted((HERE.parent / "contracts").glob("*.yaml"))
_EXPECT = re.compile(r"# expect: (?P<code>[a-z_]+) line (?P<line>[0-9]+|-)")

GOOD = """\
contract: user_features
version: 1.0.0
columns:
  user_id:
    type: integer
"""


@dataclass(frozen=True)
class Expectation:
    code: str
    line: int | None
    hint: str | None


def expectation(path: Path) -> Expectation:
    # Decode the header only: some files are not UTF-8 on purpose.
    first, second, *_ = [*path.read_bytes().split(b"\n"), b"", b""]
    match = _EXPECT.fullmatch(first.decode("ascii").strip())
    assert match is not None, f"{path.name}: first line must be '# expect: <code> line <n|->'"
    hint = (
        second.decode("ascii").removeprefix("# hint: ") if second.startswith(b"# hint: ") else None
    )
    line = None if match["line"] == "-" else int(match["line"])
    return Expectation(match["code"], line, hint)


def load_error(source: Path | str) -> ContractError:
    """The error loading a contract file (a Path) or contract text (a str) raises."""
    with pytest.raises(ContractError) as info:
        _ = (
            skewless.load_contract(source)
            if isinstance(source, Path)
            else skewless.loads_contract(source, file="c.yaml")
        )
    return info.value


# --- the golden invalid contracts -------------------------------------------------------------


def test_the_corpus_is_large_and_covers_every_error_code() -> None:
    assert len(INVALID) >= 35
    covered = {expectation(p).code for p in INVALID}
    # too_large needs a file over 1 MiB: generated below rather than committed.
    # unsupported_key has no key to fire on today (cadence shipped; NOT_YET is empty).
    # unfrozen is raised when an engine compiles a contract that loaded (tests/test_freeze.py).
    assert covered | {"too_large", "unsupported_key", "unfrozen"} == {
        c.value for c in ContractErrorCode
    }


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_contract_fails_with_its_code_and_line(path: Path) -> None:
    expected = expectation(path)
    error = load_error(path)
    assert (error.code.value, error.line) == (expected.code, expected.line), str(error)
    text = str(error)
    assert text.startswith(str(path))
    if error.line is not None:
        assert text.startswith(f"{path}:{error.line}:{error.column}: {error.code.value}: ")
    if error.path:
        assert f": {error.path}: " in text
    if expected.hint is not None:
        assert error.hint is not None
        assert expected.hint in error.hint
        assert f"({error.hint})" in text
    assert error.message in text


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("unknown_key_top_level", "onwer"),
        ("unknown_key_column", "columns.user_age.nullabel"),
        ("unknown_key_map_to", "columns.browser.unknown.mapto"),
        ("duplicate_column", "columns.user_id"),
        ("duplicate_key_in_column", "columns.user_id.type"),
        ("category_values_not_strings", "columns.rating.values[0]"),
        ("table_unique_unknown_column", "checks.unique[0][1]"),
        ("rows_min_above_max", "checks.rows.min"),
        ("fill_null_below_min", "columns.user_age.fill_null"),
        ("python_tag", "description"),
        ("missing_version", ""),
    ],
)
def test_errors_name_the_key_path(name: str, path: str) -> None:
    assert load_error(HERE / "contracts" / "invalid" / f"{name}.yaml").path == path


def test_line_and_column_point_at_the_offending_key() -> None:
    error = load_error(HERE / "contracts" / "invalid" / "unknown_key_column.yaml")
    lines = (HERE / "contracts" / "invalid" / "unknown_key_column.yaml").read_text().splitlines()
    assert error.line is not None
    assert error.column is not None
    assert lines[error.line - 1][error.column - 1 :].startswith("nullabel:")


def test_duplicate_column_names_both_lines() -> None:
    error = load_error(HERE / "contracts" / "invalid" / "duplicate_column.yaml")
    assert error.line == 9
    assert error.message == "'user_id' appears twice (first on line 5)"


# --- hostile files ----------------------------------------------------------------------------


def test_billion_laughs_is_refused_before_expansion() -> None:
    start = time.perf_counter()
    error = load_error(HERE / "contracts" / "invalid" / "billion_laughs.yaml")
    assert time.perf_counter() - start < 0.5
    assert error.code is ContractErrorCode.ALIAS_NOT_ALLOWED


def test_a_deeper_bomb_is_refused_as_fast() -> None:
    # 30 levels of 10 references each: 10**30 strings if anything expanded it.
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 30)]
    start = time.perf_counter()
    error = load_error("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 0.5
    assert (error.code, error.line) == (ContractErrorCode.ALIAS_NOT_ALLOWED, 1)


@pytest.mark.parametrize(
    "text",
    [
        "columns: " + "[" * 100_000 + "]" * 100_000 + "\n",
        "columns: " + "{a: " * 50_000 + "1" + "}" * 50_000 + "\n",
        "columns:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 500)),
        "- " * 100_000 + "x\n",
    ],
    ids=["flow-lists", "flow-mappings", "block-mappings", "block-lists"],
)
def test_deep_nesting_is_refused_fast_without_recursion_error(text: str) -> None:
    start = time.perf_counter()
    error = load_error(text)
    assert time.perf_counter() - start < 1.0
    assert error.code is ContractErrorCode.INVALID_TYPE
    assert "nested more than" in error.message
    assert error.line is not None


@pytest.mark.parametrize("content", [b"", b"   \n\n\t\n  ", b"\n", b"# only a comment\n", b"---\n"])
def test_empty_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.yaml"
    path.write_bytes(content)
    error = load_error(path)
    assert (error.code, error.line) == (ContractErrorCode.EMPTY, None)
    assert str(error) == f"{path}: empty: the contract is empty"


def test_too_large_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    padding = "#" * 1000 + "\n"
    path.write_text(GOOD + padding * (MAX_CONTRACT_BYTES // len(padding) + 1))
    error = load_error(path)
    assert (error.code, error.line) == (ContractErrorCode.TOO_LARGE, None)
    assert str(path) in str(error)
    assert f"limited to {MAX_CONTRACT_BYTES}" in error.message


def test_too_large_text_is_refused() -> None:
    error = load_error(GOOD + "#" * MAX_CONTRACT_BYTES)
    assert error.code is ContractErrorCode.TOO_LARGE


def test_exactly_the_limit_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "limit.yaml"
    path.write_text(GOOD + "#" * (MAX_CONTRACT_BYTES - len(GOOD) - 1) + "\n")
    assert path.stat().st_size == MAX_CONTRACT_BYTES
    assert skewless.load_contract(path).name == "user_features"


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        (b"\xff" + GOOD.encode(), 1, 1),
        (GOOD.encode() + b"    description: caf\xe9\n", 6, 21),
        (GOOD.encode().replace(b"user_id", b"user\xc3_id"), 4, 7),
    ],
    ids=["first-byte", "latin-1", "truncated-sequence"],
)
def test_non_utf8_contract(tmp_path: Path, content: bytes, line: int, column: int) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(content)
    error = load_error(path)
    assert (error.code, error.line, error.column) == (ContractErrorCode.UNREADABLE, line, column)
    assert "not UTF-8" in error.message


def test_nul_byte_is_a_syntax_error_with_its_line() -> None:
    error = load_error(GOOD + "    description: 'a\x00b'\n")
    assert (error.code, error.line, error.column) == (ContractErrorCode.YAML_SYNTAX, 6, 20)
    assert "U+0000" in error.message
    assert "\x00" not in str(error)


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert skewless.load_contract(path).column_names == ("user_id",)


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_unreadable_paths(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "nothing.yaml"
    if kind == "directory":
        path.mkdir()
    error = load_error(path)
    assert error.code is ContractErrorCode.UNREADABLE
    assert str(error).startswith(f"{path}: unreadable: ")


@pytest.mark.parametrize(
    ("snippet", "code"),
    [
        ("!!python/object/apply:os.system [echo pwned]", "unsupported_tag"),
        ("!!python/object:os.system {}", "unsupported_tag"),
        ("!!python/name:os.system ''", "unsupported_tag"),
        ("!!binary aGVsbG8=", "unsupported_tag"),
        ("!!set {a, b}", "unsupported_tag"),
        ("!!timestamp 2024-01-01", "unsupported_tag"),
        ("!!float abc", "invalid_value"),
        ("!!int 0x10", "invalid_value"),
        ("!!bool yes", "invalid_value"),
        ("!!null text", "invalid_value"),
    ],
)
def test_tags_never_construct_anything(snippet: str, code: str) -> None:
    error = load_error(GOOD + f"    description: {snippet}\n")
    assert (error.code.value, error.line, error.path) == (code, 6, "columns.user_id.description")


def test_plain_tags_on_text_of_their_kind_are_fine() -> None:
    contract = skewless.loads_contract(
        GOOD + "    description: !!str 5\n    nullable: !!bool true\n    min: !!int 3\n"
    )
    column = contract.column("user_id")
    assert (column.description, column.nullable, column.min) == ("5", True, 3)


def test_loading_has_no_side_effects_from_yaml(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = GOOD + f"    description: !!python/object/apply:os.system ['touch {marker}']\n"
    load_error(text)
    assert not marker.exists()


# --- the dialect and the valid contracts ------------------------------------------------------


@pytest.mark.parametrize("path", VALID + EXAMPLES, ids=[p.stem for p in VALID + EXAMPLES])
def test_valid_contracts_load(path: Path) -> None:
    contract = skewless.load_contract(path)
    assert contract.source == str(path)
    assert contract.columns
    assert hash(contract) == hash(skewless.load_contract(path))  # frozen and hashable


def test_every_key_contract_sets_every_key() -> None:
    text = (HERE / "contracts" / "valid" / "every_key.yaml").read_text()
    used = set(re.findall(r"^ *([a-z_]+):", text, flags=re.MULTILINE)) | {"map_to"}
    assert set(skewless.loader.TOP_KEYS) <= used
    assert set(skewless.loader.ALL_COLUMN_KEYS) <= used
    assert {"unique", "rows"} <= used


def test_every_key_contract_values() -> None:
    contract = skewless.load_contract(HERE / "contracts" / "valid" / "every_key.yaml")
    assert contract.extra_columns == "drop"
    assert contract.timezone == "Europe/Paris"
    assert contract.column("local_time").timezone == "Europe/Paris"  # inherited
    assert contract.column("seen_at").timezone == "UTC"  # its own
    assert contract.column("browser").map_to == "Other"
    assert contract.column("plan").map_to is None  # unknown: reject
    assert contract.column("score").max == 1000.0
    assert contract.checks.unique == (("user_id", "seen_at"), ("country",))
    assert (contract.checks.rows_min, contract.checks.rows_max) == (1, 1_000_000)
    assert str(contract.column("signup_date").fill_null) == "1970-01-01"


def test_yaml_dialect_keeps_strings_strings() -> None:
    contract = skewless.load_contract(HERE / "contracts" / "valid" / "dialect.yaml")
    assert contract.owner == "012"
    assert contract.description == "2024-01-01"
    assert contract.column("country").values[:2] == ("NO", "SE")
    assert all(isinstance(v, str) for v in contract.column("country").values)
    assert contract.column("operator").values == ("=", "<<", ">", "!=")
    assert contract.column("flag").nullable is True
    assert contract.column("ratio").min == 0.5
    assert contract.column("at").timezone == "UTC"  # Z is UTC


def test_norway_problem() -> None:
    contract = skewless.loads_contract(
        "contract: t\nversion: 1.0.0\ncolumns:\n  c: {type: category, values: [NO, SE]}\n"
    )
    assert contract.column("c").values == ("NO", "SE")
    error = load_error(
        "contract: t\nversion: 1.0.0\ncolumns:\n  c: {type: category, values: [1, 2]}\n"
    )
    assert (error.code, error.path, error.hint) == (
        ContractErrorCode.INVALID_TYPE,
        "columns.c.values[0]",
        "quote it: '1'",
    )


def test_octal_looking_numbers_are_decimal() -> None:
    contract = skewless.loads_contract(GOOD + "    min: 012\n")
    assert contract.column("user_id").min == 12


# --- hints ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        (GOOD.replace("version", "verison"), "did you mean 'version'?"),
        (GOOD + "    nullabel: true\n", "did you mean 'nullable'?"),
        (GOOD + "    uniqe: true\n", "did you mean 'unique'?"),
        (GOOD.replace("integer", "int"), "did you mean 'integer'?"),
        (GOOD.replace("integer", "str"), "did you mean 'string'?"),
        (GOOD.replace("integer", "timestamp"), "did you mean 'datetime'?"),
        (GOOD.replace("integer", "intger"), "did you mean 'integer'?"),
        (GOOD + "timezone: America/Los_Angles\n", "did you mean 'America/Los_Angeles'?"),
        (GOOD + "extra_columns: alow\n", "did you mean 'allow'?"),
        (GOOD + "    only_in: serve\n", "did you mean 'serving'?"),
        (GOOD + "    nullable: 'true'\n", "write true or false"),
        (GOOD.replace("1.0.0", "'1.0'"), "for example 1.0.0"),
        (
            GOOD + "checks:\n  unique: [[user_ld]]\n",
            "did you mean 'user_id'?",
        ),
        (
            GOOD + "  b:\n    type: category\n    values: [Other]\n    unknown: {map_to: other}\n",
            "did you mean 'Other'?",
        ),
        (
            GOOD + "  s:\n    type: string\n    pattern: '(?<=a)b'\n",
            "RE2 has no backreferences or lookaround; they can take exponential time",
        ),
        (
            GOOD + "  d:\n    type: datetime\n    timezone: '-0500'\n",
            "use an IANA zone such as UTC or Europe/Paris; fixed offsets are not zones",
        ),
        (GOOD + "  true: {type: boolean}\n", "quote it: 'true'"),
        (GOOD + "  null: {type: boolean}\n", "quote it: 'null'"),
    ],
)
def test_hints(text: str, hint: str) -> None:
    error = load_error(text)
    assert error.hint == hint, str(error)
    assert str(error).endswith(f"({hint})")


def test_no_hint_when_nothing_is_close() -> None:
    error = load_error(GOOD + "    zzzzzz: true\n")
    assert error.code is ContractErrorCode.UNKNOWN_KEY
    assert error.hint is None
    assert str(error).endswith("unknown key 'zzzzzz'")


def test_key_of_another_type_says_which_types_take_it() -> None:
    error = load_error(GOOD + "    max_length: 3\n")
    assert error.code is ContractErrorCode.NOT_APPLICABLE
    assert error.message == "'max_length' applies to string columns, not integer"
    error = load_error(GOOD + "    min: 1\n    allow_nan: true\n")
    assert error.message == "'allow_nan' applies to float columns, not integer"
    error = load_error(GOOD.replace("integer", "date") + "    min: 1\n")
    assert error.message == "'min' applies to integer and float columns, not date"


def test_tab_hint() -> None:
    error = load_error(GOOD.replace("    type", "\ttype"))
    assert (error.code, error.line) == (ContractErrorCode.YAML_SYNTAX, 5)
    assert error.hint == "YAML indentation uses spaces, not tabs"


def test_error_text_escapes_control_characters() -> None:
    error = load_error(GOOD + '    "\\e[31mred\\u202e": true\n')
    assert error.code is ContractErrorCode.UNKNOWN_KEY
    assert error.path == "columns.user_id.'\\x1b[31mred\\u202e'"
    assert str(error).isprintable()


@pytest.mark.parametrize(
    "snippet",
    [
        '  c: {type: category, values: ["\\ud800", a]}',
        '  "\\udc00": {type: integer}',
        '  c: {type: string, description: "\\ud83d\\ude00"}',  # a JSON-style pair stays two halves
    ],
    ids=["category-value", "column-name", "surrogate-pair"],
)
def test_lone_surrogates_are_refused(snippet: str) -> None:
    error = load_error(GOOD + snippet + "\n")
    assert (error.code, error.line) == (ContractErrorCode.INVALID_VALUE, 6)
    assert "lone surrogate" in error.message
    assert str(error).encode("utf-8")  # printable as UTF-8, unlike the value itself


# --- skewless lint ----------------------------------------------------------------------------


def lint(*paths: Path | str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "skewless", "lint", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_lint_passes_good_contracts() -> None:
    result = lint(*VALID, *EXAMPLES)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for path in VALID + EXAMPLES:
        assert f"ok {path}:" in result.stdout


def test_lint_fails_a_bad_contract_with_file_line_and_code() -> None:
    path = HERE / "contracts" / "invalid" / "unknown_key_column.yaml"
    result = lint(path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{path}:10:5: unknown_key: columns.user_age.nullabel: ")
    assert "did you mean 'nullable'?" in result.stderr


def test_lint_missing_file_cannot_judge(tmp_path: Path) -> None:
    result = lint(tmp_path / "nope.yaml")
    assert result.returncode == 2
    assert "unreadable" in result.stderr
    assert "Traceback" not in result.stderr


def test_lint_reports_every_file_and_exits_with_the_worst(tmp_path: Path) -> None:
    good = HERE / "contracts" / "valid" / "minimal.yaml"
    bad = HERE / "contracts" / "invalid" / "min_above_max.yaml"
    assert lint(good, bad).returncode == 1
    result = lint(good, bad, tmp_path / "nope.yaml")
    assert result.returncode == 2
    assert f"ok {good}" in result.stdout
    assert str(bad) in result.stderr
    assert "nope.yaml" in result.stderr


def test_lint_without_arguments_is_a_usage_error() -> None:
    result = lint()
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_lint_never_prints_a_traceback(tmp_path: Path) -> None:
    hostile = {
        "nul.yaml": GOOD.encode() + b"    description: a\x00b\n",
        "ansi.yaml": GOOD.encode() + b'    "\\e[2J\\e[31m": 1\n',
        "deep.yaml": b"columns: " + b"[" * 200_000 + b"]" * 200_000 + b"\n",
        "bomb.yaml": (HERE / "contracts" / "invalid" / "billion_laughs.yaml").read_bytes(),
        "huge.yaml": GOOD.encode() + b"#" * (MAX_CONTRACT_BYTES + 1),
        "latin1.yaml": GOOD.encode() + b"    description: caf\xe9\n",
        "binary.yaml": bytes(range(256)) * 4,
        "surrogate.yaml": GOOD.encode() + b'  "\\ud800": {type: integer}\n',
    }
    for name, content in hostile.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "a_directory.yaml").mkdir()
    paths = [*INVALID, *sorted(tmp_path.iterdir())]
    start = time.perf_counter()
    result = lint(*paths)
    assert time.perf_counter() - start < 30
    assert result.returncode == 2  # unreadable files are the worst finding
    assert "Traceback" not in result.stderr + result.stdout
    assert "\x1b" not in result.stderr + result.stdout
    assert "\x00" not in result.stderr + result.stdout
    for path in paths:
        assert str(path) in result.stderr, f"{path} not reported"
    for path in INVALID:
        code = expectation(path).code
        line = next(t for t in result.stderr.splitlines() if t.startswith(f"{path}:"))
        assert f": {code}: " in line


def test_pattern_errors_speak_of_the_pattern_as_written() -> None:
    with pytest.raises(skewless.ContractError) as info:
        skewless.loads_contract(
            "contract: t\nversion: 1.0.0\ncolumns:\n  a: {type: string, pattern: '(abc'}\n"
        )
    assert "\\A(?:" not in str(info.value)
    assert "missing )" in str(info.value)
