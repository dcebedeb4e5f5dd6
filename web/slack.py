"""Slack in: POST /webhooks/slack/{commands,interactions,events}.

Every request is verified first (connectors/slack_inbound.verify, SLACK_SIGNING_SECRET, 5-minute
window) before anything is read or done: without a signing secret the endpoints answer 503
"Slack is not configured"; a missing, wrong or stale signature gets 401. The three endpoints
live in web/slack_commands.py, web/slack_interactions.py and web/slack_events.py (which import
this module for `bp`; web/__init__.py imports them, so this one imports none of them); they answer
from the store within Slack's 3 seconds and leave messages to Slack to the outbox. Bodies are
never logged.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, g, jsonify, request

from connectors.errors import InvalidSignature, MalformedPayload
from connectors.slack_inbound import verify
from web import context
from web.webhooks import Rejected, read_body

log = logging.getLogger(__name__)
bp = Blueprint("slack", __name__, url_prefix="/webhooks/slack")

SOURCE = "slack"


def rejected(status: int, error: str, reason: str, label: str):
    context.metrics().webhooks_rejected.labels(SOURCE, label).inc()
    log.info("slack request rejected: %s (%s)", label, reason)
    return jsonify(error=error, reason=reason), status


@bp.before_request
def verify_request():
    """The front door of every Slack endpoint: configured, size, signature."""
    context.metrics().webhooks_received.labels(SOURCE).inc()
    secret = current_app.config.get("SLACK_SIGNING_SECRET")
    if not secret:
        return rejected(503, "not_configured", "Slack is not configured", "not_configured")
    try:
        body = read_body(current_app.config["SLAWATCH_MAX_BODY_BYTES"])
    except Rejected as too_large:
        return rejected(too_large.status, too_large.error, too_large.reason, too_large.label)
    try:
        verify(secret, body, request.headers, context.now().timestamp())
    except InvalidSignature as exc:
        return rejected(401, "invalid_signature", exc.reason, "bad_signature")
    g.slack_body = body
    return None


def malformed(exc: MalformedPayload):
    return rejected(400, "malformed_payload", exc.reason, "malformed")


def ephemeral(text: str):
    return jsonify(response_type="ephemeral", text=text)


def sender_client():
    """The slack_sdk WebClient of the app's sender; None with the console sender."""
    return getattr(current_app.extensions.get("slawatch.slack_sender"), "client", None)

