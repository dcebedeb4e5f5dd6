"""Which stored clocks the scheduler's tick must show the alert planner, as `ClockView`s.

Never a scan of every ticket: each condition is a range on an indexed column, over the
interval (since, now] that this tick covers (`since` = the previous planning tick, minus an
overlap; the outbox's unique keys drop what an overlap plans twice):

- a warning instant passed:            since < next_warning_at <= now
- a running clock is in its warning window (first warning passed, not due yet): its later
  warnings (80% after 50%) pass without a recompute, and next_warning_at stays at the first.
  These are the open clocks close to their due time, not the history.
- a running clock's due time passed:   since < due_at <= now
- an escalation fell due:              since < breach + escalate_after <= now
- the clock was recomputed (a webhook, a rules change): computed_at >= since. This catches a
  warning or breach that a recompute put in the past, and a clock stopped after its breach
  (the "resolved late" reply).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from processors.alerts import ClockView
from processors.events import parse_instant
from store.models import Acknowledgement, ClockRow, Ticket


def _due(now: datetime, since: datetime, escalate_after: timedelta | None):
    conditions = [
        and_(ClockRow.next_warning_at > since, ClockRow.next_warning_at <= now),
        and_(ClockRow.state == "running", ClockRow.next_warning_at <= now, ClockRow.due_at > now),
        and_(ClockRow.due_at > since, ClockRow.due_at <= now, ClockRow.state == "running"),
        ClockRow.computed_at >= since,
    ]
    if escalate_after is not None:
        low, high = since - escalate_after, now - escalate_after
        conditions += [
            and_(ClockRow.breached_at > low, ClockRow.breached_at <= high),
            and_(ClockRow.breached_at.is_(None), ClockRow.state == "running",
                 ClockRow.due_at > low, ClockRow.due_at <= high),
        ]
    return or_(*conditions)


def due_clock_views(session: Session, now: datetime, since: datetime,
                    escalate_after: timedelta | None = None) -> list[ClockView]:
    """The clocks (of tickets not deleted) that may call for an alert in (since, now]."""
    query = (select(ClockRow, Ticket).join(Ticket, Ticket.key == ClockRow.ticket)
             .where(_due(now, since, escalate_after), Ticket.deleted.is_(False))
             .order_by(ClockRow.ticket, ClockRow.metric, ClockRow.cycle))
    rows = session.execute(query).all()
    acks = _acknowledgements(session, [clock for clock, _ in rows])
    return [clock_view(clock, ticket, acks.get(breach_key(clock))) for clock, ticket in rows]


def breach_key(clock: ClockRow) -> str:
    return f"alert:{clock.ticket}:{clock.metric}:{clock.cycle}:breach"


def _acknowledgements(session: Session, clocks: list[ClockRow]) -> dict[str, Acknowledgement]:
    keys = sorted({breach_key(clock) for clock in clocks if clock.breached_at or clock.due_at})
    found: dict[str, Acknowledgement] = {}
    for start in range(0, len(keys), 500):
        query = select(Acknowledgement).where(Acknowledgement.alert_key.in_(keys[start:start + 500]))
        found.update((ack.alert_key, ack) for ack in session.scalars(query))
    return found


def clock_view(clock: ClockRow, ticket: Ticket, ack: Acknowledgement | None = None) -> ClockView:
    return ClockView(
        ticket=clock.ticket, metric=clock.metric, cycle=clock.cycle, state=clock.state,
        target_seconds=clock.target_seconds, elapsed_seconds=clock.elapsed_seconds,
        paused_seconds=clock.paused_seconds, started_at=clock.started_at,
        stopped_at=clock.stopped_at, due_at=clock.due_at, breached_at=clock.breached_at,
        warnings=parse_warnings(clock.warnings), policy=clock.policy, calendar=clock.calendar,
        summary=ticket.summary, priority=ticket.priority, status=ticket.status,
        vendor=clock.vendor if clock.vendor is not None else ticket.vendor,
        acknowledged_by=ack.by if ack else None, acknowledged_at=ack.at if ack else None,
        ended_by=clock.ended_by, handoff_at=clock.handoff_at, handoff_by=clock.handoff_by,
    )


def parse_warnings(text: str | None) -> tuple[tuple[float, datetime | None], ...]:
    """clocks.warnings JSON ([[fraction, "instant" or null], ...]) -> ClockView.warnings."""
    if not text:
        return ()
    return tuple((float(fraction), parse_instant(at) if at else None)
                 for fraction, at in json.loads(text))
