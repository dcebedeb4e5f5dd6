"""Reconcile: the leader's scheduled backfill of issues updated since the last run heals a lost
webhook, and the outbox keys keep every Slack message single."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from connectors.jira_reconcile import updated_since_jql
from scheduler import get_ticker
from tests import jira_payloads as jp
from tests.fake_jira import FakeJira
from tests.fake_slack import fake_slack  # noqa: F401  (the fixture)
from tests.test_api import metric
from tests.test_scheduler_alerts import RULES, alerts_posted, key_of, post

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def fake_jira():
    with FakeJira() as fake:
        yield fake


@pytest.fixture
def reconciling_app(make_app, db_url, rules_path, fake_slack, fake_jira, clock):
    rules_path.write_text(RULES, encoding="utf-8")
    clock.now = T0
    return make_app(db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url,
                    JIRA_URL=fake_jira.url, JIRA_USER=fake_jira.user, JIRA_API_TOKEN=fake_jira.token,
                    SLAWATCH_RECONCILE_SECONDS=1800, SLAWATCH_RECONCILE_MARGIN_SECONDS=600)


def tick_at(app, clock, at: datetime) -> None:
    clock.now = at
    for _ in range(2):  # a repeated tick changes nothing
        assert get_ticker(app).tick() == []


def test_a_lost_webhook_is_healed_by_the_next_reconcile_and_nothing_is_posted_twice(
        reconciling_app, clock, fake_jira, fake_slack):
    app, client = reconciling_app, reconciling_app.test_client()
    ticket = jp.JiraTicket("ACME-1", T0, project="ACME", summary="VPN down in Lyon")
    created = ticket.created()
    fake_jira.feed(created)
    post(app, created)
    tick_at(app, clock, T0 + timedelta(minutes=5))  # the first reconcile: nothing missing
    assert client.get("/healthz").json["jira"]["reconcile"]["last_new_events"] == 0
    tick_at(app, clock, T0 + timedelta(minutes=31))  # warn at 50% of the first response
    lost = ticket.commented(T0 + timedelta(minutes=33), jp.AGENT)  # Jira has it, the webhook is lost
    fake_jira.feed(lost)
    assert [key_of(m) for m in alerts_posted(fake_slack)] == ["alert:ACME-1:first_response:1:warn-50"]

    tick_at(app, clock, T0 + timedelta(minutes=36))  # reconcile is due (every 30 min): healed

    clocks = client.get("/api/tickets/ACME-1").json["clocks"]
    assert (clocks[0]["metric"], clocks[0]["state"], clocks[0]["stopped_at"]) == (
        "first_response", "stopped", "2026-01-05T12:33:00Z")
    health = client.get("/healthz").json["jira"]["reconcile"]
    assert health["last_new_events"] == 1 and health["events_added"] == 1 and health["last_error"] is None
    assert metric(client, "slawatch_reconcile_events_added") == 1
    search = fake_jira.searches()[-1]
    assert search["jql"] == [updated_since_jql(T0 + timedelta(minutes=5) - timedelta(minutes=10), None)]

    post(app, lost)  # the webhook arrives after all (a Jira retry): nothing new
    tick_at(app, clock, T0 + timedelta(minutes=95))
    tick_at(app, clock, T0 + timedelta(hours=3))
    keys = [key_of(m) for m in alerts_posted(fake_slack)]
    assert keys == ["alert:ACME-1:first_response:1:warn-50"]  # no warn-80, no breach: it was answered
    assert len(fake_slack.messages()) == len({key_of(m) for m in fake_slack.messages()})
    assert client.get("/healthz").json["jira"]["reconcile"]["events_added"] == 1


def test_a_failed_reconcile_is_reported_and_the_tick_goes_on(reconciling_app, clock, fake_jira):
    fake_jira.fail("/rest/api/2/search", 500)
    tick_at(reconciling_app, clock, T0 + timedelta(minutes=5))
    health = reconciling_app.test_client().get("/healthz")
    assert health.status_code == 200
    assert health.json["jira"]["reconcile"]["last_error"] == "Jira answered HTTP 500: fake failure 500"
    assert metric(reconciling_app.test_client(), "slawatch_reconcile_last_failed") == 1
    tick_at(reconciling_app, clock, T0 + timedelta(minutes=40))
    assert reconciling_app.test_client().get("/healthz").json["jira"]["reconcile"]["last_error"] is None


def test_reconcile_is_off_without_jira_credentials(app, client):
    assert get_ticker(app).reconciler is None
    assert client.get("/healthz").json["jira"]["reconcile"]["enabled"] is False


def test_the_reconcile_query():
    since = datetime(2026, 1, 5, 11, 50, tzinfo=timezone.utc)
    assert updated_since_jql(since, None) == 'updated >= "2026-01-05 11:50"'
    assert updated_since_jql(since, "project = OPS OR project = NET") == \
        '(project = OPS OR project = NET) AND updated >= "2026-01-05 11:50"'
