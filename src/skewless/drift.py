"""Drift: a profile of current data against a baseline profile, column by column.

    >>> from skewless.drift import compare
    >>> report = compare(contract, baseline, current)        # two skewless.profile.Profile
    >>> report.ok, [(c.column, c.drifted) for c in report.columns]

Each statistic is an effect size with a threshold, guarded by a significance test: a column
drifts when the effect is at least its threshold *and* the difference is significant (p below
`alpha`), with at least `min_rows` values on both sides. On a million rows a p-value flags any
difference, however small; on a hundred, an effect size flags noise: both together flag neither.

- `ks` (numbers, dates, string lengths): Kolmogorov-Smirnov D over the sketches' buckets; its
  asymptotic two-sample p-value;
- `psi` (the same): population stability index over the baseline's deciles (significance: `ks`'s);
- `chi2` (categories, booleans, hours and weekdays): Cohen's w = sqrt(chi2 / n) of the
  chi-square test of homogeneity of the two histograms; its p-value;
- `js` (the same): Jensen-Shannon distance, base 2, unseen values included (significance:
  `chi2`'s);
- `null_rate` (every column): the change in the share of nulls, in points; a two-proportion
  z-test;
- `unseen_rate` (categories): the share of values neither the vocabulary nor the baseline holds
  (any share over the threshold counts).

Where they compute the same quantity they agree with scipy.stats to 1e-9: `ks_2samp(...,
method="asymp")` on the sketches' bucket values, `chisquare` (and `chi2_contingency`) on the
table of counts, `scipy.spatial.distance.jensenshannon` (tests/test_drift.py).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from skewless.contract import DRIFT_DEFAULTS
from skewless.profile import OTHER, ColumnProfile, Profile, Sketch

if TYPE_CHECKING:
    from skewless.contract import Column, Contract

DEFAULTS = DRIFT_DEFAULTS
THRESHOLDS = tuple(k for k in DEFAULTS if k not in ("alpha", "min_rows"))
PSI_FLOOR = 1e-4  # the share an empty bin counts as, so that PSI stays finite


@dataclass(frozen=True, slots=True)
class Statistic:
    """One statistic of one column: its value, its p-value (where it has one), its threshold."""

    name: str
    value: float
    threshold: float
    pvalue: float | None = None
    drifted: bool = False
    part: str = ""  # what of the column it is about: '' (values), 'hours', 'weekdays'


@dataclass(slots=True)
class ColumnDrift:
    """A column's statistics, or why it was not judged."""

    column: str
    statistics: list[Statistic] = field(default_factory=list)
    skipped: str | None = None  # 'too few rows (12 and 3, at least 1000)'

    @property
    def drifted(self) -> bool:
        return any(s.drifted for s in self.statistics)


@dataclass(slots=True)
class DriftReport:
    """Every column of the contract, compared; and the columns current data should not hold."""

    contract: str
    version: str
    baseline_rows: int
    current_rows: int
    columns: list[ColumnDrift] = field(default_factory=list)
    undeclared: dict[str, int] = field(default_factory=dict)  # e.g. a label sent to serving

    @property
    def ok(self) -> bool:
        return not self.undeclared and not any(c.drifted for c in self.columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "contract": self.contract,
            "version": self.version,
            "ok": self.ok,
            "baseline_rows": self.baseline_rows,
            "current_rows": self.current_rows,
            "undeclared": self.undeclared,
            "columns": [
                {
                    "column": c.column,
                    "drifted": c.drifted,
                    "skipped": c.skipped,
                    "statistics": [
                        {
                            "name": s.name,
                            "part": s.part or None,
                            "value": _finite(s.value),
                            "threshold": s.threshold,
                            "pvalue": None if s.pvalue is None else _finite(s.pvalue),
                            "drifted": s.drifted,
                        }
                        for s in c.statistics
                    ],
                }
                for c in self.columns
            ],
        }


def _finite(x: float) -> float | str:
    return x if math.isfinite(x) else str(x)


# --- the statistics ---------------------------------------------------------------------------


