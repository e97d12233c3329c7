"""Rendering reports for people (text), programs (JSON) and CI (JUnit XML), in one place.

Every value shown has been through `report.escape`; every name from data through
`escape_name`; rich markup is never interpreted in anything that came from data or contracts.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from skewless import __version__
from skewless.report import Report, counted, escape_name, printable

if TYPE_CHECKING:
    from rich.console import Console

    from skewless.drift import DriftReport
    from skewless.errors import ContractError
    from skewless.freeze import FreezeResult
    from skewless.fuzzer import FuzzReport

TEXT_LIMIT = 50
MACHINE_LIMIT = 1000


Written = dict[str, dict[str, object]]  # source -> what the gate wrote (outputs, run id)


def report_json(
    reports: list[Report | tuple[str, str]],
    max_violations: int | None,
    written: Written | None = None,
) -> str:
    """One report: the report object. Several: {"ok": ..., "reports": [...]} (docs/cli.md)."""
    limit = MACHINE_LIMIT if max_violations is None else max_violations
    docs = [_doc(r, limit) for r in reports]
    for doc in docs:
        if written and doc.get("source") in written:
            doc["outputs"] = written[str(doc["source"])]
    if len(docs) == 1:
        doc = docs[0]
    else:
        doc = {"ok": all(d.get("ok") is True for d in docs), "reports": docs}
    return json.dumps(doc, ensure_ascii=True, indent=2)


def _doc(report: Report | tuple[str, str], limit: int) -> dict[str, Any]:
    if isinstance(report, Report):
        doc = report.to_dict(limit)
        doc["skewless"] = __version__
        return doc
    source, error = report
    return {"source": source, "ok": None, "error": error, "skewless": __version__}


def report_junit(reports: list[Report | tuple[str, str]], max_violations: int | None) -> str:
    """A testsuite per source, a testcase per contract column; failures list violations."""
    limit = MACHINE_LIMIT if max_violations is None else max_violations
    suites = ET.Element("testsuites", name="skewless")
    for report in reports:
        if not isinstance(report, Report):
            source, error = report
            suite = ET.SubElement(
                suites, "testsuite", name=_safe(source), tests="1", errors="1", failures="0"
            )
            case = ET.SubElement(suite, "testcase", classname=_safe(source), name="read")
            ET.SubElement(case, "error", message=_safe(error))
            continue
        by_column: dict[str, list[str]] = {}
        for v in report.iter_violations(limit):
            key = v.column or "<table>"
            where = "" if v.row is None else f"row {v.row}: "
            value = "" if v.value is None else f" value {v.value}:"
            by_column.setdefault(key, []).append(f"{where}{v.code}:{value} {v.message}")
        counts = report.counts_by_column
        failing = list(dict.fromkeys([*by_column, *counts]))
        # Every contract column is a testcase, so CI shows what passed as well as what failed.
        names = list(dict.fromkeys([*failing, *report.columns]))
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=_safe(f"{report.contract} {report.version}: {report.source}"),
            tests=str(max(len(names), 1)),
            failures=str(len(failing)),
            errors="0",
        )
        if not names:
            ET.SubElement(suite, "testcase", classname=_safe(report.source), name="contract")
        for name in names:
            case = ET.SubElement(
                suite, "testcase", classname=_safe(report.source), name=_safe(name)
            )
            if name not in failing:
                continue
            total = sum(counts.get(name, {}).values())
            failure = ET.SubElement(case, "failure", message=_safe(counted(total, "violation")))
            failure.text = _safe("\n".join(by_column.get(name, [])))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


def _safe(text: str) -> str:
    """XML 1.0 cannot hold most control characters even escaped."""
    return printable(text, keep="\n\t")


def report_text(
    console: Console,
    reports: list[Report | tuple[str, str]],
    max_violations: int | None,
    written: Written | None = None,
) -> None:
    from rich.table import Table
    from rich.text import Text

    limit = TEXT_LIMIT if max_violations is None else max_violations
    for report in reports:
        if not isinstance(report, Report):
            source, error = report
            console.print(
                Text.assemble(("ERROR ", "bold red"), f"{escape_name(source)}: {error}"),
                soft_wrap=True,  # one line per unreadable file, however long the path
            )
            continue
        if report.ok:
            console.print(
                Text.assemble(
                    ("PASS ", "bold green"),
                    f"{escape_name(report.source)}: {report.rows} rows pass "
                    f"{report.contract} {report.version}",
                )
            )
            continue
        console.print(
            Text.assemble(
                ("FAIL ", "bold red"),
                f"{escape_name(report.source)}: {counted(report.total, 'violation')} in "
                f"{report.rows_failed} of "
                f"{report.rows} rows ({report.contract} {report.version})",
            )
        )
        summary = Table(title=None, show_edge=False, pad_edge=False)
        summary.add_column("column")
        summary.add_column("code")
        summary.add_column("count", justify="right")
        for column, per in report.counts_by_column.items():
            for code, n in per.items():
                summary.add_row(Text(escape_name(column)), Text(code), Text(str(n)))
        console.print(summary)
        detail = Table(show_edge=False, pad_edge=False)
        for heading in ("row", "column", "code", "value", "message"):
            detail.add_column(heading, overflow="fold")
        shown = 0
        for v in report.iter_violations(limit):
            detail.add_row(
                Text("" if v.row is None else str(v.row)),
                Text("" if v.column is None else escape_name(v.column)),
                Text(v.code),
                Text(v.value or ""),
                Text(v.message),
            )
            shown += 1
        console.print(detail)
        if shown < report.total:
            console.print(
                Text(f"... {report.total - shown} more; use --max-violations or --format json")
            )
    for report in reports:
        if isinstance(report, Report) and written and report.source in written:
            console.print(Text(_outputs_line(written[report.source])), soft_wrap=True)


def contract_error_text(error: ContractError) -> str:
    return str(error)


def _outputs_line(outputs: dict[str, object]) -> str:
    parts = []
    if outputs.get("valid_out"):
        parts.append(
            f"{outputs['valid_rows']} valid rows to {escape_name(str(outputs['valid_out']))}"
        )
    if outputs.get("quarantine"):
        parts.append(
            f"{outputs['quarantined_rows']} quarantined rows to "
            f"{escape_name(str(outputs['quarantine']))}"
        )
    return f"wrote {' and '.join(parts)} (run {outputs['run_id']})"


def report_markdown(
    reports: list[Report | tuple[str, str]],
    max_violations: int | None,
    written: Written | None = None,
) -> str:
    """A summary for a CI job page (GitHub's $GITHUB_STEP_SUMMARY, GitLab, PR comments)."""
    limit = 20 if max_violations is None else max_violations
    lines = ["## skewless", ""]
    for report in reports:
        if not isinstance(report, Report):
            source, error = report
            lines += [f"### :x: {_md(source)}: could not be read", "", f"> {_md(error)}", ""]
            continue
        mark = ":white_check_mark:" if report.ok else ":x:"
        verdict = (
            f"{report.rows} rows pass"
            if report.ok
            else f"{counted(report.total, 'violation')} in {report.rows_failed} of "
            f"{report.rows} rows"
        )
        lines += [
            f"### {mark} {_md(report.source)}: {verdict} ({report.contract} {report.version})",
            "",
        ]
        if written and report.source in written:
            lines += [_md(_outputs_line(written[report.source])), ""]
        if report.ok:
            continue
        lines += ["| column | code | count |", "| --- | --- | ---: |"]
        for column, per in report.counts_by_column.items():
            for code, n in per.items():
                lines.append(f"| {_md(escape_name(column))} | `{code}` | {n} |")
        lines += ["", "<details><summary>First violations</summary>", ""]
        lines += ["| row | column | code | value | message |", "| ---: | --- | --- | --- | --- |"]
        for v in report.iter_violations(limit):
            lines.append(
                f"| {'' if v.row is None else v.row} | {_md(escape_name(v.column or ''))} "
                f"| `{v.code}` | {_md(v.value or '')} | {_md(v.message)} |"
            )
        lines += ["", "</details>", ""]
    return "\n".join(lines).rstrip()


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell: printable, pipes and markup escaped."""
    safe = printable(text)
    for ch in "\\|`*_[]<>#":
        safe = safe.replace(ch, "\\" + ch)
    return safe


def fuzz_text(console: Console, report: FuzzReport) -> None:
    """The tally by class, then each finding with its smallest input."""
    from rich.table import Table
    from rich.text import Text

    strict = "invalid inputs must be rejected" if report.expect_rejection else "crashes only"
    console.print(
        Text(
            f"skewless fuzz: {report.contract} {report.version} ({report.env or 'any'} env) "
            f"against {printable(report.target)}; seed {report.seed}, up to "
            f"{report.examples} inputs a class; findings: {strict}"
        ),
        soft_wrap=True,
    )
    table = Table(show_edge=False, pad_edge=False)
    for heading in (
        "class",
        "columns",
        "contract says",
        "tried",
        "accepted",
        "rejected",
        "crashed",
    ):
        numeric = heading in ("tried", "accepted", "rejected", "crashed")
        table.add_column(heading, justify="right" if numeric else "left")
    for t in report.tallies:
        columns = ", ".join(escape_name(c) for c in t.columns if c) or "-"
        style = "bold red" if t.finding is not None else ""
        table.add_row(
            Text(t.name, style=style),
            Text(columns if len(columns) <= 40 else f"{len(t.columns)} columns"),
            Text("valid" if t.valid else f"invalid: {t.code}"),
            *(Text(str(n)) for n in (t.tried, t.accepted, t.rejected, t.crashed)),
        )
    console.print(table)
    for f in report.findings:
        where = "" if f.column is None else f" at {escape_name(f.column)}"
        console.print(
            Text.assemble(
                ("FINDING ", "bold red"), f"{f.name}{where}: {f.result.outcome} ({f.result.detail})"
            ),
            soft_wrap=True,
        )
        console.print(Text(f"  smallest input: {f.shown}"), soft_wrap=True)
        console.print(Text(f"  replay with: --seed {report.seed} --only {f.name}"), soft_wrap=True)
    verdict = ("PASS ", "bold green") if report.ok else ("FAIL ", "bold red")
    found = counted(len(report.findings), "finding") if report.findings else "no finding"
    console.print(
        Text.assemble(
            verdict, f"{found} in {report.tried:,} inputs over {len(report.tallies)} classes"
        )
    )


def drift_text(console: Console, report: DriftReport) -> None:
    """Per column, each statistic against its threshold; drifted ones first in the verdict."""
    from rich.table import Table
    from rich.text import Text

    console.print(
        Text(
            f"skewless drift: {report.contract} {report.version}: {report.current_rows:,} rows "
            f"against a baseline of {report.baseline_rows:,}"
        ),
        soft_wrap=True,
    )
    table = Table(show_edge=False, pad_edge=False)
    for heading in ("column", "statistic", "value", "threshold", "p-value", "verdict"):
        numeric = heading in ("value", "threshold", "p-value")
        table.add_column(heading, justify="right" if numeric else "left")
    for column in report.columns:
        name = escape_name(column.column)
        if column.skipped is not None:
            table.add_row(Text(name), Text("-"), Text(""), Text(""), Text(""), Text(column.skipped))
        for stat in column.statistics:
            label = f"{stat.name} ({stat.part})" if stat.part else stat.name
            verdict = Text("DRIFT", style="bold red") if stat.drifted else Text("ok")
            table.add_row(
                Text(name),
                Text(label),
                Text(f"{stat.value:.4g}"),
                Text(f"{stat.threshold:g}"),
                Text("" if stat.pvalue is None else f"{stat.pvalue:.2g}"),
                verdict,
            )
    console.print(table)
    for name, rows in report.undeclared.items():
        console.print(
            Text.assemble(
                ("UNDECLARED ", "bold red"),
                f"{escape_name(name)}: in {rows:,} rows of current data, not in the contract "
                "for this environment nor in the baseline",
            ),
            soft_wrap=True,
        )
    drifted = [escape_name(c.column) for c in report.columns if c.drifted]
    if report.ok:
        console.print(Text.assemble(("PASS ", "bold green"), "no drift"))
        return
    found = [f"drift in {', '.join(drifted)}"] if drifted else []
    if report.undeclared:
        found.append(f"undeclared {', '.join(escape_name(n) for n in report.undeclared)}")
    console.print(Text.assemble(("FAIL ", "bold red"), "; ".join(found)), soft_wrap=True)


def freeze_text(console: Console, result: FreezeResult, *, check: bool) -> None:
    """One row per frozen statistic: its value (redacted for pii), what it was computed from."""
    from rich.table import Table
    from rich.text import Text

    from skewless.report import REDACTED, escape

    table = Table(show_edge=False, pad_edge=False)
    for heading in ("column", "statistic", "value", "from", "was"):
        table.add_column(heading, justify="right" if heading == "from" else "left")
    for name, stat in result.statistics.items():
        pii = result.contract.column(name).pii
        shown = REDACTED if pii else escape(stat.value)
        table.add_row(
            Text(escape_name(name)),
            Text(stat.statistic),
            Text(shown),
            Text(f"{stat.values:,} values"),
            Text(_before(stat.before, pii) if stat.changed else "unchanged"),
        )
    console.print(table)
    verb = "would change" if check else "changed"
    changed = result.changed
    console.print(
        Text(
            f"{len(changed)} of {len(result.statistics)} frozen values {verb}"
            + (f": {', '.join(escape_name(n) for n in changed)}" if changed else "")
        ),
        soft_wrap=True,
    )


def _before(value: Any, pii: bool) -> str:
    from skewless.loader import UNSET
    from skewless.report import REDACTED, escape

    if value is UNSET:
        return "(not frozen)"
    return REDACTED if pii else escape(value)


class ChunkProgress:
    """A progress line on stderr for runs longer than a couple of seconds, on a terminal only
    (never in CI, never with --quiet)."""

    DELAY = 2.0

    def __init__(self, source: str, *, enabled: bool, unit: str = "rows") -> None:
        import os
        import sys
        import time

        self.source = source
        self.unit = unit
        self.enabled = enabled and sys.stderr.isatty() and not os.environ.get("CI")
        self.started = time.monotonic()
        self.rows = 0
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> ChunkProgress:
        return self

    def advance(self, rows: int) -> None:
        import time

        self.rows += rows
        if not self.enabled:
            return
        if self._progress is None and time.monotonic() - self.started >= self.DELAY:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TextColumn("{task.completed:,} " + self.unit),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(escape_name(self.source), total=None)
        if self._progress is not None:
            self._progress.update(self._task, completed=self.rows)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
