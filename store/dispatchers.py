"""Dispatcher liveness: each running dispatcher (one per process) beats a row in `dispatchers`.

    beat(db, "host:pid:uuid", now)    # every HEARTBEAT_SECONDS, from its own thread
    retire(db, "host:pid:uuid")       # on a clean stop: whatever it left is taken over at once

An outbox row in `sending` whose claimer's heartbeat is older than DEAD_AFTER belongs to a
dead dispatcher (killed, or cut off from the database): it is claimable again at once, as
stale, so the usual look-up in Slack decides whether it was posted (store/outbox.py `_claimable`).
A claimer without a row (a release before this one, a dispatcher that was never started with a
heartbeat) is judged by the claim timeout alone, the last resort.

Why a live dispatcher is never taken for dead in the middle of a post: it starts a post only
while its last successful beat is at most FRESH_SECONDS old (`Heartbeat.fresh`,
scheduler/heartbeat.py), and a post takes at most the client's timeout (POST_SECONDS), so the
post has ended before DEAD_AFTER = FRESH_SECONDS + POST_SECONDS + a margin has passed since that
beat. What remains is the frozen process (SIGSTOP, a paused VM) between that check and the post,
and clocks of two hosts further apart than the margin (docs/alerts.md).
"""
from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.db import Database
from store.models import DispatcherBeat, OutboxMessage

DISPATCHERS = DispatcherBeat.__table__
HEARTBEAT_SECONDS = 2.0  # how often a running dispatcher beats
FRESH_SECONDS = 4.0  # a dispatcher posts only while its last good beat is this recent
POST_SECONDS = 10.0  # the Slack and Jira clients' request timeout (connectors/)
DEAD_AFTER = timedelta(seconds=15)  # FRESH_SECONDS + POST_SECONDS + 1 s of margin
FORGET_AFTER = timedelta(days=1)  # rows of dispatchers gone that long, holding no claim, go
RETIRED = datetime(1970, 1, 1, tzinfo=timezone.utc)


@functools.cache
def _upsert(dialect: str):
    dml = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = dml(DISPATCHERS)
    return statement.on_conflict_do_update(index_elements=["id"],
                                           set_={"heartbeat_at": statement.excluded.heartbeat_at})


def beat(db: Database, dispatcher_id: str, now: datetime) -> None:
    """Record that `dispatcher_id` is alive at `now`; forget long-gone dispatchers."""
    db.write(lambda session: beat_in(session, dispatcher_id, now))


def beat_in(session: Session, dispatcher_id: str, now: datetime) -> None:
    connection = session.connection()
    connection.execute(_upsert(connection.dialect.name), {"id": dispatcher_id, "heartbeat_at": now})
    holding = exists().where(OutboxMessage.status == "sending", OutboxMessage.claimed_by == DISPATCHERS.c.id)
    session.execute(delete(DISPATCHERS).where(DISPATCHERS.c.heartbeat_at < now - FORGET_AFTER, ~holding))


def retire(db: Database, dispatcher_id: str) -> None:
    """A clean stop: no post of this dispatcher is in flight any more, so any row it still holds
    may be taken over at once."""
    db.write(lambda session: session.execute(
        update(DispatcherBeat).where(DispatcherBeat.id == dispatcher_id).values(heartbeat_at=RETIRED)))


def dead_claimer(now: datetime):
    """SQL condition on OutboxMessage: its claimer's heartbeat stopped before now - DEAD_AFTER."""
    return exists().where(and_(DISPATCHERS.c.id == OutboxMessage.claimed_by,
                               DISPATCHERS.c.heartbeat_at < now - DEAD_AFTER))


def liveness(session: Session, now: datetime) -> dict[str, int]:
    """For /healthz: dispatchers beating now (heartbeat within DEAD_AFTER), and rows left
    `sending` by dead ones (taken over at the next dispatch)."""
    alive = session.scalar(select(func.count()).select_from(DISPATCHERS)
                           .where(DISPATCHERS.c.heartbeat_at >= now - DEAD_AFTER))
    orphaned = session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.status == "sending", dead_claimer(now)))
    return {"alive": alive or 0, "rows_of_dead_dispatchers": orphaned or 0}


def heartbeat_of(session: Session, dispatcher_id: str) -> datetime | None:
    return session.scalar(select(DISPATCHERS.c.heartbeat_at).where(DISPATCHERS.c.id == dispatcher_id))


__all__ = ["DEAD_AFTER", "FRESH_SECONDS", "HEARTBEAT_SECONDS", "POST_SECONDS", "beat", "beat_in",
           "dead_claimer", "heartbeat_of", "liveness", "retire"]
