"""The scheduler tick: what Slawatch does every SLAWATCH_TICK_SECONDS, outside any request.

A tick runs its steps in order and then records itself in `service_state` (which /healthz
reads). Steps: look at the rules file (and store the version in force); recompute the tickets
the webhooks marked (store/pending.py) and the clocks that an earlier rules version computed;
take or renew the scheduler lease; if this process leads: reconcile with the Jira REST API when
due (connectors/jira_reconcile.py), plan the alerts that fell due (scheduler/planning.py) and run
the report jobs whose time has come (scheduler/cron.py) and open satisfaction surveys; in every
process: dispatch the outbox (scheduler/dispatch.py: Slack messages and Jira write-backs) and
fill the Slack user cache.

The counting steps — the dashboard's stored figures (store/figures.py) and the watch over frozen
periods (store/freeze.py), each at most every SLAWATCH_FIGURES_SECONDS, as the leader — read
every clock that ended in the periods shown: seconds at a million open tickets. A started ticker
runs them as a job of their own (`background_tick`, in the scheduler's thread pool), so a long
count never delays the next tick's planning and sending; `tick()` called directly (tests, a
one-shot run) runs them after its own steps.

Leadership is a lease in the database (store/lease.py) of LEASE_TICKS ticks, renewed every tick:
one process plans at a time, and when it dies another takes over once the lease expires.
Dispatching needs no leader: claims make concurrent dispatchers take disjoint rows. A started
ticker's dispatcher beats a heartbeat row (scheduler/heartbeat.py, store/dispatchers.py), so
the rows it leaves `sending` when it dies are taken over within seconds.

Between ticks, a started ticker also runs a recompute loop: woken by a webhook stored in this
process (`slawatch serve`) or every PENDING_POLL_SECONDS (`slawatch worker`, beside gunicorn), it
recomputes the marked tickets, so stored clocks trail the events by about a second. The tick
itself recomputes for at most `pending_budget_seconds` and then plans (skipping tickets still
marked) and sends: a webhook stream faster than the recompute delays clocks, never alerts.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import SQLAlchemyError

from connectors.slack_responses import settle_deferred
from connectors.slack_users import refresh_users
from connectors.surveys import deliver_surveys
from processors.events import format_instant
from scheduler import cron
from scheduler.dispatch import Dispatcher
from scheduler.heartbeat import Heartbeat
from scheduler.planning import plan_due
from store import lease
from store.db import Database
from store.figures import refresh_due
from store.freeze import watch_frozen
from store.pending import BATCH, recompute_pending
from store.recompute import recompute_stale_if_changed
from store.surveys import open_new_surveys
from store.repo import set_service_state
from store.rulebook import RuleBook

log = logging.getLogger(__name__)

LAST_TICK_KEY = "scheduler.last_tick_at"
LAST_ERROR_KEY = "scheduler.last_error"
LEASE_NAME = "scheduler"
LEASE_TICKS = 3
PENDING_POLL_SECONDS = 1.0  # how often the recompute loop looks for marked tickets when not woken
PENDING_DELAY_SECONDS = 0.1  # after a wake-up: lets a burst of deliveries coalesce per ticket


def _run(steps: list[tuple[str, Step]], now: datetime) -> list[str]:
    """Run `steps` in order; returns the names of those that failed (each logged, the rest run)."""
    failed = []
    for name, step in steps:
        try:
            step(now)
        except Exception:  # the edge of a background job: report, go on with the rest
            log.exception("scheduler step %r failed", name)
            failed.append(name)
    return failed


def process_id() -> str:
    """A name for this process in leases and claims: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

Step = Callable[[datetime], None]


