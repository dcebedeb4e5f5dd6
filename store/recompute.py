"""Recomputing the clock cache from the event log: one ticket, or every ticket left stale by a
rules change. The clocks are always `processors.sla.evaluate(whole event log, rules, now)`, under
the rules that judge the ticket: `rules` is a plain `Rules` (every ticket) or a `RuleSchedule`
(effective-dated rules: the version its creation instant maps to, processors/rule_schedule.py).
Each clock row records the version that judged it; a stopped clock keeps it (store/verdicts.py).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from processors.events import EventKind
from processors.rule_schedule import RuleSchedule, as_schedule
from processors.rules import Rules
from processors.sla import TicketState
from store.db import Database
from store.marks import fail_alone
from store.queries import stale_ticket_keys
from store.repo import (
    delete_ticket_clocks, get_service_state, load_event_logs, load_events, lock_ticket, lock_tickets,
    mark_ticket_deleted,
    save_ticket_state, save_ticket_states, set_service_state,
)
from store.verdicts import judge_ticket, settled_versions_of

log = logging.getLogger(__name__)

CHECKED_KEY = "recompute.checked_schedule"
RECHECK = timedelta(hours=1)


def recompute_ticket(session: Session, key: str, rules: Rules | RuleSchedule, now: datetime,
                     keep: bool = True) -> TicketState | None:
    """Re-evaluate one ticket from its whole event log and store the result. Stopped clocks stay
    judged by the version stored with them (`keep=False`: re-judged, a deliberate repair).

    The caller holds the ticket's lock (`lock_ticket`). A ticket whose log has a `deleted` event
    is marked deleted and loses its clocks; one with no `created` event yet has no clocks.
    """
    events = load_events(session, key)
    judged = judge_ticket(session, key, events, rules, now, keep=keep) if events else None
    state = judged.state if judged is not None else None
    if state is not None:  # a deleted state keeps no clocks; a stopped clock its version (store/verdicts.py)
        save_ticket_state(session, state, judged.version, now, judged.clock_versions)
    elif any(event.kind is EventKind.DELETED and event.at <= now for event in events):
        mark_ticket_deleted(session, key, now)
    else:
        delete_ticket_clocks(session, key)
    return state


def recompute_tickets(session: Session, keys: Sequence[str], rules: Rules | RuleSchedule,
                      now: datetime) -> dict[str, TicketState | None]:
    """`recompute_ticket` for a batch (the caller holds their locks: `lock_tickets`): one query
    for every event log, one statement per table to store the results; the same outcome."""
    schedule, logs = as_schedule(rules), load_event_logs(session, keys)
    settled = settled_versions_of(session, keys)  # stopped clocks keep their verdict (store/verdicts.py)
    states: dict[str, TicketState | None] = {}
    saved: list[tuple[TicketState, str, dict]] = []
    deleted: list[str] = []
    for key in keys:
        events = logs.get(key, [])
        judged = judge_ticket(session, key, events, schedule, now, settled=settled.get(key, {})) if events else None
        state = states[key] = judged.state if judged is not None else None
        if state is not None:
            saved.append((state, judged.version, judged.clock_versions))
        elif any(event.kind is EventKind.DELETED and event.at <= now for event in events):
            deleted.append(key)
    save_ticket_states(session, keys, saved, now)
    for key in deleted:
        mark_ticket_deleted(session, key, now)
    return states


def recompute_stale_clocks(db: Database, rules: Rules | RuleSchedule, now: datetime, batch: int = 200) -> int:
    """Recompute every ticket with an open clock from another rules version than the one that
    judges it now; returns how many.

    Works in batches of `batch` tickets, one transaction each, so a big recompute neither holds
    the write lock for long nor loses its work when interrupted. Safe to run from any process.
    A ticket fails alone: one whose recompute raises is rolled back and marked for the worker's
    retries (store/pending.py: backoff, then quarantine) while the others go on; a ticket marked
    there is left to that path.
    """
    schedule = as_schedule(rules)
    done = 0
    while True:
        count = db.write(lambda session: _recompute_batch(session, schedule, now, batch))
        done += count
        if count < batch:
            break
    if done:
        log.info("recomputed %d tickets under rules version %s", done, schedule.current.version[:12]
                 + (f" and {len(schedule.pins)} pinned" if schedule.pins else ""))
    return done


def _recompute_batch(session: Session, schedule: RuleSchedule, now: datetime, batch: int) -> int:
    keys = stale_ticket_keys(session, schedule, batch)
    try:
        with session.begin_nested():
            lock_tickets(session, keys)
            recompute_tickets(session, keys, schedule, now)
    except OperationalError:
        raise  # the database's trouble, not a ticket's: the whole batch is tried again
    except Exception:  # noqa: BLE001 - a ticket of the batch fails: each alone, so it fails alone
        for key in keys:
            _recompute_alone(session, key, schedule, now)
    return len(keys)


def _recompute_alone(session: Session, key: str, schedule: RuleSchedule, now: datetime) -> None:
    """One ticket in a savepoint; one that raises is rolled back and handed to the marked path
    (store/marks.py `fail_alone`): retried there with backoff, then quarantined. Its pending row
    keeps it out of `stale_ticket_keys`, so the batches go on past it."""
    try:
        with session.begin_nested():
            lock_ticket(session, key)
            recompute_ticket(session, key, schedule, now)
    except OperationalError:
        raise
    except Exception as exc:  # noqa: BLE001 - the edge of one ticket's recompute: it fails alone
        fail_alone(session, key, exc, now)


def schedule_mark(schedule: RuleSchedule) -> str:
    """The rules versions of a schedule and the instants of its pins, as one string."""
    pins = ",".join(f"{pin.created_before.isoformat()}={pin.rules.version}" for pin in schedule.pins)
    return f"{schedule.current.version};{pins}"


def recompute_stale_if_changed(db: Database, rules: Rules | RuleSchedule, now: datetime) -> int:
    """The tick's step: `recompute_stale_clocks` only when the schedule differs from the one the
    last complete pass ran under (service state CHECKED_KEY), or that pass is RECHECK old (a
    safety net for rows another process wrote under rules it had not reloaded yet). Otherwise
    one read of one row: the query over the open clocks does not run on every tick."""
    schedule = as_schedule(rules)
    mark = schedule_mark(schedule)
    with db.reading() as session:
        checked = get_service_state(session, CHECKED_KEY)
    if checked is not None and checked.value == mark and now - checked.updated_at < RECHECK:
        return 0
    done = recompute_stale_clocks(db, schedule, now)
    db.write(lambda session: set_service_state(session, CHECKED_KEY, mark, now))
    return done
