"""POST /webhooks/slack/events: the Events API.

`url_verification` is answered with its challenge. A `message` event counts as a first response
("responded from Slack", EventKind.SLACK_RESPONSE) for every open ticket it names, by anyone but
the ticket's reporter, in a response channel: the rules are in connectors/slack_responses.py.
A message whose author the Slack user cache does not know yet waits for the scheduler's users.info
look-up when a bot token is set (answer `{"status": "deferred"}`); without one it counts at once.
Every event_id is handled once: a retry (X-Slack-Retry-Num) or a repeated id has no second
effect (the slack_events table), and the response events themselves are deduplicated by
`slack:{channel}:{ts}:{ticket}`.
"""
from __future__ import annotations

from flask import current_app, g, jsonify

from connectors.errors import MalformedPayload
from connectors.slack import WebApiSender
from connectors.slack_inbound import MessageEvent, UrlVerification, parse_event
from connectors.slack_responses import defer, named_tickets, response_events
from store import slack as slack_store
from store.ingest import ingest_delivery
from web import context
from web.slack import SOURCE, bp, malformed


@bp.post("/events")
def events():
    try:
        event = parse_event(g.slack_body)
    except MalformedPayload as exc:
        return malformed(exc)
    if isinstance(event, UrlVerification):
        return jsonify(challenge=event.challenge)
    if event.event_id is None:
        return jsonify(status="ignored")
    database, now = context.database(), context.now()
    with database.reading() as session:
        if slack_store.event_seen(session, event.event_id):
            return jsonify(status="duplicate")
    status, stored = "ok", 0
    if isinstance(event, MessageEvent):
        schedule = context.rulebook().schedule
        with database.reading() as session:
            user = slack_store.cached_user(session, event.user) if event.user else None
            hold = user is None and _can_look_up() and bool(named_tickets(session, event, schedule.current))
            responses = [] if hold else response_events(session, event, user, schedule, now)
        if hold:
            database.write(lambda session: defer(session, event, now))
            status = "deferred"
        elif user is None and event.user:
            database.write(lambda session: slack_store.remember_user(session, event.user, now))
        if responses:
            stored = ingest_delivery(database, SOURCE, event.event_id, responses, schedule, now).new_events
            context.metrics().events_stored.inc(stored)
    database.write(lambda session: slack_store.mark_event(session, event.event_id, now))
    return jsonify(status=status, events=stored)


def _can_look_up() -> bool:
    """users.info can be asked (a bot token is set), so an unknown author can wait for it."""
    return isinstance(current_app.extensions.get("slawatch.slack_sender"), WebApiSender)
