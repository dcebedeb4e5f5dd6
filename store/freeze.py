"""Frozen periods in the store: freezing, late changes, and the figures as posted.

    freeze(session, rules, period, now, cause)      # "posted" (scheduler/reports_job.py) | "freeze_after"
    watch_frozen(db, rules, now)                    # the leader's tick: freeze what is due, record late changes
    late_change_counts(session, ["2026-W47", ...])  # {label: clocks changed since frozen, not repaired}
    frozen_period(session, "2026-W47")              # the row, or None

A frozen period keeps, in frozen_clocks, every clock its figures counted with the verdict it was
counted with, and in frozen_periods those figures (processors/freeze.py). Nothing rewrites them
but `slawatch repair` (store/repair.py). Whenever the stored clocks count a frozen period
otherwise (a late event, reconcile, a rules edit, a backfill), each such clock is recorded once
per new verdict in late_changes.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Collection, Iterable, Sequence

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from processors.freeze import ClockKey, CountedClock, changes, counted_clocks, figures
from processors.periods import Period, last_complete_quarter, last_complete_week
from processors.rules import Rules
from store.db import Database
from store.history import load_clock_records
from store.models import ExcuseAudit, FrozenClock, FrozenPeriod, LateChange, Ticket
from store.repo import get_service_state, set_service_state

log = logging.getLogger(__name__)

WATCHED_DAYS = 400  # late changes are looked for in periods that ended at most this long ago
CHECKED_KEY = "frozen_checked_at"
CHUNK = 500  # tickets per look


def counted_now(session: Session, rules: Rules, period: Period, now: datetime,
                tickets: Sequence[str] | None = None) -> list[CountedClock]:
    records = load_clock_records(session, period.start, period.end, now, rules.calendars, tickets)
    return counted_clocks(records, period)


def frozen_period(session: Session, label: str) -> FrozenPeriod | None:
    return session.get(FrozenPeriod, label)


def frozen_clocks(session: Session, label: str, tickets: Sequence[str] | None = None) -> dict[ClockKey, CountedClock]:
    query = select(FrozenClock).where(FrozenClock.period == label)
    if tickets is not None:
        query = query.where(FrozenClock.ticket.in_(list(tickets)))
    rows = session.scalars(query)
    return {(r.ticket, r.metric, r.cycle): CountedClock(r.ticket, r.metric, r.cycle, r.vendor, r.verdict,
                                                        r.ended_at, r.rules_version) for r in rows}


def store_clocks(session: Session, label: str, clocks: Iterable[CountedClock]) -> None:
    rows = [{"period": label, "ticket": c.ticket, "metric": c.metric, "cycle": c.cycle, "vendor": c.vendor,
             "verdict": c.verdict, "ended_at": c.ended_at, "rules_version": c.rules_version} for c in clocks]
    for start in range(0, len(rows), 5000):
        session.execute(insert(FrozenClock), rows[start:start + 5000])


def freeze(session: Session, rules: Rules, period: Period, now: datetime, cause: str) -> bool:
    """Freeze `period` with its figures as counted now; False if it was frozen already."""
    if frozen_period(session, period.label) is not None:
        return False
    clocks = counted_now(session, rules, period, now)
    session.add(FrozenPeriod(period=period.label, kind=period.kind, start_at=period.start, end_at=period.end,
                             frozen_at=now, cause=cause, rules_version=rules.version,
                             figures=json.dumps(figures(clocks), separators=(",", ":"))))
    session.flush()
    store_clocks(session, period.label, clocks)
    log.info("period %s frozen (%s): %d clocks", period.label, cause, len(clocks))
    return True


def due_for_freezing(rules: Rules, now: datetime) -> list[Period]:
    """The last complete week and quarter, if `reports.freeze_after` has passed since their end."""
    zone = rules.reports.weekly.timezone
    return [p for p in (last_complete_week(now, zone), last_complete_quarter(now, zone))
            if p.end + rules.reports.freeze_after <= now]


def record_late_changes(session: Session, rules: Rules, row: FrozenPeriod, now: datetime,
                        tickets: Sequence[str] | None = None) -> int:
    """Record each clock of the frozen period (of `tickets`, if given) counted otherwise now
    (once per new verdict); returns how many were new."""
    period = Period(row.kind, row.period, row.start_at, row.end_at, rules.reports.weekly.timezone)
    now_counted = {c.key: c for c in counted_now(session, rules, period, now, tickets)}
    found = changes(frozen_clocks(session, row.period, tickets), now_counted)
    known = {(c.ticket, c.metric, c.cycle, c.after) for c in session.scalars(
        select(LateChange).where(LateChange.period == row.period, LateChange.repair_id.is_(None)))}
    new = [c for c in found if (c.ticket, c.metric, c.cycle, c.after) not in known]
    if new:
        session.execute(insert(LateChange), [
            {"period": row.period, "ticket": c.ticket, "metric": c.metric, "cycle": c.cycle, "vendor": c.vendor,
             "before": c.before, "after": c.after, "detected_at": now, "repair_id": None} for c in new])
    return len(new)


def watch_frozen(db: Database, rules: Rules, now: datetime, every_seconds: float = 0) -> bool:
    """Freeze the periods due, then record the late changes of the frozen periods of the last
    WATCHED_DAYS, looking only at the tickets recomputed or excused since the last look (only
    their clocks can have changed); at most once per `every_seconds`. True if it ran."""
    with db.reading() as session:
        state = get_service_state(session, CHECKED_KEY)
    last = datetime.fromisoformat(state.value) if state is not None and state.value else None
    if last is not None and 0 <= (now - last).total_seconds() < every_seconds:
        return False

    def write(session: Session) -> None:
        for period in due_for_freezing(rules, now):
            freeze(session, rules, period, now, "freeze_after")
        keys = None if last is None else touched_since(session, last)
        watched = list(session.scalars(select(FrozenPeriod).where(
            FrozenPeriod.end_at >= now - timedelta(days=WATCHED_DAYS))))
        for start in range(0, len(keys), CHUNK) if keys is not None else [None]:
            for row in watched:
                record_late_changes(session, rules, row, now, None if start is None else keys[start:start + CHUNK])
        set_service_state(session, CHECKED_KEY, now.isoformat(), now)

    db.write(write)
    return True


def touched_since(session: Session, since: datetime) -> list[str]:
    """Tickets recomputed (their row's updated_at) or excused or un-excused since `since`."""
    recomputed = select(Ticket.key).where(Ticket.updated_at >= since)
    excused = select(ExcuseAudit.ticket).where(ExcuseAudit.at >= since)
    return sorted(set(session.scalars(recomputed)) | set(session.scalars(excused)))


def late_change_counts(session: Session, labels: Sequence[str] | None = None,
                       vendor: str | None = None, vendors: Collection[str] | None = None) -> dict[str, int]:
    """Per frozen period (of `labels`, or every one): how many of its clocks changed since it was
    frozen and wait for a repair (only periods with some); of `vendor`, and of `vendors` unless
    it is None (a caller limited to some vendors)."""
    x = LateChange
    clocks = select(x.period, x.ticket, x.metric, x.cycle).where(x.repair_id.is_(None))
    if labels is not None:
        clocks = clocks.where(x.period.in_(list(labels)))
    if vendor is not None:
        clocks = clocks.where(x.vendor == vendor)
    if vendors is not None:
        clocks = clocks.where(x.vendor.in_(sorted(vendors)))
    sub = clocks.distinct().subquery()
    return {label: n for label, n in session.execute(select(sub.c.period, func.count()).group_by(sub.c.period))}


def replace_clocks(session: Session, label: str, clocks: Iterable[CountedClock], vendor: str | None) -> None:
    """After a repair: the frozen clocks of the period (of one vendor) are the ones counted now."""
    stale = delete(FrozenClock).where(FrozenClock.period == label)
    if vendor is not None:
        stale = stale.where(FrozenClock.vendor == vendor)
    session.execute(stale)
    store_clocks(session, label, [c for c in clocks if vendor is None or c.vendor == vendor])
