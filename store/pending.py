"""Tickets whose clocks wait for a recompute: the webhook path marks them, the worker recomputes.

A webhook request stores its events and marks their tickets here in one short transaction, then
answers (DESIGN principle 3: acknowledge fast, work after). The worker — the scheduler of
`slawatch worker` or of `slawatch serve` — recomputes marked tickets from their whole event log
within about a second (`recompute_pending`), and every tick drains them before it plans alerts,
so no alert is planned from clocks older than the stored events. A ticket marked by fifty
deliveries in a row is recomputed once.

`mark` counts the marks of a row. The recompute deletes a row only if its mark is still the one it
read, so a delivery stored while its ticket was being recomputed (possible on PostgreSQL, where a
webhook does not wait for the recompute) leaves the row for the next round.

Time comes from the events (issue 12): a ticket whose log holds an event stamped after the
worker's `now` (Jira's clock a little ahead) keeps its row, with `not_before` set to that event's
instant, and is recomputed again when the instant comes. A new mark clears `not_before`.

A ticket fails alone: each is recomputed in a savepoint; one that raises is rolled back, its row
gets `failures + 1`, the error's type and first line, and `not_before = now + backoff` (2, 4, 8 ...
seconds), and after MAX_FAILURES failures in a row it is quarantined (`quarantined_at`): no longer
tried until `slawatch quarantine retry` (store/quarantine.py; the marks and the failure count are
in store/marks.py, shared with store/recompute.py). Every other ticket goes on. Database
errors (OperationalError: a lock timeout, a lost connection) are not the ticket's fault and
propagate as before.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from processors.rule_schedule import RuleSchedule
from processors.rules import Rules
from store.db import Database
from store.marks import PENDING, record_failure
from store.marks import BACKOFF_SECONDS, MAX_FAILURES, mark_pending  # noqa: F401 - their old home
from store.models import ClockRow, Event, Ticket
from store.recompute import recompute_ticket, recompute_tickets
from store.repo import lock_ticket, lock_tickets

log = logging.getLogger(__name__)

BATCH = 100  # tickets per transaction: short enough that a webhook never waits long for the lock
YIELD_SECONDS = 0.001  # pause between batches, so other threads' writers get their turn
EVENTS = Event.__table__


_UNMARK = delete(PENDING).where(and_(PENDING.c.ticket == bindparam("key"), PENDING.c.mark == bindparam("seen")))


def mark_unsettled(session: Session, now: datetime) -> int:
    """Ask for a recompute of every ticket whose clocks may still change under rules that now
    read differently (a field name bound to new ids, store/rulebook.py): those with an open
    clock and those with none. Stopped clocks keep their verdict; returns how many were marked."""
    clocked = select(ClockRow.ticket)
    open_clocks = select(ClockRow.ticket).where(ClockRow.state != "stopped")
    keys = session.scalars(select(Ticket.key).where(or_(Ticket.key.not_in(clocked), Ticket.key.in_(open_clocks)))).all()
    mark_pending(session, keys, now)
    return len(keys)


def recompute_pending(db: Database, rules: Rules | RuleSchedule, now: datetime, limit: int = 2000) -> int:
    """Recompute up to `limit` marked tickets, oldest mark first, BATCH per transaction; returns
    how many. Safe to run from several processes at once (PostgreSQL: SKIP LOCKED)."""
    done = 0
    while done < limit:
        count = db.write(lambda session: _recompute_batch(session, rules, now, min(BATCH, limit - done)))
        done += count
        if count == 0:
            break
        time.sleep(YIELD_SECONDS)  # between batches: the tick's planning and sending get the lock
    return done


def waiting_tickets(session: Session, now: datetime, keys: Iterable[str]) -> set[str]:
    """Those of `keys` whose stored clocks wait for a recompute due at `now` (planning skips
    them: their clocks may be older than their events)."""
    wanted, found = sorted(set(keys)), set()
    for start in range(0, len(wanted), 500):
        found.update(session.scalars(select(PENDING.c.ticket).where(
            PENDING.c.ticket.in_(wanted[start:start + 500]), due(now))))
    return found


def _recompute_batch(session: Session, rules: Rules | RuleSchedule, now: datetime, size: int) -> int:
    query = (select(PENDING.c.ticket, PENDING.c.mark).where(due(now))
             .order_by(PENDING.c.since, PENDING.c.ticket).limit(size))
    if session.get_bind().dialect.name != "sqlite":  # SQLite: BEGIN IMMEDIATE already excludes writers
        query = query.with_for_update(skip_locked=True)
    rows = sorted(session.execute(query).all())
    keys = [key for key, _ in rows]
    try:
        with session.begin_nested():
            lock_tickets(session, keys)  # in key order: no deadlocks
            recompute_tickets(session, keys, rules, now)  # one query for the events, one write per table
    except OperationalError:
        raise  # the database's trouble, not a ticket's: the whole batch is retried
    except Exception:  # noqa: BLE001 - a ticket of the batch fails: each alone, so it fails alone
        for key, mark in rows:
            recompute_alone(session, key, mark, rules, now)
        return len(rows)
    _settle_many(session, rows, now)
    return len(rows)


def _settle_many(session: Session, rows: list, now: datetime) -> None:
    """`_settle` for a recomputed batch: one query for the events stamped after `now`."""
    if not rows:
        return
    upcoming = dict(session.execute(
        select(EVENTS.c.ticket, func.min(EVENTS.c.at))
        .where(EVENTS.c.ticket.in_([key for key, _ in rows]), EVENTS.c.at > now).group_by(EVENTS.c.ticket)).all())
    done = [{"key": key, "seen": mark} for key, mark in rows if key not in upcoming]
    if done:
        session.connection().execute(_UNMARK, done)
    for key, mark in rows:
        if key in upcoming:
            _settle(session, key, mark, now)


def due(now: datetime):
    """The rows to recompute at `now`: not quarantined, not waiting for a later instant."""
    return and_(PENDING.c.quarantined_at.is_(None),
                or_(PENDING.c.not_before.is_(None), PENDING.c.not_before <= now))


def recompute_alone(session: Session, key: str, mark: int, rules: Rules | RuleSchedule, now: datetime) -> bool:
    """Recompute one marked ticket in a savepoint, then settle its row; False if it failed (its
    work rolled back, the failure recorded)."""
    try:
        with session.begin_nested():
            lock_ticket(session, key)
            recompute_ticket(session, key, rules, now)
    except OperationalError:
        raise  # the database's trouble, not the ticket's: the whole batch is retried
    except Exception as exc:  # noqa: BLE001 - the edge of one ticket's recompute: it fails alone
        record_failure(session, key, exc, now)
        return False
    _settle(session, key, mark, now)
    return True


def _settle(session: Session, key: str, mark: int, now: datetime) -> None:
    """Delete the row of a recomputed ticket, or keep it for the instant of its next event stamped
    after `now`; only if no delivery marked it meanwhile."""
    upcoming = session.execute(select(func.min(EVENTS.c.at)).where(
        and_(EVENTS.c.ticket == key, EVENTS.c.at > now))).scalar_one()
    same = and_(PENDING.c.ticket == key, PENDING.c.mark == mark)
    if upcoming is None:
        session.execute(delete(PENDING).where(same))
    else:
        session.execute(update(PENDING).where(same).values(
            not_before=upcoming, since=upcoming, failures=0, last_error=None))


@dataclass(frozen=True)
class Backlog:
    tickets: int
    oldest: datetime | None  # when the longest-waiting ticket was marked

    def lag_seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.oldest).total_seconds()) if self.oldest else 0.0


def backlog(session: Session, now: datetime | None = None) -> Backlog:
    """The tickets waiting for a recompute (at `now`: only those due; never the quarantined)."""
    where = due(now) if now is not None else PENDING.c.quarantined_at.is_(None)
    count, oldest = session.execute(select(func.count(), func.min(PENDING.c.since)).where(where)).one()
    return Backlog(count, oldest)  # min() keeps the column's type: an aware UTC datetime
