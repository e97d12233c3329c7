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

    from skewless.errors import ContractError

TEXT_LIMIT = 50
MACHINE_LIMIT = 1000


def report_json(reports: list[Report | tuple[str, str]], max_violations: int | None) -> str:
    """One report: the report object. Several: {"ok": ..., "reports": [...]} (docs/cli.md)."""
    limit = MACHINE_LIMIT if max_violations is None else max_violations
    docs = [_doc(r, limit) for r in reports]
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
    console: Console, reports: list[Report | tuple[str, str]], max_violations: int | None
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


def contract_error_text(error: ContractError) -> str:
    return str(error)
