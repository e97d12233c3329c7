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


def test_import_skewless_loads_no_heavy_library() -> None:
    code = (
        "import sys, skewless; "
        "c = skewless.loads_contract('contract: t\\nversion: 1.0.0\\ncolumns:\\n  a: {type: integer}\\n'); "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "", f"import skewless pulled in: {out.strip()}"


def test_loading_a_contract_with_patterns_and_fills_stays_light() -> None:
    code = (
        "import sys, skewless; "
        f"skewless.load_contract({str(ROOT / 'contracts' / 'user_features.yaml')!r}); "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "", f"load_contract pulled in: {out.strip()}"