class Ticker:
    def __init__(self, db: Database, rulebook: RuleBook, tick_seconds: float,
                 clock: Callable[[], datetime], sender=None, jira_url: str | None = None,
                 worker_id: str | None = None, reconciler=None):
        self.db, self.rulebook, self.clock = db, rulebook, clock
        self.tick_seconds = tick_seconds
        self.jira_url = jira_url
        self.worker_id = worker_id or process_id()
        self.leading = False
        self.reconciler = reconciler  # connectors/jira_reconcile.Reconciler, when Jira REST is configured
        self.dispatcher = Dispatcher(db, sender, self.worker_id) if sender is not None else None
        self.steps: list[tuple[str, Step]] = [
            ("rules", self.refresh_rules),
            ("pending", self.recompute_pending),
            ("recompute", self.recompute_stale),
            ("lease", self.take_lease),
            ("reconcile", self.reconcile),
            ("alerts", self.plan_alerts),
            ("reports", self.run_reports),
            ("surveys", self.ask_surveys),
            ("dispatch", self.dispatch),
            ("slack_users", self.look_up_slack_users),
        ]
        self.background_steps: list[tuple[str, Step]] = [
            ("figures", self.refresh_figures),
            ("frozen", self.watch_frozen),
        ]
        self._background_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._reload_requested = threading.Event()
        self.pending_wakeup = threading.Event()  # set by the webhook path of this process
        self._stopping = threading.Event()
        self._scheduler: BackgroundScheduler | None = None
        self._heartbeat: Heartbeat | None = None

    def refresh_rules(self, now: datetime) -> None:
        self.rulebook.check(now, force=True)
        self.rulebook.publish(self.db, now)

    pending_budget_seconds = 2.0  # the tick's share of the recompute; the loop does the rest

    def recompute_pending(self, now: datetime) -> None:
        """The tickets the webhooks marked, batch after batch for at most pending_budget_seconds
        (at least one batch), so that planning and sending keep their cadence under any webhook
        stream (issue 12); planning skips the tickets still waiting (scheduler/planning.py)."""
        deadline = time.monotonic() + self.pending_budget_seconds
        while recompute_pending(self.db, self.rulebook.schedule, now, limit=BATCH) and time.monotonic() < deadline:
            pass

    def recompute_stale(self, now: datetime) -> None:
        recompute_stale_if_changed(self.db, self.rulebook.schedule, now)

    def take_lease(self, now: datetime) -> None:
        self.leading = False  # stays False if the database cannot be reached
        duration = timedelta(seconds=LEASE_TICKS * self.tick_seconds)
        self.leading = lease.acquire(self.db, LEASE_NAME, self.worker_id, now, duration)

    def reconcile(self, now: datetime) -> None:
        """Backfill what the webhooks missed, when due (connectors/jira_reconcile.py)."""
        if self.leading and self.reconciler is not None:
            self.reconciler.run(self.rulebook.schedule, now)

    def plan_alerts(self, now: datetime) -> None:
        if self.leading:
            plan_due(self.db, self.rulebook.rules, now, self.jira_url)

    def run_reports(self, now: datetime) -> None:
        if self.leading:
            cron.run_due_jobs(self.db, self.rulebook.rules, now, self.jira_url)

    def dispatch(self, now: datetime) -> None:
        if self.dispatcher is not None:
            self.dispatcher.run(now)

    def ask_surveys(self, now: datetime) -> None:
        """Open satisfaction surveys of resolved tickets and send them (connectors/surveys.py)."""
        if self.leading and self.rulebook.rules.surveys.enabled:
            self.db.write(lambda session: open_new_surveys(session, self.rulebook.schedule, now))
            client = getattr(self.dispatcher.sender, "client", None) if self.dispatcher else None
            deliver_surveys(self.db, self.rulebook.rules, client, now)

    def look_up_slack_users(self, now: datetime) -> None:
        """Fill the Slack user cache the Events endpoint reads (connectors/slack_users.py), then
        count the Slack messages that waited for their author (connectors/slack_responses.py)."""
        client = getattr(self.dispatcher.sender, "client", None) if self.dispatcher else None
        if client is not None:
            try:
                refresh_users(self.db, client, now)
            finally:  # also when Slack is down: held messages count after SETTLE_AFTER
                settle_deferred(self.db, self.rulebook.schedule, now)

    figures_seconds = 60.0  # SLAWATCH_FIGURES_SECONDS, set by scheduler.init_app

    def refresh_figures(self, now: datetime) -> None:
        """The dashboard's attainment figures (store/figures.py), at most every figures_seconds."""
        if self.leading:
            refresh_due(self.db, self.rulebook.rules, now, self.figures_seconds)

    def watch_frozen(self, now: datetime) -> None:
        """Freeze the periods due and record late changes of frozen ones (store/freeze.py), at
        most every figures_seconds."""
        if self.leading:
            watch_frozen(self.db, self.rulebook.rules, now, self.figures_seconds)

    def tick(self, background: bool = True) -> list[str]:
        """Run every step once, the counting steps too unless `background` is False (the started
        scheduler runs those as their own job); returns the names of the steps that failed."""
        with self._run_lock:
            now = self.clock()
            failed = _run(self.steps, now)
            if background:
                with self._background_lock:
                    failed += _run(self.background_steps, now)
            self._record(now, failed)
            return failed

    def background_tick(self) -> list[str]:
        """The counting steps alone (the started scheduler's second job); a failure is recorded
        like a tick's, a success leaves the tick's record to the tick."""
        with self._background_lock:
            now = self.clock()
            failed = _run(self.background_steps, now)
            if failed:
                self._record(now, failed)
            return failed

    def _record(self, now: datetime, failed: list[str]) -> None:
        def write(session) -> None:
            if failed:
                set_service_state(session, LAST_ERROR_KEY, f"steps failed: {', '.join(failed)}", now)
            else:
                set_service_state(session, LAST_TICK_KEY, format_instant(now), now)
        try:
            self.db.write(write)
        except SQLAlchemyError as exc:
            log.error("could not record the scheduler tick: %s", type(exc).__name__)

    def request_reload(self) -> None:
        """Ask for a rules reload now (safe to call from a signal handler)."""
        self._reload_requested.set()

    def _reload_listener(self) -> None:
        while not self._stopping.is_set():
            if self._reload_requested.wait(timeout=1.0):
                self._reload_requested.clear()
                log.info("reload requested")
                self.tick(background=False)

    def _pending_loop(self) -> None:
        while not self._stopping.is_set():
            if self.pending_wakeup.wait(timeout=PENDING_POLL_SECONDS):
                self._stopping.wait(PENDING_DELAY_SECONDS)
            self.pending_wakeup.clear()
            try:
                while not self._stopping.is_set() and recompute_pending(
                        self.db, self.rulebook.schedule, self.clock()):
                    pass
            except Exception:  # the edge of a background job: report, try again later
                log.exception("recomputing marked tickets failed")
                self._stopping.wait(5 * PENDING_POLL_SECONDS)

    def start(self) -> None:
        if self.dispatcher is not None:  # before the first tick: its claims have a heartbeat
            self._heartbeat = Heartbeat(self.db, self.worker_id, self.clock).start()
            self.dispatcher.alive = self._heartbeat.fresh
        scheduler = BackgroundScheduler(timezone=timezone.utc,
                                        job_defaults={"coalesce": True, "max_instances": 1})
        scheduler.add_job(self.tick, "interval", seconds=self.tick_seconds, id="tick", kwargs={"background": False},
                          next_run_time=datetime.now(timezone.utc))
        scheduler.add_job(self.background_tick, "interval", seconds=self.tick_seconds, id="background",
                          next_run_time=datetime.now(timezone.utc) + timedelta(seconds=min(self.tick_seconds, 5)))
        scheduler.start()
        self._scheduler = scheduler
        threading.Thread(target=self._reload_listener, name="slawatch-reload", daemon=True).start()
        threading.Thread(target=self._pending_loop, name="slawatch-recompute", daemon=True).start()
        log.info("scheduler started, tick every %ss", self.tick_seconds)

    def stop(self) -> None:
        self._stopping.set()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        if self._heartbeat is not None:  # no post in flight any more: retire it
            self._heartbeat.stop()
            self._heartbeat = None
        if self.leading:
            try:
                lease.release(self.db, LEASE_NAME, self.worker_id)
            except SQLAlchemyError as exc:
                log.warning("could not release the scheduler lease: %s", type(exc).__name__)
            self.leading = False
