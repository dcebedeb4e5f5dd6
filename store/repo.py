"""Repository functions: the only place that writes the event log and the clock cache.

Every function takes the session in and leaves committing to the caller, so a webhook is stored
in one transaction. Inserts that must be idempotent use `ON CONFLICT DO NOTHING`, which both
SQLite and PostgreSQL understand (through their dialect's `insert`).
"""
from __future__ import annotations

import functools
import json
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from processors.events import Person, TicketEvent, format_instant, moved_from
from processors.sla import Clock, TicketState
from store.models import ClockRow, Delivery, Event, RuleVersion, ServiceState, Ticket
from store.moves import follow_moves

TICKETS, EVENTS, DELIVERIES = Ticket.__table__, Event.__table__, Delivery.__table__
CLOCKS, RULE_VERSIONS, SERVICE_STATE = ClockRow.__table__, RuleVersion.__table__, ServiceState.__table__


# What a recompute compares with a stored clock (`_replace_clocks`): every column but computed_at
# and plan_at, and elapsed_seconds / paused_seconds as `_unchanged` says.
_COMPARED = ("ticket", "metric", "cycle", "state", "target_seconds", "started_at", "stopped_at", "due_at",
             "breached_at", "next_warning_at", "policy", "calendar", "rules_version", "vendor", "warnings",
             "ended_by", "measure", "handoff_at", "handoff_by")


@functools.cache
def _statements(dialect: str) -> SimpleNamespace:
    """The write statements, built once per dialect and run with bound parameters (so
    SQLAlchemy compiles each only once)."""
    dml = postgresql.insert if dialect == "postgresql" else sqlite.insert

    def upsert(table, key: list[str], update: list[str]):
        stmt = dml(table)
        return stmt.on_conflict_do_update(index_elements=key, set_={c: stmt.excluded[c] for c in update})

    facts = [c.name for c in TICKETS.c if c.name != "key"]
    return SimpleNamespace(
        delivery=dml(DELIVERIES).on_conflict_do_nothing(index_elements=["source", "delivery_id"])
        .returning(DELIVERIES.c.id),
        ticket_stub=dml(TICKETS).on_conflict_do_nothing(index_elements=["key"]),
        ticket=upsert(TICKETS, ["key"], facts),
        events=dml(EVENTS).on_conflict_do_nothing(index_elements=["dedup_key"]).returning(EVENTS.c.id),
        rule_version=upsert(RULE_VERSIONS, ["version"], ["loaded_at", "path"]),
        service_state=upsert(SERVICE_STATE, ["key"], ["value", "updated_at"]),
        # FOR NO KEY UPDATE: writers of one ticket take turns, but a webhook storing events
        # (whose foreign key takes FOR KEY SHARE on the ticket) need not wait, nor deadlock
        # with a recompute that holds the ticket's pending mark (store/pending.py)
        lock=select(TICKETS.c.key).where(TICKETS.c.key == bindparam("key")).with_for_update(key_share=True),
        log=select(EVENTS.c.payload).where(EVENTS.c.ticket == bindparam("key"))
        .order_by(EVENTS.c.at, EVENTS.c.id),
        clocks=insert(CLOCKS),
        delete_clocks=delete(CLOCKS).where(CLOCKS.c.ticket == bindparam("key")),
        # the batched forms (store/recompute.py `recompute_tickets`): one statement per batch
        lock_many=select(TICKETS.c.key).where(TICKETS.c.key.in_(bindparam("keys", expanding=True)))
        .order_by(TICKETS.c.key).with_for_update(key_share=True),
        logs=select(EVENTS.c.ticket, EVENTS.c.payload).where(EVENTS.c.ticket.in_(bindparam("keys", expanding=True)))
        .order_by(EVENTS.c.ticket, EVENTS.c.at, EVENTS.c.id),
        delete_many_clocks=delete(CLOCKS).where(CLOCKS.c.ticket.in_(bindparam("keys", expanding=True))),
        stored_clocks=select(CLOCKS.c.id, CLOCKS.c.elapsed_seconds, CLOCKS.c.paused_seconds,
                             *(CLOCKS.c[name] for name in _COMPARED))
        .where(CLOCKS.c.ticket.in_(bindparam("keys", expanding=True))),
        delete_clock_ids=delete(CLOCKS).where(CLOCKS.c.id.in_(bindparam("ids", expanding=True))),
    )


def _sql(session: Session) -> SimpleNamespace:
    return _statements(session.get_bind().dialect.name)


def record_delivery(session: Session, source: str, delivery_id: str, received_at: datetime,
                    event_count: int) -> bool:
    """Remember one webhook delivery; False if (source, delivery_id) was seen before."""
    row = {"source": source, "delivery_id": delivery_id, "received_at": received_at,
           "event_count": event_count}
    return session.connection().execute(_sql(session).delivery, row).first() is not None


