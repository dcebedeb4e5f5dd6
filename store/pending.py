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
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import and_, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from processors.rule_schedule import RuleSchedule
from processors.rules import Rules
from store.db import Database
from store.models import PendingRecompute
from store.recompute import recompute_tickets
from store.repo import lock_tickets

log = logging.getLogger(__name__)

PENDING = PendingRecompute.__table__
BATCH = 100  # tickets per transaction: short enough that a webhook never waits long for the lock


_UNMARK = delete(PENDING).where(and_(PENDING.c.ticket == bindparam("key"), PENDING.c.mark == bindparam("seen")))


@functools.cache
def _mark_statement(dialect: str):
    dml = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = dml(PENDING).values(ticket=bindparam("ticket"), mark=1, since=bindparam("since"))
    return stmt.on_conflict_do_update(index_elements=["ticket"], set_={"mark": PENDING.c.mark + 1})


def mark_pending(session: Session, keys: Iterable[str], now: datetime) -> None:
    """Ask for a recompute of these tickets (in the caller's transaction)."""
    rows = [{"ticket": key, "since": now} for key in sorted(set(keys))]
    if rows:
        session.connection().execute(_mark_statement(session.get_bind().dialect.name), rows)


def recompute_pending(db: Database, rules: Rules | RuleSchedule, now: datetime, limit: int = 2000) -> int:
    """Recompute up to `limit` marked tickets, oldest mark first, BATCH per transaction; returns
    how many. Safe to run from several processes at once (PostgreSQL: SKIP LOCKED)."""
    done = 0
    while done < limit:
        count = db.write(lambda session: _recompute_batch(session, rules, now, min(BATCH, limit - done)))
        done += count
        if count == 0:
            break
    return done


def _recompute_batch(session: Session, rules: Rules | RuleSchedule, now: datetime, size: int) -> int:
    query = select(PENDING.c.ticket, PENDING.c.mark).order_by(PENDING.c.since, PENDING.c.ticket).limit(size)
    if session.get_bind().dialect.name != "sqlite":  # SQLite: BEGIN IMMEDIATE already excludes writers
        query = query.with_for_update(skip_locked=True)
    rows = sorted(session.execute(query).all())
    keys = [key for key, _ in rows]
    lock_tickets(session, keys)  # in key order: no deadlocks
    recompute_tickets(session, keys, rules, now)  # one query for the events, one write per table
    if rows:
        session.connection().execute(_UNMARK, [{"key": key, "seen": mark} for key, mark in rows])
    return len(rows)


@dataclass(frozen=True)
class Backlog:
    tickets: int
    oldest: datetime | None  # when the longest-waiting ticket was marked

    def lag_seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.oldest).total_seconds()) if self.oldest else 0.0


def backlog(session: Session) -> Backlog:
    count, oldest = session.execute(select(func.count(), func.min(PENDING.c.since))).one()
    return Backlog(count, oldest)  # min() keeps the column's type: an aware UTC datetime
