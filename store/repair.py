"""`slawatch repair`: a frozen period re-judged on purpose, under the rules in force.

    result = repair(db, schedule, rules, period, vendor, reason, by, now)

Every ticket with a clock that may count in the period (of `vendor`, if given) is recomputed
with its stopped clocks re-judged by the rules in force (store/verdicts.py keeps them otherwise);
the period's frozen clocks and figures become the ones counted now; the figures before and
after, who and why are stored in period_repairs; the open late changes are marked as taken in by
this repair; and a correction is put in the outbox, in the thread of the period's report.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from processors.freeze import correction_text, figures
from processors.periods import Period
from processors.rule_schedule import RuleSchedule
from processors.rules import Rules
from store import outbox
from store.db import Database
from store.freeze import counted_now, frozen_clocks, frozen_period, replace_clocks
from store.history import report_key
from store.models import ClockRow, FrozenClock, LateChange, PeriodRepair
from store.recompute import recompute_ticket
from store.repo import lock_ticket

BATCH = 200
KINDS = {"week": "weekly", "quarter": "quarterly"}


class RepairError(ValueError):
    pass


@dataclass(frozen=True)
class RepairResult:
    id: int
    tickets: int
    before: list[dict[str, Any]]
    after: list[dict[str, Any]]
    text: str
    channel: str | None  # where the correction goes (None: no report channel in the rules)


def _tickets(session: Session, period: Period, vendor: str | None) -> list[str]:
    c = ClockRow
    query = select(c.ticket).where(c.started_at < period.end, or_(c.stopped_at.is_(None), c.stopped_at >= period.start))
    frozen = select(FrozenClock.ticket).where(FrozenClock.period == period.label)
    if vendor is not None:
        query, frozen = query.where(c.vendor == vendor), frozen.where(FrozenClock.vendor == vendor)
    return sorted(set(session.scalars(query)) | set(session.scalars(frozen)))


def _only(table: list[dict[str, Any]], vendor: str | None) -> list[dict[str, Any]]:
    return [entry for entry in table if vendor is None or entry["vendor"] == vendor]


def repair(db: Database, schedule: RuleSchedule, rules: Rules, period: Period, vendor: str | None, reason: str,
           by: str, now: datetime) -> RepairResult:
    if period.kind not in KINDS:
        raise RepairError(f"{period.label}: only weeks and quarters freeze; repair one of those")
    with db.reading() as session:
        if frozen_period(session, period.label) is None:
            raise RepairError(f"{period.label} is not frozen (not posted, nor {rules.reports.freeze_after} "
                              "past its end): its figures follow the clocks already")
        keys = _tickets(session, period, vendor)
    for start in range(0, len(keys), BATCH):
        db.write(lambda session: _rejudge(session, keys[start:start + BATCH], schedule, now))
    return db.write(lambda session: _record(session, rules, period, vendor, reason, by, now, len(keys)))


def _rejudge(session: Session, keys: list[str], schedule: RuleSchedule, now: datetime) -> None:
    for key in keys:
        lock_ticket(session, key)
        recompute_ticket(session, key, schedule, now, keep=False)


def _record(session: Session, rules: Rules, period: Period, vendor: str | None, reason: str, by: str,
            now: datetime, tickets: int) -> RepairResult:
    row = frozen_period(session, period.label)
    before = _only(json.loads(row.figures), vendor)
    replace_clocks(session, period.label, counted_now(session, rules, period, now), vendor)
    session.flush()
    table = figures(frozen_clocks(session, period.label).values())
    row.figures, row.rules_version = json.dumps(table, separators=(",", ":")), rules.version
    after = _only(table, vendor)
    fix = PeriodRepair(period=period.label, vendor=vendor, by=by, reason=reason, at=now, rules_version=rules.version,
                       before=json.dumps(before), after=json.dumps(after))
    session.add(fix)
    session.flush()
    taken = update(LateChange).where(LateChange.period == period.label, LateChange.repair_id.is_(None))
    if vendor is not None:
        taken = taken.where(LateChange.vendor == vendor)
    session.execute(taken.values(repair_id=fix.id))
    names = {v.id: v.name for v in rules.vendors}
    text = correction_text(period, vendor, before, after, by, reason, names, rules.locale)
    kind = KINDS[period.kind]
    channel = getattr(rules.reports, kind).channel
    if channel:
        outbox.enqueue(session, outbox.Outgoing(key=f"repair:{period.label}:{fix.id}", kind="report", channel=channel,
                                                text=text, thread_key=report_key(kind, period)), now)
    return RepairResult(fix.id, tickets, before, after, text, channel)