def ensure_tickets(session: Session, keys: Iterable[str]) -> None:
    """Insert a bare row for every ticket key not yet known."""
    rows = [{"key": key, "deleted": False} for key in sorted(set(keys))]
    if rows:
        session.connection().execute(_sql(session).ticket_stub, rows)


def lock_ticket(session: Session, key: str) -> None:
    """Make sure the ticket row exists and hold its row lock until the transaction ends.

    PostgreSQL: SELECT ... FOR UPDATE, so concurrent deliveries for one ticket take turns.
    SQLite: the writing transaction (BEGIN IMMEDIATE) already excludes every other writer.
    """
    ensure_tickets(session, [key])
    if session.get_bind().dialect.name != "sqlite":
        session.connection().execute(_sql(session).lock, {"key": key})


def lock_tickets(session: Session, keys: Sequence[str]) -> None:
    """`lock_ticket` for several tickets at once, in key order (no deadlocks)."""
    keys = sorted(set(keys))
    ensure_tickets(session, keys)
    if keys and session.get_bind().dialect.name != "sqlite":
        session.connection().execute(_sql(session).lock_many, {"keys": keys}).all()


def record_events(session: Session, events: Sequence[TicketEvent], received_at: datetime) -> int:
    """Append events to the log, skipping dedup keys already stored; returns how many were new.

    The events' tickets must exist (`lock_ticket` or `ensure_tickets` first). An event that says
    its issue was moved to another project moves the old key's history along (store/moves.py).
    """
    rows = [_event_row(event, received_at) for event in {e.dedup_key: e for e in events}.values()]
    if not rows:
        return 0
    stored = len(session.connection().execute(_sql(session).events, rows).all())
    if any(moved_from(event) for event in events):  # an issue moved to another project
        follow_moves(session, events)
    return stored


def _event_row(event: TicketEvent, received_at: datetime) -> dict[str, Any]:
    return {
        "ticket": event.ticket, "kind": event.kind.value, "at": event.at,
        "dedup_key": event.dedup_key, "source": event.source, "payload": event.dumps(),
        "received_at": received_at,
    }


def load_events(session: Session, key: str) -> list[TicketEvent]:
    """The whole event log of one ticket, in event order."""
    payloads = session.connection().scalars(_sql(session).log, {"key": key})
    events = [TicketEvent.from_json(json.loads(payload)) for payload in payloads]
    return sorted(events, key=TicketEvent.sort_key)


def load_event_logs(session: Session, keys: Sequence[str]) -> dict[str, list[TicketEvent]]:
    """`load_events` of several tickets in one query; a ticket without events is absent."""
    logs: dict[str, list[TicketEvent]] = {}
    if not keys:
        return logs
    for ticket, payload in session.connection().execute(_sql(session).logs, {"keys": list(keys)}):
        logs.setdefault(ticket, []).append(TicketEvent.from_json(json.loads(payload)))
    for events in logs.values():
        events.sort(key=TicketEvent.sort_key)
    return logs


def save_ticket_states(session: Session, keys: Sequence[str],
                       states: Sequence[tuple[TicketState, str, Mapping[tuple[str, int], str]]], now: datetime) -> None:
    """`save_ticket_state` for a batch: the tickets of `states` (state, rules version, per-clock
    versions) upserted in one statement, and the clocks of every ticket of `keys` made theirs
    (`_replace_clocks`; a ticket of `keys` without a state keeps none)."""
    if states:
        session.connection().execute(_sql(session).ticket,
                                     [{"key": state.key, **_ticket_values(state, now)} for state, _, _ in states])
    rows = [_clock_values(state.key, clock, versions.get((clock.metric, clock.cycle), version), now)
            for state, version, versions in states if not state.deleted for clock in state.clocks]
    _replace_clocks(session, keys, rows)


def save_ticket_state(session: Session, state: TicketState, rules_version: str, now: datetime,
                      clock_versions: Mapping[tuple[str, int], str] | None = None) -> None:
    """Upsert the ticket's facts and replace its clocks (a deleted ticket keeps none); each clock
    is recorded as judged by `rules_version`, or by its entry in `clock_versions`."""
    save_ticket_states(session, [state.key], [(state, rules_version, clock_versions or {})], now)


