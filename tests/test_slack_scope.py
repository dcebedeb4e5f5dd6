"""`/sla` shows each member what the dashboard would (issue 13): with a `governance` section, a
vendor's managers and staff see their own vendor's breaches, reports and tickets only, admins and
approvers see everything, and a member with no role is refused; without one, everyone sees all.
Real signed slash commands through the Flask app, the fake Slack behind the real WebClient."""
from __future__ import annotations

import pytest

from scheduler import get_ticker
from tests import jira_payloads as jp
from tests.fake_slack import fake_slack  # noqa: F401
from tests.slack_helpers import (  # noqa: F401
    RULES, SIGNING_SECRET, T0, at, command_body, post_jira, post_slack,
)

ADMIN, ACME_AGENT, BETA_AGENT, STRANGER = "U0ADMIN001", "U0AGENT01", "U0BETA0001", "U0NOBODY01"
TWO_VENDORS = RULES.replace("policies:\n", '''  beta:
    name: Beta Services
    match:
      projects: [BETA]
policies:
''', 1).replace('''      staff: ["U0AGENT01"]       # may acknowledge
''', '''      staff: ["U0AGENT01"]       # may acknowledge
    beta:
      staff: ["U0BETA0001"]
''')
UNGOVERNED = TWO_VENDORS[:TWO_VENDORS.index("governance:")]


def _app(make_app, db_url, rules_path, fake_slack, clock, rules: str):  # noqa: F811
    rules_path.write_text(rules, encoding="utf-8")
    clock.now = T0
    app = make_app(db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url,
                   SLACK_SIGNING_SECRET=SIGNING_SECRET)
    post_jira(app, jp.created("ACME-1", at(0), project="ACME", summary="VPN down"))
    post_jira(app, jp.created("BETA-1", at(0), project="BETA", summary="Printer jammed"))
    clock.now = at(65)  # both first responses breached at 13:00 (target 1h from 12:00)
    assert get_ticker(app).tick() == []
    return app


@pytest.fixture
def governed(make_app, db_url, rules_path, fake_slack, clock):  # noqa: F811
    return _app(make_app, db_url, rules_path, fake_slack, clock, TWO_VENDORS)


def sla(app, clock, text: str, user: str) -> str:
    answer = post_slack(app.test_client(), "/webhooks/slack/commands", command_body(text, user_id=user), clock.now)
    assert answer.status_code == 200
    return answer.json["text"]


def test_an_admin_sees_every_vendor(governed, clock):
    text = sla(governed, clock, "breaches", ADMIN)
    assert "ACME-1" in text and "BETA-1" in text
    assert "*BETA-1* Printer jammed" in sla(governed, clock, "BETA-1", ADMIN)


def test_a_vendors_staff_see_their_vendor_only(governed, clock):
    mine = sla(governed, clock, "breaches", ACME_AGENT)
    assert "ACME-1" in mine and "BETA-1" not in mine
    assert sla(governed, clock, "breaches beta", ACME_AGENT) == \
        "You may see the figures of your own vendors only: acme."
    assert sla(governed, clock, "report Beta Services", ACME_AGENT) == \
        "You may see the figures of your own vendors only: acme."
    # another vendor's ticket is as unknown to them as a missing one
    assert sla(governed, clock, "BETA-1", ACME_AGENT) == "I know no ticket BETA-1 (Slawatch has no events for it)."
    assert sla(governed, clock, "ACME-1", ACME_AGENT).startswith("*ACME-1* VPN down")
    # their report without a vendor is their one vendor's
    report = sla(governed, clock, "report", ACME_AGENT)
    assert report.startswith("*This week so far*") and "ACME Outsourcing" in report
    assert "BETA-1" in sla(governed, clock, "breaches", BETA_AGENT) and \
        "ACME-1" not in sla(governed, clock, "breaches", BETA_AGENT)


def test_a_member_with_no_role_is_told_how_to_get_access(governed, clock):
    refusal = ("Slawatch shows its figures to the people rules.yaml names: admins, approvers and each "
               "vendor's managers and staff (the `governance` section). Ask an admin to add you.")
    for text in ("breaches", "report", "ACME-1", "BETA-1"):
        assert sla(governed, clock, text, STRANGER) == refusal
    assert sla(governed, clock, "help", STRANGER).startswith("*/sla*")  # help stays open


def test_without_governance_everyone_sees_everything(make_app, db_url, rules_path, fake_slack, clock):  # noqa: F811
    app = _app(make_app, db_url, rules_path, fake_slack, clock, UNGOVERNED)
    text = sla(app, clock, "breaches", STRANGER)
    assert "ACME-1" in text and "BETA-1" in text
    assert sla(app, clock, "BETA-1", STRANGER).startswith("*BETA-1* Printer jammed")
