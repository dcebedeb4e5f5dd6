"""The weekly and quarterly report jobs, run by the leader's tick when their instant has come.

Not an APScheduler cron trigger in each process: with several processes, a trigger fires in
every one of them, and a leader change at 09:00 could lose or double the run. Instead each tick
of the leader computes the latest scheduled instant <= now (rules.reports.weekly: day, time,
timezone; quarterly: the first such weekday of the quarter) and runs the job if that instant is
later than the one recorded in service_state (`reports.<job>.last_instant`). The record is
written after the job; a leader dying in between makes the next leader run it again for the
same instant, and the report's outbox keys (which include the period) drop the repeat.

A scheduled instant older than CATCH_UP when first seen (a fresh install on a Wednesday) is
recorded without running: the job runs at its next instant, or `slawatch report` prints it. So
is a first instant before which no ticket was created (a fresh install on a Monday morning would
otherwise post a summary of zeros); once a job has run or been recorded, it runs every time.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select

from processors.events import format_instant, parse_instant
from processors.rules import QuarterlyReport, Rules, WeeklyReport
from scheduler import reports_job
from store import outbox
from store.db import Database
from store.models import Ticket
from store.repo import get_service_state, set_service_state

log = logging.getLogger(__name__)

CATCH_UP = timedelta(hours=24)
Job = Callable[[Database, Rules, datetime, Callable[..., Any], "str | None"], None]


def _at(day: date, config: WeeklyReport | QuarterlyReport) -> datetime:
    hour, minute = config.time
    local = datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(config.timezone))
    return local.astimezone(ZoneInfo("UTC"))


def last_weekly_instant(config: WeeklyReport, now: datetime) -> datetime:
    """The latest instant <= now that is `day` at `time` in `timezone`."""
    today = now.astimezone(ZoneInfo(config.timezone)).date()
    day = today - timedelta(days=(today.weekday() - config.day) % 7)
    instant = _at(day, config)
    return instant if instant <= now else _at(day - timedelta(days=7), config)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _quarterly_in(start: date, config: QuarterlyReport) -> datetime:
    first = start + timedelta(days=(config.day - start.weekday()) % 7)
    return _at(first, config)


def last_quarterly_instant(config: QuarterlyReport, now: datetime) -> datetime:
    """The latest instant <= now that is the quarter's first `day` (weekday) at `time`."""
    start = _quarter_start(now.astimezone(ZoneInfo(config.timezone)).date())
    instant = _quarterly_in(start, config)
    if instant <= now:
        return instant
    previous = _quarter_start(start - timedelta(days=1))
    return _quarterly_in(previous, config)


def jobs(rules: Rules, now: datetime) -> list[tuple[str, datetime, Job]]:
    reports = rules.reports
    return [
        ("weekly", last_weekly_instant(reports.weekly, now), reports_job.run_weekly),
        ("quarterly", last_quarterly_instant(reports.quarterly, now), reports_job.run_quarterly),
    ]


def _tickets_before(db: Database, instant: datetime) -> bool:
    with db.reading() as session:
        return session.execute(select(Ticket.key).where(Ticket.created_at < instant).limit(1)).first() is not None


def run_due_jobs(db: Database, rules: Rules, now: datetime, jira_url: str | None = None) -> list[str]:
    """Run the report jobs whose instant has come since their last run; returns their names.
    `jira_url` (JIRA_URL) makes the tickets in the reports links."""
    ran = []
    for name, instant, job in jobs(rules, now):
        key = f"reports.{name}.last_instant"
        with db.reading() as session:
            state = get_service_state(session, key)
        last = parse_instant(state.value) if state is not None and state.value else None
        if last is not None and instant <= last:
            continue
        if last is None and not _tickets_before(db, instant):
            log.info("no ticket created before %s: the %s report starts at its next instant",
                     format_instant(instant), name)
        elif last is not None or now - instant <= CATCH_UP:
            log.info("running the %s report job for %s", name, format_instant(instant))
            job(db, rules, instant, outbox.enqueue, jira_url)
            ran.append(name)
        db.write(lambda session: set_service_state(session, key, format_instant(instant), now))
    return ran
