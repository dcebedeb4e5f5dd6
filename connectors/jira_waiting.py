"""Jira webhook bodies that name their issue by id only, for an id no stored ticket has yet: kept
(answer 202) until the issue is known, then parsed under its key and stored like a new delivery
(store/waiting.py holds the table). `release` runs after every Jira webhook that stored events
(web/webhooks.py) and after every reconcile (connectors/jira_reconcile.py)."""
from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from connectors.errors import MalformedPayload
from connectors.jira import parse_webhook
from store.db import Database
from store.ingest import store_delivery
from store.waiting import forget, keep, known

log = logging.getLogger(__name__)
SOURCE = "jira"


def park(database: Database, delivery_id: str, issue_id: str, payload: dict[str, Any], now: datetime) -> None:
    """Keep `payload` until a ticket with Jira issue id `issue_id` is stored."""
    body = json.dumps(payload, ensure_ascii=False)
    database.write(lambda session: keep(session, delivery_id, issue_id, body, now))


def release(database: Database, now: datetime) -> int:
    """Store the events of the waiting bodies whose issue is known now; returns how many went in.
    A database error is logged, not raised: the bodies keep waiting for the next chance."""
    try:
        return _release(database, now)
    except SQLAlchemyError as exc:
        log.warning("waiting Jira deliveries not let in this time: %s", type(exc).__name__)
        return 0


def _release(database: Database, now: datetime) -> int:
    with database.reading() as session:
        ready = known(session)
    for delivery_id, issue_id, key, body in ready:
        payload = json.loads(body)
        try:
            events = parse_webhook({**payload, "issue": {"id": issue_id, "key": key, "fields": {}}})
        except MalformedPayload as exc:
            log.warning("a waiting Jira delivery for issue %s cannot be read: %s; dropped", issue_id, exc.reason)
            events = []
        if events:
            store_delivery(database, SOURCE, delivery_id, events, now)
    database.write(lambda session: forget(session, [row[0] for row in ready]))
    return len(ready)
