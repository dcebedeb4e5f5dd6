"""The buttons on a breach alert (Acknowledge, Excuse…), the excuse form, un-excuse; and what
excusing does to the weekly summary."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from processors.periods import local_day, week_of
from scheduler import get_ticker
from store.db import get_database
from store.history import weekly_summary
from store.models import Acknowledgement, ExcuseAudit, ExcusedBreach
from store.rulebook import get_rulebook
from tests import jira_payloads as jp
from tests.fake_slack import channel_id, fake_slack  # noqa: F401
from tests.slack_helpers import (  # noqa: F401
    MANAGER, at, command_body, outbox_rows, payload_body, post_jira, post_slack, slack_app,
)

INTERACTIONS = "/webhooks/slack/interactions"
BREACH = "alert:ACME-1:first_response:1:breach"


def click(app, clock, action_id: str, value: str = BREACH, user: str = MANAGER, message_ts: str = "1.2"):
    payload = {
        "type": "block_actions", "user": {"id": user, "username": "boss", "team_id": "T111"},
        "api_app_id": "A111", "token": "x", "trigger_id": "111.222.valid",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id("#acme-sla")},
        "channel": {"id": channel_id("#acme-sla"), "name": "acme-sla"},
        "message": {"ts": message_ts, "text": "SLA breached"},
        "actions": [{"action_id": action_id, "block_id": f"breach:{value}", "value": value,
                     "type": "button", "action_ts": "1596530385.194939"}],
    }
    return post_slack(app.test_client(), INTERACTIONS, payload_body(payload), clock.now)


def submit(app, clock, reason: str | None, key: str = BREACH, user: str = MANAGER):
    state = {"reason": {"reason": {"type": "plain_text_input", "value": reason}}}
    payload = {"type": "view_submission", "user": {"id": user, "username": "boss"},
               "view": {"id": "V1", "callback_id": "excuse_breach", "private_metadata": key,
                        "state": {"values": state}}}
    return post_slack(app.test_client(), INTERACTIONS, payload_body(payload), clock.now)


def tick(app, clock, minutes: float) -> None:
    clock.now = at(minutes)
    assert get_ticker(app).tick() == []


def posted(fake, key: str) -> dict:
    return next(m for m in fake.messages() if m["metadata"]["event_payload"]["key"] == key)


@pytest.fixture
def breached(slack_app, clock, fake_slack):
    """ACME-1's first response breached at 13:00 and alerted in #acme-sla."""
    post_jira(slack_app, jp.created("ACME-1", at(0), project="ACME", summary="VPN down"))
    tick(slack_app, clock, 61)
    alert = posted(fake_slack, BREACH)
    assert [e["action_id"] for e in alert["blocks"][-1]["elements"]] == ["ack_breach", "excuse_breach"]
    clock.now = at(65)
    return slack_app


def test_acknowledge_records_updates_the_alert_replies_and_stops_escalation(breached, clock, fake_slack):
    answer = click(breached, clock, "ack_breach")
    assert answer.status_code == 200
    with get_database(breached).reading() as session:
        ack = session.get(Acknowledgement, BREACH)
    assert (ack.by, ack.at, ack.kind) == (MANAGER, at(65), "ack")
    assert fake_slack.calls("chat.update") == []  # nothing is sent during the request
    tick(breached, clock, 66)
    alert = posted(fake_slack, BREACH)
    assert alert.get("edited") is True
    shown = json.dumps(alert["blocks"])
    assert f"Acknowledged by <@{MANAGER}>" in shown
    assert [e["action_id"] for e in alert["blocks"][-1]["elements"]] == ["excuse_breach"]
    reply = posted(fake_slack, "alert:ACME-1:first_response:1:ack")
    assert reply["thread_ts"] == alert["ts"] and f"<@{MANAGER}>" in reply["text"]
    tick(breached, clock, 95)  # 35 minutes after the breach: acknowledged, so no escalation
    keys = [m["metadata"]["event_payload"]["key"] for m in fake_slack.messages()]
    assert "alert:ACME-1:first_response:1:escalation" not in keys


def test_acknowledging_twice_changes_nothing(breached, clock, fake_slack):
    click(breached, clock, "ack_breach")
    clock.now = at(67)
    assert click(breached, clock, "ack_breach", user="U0SOMEONE2").status_code == 200
    with get_database(breached).reading() as session:
        ack = session.get(Acknowledgement, BREACH)
    assert (ack.by, ack.at) == (MANAGER, at(65))
    tick(breached, clock, 68)
    assert len(fake_slack.calls("chat.update")) == 1
    assert len([k for k in outbox_rows(breached) if k.endswith(":ack")]) == 2  # reply + update


def this_week(app, clock):
    rules = get_rulebook(app).rules
    period = week_of(local_day(clock.now, "UTC"), "UTC")
    with get_database(app).reading() as session:
        return weekly_summary(session, rules, period, clock.now).overall.metrics["first_response"]


