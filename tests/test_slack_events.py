"""The Events API: a human's Slack message naming a ticket in a response channel stops its
first_response clock; bots, the reporter, other channels, messages without a known ticket key
and retried deliveries do not."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from connectors.slack_responses import SETTLE_AFTER
from scheduler import get_ticker
from store.db import get_database
from store.models import Event, SlackUser
from store.slack import save_user
from tests import jira_payloads as jp
from tests.fake_slack import channel_id, fake_slack  # noqa: F401
from tests.slack_helpers import (  # noqa: F401
    AGENT_ID, BOT_USER, REPORTER_ID, RULES, SIGNING_SECRET, SUPPORT, at, post_jira, post_slack, slack_app,
)

EVENTS = "/webhooks/slack/events"


def ts(when: datetime) -> str:
    return f"{when.timestamp():.6f}"


def message(event_id: str, text: str, *, user: str | None = AGENT_ID, channel: str = SUPPORT,
            when: datetime = at(20), **extra) -> bytes:
    event = {"type": "message", "channel": channel, "text": text, "ts": ts(when),
             "event_ts": ts(when), "channel_type": "channel", **extra}
    if user is not None:
        event["user"] = user
    return json.dumps({"token": "x", "team_id": "T111", "api_app_id": "A111", "event": event,
                       "type": "event_callback", "event_id": event_id,
                       "event_time": int(when.timestamp()), "authed_users": ["W111"]}).encode()


def deliver(app, clock, body: bytes, headers: dict | None = None):
    answer = post_slack(app.test_client(), EVENTS, body, clock.now, content_type="application/json",
                        headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json


def slack_events(app) -> list[Event]:
    with get_database(app).reading() as session:
        return list(session.scalars(select(Event).where(Event.kind == "slack_response").order_by(Event.id)))


def first_response(app) -> dict:
    return app.test_client().get("/api/tickets/ACME-1").json["clocks"][0]


@pytest.fixture
def ticket(slack_app, clock):
    post_jira(slack_app, jp.created("ACME-1", at(0), project="ACME", summary="VPN down"))
    database = get_database(slack_app)
    database.write(lambda s: save_user(s, REPORTER_ID, jp.MARIA.email, "Maria", False, at(0)))
    database.write(lambda s: save_user(s, AGENT_ID, "chen.wei@acme.example", "Chen Wei", False, at(0)))
    database.write(lambda s: save_user(s, BOT_USER, None, "deploybot", True, at(0)))
    clock.now = at(21)
    return slack_app


def test_url_verification_is_answered_with_the_challenge(slack_app, clock):
    body = json.dumps({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "type": "url_verification",
                       "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}).encode()
    assert deliver(slack_app, clock, body) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_a_vendor_answer_in_slack_stops_first_response(ticket, clock):
    assert first_response(ticket)["state"] == "running"
    assert deliver(ticket, clock, message("Ev1", "ACME-1 looking into it now")) == {"status": "ok", "events": 1}
    clock_json = first_response(ticket)
    assert (clock_json["state"], clock_json["stopped_at"]) == ("stopped", "2026-01-05T12:20:00Z")
    [event] = slack_events(ticket)
    assert (event.source, event.dedup_key) == ("slack", f"slack:{SUPPORT}:{ts(at(20))}:ACME-1")
    assert json.loads(event.payload)["actor"] == {"account_id": AGENT_ID, "email": "chen.wei@acme.example",
                                                  "display_name": "Chen Wei"}


@pytest.mark.parametrize("case, body", [
    ("bot_id", message("Ev2", "ACME-1 deployed", bot_id="B0123")),
    ("bot_message", message("Ev2", "ACME-1 deployed", user=None, subtype="bot_message", bot_id="B0123")),
    ("edited", message("Ev2", "ACME-1 on it", subtype="message_changed")),
    ("bot user", message("Ev2", "ACME-1 deployed", user=BOT_USER)),
    ("reporter", message("Ev2", "ACME-1 still broken!", user=REPORTER_ID)),
    ("no key", message("Ev2", "looking into the VPN now")),
    ("unknown ticket", message("Ev2", "NOPE-1 looking into it")),
    ("other channel", message("Ev2", "ACME-1 looking into it", channel="C0RANDOM01")),
])
def test_messages_that_do_not_count(ticket, clock, case, body):
    assert deliver(ticket, clock, body) == {"status": "ok", "events": 0}
    assert slack_events(ticket) == []
    assert first_response(ticket)["state"] == "running"


def test_a_retried_or_repeated_event_has_no_second_effect(ticket, clock):
    body = message("Ev3", "ACME-1 on it")
    assert deliver(ticket, clock, body)["events"] == 1
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert deliver(ticket, clock, body, retry) == {"status": "duplicate"}
    assert deliver(ticket, clock, body) == {"status": "duplicate"}
    assert deliver(ticket, clock, message("Ev3-other-id", "ACME-1 on it"))["events"] == 0  # same message
    assert len(slack_events(ticket)) == 1


def test_an_author_not_yet_in_the_user_cache_waits_for_the_lookup(ticket, clock, fake_slack):
    agent = fake_slack.add_user("new.agent@acme.example", "U0NEWUSER1")
    assert deliver(ticket, clock, message("Ev4", "ACME-1: checking", user=agent)) == {"status": "deferred",
                                                                                      "events": 0}
    with get_database(ticket).reading() as session:
        user = session.get(SlackUser, agent)
    assert user is not None and user.looked_up_at is None  # queued for users.info
    assert slack_events(ticket) == [] and first_response(ticket)["state"] == "running"
    assert deliver(ticket, clock, message("Ev4", "ACME-1: checking", user=agent)) == {"status": "duplicate"}
    clock.now = at(22)
    assert get_ticker(ticket).tick() == []  # users.info, then the held message counts, at its own time
    assert first_response(ticket)["stopped_at"] == "2026-01-05T12:20:00Z"
    assert [json.loads(e.payload)["actor"]["email"] for e in slack_events(ticket)] == ["new.agent@acme.example"]


def test_without_a_bot_token_an_unknown_author_counts_at_once(make_app, db_url, rules_path, clock):
    rules_path.write_text(RULES, encoding="utf-8")
    clock.now = at(0)
    app = make_app(db_url, SLACK_SIGNING_SECRET=SIGNING_SECRET)  # no SLACK_BOT_TOKEN: no users.info
    post_jira(app, jp.created("ACME-1", at(0), project="ACME"))
    clock.now = at(21)
    assert deliver(app, clock, message("Ev4b", "ACME-1: checking", user="U0NEWUSER2")) == {"status": "ok",
                                                                                          "events": 1}


def test_a_held_message_counts_when_users_info_keeps_failing(ticket, clock, fake_slack):
    assert deliver(ticket, clock, message("Ev4c", "ACME-1: checking", user="U0GHOST001"))["status"] == "deferred"
    fake_slack.fail_next("users.info", status=500, times=100)
    clock.now = at(25)
    assert get_ticker(ticket).tick() == ["slack_users"]  # Slack is down: the author stays unknown
    assert slack_events(ticket) == []
    clock.now = at(21) + SETTLE_AFTER
    get_ticker(ticket).tick()
    assert first_response(ticket)["stopped_at"] == "2026-01-05T12:20:00Z"  # counted, as without a token


def test_a_channel_named_in_the_rules_counts_once_its_id_is_known(ticket, clock, fake_slack):
    body = message("Ev5", "ACME-1 on it", channel=channel_id("#acme-sla"), when=at(70))
    clock.now = at(71)
    assert deliver(ticket, clock, body)["events"] == 0  # nothing posted there yet: id unknown
    clock.now = at(61)
    assert get_ticker(ticket).tick() == []  # the breach alert goes to #acme-sla
    clock.now = at(72)
    assert deliver(ticket, clock, message("Ev6", "ACME-1 on it", channel=channel_id("#acme-sla"),
                                          when=at(71)))["events"] == 1
    assert first_response(ticket)["stopped_at"] == "2026-01-05T13:11:00Z"


def test_two_tickets_in_one_message(ticket, clock):
    post_jira(ticket, jp.created("ACME-2", at(5), project="ACME"))
    assert deliver(ticket, clock, message("Ev7", "ACME-1 and ACME-2 are the same VPN issue"))["events"] == 2


def test_the_scheduler_looks_up_unknown_authors_so_that_the_reporter_is_recognised(slack_app, clock, fake_slack):
    post_jira(slack_app, jp.created("ACME-1", at(0), project="ACME"))
    post_jira(slack_app, jp.created("ACME-2", at(0), project="ACME"))
    maria = fake_slack.add_user(jp.MARIA.email, "U0MARIA099")
    bot = fake_slack.add_bot("U0DEPLOY99", "deploybot")
    clock.now = at(10)
    # not in the cache yet: held until users.info says who they are (docs/slack.md)
    assert deliver(slack_app, clock, message("Ev8", "ACME-1 still down", user=maria, when=at(9)))["status"] == "deferred"
    assert deliver(slack_app, clock, message("Ev9", "ACME-1 ping", user=bot, when=at(8)))["status"] == "deferred"
    assert get_ticker(slack_app).tick() == []  # users.info for both, outside any request
    assert len(fake_slack.calls("users.info")) == 2
    assert slack_events(slack_app) == []  # the reporter's and the bot's messages were no response
    assert deliver(slack_app, clock, message("Ev10", "ACME-2 also down", user=maria))["events"] == 0
    assert deliver(slack_app, clock, message("Ev11", "ACME-2 ping", user=bot))["events"] == 0
    with get_database(slack_app).reading() as session:
        cached = session.get(SlackUser, maria)
    assert (cached.email, cached.is_bot) == (jp.MARIA.email, False)
    assert get_ticker(slack_app).tick() == []
    assert len(fake_slack.calls("users.info")) == 2  # looked up once
