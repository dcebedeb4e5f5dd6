"""Storing one webhook delivery: the delivery, its events and the recomputed clocks, in one
transaction. Deliveries repeat (Jira retries); events repeat across deliveries; both are
deduplicated in the database, so any order and any number of repeats give the same state.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy.orm import Session

from processors.events import TicketEvent
from processors.rules import Rules
from store.db import Database
from store.recompute import recompute_ticket
from store.repo import lock_ticket, record_delivery, record_events


@dataclass(frozen=True)
class Ingested:
    duplicate: bool  # the delivery id was seen before: nothing was stored
    new_events: int


def ingest_delivery(db: Database, source: str, delivery_id: str, events: Sequence[TicketEvent],
                    rules: Rules, now: datetime) -> Ingested:
    """Store one delivery's events and recompute the clocks of the tickets they touch."""
    return db.write(lambda session: _ingest(session, source, delivery_id, events, rules, now))


def _ingest(session: Session, source: str, delivery_id: str, events: Sequence[TicketEvent],
            rules: Rules, now: datetime) -> Ingested:
    if not record_delivery(session, source, delivery_id, now, len(events)):
        return Ingested(duplicate=True, new_events=0)
    keys = sorted({event.ticket for event in events})  # lock in key order: no deadlocks
    for key in keys:
        lock_ticket(session, key)
    stored = record_events(session, events, now)
    if not stored:  # every event was known already: the stored clocks stand
        return Ingested(duplicate=False, new_events=0)
    for key in keys:
        recompute_ticket(session, key, rules, now)
    return Ingested(duplicate=False, new_events=stored)
