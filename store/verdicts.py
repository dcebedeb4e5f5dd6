"""Stopped clocks keep their verdict: every path that evaluates a ticket goes through here.

    judgement = judge_ticket(session, key, events, schedule, now)   # processors.rule_schedule.Judgement
    settled = settled_versions(session, key)                        # {(metric, cycle): version}

The clock cache records, for every clock, the rules version that judged it. A clock stored
stopped under version V is judged by V from then on (processors.rule_schedule.judge_keeping),
whatever rules are in force later: the worker's recompute, `GET /api/tickets/KEY`, `/sla`, the
dashboard and the reports (which read the cache) therefore agree on it. V's rules are parsed from
table rule_versions once per process (a version is the hash of its text, so the parse never goes
stale). `slawatch repair` is the only way to re-judge a stopped clock under the rules in force.
"""
from __future__ import annotations

import functools
import logging
from datetime import datetime
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from processors.events import TicketEvent
from processors.rule_schedule import ClockId, Judgement, RuleSchedule, as_schedule, judge_keeping
from processors.rules import Rules, RulesError, parse_rules
from store.models import ClockRow
from store.rule_pins import load_texts

log = logging.getLogger(__name__)


def settled_versions(session: Session, key: str) -> dict[ClockId, str]:
    """The version each stored stopped clock of ticket `key` was judged by."""
    return settled_versions_of(session, [key]).get(key, {})


def settled_versions_of(session: Session, keys: Sequence[str]) -> dict[str, dict[ClockId, str]]:
    """`settled_versions` of several tickets in one query (the recompute's batches). The state is
    compared here, not in SQL: given `state = 'stopped'`, SQLite without statistics reads the
    state index (every stopped clock, 140 ms a batch at 200,000 tickets) instead of the ticket's."""
    c, out = ClockRow, {}
    if keys:
        rows = session.execute(select(c.ticket, c.metric, c.cycle, c.rules_version, c.state)
                               .where(c.ticket.in_(list(keys))))
        for ticket, metric, cycle, version, state in rows:
            if state == "stopped":
                out.setdefault(ticket, {})[(metric, cycle)] = version
    return out


def judge_ticket(session: Session, key: str, events: Sequence[TicketEvent], rules: Rules | RuleSchedule,
                 now: datetime, keep: bool = True, settled: dict[ClockId, str] | None = None) -> Judgement:
    """The ticket judged now, its stopped clocks by the versions stored with them (`keep=False`:
    every clock by the rules in force, what a repair does; `settled`: those versions, already
    read)."""
    schedule = as_schedule(rules)
    if not keep:
        settled = {}
    elif settled is None:
        settled = settled_versions(session, key)
    known = {r.version: r for r in (schedule.current, *(pin.rules for pin in schedule.pins))}

    def rules_of(version: str) -> Rules | None:
        if version in known:
            return known[version]
        texts = load_texts(session, {version})
        return _parsed(version, *texts[version]) if version in texts else None

    return judge_keeping(events, schedule, now, settled, rules_of)


@functools.lru_cache(maxsize=16)
def _parsed(version: str, text: str, path: str) -> Rules | None:
    try:
        return parse_rules(text, path)
    except RulesError as exc:
        log.error("rules version %s no longer parses; its stopped clocks are judged by the rules in "
                  "force:\n%s", version[:12], exc)
        return None
