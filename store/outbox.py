"""The outbox: every Slack message Slawatch will send, one row per unique key.

    new = enqueue(session, Outgoing(key, kind, channel, text, blocks), now)   # same transaction
    rows = claim(db, worker_id, now, limit)         # pending & due -> sending (claimed_at = now)
    mark_sent(db, row, now, slack_channel, slack_ts, worker_id)
    mark_retry(db, row, not_before, error, worker_id) / mark_failed(db, row, reason, worker_id)

Life of a row:  pending --claim--> sending --post--> sent
                                          \\-> pending again (not_before later) | failed
A row still in `sending` whose claimer's heartbeat stopped (store/dispatchers.py: DEAD_AFTER,
15 s) belongs to a dispatcher that died (or lost its database) somewhere around the post; so does
one still `sending` after CLAIM_TIMEOUT, whoever claimed it (the last resort, for a claimer
without a heartbeat). Either is claimable again, flagged `stale`, and the dispatcher asks Slack
whether it was posted before posting it again (scheduler/slack_delivery.py).

Other statuses, never claimed: `digested` (an alert folded into a digest message: its key is
taken, it is never posted alone; `thread_key` names the digest, whose ts it receives when the
digest is sent, so replies to it go in the digest's thread) and `expired` (an alert about an
instant too long ago to be worth posting, e.g. history imported by a backfill).

Thread replies: a row with a `thread_key` is claimable only once the row of that key has a
`slack_ts` (it is then posted with that thread_ts), or when that row cannot have one (failed,
expired, or no such row): then it is posted at the top level of its channel.

File uploads: a row with an `attachment` is uploaded (files_upload_v2) with `text` as the
initial comment. Uploads need a channel id: give the row a `thread_key` (the report message it
belongs to) and it is uploaded into that message's thread, in the channel Slack answered.

Keys: alerts `alert:{ticket}:{metric}:{cycle}:{level}` (processors/alerts.py), digests
`digest:{channel}:{hash of the member keys}`, reports `report:{kind}:{period}[:{vendor}]`,
Jira write-back `jira:{ticket}:{metric}:{cycle}:label|comment` (channel `jira`, written by
connectors/jira_writeback.py; `slack_ts` records "label" or "comment:<id>").
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import and_, exists, func, not_, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from store.db import Database
from store.dispatchers import dead_claimer
from store.models import OutboxMessage

OUTBOX = OutboxMessage.__table__
CLAIM_TIMEOUT = timedelta(seconds=120)  # well above the Slack client's timeout (10 s, 1 retry)
QUEUED = ("pending", "sending")
NO_PARENT_TS = ("failed", "expired")  # a parent in these states will never get a ts


@dataclass(frozen=True)
class Outgoing:
    """One message to put in the outbox."""

    key: str
    kind: str  # warning | breach | escalation | resolved_late | acknowledged | digest | report | file
    channel: str
    text: str
    blocks: list[dict] | None = None
    thread_key: str | None = None
    ticket: str | None = None
    metric: str | None = None
    cycle: int | None = None
    level: str | None = None
    attachment: bytes | None = None
    filename: str | None = None
    title: str | None = None
    status: str = "pending"  # or "digested" / "expired" (taken, never sent alone)
    not_before: datetime | None = None


@dataclass(frozen=True)
class Claimed:
    """A row claimed by one dispatcher (status `sending`)."""

    id: int
    key: str
    kind: str
    channel: str
    text: str
    blocks: list[dict] | None
    thread_ts: str | None  # the parent's ts: post as a reply in its thread
    thread_channel: str | None  # the channel id Slack answered for the parent
    attachment: bytes | None
    filename: str | None
    title: str | None
    attempts: int  # including this one
    stale: bool  # found in `sending`, its claimer dead or its claim expired: it may have been posted
    claimed_at: datetime  # this claim
    previous_claim_at: datetime | None  # the expired claim's instant, when stale
    error: str | None  # the previous attempt's error
    created_at: datetime  # when it was queued: no attempt to post it can be older
    ticket: str | None = None  # the Jira issue (alerts; the issue a write-back row writes on)
    previous_claimer: str | None = None  # who held the stale claim


@functools.cache
def _insert(dialect: str):
    dml = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return dml(OUTBOX).on_conflict_do_nothing(index_elements=["key"]).returning(OUTBOX.c.key)


def _row(message: Outgoing, now: datetime) -> dict:
    return {
        "key": message.key, "kind": message.kind, "channel": message.channel, "text": message.text,
        "blocks": json.dumps(message.blocks) if message.blocks is not None else None,
        "thread_key": message.thread_key, "ticket": message.ticket, "metric": message.metric,
        "cycle": message.cycle, "level": message.level, "attachment": message.attachment,
        "filename": message.filename, "title": message.title, "status": message.status,
        "attempts": 0, "not_before": message.not_before or now, "created_at": now,
    }


def enqueue(session: Session, message: Outgoing, now: datetime) -> bool:
    """Add one message unless its key is taken (INSERT ... ON CONFLICT (key) DO NOTHING).
    True if it was new. Run it in the transaction that made the decision to send it."""
    return bool(enqueue_many(session, [message], now))


def enqueue_many(session: Session, messages: Iterable[Outgoing], now: datetime) -> set[str]:
    """`enqueue` for many messages; returns the keys that were new (this transaction won)."""
    rows = [_row(m, now) for m in {m.key: m for m in messages}.values()]
    if not rows:
        return set()
    connection = session.connection()
    statement = _insert(connection.dialect.name)
    return set(connection.scalars(statement, rows))  # one INSERT ... VALUES (...), ... RETURNING


def existing_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """The keys among `keys` the outbox already holds."""
    keys, found = sorted(set(keys)), set()
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        found.update(session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(chunk))))
    return found


# ---- claiming ------------------------------------------------------------------------------

def _claimable(now: datetime):
    parent = aliased(OutboxMessage)
    parent_waiting = exists().where(
        parent.key == OutboxMessage.thread_key, parent.slack_ts.is_(None),
        parent.status.not_in(NO_PARENT_TS))
    abandoned = or_(OutboxMessage.claimed_at < now - CLAIM_TIMEOUT, dead_claimer(now))
    due = or_(and_(OutboxMessage.status == "pending", OutboxMessage.not_before <= now),
              and_(OutboxMessage.status == "sending", abandoned))
    return and_(due, or_(OutboxMessage.thread_key.is_(None), not_(parent_waiting)))


def claim(db: Database, worker_id: str, now: datetime, limit: int = 20) -> list[Claimed]:
    """Take up to `limit` due rows for `worker_id`, oldest first: status sending, claimed_at now.

    PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so concurrent dispatchers take disjoint rows.
    SQLite: the writing transaction (BEGIN IMMEDIATE) excludes every other claimer.
    """
    return db.write(lambda session: _claim(session, worker_id, now, limit))


def _claim(session: Session, worker_id: str, now: datetime, limit: int) -> list[Claimed]:
    query = (select(OutboxMessage).where(_claimable(now)).order_by(OutboxMessage.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=OutboxMessage)
    rows = list(session.scalars(query))
    if not rows:
        return []
    parents = _parents(session, {row.thread_key for row in rows if row.thread_key})
    claimed = []
    for row in rows:
        stale = row.status == "sending"
        previous, previous_claimer = (row.claimed_at, row.claimed_by) if stale else (None, None)
        row.status, row.claimed_by, row.claimed_at = "sending", worker_id, now
        row.attempts += 1
        parent = parents.get(row.thread_key or "")
        claimed.append(Claimed(
            id=row.id, key=row.key, kind=row.kind, channel=row.channel, text=row.text,
            blocks=json.loads(row.blocks) if row.blocks else None,
            thread_ts=parent.slack_ts if parent else None,
            thread_channel=parent.slack_channel if parent else None,
            attachment=row.attachment, filename=row.filename, title=row.title,
            attempts=row.attempts, stale=stale, claimed_at=now, previous_claim_at=previous,
            error=row.error, created_at=row.created_at, ticket=row.ticket,
            previous_claimer=previous_claimer))
    session.flush()
    return claimed


def _parents(session: Session, keys: set[str]) -> dict[str, OutboxMessage]:
    if not keys:
        return {}
    query = select(OutboxMessage).where(OutboxMessage.key.in_(sorted(keys)),
                                        OutboxMessage.slack_ts.is_not(None))
    return {row.key: row for row in session.scalars(query)}


# ---- recording the outcome -----------------------------------------------------------------

def _mine(row: Claimed, worker_id: str):
    return and_(OutboxMessage.id == row.id, OutboxMessage.status == "sending",
                OutboxMessage.claimed_by == worker_id)


def mark_sent(db: Database, row: Claimed, now: datetime, slack_channel: str, slack_ts: str,
              worker_id: str) -> bool:
    """Record the post (and give a digest's members its ts). False if the claim was lost."""
    def work(session: Session) -> bool:
        done = session.execute(update(OutboxMessage).where(_mine(row, worker_id)).values(
            status="sent", sent_at=now, slack_channel=slack_channel, slack_ts=slack_ts,
            error=None)).rowcount
        if done and row.kind == "digest":
            session.execute(update(OutboxMessage).where(
                OutboxMessage.thread_key == row.key, OutboxMessage.status == "digested",
            ).values(slack_channel=slack_channel, slack_ts=slack_ts, sent_at=now))
        return bool(done)
    return db.write(work)


def mark_retry(db: Database, row: Claimed, not_before: datetime, error: str, worker_id: str,
               count_attempt: bool = True) -> bool:
    """Back to pending, not before `not_before`. `count_attempt=False` gives the attempt back
    (the row was claimed but not tried, e.g. its channel is rate limited)."""
    values = {"status": "pending", "not_before": not_before, "error": error[:500],
              "claimed_by": None}
    if not count_attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    return db.write(lambda session: bool(session.execute(
        update(OutboxMessage).where(_mine(row, worker_id)).values(**values)).rowcount))


def mark_failed(db: Database, row: Claimed, reason: str, now: datetime, worker_id: str) -> bool:
    """Give up on the row for good; `reason` is shown on /healthz. A failed digest fails its
    members too (they were not delivered, and their replies must not wait for a ts)."""
    def work(session: Session) -> bool:
        done = session.execute(update(OutboxMessage).where(_mine(row, worker_id)).values(
            status="failed", error=reason[:500], sent_at=None, claimed_at=now)).rowcount
        if done and row.kind == "digest":
            session.execute(update(OutboxMessage).where(
                OutboxMessage.thread_key == row.key, OutboxMessage.status == "digested",
            ).values(status="failed", error=f"in the failed digest: {reason}"[:500], claimed_at=now))
        return bool(done)
    return db.write(work)


def delay_channel(db: Database, channel: str, not_before: datetime) -> int:
    """Slack rate-limited `channel`: hold its other pending rows until `not_before`."""
    return db.write(lambda session: session.execute(
        update(OutboxMessage).where(OutboxMessage.channel == channel,
                                    OutboxMessage.status == "pending",
                                    OutboxMessage.not_before < not_before)
        .values(not_before=not_before)).rowcount)


def known_channel_id(session: Session, channel: str) -> str | None:
    """The channel id Slack answered for an earlier post to `channel`, if any."""
    query = (select(OutboxMessage.slack_channel).where(
        OutboxMessage.channel == channel, OutboxMessage.slack_channel.is_not(None),
        OutboxMessage.status == "sent").limit(1))
    return session.scalar(query)


# ---- health --------------------------------------------------------------------------------

def _of(channel: str | None, other_than: str | None):
    """Rows of `channel` (all if None), except those of `other_than`."""
    return and_(true() if channel is None else OutboxMessage.channel == channel,
                true() if other_than is None else OutboxMessage.channel != other_than)


def status_counts(session: Session, channel: str | None = None, other_than: str | None = None) -> dict[str, int]:
    query = (select(OutboxMessage.status, func.count()).where(_of(channel, other_than))
             .group_by(OutboxMessage.status))
    return {status: count for status, count in session.execute(query)}


def recent_failures(session: Session, limit: int = 5, channel: str | None = None,
                    other_than: str | None = None) -> list[dict]:
    query = (select(OutboxMessage.key, OutboxMessage.channel, OutboxMessage.error,
                    OutboxMessage.claimed_at)
             .where(OutboxMessage.status == "failed", _of(channel, other_than))
             .order_by(OutboxMessage.claimed_at.desc(), OutboxMessage.id.desc()).limit(limit))
    return [{"key": key, "channel": channel, "reason": error, "at": at}
            for key, channel, error, at in session.execute(query)]


__all__ = ["CLAIM_TIMEOUT", "Claimed", "Outgoing", "claim", "delay_channel", "enqueue",
           "enqueue_many", "existing_keys", "known_channel_id", "mark_failed", "mark_retry",
           "mark_sent", "recent_failures", "status_counts"]
