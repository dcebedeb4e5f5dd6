"""Read-only queries behind the dashboard pages. Every list is bounded by `limit` and walks an
index (clocks: due_at, breached_at, ticket, vendor+metric; acknowledgements and excused breaches:
ticket+metric+cycle), so a page costs the same with 1,000 or 100,000 tickets.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, desc, func, or_, select
from sqlalchemy.orm import Session

from store.models import Acknowledgement, ClockRow, ExcusedBreach, RuleVersion, ServiceState, Ticket
from store.rulebook import RELOAD_ERROR_KEY


@dataclass(frozen=True)
class ClockLine:
    ticket: str
    summary: str | None
    vendor: str | None
    metric: str
    cycle: int
    state: str
    target_seconds: int
    elapsed_seconds: int
    due_at: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None
    ack_by: str | None = None
    ack_at: datetime | None = None
    ack_kind: str | None = None  # ack | excuse
    excuse_reason: str | None = None


def _lines(session: Session, query) -> list[ClockLine]:
    return [ClockLine(**row._mapping) for row in session.execute(query)]


def _clock_columns():
    c = ClockRow
    return (c.ticket, Ticket.summary, c.vendor, c.metric, c.cycle, c.state, c.target_seconds,
            c.elapsed_seconds, c.due_at, c.breached_at, c.stopped_at)


def _with_acks(query):
    a, x = Acknowledgement, ExcusedBreach
    clock = and_(a.ticket == ClockRow.ticket, a.metric == ClockRow.metric, a.cycle == ClockRow.cycle)
    excused = and_(x.ticket == ClockRow.ticket, x.metric == ClockRow.metric, x.cycle == ClockRow.cycle)
    return (query.add_columns(a.by.label("ack_by"), a.at.label("ack_at"), a.kind.label("ack_kind"),
                              x.reason.label("excuse_reason"))
            .outerjoin(a, clock).outerjoin(x, excused))


def _live(query, vendors: frozenset[str] | None = None):
    """Clocks of tickets not deleted; of `vendors` only unless it is None (every vendor)."""
    query = query.join(Ticket, Ticket.key == ClockRow.ticket).where(Ticket.deleted.is_(False))
    return query if vendors is None else query.where(ClockRow.vendor.in_(sorted(vendors)))


def due_soon(session: Session, now: datetime, limit: int = 15,
             vendors: frozenset[str] | None = None) -> list[ClockLine]:
    """Running clocks not yet breached, the least time left first."""
    query = _live(select(*_clock_columns()), vendors).where(
        ClockRow.state == "running", ClockRow.breached_at.is_(None), ClockRow.due_at > now)
    return _lines(session, query.order_by(ClockRow.due_at, ClockRow.ticket).limit(limit))


def _open_breach(now: datetime):
    return and_(ClockRow.state.in_(("running", "paused")),  # not "stopped": so ix_clocks_state_stopped_at serves
                or_(ClockRow.breached_at.is_not(None), and_(ClockRow.state == "running", ClockRow.due_at <= now)))


def open_breaches(session: Session, now: datetime, limit: int = 20,
                  vendors: frozenset[str] | None = None) -> tuple[list[ClockLine], int]:
    """Open clocks that breached (the latest first), with their acknowledgement; and how many."""
    breached_at = func.coalesce(ClockRow.breached_at, ClockRow.due_at)
    query = _with_acks(_live(select(*_clock_columns()), vendors)).where(_open_breach(now))
    total = session.scalar(_live(select(func.count()).select_from(ClockRow), vendors)
                           .where(_open_breach(now))) or 0
    return _lines(session, query.order_by(desc(breached_at), ClockRow.ticket).limit(limit)), total


def worst_breaches(session: Session, vendor: str, start: datetime, end: datetime, limit: int = 10) -> list[ClockLine]:
    """The vendor's clocks that breached in [start, end), the furthest over target first."""
    over = ClockRow.elapsed_seconds - ClockRow.target_seconds
    query = _with_acks(_live(select(*_clock_columns()))).where(
        ClockRow.vendor == vendor, ClockRow.breached_at >= start, ClockRow.breached_at < end)
    return _lines(session, query.order_by(desc(over), ClockRow.ticket).limit(limit))


def ticket_clocks(session: Session, key: str) -> list[tuple[ClockRow, ClockLine]]:
    query = _with_acks(_live(select(*_clock_columns()))).where(ClockRow.ticket == key)
    lines = _lines(session, query.order_by(ClockRow.metric, ClockRow.cycle))
    rows = {(r.metric, r.cycle): r for r in session.scalars(select(ClockRow).where(ClockRow.ticket == key))}
    return [(rows[(line.metric, line.cycle)], line) for line in lines]


def rule_versions(session: Session, limit: int = 20) -> list[RuleVersion]:
    return list(session.scalars(select(RuleVersion).order_by(desc(RuleVersion.loaded_at)).limit(limit)))


def reload_error(session: Session) -> dict[str, Any] | None:
    row = session.get(ServiceState, RELOAD_ERROR_KEY)
    return {"lines": row.value.splitlines(), "at": row.updated_at} if row and row.value else None
