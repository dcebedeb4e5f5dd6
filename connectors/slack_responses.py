"""Which Slack messages count as a first response (EventKind.SLACK_RESPONSE), and the messages
that wait for their author to be known.

    events = response_events(session, message, user, schedule, now)   # user: the cached SlackUser or None
    defer(session, message, now)                  # hold a message until users.info knows its author
    settled = settle_deferred(db, schedule, now)  # the scheduler, after its users.info look-ups

A message counts for every ticket it names when it was posted in a channel of
`slack.response_channels` (ids as Slack sends them; a "#name" there matches once Slawatch has
posted to that channel and so knows its id), by a human (no bot_id, no subtype other than
thread_broadcast / file_share, not a user the cache knows as a bot), the ticket
(`[A-Z][A-Z0-9]+-\\d+`) is in the store and not deleted, and the author is not the ticket's
reporter: their email (or display name) from the Slack user cache is compared with the reporter
Jira gave. Response events are deduplicated by `slack:{channel}:{ts}:{ticket}`.

A message whose author the cache does not know yet cannot be compared with the reporter. When
Slawatch can look users up (a bot token is set), the message waits in `slack_deferred_messages`
and the scheduler settles it right after its users.info round (within a tick); the response keeps
the message's own time. A message whose author still is not known after SETTLE_AFTER (users.info
keeps failing) counts, as it does without a bot token.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from connectors.slack_inbound import MessageEvent
from processors.events import EventKind, Person, TicketEvent
from processors.rule_schedule import RuleSchedule, as_schedule, judge
from processors.rules import Rules
from store import outbox
from store import slack as slack_store
from store.db import Database
from store.ingest import ingest_delivery
from store.models import SlackDeferredMessage, SlackUser, Ticket
from store.repo import load_events

log = logging.getLogger(__name__)

SOURCE = "slack"
TICKET_KEY = re.compile(r"\b[A-Z][A-Z0-9]+-\d+\b")
HUMAN_SUBTYPES = (None, "thread_broadcast", "file_share")
MAX_KEYS = 10
SETTLE_AFTER = timedelta(minutes=10)
DEFERRED = SlackDeferredMessage.__table__


def named_tickets(session: Session, message: MessageEvent, rules: Rules) -> list[str]:
    """The open tickets a human's message in a response channel names (author not checked)."""
    if message.bot_id or message.subtype not in HUMAN_SUBTYPES or not message.user:
        return []
    keys = list(dict.fromkeys(TICKET_KEY.findall(message.text)))[:MAX_KEYS]
    if not keys or not listened_to(session, message.channel, rules.slack.response_channels):
        return []
    return [key for key in keys if _open_ticket(session, key)]


def response_events(session: Session, message: MessageEvent, user: SlackUser | None,
                    rules: Rules | RuleSchedule, now: datetime) -> list[TicketEvent]:
    """The SLACK_RESPONSE events `message` makes, its author being `user` (None: unknown)."""
    schedule = as_schedule(rules)
    if user is not None and user.is_bot:
        return []
    author = Person(email=user.email, display_name=user.display_name) if user else None
    tickets = [key for key in named_tickets(session, message, schedule.current)
               if not _is_reporter(session, key, author, schedule, now)]
    at = datetime.fromtimestamp(float(message.ts), timezone.utc)
    actor = Person(account_id=message.user, email=user.email if user else None,
                   display_name=user.display_name if user else None)
    return [TicketEvent(ticket=key, kind=EventKind.SLACK_RESPONSE, at=at,
                        dedup_key=f"slack:{message.channel}:{message.ts}:{key}", actor=actor,
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
        return False  # unknown: cannot tell (see the module docstring)
    state = judge(load_events(session, key), rules, now)
    reporter = state.facts.get("reporter") if state else None
    return isinstance(reporter, Person) and author.same_as(reporter)


def defer(session: Session, message: MessageEvent, now: datetime) -> None:
    """Hold `message` until its author is looked up (and queue that look-up)."""
    slack_store.remember_user(session, message.user, now)
    session.merge(SlackDeferredMessage(event_id=message.event_id, user_id=message.user,
                                       message=json.dumps(dataclasses.asdict(message)), received_at=now))


def settle_deferred(db: Database, rules: Rules | RuleSchedule, now: datetime, limit: int = 200) -> int:
    """Count the held messages whose author is known now, or that waited SETTLE_AFTER; returns
    how many were settled. Safe to repeat: responses are deduplicated by message and ticket."""
    with db.reading() as session:
        held = session.execute(select(DEFERRED.c.event_id, DEFERRED.c.user_id, DEFERRED.c.message,
                                      DEFERRED.c.received_at).order_by(DEFERRED.c.received_at).limit(limit)).all()
    settled = 0
    for event_id, user_id, text, received_at in held:
        with db.reading() as session:
            user = slack_store.cached_user(session, user_id)
            if user is None and now - received_at < SETTLE_AFTER:
                continue
            events = response_events(session, MessageEvent(**json.loads(text)), user, rules, now)
        if events:
            ingest_delivery(db, SOURCE, event_id, events, rules, now)
        db.write(lambda session: session.execute(delete(DEFERRED).where(DEFERRED.c.event_id == event_id)))
        settled += 1
    if settled:
        log.info("settled %d Slack messages held for their author's look-up", settled)
    return settled
