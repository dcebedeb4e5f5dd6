"""Attainment counts per vendor, metric and period, aggregated in the database (for the dashboard).

    figures = attainment(session, rules, [week, quarter, *months], now)
    figures.metrics[("acme", week.label)]["first_response"]  # processors.reports.MetricStats
    figures.opened[...], figures.resolved[...], figures.satisfaction[...]

The same counting rules as processors.reports (docs/reports.md) with the same completion of open
clocks as store.history: a clock ends at the earlier of its stop and its breach (a running clock
whose due time passed breached then); it counts once, in the period its end falls in, for the
vendor it was attributed to; excused breaches are left out. Only the counts travel: one row per
vendor and metric, however many tickets there are. test_dashboard checks the figures against
store.history.weekly_summary / quarterly_scorecards, i.e. against `slawatch report`.
Medians are not computed here (they need every elapsed time).
"""
from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from processors.attainment import Figures, tally_clocks  # noqa: F401 (Figures: re-exported for store.figures)
from processors.periods import Period
from processors.reports import Satisfaction
from processors.rules import Rules
from store.models import ClockRow, ExcusedBreach, Survey, Ticket

def _in(expression, period: Period):
    return and_(expression >= period.start, expression < period.end)


def _sum(condition):
    return func.sum(case((condition, 1), else_=0))


def attainment(session: Session, rules: Rules, periods: Sequence[Period], now: datetime,
               vendor: str | None = None) -> Figures:
    figures = Figures()
    start, end = min(p.start for p in periods), max(p.end for p in periods)
    _clocks(session, rules, periods, now, start, end, vendor, figures)
    _opened(session, periods, start, end, vendor, figures)
    _surveys(session, rules, periods, start, end, vendor, figures)
    return figures


def _bucket(column, bounds: list[datetime]):
    """-1 below bounds[0], i in [bounds[i], bounds[i + 1]), len(bounds) - 1 from the last bound on;
    NULL for NULL. Only the column itself is compared, so each row costs a few comparisons."""
    whens = [(column < bound, i - 1) for i, bound in enumerate(bounds)]
    return case(*whens, (column.is_not(None), len(bounds) - 1), else_=None)


def _may_count(c, start: datetime, end: datetime, now: datetime):
    """The clocks that can count in [start, end): stopped, breached or overdue in it. A running
    clock not yet due counts nowhere, so the open clocks are not scanned (issue 15): each term is
    a range of an index (ix_clocks_state_stopped_at, ix_clocks_breached_at, ix_clocks_due_at; the
    last one without the state, which would make SQLite read every running clock instead). The
    columns of the query decide what each row counts for, so a superset is harmless."""
    return or_(and_(c.state == "stopped", c.stopped_at >= start, c.stopped_at < end),
               and_(c.breached_at >= start, c.breached_at < end),
               and_(c.due_at >= start, c.due_at < end, c.due_at <= now))  # a superset of the overdue


def clock_counts_query(bounds: Sequence[datetime], now: datetime, vendor: str | None = None):
    """The clocks that may count between bounds[0] and bounds[-1], grouped by vendor, metric and
    the interval between two bounds each stopped, breached or fell due in."""
    c, x = ClockRow, ExcusedBreach
    start, end = bounds[0], bounds[-1]
    overdue = case((and_(c.breached_at.is_(None), c.state == "running", c.due_at <= now), 1), else_=0)
    breached = case((c.breached_at.is_not(None), 1), else_=0)
    excused = case((x.alert_key.is_not(None), 1), else_=0)
    handaway = case((c.ended_by == "handaway", 1), else_=0)  # a hand-off clock the vendor handed away
    columns = [handaway.label("handaway"), _bucket(c.stopped_at, bounds).label("stopped_in"),
               _bucket(c.breached_at, bounds).label("breached_in"), _bucket(c.due_at, bounds).label("due_in"),
               overdue.label("overdue"), breached.label("breached"), excused.label("excused")]
    query = (select(c.vendor, c.metric, *columns, func.count().label("n"))
             .outerjoin(x, and_(x.ticket == c.ticket, x.metric == c.metric, x.cycle == c.cycle))
             .where(c.ticket.not_in(select(Ticket.key).where(Ticket.deleted.is_(True))), c.started_at < end,
                    _may_count(c, start, end, now))
             .group_by(c.vendor, c.metric, *columns))
    return query if vendor is None else query.where(c.vendor == vendor)


def _clocks(session, rules, periods, now, start, end, vendor, figures) -> None:
    """One scan, grouped by the interval (between two period bounds) each clock stopped, breached
    or fell due in; a clock ends in the earlier one, and a period is a run of intervals."""
    bounds = sorted({p.start for p in periods} | {p.end for p in periods})
    tally_clocks(session.execute(clock_counts_query(bounds, now, vendor)), bounds, periods, rules.targets, figures)


def _opened(session, periods, start, end, vendor, figures) -> None:
    t = Ticket
    columns = [_sum(_in(t.created_at, p)).label(f"opened{i}") for i, p in enumerate(periods)]
    query = (select(t.vendor, *columns).where(t.deleted.is_(False), t.created_at >= start, t.created_at < end)
             .group_by(t.vendor))
    if vendor is not None:
        query = query.where(t.vendor == vendor)
    for row in session.execute(query):
        for i, period in enumerate(periods):
            figures.opened[(row.vendor, period.label)] += int(row._mapping[f"opened{i}"] or 0)


def _surveys(session, rules, periods, start, end, vendor, figures) -> None:
    s = Survey
    columns = []
    for i, p in enumerate(periods):
        answered = _in(s.answered_at, p)
        columns += [_sum(and_(answered, s.csat.is_not(None))).label(f"csat{i}"),
                    _sum(and_(answered, s.csat >= 4)).label(f"csat_pos{i}"),
                    _sum(and_(answered, s.communication.is_not(None))).label(f"communication{i}"),
                    _sum(and_(answered, s.communication >= 4)).label(f"communication_pos{i}")]
    query = (select(s.vendor, *columns).where(s.answered_at >= start, s.answered_at < end)
             .group_by(s.vendor))
    if vendor is not None:
        query = query.where(s.vendor == vendor)
    for row in session.execute(query):
        for i, period in enumerate(periods):
            out = figures.satisfaction.setdefault((row.vendor, period.label), {})
            for question in ("csat", "communication"):
                answered = int(row._mapping[f"{question}{i}"] or 0)
                if answered:
                    out[question] = Satisfaction(question, rules.targets.get(question), answered,
                                                 int(row._mapping[f"{question}_pos{i}"] or 0))
