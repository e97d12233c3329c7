"""What the online gates saw: counters by outcome, code and column, and one log line per finding.

    >>> observer = Observer()                          # Prometheus counters if installed
    >>> observer.observe(contract, "/predict", "rejected", result.violations)
    >>> observer.counts()                              # the same figures, in memory

Counters (Prometheus names, when `prometheus_client` is installed; registered once per
registry, in its default registry unless one is given):

- `skewless_records_total{contract, route, outcome}`: outcome is `valid`, `rejected`
  (422 or a raised error), `shadowed` (let through in shadow mode) or `refused` (the body
  could not be read: too large, not JSON, wrong content type);
- `skewless_violations_total{contract, route, code, column}`: `column` is the contract's
  column, `<record>` for a finding about the whole record or body, and `<extra>` for every
  key outside the contract (a label per unknown key would let a client grow the series
  without bound).

Log lines go to the `skewless` logger as one JSON object each (`ensure_ascii`: no raw control
character can reach a log, whatever a client sent); values are the escaped, truncated text of
the violation, `<redacted>` for `pii: true` columns, and left out unless `log_values=True`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from skewless.errors import Code
from skewless.report import escape_name

if TYPE_CHECKING:
    from skewless.contract import Contract
    from skewless.report import Violation

LOGGER = logging.getLogger("skewless")
OUTCOMES = ("valid", "rejected", "shadowed", "refused")
RECORD = "<record>"
EXTRA = "<extra>"

# Per registry (by id, the registry itself kept alive in the entry, so that no other registry
# can ever reuse its id): the two counters.
_registered: dict[int, tuple[Any, Any, Any]] = {}
_lock = threading.Lock()


def _prometheus(registry: Any) -> tuple[Any, Any] | None:
    """The two counters in `registry` (None: the default one), created once; None without
    prometheus_client."""
    try:
        import prometheus_client
    except ImportError:
        return None
    if registry is None:
        registry = prometheus_client.REGISTRY
    with _lock:
        if id(registry) not in _registered:
            records = prometheus_client.Counter(
                "skewless_records_total",
                "Records (or bodies) judged by a skewless gate, by outcome.",
                ["contract", "route", "outcome"],
                registry=registry,
            )
            violations = prometheus_client.Counter(
                "skewless_violations_total",
                "Contract violations found by a skewless gate, by code and column.",
                ["contract", "route", "code", "column"],
                registry=registry,
            )
            _registered[id(registry)] = (registry, records, violations)
        _, records, violations = _registered[id(registry)]
        return records, violations


class Observer:
    """Counts outcomes and violations, and logs them; shared by middleware and `guard`."""

    def __init__(
        self,
        *,
        registry: Any = None,
        prometheus: bool = True,
        logger: logging.Logger | None = None,
        log_values: bool = False,
    ) -> None:
        self._counters = _prometheus(registry) if prometheus else None
        self.logger = logger or LOGGER
        self.log_values = log_values
        self._records: Counter[tuple[str, str, str]] = Counter()
        self._violations: Counter[tuple[str, str, str, str]] = Counter()
        self._children: dict[tuple[str, str, str], Any] = {}
        self._lock = threading.Lock()

    def observe(
        self,
        contract: Contract | str,
        route: str,
        outcome: str,
        violations: Iterable[Violation] = (),
        *,
        records: int = 1,
    ) -> None:
        """One judgement: `records` records with this outcome, and what they broke."""
        name = contract if isinstance(contract, str) else contract.name
        key = (name, route, outcome)
        found = list(violations)
        with self._lock:
            self._records[key] += records
            child = self._children.get(key)
        if self._counters is not None:
            if child is None:  # a labelled child per key, looked up once
                child = self._children.setdefault(key, self._counters[0].labels(*key))
            child.inc(records)
        if not found:
            return
        known = set() if isinstance(contract, str) else set(contract.column_names)
        labels = [(str(v.code), _column_label(v, known)) for v in found]
        with self._lock:
            for code, column in labels:
                self._violations[name, route, code, column] += 1
        if self._counters is not None:
            by_code = self._counters[1]
            for code, column in labels:
                by_code.labels(name, route, code, column).inc()
        if self.logger.isEnabledFor(logging.WARNING):
            self.logger.warning(self.line(name, route, outcome, found))

    def line(self, contract: str, route: str, outcome: str, violations: list[Violation]) -> str:
        """The log line of one judgement: JSON, ASCII only."""
        shown = []
        for v in violations:
            column = None if v.column is None else escape_name(v.column)
            item: dict[str, Any] = {"code": str(v.code), "column": column, "row": v.row}
            if self.log_values and v.value is not None:
                item["value"] = v.value
            item["message"] = v.message
            shown.append(item)
        event = {
            "event": "skewless.violations",
            "contract": contract,
            "route": route,
            "outcome": outcome,
            "violations": shown,
        }
        return json.dumps(event, ensure_ascii=True, default=str)

    def counts(self) -> dict[str, list[dict[str, Any]]]:
        """The counters so far, whether or not Prometheus is installed."""
        with self._lock:
            records = [
                {"contract": c, "route": r, "outcome": o, "count": n}
                for (c, r, o), n in sorted(self._records.items())
            ]
            violations = [
                {"contract": c, "route": r, "code": code, "column": col, "count": n}
                for (c, r, code, col), n in sorted(self._violations.items())
            ]
        return {"records": records, "violations": violations}


def _column_label(violation: Violation, known: set[str]) -> str:
    if violation.column is None:
        return RECORD
    if violation.code == Code.UNEXPECTED_COLUMN and violation.column not in known:
        return EXTRA
    return violation.column
