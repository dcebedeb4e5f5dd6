"""End to end, as a new user would: `slawatch serve` with a 24x7 rule of `first_response: 5s`,
a real-format jira:issue_created posted over HTTP, and the breach message arriving at a fake
Slack within SLAWATCH_TICK_SECONDS plus a second after the due time."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from tests import jira_payloads as jp
from tests.fake_slack import channel_id, fake_slack  # noqa: F401  (the fixture)
from tests.test_service_cli import free_port, http, service_env, start, stop, wait_for  # noqa: F401

TICK_SECONDS = 1
RULES = """\
version: 1
calendars:
  always: 24x7
policies:
  - name: fast
    calendar: always
    metrics:
      first_response: 5s
targets:
  first_response: 85%
alerts:
  channel: "#sla-alerts"
"""


def test_a_breach_reaches_slack_within_a_tick_and_a_second(service_env, rules_path, tmp_path, fake_slack):
    rules_path.write_text(RULES, encoding="utf-8")
    env = {**service_env, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake_slack.url,
           "SLAWATCH_TICK_SECONDS": str(TICK_SECONDS), "JIRA_URL": "https://acme-it.atlassian.net"}
    port, log = free_port(), tmp_path / "serve.log"
    process = start(env, "serve", "--port", str(port), log=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: http(f"{base}/healthz")[0] == 200)
        created = datetime.now(timezone.utc).replace(microsecond=0)
        body = json.dumps(jp.created("OPS-7", created, summary="Printer on fire")).encode()
        status, answer = http(f"{base}/webhooks/jira", body, {"Content-Type": "application/json"})
        assert (status, answer) == (200, {"status": "ok", "events": 1})
        due = created + timedelta(seconds=5)
        deadline = due + timedelta(seconds=TICK_SECONDS + 1)
        seconds_left = (deadline - datetime.now(timezone.utc)).total_seconds() + 5  # bounded wait
        breach = wait_for(lambda: next((m for m in fake_slack.messages("#sla-alerts")
                                        if "OPS-7" in m["text"]), None), seconds=seconds_left)
        [call] = [c for c in fake_slack.calls("chat.postMessage") if c.status == 200]
        arrived = datetime.fromtimestamp(call.received_at, timezone.utc)
        assert due <= arrived <= deadline, (due, arrived)
        assert breach["channel"] == channel_id("#sla-alerts")
        assert "https://acme-it.atlassian.net/browse/OPS-7" in json.dumps(breach["blocks"])
        assert breach["metadata"]["event_payload"]["key"] == "alert:OPS-7:first_response:1:breach"
        ticked = http(f"{base}/healthz")[1]["scheduler"]["last_tick_at"]
        for _ in range(2):  # two more ticks: nothing is posted again
            ticked = wait_for(lambda: (lambda t: t if t != ticked else None)(
                http(f"{base}/healthz")[1]["scheduler"]["last_tick_at"]), seconds=10)
        assert len(fake_slack.calls("chat.postMessage")) == 1
        health = http(f"{base}/healthz")[1]
        assert health["slack"]["ok"] is True and health["slack"]["sent"] == 1
    finally:
        code = stop(process)
    output = log.read_text()
    assert code == 0, output
    assert "xoxb-test" not in output
