"""POST /webhooks/jira: size check, signature, JSON, parse, then store in one transaction.

The request stores the events and answers; the worker recomputes the ticket's clocks right after
(store/pending.py), woken at once when it runs in this process (`slawatch serve`).

Every rejection happens before anything is written, and answers a JSON body
`{"error": ..., "reason": ...}`: 413 too large, 401 bad or missing signature, 400 not a Jira
webhook. An event type Slawatch does not use is acknowledged and ignored. Bodies are never logged.
A comment that names its issue by an id no stored ticket has yet is kept and answered 202; it goes
in once the issue is known (connectors/jira_waiting.py).
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from connectors.errors import InvalidSignature, IssueKeyMissing, MalformedPayload
from connectors.input_checks import check_events, clean_json
from connectors.jira import changelog_field_names, parse_webhook, verify_signature
from connectors.jira_waiting import park, release
from processors.events import TicketEvent
from store.ingest import store_delivery
from store.jira_fields import learn
from store.queries import key_of_issue
from store.repo import set_service_state
from web import context

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)

SOURCE = "jira"
DELIVERY_HEADER = "X-Atlassian-Webhook-Identifier"
SIGNATURE_HEADER = "X-Hub-Signature"
CLOCK_DRIFT_KEY = "jira.clock_drift"  # service_state: the latest drift over DRIFT_SECONDS
DRIFT_SECONDS = 300


class Waiting(Exception):
    """The payload names its issue by an id no stored ticket has yet."""

    def __init__(self, issue_id: str, payload: dict[str, Any]):
        super().__init__(issue_id)
        self.issue_id, self.payload = issue_id, payload


class Rejected(Exception):
    def __init__(self, status: int, error: str, reason: str, label: str):
        super().__init__(reason)
        self.status, self.error, self.reason, self.label = status, error, reason, label


def read_body(max_bytes: int) -> bytes:
    if request.content_length is not None and request.content_length > max_bytes:
        raise Rejected(413, "payload_too_large", f"body over {max_bytes} bytes", "too_large")
    body = request.stream.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise Rejected(413, "payload_too_large", f"body over {max_bytes} bytes", "too_large")
    return body


def check_signature(secret: str | None, body: bytes) -> None:
    if not secret:
        return
    header = request.headers.get(SIGNATURE_HEADER)
    if not header:
        raise Rejected(401, "invalid_signature", f"{SIGNATURE_HEADER} header missing", "missing_signature")
    try:
        verify_signature(secret, body, header)
    except InvalidSignature:
        raise Rejected(401, "invalid_signature", "signature does not match the body", "bad_signature")


def decode_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise Rejected(400, "malformed_payload", "body is not UTF-8", "malformed")
    except (ValueError, RecursionError):
        raise Rejected(400, "malformed_payload", "body is not valid JSON", "malformed")
    if not isinstance(payload, dict):
        raise Rejected(400, "malformed_payload", "body is not a JSON object", "malformed")
    try:  # NUL dropped, lone surrogates and deep nesting refused (connectors/input_checks.py)
        return clean_json(payload)
    except MalformedPayload as exc:
        raise Rejected(400, "malformed_payload", exc.reason, "malformed")


def parse(payload: dict[str, Any]) -> list[TicketEvent]:
    """The events of the payload, each checked storable (connectors/input_checks.py)."""
    try:
        events = parse_webhook(payload)
        check_events(events)
        return events
    except IssueKeyMissing as exc:  # an issue named by id only: the key is the stored ticket's
        with context.database().reading() as session:
            key = key_of_issue(session, exc.issue_id)
        if key is None:
            raise Waiting(exc.issue_id, payload)
        return parse({**payload, "issue": {"id": exc.issue_id, "key": key, "fields": {}}})
    except MalformedPayload as exc:
        raise Rejected(400, "malformed_payload", exc.reason, "malformed")


def delivery_id(body: bytes) -> str:
    """Jira's delivery identifier (stable across retries), else a content key of the body."""
    header = request.headers.get(DELIVERY_HEADER, "").strip()
    if header and len(header) <= 100:
        return header
    return "sha256:" + hashlib.sha256(header.encode() if header else body).hexdigest()


def note_clock_drift(events: list[TicketEvent], now: datetime) -> None:
    """Events stamped more than DRIFT_SECONDS after our clock: Jira's clock (or ours) is off.
    Such events are applied when their instant comes (store/pending.py); /healthz reports the
    drift (`jira.clock_drift`)."""
    ahead = max((event.at for event in events), default=now) - now
    if ahead.total_seconds() > DRIFT_SECONDS:
        log.warning("jira clock drift: an event stamped %.0f s ahead of this server's clock", ahead.total_seconds())
        value = json.dumps({"ahead_seconds": round(ahead.total_seconds(), 1)})
        context.database().write(lambda session: set_service_state(session, CLOCK_DRIFT_KEY, value, now))


def learn_field_names(payload: dict[str, Any]) -> None:
    """Keep the names of the custom fields the changelog changes, for `match.fields` written by
    name (store/jira_fields.py). The delivery is stored already: a failure here is only logged."""
    names = changelog_field_names(payload)
    if names:
        try:
            learn(context.database(), names, context.now())
        except SQLAlchemyError as exc:
            log.warning("could not record Jira field names: %s", type(exc).__name__)


@bp.post("/webhooks/jira")
def jira_webhook():
    metrics = context.metrics()
    metrics.webhooks_received.labels(SOURCE).inc()
    try:
        body = read_body(current_app.config["SLAWATCH_MAX_BODY_BYTES"])
        check_signature(current_app.config["JIRA_WEBHOOK_SECRET"], body)
        payload = decode_object(body)
        events = parse(payload)
    except Rejected as rejected:
        metrics.webhooks_rejected.labels(SOURCE, rejected.label).inc()
        log.info("jira webhook rejected: %s (%s)", rejected.label, rejected.reason)
        return jsonify(error=rejected.error, reason=rejected.reason), rejected.status
    except Waiting as waiting:
        park(context.database(), delivery_id(body), waiting.issue_id, waiting.payload, context.now())
        return jsonify(status="waiting", reason=f"no stored ticket has the issue id {waiting.issue_id} "
                                                f"yet; kept until its issue is known"), 202
    if not events:
        return jsonify(status="ignored")
    note_clock_drift(events, context.now())
    result = store_delivery(context.database(), SOURCE, delivery_id(body), events, context.now())
    if result.duplicate:
        return jsonify(status="duplicate")
    metrics.events_stored.inc(result.new_events)
    if result.new_events:
        release(context.database(), context.now())  # comments that waited for this issue's id
        learn_field_names(payload)
        context.wake_recompute()
    return jsonify(status="ok", events=result.new_events)
