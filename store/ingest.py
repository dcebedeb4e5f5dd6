"""Storing one delivery of events, idempotently: deliveries repeat (Jira and Slack retry) and
events repeat across deliveries; both are deduplicated in the database, so any order and any
number of repeats give the same state.

Two ways, one transaction each:
- `store_delivery` (the Jira webhook path): store the events and mark their tickets for the
  worker's recompute (store/pending.py), so the request answers without evaluating anything;
- `ingest_delivery` (Slack events, the demo): store and recompute the touched tickets at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy.orm import Session

from processors.events import TicketEvent
from processors.rule_schedule import RuleSchedule
from processors.rules import Rules
from store.db import Database
from store.pending import mark_pending
from store.recompute import recompute_ticket
from store.repo import ensure_tickets, lock_ticket, record_delivery, record_events
from store.waiting import learn_issue_ids


@dataclass(frozen=True)
class Ingested:
    duplicate: bool  # the delivery id was seen before: nothing was stored
    new_events: int


def store_delivery(db: Database, source: str, delivery_id: str, events: Sequence[TicketEvent],
                   now: datetime) -> Ingested:
    """Store one delivery's events; tickets that got new ones wait for the worker's recompute."""
    def work(session: Session) -> Ingested:
        if not record_delivery(session, source, delivery_id, now, len(events)):
            return Ingested(duplicate=True, new_events=0)
        keys = {event.ticket for event in events}
        ensure_tickets(session, keys)
        learn_issue_ids(session, events)  # a comment naming its issue by id only finds it at once
        stored = record_events(session, events, now)
        if stored:
            mark_pending(session, keys, now)
        return Ingested(duplicate=False, new_events=stored)
    return db.write(work)


def ingest_delivery(db: Database, source: str, delivery_id: str, events: Sequence[TicketEvent],
                    rules: Rules | RuleSchedule, now: datetime) -> Ingested:
    """Store one delivery's events and recompute the clocks of the tickets they touch."""
    return db.write(lambda session: _ingest(session, source, delivery_id, events, rules, now))


def _ingest(session: Session, source: str, delivery_id: str, events: Sequence[TicketEvent],
            rules: Rules | RuleSchedule, now: datetime) -> Ingested:
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
