"""The data dictionary (`skewless.dictionary`, `skewless docs`): every contract renders, every
column and rule is said, hostile contracts stay text (the Markdown table keeps its cells, the
HTML has no element or attribute of theirs), the HTML reads in Chromium without JavaScript, and
the command writes all its files or none."""

from __future__ import annotations

import re
import resource
import signal
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

import skewless
from skewless import dictionary
from skewless.contract import DRIFT_DEFAULTS, Column, Contract
from skewless.report import escape, escape_name, printable
from tests.cli_run import skewless_cli
from tests.conftest import CONTRACTS, ROOT
from tests.test_drift_html import CANARY, _chromium, screenshot
from tests.test_exports import heavy_after
from tests.test_freeze import read_only

EVERY_CONTRACT = sorted(CONTRACTS.glob("*.yaml")) + sorted(
    (ROOT / "tests" / "contracts" / "valid").glob("*.yaml")
)
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
LINK = "[link](javascript:alert(1))"
NAMES = {  # hostile column names (control characters are refused by the loader; the rest is not)
    "markup": f"a|b`c*d_e{SCRIPT}",
    "attribute": IMG,
    "bidi": "\u202eevil\u202c",
    "emoji": "\U0001f600 emoji",
    "backslash": "\\|",
    "rule": "--- *",
}
DESCRIPTION = (
    "Line one | pipe `tick` **bold** _under_ ~~gone~~ $x$\n# not a heading\n- not a list\n"
    f"1. not a list\n    not code\n{SCRIPT} {IMG} {LINK} ![i](x.png)\n"
    "\u202eevil\u202c \U0001f600 &amp; &#60; \x00nul\ttab\\"
)
CELL = f"cell | two\n{IMG}\n{LINK} \u2066iso\u2069 \U0001f468\u200d\U0001f469 <br>"
HOSTILE_YAML = r"""
contract: hostile
version: 1.0.0-x.1+b.2
owner: "Eve | `ops` <script>alert(1)</script> **bold**"
description: DESCRIPTION
timezone: UTC
drift: {ks: 0.1}
columns:
  "a|b`c*d_e<script>alert(1)</script>":
    type: category
    values: ["x|y", "`", "<b>", "[l](javascript:alert(1))", "\U0001F600", "a\u202eb", " pad"]
    unknown: {map_to: "x|y"}
    nullable: true
    fill_null: "`"
    pii: true
    description: CELL
  "\"><img src=x onerror=alert(1)>":
    type: string
    pattern: '^[a-z|`\\]*$'
    min_length: 1
    max_length: 10
    charset: bmp
    description: "[click](javascript:alert(1)) <a href=\"javascript:alert(1)\">x</a>"
  "\u202eevil\u202c":
    type: integer
    min: -5
    max: 5
    nullable: true
    fill_null: {freeze: median, value: 0}
    drift: {psi: 0.3}
  "\U0001F600 emoji":
    type: datetime
    naive: assume
    cadence: {every: 5min, by: ["a|b`c*d_e<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>"]}
  "\\|":
    type: boolean
    only_in: serving
    description: "ends with a backslash \\"
  "--- *":
    type: float
    allow_nan: true
    only_in: training
    description: "```\nfenced?\n```"
checks:
  unique: [["a|b`c*d_e<script>alert(1)</script>", "\\|"]]
  rows: {min: 0, max: 10}
"""


def _yaml_string(text: str) -> str:
    """`text` as a YAML double-quoted scalar."""
    escaped = text.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    return f'"{escaped}"'


HOSTILE_TEXT = HOSTILE_YAML.replace("DESCRIPTION", _yaml_string(DESCRIPTION)).replace(
    "CELL", _yaml_string(CELL)
)
HOSTILE = skewless.loads_contract(HOSTILE_TEXT, file="hostile.yaml")


def shown(name: str) -> str:
    """How a name or a value is shown: escaped, quoted when blanks at its ends would be lost."""
    return escape(name, 200) if name != name.strip() else escape_name(name)


def free(text: str | None) -> str:
    """How free text is shown: control characters escaped, lines trimmed, newlines kept."""
    lines = printable(text or "", keep="\n").split("\n")
    return "\n".join(line.strip() for line in lines).strip("\n")


# --- reading the output back -------------------------------------------------------------------


