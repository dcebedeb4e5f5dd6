"""A hand-off clock's breach in Slack (issue #11): the message names the hand-off instant and who
made it; warnings and the breach of the new metrics go out like the others; a clock that ends by a
hand-away after its breach is reported as handed away. Real database, real WebClient, fake Slack."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.fake_slack import channel_id, fake_slack  # noqa: F401  (the fixture)
from tests.jira_payloads import JiraTicket, user
from tests.test_scheduler_alerts import alerts_posted, key_of, post, tick_at

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
ANNA, DORA = user("Anna Acme"), user("Dora Desk")
RULES = """\
version: 1
calendars:
  always: 24x7
vendors:
  acme:
    name: ACME Outsourcing
    match: {assignees: [Anna Acme]}
    channel: "#acme-sla"
policies:
  - name: provider
    measure: handoff
    calendar: always
    metrics:
      first_response: {target: 1h, warn_at: [50%]}
      periodic_update: 2h
alerts:
  channel: "#sla-alerts"
"""


@pytest.fixture
def slack_app(make_app, db_url, rules_path, fake_slack, clock):
    rules_path.write_text(RULES, encoding="utf-8")
    clock.now = T0
    return make_app(db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url)


def test_breach_of_a_hand_off_clock_names_the_hand_off(slack_app, clock, fake_slack):
    ticket = JiraTicket("OPS-1", T0, summary="VPN down")
    post(slack_app, ticket.created())
    tick_at(slack_app, clock, T0 + timedelta(hours=3))  # with the desk: no clock, no alert
    assert alerts_posted(fake_slack) == []
    clock.now = T0 + timedelta(hours=3)
    post(slack_app, ticket.assigned(clock.now, ANNA, actor=DORA))
    tick_at(slack_app, clock, T0 + timedelta(hours=3, minutes=31))
    tick_at(slack_app, clock, T0 + timedelta(hours=4, minutes=1))
    clock.now = T0 + timedelta(hours=4, minutes=10)
    post(slack_app, ticket.commented(clock.now, ANNA))
    tick_at(slack_app, clock, T0 + timedelta(hours=6, minutes=11))  # no update for 2h: breached
    clock.now = T0 + timedelta(hours=6, minutes=30)
    post(slack_app, ticket.assigned(clock.now, DORA, actor=ANNA))  # handed back to the desk
    tick_at(slack_app, clock, T0 + timedelta(hours=6, minutes=31))

    messages = alerts_posted(fake_slack)
    assert [key_of(m) for m in messages] == [
        "alert:OPS-1:first_response:1:warn-50",
        "alert:OPS-1:first_response:1:breach",
        "alert:OPS-1:first_response:1:resolved-late",
        "alert:OPS-1:periodic_update:1:breach",
        "alert:OPS-1:periodic_update:1:resolved-late",
    ]
    breach = messages[1]
    assert breach["channel"] == channel_id("#acme-sla")
    assert "handed off to ACME Outsourcing Mon 5 Jan 12:00 UTC by Dora Desk" in str(breach["blocks"])
    assert "periodic update" in str(messages[3]["blocks"])
    assert "Handed away" in messages[4]["text"] and "Resolved" in messages[2]["text"]


@pytest.fixture
def sla_app(make_app, db_url, rules_path, fake_slack, clock):
    from tests.slack_helpers import SIGNING_SECRET

    rules_path.write_text(RULES, encoding="utf-8")
    clock.now = T0
    return make_app(db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url,
                    SLACK_SIGNING_SECRET=SIGNING_SECRET)


def test_sla_command_explains_whose_clock_it_is(sla_app, clock):
    from tests.slack_helpers import command_body, post_slack

    ticket = JiraTicket("OPS-1", T0, summary="VPN down")
    post(sla_app, ticket.created())
    clock.now = T0 + timedelta(hours=3)
    post(sla_app, ticket.assigned(clock.now, ANNA, actor=DORA))
    clock.now = T0 + timedelta(hours=4, minutes=30)
    post(sla_app, ticket.assigned(clock.now, DORA, actor=ANNA))
    answer = post_slack(sla_app.test_client(), "/webhooks/slack/commands", command_body("OPS-1"), clock.now)
    assert answer.status_code == 200, answer.json
    assert ("• first response: met late: stopped 30m after the breach — acme's since the hand-off at "
            "2026-01-05T12:00:00Z by Dora Desk, ended by a hand-away") in answer.json["text"]


def test_ticket_page_draws_each_clock_with_its_hand_off(make_app, db_url, rules_path, clock):
    rules_path.write_text(RULES, encoding="utf-8")
    app = make_app(db_url)
    ticket = JiraTicket("OPS-1", T0, summary="VPN down")
    clock.now = T0
    post(app, ticket.created())
    clock.now = T0 + timedelta(hours=3)
    post(app, ticket.assigned(clock.now, ANNA, actor=DORA))
    clock.now = T0 + timedelta(hours=4, minutes=30)
    post(app, ticket.assigned(clock.now, DORA, actor=ANNA))
    tick_at(app, clock, T0 + timedelta(hours=5))  # the worker recomputes the ticket's clocks
    response = app.test_client().get("/tickets/OPS-1")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "to ACME Outsourcing at" in body and "by Dora Desk (measured from the hand-off)" in body
    assert ", by a hand-away" in body
    [bar] = [part for part in body.split('<svg class="chart timeline"')[1:]]
    assert 'class="handoff"' in bar and 'class="over-target"' in bar and 'class="breach"' in bar
    assert "<title>hand-away, 2026-01-05 13:30 UTC</title>" in bar
    assert "<title>hand-off to ACME Outsourcing by Dora Desk, 2026-01-05 12:00 UTC</title>" in bar
    # the bar spans 12:00-13:30 on the page's axis, 09:00 (creation) to 13:30 (the last clock's end):
    # x = 8 + 624 * 3/4.5, width = 624 * 1.5/4.5
    assert 'x="424.0"' in bar and 'width="208.0"' in bar
