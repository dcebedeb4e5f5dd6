"""The evidence behind the percentages (pure): attainment tables and the rows of clock listings.

    periods = periods_between("week", date(2026, 11, 2), date(2026, 11, 29), "Asia/Shanghai")
    table = attainment_table(clock_records, periods, targets, vendors=None, metrics=METRICS)
    row = clock_item(ClockFacts(...), now)                # one clock as /api/clocks shows it
    period = parse_period("2026-Q3", zone)                # 2026-W47, 2026-11 too
    counted(clock, period, now)                           # is it one of the clocks behind period's figure?
    EXPORT_COLUMNS, export_row(clock, now, names)         # the columns of the CSV/XLSX/JSON exports

`attainment_table` counts with processors.reports.metric_stats, the function the weekly summary
and the quarterly scorecards count with, so `GET /api/attainment` gives exactly their figures.
"""
from __future__ import annotations

from dataclasses import dataclass
import re
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


_LABEL = re.compile(r"^(\d{4})-(?:W(\d{2})|Q([1-4])|(\d{2}))$")


def parse_period(label: str, zone: str) -> Period:
    """A period label, 2026-W47 (ISO week), 2026-11 (month) or 2026-Q3 (quarter), as the period in
    `zone`; ValueError with what is wrong."""
    match = _LABEL.match(label.strip())
    problem = f"period {label!r}: write it like 2026-W47, 2026-11 or 2026-Q3"
    if match is None:
        raise ValueError(problem)
    year, week, quarter, month = match.groups()
    try:
        if week is not None:
            return week_of(date.fromisocalendar(int(year), int(week), 1), zone)
        if quarter is not None:
            return quarter_of(date(int(year), 3 * int(quarter) - 2, 1), zone)
        return month_of(date(int(year), int(month), 1), zone)
    except ValueError:
        raise ValueError(problem) from None


def ended_at(clock: ClockFacts, now: datetime) -> datetime | None:
    """When the clock counts in the reports: the earlier of its stop and its breach."""
    return min((t for t in (clock.stopped_at, breach_instant(clock, now)) if t is not None), default=None)


def counted(clock: ClockFacts, period: Period, now: datetime) -> bool:
    """One of the clocks the period's figures count (processors.reports.counted_in), excused ones too."""
    return period.contains(ended_at(clock, now))


EXPORT_COLUMNS = (
    "ticket", "summary", "priority", "status", "vendor", "vendor_name", "metric", "cycle", "state", "policy",
    "calendar", "target_seconds", "elapsed_seconds", "paused_seconds", "started_at", "stopped_at", "due_at",
    "breached_at", "ended_at", "met", "excused", "excused_by", "excused_at", "excuse_reason", "rules_version",
)


def export_row(clock: ClockFacts, now: datetime, names: Mapping[str, str]) -> list[Any]:
    """The clock's values in EXPORT_COLUMNS order (instants as UTC ISO text, None left empty)."""
    breached_at = breach_instant(clock, now)
    excused = clock.excused_at is not None and breached_at is not None
    return [clock.ticket, clock.summary, clock.priority, clock.status, clock.vendor,
            names.get(clock.vendor) if clock.vendor else None, clock.metric, clock.cycle, clock.state,
            clock.policy, clock.calendar, clock.target_seconds, clock.elapsed_seconds, clock.paused_seconds,
            format_instant(clock.started_at), format_instant(clock.stopped_at), format_instant(clock.due_at),
            format_instant(breached_at), format_instant(ended_at(clock, now)), breached_at is None, excused,
            clock.excused_by if excused else None, format_instant(clock.excused_at) if excused else None,
            clock.excuse_reason if excused else None, clock.rules_version]
