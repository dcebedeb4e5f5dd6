"""The dashboard's attainment figures, counted in the background and kept in the database.

    refresh_due(db, rules, now, every_seconds)     # the leader's tick step (scheduler/ticker.py)
    figures, as_of = page_figures(db, rules, periods, now, max_age_seconds)   # the pages

The figures are store.attainment's (counted in SQL by the rules of `slawatch report`): one row of
table dashboard_figures per period (week, month or quarter label) with every vendor's counts as
JSON, the instant they were counted for (`computed_at`) and the rules version they were counted
under. A page uses the stored rows when all of its periods are there, counted under the rules in
force and younger than `max_age_seconds`; otherwise it counts live (the cost this table exists to
avoid: about a second with 100,000 tickets) and stores what it counted, so that a service
without a worker still works.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from processors.periods import Period, local_day, months_of, previous, quarter_of, week_of, weeks_ending
from processors.reports import MetricStats, Satisfaction
from processors.rules import Rules
from store.attainment import Figures, attainment
from store.db import Database
from store.models import DashboardFigures

log = logging.getLogger(__name__)

TREND_WEEKS = 12


@dataclass(frozen=True)
class DashboardPeriods:
    """The periods the pages show at `now`, in the zone of the weekly report."""

    week: Period
    weeks: tuple[Period, ...]  # TREND_WEEKS, the last one `week`
    quarter: Period
    months: tuple[Period, ...]  # of `quarter`
    last_quarter: Period

    @property
    def overview(self) -> list[Period]:
        return [self.week, self.quarter]

    @property
    def vendor(self) -> list[Period]:
        return [*self.weeks, self.quarter, self.last_quarter, *self.months]


def dashboard_periods(rules: Rules, now: datetime) -> DashboardPeriods:
    zone = rules.reports.weekly.timezone
    today = local_day(now, zone)
    week, quarter = week_of(today, zone), quarter_of(today, zone)
    return DashboardPeriods(week, weeks_ending(week, TREND_WEEKS), quarter, months_of(quarter), previous(quarter))


def encode(figures: Figures, period: Period) -> str:
    """One period's figures, every vendor's, as JSON (targets come from the rules when read)."""
    vendors = {vendor for vendor, label in (*figures.metrics, *figures.opened, *figures.resolved,
                                            *figures.satisfaction) if label == period.label}
    entries = []
    for vendor in sorted(vendors, key=lambda v: (v is None, v or "")):
        key = (vendor, period.label)
        entries.append({
            "vendor": vendor,
            "metrics": {m: [s.counted, s.met, s.excused] for m, s in figures.metrics.get(key, {}).items()},
            "opened": figures.opened.get(key, 0), "resolved": figures.resolved.get(key, 0),
            "breaches": figures.breaches.get(key, 0), "excused": figures.excused.get(key, 0),
            "satisfaction": {q: [s.answered, s.positive] for q, s in figures.satisfaction.get(key, {}).items()},
        })
    return json.dumps({"vendors": entries}, separators=(",", ":"))


def decode_into(figures: Figures, text: str, period: Period, rules: Rules) -> None:
    for entry in json.loads(text)["vendors"]:
        key = (entry["vendor"], period.label)
        if entry["metrics"]:
            figures.metrics[key] = {m: MetricStats(m, rules.targets.get(m), *counts, None, None)
                                    for m, counts in entry["metrics"].items()}
        for name in ("opened", "resolved", "breaches", "excused"):
            if entry[name]:
                getattr(figures, name)[key] = entry[name]
        if entry["satisfaction"]:
            figures.satisfaction[key] = {q: Satisfaction(q, rules.targets.get(q), *counts)
                                         for q, counts in entry["satisfaction"].items()}


def _fresh(rows: Sequence, labels: set[str], rules: Rules, now: datetime, max_age_seconds: float) -> bool:
    return len(rows) == len(labels) and all(
        row.rules_version == rules.version and 0 <= (now - row.computed_at).total_seconds() < max_age_seconds
        for row in rows)


def load_figures(session: Session, rules: Rules, periods: Sequence[Period], now: datetime,
                 max_age_seconds: float) -> tuple[Figures, datetime] | None:
    """The stored figures of `periods` and the instant of the oldest, if every one is stored,
    counted under `rules` and at most `max_age_seconds` old; else None."""
    wanted = {period.label: period for period in periods}
    rows = list(session.scalars(select(DashboardFigures).where(DashboardFigures.period.in_(wanted))))
    if not _fresh(rows, set(wanted), rules, now, max_age_seconds):
        return None
    figures = Figures()
    for row in rows:
        decode_into(figures, row.figures, wanted[row.period], rules)
    return figures, min(row.computed_at for row in rows)


def store_figures(session: Session, rules: Rules, figures: Figures, periods: Sequence[Period],
                  now: datetime) -> None:
    """Insert or replace the rows of `periods` (an upsert: web workers and the worker may race)."""
    rows = [{"period": p.label, "kind": p.kind, "rules_version": rules.version, "computed_at": now,
             "figures": encode(figures, p)} for p in {p.label: p for p in periods}.values()]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(DashboardFigures).values(rows)
    session.execute(statement.on_conflict_do_update(
        index_elements=["period"],
        set_={name: statement.excluded[name] for name in ("kind", "rules_version", "computed_at", "figures")}))


def refresh_figures(db: Database, rules: Rules, now: datetime) -> int:
    """Count every period the pages show (one scan of the clocks) and store them; rows of periods
    the pages no longer show are dropped. Returns how many periods were stored."""
    periods = dashboard_periods(rules, now)
    wanted = list({p.label: p for p in [*periods.overview, *periods.vendor]}.values())
    with db.reading() as session:
        figures = attainment(session, rules, wanted, now)

    def write(session: Session) -> None:
        store_figures(session, rules, figures, wanted, now)
        session.execute(delete(DashboardFigures).where(DashboardFigures.period.not_in([p.label for p in wanted])))

    db.write(write)
    return len(wanted)


def refresh_due(db: Database, rules: Rules, now: datetime, every_seconds: float) -> bool:
    """refresh_figures unless the stored figures are younger than `every_seconds`; True if it ran."""
    periods = dashboard_periods(rules, now)
    labels = {p.label for p in [*periods.overview, *periods.vendor]}
    with db.reading() as session:
        rows = list(session.execute(select(DashboardFigures.period, DashboardFigures.rules_version,
                                           DashboardFigures.computed_at)
                                    .where(DashboardFigures.period.in_(labels))))
    if _fresh(rows, labels, rules, now, every_seconds):
        return False
    refresh_figures(db, rules, now)
    return True


def page_figures(db: Database, rules: Rules, periods: Sequence[Period], now: datetime,
                 max_age_seconds: float) -> tuple[Figures, datetime]:
    """The stored figures of `periods` if fresh enough, else counted now (and stored if possible):
    the figures and the instant they are as of."""
    with db.reading() as session:
        stored = load_figures(session, rules, periods, now, max_age_seconds)
        if stored is not None:
            return stored
        figures = attainment(session, rules, periods, now)
    try:
        db.write(lambda session: store_figures(session, rules, figures, periods, now))
    except SQLAlchemyError as exc:  # the page still has its figures; the next one tries again
        log.warning("could not store the dashboard figures: %s", type(exc).__name__)
    return figures, now
