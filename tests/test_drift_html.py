"""The HTML drift report (`skewless.drift_html`, `skewless drift --html`): a plot per drifted
column, everything escaped, no script; opened in headless Chromium with JavaScript off, its
screenshot shows the plots."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import skewless
from skewless.drift import compare
from skewless.drift_html import BASELINE, CURRENT, drift_html
from skewless.profile import profile
from tests.cli_run import skewless_cli

CONTRACT = skewless.loads_contract(
    """
contract: html_probe
version: 1.0.0
columns:
  amount: {type: float, nullable: true}
  "<script>alert(1)</script>": {type: category, values: [a, b]}
  seen_at: {type: datetime, timezone: UTC}
"""
)
HOSTILE = "<script>alert(1)</script>"


def frame(seed: int, *, shift: float = 0.0, hours: float = 0.0, odd: float = 0.0) -> Any:
    rng = np.random.default_rng(seed)
    n = 20_000
    values = np.where(rng.random(n) < 0.5, "a", "b").astype(object)
    values[rng.random(n) < odd] = "<img src=x onerror=alert(1)>\x1b[31m"
    start = pd.Timestamp("2024-03-04", tz="UTC")
    return pd.DataFrame(
        {
            "amount": rng.normal(100 + shift * 15, 15, n),
            HOSTILE: values,
            "seen_at": start + pd.to_timedelta(rng.normal(14, 2, n).clip(0, 23) + hours, unit="h"),
        }
    )


@pytest.fixture(scope="module")
def page() -> str:
    baseline = profile(CONTRACT, frame(1), env="serving")
    current = profile(CONTRACT, frame(2, shift=0.5, hours=-8, odd=0.05), env="serving")
    report = compare(CONTRACT, baseline, current)
    assert {c.column for c in report.columns if c.drifted} == {"amount", HOSTILE, "seen_at"}
    return drift_html(report, baseline, current)


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags[tag] += 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_a_plot_per_drifted_column_and_no_script(page: str) -> None:
    parsed = Tags()
    parsed.feed(page)
    assert parsed.tags["svg"] == 3  # amount (deciles), the category (values), seen_at (hours)
    assert parsed.tags["script"] == 0
    assert "<script" not in page.lower()
    assert "<img" not in page  # a value that is markup is shown as text, never a tag
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    text = "".join(parsed.text)
    assert HOSTILE in text  # shown, as text
    assert "\x1b" not in page  # the escape character, escaped
    assert "\\x1b" in page


def test_the_page_is_one_file(page: str) -> None:
    assert "<link" not in page
    assert "src=" not in page.replace("&lt;img src=x", "")
    assert page.startswith("<!DOCTYPE html>")


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("chromium not found: .ci/run installs Debian's chromium", pytrace=False)
    return found


CANARY = (
    '<!DOCTYPE html><html><body style="margin:0"><div id="d" style="width:400px;height:400px;'
    "background:#00ff00\"></div><script>document.getElementById('d').style.background="
    "'#ff0000'</script></body></html>"
)


def screenshot(chromium: str, page: Path, profile: Path, size: str) -> Any:
    """`page` rendered by headless Chromium under `profile`, as a PIL image."""
    from PIL import Image

    shot = page.with_suffix(".png")
    done = subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={profile}", f"--window-size={size}",
            f"--screenshot={shot}", page.as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.exists(), done.stderr[-2000:]
    return Image.open(shot).convert("RGB")


def test_headless_chromium_without_javascript_shows_the_plots(page: str, tmp_path: Path) -> None:
    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    # A browser profile whose content settings block JavaScript on every site; the canary
    # page (a script that turns a green square red) proves it is off.
    profile_dir = tmp_path / "profile"
    (profile_dir / "Default").mkdir(parents=True)
    (profile_dir / "Default" / "Preferences").write_text(
        '{"profile": {"default_content_setting_values": {"javascript": 2}}}'
    )
    canary = tmp_path / "canary.html"
    canary.write_text(CANARY, encoding="utf-8")
    assert screenshot(chromium, canary, profile_dir, "400,400").getpixel((200, 200)) == (
        0,
        255,
        0,
    ), "JavaScript ran: the test would not show the report works without it"
    report = tmp_path / "drift.html"
    report.write_text(page, encoding="utf-8")
    image = screenshot(chromium, report, profile_dir, "1000,2200")
    colours = Counter({colour: n for n, colour in image.getcolors(1 << 24)})
    assert colours[(255, 255, 255)] < 0.98 * image.width * image.height, "a blank screenshot"
    assert len(colours) > 20
    for colour in (BASELINE, CURRENT):
        rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert colours[rgb] > 500, f"no {colour} bars in the screenshot"


def test_the_command_writes_the_report(tmp_path: Path) -> None:
    contract = tmp_path / "probe.yaml"
    contract.write_text(
        "contract: html_probe\nversion: 1.0.0\ncolumns:\n"
        "  amount: {type: float, nullable: true}\n"
        "  seen_at: {type: datetime, timezone: UTC}\n"
    )
    frame(1)[["amount", "seen_at"]].to_parquet(tmp_path / "train.parquet")
    frame(2, shift=0.5)[["amount", "seen_at"]].to_parquet(tmp_path / "now.parquet")
    made = skewless_cli(
        "profile", contract, "train.parquet", "--env", "training", "-o", "base.json",
        cwd=tmp_path,
    )  # fmt: skip
    assert made.code == 0, made.err
    run = skewless_cli(
        "drift", contract, "now.parquet", "--baseline", "base.json", "--html", "out/drift.html",
        cwd=tmp_path,
    )  # fmt: skip
    assert run.code == 2  # the directory does not exist: refused before any work
    assert "out/drift.html: the directory out does not exist" in run.error_line()
    run = skewless_cli(
        "drift", contract, "now.parquet", "--baseline", "base.json", "--html", "drift.html",
        cwd=tmp_path,
    )  # fmt: skip
    assert run.code == 1, run.out + run.err
    written = (tmp_path / "drift.html").read_text(encoding="utf-8")
    assert written.count("<svg") == 1  # amount drifted; seen_at did not
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