class Page(HTMLParser):
    """An HTML page read back: its elements, attributes, text and tables (cells as text)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.attributes: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self.attributes += [(tag, name, value) for name, value in attrs]
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "li" and self._cell is not None and self._cell:
            self._cell.append("; ")  # rules are a list in a cell: one entry each

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def table(self, first_header: str) -> list[list[str]]:
        return next(t for t in self.tables if t and t[0][0] == first_header)


_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def markdown_tables(text: str) -> list[list[list[str]]]:
    """The tables of a Markdown page as CommonMark + GFM tables read them, cells as plain text
    (a `<br>` read as a newline); any other HTML, link or image fails the test."""
    tables: list[list[list[str]]] = []
    in_table = False
    for token in _MD.parse(text):
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            tables[-1].append([])
        elif token.type == "inline" and in_table:
            tables[-1][-1].append(inline_text(token))
        in_table = token.type != "table_close" and (in_table or token.type == "table_open")
    return tables


def inline_text(token: Any) -> str:
    parts = []
    for child in token.children or []:
        assert child.type not in ("link_open", "image"), child
        if child.type == "html_inline":
            assert child.content == "<br>", child.content
            parts.append("\n")
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append("\n")
    return "".join(parts)


def table_lines(text: str) -> list[list[list[str]]]:
    """Each Markdown table of `text` as its source lines, split where GFM splits cells (a pipe
    not escaped by a backslash)."""
    tables: list[list[str]] = []
    previous = ""
    for line in text.splitlines():
        if line.startswith("|"):
            if not previous.startswith("|"):
                tables.append([])
            tables[-1].append(line)
        previous = line
    return [[re.split(r"(?<!\\)\|", line) for line in table] for table in tables]


def plain(text: str) -> str:
    """A Markdown page read back as text: paragraphs, headings and table cells, a line each."""
    tokens = _MD.parse(text)
    return "\n".join(inline_text(t) for t in tokens if t.type == "inline")


# --- every contract renders, every column and rule is said ------------------------------------


@pytest.fixture(scope="module")
def contracts() -> list[Contract]:
    return [skewless.load_contract(path) for path in EVERY_CONTRACT]


def said(column: Column) -> list[str]:
    """What a page must say about `column`, phrase by phrase (docs/dictionary.md)."""
    phrases = [shown(column.name), column.type]
    phrases.append(
        f"{column.only_in} only" if column.only_in else "yes" if column.required else "no"
    )
    if column.min is not None:
        phrases.append(repr(column.min))
    if column.max is not None:
        phrases.append(repr(column.max))
    if column.allow_nan:
        phrases.append("NaN allowed")
    if column.allow_inf:
        phrases.append("infinities allowed")
    if column.type == "category":
        phrases += [shown(v) for v in column.values]
        phrases.append(
            "other values rejected"
            if column.map_to is None
            else f"other values become {shown(column.map_to)}"
        )
    if column.pattern is not None:
        phrases.append(f"matches {printable(column.pattern)}")
    for length in (column.min_length, column.max_length):
        if length is not None:
            phrases += [str(length), "characters"]
    if column.type == "string":
        phrases += {"ascii": ["ASCII"], "bmp": ["4-byte"], "unicode": []}[column.charset]
    if column.allow_control:
        phrases.append("control characters allowed")
    if column.type == "datetime":
        zone = column.timezone
        phrases.append(f"time zone {zone}")
        phrases.append(
            f"naive values read as wall time in {zone}"
            if column.naive == "assume"
            else "naive values rejected"
        )
        phrases.append(f"values in other zones {column.other_zones}")
    if column.cadence:
        phrases.append(f"every {column.cadence}")
        phrases += [shown(by) for by in column.cadence_by]
    if column.unique:
        phrases.append("unique")
    if column.coerce:
        phrases.append("coerce")
    if column.pii:
        phrases.append("pii")
    if column.fill_freeze:
        phrases.append(f"the {column.fill_freeze} of training, frozen")
    if column.has_fill:
        value = column.fill_null
        literal = (
            ("true" if value else "false")
            if isinstance(value, bool)
            else value.isoformat()
            if hasattr(value, "isoformat")
            else shown(value)
            if isinstance(value, str)
            else repr(value)
        )
        if not (column.pii and column.fill_freeze):
            phrases.append(literal)
    for statistic, threshold in column.drift:
        phrases += [statistic, f"{threshold:g}"]
    if column.description:
        phrases.append(free(column.description))
    return phrases


def contract_said(contract: Contract) -> list[str]:
    phrases = [contract.name, contract.version, str(len(contract.columns))]
    phrases += [free(contract.owner)] if contract.owner else []
    phrases += [free(contract.description)] if contract.description else []
    for key in contract.checks.unique:
        phrases += [shown(name) for name in key]
    for bound in (contract.checks.rows_min, contract.checks.rows_max):
        if bound is not None:
            phrases.append(str(bound))
    for statistic, threshold in contract.drift:
        phrases += [statistic, f"{threshold:g}"]
    return phrases


def test_every_contract_renders_and_says_every_column_and_rule(contracts: list[Contract]) -> None:
    for contract in [*contracts, HOSTILE]:
        page = Page(dictionary.html_page(contract))
        md = markdown_tables(dictionary.markdown(contract))
        html_rows = page.table("column")[1:]
        md_rows = next(t for t in md if t[0][0] == "column")[1:]
        assert len(html_rows) == len(md_rows) == len(contract.columns)
        for column, html_row, md_row in zip(contract.columns, html_rows, md_rows, strict=True):
            for cells in (html_row, md_row):
                row = " | ".join(cells)
                for phrase in said(column):
                    assert phrase in row, (contract.name, column.name, phrase, row)
            assert md_row[-1] == html_row[-1] == free(column.description)
        text = "".join(page.text)
        markdown_text = plain(dictionary.markdown(contract))
        for phrase in contract_said(contract):
            assert phrase in text, (contract.name, phrase)
            assert phrase in markdown_text, (contract.name, phrase)
        only = [c for c in contract.columns if c.only_in]
        envs = {row[0]: row[1] for row in page.table("environment")[1:]} if only else {}
        for column in only:
            assert shown(column.name) in envs[column.only_in]


def test_the_drift_table_holds_every_threshold(contracts: list[Contract]) -> None:
    every_key = next(c for c in contracts if c.name == "every_key")
    rows = {r[0]: r[1:] for r in Page(dictionary.html_page(every_key)).table("statistic")[1:]}
    assert set(rows) == set(DRIFT_DEFAULTS)
    assert rows["ks"] == ["0.08", "contract"]
    assert rows["min_rows"] == ["5000", "contract"]
    assert rows["psi"] == ["0.2", "default"]


def test_a_frozen_statistic_says_where_it_came_from() -> None:
    contract = skewless.loads_contract(
        "contract: ages\nversion: 1.0.0\ncolumns:\n"
        "  age: {type: integer, nullable: true, fill_null: {freeze: median, value: 37}}\n"
        "  todo: {type: integer, nullable: true, fill_null: {freeze: mean}}\n"
        "  secret: {type: integer, pii: true, nullable: true, fill_null: {freeze: median, value: 41}}\n"
    )
    for page in (dictionary.markdown(contract), dictionary.html_page(contract)):
        assert "nulls become the median of training, frozen: " in page
        assert "37" in page
        assert "nulls become the mean of training, not frozen yet (run skewless freeze)" in page
        # a statistic of personal data may be one person's value: marked, never shown
        assert "the median of training, frozen (value not shown: pii)" in page
        assert "41" not in page


# --- hostile contracts stay text ---------------------------------------------------------------


def test_hostile_markdown_keeps_every_table_whole() -> None:
    text = dictionary.markdown(HOSTILE)
    for table in table_lines(text):
        widths = {len(cells) for cells in table}
        assert len(widths) == 1, table  # every row has as many cells as the header
    tables = markdown_tables(text)
    columns = next(t for t in tables if t[0][0] == "column")
    assert [row[0] for row in columns[1:]] == [
        shown(c.name) + (" pii" if c.pii else "") for c in HOSTILE.columns
    ]
    assert all(len(row) == 6 for row in columns)
    assert columns[1][5] == free(CELL)  # the description round-trips, newlines and all
    summary = {row[0]: row[1] for row in tables[0]}
    assert summary["owner"] == "Eve | `ops` <script>alert(1)</script> **bold**"
    # The paragraph is text: no heading, list, code block, link, image, emphasis or raw HTML.
    kinds = {token.type for token in _MD.parse(text.split("\n\n|", 1)[0])}
    assert kinds <= {"heading_open", "heading_close", "paragraph_open", "paragraph_close", "inline"}
    assert plain(text.split("\n\n|", 1)[0]).split("\n", 1)[1] == free(DESCRIPTION)
    assert "\u202e" not in text
    assert "\x00" not in text


def test_hostile_html_has_no_element_or_attribute_of_the_contract() -> None:
    files = dictionary.html([HOSTILE])
    for name, text in files.items():
        page = Page(text)
        allowed = {"html", "head", "meta", "title", "style", "body", "nav", "a", "h1", "h2", "p",
                   "table", "thead", "tbody", "tr", "th", "td", "code", "ul", "li", "span", "footer"}  # fmt: skip
        assert set(page.tags) <= allowed, (name, set(page.tags) - allowed)
        assert not any(attr.startswith("on") for _, attr, _ in page.attributes)
        hrefs = {value for tag, attr, value in page.attributes if attr == "href"}
        assert hrefs <= {"index.html", "hostile.html"}
        assert {attr for _, attr, _ in page.attributes} <= {
            "lang", "charset", "http-equiv", "content", "name", "href", "class", "title",
        }  # fmt: skip
        assert "<script" not in text.lower()
        assert "<img" not in text.lower()
        assert "\u202e" not in text
        assert "\x00" not in text
    page = Page(files["hostile.html"])
    columns = page.table("column")
    assert [row[0] for row in columns[1:]] == [
        shown(c.name) + ("pii" if c.pii else "") for c in HOSTILE.columns
    ]
    assert columns[1][5] == free(CELL)
    text = "".join(page.text)
    assert free(DESCRIPTION) in text
    assert "Eve | `ops` <script>alert(1)</script> **bold**" in text
    csp = next(v for _, a, v in page.attributes if a == "content" and v and "default-src" in v)
    assert "default-src 'none'" in csp
    assert "script" not in csp


def test_a_contract_built_by_hand_with_a_bad_name_is_refused() -> None:
    bad = Contract(name="../etc/passwd", version="1.0.0", columns=(Column("a", "integer"),))
    with pytest.raises(ValueError, match="is not a contract name"):
        dictionary.pages([bad])
    with pytest.raises(ValueError, match="'pdf' is not a format"):
        dictionary.pages([HOSTILE], ["pdf"])


def test_a_contract_called_index_does_not_replace_the_index() -> None:
    index = skewless.loads_contract(
        "contract: index\nversion: 1.0.0\ncolumns:\n  a: {type: integer}\n"
    )
    files = dictionary.pages([index])
    assert sorted(files) == ["index-contract.html", "index-contract.md", "index.html", "index.md"]
    assert "(index-contract.md)" in files["index.md"]
    assert 'href="index-contract.html"' in files["index.html"]


def test_the_dictionary_loads_no_heavy_library() -> None:
    loaded = heavy_after(
        "import skewless\nfrom skewless import dictionary\n"
        f"c = skewless.load_contract({str(CONTRACTS / 'user_features.yaml')!r})\n"
        "assert dictionary.pages([c])['user_features.md']"
    )
    assert loaded == "", f"skewless.dictionary pulled in: {loaded}"


# --- the HTML in a browser without JavaScript --------------------------------------------------


def test_headless_chromium_without_javascript_shows_the_pages(
    contracts: list[Contract], tmp_path: Path
) -> None:
    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    profile_dir = tmp_path / "profile"  # content settings that block JavaScript everywhere
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
    ), "JavaScript ran: the test would not show the pages work without it"
    site = tmp_path / "site"
    dictionary.write(site, dictionary.html([*contracts, HOSTILE]))
    for name in ("user_features.html", "hostile.html"):
        image = screenshot(chromium, site / name, profile_dir, "1300,1400")
        colours = Counter({colour: n for n, colour in image.getcolors(1 << 24)})
        assert colours[(255, 255, 255)] < 0.98 * image.width * image.height, f"{name}: blank"
        assert len(colours) > 20, name
        assert colours[(0xE7, 0xEC, 0xF3)] > 2000, f"{name}: no table header drawn"
        assert colours[(0xC9, 0x2A, 0x2A)] > 30, f"{name}: no pii badge drawn"


# --- writing: all files or none ----------------------------------------------------------------


def test_write_replaces_its_own_files_and_leaves_the_others(tmp_path: Path) -> None:
    site = tmp_path / "deep" / "site"
    dictionary.write(site, {"index.md": "old\n", "keep.txt": "mine\n"})
    written = dictionary.write(site, dictionary.pages([HOSTILE], ["markdown"]))
    assert [p.name for p in written] == ["index.md", "hostile.md"]
    assert (site / "index.md").read_text(encoding="utf-8").startswith("# Data dictionary")
    assert (site / "keep.txt").read_text() == "mine\n"
    assert sorted(p.name for p in site.iterdir()) == ["hostile.md", "index.md", "keep.txt"]


def test_write_is_all_or_nothing_when_a_file_cannot_be_written(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.md").write_text("old\n")
    files = {"index.md": "new\n", "big.md": "x" * 200_000}
    before = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() fails with EFBIG instead
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, hard))
    try:
        with pytest.raises(skewless.OutputError, match=r"big\.md"):
            dictionary.write(site, files)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, before)
    assert (site / "index.md").read_text() == "old\n"
    assert sorted(p.name for p in site.iterdir()) == ["index.md"]  # no temporary file left


def test_two_contracts_with_one_name_are_refused() -> None:
    twin = skewless.loads_contract(HOSTILE_TEXT, file="copy.yaml")
    with pytest.raises(
        ValueError, match=r"two contracts are named 'hostile': hostile\.yaml and copy\.yaml"
    ):
        dictionary.pages([HOSTILE, twin])


# --- the command ---------------------------------------------------------------------------------


def test_docs_writes_every_page_and_the_index(tmp_path: Path) -> None:
    run = skewless_cli("docs", *EVERY_CONTRACT, "-o", tmp_path / "site", cwd=ROOT)
    assert run.code == 0, run.err
    assert run.err == ""
    names = sorted(Path(line).name for line in run.out.splitlines())
    stems = ["dialect_2", "every_key", "index", "minimal", "user_features", "user_scores"]
    assert names == sorted(f"{s}.{ext}" for s in stems for ext in ("md", "html"))
    index = (tmp_path / "site" / "index.md").read_text(encoding="utf-8")
    assert "[user\\_features](user_features.md)" in index
    html_index = Page((tmp_path / "site" / "index.html").read_text(encoding="utf-8"))
    assert {v for _, a, v in html_index.attributes if a == "href"} == {
        f"{s}.html" for s in stems if s != "index"
    }


@pytest.mark.parametrize(("chosen", "suffixes"), [("markdown", {".md"}), ("html", {".html"})])
def test_docs_format_writes_one_kind(tmp_path: Path, chosen: str, suffixes: set[str]) -> None:
    run = skewless_cli(
        "docs", CONTRACTS / "user_features.yaml", "-o", "out", "--format", chosen, cwd=tmp_path
    )
    assert run.code == 0, run.err
    assert run.out.splitlines() == [f"out/index{s}" for s in suffixes] + [
        f"out/user_features{s}" for s in suffixes
    ]
    assert {p.suffix for p in (tmp_path / "out").iterdir()} == suffixes


def test_the_docs_page_shows_real_output() -> None:
    """docs/dictionary.md's excerpt is what `skewless docs` writes for user_features."""
    doc = (ROOT / "docs" / "dictionary.md").read_text(encoding="utf-8")
    excerpt = re.search(r"```markdown\n(# user\\_features.*?)```", doc, re.S)
    assert excerpt is not None
    page = dictionary.markdown(skewless.load_contract(CONTRACTS / "user_features.yaml"))
    page = page.replace(str(CONTRACTS / "user_features.yaml"), "contracts/user_features.yaml")
    for line in excerpt.group(1).splitlines():
        if line != "...":
            assert line in page.splitlines(), line


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["missing.yaml"], "error: the contract does not load: missing.yaml: unreadable: "),
        (["bad.yaml"], "error: the contract does not load: bad.yaml:4:13: invalid_value: "),
        (
            ["good.yaml", "twin.yaml"],
            "error: two contracts are named 'good': good.yaml and twin.yaml",
        ),
        (["empty.yaml"], "error: the contract does not load: empty.yaml: empty: "),
    ],
    ids=["missing", "bad", "same-name", "empty"],
)
def test_docs_writes_nothing_when_a_contract_does_not_load(
    tmp_path: Path, argv: list[str], expected: str
) -> None:
    good = "contract: good\nversion: 1.0.0\ncolumns:\n  a: {type: integer}\n"
    (tmp_path / "good.yaml").write_text(good)
    (tmp_path / "twin.yaml").write_text(good)
    (tmp_path / "bad.yaml").write_text(
        "contract: bad\nversion: 1.0.0\ncolumns:\n  a: {type: int}\n"
    )
    (tmp_path / "empty.yaml").write_text("")
    run = skewless_cli("docs", "good.yaml", *argv, "-o", "site", cwd=tmp_path)
    assert run.code == 2, run
    assert run.error_line().startswith(expected), run.err
    assert run.out == ""
    assert not (tmp_path / "site").exists()