def _unchanged(row: Mapping[str, Any], stored: Any) -> bool:
    """True if the new `row` of a clock says nothing the `stored` one does not, but for time
    passing: a running clock's elapsed time grows (its paused time, due and breach instants stay),
    a paused clock's paused time grows (its elapsed time stays), a stopped clock changes not at
    all. A late event that moves a pause or a stop changes one of those, or a compared column."""
    if any(row[name] != getattr(stored, name) for name in _COMPARED):
        return False
    if row["state"] == "running":
        return row["paused_seconds"] == stored.paused_seconds and row["elapsed_seconds"] >= stored.elapsed_seconds
    if row["state"] == "paused":
        return row["elapsed_seconds"] == stored.elapsed_seconds and row["paused_seconds"] >= stored.paused_seconds
    return row["elapsed_seconds"] == stored.elapsed_seconds and row["paused_seconds"] == stored.paused_seconds


def _replace_clocks(session: Session, keys: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    """Make `rows` the stored clocks of the tickets `keys`. A stored clock that differs from its
    new row only in what time passing changes (`_unchanged`) is left as it is: its elapsed time
    is as of its computed_at, which readers complete to `now` (store/history.py) as they do for
    any clock not recomputed since, and its plan_at, the planner's next look, stays right. So a
    recompute writes, and the planner looks again at (plan_at = now), only the clocks that
    changed: a drain rewrites a fraction of the rows and index pages it used to."""
    if not keys:
        return
    connection, sql = session.connection(), _sql(session)
    wanted = {(row["ticket"], row["metric"], row["cycle"]): row for row in rows}
    stale, kept = [], set()
    for stored in connection.execute(sql.stored_clocks, {"keys": list(keys)}):
        key = (stored.ticket, stored.metric, stored.cycle)
        row = wanted.get(key)
        if row is not None and _unchanged(row, stored):
            kept.add(key)
        else:
            stale.append(stored.id)
    if stale:
        connection.execute(sql.delete_clock_ids, {"ids": stale})
    fresh = [row for key, row in wanted.items() if key not in kept]
    if fresh:
        connection.execute(sql.clocks, fresh)


def _ticket_values(state: TicketState, now: datetime) -> dict[str, Any]:
    facts = state.facts
    return {
        "issue_id": _text(facts.get("issue_id")), "project": _text(facts.get("project")),
        "summary": _text(facts.get("summary")), "status": state.status,
        "priority": _text(facts.get("priority")), "issuetype": _text(facts.get("issuetype")),
        "reporter": _label(facts.get("reporter")), "assignee": _label(facts.get("assignee")),
        "vendor": state.vendor, "policy": state.policy, "deleted": state.deleted,
        "created_at": state.created_at, "updated_at": now,
    }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _label(value: Any) -> str | None:
    if isinstance(value, Person):
        return value.label()
    return _text(value)


def _clock_values(key: str, clock: Clock, rules_version: str, now: datetime) -> dict[str, Any]:
    return {
        "ticket": key, "metric": clock.metric, "cycle": clock.cycle, "state": clock.state,
        "target_seconds": int(clock.target.total_seconds()),
        "elapsed_seconds": int(clock.elapsed.total_seconds()),
        "paused_seconds": int(clock.paused_for.total_seconds()),
        "started_at": clock.started_at, "stopped_at": clock.stopped_at, "due_at": clock.due_at,
        "breached_at": clock.breached_at, "next_warning_at": clock.next_warning_at,
        "policy": clock.policy, "calendar": clock.calendar, "rules_version": rules_version,
        "computed_at": now, "plan_at": now, "vendor": clock.vendor,
        "warnings": json.dumps([[w.fraction, format_instant(w.at)] for w in clock.warnings]),
        "ended_by": clock.ended_by, "measure": clock.measure, "handoff_at": clock.handoff_at,
        "handoff_by": clock.handoff_by,
    }


def delete_ticket_clocks(session: Session, key: str) -> None:
    session.connection().execute(_sql(session).delete_clocks, {"key": key})


def mark_ticket_deleted(session: Session, key: str, now: datetime) -> None:
    """A deleted ticket keeps its row and its events, and loses its clocks."""
    session.connection().execute(update(TICKETS).where(TICKETS.c.key == key).values(deleted=True, updated_at=now))
    delete_ticket_clocks(session, key)


def record_rule_version(session: Session, version: str, text: str, path: str, loaded_at: datetime) -> None:
    """Store a rules file content (once per version); `loaded_at` is its latest time in force."""
    row = {"version": version, "text": text, "path": path, "loaded_at": loaded_at, "first_seen_at": loaded_at}
    session.connection().execute(_sql(session).rule_version, row)


def set_service_state(session: Session, key: str, value: str | None, now: datetime) -> None:
    session.connection().execute(_sql(session).service_state, {"key": key, "value": value, "updated_at": now})


def get_service_state(session: Session, key: str) -> ServiceState | None:
    return session.get(ServiceState, key)
