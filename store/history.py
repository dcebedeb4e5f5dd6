"""The stored history the reports are computed from (SQLAlchemy Core, read-only).

    summary = weekly_summary(connection, rules, period, now, jira_url=..., vendor=None)
    cards = quarterly_scorecards(connection, rules, period, now, vendor=None)
    report = build_report(connection, rules, "weekly" | "quarterly", period, now, ...)
    enqueue_report(session, "weekly", period, channel, text, blocks, chart_png, now)  # the outbox

Loads the clocks that may count in the periods a report looks at (with the rules version that
judged each), the tickets opened in them, the survey answers given in them and the rules
schedule (effective-dated rules, store/rule_pins.py), and hands them to the pure
`processors.reports`.

The clock cache is recomputed on every event, so an open clock's row is exact as of its
`computed_at`; from there to `now` a running clock only runs on. `now` therefore completes it:
a running clock whose due time has passed breached at its due time, and its elapsed time is
extended on its calendar up to `now`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Mapping, Sequence

from sqlalchemy import Connection, and_, or_, select
from sqlalchemy.orm import Session

from processors import report_render, reports
from processors.calendar import Calendar
from processors.periods import Period, months_of, previous, weeks_ending
from processors.reports import ClockRecord, History, SurveyRecord, TicketRecord
from processors.rules import Rules
from store import outbox
from store.models import ClockRow, ExcusedBreach, Survey, Ticket
from store.rule_pins import load_spans

CLOCKS, TICKETS = ClockRow.__table__, Ticket.__table__
EXCUSED = ExcusedBreach.__table__
SURVEYS = Survey.__table__
Executor = Session | Connection


def _conn(executor: Executor) -> Connection:
    return executor.connection() if isinstance(executor, Session) else executor


def _record(row: Any, now: datetime, calendars: Mapping[str, Calendar]) -> ClockRecord:
    breached_at, elapsed = row.breached_at, row.elapsed_seconds
    if row.state == "running":
        if breached_at is None and row.due_at is not None and row.due_at <= now:
            breached_at = row.due_at
        calendar = calendars.get(row.calendar)
        if calendar is not None and now > row.computed_at:
            elapsed += int(calendar.elapsed(row.computed_at, now).total_seconds())
    return ClockRecord(ticket=row.ticket, metric=row.metric, cycle=row.cycle, vendor=row.vendor,
                       target_seconds=row.target_seconds, elapsed_seconds=elapsed,
                       stopped_at=row.stopped_at, breached_at=breached_at, summary=row.summary,
                       excused=breached_at is not None and row.excused_at is not None,
                       rules_version=row.rules_version, ended_by=row.ended_by)


def load_clock_records(executor: Executor, start: datetime, end: datetime, now: datetime,
                       calendars: Mapping[str, Calendar], tickets: Sequence[str] | None = None) -> list[ClockRecord]:
    """Every clock that may end, or be an open breach, in [start, end): started before `end`
    and not stopped before `start` (of `tickets` only, if given). A breach a manager excused (in
    Slack) is `excused`."""
    c, x = CLOCKS.c, EXCUSED.c
    query = (
        select(c.ticket, c.metric, c.cycle, c.vendor, c.state, c.target_seconds, c.elapsed_seconds,
               c.stopped_at, c.due_at, c.breached_at, c.calendar, c.computed_at, c.rules_version, c.ended_by,
               TICKETS.c.summary, x.at.label("excused_at"))
        .join(TICKETS, TICKETS.c.key == c.ticket)
        .outerjoin(EXCUSED, and_(x.ticket == c.ticket, x.metric == c.metric, x.cycle == c.cycle))
        .where(TICKETS.c.deleted.is_(False), c.started_at < end,
               or_(c.stopped_at.is_(None), c.stopped_at >= start))
        .order_by(c.ticket, c.metric, c.cycle)
    )
    if tickets is not None:
        query = query.where(c.ticket.in_(list(tickets)))
    return [_record(row, now, calendars) for row in _conn(executor).execute(query)]


def load_ticket_records(executor: Executor, start: datetime, end: datetime) -> list[TicketRecord]:
    """The tickets created in [start, end), with their current vendor."""
    t = TICKETS.c
    query = (select(t.key, t.vendor, t.created_at)
             .where(t.deleted.is_(False), t.created_at >= start, t.created_at < end).order_by(t.key))
    return [TicketRecord(row.key, row.vendor, row.created_at) for row in _conn(executor).execute(query)]


def load_survey_records(executor: Executor, start: datetime, end: datetime) -> list[SurveyRecord]:
    """The survey answers given (last changed) in [start, end); satisfied = 4 or 5 of 5."""
    s = SURVEYS.c
    query = (select(s.ticket, s.vendor, s.answered_at, s.csat, s.communication)
             .where(s.answered_at >= start, s.answered_at < end).order_by(s.ticket, s.cycle))
    return [SurveyRecord(ticket=row.ticket, vendor=row.vendor, answered_at=row.answered_at,
                         satisfied=None if row.csat is None else row.csat >= 4,
                         communication_good=None if row.communication is None else row.communication >= 4)
            for row in _conn(executor).execute(query)]


def _history(executor: Executor, rules: Rules, start: datetime, end: datetime, now: datetime) -> History:
    return History(clocks=load_clock_records(executor, start, end, now, rules.calendars),
                   tickets=load_ticket_records(executor, start, end),
                   surveys=load_survey_records(executor, start, end),
                   rule_spans=load_spans(_conn(executor), rules.version))


def vendor_names(rules: Rules) -> dict[str, str]:
    return {vendor.id: vendor.name for vendor in rules.vendors}


def weekly_summary(executor: Executor, rules: Rules, period: Period, now: datetime,
                   jira_url: str | None = None, vendor: str | None = None,
                   weeks: int = 12) -> reports.WeeklySummary:
    """The weekly summary of `period` from the stored history, with its `weeks`-week trend."""
    start = weeks_ending(period, max(weeks, 2))[0].start
    history = _history(executor, rules, start, period.end, now)
    return reports.weekly_summary(history, period, vendor_names(rules), rules.targets,
                                  jira_url=jira_url, vendor=vendor, weeks=weeks)


def quarterly_scorecards(executor: Executor, rules: Rules, period: Period, now: datetime,
                         vendor: str | None = None) -> reports.QuarterlyScorecards:
    """The provider scorecards of the quarter `period`, with the previous quarter for trends."""
    start = months_of(previous(period))[0].start
    history = _history(executor, rules, start, period.end, now)
    return reports.quarterly_scorecards(history, period, vendor_names(rules), rules.targets, vendor=vendor)


def build_report(executor: Executor, rules: Rules, kind: str, period: Period, now: datetime,
                 jira_url: str | None = None, vendor: str | None = None) -> Any:
    """`weekly_summary` or `quarterly_scorecards` by `kind` ("weekly" | "quarterly")."""
    if kind == "weekly":
        return weekly_summary(executor, rules, period, now, jira_url=jira_url, vendor=vendor)
    return quarterly_scorecards(executor, rules, period, now, vendor=vendor)


def report_key(kind: str, period: Period, vendor: str | None = None) -> str:
    """The outbox key of a report message: `report:{kind}:{period}[:{vendor}]`."""
    return f"report:{kind}:{period.label}" + (f":{vendor}" if vendor else "")


def enqueue_report(session: Session, kind: str, period: Period, channel: str, text: str,
                   blocks: Sequence[dict[str, Any]], chart_png: bytes | None, now: datetime,
                   vendor: str | None = None, enqueue: Callable[..., bool] | None = None,
                   chart_title: str | None = None) -> bool:
    """Put a report message in the outbox under `report_key`, and its chart (if any) as a file
    uploaded into the message's thread. False when this report was queued before (the key is
    taken: a job run twice for one instant, or `--post` repeated), and then nothing is added.
    `enqueue` is store.outbox.enqueue unless given; `chart_title` the chart's, in the report's
    language (processors.report_render.chart_title)."""
    enqueue = enqueue or outbox.enqueue
    key = report_key(kind, period, vendor)
    message = outbox.Outgoing(key=key, kind="report", channel=channel, text=text, blocks=list(blocks))
    if not enqueue(session, message, now):
        return False
    if chart_png:
        title = chart_title or report_render.chart_title(period)
        enqueue(session, outbox.Outgoing(
            key=f"{key}:chart", kind="file", channel=channel, text=title, thread_key=key,
            attachment=chart_png, filename=f"slawatch-{key.split(':', 1)[1].replace(':', '-')}.png",
            title=title), now)
    return True
