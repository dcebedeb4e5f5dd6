"""What Slack tells us, stored: Events API dedup, the Slack user cache, acknowledgements and
excuses of breaches (with their append-only audit trail).

    seen = event_seen(session, event_id); mark_event(session, event_id, now)
    user = cached_user(session, user_id); remember_user(session, user_id, now)
    new = acknowledge(session, breach, by, now)          # idempotent: the first one counts
    audit_id = excuse(session, breach, by, reason, now)   # excused now + an audit row
    done = unexcuse(session, breach, by, now)             # no longer excused + an audit row
    audit_id = audit(session, breach, action, by, now, reason)   # any other step (disputes)
    trail = excuse_trail(session, ticket)                 # -> [ExcuseEntry], oldest first

A breach is named by the key of its alert, `alert:{ticket}:{metric}:{cycle}:breach`
(processors/alerts.py); `parse_breach_key` reads it.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from processors.slack_replies import ExcuseEntry
from store.models import (
    Acknowledgement, Base, ClockRow, ExcuseAudit, ExcusedBreach, OutboxMessage, SlackEvent, SlackUser,
    Ticket,
)


@dataclass(frozen=True)
class Breach:
    key: str
    ticket: str
    metric: str
    cycle: int


def parse_breach_key(key: str | None) -> Breach | None:
    """`alert:{ticket}:{metric}:{cycle}:breach` -> Breach; None for anything else."""
    parts = (key or "").split(":")
    if len(parts) != 5 or parts[0] != "alert" or parts[4] != "breach" or not parts[3].isdigit():
        return None
    return Breach(key, parts[1], parts[2], int(parts[3]))


def breach_key(ticket: str, metric: str, cycle: int) -> str:
    return f"alert:{ticket}:{metric}:{cycle}:breach"


@functools.cache
def _insert(dialect: str, table_name: str, key: str):
    dml = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Base.metadata.tables[table_name]
    return dml(table).on_conflict_do_nothing(index_elements=[key]).returning(table.c[key])


def _insert_new(session: Session, table: str, key: str, row: dict) -> bool:
    statement = _insert(session.get_bind().dialect.name, table, key)
    return session.connection().execute(statement, row).first() is not None


# ---- Events API dedup and the user cache -----------------------------------------------------

def event_seen(session: Session, event_id: str) -> bool:
    return session.get(SlackEvent, event_id) is not None


def mark_event(session: Session, event_id: str, now: datetime) -> bool:
    """Remember an event_id; False if it was known."""
    return _insert_new(session, "slack_events", "event_id", {"event_id": event_id, "received_at": now})


def cached_user(session: Session, user_id: str) -> SlackUser | None:
    """The user if users.info was asked about them (looked_up_at set)."""
    user = session.get(SlackUser, user_id)
    return user if user is not None and user.looked_up_at is not None else None


def remember_user(session: Session, user_id: str, now: datetime) -> None:
    """Note a user id to look up later (outside the request)."""
    _insert_new(session, "slack_users", "user_id", {"user_id": user_id, "seen_at": now,
                                                    "is_bot": False})


def users_to_look_up(session: Session, limit: int = 20) -> list[str]:
    query = (select(SlackUser.user_id).where(SlackUser.looked_up_at.is_(None))
             .order_by(SlackUser.seen_at).limit(limit))
    return list(session.scalars(query))


def save_user(session: Session, user_id: str, email: str | None, display_name: str | None,
              is_bot: bool, now: datetime, locale: str | None = None) -> None:
    """What users.info said; `locale` is Slack's own ("zh-CN"), mapped when read."""
    remember_user(session, user_id, now)
    user = session.get(SlackUser, user_id)
    user.email, user.display_name, user.is_bot, user.looked_up_at = email, display_name, is_bot, now
    user.locale = locale


# ---- acknowledgements and excuses ------------------------------------------------------------

def breach_clock(session: Session, breach: Breach) -> tuple[ClockRow, Ticket] | None:
    query = (select(ClockRow, Ticket).join(Ticket, Ticket.key == ClockRow.ticket)
             .where(ClockRow.ticket == breach.ticket, ClockRow.metric == breach.metric,
                    ClockRow.cycle == breach.cycle))
    row = session.execute(query).first()
    return (row[0], row[1]) if row is not None else None


def breach_message(session: Session, breach: Breach) -> OutboxMessage | None:
    """The outbox row of the breach alert (its channel, and slack_ts once sent)."""
    return session.scalar(select(OutboxMessage).where(OutboxMessage.key == breach.key))


def is_excused(session: Session, breach: Breach) -> bool:
    return session.get(ExcusedBreach, breach.key) is not None


def acknowledgement(session: Session, breach: Breach) -> Acknowledgement | None:
    return session.get(Acknowledgement, breach.key)


def acknowledge(session: Session, breach: Breach, by: str, now: datetime, kind: str = "ack",
                reason: str | None = None) -> bool:
    """Record who acknowledged the breach and when; False if it was acknowledged before."""
    row = {"alert_key": breach.key, "ticket": breach.ticket, "metric": breach.metric,
           "cycle": breach.cycle, "by": by, "at": now, "kind": kind, "reason": reason}
    return _insert_new(session, "acknowledgements", "alert_key", row)


def audit(session: Session, breach: Breach, action: str, by: str, now: datetime,
           reason: str | None) -> int:
    entry = ExcuseAudit(alert_key=breach.key, ticket=breach.ticket, metric=breach.metric,
                        cycle=breach.cycle, action=action, by=by, at=now, reason=reason)
    session.add(entry)
    session.flush()
    return entry.id


def excuse(session: Session, breach: Breach, by: str, reason: str, now: datetime) -> int:
    """Excuse the breach (again: the newest reason stands); it also counts as acknowledged.
    Returns the audit row's id."""
    current = session.get(ExcusedBreach, breach.key)
    if current is None:
        session.add(ExcusedBreach(alert_key=breach.key, ticket=breach.ticket, metric=breach.metric,
                                  cycle=breach.cycle, by=by, at=now, reason=reason))
    else:
        current.by, current.at, current.reason = by, now, reason
    acknowledge(session, breach, by, now, kind="excuse", reason=reason)
    return audit(session, breach, "excuse", by, now, reason)


def unexcuse(session: Session, breach: Breach, by: str, now: datetime) -> int | None:
    """Withdraw the excuse; None if the breach was not excused. Returns the audit row's id."""
    gone = session.execute(delete(ExcusedBreach).where(ExcusedBreach.alert_key == breach.key)).rowcount
    if not gone:
        return None
    return audit(session, breach, "unexcuse", by, now, None)


def excuse_trail(session: Session, ticket: str) -> list[ExcuseEntry]:
    query = select(ExcuseAudit).where(ExcuseAudit.ticket == ticket).order_by(ExcuseAudit.at, ExcuseAudit.id)
    return [ExcuseEntry(e.metric, e.cycle, e.action, e.by, e.at, e.reason) for e in session.scalars(query)]

