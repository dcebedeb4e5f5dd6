"""Jira webhook bodies that wait for their issue (table `jira_waiting`), and the issue ids that
let them go.

Some Jira versions send `comment_created` without `issue`: only `comment.self` names the issue, by
its numeric id. Slawatch files such a comment under the stored ticket with that id. So that the
id is known as soon as the issue's `jira:issue_created` is acknowledged, `learn_issue_ids` writes
it when the events are stored (not only when the worker recomputes the ticket); a body for an id
no ticket has yet is kept here (`keep`) and goes in once the issue is known (connectors/jira_waiting.py).
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from processors.events import TicketEvent
from store.models import JiraWaiting, Ticket


def learn_issue_ids(session: Session, events: Sequence[TicketEvent]) -> None:
    """Give the stored tickets of `events` the Jira issue id their facts carry, when they have none."""
    ids = {e.ticket: str(e.facts["issue_id"]) for e in events if (e.facts or {}).get("issue_id")}
    for key, issue_id in sorted(ids.items()):
        session.execute(update(Ticket).where(Ticket.key == key, Ticket.issue_id.is_(None))
                        .values(issue_id=issue_id))


def keep(session: Session, delivery_id: str, issue_id: str, body: str, now: datetime) -> None:
    """Keep a body for an issue id not known yet; a repeated delivery is kept once."""
    dml = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(dml(JiraWaiting).values(delivery_id=delivery_id, issue_id=issue_id, body=body,
                                            received_at=now).on_conflict_do_nothing())


def known(session: Session, limit: int = 100) -> list[tuple[str, str, str, str]]:
    """(delivery id, issue id, ticket key, body) of waiting bodies whose issue is now a stored ticket."""
    query = (select(JiraWaiting.delivery_id, JiraWaiting.issue_id, Ticket.key, JiraWaiting.body)
             .join(Ticket, Ticket.issue_id == JiraWaiting.issue_id)
             .where(Ticket.deleted.is_(False))
             .order_by(JiraWaiting.received_at, JiraWaiting.delivery_id).limit(limit))
    return [tuple(row) for row in session.execute(query)]


def forget(session: Session, delivery_ids: Iterable[str]) -> None:
    ids = list(delivery_ids)
    if ids:
        session.execute(delete(JiraWaiting).where(JiraWaiting.delivery_id.in_(ids)))

