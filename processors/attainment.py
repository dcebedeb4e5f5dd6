"""Attainment counts per vendor, metric and period, from clocks already grouped by the database
(store/attainment.py runs the query; this module does the counting, pure and testable).

    figures = Figures()
    tally_clocks(rows, bounds, periods, targets, figures)
    figures.metrics[("acme", "2026-W47")]["first_response"]   # processors.reports.MetricStats

Each row is a group of clocks alike for the count: vendor, metric, and the interval between two
period bounds (`bounds`, sorted) each of them stopped, breached or fell due in (-1 below the
first bound, len(bounds) - 1 from the last on, None for none), whether it was breached, overdue
(running past its due instant), excused, ended by a hand-away, and how many (`n`). The rules are
those of processors.reports (docs/reports.md): a clock ends at the earlier of its stop and its
breach, counts once, in the period its end falls in, for its vendor; excused breaches apart.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

from processors.periods import Period
from processors.reports import MetricStats, Satisfaction
from processors.rules_types import METRICS

Key = tuple[str | None, str]  # (vendor, period label)


@dataclass
class Figures:
    metrics: dict[Key, dict[str, MetricStats]] = field(default_factory=dict)
    opened: dict[Key, int] = field(default_factory=lambda: defaultdict(int))
    resolved: dict[Key, int] = field(default_factory=lambda: defaultdict(int))
    breaches: dict[Key, int] = field(default_factory=lambda: defaultdict(int))
    excused: dict[Key, int] = field(default_factory=lambda: defaultdict(int))
    satisfaction: dict[Key, dict[str, Satisfaction]] = field(default_factory=dict)

    def stats(self, vendor: str | None, period: Period, metric: str) -> MetricStats | None:
        return self.metrics.get((vendor, period.label), {}).get(metric)


def first_bucket(*buckets: int | None) -> int | None:
    """The earliest of the intervals given (None: none)."""
    present = [b for b in buckets if b is not None]
    return min(present) if present else None


def tally_clocks(rows: Iterable[Any], bounds: Sequence[datetime], periods: Sequence[Period],
                 targets: Mapping[str, float], figures: Figures) -> None:
    """Add the grouped clocks `rows` to `figures`: counted, met and excused clocks per vendor,
    period and metric; breaches and excused breaches; resolved tickets (resolution clocks stopped
    in the period, not by a hand-away). Every vendor with figures gets the two ticket metrics."""
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])  # counted, met, excused

    def within(bucket: int | None, period: Period) -> bool:
        return bucket is not None and 0 <= bucket < len(bounds) - 1 and period.start <= bounds[bucket] < period.end

    for row in rows:
        breach_in = row.breached_in if row.breached else (row.due_in if row.overdue else None)
        ended_in = first_bucket(row.stopped_in, breach_in)
        met = breach_in is None
        is_excused = not met and bool(row.excused)
        for period in periods:
            key = (row.vendor, period.label)
            if within(ended_in, period):
                tally = counts[(key, row.metric)]
                if is_excused:
                    tally[2] += row.n
                else:
                    tally[0] += row.n
                    tally[1] += row.n if met else 0
            if row.metric == "resolution" and not row.handaway and within(row.stopped_in, period):
                figures.resolved[key] += row.n
    for (key, metric), (counted, met_n, excused_n) in counts.items():
        figures.metrics.setdefault(key, {})[metric] = MetricStats(
            metric, targets.get(metric), counted, met_n, excused_n, None, None)
        figures.breaches[key] += counted - met_n
        figures.excused[key] += excused_n
    for stats in figures.metrics.values():
        for metric in METRICS:
            stats.setdefault(metric, MetricStats(metric, targets.get(metric), 0, 0, 0, None, None))


__all__ = ["Figures", "Key", "first_bucket", "tally_clocks"]