def ks(baseline: Sketch, current: Sketch) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov D over the sketches' buckets, and its asymptotic p-value
    (what `scipy.stats.ks_2samp(a, b, method="asymp")` gives on the bucket values)."""
    from scipy.stats import distributions

    n, m = baseline.count, current.count
    if not n or not m:
        return math.nan, math.nan
    left = dict(baseline.buckets())
    right = dict(current.buckets())
    d = 0.0
    seen_left = seen_right = 0
    for value in sorted(left.keys() | right.keys()):
        seen_left += left.get(value, 0)
        seen_right += right.get(value, 0)
        d = max(d, abs(seen_left / n - seen_right / m))
    big, small = max(n, m), min(n, m)
    effective = round(big * small / (big + small))  # as scipy: numpy's round, half to even
    if effective < 1:  # one value each: nothing to test
        return d, 1.0
    p = float(distributions.kstwo.sf(d, effective))
    return d, min(max(p, 0.0), 1.0)


def psi(baseline: Sketch, current: Sketch, bins: int = 10) -> float:
    """Population stability index over the baseline's quantile bins (deciles by default)."""
    if not baseline.count or not current.count:
        return math.nan
    _, a, b = quantile_bins(baseline, current, bins)
    a, b = [max(x, PSI_FLOOR) for x in a], [max(y, PSI_FLOOR) for y in b]
    return sum((y - x) * math.log(y / x) for x, y in zip(a, b, strict=True))


def quantile_bins(
    baseline: Sketch, current: Sketch, bins: int = 10
) -> tuple[list[float], list[float], list[float]]:
    """The baseline's quantile cut points (up to `bins - 1`, at bucket values) and the share of
    each sketch in every bin they make: (cuts, baseline shares, current shares)."""
    n, m = baseline.count, current.count
    left, right = baseline.buckets(), current.buckets()
    cuts: list[float] = []
    seen = 0
    for value, count in left:  # where the baseline's cumulative share crosses i / bins
        seen += count
        while len(cuts) < bins - 1 and seen / n >= (len(cuts) + 1) / bins:
            cuts.append(value)
    cuts = sorted(set(cuts))

    def shares(buckets: list[tuple[float, int]], total: int) -> list[float]:
        counts = [0] * (len(cuts) + 1)
        for value, count in buckets:
            counts[_bin(cuts, value)] += count
        return [c / total if total else 0.0 for c in counts]

    return cuts, shares(left, n), shares(right, m)


def _bin(cuts: list[float], value: float) -> int:
    import bisect

    return bisect.bisect_left(cuts, value)


def chi_square(baseline: Counter[str], current: Counter[str]) -> tuple[float, float, float]:
    """Chi-square test of homogeneity of two histograms (the 2 x k table of their counts, values
    neither holds left out): (chi2, p, Cohen's w = sqrt(chi2 / total)). The statistic is
    `scipy.stats.chisquare(table, expected, ddof=k - 1)` on the flattened table, as
    `scipy.stats.chi2_contingency(table, correction=False)` computes it."""
    from scipy.stats import chi2 as chi2_distribution

    keys = sorted(k for k in baseline.keys() | current.keys() if baseline[k] or current[k])
    n = sum(baseline[k] for k in keys)
    m = sum(current[k] for k in keys)
    if len(keys) < 2 or not n or not m:
        return math.nan, math.nan, math.nan
    statistic = 0.0
    for k in keys:
        pooled = (baseline[k] + current[k]) / (n + m)
        for observed, total in ((baseline[k], n), (current[k], m)):
            expected = pooled * total
            statistic += (observed - expected) ** 2 / expected
    p = float(chi2_distribution.sf(statistic, len(keys) - 1))
    return statistic, p, math.sqrt(statistic / (n + m))


def jensen_shannon(baseline: Counter[str] | list[int], current: Counter[str] | list[int]) -> float:
    """Jensen-Shannon distance (base 2, 0 to 1) between two histograms (counts by key, or
    counts by position); as `scipy.spatial.distance.jensenshannon(p, q, base=2)`."""
    if isinstance(baseline, list) and isinstance(current, list):
        pairs = list(zip(baseline, current, strict=True))
    else:
        assert isinstance(baseline, Counter)
        assert isinstance(current, Counter)
        keys = sorted(baseline.keys() | current.keys())
        pairs = [(baseline.get(k, 0), current.get(k, 0)) for k in keys]
    n, m = sum(a for a, _ in pairs), sum(b for _, b in pairs)
    if not n or not m:
        return math.nan
    divergence = 0.0
    for a, b in pairs:
        p, q = a / n, b / m
        mid = (p + q) / 2
        if p:
            divergence += p * math.log2(p / mid) / 2
        if q:
            divergence += q * math.log2(q / mid) / 2
    return math.sqrt(max(divergence, 0.0))


