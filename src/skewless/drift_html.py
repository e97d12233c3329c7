"""The drift report as one HTML file: every column's statistics, and for each drifted column a
plot of the baseline against the current data. Inline CSS and SVG, no script: it reads the same
with JavaScript off, offline, attached to a CI run.

    >>> html = drift_html(report, baseline, current)     # DriftReport, two Profiles
    >>> Path("drift.html").write_text(html)

Every name and value from data or contracts is escaped for HTML, and its control characters
shown as escapes.
"""

from __future__ import annotations

import html
import itertools
from typing import TYPE_CHECKING

from skewless import __version__
from skewless.drift import quantile_bins
from skewless.report import escape_name, printable

if TYPE_CHECKING:
    from skewless.drift import ColumnDrift, DriftReport
    from skewless.profile import ColumnProfile, Profile

BASELINE, CURRENT = "#8a94a6", "#d9480f"
WIDTH, HEIGHT, PAD = 640, 220, 36
MOST_BARS = 24  # categories shown in a plot: the most frequent on either side

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #1d2433; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border-bottom: 1px solid #dde1e7; padding: 0.25em 0.8em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.drift { color: #c92a2a; font-weight: 600; } .ok { color: #2b8a3e; }
.legend span { display: inline-block; width: 0.9em; height: 0.9em; margin: 0 0.3em 0 1em; }
svg text { font: 11px system-ui, sans-serif; fill: #495057; }
"""


def drift_html(report: DriftReport, baseline: Profile, current: Profile) -> str:
    """The whole page (see the module docstring)."""
    verdict = "no drift" if report.ok else "drift found"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>skewless drift: {_text(report.contract)} {_text(report.version)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Drift: {_text(report.contract)} {_text(report.version)}: "
        f'<span class="{"ok" if report.ok else "drift"}">{verdict}</span></h1>',
        f"<p>{report.current_rows:,} current rows against a baseline of "
        f"{report.baseline_rows:,}. skewless {_text(__version__)}.</p>",
    ]
    if report.undeclared:
        items = "".join(
            f"<li><code>{_text(escape_name(name))}</code>: in {rows:,} rows</li>"
            for name, rows in report.undeclared.items()
        )
        parts.append(
            f'<h2 class="drift">Columns the contract does not declare here</h2><ul>{items}</ul>'
        )
    parts.append(_summary(report))
    for column in report.columns:
        if column.drifted:
            parts.append(
                _column(column, baseline.columns[column.column], current.columns[column.column])
            )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _text(value: str) -> str:
    return html.escape(printable(value), quote=True)


def _summary(report: DriftReport) -> str:
    rows = []
    for column in report.columns:
        name = _text(escape_name(column.column))
        if column.skipped is not None:
            rows.append(f"<tr><td>{name}</td><td colspan=4>{_text(column.skipped)}</td></tr>")
        for stat in column.statistics:
            label = _text(f"{stat.name} ({stat.part})" if stat.part else stat.name)
            verdict = '<td class="drift">DRIFT</td>' if stat.drifted else '<td class="ok">ok</td>'
            p = "" if stat.pvalue is None else f"{stat.pvalue:.2g}"
            rows.append(
                f"<tr><td>{name}</td><td>{label}</td><td class=num>{stat.value:.4g}</td>"
                f"<td class=num>{stat.threshold:g}</td><td class=num>{p}</td>{verdict}</tr>"
            )
    head = (
        "<tr><th>column</th><th>statistic</th><th>value</th><th>threshold</th><th>p-value</th>"
        "<th>verdict</th></tr>"
    )
    return f"<h2>Every column</h2><table>{head}{''.join(rows)}</table>"


def _column(column: ColumnDrift, before: ColumnProfile, now: ColumnProfile) -> str:
    name = _text(escape_name(column.column))
    drifted = ", ".join(
        _text(f"{s.name} ({s.part})" if s.part else s.name) for s in column.statistics if s.drifted
    )
    plots = []
    names = {s.name for s in column.statistics if s.drifted}
    parts = {s.part for s in column.statistics if s.drifted}
    if "null_rate" in names:
        plots.append(
            _bars(
                "share of nulls",
                ["null"],
                [before.null_rate],
                [now.null_rate],
            )
        )
    if names & {"ks", "psi"} and before.sketch is not None and now.sketch is not None:
        cuts, a, b = quantile_bins(before.sketch, now.sketch)
        edges = [f"{c:.3g}" for c in cuts]
        labels = [f"≤ {edges[0]}"] if edges else ["all"]
        labels += [f"{lo}–{hi}" for lo, hi in itertools.pairwise(edges)]
        labels += [f"> {edges[-1]}"] if edges else []
        plots.append(_bars("share in each baseline decile", labels, a, b))
    if names & {"chi2", "js", "unseen_rate"} and "" in parts and before.values is not None:
        assert now.values is not None
        keys = sorted(
            before.values.keys() | now.values.keys(),
            key=lambda k: -(before.values[k] + now.values[k]),  # type: ignore[index]
        )[:MOST_BARS]
        total_a, total_b = sum(before.values.values()) or 1, sum(now.values.values()) or 1
        plots.append(
            _bars(
                "share of each value",
                [escape_name(k) for k in keys],
                [before.values[k] / total_a for k in keys],
                [now.values[k] / total_b for k in keys],
            )
        )
    for part, labels in (("hours", [f"{h:02d}" for h in range(24)]), ("weekdays", _DAYS)):
        a_counts, b_counts = getattr(before, part), getattr(now, part)
        if part in parts and a_counts is not None and b_counts is not None:
            total_a, total_b = sum(a_counts) or 1, sum(b_counts) or 1
            plots.append(
                _bars(
                    f"share per {part[:-1]}",
                    labels,
                    [n / total_a for n in a_counts],
                    [n / total_b for n in b_counts],
                )
            )
    legend = (
        f'<p class="legend"><span style="background:{BASELINE}"></span>baseline'
        f'<span style="background:{CURRENT}"></span>current</p>'
    )
    return f'<h2 class="drift">{name}: {drifted}</h2>{legend}{"".join(plots)}'


_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _bars(title: str, labels: list[str], before: list[float], now: list[float]) -> str:
    """Grouped bars, baseline and current side by side, as inline SVG."""
    top = max([*before, *now, 1e-12])
    slot = (WIDTH - 2 * PAD) / max(len(labels), 1)
    bar = max(slot * 0.4, 1.0)
    plot_h = HEIGHT - 2 * PAD
    shapes = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{_text(title)}">',
        f'<text x="{PAD}" y="16">{_text(title)} (highest {top:.1%})</text>',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        'stroke="#adb5bd"/>',
    ]
    for i, (label, a, b) in enumerate(zip(labels, before, now, strict=True)):
        x = PAD + i * slot + slot * 0.1
        for offset, share, colour, who in (
            (0, a, BASELINE, "baseline"),
            (bar, b, CURRENT, "current"),
        ):
            h = plot_h * share / top
            shapes.append(
                f'<rect x="{x + offset:.1f}" y="{HEIGHT - PAD - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{_text(label)}: {who} '
                f"{share:.2%}</title></rect>"
            )
        if len(labels) <= 24:
            shown = label if len(label) <= 12 else label[:11] + "…"
            shapes.append(
                f'<text x="{x + bar:.1f}" y="{HEIGHT - PAD + 14}" text-anchor="middle">'
                f"{_text(shown)}</text>"
            )
    shapes.append("</svg>")
    return "".join(shapes)
