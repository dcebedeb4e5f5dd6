"""Reconcile: heal lost webhooks by asking Jira what changed.

The scheduler leader calls `Reconciler.run(rules, now)` every tick; every
SLAWATCH_RECONCILE_SECONDS (default 3600) it backfills
    [SLAWATCH_RECONCILE_JQL AND] updated >= "<last successful reconcile - margin>"
(margin: SLAWATCH_RECONCILE_MARGIN_SECONDS, default 3600). JQL dates are read in the Jira
user's time zone; the instant is written in UTC, so give the API user the UTC zone or a margin
of at least its offset. Events the webhooks already delivered have the same dedup keys and are
skipped; what is stored is what the webhooks missed, counted in service_state
(`jira.reconcile.*`) for /healthz and /metrics. Alerts go through the outbox as always, whose
unique keys mean a healed ticket never alerts twice.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from jira import JIRA
from sqlalchemy.orm import Session

from connectors.jira_backfill import BackfillError, backfill
from connectors.jira_waiting import release
from processors.events import format_instant, parse_instant
from processors.rule_schedule import RuleSchedule
from processors.rules import Rules
from store.db import Database
from store.repo import get_service_state, set_service_state

log = logging.getLogger(__name__)

LAST_SUCCESS_KEY = "jira.reconcile.last_success_at"  # the `now` of the last complete run
LAST_RUN_KEY = "jira.reconcile.last_run"  # JSON: at, since, issues, new_events, error
TOTAL_KEY = "jira.reconcile.events_added"  # events reconcile stored, ever


@dataclass(frozen=True)
class ReconcileStatus:
    last_success_at: datetime | None
    last_run: dict[str, Any] | None
    events_added: int


def read_status(session: Session) -> ReconcileStatus:
    success, run, total = (get_service_state(session, k) for k in (LAST_SUCCESS_KEY, LAST_RUN_KEY, TOTAL_KEY))
    return ReconcileStatus(
        last_success_at=parse_instant(success.value) if success and success.value else None,
        last_run=json.loads(run.value) if run and run.value else None,
        events_added=int(total.value) if total and total.value else 0)


def updated_since_jql(since: datetime, scope: str | None) -> str:
    clause = f'updated >= "{since:%Y-%m-%d %H:%M}"'
    return f"({scope}) AND {clause}" if scope else clause


class Reconciler:
    def __init__(self, db: Database, connect: Callable[[], JIRA], every: timedelta, margin: timedelta,
                 scope: str | None = None):
        self.db, self.connect, self.every, self.margin, self.scope = db, connect, every, margin, scope

    def due(self, now: datetime) -> bool:
        with self.db.reading() as session:
            last = read_status(session).last_run
        return last is None or now - parse_instant(last["at"]) >= self.every

    def run(self, rules: Rules | RuleSchedule, now: datetime) -> dict[str, Any] | None:
        """Reconcile if it is time; returns what this run recorded, None if not due."""
        if not self.due(now):
            return None
        with self.db.reading() as session:
            status = read_status(session)
        since = (status.last_success_at or now - self.every) - self.margin
        record: dict[str, Any] = {"at": format_instant(now), "since": format_instant(since),
                                  "issues": 0, "new_events": 0, "error": None}
        try:
            result = backfill(self.db, self.connect(), updated_since_jql(since, self.scope), rules,
                              lambda: now, remember=False)
            record.update(issues=result.issues, new_events=result.new_events)
            if release(self.db, now):  # comments that waited for an issue this run brought in
                log.info("reconcile let in Jira comments that waited for their issue")
        except BackfillError as exc:
            record["error"] = str(exc)
            log.warning("reconcile failed: %s", exc)
        self.db.write(lambda session: self._record(session, record, status, now))
        if record["new_events"]:
            log.warning("reconcile stored %d events the webhooks missed (%d issues read)",
                        record["new_events"], record["issues"])
        return record

    def _record(self, session: Session, record: dict[str, Any], status: ReconcileStatus, now: datetime) -> None:
        set_service_state(session, LAST_RUN_KEY, json.dumps(record), now)
        if record["error"] is None:
            set_service_state(session, LAST_SUCCESS_KEY, record["at"], now)
            set_service_state(session, TOTAL_KEY, str(status.events_added + record["new_events"]), now)
