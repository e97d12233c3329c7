"""The pytest plugin and `@skewless.fuzz`, run by pytest itself on sample projects (pytester).

A sample project's target that crashes on a NUL byte, on a 4-byte character or on a category it
never saw fails under `@skewless.fuzz` with the shrunk example naming the culprit; the fixed
target passes; a target behind `@skewless.guard` never receives a record the contract refuses;
and `pytest --skewless-contracts` tests every contract of a directory.
"""

from __future__ import annotations

import pytest

from tests.conftest import ROOT

pytest_plugins = ["pytester"]
# Each run also turns schemathesis' plugin off: loaded, it blanks hypothesis' printed examples
# for the whole process (pyproject.toml says more).

CONTRACT = """\
contract: notes
version: 1.0.0
columns:
  id: {type: integer, min: 1}
  kind: {type: category, values: [a, b], unknown: {map_to: b}}
  note:
    type: string
    max_length: 8
    charset: CHARSET
    allow_control: CONTROL
"""

TARGET = """\
import skewless

CONTRACT = "notes.yaml"


def predict(record):
    note = record["note"]
    if BREAKS:
        raise ValueError("the model cannot take this note")
    scores = {"a": 0.25, "b": 0.75}
    return scores[record["kind"]] if STRICT else scores.get(record["kind"], 0.5)
"""

TEST = """\
import skewless
from target import CONTRACT, predict


@skewless.fuzz(CONTRACT)
def test_predict_never_crashes(record):
    predict(record)
"""


def project(
    pytester: pytest.Pytester,
    breaks: str,
    *,
    charset: str = "unicode",
    control: str = "true",
    strict: bool = False,
) -> None:
    """A sample project: a contract, a target that breaks on `breaks` (and, `strict`, on a kind
    its vocabulary lacks), and a test fuzzing it with valid records."""
    pytester.makefile(
        ".yaml", notes=CONTRACT.replace("CHARSET", charset).replace("CONTROL", control)
    )
    target = TARGET.replace("BREAKS", breaks).replace("STRICT", str(strict))
    pytester.makepyfile(target=target, test_target=TEST)
    pytester.makeconftest(
        "from hypothesis import settings\n"
        "settings.register_profile('t', max_examples=300, deadline=None, derandomize=True)\n"
        "settings.load_profile('t')\n"
    )


def test_a_target_crashing_on_a_nul_byte_fails_with_the_nul_shown(
    pytester: pytest.Pytester,
) -> None:
    project(pytester, '"\\x00" in (note or "")')  # the contract allows control characters
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:schemathesis")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the model cannot take this note*", "*'note': '\\x00'*"])
    assert "\x00" not in result.stdout.str()  # shown escaped, never raw


def test_a_target_crashing_on_a_4_byte_character_fails_naming_it(
    pytester: pytest.Pytester,
) -> None:
    project(pytester, 'any(ord(c) > 0xFFFF for c in (note or ""))', control="false")
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:schemathesis")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the model cannot take this note*"])
    shown = result.stdout.str().split("the model cannot take this note", 1)[1]
    note = next(line for line in shown.splitlines() if "'note':" in line)
    assert any(ord(c) > 0xFFFF for c in note), note  # the shrunk example names the character


def test_the_fixed_target_passes_and_bmp_contracts_never_send_4_bytes(
    pytester: pytest.Pytester,
) -> None:
    # The same target under `charset: bmp` without control characters: valid data never holds
    # what breaks it, and unknown kinds arrive mapped (map_to) if the target is guarded...
    project(
        pytester,
        'any(ord(c) > 0xFFFF or c == "\\x00" for c in (note or ""))',
        charset="bmp",
        control="false",
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:schemathesis")
    result.assert_outcomes(passed=1)


def test_an_unseen_category_reaches_an_unguarded_target_only(pytester: pytest.Pytester) -> None:
    # Valid records carry unknown kinds (map_to makes them valid): the bare target crashes on
    # one; behind @skewless.guard it receives them mapped to "b" and passes.
    project(pytester, "False", strict=True)
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:schemathesis")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*KeyError*"])
    pytester.makepyfile(
        test_target=(
            "import skewless\n"
            "from target import CONTRACT, predict\n"
            "guarded = skewless.guard(CONTRACT)(predict)\n\n"
            "@skewless.fuzz(CONTRACT)\n"
            "def test_predict_never_crashes(record):\n"
            "    guarded(record)\n"
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:schemathesis")
    result.assert_outcomes(passed=1)


def test_a_guarded_target_never_receives_invalid_data(pytester: pytest.Pytester) -> None:
    project(pytester, "False", charset="bmp", control="false")
    pytester.makepyfile(
        test_target=(
            "import pytest, skewless\n"
            "from target import CONTRACT, predict\n"
            "contract = skewless.load_contract(CONTRACT)\n"
            "seen = []\n\n"
            "@skewless.guard(CONTRACT)\n"
            "def guarded(record):\n"
            "    seen.append(record)\n"
            "    return predict(record)\n\n"
            "@skewless.fuzz(CONTRACT)\n"
            "def test_the_gate_holds(case):\n"
            "    if case.record is None:\n"
            "        return  # a JSON body case: no record to hand over\n"
            "    with pytest.raises(skewless.ViolationError):\n"
            "        guarded(case.record)\n\n"
            "def test_nothing_invalid_got_through():\n"
            "    assert seen == []\n"
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:schemathesis")
    result.assert_outcomes(passed=2)


def test_the_plugin_tests_every_contract_of_a_directory(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "from hypothesis import settings\n"
        "settings.register_profile('t', max_examples=30, deadline=None)\n"
        "settings.load_profile('t')\n"
    )
    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "-p",
        "no:schemathesis",
        "--skewless-contracts",
        str(ROOT / "contracts"),
        "-v",
    )
    result.assert_outcomes(passed=2 * len(list((ROOT / "contracts").glob("*.yaml"))))
    result.stdout.fnmatch_lines(["*user_features.yaml::valid records pass both paths PASSED*"])
    result.stdout.fnmatch_lines(["*every adversarial case gets its code PASSED*"])


def test_the_plugin_stays_out_of_the_way_without_its_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:schemathesis", "--help")
    result.stdout.fnmatch_lines(["*--skewless-contracts=PATH*"])
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:schemathesis")
    result.assert_outcomes(passed=1)
