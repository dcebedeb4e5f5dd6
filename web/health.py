"""GET /healthz (is this service doing its job?) and GET /metrics (Prometheus text format)."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from processors.events import format_instant, parse_instant
from scheduler import LAST_ERROR_KEY, LAST_TICK_KEY
from connectors.jira_reconcile import read_status as read_reconcile_status
from connectors.slack import WebApiSender
from store import outbox
from store.repo import get_service_state
from web import context

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)

STALE_TICKS = 3  # the scheduler is late after this many tick intervals without a tick


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
    }


def slack_health() -> dict[str, Any]:
    """The outbox: messages waiting, failed for good (with the latest reasons). Failures make
    this section ok=false, and the service degraded, but not down: /healthz still answers 200."""
    try:
        with context.database().reading() as session:
            counts = outbox.status_counts(session)
            failures = outbox.recent_failures(session) if counts.get("failed") else []
    except SQLAlchemyError:
        return {"ok": False, "error": "outbox unreadable"}
    sender = current_app.extensions.get("slawatch.slack_sender")
    return {
        "ok": not counts.get("failed"),
        "sink": "slack" if isinstance(sender, WebApiSender) else "console",
        "pending": counts.get("pending", 0) + counts.get("sending", 0),
        "sent": counts.get("sent", 0),
        "failed": counts.get("failed", 0),
        "last_failures": [{**f, "at": format_instant(f["at"])} for f in failures],
    }


def jira_health() -> dict[str, Any]:
    """Reconcile with the Jira REST API: when it last ran and how many events it had to add
    (events the webhooks missed). Informational: it never makes the service unhealthy."""
    enabled = bool(current_app.config.get("JIRA_URL") and current_app.config.get("JIRA_API_TOKEN"))
    try:
        with context.database().reading() as session:
            status = read_reconcile_status(session)
    except SQLAlchemyError:
        return {"reconcile": {"enabled": enabled, "error": "state unreadable"}}
    last = status.last_run or {}
    return {"reconcile": {
        "enabled": enabled, "every_seconds": current_app.config.get("SLAWATCH_RECONCILE_SECONDS"),
        "last_run_at": last.get("at"), "last_success_at": format_instant(status.last_success_at),
        "last_issues": last.get("issues"), "last_new_events": last.get("new_events"),
        "last_error": last.get("error"), "events_added": status.events_added}}


@bp.get("/healthz")
def healthz():
    now = context.now()
    store = read_store()
    scheduler = scheduler_health(store, now)
    healthy = store["ok"] and scheduler["ok"]
    slack = slack_health() if store["ok"] else {"ok": False, "error": "database unreachable"}
    body = {
        "status": ("ok" if slack["ok"] else "degraded") if healthy else "unhealthy",
        "database": {"ok": store["ok"], "error": store.get("error")},
        "rules": rules_health(),
        "scheduler": scheduler,
        "slack": slack,
        "jira": jira_health() if store["ok"] else {"reconcile": {"error": "database unreachable"}},
    }
    return jsonify(body), 200 if healthy else 503


@bp.get("/metrics")
def metrics():
    return Response(generate_latest(context.metrics().registry), content_type=CONTENT_TYPE_LATEST)
