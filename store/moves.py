"""Issues moved to another project. Jira gives a moved issue a new key (OPS-5 becomes NET-12) and
reports the move with a changelog item `Key` from the old key to the new one. Events are stored
under the key their delivery names, so without this the history would stay under OPS-5 and NET-12
would have no `created` event, hence no clocks.

When an event recording a move is stored, everything stored under the old key follows the issue
to the new one in the same transaction: its events, acknowledgements, excuses and their audit,
surveys, and outbox rows, whose keys are rewritten (`alert:OPS-5:…` → `alert:NET-12:…`) so that
a breach already alerted is not alerted again and a late resolution still replies in its thread.
The old key keeps no ticket row and no clocks; the new key is recomputed like any ticket that got
events. Dedup keys carry Jira's issue id, not the key, so deliveries repeated after the move are
recognised. Limits: a Slack button pressed on a message posted before the move names the old
key and finds nothing; an event delivered under the old key after the move was stored is kept
under the old key (Jira sends later events with the new key).
"""
from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Iterable

from sqlalchemy import Connection, Table, and_, bindparam, delete, exists, func, select, update
from sqlalchemy.orm import Session

from processors.events import TicketEvent, moved_from
from store.models import (
    Acknowledgement, ClockRow, Event, ExcuseAudit, ExcusedBreach, OutboxMessage, PendingRecompute, Survey, Ticket,
)

log = logging.getLogger(__name__)


def follow_moves(session: Session, events: Iterable[TicketEvent]) -> list[str]:
    """Move the stored history of every issue these events say was moved; returns the new keys."""
    moved = []
    for event in sorted(events, key=TicketEvent.sort_key):
        old = moved_from(event)
        if old is not None and move_ticket(session, old, event.ticket):
            moved.append(event.ticket)
    return moved


def move_ticket(session: Session, old: str, new: str) -> bool:
    """Everything stored under `old` now belongs to `new` (whose ticket row exists: its events were
    just recorded); False if nothing was stored under `old`."""
    connection = session.connection()
    tickets = Ticket.__table__
    if connection.execute(select(tickets.c.key).where(tickets.c.key == old)).first() is None:
        return False
    rename = (f":{old}:", f":{new}:")
    _move_events(connection, old, new)
    connection.execute(update(ExcuseAudit.__table__).where(ExcuseAudit.__table__.c.ticket == old)
                       .values(ticket=new, alert_key=func.replace(ExcuseAudit.__table__.c.alert_key, *rename)))
    for table in (Acknowledgement.__table__, ExcusedBreach.__table__):
        _move_keyed(connection, table, "alert_key", old, new, rename)
    _move_keyed(connection, OutboxMessage.__table__, "key", old, new, rename,
                thread_key=func.replace(OutboxMessage.__table__.c.thread_key, *rename))
    surveys = Survey.__table__
    other = surveys.alias()
    connection.execute(update(surveys).where(surveys.c.ticket == old, ~exists().where(
        and_(other.c.ticket == new, other.c.cycle == surveys.c.cycle))).values(ticket=new))
    for table in (ClockRow.__table__, PendingRecompute.__table__):
        connection.execute(delete(table).where(table.c.ticket == old))
    connection.execute(delete(tickets).where(tickets.c.key == old))  # its events and clocks are gone
    log.info("%s was moved to %s: its history follows it", old, new)
    return True


def _move_events(connection: Connection, old: str, new: str) -> None:
    """The events of `old` go to `new`, their payloads too (a payload names its ticket)."""
    events = Event.__table__
    rows = connection.execute(select(events.c.id, events.c.payload).where(events.c.ticket == old)).all()
    if rows:
        moved = [{"row_id": row_id,
                  "payload": replace(TicketEvent.from_json(json.loads(payload)), ticket=new).dumps()}
                 for row_id, payload in rows]
        connection.execute(update(events).where(events.c.id == bindparam("row_id"))
                           .values(ticket=new, payload=bindparam("payload")), moved)


def _move_keyed(connection: Connection, table: Table, key: str, old: str, new: str,
                rename: tuple[str, str], **values) -> None:
    """Rows of `old` get `new` and their unique `key` column renamed, unless that key is taken."""
    renamed, other = func.replace(table.c[key], *rename), table.alias()
    connection.execute(update(table).where(table.c.ticket == old, ~exists().where(other.c[key] == renamed))
                       .values(ticket=new, **{key: renamed}, **values))
