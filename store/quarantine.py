"""Quarantined tickets: those whose recompute failed MAX_FAILURES times in a row (store/pending.py).

A quarantined ticket keeps its pending row, with `quarantined_at` and the last error, and is no
longer tried; its stored clocks are those of its last good recompute. It shows on /healthz
(`quarantine`, the service degraded), /metrics (`slawatch_quarantined_tickets`), the dashboard's
rules page and `slawatch quarantine list`. `slawatch quarantine retry [KEY...]` (`retry`) puts
it back in line once the cause is fixed (a rules change, a new release).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from store.models import PendingRecompute

PENDING = PendingRecompute.__table__


@dataclass(frozen=True)
class Quarantined:
    ticket: str
    failures: int
    last_error: str | None
    quarantined_at: datetime


def count_quarantined(session: Session) -> int:
    return session.execute(select(func.count()).where(PENDING.c.quarantined_at.is_not(None))).scalar_one()


def list_quarantined(session: Session, limit: int = 100) -> list[Quarantined]:
    """The quarantined tickets, the most recent first."""
    rows = session.execute(
        select(PENDING.c.ticket, PENDING.c.failures, PENDING.c.last_error, PENDING.c.quarantined_at)
        .where(PENDING.c.quarantined_at.is_not(None))
        .order_by(PENDING.c.quarantined_at.desc(), PENDING.c.ticket).limit(limit)).all()
    return [Quarantined(*row) for row in rows]


def retry(session: Session, now: datetime, keys: Sequence[str] = ()) -> int:
    """Put these quarantined tickets (every one when `keys` is empty) back in line for a
    recompute now, with a fresh failure budget; returns how many."""
    where = PENDING.c.quarantined_at.is_not(None)
    if keys:
        where = where & PENDING.c.ticket.in_(list(keys))
    result = session.execute(update(PENDING).where(where).values(
        quarantined_at=None, failures=0, not_before=None, since=now))
    return result.rowcount
