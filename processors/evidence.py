"""The evidence behind the percentages (pure): attainment tables and the rows of clock listings.

    periods = periods_between("week", date(2026, 11, 2), date(2026, 11, 29), "Asia/Shanghai")
    table = attainment_table(clock_records, periods, targets, vendors=None, metrics=METRICS)
    row = clock_item(ClockFacts(...), now)                # one clock as /api/clocks and exports show it

`attainment_table` counts with processors.reports.metric_stats, the function the weekly summary
and the quarterly scorecards count with, so `GET /api/attainment` gives exactly their figures.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Collection, Mapping, Sequence

from processors.events import format_instant
from processors.periods import Kind, Period, month_of, quarter_of, week_of
from processors.reports import ClockRecord, counted_in, metric_stats

MAX_PERIODS = 120
_OF = {"week": week_of, "month": month_of, "quarter": quarter_of}


def periods_between(kind: Kind, first: date, last: date, zone: str) -> list[Period]:
    """The periods of `kind` holding the days `first`..`last` (both included), oldest first;
    ValueError when `last` is before `first` or there would be more than MAX_PERIODS."""
    if last < first:
        raise ValueError("'to' is before 'from'")
    out = [_OF[kind](first, zone)]
    while out[-1].last_day < last:
        if len(out) == MAX_PERIODS:
            raise ValueError(f"at most {MAX_PERIODS} periods at a time; narrow from/to")
        out.append(_OF[kind](out[-1].last_day + timedelta(days=1), zone))
    return out


def _stats_json(stats) -> dict[str, Any]:
    return {"counted": stats.counted, "met": stats.met, "excused": stats.excused,
            "attainment": stats.attainment, "target": stats.target, "above_target": stats.above,
            "median_seconds": stats.median_seconds, "p90_seconds": stats.p90_seconds}


def attainment_table(clocks: Sequence[ClockRecord], periods: Sequence[Period], targets: Mapping[str, float],
                     metrics: Sequence[str], names: Mapping[str, str],
                     vendors: Collection[str | None] | None = None) -> list[dict[str, Any]]:
    """Per period, per vendor with a clock counted in it (only `vendors`, if given; None is the
    clocks of no vendor), the report figures of each of `metrics`."""
    out = []
    for period in periods:
        counted = counted_in(clocks, period)
        present = {c.vendor for c in counted if vendors is None or c.vendor in vendors}
        rows = []
        for vendor in sorted(present, key=lambda v: (v is None, v or "")):
            mine = [c for c in counted if c.vendor == vendor]
            rows.append({"vendor": vendor, "name": names.get(vendor, vendor) if vendor else None,
                         "metrics": {m: _stats_json(metric_stats(mine, m, period, targets)) for m in metrics}})
        out.append({"label": period.label, "start": format_instant(period.start),
                    "end": format_instant(period.end), "vendors": rows})
    return out


@dataclass(frozen=True)
class ClockFacts:
    """One stored clock with its ticket's facts and its excuse (if any)."""

    ticket: str
    summary: str | None
    priority: str | None
    status: str | None
    metric: str
    cycle: int
    state: str
    vendor: str | None
    policy: str
    calendar: str
    target_seconds: int
    elapsed_seconds: int
    paused_seconds: int
    started_at: datetime
    stopped_at: datetime | None
    due_at: datetime | None
    breached_at: datetime | None
    rules_version: str
    computed_at: datetime
    excused_by: str | None = None
    excused_at: datetime | None = None
    excuse_reason: str | None = None


def breach_instant(clock: ClockFacts, now: datetime) -> datetime | None:
    """When it breached: the stored instant, or the due time of a running clock past it (as the
    reports complete open clocks)."""
    if clock.breached_at is not None:
        return clock.breached_at
    if clock.state == "running" and clock.due_at is not None and clock.due_at <= now:
        return clock.due_at
    return None


def clock_item(clock: ClockFacts, now: datetime) -> dict[str, Any]:
    breached_at = breach_instant(clock, now)
    excuse = None
    if clock.excused_at is not None and breached_at is not None:
        excuse = {"by": clock.excused_by, "at": format_instant(clock.excused_at), "reason": clock.excuse_reason}
    return {
        "ticket": clock.ticket, "summary": clock.summary, "priority": clock.priority, "status": clock.status,
        "metric": clock.metric, "cycle": clock.cycle, "state": clock.state, "vendor": clock.vendor,
        "policy": clock.policy, "calendar": clock.calendar, "target_seconds": clock.target_seconds,
        "elapsed_seconds": clock.elapsed_seconds, "remaining_seconds": clock.target_seconds - clock.elapsed_seconds,
        "paused_seconds": clock.paused_seconds, "started_at": format_instant(clock.started_at),
        "stopped_at": format_instant(clock.stopped_at), "due_at": format_instant(clock.due_at),
        "breached": breached_at is not None, "breached_at": format_instant(breached_at),
        "excused": excuse is not None, "excuse": excuse, "rules_version": clock.rules_version,
        "computed_at": format_instant(clock.computed_at),
    }
