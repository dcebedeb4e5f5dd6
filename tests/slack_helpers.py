"""Requests signed exactly as Slack signs them, and an app wired to a fake Slack.

    headers = signed(body, timestamp)          # X-Slack-Request-Timestamp / X-Slack-Signature
    answer = post_slack(client, "/webhooks/slack/commands", form_body(text="OPS-1"), clock.now)
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from store.db import get_database
from store.models import OutboxMessage
from tests.conftest import recompute_marked
from tests.fake_slack import fake_slack  # noqa: F401  (the fixture)

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the secret of Slack's documented test vector
UTC = timezone.utc
T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)  # a Monday
MANAGER = "U024BE7LH"  # acme's manager in vendors.acme.managers, and an approver (governance)
ACME_MANAGER = "U0ACMEMGR1"  # acme's manager in governance only: acknowledges, disputes
AGENT_ID, REPORTER_ID, BOT_USER = "U0AGENT01", "U0MARIA01", "U0BOT0001"
SUPPORT = "C0SUPPORT1"  # the response channel's id

RULES = """\
version: 1
calendars:
  always: 24x7
vendors:
  acme:
    name: ACME Outsourcing
    match:
      projects: [ACME]
    channel: "#acme-sla"
    managers: ["U024BE7LH"]
policies:
  - name: standard
    calendar: always
    pause_statuses: ["Waiting for customer"]
    metrics:
      first_response: {target: 1h, warn_at: [50%]}
      resolution: {target: 8h, warn_at: [75%]}
targets:
  first_response: 85%
  resolution: 95%
alerts:
  channel: "#sla-alerts"
  escalation_channel: "#sla-escalations"
  escalate_after: 30m
reports:
  weekly: {day: mon, time: "09:00", timezone: UTC}
slack:
  response_channels: ["C0SUPPORT1", "#acme-sla"]
governance:                      # without it nobody may excuse (web/slack_disputes.py)
  admins: ["U0ADMIN001"]
  approvers: ["U024BE7LH", "U0OTHERMGR"]
  vendors:
    acme:
      managers: ["U0ACMEMGR1"]   # may acknowledge and dispute, not excuse
      staff: ["U0AGENT01"]       # may acknowledge
"""


def signature(body: bytes, timestamp: int | str, secret: str = SIGNING_SECRET) -> str:
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed(body: bytes, timestamp: int | str, secret: str = SIGNING_SECRET) -> dict[str, str]:
    return {"X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signature(body, timestamp, secret)}


def form_body(**fields: str) -> bytes:
    return urlencode(fields).encode()


def command_body(text: str, user_id: str = MANAGER) -> bytes:
    return form_body(token="xyzz0WbapA4vBCDEFasx0q6G", team_id="T1DC2JH3J", team_domain="acme",
                     channel_id="C0SUPPORT1", channel_name="support", user_id=user_id,
                     user_name="manager", command="/sla", text=text,
                     response_url="https://hooks.slack.com/commands/T1DC2JH3J/1/x",
                     trigger_id="398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
                     api_app_id="A0SLAWATCH")


def payload_body(payload: dict[str, Any]) -> bytes:
    return ("payload=" + quote(json.dumps(payload))).encode()


def post_slack(client, path: str, body: bytes, now: datetime, *, secret: str = SIGNING_SECRET,
               content_type: str = "application/x-www-form-urlencoded",
               headers: dict[str, str] | None = None):
    sent = {"Content-Type": content_type, **signed(body, int(now.timestamp()), secret),
            **(headers or {})}
    return client.post(path, data=body, headers=sent)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def slack_app(make_app, db_url, rules_path, fake_slack, clock):  # noqa: F811
    rules_path.write_text(RULES, encoding="utf-8")
    clock.now = T0
    return make_app(db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url,
                    SLACK_SIGNING_SECRET=SIGNING_SECRET, JIRA_URL="https://acme-it.atlassian.net")


def outbox_rows(app) -> dict[str, OutboxMessage]:
    from sqlalchemy import select

    with get_database(app).reading() as session:
        return {row.key: row for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))}


def post_jira(app, payload: dict) -> None:
    answer = app.test_client().post("/webhooks/jira", json=payload)
    assert answer.status_code == 200, answer.json
    recompute_marked(app)
