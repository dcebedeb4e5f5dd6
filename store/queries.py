"""Read-only queries over the clock cache, for the API and the metrics gauges.

"Open" clocks are the ones not stopped. An open clock is breached when the engine recorded a
breach, or when it is running and its due time has passed since it was computed.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from processors.events import format_instant
from processors.rule_schedule import RuleSchedule
from store.models import ClockRow, PendingRecompute, Ticket

STATES = ("breached", "running", "paused")


def _open():
    return ClockRow.state != "stopped"


def _breached(now: datetime):
    return or_(ClockRow.breached_at.is_not(None),
               and_(ClockRow.state == "running", ClockRow.due_at <= now))


def _state_filter(state: str | None, now: datetime):
    if state is None:
        return _open()
    if state == "breached":
        return and_(_open(), _breached(now))
    if state in ("running", "paused"):
        return ClockRow.state == state
    raise ValueError(f"unknown clock state {state!r}; use one of {', '.join(STATES)}")


def list_tickets(session: Session, now: datetime, state: str | None = None,
                 vendor: str | None = None, limit: int = 100,
                 vendors: frozenset[str] | None = None) -> list[dict[str, Any]]:
    """Tickets having an open clock in `state`, the most urgent (earliest due) first; of
    `vendor`, and of `vendors` unless it is None (a caller limited to some vendors)."""
    due = func.min(ClockRow.due_at).label("due")
    keys_query = (
        select(ClockRow.ticket, due).join(Ticket, Ticket.key == ClockRow.ticket)
        .where(_state_filter(state, now), Ticket.deleted.is_(False))
        .group_by(ClockRow.ticket).order_by(due.is_(None), due, ClockRow.ticket).limit(limit)
    )
    if vendor is not None:
        keys_query = keys_query.where(Ticket.vendor == vendor)
    if vendors is not None:
        keys_query = keys_query.where(Ticket.vendor.in_(sorted(vendors)))
    keys = [row.ticket for row in session.execute(keys_query)]
    if not keys:
        return []
    tickets = {t.key: t for t in session.scalars(select(Ticket).where(Ticket.key.in_(keys)))}
    clocks: dict[str, list[ClockRow]] = {key: [] for key in keys}
    rows = session.scalars(select(ClockRow).where(ClockRow.ticket.in_(keys))
                           .order_by(ClockRow.metric, ClockRow.cycle))
    for clock in rows:
        clocks[clock.ticket].append(clock)
    return [ticket_summary(tickets[key], clocks[key], now) for key in keys]


def ticket_summary(ticket: Ticket, clocks: list[ClockRow], now: datetime) -> dict[str, Any]:
    return {
        "key": ticket.key, "project": ticket.project, "summary": ticket.summary,
        "status": ticket.status, "priority": ticket.priority, "issuetype": ticket.issuetype,
        "reporter": ticket.reporter, "assignee": ticket.assignee, "vendor": ticket.vendor,
        "policy": ticket.policy, "updated_at": format_instant(ticket.updated_at),
        "clocks": [clock_summary(clock, now) for clock in clocks],
    }


def clock_summary(clock: ClockRow, now: datetime) -> dict[str, Any]:
    overdue = clock.state == "running" and clock.due_at is not None and clock.due_at <= now
    return {
        "metric": clock.metric, "cycle": clock.cycle, "state": clock.state,
        "breached": clock.breached_at is not None or overdue,
        "target_seconds": clock.target_seconds, "elapsed_seconds": clock.elapsed_seconds,
        "paused_seconds": clock.paused_seconds,
        "started_at": format_instant(clock.started_at), "stopped_at": format_instant(clock.stopped_at),
        "due_at": format_instant(clock.due_at), "breached_at": format_instant(clock.breached_at),
        "next_warning_at": format_instant(clock.next_warning_at),
        "policy": clock.policy, "calendar": clock.calendar, "rules_version": clock.rules_version,
        "computed_at": format_instant(clock.computed_at),
        "vendor": clock.vendor, "ended_by": clock.ended_by, "measure": clock.measure,
        "handoff_at": format_instant(clock.handoff_at), "handoff_by": clock.handoff_by,
    }


def count_open_clocks(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ClockRow).where(_open())) or 0


def count_open_breaches(session: Session, now: datetime) -> int:
    query = select(func.count()).select_from(ClockRow).where(_open(), _breached(now))
    return session.scalar(query) or 0


def ticket_known(session: Session, key: str) -> bool:
    return session.get(Ticket, key) is not None


def key_of_issue(session: Session, issue_id: str) -> str | None:
    """The key of the stored ticket with Jira's issue id `issue_id` (its latest, if moved)."""
    query = (select(Ticket.key).where(Ticket.issue_id == issue_id, Ticket.deleted.is_(False))
             .order_by(Ticket.updated_at.desc()).limit(1))
    return session.scalar(query)


def judging_version(schedule: RuleSchedule):
    """SQL: the rules version that judges a ticket (a row of `tickets`) under `schedule`; a
    CASE over its created_at when rules are pinned (a ticket not created yet: the current)."""
    if not schedule.pins:
        return literal(schedule.current.version)
    return case(*[(Ticket.created_at < pin.created_before, pin.rules.version) for pin in schedule.pins],
                else_=schedule.current.version)


def stale_ticket_keys(session: Session, schedule: RuleSchedule | str, limit: int) -> list[str]:
    """Tickets with an open clock computed under another rules version than the one that judges
    them (`schedule`; a plain version string: every ticket's), except those marked for a
    recompute (store/pending.py recomputes them, under the rules in force then, or holds them
    back: backoff, quarantine)."""
    if isinstance(schedule, str) or not schedule.pins:
        version = schedule if isinstance(schedule, str) else schedule.current.version
        query = select(ClockRow.ticket).where(_open(), ClockRow.rules_version != version)
    else:
        query = (select(ClockRow.ticket).join(Ticket, Ticket.key == ClockRow.ticket)
                 .where(_open(), ClockRow.rules_version != judging_version(schedule)))
    marked = exists().where(PendingRecompute.ticket == ClockRow.ticket)
    return list(session.scalars(query.where(~marked).distinct().order_by(ClockRow.ticket).limit(limit)))
