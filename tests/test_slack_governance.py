"""Who may do what on a breach alert (web/slack_disputes.py), through real signed Slack requests
and the fake Slack: acknowledge, excuse, un-excuse, and a vendor manager's dispute that only an
approver's Approve turns into an excuse. Refused clicks are answered ephemerally and change
nothing."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from store.db import get_database
from store.models import Acknowledgement, Dispute, ExcuseAudit, ExcusedBreach, OutboxMessage
from tests.fake_slack import fake_slack  # noqa: F401
from tests.slack_helpers import (  # noqa: F401
    ACME_MANAGER, AGENT_ID, MANAGER, RULES, at, command_body, outbox_rows, post_slack, slack_app,
)
from tests.test_slack_interactions import BREACH, breached, click, posted, submit, this_week, tick  # noqa: F401

STRANGER, ADMIN = "U0NOBODY01", "U0ADMIN001"
COMMANDS = "/webhooks/slack/commands"


def state(app) -> tuple:
    """Everything an action may change: acknowledgements, excuses, audit, disputes, outbox."""
    with get_database(app).reading() as session:
        return tuple(session.scalar(select(func.count()).select_from(table))
                     for table in (Acknowledgement, ExcusedBreach, ExcuseAudit, Dispute, OutboxMessage))


def dispute_form_submit(app, clock, reason: str, user: str = ACME_MANAGER):
    from tests.slack_helpers import payload_body

    values = {"reason": {"reason": {"type": "plain_text_input", "value": reason}}}
    payload = {"type": "view_submission", "user": {"id": user, "username": "acme-boss"},
               "view": {"id": "V2", "callback_id": "dispute_breach", "private_metadata": BREACH,
                        "state": {"values": values}}}
    return post_slack(app.test_client(), "/webhooks/slack/interactions", payload_body(payload), clock.now)


def test_a_stranger_may_not_acknowledge(breached, clock):
    before = state(breached)
    answer = click(breached, clock, "ack_breach", user=STRANGER)
    assert answer.json["response_type"] == "ephemeral"
    assert "Only ACME Outsourcing's managers and staff, approvers and admins" in answer.json["text"]
    assert state(breached) == before


@pytest.mark.parametrize("user", [AGENT_ID, ACME_MANAGER, MANAGER])
def test_staff_managers_and_approvers_acknowledge(breached, clock, user):
    assert click(breached, clock, "ack_breach", user=user).status_code == 200
    with get_database(breached).reading() as session:
        assert session.get(Acknowledgement, BREACH).by == user


@pytest.mark.parametrize("user", [STRANGER, AGENT_ID])
def test_only_approvers_may_excuse(breached, clock, fake_slack, user):  # noqa: F811
    before = state(breached)
    answer = click(breached, clock, "excuse_breach", user=user)
    assert "Only approvers and admins" in answer.json["text"] and fake_slack.calls("views.open") == []
    forged = submit(breached, clock, "I say so", user=user)  # a form opened before a rules edit
    assert forged.json["response_action"] == "errors" and "Only approvers" in forged.json["errors"]["reason"]
    unexcuse = post_slack(breached.test_client(), COMMANDS,
                          command_body("unexcuse ACME-1 first_response", user_id=user), clock.now)
    assert "Only approvers and admins" in unexcuse.json["text"]
    assert state(breached) == before


def test_an_admin_excuses(breached, clock, fake_slack):  # noqa: F811
    assert click(breached, clock, "excuse_breach", user=ADMIN).status_code == 200
    [opened] = fake_slack.calls("views.open")
    view = json.loads(opened.body["view"]) if isinstance(opened.body["view"], str) else opened.body["view"]
    assert view["callback_id"] == "excuse_breach"
    assert submit(breached, clock, "Planned maintenance", user=ADMIN).status_code == 200
    with get_database(breached).reading() as session:
        assert (session.get(ExcusedBreach, BREACH).by, session.get(ExcusedBreach, BREACH).reason) == (
            ADMIN, "Planned maintenance")
    assert this_week(breached, clock).excused == 1


def test_a_vendor_manager_disputes_and_an_approver_approves(breached, clock, fake_slack):  # noqa: F811
    assert click(breached, clock, "excuse_breach", user=ACME_MANAGER).status_code == 200
    [opened] = fake_slack.calls("views.open")
    view = json.loads(opened.body["view"]) if isinstance(opened.body["view"], str) else opened.body["view"]
    assert (view["callback_id"], view["private_metadata"]) == ("dispute_breach", BREACH)

    clock.now = at(70)
    assert dispute_form_submit(breached, clock, "Jira was down 12:10-12:50").status_code == 200
    assert this_week(breached, clock).excused == 0  # a dispute excuses nothing by itself
    again = dispute_form_submit(breached, clock, "again")
    assert "open dispute already" in again.json["errors"]["reason"]
    with get_database(breached).reading() as session:
        dispute = session.scalars(select(Dispute)).one()
    assert (dispute.by, dispute.state, dispute.reason) == (ACME_MANAGER, "open", "Jira was down 12:10-12:50")

    tick(breached, clock, 71)
    alert = posted(fake_slack, BREACH)
    message = posted(fake_slack, f"{BREACH}:dispute:{dispute.id}")
    assert message["thread_ts"] == alert["ts"] and f"<@{ACME_MANAGER}> disputes this breach" in message["text"]
    buttons = [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["dispute_approve", "dispute_reject"]
    assert f"Disputed by <@{ACME_MANAGER}>: waiting for an approver" in json.dumps(alert["blocks"])

    before = state(breached)
    refused = click(breached, clock, "dispute_approve", value=str(dispute.id), user=ACME_MANAGER)
    assert "Only approvers and admins" in refused.json["text"] and state(breached) == before

    clock.now = at(75)
    assert click(breached, clock, "dispute_approve", value=str(dispute.id)).json["text"] == "Dispute approved."
    assert this_week(breached, clock).excused == 1
    with get_database(breached).reading() as session:
        excused = session.get(ExcusedBreach, BREACH)
        trail = [(a.action, a.by, a.at, a.reason) for a in session.scalars(select(ExcuseAudit).order_by(ExcuseAudit.id))]
    assert (excused.by, excused.reason) == (MANAGER, "Jira was down 12:10-12:50")
    assert trail == [("dispute", ACME_MANAGER, at(70), "Jira was down 12:10-12:50"),
                     ("approve", MANAGER, at(75), "Jira was down 12:10-12:50"),
                     ("excuse", MANAGER, at(75), "Jira was down 12:10-12:50")]
    late = click(breached, clock, "dispute_reject", value=str(dispute.id))
    assert "decided already" in late.json["text"]

    tick(breached, clock, 76)
    decided = posted(fake_slack, f"{BREACH}:dispute:{dispute.id}")
    assert "Disputed by" not in json.dumps(posted(fake_slack, BREACH)["blocks"])
    assert decided.get("edited") and "approved: the breach is excused" in decided["text"]
    assert not [b for b in decided["blocks"] if b["type"] == "actions"]
    text = post_slack(breached.test_client(), COMMANDS, command_body("ACME-1"), clock.now).json["text"]
    assert f"<@{ACME_MANAGER}> disputed" in text and f"<@{MANAGER}> approved the dispute of" in text


def test_a_rejected_dispute_leaves_the_breach_counting(breached, clock, fake_slack):  # noqa: F811
    dispute_form_submit(breached, clock, "Not our ticket")
    with get_database(breached).reading() as session:
        dispute_id = session.scalars(select(Dispute.id)).one()
    assert click(breached, clock, "dispute_reject", value=str(dispute_id)).json["text"] == "Dispute rejected."
    week = this_week(breached, clock)
    assert (week.counted, week.excused) == (1, 0)
    with get_database(breached).reading() as session:
        assert session.get(Dispute, dispute_id).state == "rejected"
        assert [a.action for a in session.scalars(select(ExcuseAudit))] == ["dispute", "reject"]
        assert session.get(ExcusedBreach, BREACH) is None


def test_only_the_vendors_managers_may_dispute(breached, clock):
    before = state(breached)
    answer = dispute_form_submit(breached, clock, "We disagree", user=AGENT_ID)
    assert "Only the vendor's managers may dispute" in answer.json["errors"]["reason"]
    assert state(breached) == before


@pytest.fixture
def ungoverned(make_app, db_url, rules_path, fake_slack, clock):  # noqa: F811
    from tests.slack_helpers import SIGNING_SECRET, T0

    rules_path.write_text(RULES[:RULES.index("governance:")], encoding="utf-8")
    clock.now = T0
    return make_app(db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url,
                    SLACK_SIGNING_SECRET=SIGNING_SECRET)


def test_without_governance_excuses_are_refused_with_how_to_configure(ungoverned, clock, fake_slack):  # noqa: F811
    from tests import jira_payloads as jp
    from tests.slack_helpers import post_jira

    post_jira(ungoverned, jp.created("ACME-1", at(0), project="ACME", summary="VPN down"))
    tick(ungoverned, clock, 61)
    before = state(ungoverned)
    answer = click(ungoverned, clock, "excuse_breach")
    assert "Nobody may excuse breaches yet" in answer.json["text"] and "approvers:" in answer.json["text"]
    assert "approvers:" in submit(ungoverned, clock, "reason").json["errors"]["reason"]
    assert state(ungoverned) == before and fake_slack.calls("views.open") == []
    assert "approvers:" in dispute_form_submit(ungoverned, clock, "x", user=MANAGER).json["errors"]["reason"]
    assert state(ungoverned) == before
    assert click(ungoverned, clock, "ack_breach").status_code == 200  # vendors.acme.managers still acknowledge
    with get_database(ungoverned).reading() as session:
        assert session.get(Acknowledgement, BREACH).by == MANAGER


def test_staff_listed_by_email_are_known_once_slack_told_their_email(breached, clock, fake_slack, rules_path):  # noqa: F811
    from store.rulebook import get_rulebook

    rules_path.write_text(RULES.replace('staff: ["U0AGENT01"]', 'staff: ["li.wei@acme.example"]'), encoding="utf-8")
    get_rulebook(breached).check(clock.now, force=True)
    fake_slack.add_user("li.wei@acme.example", "U0LIWEI001")
    before = state(breached)
    first = click(breached, clock, "ack_breach", user="U0LIWEI001")
    assert "try again then" in first.json["text"] and state(breached) == before
    tick(breached, clock, 66)  # the worker asks users.info about the member
    assert click(breached, clock, "ack_breach", user="U0LIWEI001").status_code == 200
    with get_database(breached).reading() as session:
        assert session.get(Acknowledgement, BREACH).by == "U0LIWEI001"
