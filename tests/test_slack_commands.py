"""The /sla slash command: ephemeral answers computed from the store, within Slack's 3 s."""
from __future__ import annotations

import time

import pytest

from tests import jira_payloads as jp
from tests.fake_slack import fake_slack  # noqa: F401
from tests.slack_helpers import at, command_body, post_jira, post_slack, slack_app  # noqa: F401

COMMANDS = "/webhooks/slack/commands"


def sla(app, clock, text: str) -> str:
    started = time.monotonic()
    answer = post_slack(app.test_client(), COMMANDS, command_body(text), clock.now)
    assert time.monotonic() - started < 3
    assert answer.status_code == 200, answer.json
    assert answer.json["response_type"] == "ephemeral"
    return answer.json["text"]


@pytest.fixture
def tickets(slack_app, clock):
    post_jira(slack_app, jp.created("ACME-1", at(0), project="ACME", summary="VPN down in Lyon"))
    clock.now = at(30)
    post_jira(slack_app, jp.created("OPS-2", at(30), project="OPS", summary="Printer <jammed>"))
    clock.now = at(95)
    return slack_app


def test_a_ticket_in_words(tickets, clock):
    text = sla(tickets, clock, "ACME-1")
    assert "*ACME-1* VPN down in Lyon" in text
    assert "first response: breached 35m ago" in text
    assert "resolution: due in 6h 25m" in text
    assert "vendor acme" in text
    assert sla(tickets, clock, "acme-1") == text  # any case
    assert "Printer &lt;jammed&gt;" in sla(tickets, clock, "OPS-2")  # escaped for mrkdwn


def test_a_paused_and_a_stopped_clock_in_words(tickets, clock):
    clock.now = at(60)
    post_jira(tickets, jp.status_changed("OPS-2", at(60), "To Do", "Waiting for customer",
                                         project="OPS", summary="Printer"))
    clock.now = at(95)
    text = sla(tickets, clock, "OPS-2")
    assert "first response: met (30m of 1h)" in text  # the agent's status change answered it
    assert "resolution: paused, 7h 30m left" in text


def test_unknown_ticket(tickets, clock):
    assert "I know no ticket NOPE-9" in sla(tickets, clock, "NOPE-9")


def test_open_breaches_all_and_per_vendor(tickets, clock):
    text = sla(tickets, clock, "breaches")
    assert "*2 tickets with open breaches*" in text
    assert "• *ACME-1* VPN down in Lyon — first response breached 35m ago" in text
    assert "• *OPS-2* Printer &lt;jammed&gt; — first response breached 5m ago" in text
    acme = sla(tickets, clock, "breaches acme")
    assert acme.startswith("*1 ticket with open breaches for acme*") and "OPS-2" not in acme
    assert sla(tickets, clock, "breaches ACME Outsourcing") == acme  # by name too
    assert sla(tickets, clock, "breaches globex").startswith("I know no vendor `globex`; the rules have: acme")


def test_no_open_breaches(slack_app, clock):
    assert sla(slack_app, clock, "breaches") == "No open breaches. :tada:"


def test_this_weeks_report_so_far(tickets, clock):
    text = sla(tickets, clock, "report")
    assert text.startswith("*This week so far*\n```")
    assert "2026-W02" in text
    assert "ACME-1" in text  # the worst breach of the week
    vendor = sla(tickets, clock, "report acme")
    assert "ACME Outsourcing" in vendor and "OPS-2" not in vendor


@pytest.mark.parametrize("text", ["", "help", "HELP", "what is this", "ACME-1 ACME-2", "breaches a b c d"])
def test_help_and_anything_not_understood(tickets, clock, text):
    answer = sla(tickets, clock, text)
    if text.startswith("breaches"):
        assert answer.startswith("I know no vendor")
        return
    assert "`/sla KEY`" in answer and "`/sla breaches [vendor]`" in answer and "`/sla report [vendor]`" in answer
    if text.lower() not in ("", "help"):
        assert answer.startswith("Sorry, I did not understand")


# ---- the pure words, table-driven --------------------------------------------------------

def _clock(state, *, elapsed=0, target=3600, due=None, breached=None, stopped=None):
    from datetime import timedelta

    from processors.sla import Clock

    return Clock(metric="first_response", cycle=1, state=state, target=timedelta(seconds=target),
                 elapsed=timedelta(seconds=elapsed), started_at=at(0), stopped_at=stopped,
                 due_at=due, breached_at=breached, paused_for=timedelta(0), calendar="always",
                 policy="standard", vendor=None, evaluated_at=at(95))


@pytest.mark.parametrize("clock_, words", [
    (_clock("running", elapsed=1800, due=at(225)), "due in 2h 10m"),
    (_clock("running", elapsed=5700, due=at(60), breached=at(60)), "breached 35m ago"),
    (_clock("running", elapsed=3599, due=at(95) + __import__("datetime").timedelta(seconds=20)), "due in under a minute"),
    (_clock("paused", elapsed=2400), "paused, 20m left"),
    (_clock("paused", elapsed=4000, breached=at(60)), "breached 35m ago, paused"),
    (_clock("stopped", elapsed=1500, stopped=at(25)), "met (25m of 1h)"),
    (_clock("stopped", elapsed=4800, breached=at(60), stopped=at(80)), "met late: stopped 20m after the breach"),
    (_clock("running", elapsed=0, target=3 * 86400 + 4 * 3600 + 60, due=at(95 + 3 * 1440 + 4 * 60 + 1)), "due in 3d 4h"),
])
def test_clock_words(clock_, words):
    from processors.slack_replies import clock_words

    assert clock_words(clock_, at(95)) == words


@pytest.mark.parametrize("yaml_text, problem", [
    ('slack:\n  response_channels: ["#ok", C0123456789]\n', None),
    ('slack:\n  response_channels: ["not a channel"]\n', "bad Slack channel 'not a channel'"),
    ('slack:\n  response_channel: ["#ok"]\n', "unknown key 'response_channel' in slack"),
    ("slack:\n  response_channels: #ok\n", "slack.response_channels is empty"),  # # starts a comment
])
def test_the_slack_section_of_the_rules(yaml_text, problem):
    from processors.rules import RulesError, parse_rules
    from tests.conftest import RULES_YAML

    if problem is None:
        parse_rules(RULES_YAML + yaml_text)
        return
    with pytest.raises(RulesError) as error:
        parse_rules(RULES_YAML + yaml_text)
    assert problem in str(error.value)
