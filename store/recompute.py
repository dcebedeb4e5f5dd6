"""Recomputing the clock cache from the event log: one ticket, or every ticket left stale by a
rules change. The clocks are always `processors.sla.evaluate(whole event log, rules, now)`, under
the rules that judge the ticket: `rules` is a plain `Rules` (every ticket) or a `RuleSchedule`
(effective-dated rules: the version its creation instant maps to, processors/rule_schedule.py).
Each clock row records the version that judged it; a stopped clock keeps it (store/verdicts.py).
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from processors.events import EventKind
from processors.rule_schedule import RuleSchedule, as_schedule
from processors.rules import Rules
from processors.sla import TicketState
from store.db import Database
from store.queries import stale_ticket_keys
from store.repo import delete_ticket_clocks, load_events, lock_ticket, mark_ticket_deleted, save_ticket_state
from store.verdicts import judge_ticket

log = logging.getLogger(__name__)


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


def recompute_stale_clocks(db: Database, rules: Rules | RuleSchedule, now: datetime, batch: int = 200) -> int:
    """Recompute every ticket with an open clock from another rules version than the one that
    judges it now; returns how many.

    Works in batches of `batch` tickets, one transaction each, so a big recompute neither holds
    the write lock for long nor loses its work when interrupted. Safe to run from any process.
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
    for key in keys:
        lock_ticket(session, key)
        recompute_ticket(session, key, schedule, now)
    return len(keys)
