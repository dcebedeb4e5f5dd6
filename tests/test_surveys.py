"""Satisfaction surveys: opened when a ticket is resolved, answered in Slack (a DM with
buttons, when the reporter's email is a Slack user's) or on the web form, changeable until
they expire, and counted in the quarterly scorecards."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from processors.periods import local_day, quarter_of
from scheduler import get_ticker
from store.db import get_database
from store.history import quarterly_scorecards
from store.models import Survey
from store.rulebook import get_rulebook
from tests import jira_payloads as jp
from tests.fake_slack import channel_id, fake_slack  # noqa: F401
from tests.slack_helpers import (  # noqa: F401
    RULES, SIGNING_SECRET, T0, at, command_body, payload_body, post_jira, post_slack,
)

SURVEY_RULES = RULES + """\
surveys:
  enabled: true
  expire_after: 7d
  form_url: "https://slawatch.example.com"
"""
MARIA_SLACK = "U0MARIA099"
ZED = jp.user("Zed Outside", email="zed@elsewhere.example")


@pytest.fixture
def app(make_app, db_url, rules_path, fake_slack, clock):  # noqa: F811
    rules_path.write_text(SURVEY_RULES, encoding="utf-8")
    clock.now = T0
    fake_slack.add_user(jp.MARIA.email, MARIA_SLACK)
    return make_app(db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url,
                    SLACK_SIGNING_SECRET=SIGNING_SECRET)


def resolve(app, clock, key: str, reporter=jp.MARIA) -> None:
    clock.now = at(0)
    post_jira(app, jp.created(key, at(0), project="ACME", reporter=reporter))
    clock.now = at(30)
    post_jira(app, jp.resolved(key, at(30), project="ACME", reporter=reporter))
    clock.now = at(31)
    assert get_ticker(app).tick() == []


def surveys(app) -> dict[str, Survey]:
    with get_database(app).reading() as session:
        return {s.ticket: s for s in session.scalars(select(Survey))}


def click(app, clock, action_id: str, token: str, user: str = MARIA_SLACK):
    payload = {"type": "block_actions", "user": {"id": user, "username": "maria"}, "trigger_id": "1.2.3",
               "container": {"type": "message", "message_ts": "1.2", "channel_id": "D0MARIA001"},
               "actions": [{"action_id": action_id, "value": token, "type": "button"}]}
    answer = post_slack(app.test_client(), "/webhooks/slack/interactions", payload_body(payload), clock.now)
    assert answer.status_code == 200
    return answer.json["text"]


def test_a_reporter_in_slack_gets_a_dm_and_answers_with_buttons(app, clock, fake_slack):
    resolve(app, clock, "ACME-1")
    survey = surveys(app)["ACME-1"]
    assert (survey.via, survey.slack_user, survey.reporter_email) == ("slack", MARIA_SLACK, jp.MARIA.email)
    [dm] = [m for m in fake_slack.messages() if m["metadata"]["event_payload"]["key"] == "survey:ACME-1:1"]
    assert dm["channel"] == channel_id(MARIA_SLACK)
    buttons = [e["action_id"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [f"survey:{q}:{n}" for q in ("csat", "communication") for n in range(1, 6)]
    assert "Thank you! You answered 5 of 5" in click(app, clock, "survey:csat:5", survey.token)
    click(app, clock, "survey:communication:3", survey.token)
    click(app, clock, "survey:csat:4", survey.token)  # changed
    assert "someone else" in click(app, clock, "survey:csat:1", survey.token, user="U0SOMEONE1")
    assert "does not know this survey" in click(app, clock, "survey:csat:1", "no-such-token")
    answered = surveys(app)["ACME-1"]
    assert (answered.csat, answered.communication, answered.answered_at) == (4, 3, at(31))
    clock.now = at(32)
    assert get_ticker(app).tick() == []  # the DM is updated to show the answers
    [dm] = [m for m in fake_slack.messages() if m["metadata"]["event_payload"]["key"] == "survey:ACME-1:1"]
    chosen = [e["action_id"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]
              if e.get("style") == "primary"]
    assert chosen == ["survey:csat:4", "survey:communication:3"] and "Thank you" in json.dumps(dm["blocks"])

    rules = get_rulebook(app).rules
    with get_database(app).reading() as session:
        cards = quarterly_scorecards(session, rules, quarter_of(local_day(clock.now, "UTC"), "UTC"), clock.now)
    [card] = [c for c in cards.cards if c.vendor == "acme"]
    assert (card.satisfaction["csat"].answered, card.satisfaction["csat"].positive) == (1, 1)
    assert (card.satisfaction["communication"].answered, card.satisfaction["communication"].positive) == (1, 0)

    text = post_slack(app.test_client(), "/webhooks/slack/commands", command_body("ACME-1"), clock.now).json["text"]
    assert "Survey (cycle 1): answered — satisfaction 4/5, communication 3/5" in text

    clock.now = at(31 + 7 * 24 * 60)
    assert "closed" in click(app, clock, "survey:csat:1", survey.token)
    assert surveys(app)["ACME-1"].csat == 4


def test_a_reporter_outside_slack_answers_on_the_web_form(app, clock, fake_slack):
    resolve(app, clock, "ACME-2", reporter=ZED)
    survey = surveys(app)["ACME-2"]
    assert (survey.via, survey.slack_user) == ("web", None)
    assert not [m for m in fake_slack.messages() if "survey" in m["metadata"]["event_payload"]["key"]]
    text = post_slack(app.test_client(), "/webhooks/slack/commands", command_body("ACME-2"), clock.now).json["text"]
    link = f"https://slawatch.example.com/survey/{survey.token}"
    assert link in text  # managers can pass the link on
    client = app.test_client()
    form = client.get(f"/survey/{survey.token}")
    assert form.status_code == 200 and "How did we do on ACME-2?" in form.text
    assert len(re.findall(r'type="radio"', form.text)) == 10
    assert client.post(f"/survey/{survey.token}", data={"csat": "5", "communication": "4"}).status_code == 200
    assert client.post(f"/survey/{survey.token}", data={"csat": "2"}).status_code == 200  # changed
    assert client.post(f"/survey/{survey.token}", data={"csat": "9"}).status_code == 400
    assert client.post(f"/survey/{survey.token}", data={}).status_code == 400
    assert client.get("/survey/not-a-token").status_code == 404
    answered = surveys(app)["ACME-2"]
    assert (answered.csat, answered.communication) == (2, 4)
    assert 'value="2" checked' in client.get(f"/survey/{survey.token}").text
    clock.now = at(31 + 7 * 24 * 60)
    assert client.get(f"/survey/{survey.token}").status_code == 410
    assert client.post(f"/survey/{survey.token}", data={"csat": "1"}).status_code == 410
    assert surveys(app)["ACME-2"].csat == 2


def test_one_survey_per_ticket_and_cycle_and_none_when_disabled(app, clock, make_app, db_url, rules_path):
    resolve(app, clock, "ACME-3")
    for _ in range(2):
        assert get_ticker(app).tick() == []
    assert len(surveys(app)) == 1
    rules_path.write_text(RULES, encoding="utf-8")  # surveys not enabled
    other = make_app(db_url)
    clock.now = at(0)
    post_jira(other, jp.created("ACME-4", at(0), project="ACME"))
    clock.now = at(30)
    post_jira(other, jp.resolved("ACME-4", at(30), project="ACME"))
    clock.now = at(31)
    assert get_ticker(other).tick() == []
    assert "ACME-4" not in surveys(other)
