"""GET /healthz (is this service doing its job?) and GET /metrics (Prometheus text format)."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from processors.events import format_instant, parse_instant
from processors.rules import unknown_field_names
from scheduler import LAST_ERROR_KEY, LAST_TICK_KEY
from connectors.jira_reconcile import read_status as read_reconcile_status
from connectors.jira_writeback import CHANNEL as JIRA_CHANNEL
from connectors.slack import WebApiSender
from store import outbox
from store.dispatchers import liveness
from store.pending import backlog
from store.quarantine import count_quarantined, list_quarantined
from store.repo import get_service_state
from web import context
from web.webhooks import CLOCK_DRIFT_KEY

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)

STALE_TICKS = 3  # the scheduler is late after this many tick intervals without a tick
RECOMPUTE_LATE_SECONDS = 60  # a ticket waiting longer for its recompute: is a worker running?
DRIFT_SHOWN = timedelta(hours=1)  # a clock drift seen this recently is reported
QUARANTINE_SHOWN = 10  # quarantined tickets named on /healthz (all: `slawatch quarantine list`)


def read_store() -> dict[str, Any]:
    """Database reachability and the scheduler facts it holds."""
    try:
        with context.database().reading() as session:
            session.execute(text("SELECT 1"))
            tick = get_service_state(session, LAST_TICK_KEY)
            error = get_service_state(session, LAST_ERROR_KEY)
    except SQLAlchemyError as exc:
        log.warning("healthz: database unreachable: %s", exc.__class__.__name__)
        return {"ok": False, "error": f"database unreachable ({type(getattr(exc, 'orig', None) or exc).__name__})"}
    return {"ok": True, "last_tick_at": parse_instant(tick.value) if tick and tick.value else None,
            "scheduler_error": error.value if error else None}


def scheduler_health(store: dict[str, Any], now: datetime) -> dict[str, Any]:
    config = current_app.config
    expected = config["SLAWATCH_SCHEDULER_EXPECTED"]
    last_tick = store.get("last_tick_at")
    late_after = timedelta(seconds=STALE_TICKS * config["SLAWATCH_TICK_SECONDS"])
    since = last_tick or current_app.extensions["slawatch.started_at"]  # grace after start-up
    ok = not expected or (store["ok"] and now - since <= late_after)
    return {"ok": ok, "expected": expected, "last_tick_at": format_instant(last_tick),
            "tick_seconds": config["SLAWATCH_TICK_SECONDS"], "last_error": store.get("scheduler_error")}


def rules_health() -> dict[str, Any]:
    book = context.rulebook()
    error = book.last_error
    return {
        "version": book.rules.version, "path": book.path, "loaded_at": format_instant(book.loaded_at),
        "last_reload_error": None if error is None else {
            "at": format_instant(error.at), "lines": list(error.lines)},
        # `match.fields` names Jira has not been seen to give any field yet: they fit no ticket
        "unknown_field_names": list(unknown_field_names(book.rules)),
    }


def outbox_health(**rows: str) -> dict[str, Any]:
    """Outbox rows (`channel=` or `other_than=` a channel): waiting, sent, failed for good (with
    the latest reasons). Failures make the section ok=false, and the service degraded, but not
    down: /healthz still answers 200."""
    try:
        with context.database().reading() as session:
            counts = outbox.status_counts(session, **rows)
            failures = outbox.recent_failures(session, **rows) if counts.get("failed") else []
    except SQLAlchemyError:
        return {"ok": False, "error": "outbox unreadable"}
    return {
        "ok": not counts.get("failed"),
        "pending": counts.get("pending", 0) + counts.get("sending", 0),
        "sent": counts.get("sent", 0),
        "failed": counts.get("failed", 0),
        "last_failures": [{**f, "at": format_instant(f["at"])} for f in failures],
    }


def slack_health(now: datetime) -> dict[str, Any]:
    """The Slack messages of the outbox, where they go (Slack, or the log without a token), and
    the dispatchers sending them (store/dispatchers.py)."""
    sender = current_app.extensions.get("slawatch.slack_sender")
    try:
        with context.database().reading() as session:
            dispatchers = liveness(session, now)
    except SQLAlchemyError:
        dispatchers = {"error": "dispatchers unreadable"}
    return {"sink": "slack" if isinstance(sender, WebApiSender) else "console",
            **outbox_health(other_than=JIRA_CHANNEL), "dispatchers": dispatchers}


def recompute_health(now: datetime) -> dict[str, Any]:
    """Tickets whose stored clocks wait for the worker's recompute (store/pending.py). A wait
    over RECOMPUTE_LATE_SECONDS makes the service degraded (the worker is down or overwhelmed);
    the ticket API evaluates from the events and stays current meanwhile."""
    try:
        with context.database().reading() as session:
            waiting = backlog(session, now)
            quarantined = list_quarantined(session, limit=QUARANTINE_SHOWN)
            quarantined_count = count_quarantined(session) if quarantined else 0
    except SQLAlchemyError:
        return {"ok": False, "error": "backlog unreadable"}
    lag = waiting.lag_seconds(now)
    return {"ok": lag <= RECOMPUTE_LATE_SECONDS and not quarantined, "pending_tickets": waiting.tickets,
            "oldest_marked_at": format_instant(waiting.oldest), "lag_seconds": round(lag, 1),
            "quarantine": {"tickets": quarantined_count, "latest": [
                {"ticket": q.ticket, "failures": q.failures, "last_error": q.last_error,
                 "at": format_instant(q.quarantined_at)} for q in quarantined]}}


def drift_health(state, now: datetime) -> dict[str, Any]:
    """Jira's clock ahead of ours by more than DRIFT_SECONDS, seen within DRIFT_SHOWN: degraded
    (events stamped ahead wait for their instant, so alerts may come late)."""
    if state is None or not state.value or now - state.updated_at > DRIFT_SHOWN:
        return {"ok": True}
    return {"ok": False, "ahead_seconds": json.loads(state.value)["ahead_seconds"],
            "seen_at": format_instant(state.updated_at)}


def jira_health(now: datetime) -> dict[str, Any]:
    """Reconcile with the Jira REST API: when it last ran and how many events it had to add
    (events the webhooks missed); informational, it never makes the service unhealthy. And the
    write-back rows of the outbox (labels, comments), whose failures make it degraded."""
    enabled = bool(current_app.config.get("JIRA_URL") and current_app.config.get("JIRA_API_TOKEN"))
    write_back = {"enabled": context.rulebook().rules.jira_write_back.enabled, **outbox_health(channel=JIRA_CHANNEL)}
    try:
        with context.database().reading() as session:
            status = read_reconcile_status(session)
            drift = get_service_state(session, CLOCK_DRIFT_KEY)
    except SQLAlchemyError:
        return {"reconcile": {"enabled": enabled, "error": "state unreadable"}, "write_back": write_back}
    last = status.last_run or {}
    return {"clock_drift": drift_health(drift, now), "reconcile": {
        "enabled": enabled, "every_seconds": current_app.config.get("SLAWATCH_RECONCILE_SECONDS"),
        "last_run_at": last.get("at"), "last_success_at": format_instant(status.last_success_at),
        "last_issues": last.get("issues"), "last_new_events": last.get("new_events"),
        "last_error": last.get("error"), "events_added": status.events_added},
        "write_back": write_back}


@bp.get("/healthz")
def healthz():
    now = context.now()
    store = read_store()
    scheduler = scheduler_health(store, now)
    healthy = store["ok"] and scheduler["ok"]
    unreachable = {"ok": False, "error": "database unreachable"}
    slack = slack_health(now) if store["ok"] else unreachable
    recompute = recompute_health(now) if store["ok"] else unreachable
    jira = jira_health(now) if store["ok"] else {"reconcile": unreachable, "write_back": unreachable}
    degraded = not (slack["ok"] and recompute["ok"] and jira["write_back"].get("ok", True)
                    and jira.get("clock_drift", {}).get("ok", True))
    body = {
        "status": ("degraded" if degraded else "ok") if healthy else "unhealthy",
        "database": {"ok": store["ok"], "error": store.get("error")},
        "rules": rules_health(),
        "scheduler": scheduler,
        "recompute": recompute,
        "slack": slack,
        "jira": jira,
        "jira_signature": "on" if current_app.config["JIRA_WEBHOOK_SECRET"] else "off",
    }
    return jsonify(body), 200 if healthy else 503


@bp.get("/metrics")
def metrics():
    return Response(context.metrics().exposition(), content_type=CONTENT_TYPE_LATEST)