def null_rate_change(baseline: ColumnProfile, current: ColumnProfile) -> tuple[float, float]:
    """The change in the share of nulls (points, signed) and a two-proportion z-test p-value."""
    from scipy.stats import norm

    n, m = baseline.rows, current.rows
    if not n or not m:
        return math.nan, math.nan
    a, b = baseline.nulls / n, current.nulls / m
    pooled = (baseline.nulls + current.nulls) / (n + m)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / m))
    if spread == 0:
        return b - a, 1.0 if a == b else 0.0
    return b - a, float(2 * norm.sf(abs(b - a) / spread))


def unseen_rate(column: Column, baseline: Counter[str], current: Counter[str]) -> float:
    """The share of current values that neither the column's vocabulary nor the baseline holds."""
    known = set(column.values) | {k for k, n in baseline.items() if n > 0 and k != OTHER}
    total = sum(current.values())
    if not total:
        return math.nan
    return sum(n for k, n in current.items() if k not in known) / total


# --- comparing profiles -----------------------------------------------------------------------


def thresholds_for(contract: Contract, column: Column) -> dict[str, float]:
    """The thresholds that apply to a column: the built-in defaults, the contract's `drift:`,
    the column's `drift:`, each over the one before."""
    return {**DEFAULTS, **dict(contract.drift), **dict(column.drift)}


def compare(contract: Contract, baseline: Profile, current: Profile) -> DriftReport:
    """Every column of `contract` the two profiles hold, compared (see the module docstring)."""
    if baseline.contract != contract.name or current.contract != contract.name:
        raise ValueError(
            f"the profiles are of {baseline.contract} and {current.contract}, "
            f"not of {contract.name}"
        )
    report = DriftReport(contract.name, contract.version, baseline.rows, current.rows)
    report.undeclared = {
        name: rows
        for name, rows in sorted(current.undeclared.items())
        if name not in baseline.undeclared
    }
    for column in contract.columns:
        before, now = baseline.columns.get(column.name), current.columns.get(column.name)
        if before is None or now is None:
            continue
        report.columns.append(_column(column, before, now, thresholds_for(contract, column)))
    return report


def _column(
    column: Column, before: ColumnProfile, now: ColumnProfile, limits: dict[str, float]
) -> ColumnDrift:
    out = ColumnDrift(column.name)
    least = int(limits["min_rows"])
    if before.rows < least or now.rows < least:
        out.skipped = f"too few rows ({before.rows:,} and {now.rows:,}; at least {least:,})"
        return out
    alpha = limits["alpha"]
    change, p = null_rate_change(before, now)
    out.statistics.append(_judged("null_rate", abs(change), limits, p, alpha))
    if before.present < least or now.present < least:
        out.skipped = f"too few values ({before.present:,} and {now.present:,}; at least {least:,})"
        return out
    if before.sketch is not None and now.sketch is not None:
        d, p = ks(before.sketch, now.sketch)
        out.statistics.append(_judged("ks", d, limits, p, alpha))
        out.statistics.append(_judged("psi", psi(before.sketch, now.sketch), limits, p, alpha))
    if before.values is not None and now.values is not None:
        out.statistics += _histogram("", before.values, now.values, limits, alpha)
        if column.type == "category":
            rate = unseen_rate(column, before.values, now.values)
            out.statistics.append(_judged("unseen_rate", rate, limits, None, alpha))
    for part in ("hours", "weekdays"):
        a, b = getattr(before, part), getattr(now, part)
        if a is not None and b is not None:
            out.statistics += _histogram(part, _keyed(a), _keyed(b), limits, alpha)
    return out


def _keyed(counts: list[int]) -> Counter[str]:
    return Counter({f"{i:02d}": n for i, n in enumerate(counts)})


def _histogram(
    part: str, before: Counter[str], now: Counter[str], limits: dict[str, float], alpha: float
) -> list[Statistic]:
    _, p, w = chi_square(before, now)
    distance = jensen_shannon(before, now)
    return [
        _judged("chi2", w, limits, p, alpha, part),
        _judged("js", distance, limits, p, alpha, part),
    ]


def _judged(
    name: str,
    value: float,
    limits: dict[str, float],
    p: float | None,
    alpha: float,
    part: str = "",
) -> Statistic:
    threshold = limits[name]
    # A share of unseen values has no test: the vocabulary and the baseline say none is expected.
    significant = p is None or (not math.isnan(p) and p < alpha)
    drifted = not math.isnan(value) and value >= threshold and significant
    return Statistic(name, value, threshold, p, drifted, part)
