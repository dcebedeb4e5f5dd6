"""Issue 12: no input can stop the clocks. Every payload that once was acknowledged and then could
never be stored (or gave a 500) is refused at the door with a JSON reason, nothing is written,
and the next good delivery is stored and recomputed as usual. Run on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from store.db import get_database
from store.models import ClockRow
from tests import jira_payloads as jp
from tests.conftest import WEBHOOK_SECRET, row_counts, sign
from tests.slack_helpers import T0, fake_slack, post_slack, slack_app  # noqa: F401

UTC = timezone.utc
T9 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def surrogate_summary() -> bytes:
    payload = jp.created("OPS-1", T9)
    payload["issue"]["fields"]["summary"] = "@@SUMMARY@@"
    return json.dumps(payload).encode().replace(b'"@@SUMMARY@@"', b'"bad \\ud800 text"')


def surrogate_key() -> bytes:
    return json.dumps(jp.created("OPS-1", T9)).encode().replace(b'"OPS-1"', b'"OPS-\\udc801"')


def created_in_1900() -> bytes:
    return json.dumps(jp.created("OPS-1", datetime(1900, 1, 1, 9, tzinfo=UTC))).encode()


def nul_deep_in_json() -> bytes:
    payload = jp.created("OPS-1", T9)
    nested: object = "a\u0000b"
    for _ in range(600):
        nested = [nested]
    payload["issue"]["fields"]["customfield_10099"] = nested
    return json.dumps(payload).encode()


def injection_key() -> bytes:
    return json.dumps(jp.created("OPS-1> <!channel> <https://evil.example|Click to acknowledge", T9)).encode()


POISON = {
    "lone surrogate in the summary": (surrogate_summary, "surrogate"),
    "lone surrogate in the issue key": (surrogate_key, "surrogate"),
    "created in 1900": (created_in_1900, "1970"),
    "NUL deep in nested JSON": (nul_deep_in_json, "nested deeper"),
    "link injection in the issue key": (injection_key, "issue key"),
}


def clocks_of(app, key: str) -> dict[str, str]:
    with get_database(app).reading() as session:
        rows = session.query(ClockRow).filter(ClockRow.ticket == key).all()
    return {row.metric: row.state for row in rows}


@pytest.mark.parametrize("name", POISON)
def test_a_poison_webhook_is_refused_and_the_next_ticket_gets_its_clocks(make_app, db_url, clock, post_jira, name):
    app = make_app(db_url, JIRA_WEBHOOK_SECRET=WEBHOOK_SECRET)
    client = app.test_client()
    clock.now = T9.replace(minute=5)
    before = row_counts(app)
    make, reason = POISON[name]
    response = post_jira(make(), delivery="poison", secret=WEBHOOK_SECRET, using=client)
    assert response.status_code == 400, response.data[:300]
    assert response.json["error"] == "malformed_payload" and reason in response.json["reason"]
    assert row_counts(app) == before

    good = post_jira(jp.created("OPS-2", T9), delivery="good", secret=WEBHOOK_SECRET, using=client)
    assert good.status_code == 200 and good.json["events"] == 1
    assert clocks_of(app, "OPS-2") == {"first_response": "running", "resolution": "running"}
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json["recompute"]["pending_tickets"] == 0


def test_nul_is_still_dropped_from_a_shallow_field(app, post_jira):
    payload = jp.created("OPS-3", T9)
    payload["issue"]["fields"]["summary"] = "VPN\u0000down"
    assert post_jira(payload, delivery="nul").status_code == 200


def test_a_slack_timestamp_of_401_digits_is_a_401_not_a_500(slack_app):  # noqa: F811
    body = json.dumps({"type": "event_callback", "event_id": "Ev1", "event": {"type": "message"}}).encode()
    response = slack_app.test_client().post(
        "/webhooks/slack/events", data=body, headers={
            "Content-Type": "application/json", "X-Slack-Request-Timestamp": "1" + "0" * 400,
            "X-Slack-Signature": "v0=" + "0" * 64})
    assert response.status_code == 401 and response.json["error"] == "invalid_signature"


@pytest.mark.parametrize("field", ["event_id", "user"])
def test_long_slack_ids_are_refused_with_a_reason(slack_app, field):  # noqa: F811
    event = {"type": "message", "channel": "C0SUPPORT1", "user": "U0MARIA01", "text": "any news on OPS-1?",
             "ts": "1767614400.000100"}
    body = {"type": "event_callback", "team_id": "T1DC2JH3J", "event_id": "Ev0PV52K25", "event": event}
    if field == "user":
        event["user"] = "U" * 300
    else:
        body["event_id"] = "Ev" + "0" * 300
    before = row_counts(slack_app)
    response = post_slack(slack_app.test_client(), "/webhooks/slack/events", json.dumps(body).encode(), T0,
                          content_type="application/json")
    assert response.status_code == 400 and field in response.json["reason"]
    assert row_counts(slack_app) == before


@pytest.mark.parametrize("path", ["/api/tickets/%00", "/api/tickets/OPS-1%00", "/tickets/%00"])
def test_a_nul_in_a_ticket_url_is_a_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    if path.startswith("/api/"):
        assert response.json["error"] == "not_found"


def test_signature_header_is_sha256_only(make_app, db_url, post_jira):
    import hashlib
    import hmac

    app = make_app(db_url, JIRA_WEBHOOK_SECRET=WEBHOOK_SECRET)
    body = json.dumps(jp.created("OPS-4", T9)).encode()
    sha1 = "sha1=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha1).hexdigest()
    refused = post_jira(body, headers={"X-Hub-Signature": sha1}, using=app.test_client())
    assert refused.status_code == 401
    accepted = post_jira(body, headers={"X-Hub-Signature": sign(body)}, using=app.test_client())
    assert accepted.status_code == 200


INJECTION = "OPS-1> <!channel> <https://evil.example|Click to acknowledge"


def test_a_key_that_slipped_in_before_the_door_check_cannot_ping_or_disguise_a_link(slack_app, clock, fake_slack):  # noqa: F811
    """A ticket an older release stored with the issue's injection key: its breach alert reaches
    Slack with the key escaped, no @channel and no link but Jira's."""
    from connectors.jira import parse_webhook
    from scheduler import get_ticker
    from store.ingest import store_delivery

    events = parse_webhook(jp.created(INJECTION, T0, summary="Printer <b>on</b> fire & smoke"))
    store_delivery(get_database(slack_app), "jira", "stored-by-an-older-release", events, T0)
    clock.now = T0 + timedelta(hours=1, minutes=1)  # past the 1h first response target
    get_ticker(slack_app).tick()
    [breach] = [m for m in fake_slack.messages("#sla-alerts") if "breached" in m["text"]]
    shown = json.dumps([breach["text"], *mrkdwn_texts(breach["blocks"])])  # what Slack renders
    assert "<!channel>" not in shown and "<https://evil.example" not in shown
    assert "&lt;!channel&gt;" in shown and "Printer &lt;b&gt;on&lt;/b&gt; fire &amp; smoke" in shown
    assert "/browse/" not in shown  # a key that is not a Jira key gets no link


def mrkdwn_texts(value) -> list[str]:
    if isinstance(value, list):
        return [text for item in value for text in mrkdwn_texts(item)]
    if not isinstance(value, dict):
        return []
    own = [value["text"]] if value.get("type") == "mrkdwn" else []
    return own + [text for key, item in value.items() if key != "text" or not own for text in mrkdwn_texts(item)]


def test_a_slack_message_ts_that_is_no_instant_is_refused(slack_app):  # noqa: F811
    event = {"type": "message", "channel": "C0SUPPORT1", "user": "U0MARIA01", "text": "any news on ACME-1?",
             "ts": "1e400"}
    body = {"type": "event_callback", "team_id": "T1DC2JH3J", "event_id": "Ev0PV52K26", "event": event}
    response = post_slack(slack_app.test_client(), "/webhooks/slack/events", json.dumps(body).encode(), T0,
                          content_type="application/json")
    assert response.status_code == 400 and "ts" in response.json["reason"]
