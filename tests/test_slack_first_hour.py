"""Slack answers a new install meets early: the Acknowledge button on a breach Slawatch does not
have (answered like the excuse form, nothing stored), and `/sla breaches` marking an excused breach."""
from __future__ import annotations

from sqlalchemy import select

from store.db import get_database
from store.models import Acknowledgement, OutboxMessage
from tests.fake_slack import fake_slack  # noqa: F401
from tests.slack_helpers import at, command_body, post_slack, slack_app  # noqa: F401
from tests.test_slack_interactions import BREACH, breached, click, submit  # noqa: F401


def acks(app) -> list[str]:
    with get_database(app).reading() as session:
        return list(session.scalars(select(Acknowledgement.alert_key)))


def outbox_keys(app) -> list[str]:
    with get_database(app).reading() as session:
        return list(session.scalars(select(OutboxMessage.key).order_by(OutboxMessage.id)))


def test_acknowledge_on_a_key_that_names_no_breach_stores_nothing(breached, clock):
    before = outbox_keys(breached)
    answer = click(breached, clock, "ack_breach", value="alert:ACME-404:first_response:1:breach")
    assert answer.status_code == 200
    assert answer.json == {"response_type": "ephemeral", "text": (
        "Slawatch no longer has this SLA clock (the ticket changed or was deleted); nothing was acknowledged.")}
    assert acks(breached) == [] and outbox_keys(breached) == before
    assert click(breached, clock, "ack_breach").status_code == 200  # the real one still works
    assert acks(breached) == [BREACH]


def sla_breaches(app, clock) -> str:
    return post_slack(app.test_client(), "/webhooks/slack/commands", command_body("breaches"), clock.now).json["text"]


def test_sla_breaches_marks_an_excused_breach(breached, clock):
    assert "— first response breached 5m ago\n" in sla_breaches(breached, clock) + "\n"
    clock.now = at(70)
    assert submit(breached, clock, "Power cut at the Lyon office").status_code == 200
    assert "• *ACME-1* VPN down — first response breached 10m ago (excused)" in sla_breaches(breached, clock)
