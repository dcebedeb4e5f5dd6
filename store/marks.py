"""Marks on `pending_recompute`: ask for a ticket's recompute, and count one that failed.

Shared by the two recompute paths: the worker's recompute of the tickets webhooks marked
(store/pending.py) and the recompute of clocks an older rules version computed
(store/recompute.py), which hands a ticket that fails over to the first path. A failure backs
off (BACKOFF_SECONDS * 2 ** (n - 1)) and after MAX_FAILURES in a row quarantines the ticket
(store/quarantine.py).
"""
from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import PendingRecompute

log = logging.getLogger("store.pending")

PENDING = PendingRecompute.__table__
MAX_FAILURES = 5  # failed recomputes in a row before a ticket is quarantined
BACKOFF_SECONDS = 2.0  # after the n-th failure, wait BACKOFF_SECONDS * 2 ** (n - 1)


@functools.cache
def _mark_statement(dialect: str):
    dml = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = dml(PENDING).values(ticket=bindparam("ticket"), mark=1, since=bindparam("since"))
    return stmt.on_conflict_do_update(index_elements=["ticket"],
                                      set_={"mark": PENDING.c.mark + 1, "not_before": None})


def mark_pending(session: Session, keys: Iterable[str], now: datetime) -> None:
    """Ask for a recompute of these tickets (in the caller's transaction)."""
    rows = [{"ticket": key, "since": now} for key in sorted(set(keys))]
    if rows:
        session.connection().execute(_mark_statement(session.get_bind().dialect.name), rows)


def record_failure(session: Session, key: str, exc: Exception, now: datetime) -> None:
    """Count a failed recompute of `key`: back off, or quarantine after MAX_FAILURES."""
    failures = session.execute(select(PENDING.c.failures).where(PENDING.c.ticket == key)).scalar_one() + 1
    cause = getattr(exc, "orig", None) or exc  # a driver error without the statement's parameters
    reason = f"{type(cause).__name__}: {(str(cause).splitlines() or [''])[0][:300]}"
    values: dict = {"failures": failures, "last_error": reason}
    if failures >= MAX_FAILURES:
        values["quarantined_at"] = now
        log.error("ticket %s quarantined after %d failed recomputes: %s", key, failures, type(exc).__name__)
    else:
        values["not_before"] = now + timedelta(seconds=BACKOFF_SECONDS * 2 ** (failures - 1))
        log.warning("recompute of ticket %s failed (%d of %d): %s", key, failures, MAX_FAILURES,
                    type(cause).__name__, exc_info=None if cause is not exc else exc)
    session.execute(update(PENDING).where(PENDING.c.ticket == key).values(**values))


def fail_alone(session: Session, key: str, exc: Exception, now: datetime) -> None:
    """A ticket whose recompute raised outside the marked path: mark it and count the failure,
    so the worker retries it with backoff (and quarantines it) like any marked ticket."""
    mark_pending(session, [key], now)
    record_failure(session, key, exc, now)
