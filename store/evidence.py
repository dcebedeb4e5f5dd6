"""Every stored clock, filtered and paged by keyset (for /api/clocks and the exports).

    page = list_clocks(session, ClockFilter(vendor="acme", state="stopped"), now, after=None, limit=100)
    for clock in iter_clocks(session, ClockFilter(...), now, batch=2000): ...   # constant memory
    count_clocks(session, ClockFilter(...), now)

Clocks are ordered by (ticket, metric, cycle): the identity of a clock, which never changes (a
recompute replaces a clock's row, so its surrogate id does change). A page continues strictly
after the last identity of the previous one, so clocks inserted or recomputed between two pages
neither repeat a row nor make one be skipped. Clocks of deleted tickets are left out.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Collection, Iterator

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.orm import Session

from processors.evidence import ClockFacts
from store.models import ClockRow, ExcusedBreach, Ticket

ClockKey = tuple[str, str, int]  # (ticket, metric, cycle)


@dataclass(frozen=True)
class ClockFilter:
    vendor: str | None = None
    metric: str | None = None
    state: str | None = None  # running | paused | stopped
    breached: bool | None = None
    excused: bool | None = None
    start: datetime | None = None  # started or stopped at or after
    end: datetime | None = None  # ... and before
    vendors: Collection[str] | None = None  # the caller's scope (None: every vendor)
    may_end_in: tuple[datetime, datetime] | None = None  # started before its end, not stopped before its start


def _breached(now: datetime):
    c = ClockRow
    return or_(c.breached_at.is_not(None), and_(c.state == "running", c.due_at <= now))


def _within(column, f: ClockFilter):
    parts = [column.is_not(None)]
    if f.start is not None:
        parts.append(column >= f.start)
    if f.end is not None:
        parts.append(column < f.end)
    return and_(*parts)


def _conditions(f: ClockFilter, now: datetime) -> list:
    c, x = ClockRow, ExcusedBreach
    out = [Ticket.deleted.is_(False)]
    for column, value in ((c.vendor, f.vendor), (c.metric, f.metric), (c.state, f.state)):
        if value is not None:
            out.append(column == value)
    if f.vendors is not None:
        out.append(c.vendor.in_(sorted(f.vendors)))
    if f.breached is not None:
        out.append(_breached(now) if f.breached else ~_breached(now))
    if f.excused is not None:
        excused = and_(x.alert_key.is_not(None), _breached(now))
        out.append(excused if f.excused else ~excused)
    if f.start is not None or f.end is not None:
        out.append(or_(_within(c.started_at, f), _within(c.stopped_at, f)))
    if f.may_end_in is not None:
        start, end = f.may_end_in
        out += [c.started_at < end, or_(c.stopped_at.is_(None), c.stopped_at >= start)]
    return out


def _after(key: ClockKey):
    """Strictly after `key` in identity order: a row-value comparison, which both SQLite and
    PostgreSQL answer by seeking in the unique index on (ticket, metric, cycle)."""
    c = ClockRow
    return tuple_(c.ticket, c.metric, c.cycle) > tuple_(*key)


def list_clocks(session: Session, f: ClockFilter, now: datetime, after: ClockKey | None,
                limit: int) -> list[ClockFacts]:
    """Up to `limit` clocks matching `f`, in identity order, strictly after `after`."""
    c, x, t = ClockRow, ExcusedBreach, Ticket
    query = (select(c.ticket, t.summary, t.priority, t.status, c.metric, c.cycle, c.state, c.vendor, c.policy,
                    c.calendar, c.target_seconds, c.elapsed_seconds, c.paused_seconds, c.started_at,
                    c.stopped_at, c.due_at, c.breached_at, c.rules_version, c.computed_at,
                    x.by, x.at, x.reason)
             .join(t, t.key == c.ticket)
             .outerjoin(x, and_(x.ticket == c.ticket, x.metric == c.metric, x.cycle == c.cycle))
             .where(*_conditions(f, now))
             .order_by(c.ticket, c.metric, c.cycle).limit(limit))
    if after is not None:
        query = query.where(_after(after))
    return [ClockFacts(*row) for row in session.execute(query)]


def count_clocks(session: Session, f: ClockFilter, now: datetime) -> int:
    query = (select(func.count()).select_from(ClockRow).join(Ticket, Ticket.key == ClockRow.ticket)
             .outerjoin(ExcusedBreach, and_(ExcusedBreach.ticket == ClockRow.ticket,
                                            ExcusedBreach.metric == ClockRow.metric,
                                            ExcusedBreach.cycle == ClockRow.cycle))
             .where(*_conditions(f, now)))
    return session.scalar(query) or 0


def iter_clocks(session: Session, f: ClockFilter, now: datetime, batch: int = 2000) -> Iterator[ClockFacts]:
    """Every clock matching `f`, read `batch` rows at a time (memory stays flat)."""
    after: ClockKey | None = None
    while True:
        rows = list_clocks(session, f, now, after, batch)
        yield from rows
        if len(rows) < batch:
            return
        after = (rows[-1].ticket, rows[-1].metric, rows[-1].cycle)
