"""The public surface and the promise that `import skewless` stays light."""

from __future__ import annotations

import subprocess
import sys

import skewless
from tests.conftest import ROOT

HEAVY = ("pandas", "pyarrow", "pandera", "hypothesis", "numpy", "typer", "rich")


def test_public_names_are_exported() -> None:
    for name in skewless.__all__:
        assert hasattr(skewless, name), name


def heavy_after(code: str) -> str:
    """The heavy libraries loaded once `code` has run in a fresh interpreter."""
    script = f"import sys\n{code}\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    return out.strip()


def test_import_skewless_loads_no_heavy_library() -> None:
    loaded = heavy_after(
        "import skewless\n"
        "skewless.loads_contract('contract: t\\nversion: 1.0.0\\ncolumns:\\n  a: {type: integer}\\n')"
    )
    assert loaded == "", f"import skewless pulled in: {loaded}"


def test_loading_a_contract_with_patterns_and_fills_stays_light() -> None:
    path = ROOT / "contracts" / "user_features.yaml"
    loaded = heavy_after(f"import skewless\nskewless.load_contract({str(path)!r})")
    assert loaded == "", f"load_contract pulled in: {loaded}"


def test_the_online_path_loads_no_heavy_library() -> None:
    # The middleware, guard and record validator, validating a JSON body: no pandas, pyarrow,
    # pandera, numpy or hypothesis (typer and rich neither: they are the CLI's).
    path = ROOT / "contracts" / "user_features.yaml"
    loaded = heavy_after(
        "import json, skewless, skewless.middleware, skewless.body, skewless.guard\n"
        "from tests.records import USER_RECORD\n"
        f"v = skewless.load_contract({str(path)!r}).record_validator('serving')\n"
        "assert v.validate_body(json.dumps(USER_RECORD).encode()).ok\n"
        "assert v.validate(USER_RECORD).ok"
    )
    assert loaded == "", f"the online path pulled in: {loaded}"


def test_json_schemas_are_built_without_a_heavy_library() -> None:
    path = ROOT / "contracts" / "user_features.yaml"
    loaded = heavy_after(
        "import skewless\nfrom skewless.json_schema import body_schema\n"
        f"assert body_schema(skewless.load_contract({str(path)!r}))['$defs']"
    )
    assert loaded == "", f"skewless.json_schema pulled in: {loaded}"
