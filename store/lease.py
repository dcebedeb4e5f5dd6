"""Named leases in the database: which process is the scheduler's leader.

    if acquire(db, "scheduler", holder="host:pid:uuid", now=now, duration=3 * tick): lead

A lease is free when absent or expired; its holder renews it (every tick) by acquiring again.
A holder that dies stops renewing, and the lease passes to another process once it expires.
Both steps are single conditional statements, so two processes racing for it cannot both win:
UPDATE ... WHERE name = :name AND (expires_at < :now OR holder = :me), then, if no row
changed, INSERT ... ON CONFLICT (name) DO NOTHING.
"""
from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.db import Database
from store.models import Lease

LEASES = Lease.__table__


@functools.cache
def _insert(dialect: str):
    dml = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return dml(LEASES).on_conflict_do_nothing(index_elements=["name"]).returning(LEASES.c.name)


def acquire(db: Database, name: str, holder: str, now: datetime, duration: timedelta) -> bool:
    """Take or renew the lease `name` for `holder` until now + duration; True if held."""
    return db.write(lambda session: acquire_in(session, name, holder, now, duration))


def acquire_in(session: Session, name: str, holder: str, now: datetime, duration: timedelta) -> bool:
    expires_at = now + duration
    renewed = session.execute(
        update(Lease).where(Lease.name == name, or_(Lease.expires_at < now, Lease.holder == holder))
        .values(holder=holder, expires_at=expires_at)).rowcount
    if renewed:
        return True
    connection = session.connection()
    row = {"name": name, "holder": holder, "expires_at": expires_at}
    return connection.execute(_insert(connection.dialect.name), row).first() is not None


def release(db: Database, name: str, holder: str) -> None:
    """Give the lease up (on shutdown), so another process need not wait for it to expire."""
    db.write(lambda session: session.execute(
        update(Lease).where(Lease.name == name, Lease.holder == holder)
        .values(expires_at=datetime(1970, 1, 1, tzinfo=timezone.utc))))


def holder_of(session: Session, name: str, now: datetime) -> str | None:
    lease = session.get(Lease, name)
    return lease.holder if lease is not None and lease.expires_at >= now else None