def test_docs_refuses_an_output_that_is_not_a_writable_directory(tmp_path: Path) -> None:
    contract = CONTRACTS / "user_features.yaml"
    (tmp_path / "file").write_text("x")
    run = skewless_cli("docs", contract, "-o", "file", cwd=tmp_path)
    assert (run.code, run.error_line()) == (2, "error: file: is not a directory")
    run = skewless_cli("docs", contract, "-o", "file/site", cwd=tmp_path)
    assert (run.code, run.error_line()) == (2, "error: file/site: Not a directory")
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.md").write_text("old\n")
    (site / "user_features.html").mkdir()
    run = skewless_cli("docs", contract, "-o", "site", cwd=tmp_path)
    assert (run.code, run.error_line()) == (2, "error: site/user_features.html: is a directory")
    assert (site / "index.md").read_text() == "old\n"
    (site / "user_features.html").rmdir()
    with read_only(site):
        run = skewless_cli("docs", contract, "-o", "site", cwd=tmp_path)
        assert run.code == 2, run
        assert run.error_line().startswith("error: site/index.md: "), run.err
        assert sorted(p.name for p in site.iterdir()) == ["index.md"]
        assert (site / "index.md").read_text() == "old\n"


def test_docs_with_a_file_size_limit_replaces_nothing(tmp_path: Path) -> None:
    """A page that cannot be written whole (here: past a file size limit) stops every page."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.md").write_text("old\n")

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4_000, resource.RLIM_INFINITY))

    run = skewless_cli(
        "docs", CONTRACTS / "user_features.yaml", "-o", "site", cwd=tmp_path, preexec=limit
    )
    assert run.code == 2, run
    assert re.fullmatch(r"error: site/user_features\.\w+: File too large", run.error_line()), (
        run.err
    )
    assert sorted(p.name for p in site.iterdir()) == ["index.md"]
    assert (site / "index.md").read_text() == "old\n"


def test_docs_shows_a_hostile_output_name_escaped(tmp_path: Path) -> None:
    run = skewless_cli(
        "docs", CONTRACTS / "user_scores.yaml", "-o", "s\x1b[31m\u202e", cwd=tmp_path
    )
    assert run.code == 0, run.err
    assert "\x1b" not in run.out
    assert "\u202e" not in run.out
    assert run.out.splitlines()[0] == escape_name("s\x1b[31m\u202e/index.md")
    assert (tmp_path / "s\x1b[31m\u202e" / "index.html").exists()


def test_docs_help_teaches_examples_and_exit_codes() -> None:
    run = skewless_cli("docs", "--help", cwd=ROOT)
    assert run.code == 0
    text = " ".join(run.out.split())
    assert re.search(r"Exit 0 .*\b2 ", text), text
    assert "skewless docs contracts/*.yaml -o site/" in text
    assert "--format" in text


def test_docs_bad_usage_exits_2(tmp_path: Path) -> None:
    for argv in (
        ["docs", "x.yaml"],
        ["docs", "-o", "site"],
        ["docs", "x.yaml", "-o", "s", "--format", "pdf"],
    ):
        run = skewless_cli(*argv, cwd=tmp_path)
        assert run.code == 2, run
        assert "Usage:" in run.err
    assert not any(tmp_path.iterdir())
