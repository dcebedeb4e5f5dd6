"""The read API, /healthz and /metrics, through the real app and database."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client.parser import text_string_to_metric_families

from connectors.jira import parse_webhook
from connectors.replay import replay
from scheduler import LAST_TICK_KEY, get_ticker
from store.db import get_database
from store.repo import set_service_state
from store.rulebook import get_rulebook
from tests import jira_payloads as jp
from tests.jira_payloads import AGENT, FIXTURES

UTC = timezone.utc


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, 5, hour, minute, tzinfo=UTC)


def test_ticket_json_is_the_replay_json(app, client, clock, post_jira):
    clock.now = at(12)
    names = ["issue_created", "issue_updated__assignee", "comment_created", "issue_updated__status",
             "issue_updated__priority"]
    payloads = [json.loads((FIXTURES / f"{name}.json").read_bytes()) for name in names]
    for name, payload in zip(names, payloads):
        assert post_jira(payload, delivery=name).status_code == 200
    events = [event for payload in payloads for event in parse_webhook(payload)]
    expected = replay(get_rulebook(app).rules, events, clock.now)["tickets"]
    response = client.get("/api/tickets/OPS-1")
    assert response.status_code == 200
    body = dict(response.json)
    assert body.pop("excuses") == []  # the excuse audit trail (Slack), none here
    assert body.pop("rules_version") == get_rulebook(client.application).rules.version  # what judged it
    body["clocks"] = [dict(c) for c in body["clocks"]]
    assert {c.pop("rules_version") for c in body["clocks"]} == {body_version := response.json["rules_version"]}
    assert body_version == get_rulebook(client.application).rules.version  # each clock's judge
    assert [body] == expected
    clock.now = at(13)  # evaluated now, not when stored
    later = client.get("/api/tickets/OPS-1").json
    assert later["clocks"][1]["elapsed_seconds"] == response.json["clocks"][1]["elapsed_seconds"] + 3600


def test_unknown_ticket_is_404_json(client):
    response = client.get("/api/tickets/NOPE-1")
    assert response.status_code == 404 and response.json["error"] == "not_found"


def test_ticket_without_created_event_is_404(client, post_jira):
    assert post_jira(jp.commented("OPS-3", at(9), AGENT), delivery="c").status_code == 200
    response = client.get("/api/tickets/OPS-3")
    assert response.status_code == 404 and "created" in response.json["reason"]


@pytest.fixture
def three_tickets(clock, post_jira):
    """OPS-1 breached (standard, 1h first response), OPS-2 running, OPS-3 paused; INFRA-1 globex."""
    clock.now = at(9, 50)
    post_jira(jp.created("OPS-1", at(8), components=("Network",)), delivery="1")
    post_jira(jp.created("OPS-2", at(9, 30)), delivery="2")
    post_jira(jp.created("OPS-3", at(9)), delivery="3")
    post_jira(jp.status_changed("OPS-3", at(9, 10), "To Do", "Waiting for customer"), delivery="4")
    post_jira(jp.created("INFRA-1", at(9, 45)), delivery="5")


def keys(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [ticket["key"] for ticket in response.json["tickets"]]


def test_ticket_lists_by_state_and_vendor(client, clock, three_tickets):
    assert keys(client.get("/api/tickets?state=breached")) == ["OPS-1"]
    assert keys(client.get("/api/tickets?state=running")) == ["OPS-1", "OPS-2", "INFRA-1"]
    assert keys(client.get("/api/tickets?state=paused")) == ["OPS-3"]
    assert keys(client.get("/api/tickets?vendor=globex")) == ["INFRA-1"]
    assert keys(client.get("/api/tickets?state=running&vendor=acme")) == ["OPS-1"]
    assert keys(client.get("/api/tickets")) == ["OPS-1", "OPS-2", "INFRA-1", "OPS-3"]
    assert keys(client.get("/api/tickets?limit=2")) == ["OPS-1", "OPS-2"]
    clock.now = at(10, 31)  # OPS-2's first response came due at 10:30 since it was stored
    assert keys(client.get("/api/tickets?state=breached")) == ["OPS-1", "OPS-2"]
    listed = client.get("/api/tickets?state=breached").json["tickets"][1]
    assert listed["clocks"][0]["breached"] is True and listed["clocks"][0]["due_at"] == "2026-01-05T10:30:00Z"


@pytest.mark.parametrize("query", ["state=late", "limit=0", "limit=x", "limit=5000"])
def test_bad_list_queries_are_400(client, query):
    response = client.get(f"/api/tickets?{query}")
    assert response.status_code == 400 and response.json["reason"]


def test_unknown_route_is_json_404(client):
    response = client.get("/nothing/here")
    assert response.status_code == 404 and response.is_json


def test_healthz_reports_database_rules_and_scheduler(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "ok" and body["database"]["ok"] is True
    assert body["rules"]["version"] == get_rulebook(app).rules.version
    assert body["rules"]["last_reload_error"] is None


def test_healthz_is_503_when_the_database_is_unreachable(make_app, dialect, tmp_path):
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'missing' / 'dir' / 'slawatch.db'}"
    else:
        url = "postgresql+psycopg://postgres@127.0.0.1:1/unreachable"
    client = make_app(url).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["database"]["ok"] is False and "unreachable" in response.json["database"]["error"]
    webhook = client.post("/webhooks/jira", data=(FIXTURES / "issue_created.json").read_bytes())
    assert webhook.status_code == 503 and webhook.json["error"] == "unavailable"
    assert webhook.headers["Retry-After"] == "30"
    assert client.get("/api/tickets/OPS-1").status_code == 503


def test_healthz_is_503_when_the_scheduler_stops_ticking(make_app, db_url, clock):
    app = make_app(db_url, SLAWATCH_SCHEDULER_EXPECTED=True, SLAWATCH_TICK_SECONDS=30)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200  # just started: grace period
    clock.now += timedelta(minutes=5)
    stale = client.get("/healthz")
    assert stale.status_code == 503 and stale.json["scheduler"]["ok"] is False
    assert get_ticker(app).tick() == []
    fresh = client.get("/healthz")
    assert fresh.status_code == 200 and fresh.json["scheduler"]["last_tick_at"] == "2026-01-05T12:05:00Z"
    get_database(app).write(lambda s: set_service_state(s, LAST_TICK_KEY, "2026-01-05T12:00:00Z", clock.now))
    assert client.get("/healthz").status_code == 503


def metric(client, name: str, **labels: str) -> float:
    """The value of one sample of /metrics (0 when absent)."""
    for family in text_string_to_metric_families(client.get("/metrics").data.decode()):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def test_metrics_move(client, clock, post_jira):
    assert metric(client, "slawatch_webhooks_received_total", source="jira") == 0
    assert metric(client, "slawatch_open_clocks") == 0
    clock.now = at(10, 30)
    post_jira(jp.created("OPS-4", at(9)), delivery="m1")
    post_jira(b"[]", delivery="m2")
    assert metric(client, "slawatch_webhooks_received_total", source="jira") == 2
    assert metric(client, "slawatch_webhooks_rejected_total", source="jira", reason="malformed") == 1
    assert metric(client, "slawatch_events_stored_total") == 1
    assert metric(client, "slawatch_open_clocks") == 2
    assert metric(client, "slawatch_breaches") == 1  # first response was due at 10:00
    assert metric(client, "slawatch_database_up") == 1
    response = client.get("/metrics")
    assert response.content_type.startswith("text/plain")