def test_excuse_opens_a_form_and_its_submission_excuses_the_breach(breached, clock, fake_slack):
    before = this_week(breached, clock)
    assert (before.counted, before.met, before.excused) == (1, 0, 0)

    assert click(breached, clock, "excuse_breach").status_code == 200
    [opened] = fake_slack.calls("views.open")
    view = json.loads(opened.body["view"]) if isinstance(opened.body["view"], str) else opened.body["view"]
    assert opened.body["trigger_id"] == "111.222.valid"
    assert (view["callback_id"], view["private_metadata"]) == ("excuse_breach", BREACH)

    clock.now = at(70)
    assert submit(breached, clock, "  Power cut at the Lyon office  ").status_code == 200
    with get_database(breached).reading() as session:
        excused = session.get(ExcusedBreach, BREACH)
        trail = list(session.scalars(select(ExcuseAudit)))
        ack = session.get(Acknowledgement, BREACH)
    assert (excused.by, excused.at, excused.reason) == (MANAGER, at(70), "Power cut at the Lyon office")
    assert [(a.action, a.by, a.reason) for a in trail] == [("excuse", MANAGER, "Power cut at the Lyon office")]
    assert ack.kind == "excuse"  # an excused breach is acknowledged too: no escalation

    after = this_week(breached, clock)
    assert (after.counted, after.met, after.excused) == (0, 0, 1)

    tick(breached, clock, 71)
    note = next(m for m in fake_slack.messages() if ":excuse:" in m["metadata"]["event_payload"]["key"])
    alert = posted(fake_slack, BREACH)
    assert note["thread_ts"] == alert["ts"] and "Power cut" in note["text"]
    assert f"Excused by <@{MANAGER}>: Power cut at the Lyon office" in json.dumps(alert["blocks"])
    assert not [b for b in alert["blocks"] if b["type"] == "actions"]  # nothing left to click

    text = post_slack(breached.test_client(), "/webhooks/slack/commands", command_body("ACME-1"), clock.now).json["text"]
    assert f"first response: breached 11m ago — _excused by <@{MANAGER}>: Power cut at the Lyon office_" in text
    assert "Excuse history:" in text
    api = breached.test_client().get("/api/tickets/ACME-1").json
    assert api["excuses"] == [{"metric": "first_response", "cycle": 1, "action": "excuse", "by": MANAGER,
                               "at": "2026-01-05T13:10:00Z", "reason": "Power cut at the Lyon office"}]


def test_unexcuse_makes_the_breach_count_again_and_keeps_the_trail(breached, clock, fake_slack):
    submit(breached, clock, "Power cut")
    assert this_week(breached, clock).excused == 1
    clock.now = at(80)
    unexcuse = command_body("unexcuse ACME-1 first_response", user_id="U0OTHERMGR")
    answer = post_slack(breached.test_client(), "/webhooks/slack/commands", unexcuse, clock.now)
    assert "withdrawn" in answer.json["text"]
    week = this_week(breached, clock)
    assert (week.counted, week.excused) == (1, 0)
    tick(breached, clock, 81)
    alert = posted(fake_slack, BREACH)
    shown = json.dumps(alert["blocks"])
    assert "Excused by" not in shown and f"Acknowledged by <@{MANAGER}> (by excusing it)" in shown
    assert [e["action_id"] for e in alert["blocks"][-1]["elements"]] == ["excuse_breach"]  # again
    replies = [m["text"] for m in fake_slack.messages() if m.get("thread_ts") == alert["ts"]]
    assert replies[-1] == "Excuse withdrawn by <@U0OTHERMGR>"
    again = post_slack(breached.test_client(), "/webhooks/slack/commands", unexcuse, clock.now)
    assert "is not excused" in again.json["text"]
    api = breached.test_client().get("/api/tickets/ACME-1").json
    assert [(e["action"], e["by"]) for e in api["excuses"]] == [("excuse", MANAGER), ("unexcuse", "U0OTHERMGR")]
    assert "withdrew the excuse" in post_slack(breached.test_client(), "/webhooks/slack/commands",
                                               command_body("ACME-1"), clock.now).json["text"]


def test_an_excuse_needs_a_reason(breached, clock):
    answer = submit(breached, clock, "   ")
    assert answer.status_code == 200
    assert answer.json == {"response_action": "errors", "errors": {"reason": "Please say why this breach is excused."}}
    with get_database(breached).reading() as session:
        assert session.get(ExcusedBreach, BREACH) is None


@pytest.mark.parametrize("action_id, value", [
    ("some_other_button", BREACH), ("ack_breach", "not-an-alert-key"),
    ("excuse_breach", "alert:ACME-1:first_response:1:warn-50"),
])
def test_unknown_buttons_get_a_polite_answer_and_change_nothing(breached, clock, action_id, value):
    answer = click(breached, clock, action_id, value=value)
    assert answer.status_code == 200 and answer.json["response_type"] == "ephemeral"
    assert BREACH + ":ack" not in "".join(outbox_rows(breached))
    with get_database(breached).reading() as session:
        assert session.get(Acknowledgement, BREACH) is None


def test_other_interaction_types_get_a_polite_answer(breached, clock):
    body = payload_body({"type": "message_action", "user": {"id": MANAGER}})
    answer = post_slack(breached.test_client(), INTERACTIONS, body, clock.now)
    assert answer.status_code == 200 and "does not handle" in answer.json["text"]


def test_when_slack_does_not_open_the_form_the_manager_is_told(breached, clock, fake_slack):
    fake_slack.fail_next("views.open", status=200, error="expired_trigger_id")
    answer = click(breached, clock, "excuse_breach")
    assert answer.status_code == 200 and "try again" in answer.json["text"]


def test_acknowledged_then_excused_shows_both(breached, clock, fake_slack):
    click(breached, clock, "ack_breach")
    submit(breached, clock, "Upstream outage")
    tick(breached, clock, 66)
    shown = json.dumps(posted(fake_slack, BREACH)["blocks"])
    assert f"Acknowledged by <@{MANAGER}>" in shown and "Excused by" in shown and "Upstream outage" in shown
    with get_database(breached).reading() as session:
        assert session.get(Acknowledgement, BREACH).kind == "ack"  # the acknowledgement stands
