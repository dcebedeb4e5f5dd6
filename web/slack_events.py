"""POST /webhooks/slack/events: the Events API.

`url_verification` is answered with its challenge. A `message` event counts as a first response
("responded from Slack", EventKind.SLACK_RESPONSE) for every ticket it names when:
- it was posted in a channel of `slack.response_channels` (ids as Slack sends them; a "#name"
  there matches once Slawatch has posted to that channel and so knows its id);
- by a human: no bot_id, no subtype other than thread_broadcast / file_share, not a user the
  cache knows as a bot;
- the ticket (`[A-Z][A-Z0-9]+-\\d+`) is in the store and not deleted;
- the author is not the ticket's reporter: their email (or display name) from the Slack user
  cache is compared with the reporter Jira gave. A user the cache does not know yet cannot be
  compared: the message counts, and the user is queued for a users.info lookup outside the
  request (docs/slack.md).
Every event_id is handled once: a retry (X-Slack-Retry-Num) or a repeated id has no second
effect (the slack_events table), and the response events themselves are deduplicated by
`slack:{channel}:{ts}:{ticket}`.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from flask import g, jsonify
from sqlalchemy.orm import Session

from connectors.errors import MalformedPayload
from connectors.slack_inbound import MessageEvent, UrlVerification, parse_event
from processors.events import EventKind, Person, TicketEvent
from processors.rule_schedule import RuleSchedule, as_schedule, judge
from processors.rules import Rules
from store import outbox
from store import slack as slack_store
from store.ingest import ingest_delivery
from store.models import Ticket
from store.repo import load_events
from web import context
from web.slack import SOURCE, bp, malformed

TICKET_KEY = re.compile(r"\b[A-Z][A-Z0-9]+-\d+\b")
HUMAN_SUBTYPES = (None, "thread_broadcast", "file_share")
MAX_KEYS = 10


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
    stored = 0
    if isinstance(event, MessageEvent):
        schedule = context.rulebook().schedule
        responses = response_events(database, event, schedule, now)
        if responses:
            result = ingest_delivery(database, SOURCE, event.event_id, responses, schedule, now)
            stored = result.new_events
            context.metrics().events_stored.inc(stored)
    database.write(lambda session: slack_store.mark_event(session, event.event_id, now))
    return jsonify(status="ok", events=stored)


def response_events(database, event: MessageEvent, rules: Rules | RuleSchedule,
                    now: datetime) -> list[TicketEvent]:
    """The SLACK_RESPONSE events this message makes (see the module docstring)."""
    rules = as_schedule(rules)
    if event.bot_id or event.subtype not in HUMAN_SUBTYPES or not event.user:
        return []
    keys = list(dict.fromkeys(TICKET_KEY.findall(event.text)))[:MAX_KEYS]
    if not keys:
        return []
    with database.reading() as session:
        if not listened_to(session, event.channel, rules.current.slack.response_channels):
            return []
        user = slack_store.cached_user(session, event.user)
        if user is not None and user.is_bot:
            return []
        author = Person(email=user.email, display_name=user.display_name) if user else None
        tickets = [key for key in keys if _open_ticket(session, key)]
        tickets = [key for key in tickets if not _is_reporter(session, key, author, rules, now)]
    if user is None:
        database.write(lambda session: slack_store.remember_user(session, event.user, now))
    at = datetime.fromtimestamp(float(event.ts), timezone.utc)
    actor = Person(account_id=event.user, email=user.email if user else None,
                   display_name=user.display_name if user else None)
    return [TicketEvent(ticket=key, kind=EventKind.SLACK_RESPONSE, at=at,
                        dedup_key=f"slack:{event.channel}:{event.ts}:{key}", actor=actor,
                        source=SOURCE) for key in tickets]


def listened_to(session: Session, channel: str, listed: tuple[str, ...]) -> bool:
    if channel in listed:
        return True
    return any(name.startswith("#") and outbox.known_channel_id(session, name) == channel
               for name in listed)


def _open_ticket(session: Session, key: str) -> bool:
    ticket = session.get(Ticket, key)
    return ticket is not None and not ticket.deleted and ticket.created_at is not None


def _is_reporter(session: Session, key: str, author: Person | None, rules: RuleSchedule,
                 now: datetime) -> bool:
    if author is None:
        return False  # unknown yet: cannot tell (documented)
    state = judge(load_events(session, key), rules, now)
    reporter = state.facts.get("reporter") if state else None
    return isinstance(reporter, Person) and author.same_as(reporter)
