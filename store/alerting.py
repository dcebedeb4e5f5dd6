"""Which stored clocks the scheduler's tick must show the alert planner, as `ClockView`s.

Never a scan of the open clocks: every clock row carries `plan_at`, the next instant at which
the planner must look at it (indexed, ix_clocks_plan_at), and a tick reads only the rows whose
instant has come (`plan_at <= now`), earliest first, `limit` at a time:

- a recompute (a webhook, a rules change) sets `plan_at` to its own instant (store/repo.py), so
  the next tick looks at every recomputed clock: a warning or breach the recompute put in the
  past, a clock stopped after its breach (the "resolved late" reply);
- after planning a clock, the tick moves its `plan_at` to `processors.alerts.next_look`: its
  next warning, its due time, its escalation, or NULL (nothing until a recompute).

No lower bound and no overlap are needed: every row the tick looks at leaves the range in the
same transaction, and a row committed late (or while the worker was down) is still in it at
the next tick. So what fell due while no worker ran is looked at once, in order.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from processors.alerts import ClockView, next_look
from processors.events import parse_instant
from processors.rules import Rules
from store.models import Acknowledgement, ClockRow, Ticket

CLOCKS = ClockRow.__table__


def due_query(now: datetime, limit: int):
    """The clocks (and what the planner shows of their tickets) whose `plan_at` has come: a range
    of ix_clocks_plan_at. Plain rows, not ORM objects: a batch is thousands of them."""
    tickets = Ticket.__table__
    return (select(CLOCKS, tickets.c.summary, tickets.c.priority, tickets.c.status,
                   tickets.c.vendor.label("ticket_vendor"), tickets.c.deleted)
            .join(tickets, tickets.c.key == CLOCKS.c.ticket)
            .where(CLOCKS.c.plan_at <= now).order_by(CLOCKS.c.plan_at, CLOCKS.c.id).limit(limit))


def due_clocks(session: Session, now: datetime, limit: int) -> list[tuple[int, ClockView]]:
    """Up to `limit` clocks whose `plan_at` has come, earliest first, as (row id, view); clocks of
    deleted tickets come with a None view (they call for nothing)."""
    rows = session.connection().execute(due_query(now, limit)).all()
    acks = _acknowledgements(session, rows)
    return [(row.id, None if row.deleted else clock_view(row, _Facts(row), acks.get(breach_key(row))))
            for row in rows]


class _Facts:
    """The ticket's columns of a `due_query` row, under the names `clock_view` reads."""

    def __init__(self, row):
        self.summary, self.priority, self.status, self.vendor = row.summary, row.priority, row.status, row.ticket_vendor


def move_plan_at(session: Session, due: list[tuple[int, ClockView | None]], rules: Rules,
                 now: datetime) -> None:
    """After planning at `now`: each clock's next look (processors.alerts.next_look)."""
    rows = [{"row_id": row_id, "plan_at": next_look(view, rules, now) if view else None}
            for row_id, view in due]
    if rows:
        statement = update(CLOCKS).where(CLOCKS.c.id == bindparam("row_id")).values(plan_at=bindparam("plan_at"))
        session.connection().execute(statement, rows)


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
