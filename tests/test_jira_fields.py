"""Any Jira field, custom fields included, is kept as a fact for `fields:` matching (issue #11):
an option's value, a user's forms, every element of an array. A custom field's change is an
event of its own (it can hand a ticket to a vendor), and the REST backfill rebuilds the same
facts as the webhooks carried."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from connectors.jira import parse_webhook
from connectors.jira_backfill import backfill, connect
from processors.events import EventKind, TicketEvent
from store.db import get_database
from store.rulebook import get_rulebook
from tests.conftest import table_rows
from tests.fake_jira import FakeJira
from tests.jira_payloads import JiraTicket, user

START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
ANNA, DORA = user("Anna Acme"), user("Dora Desk")
GOLD = {"self": "https://acme-it.atlassian.net/rest/api/2/customFieldOption/10100", "value": "Gold",
        "id": "10100"}
CUSTOM = {
    "customfield_10050": GOLD,  # a single select
    "customfield_10010": {"_links": {}, "requestType": {"id": "12", "name": "Get IT help"},
                          "currentStatus": {"status": "Waiting for support"}},  # JSM request type
    "customfield_10002": [{"id": "1", "name": "Client Corp"}, {"id": "2", "name": "Client SA"}],  # JSM orgs
    "customfield_10060": {"accountId": "5f8e2a", "displayName": "Kim Key", "emailAddress": "kim@x.example"},
    "customfield_10070": {"value": "EU", "id": "3", "child": {"value": "Paris", "id": "4"}},  # cascading
    "customfield_10080": [{"value": "A"}, {"value": "B"}],  # multi select
    "customfield_10090": "Acme contract 42",  # text
    "customfield_10091": None,  # empty
    "fixVersions": [{"id": "10", "name": "2026.1"}],
}

RULES = """\
version: 1
calendars:
  always: 24x7
vendors:
  acme:
    match: {fields: {customfield_10050: [Gold]}}
    staff: [Anna Acme]
policies:
  - name: tiered
    measure: handoff
    calendar: always
    metrics: {first_response: 1h, resolution: 8h}
"""


def _with_fields(payload: dict, **fields) -> dict:
    payload["issue"]["fields"].update(fields)
    return payload


def _tier_changed(ticket: JiraTicket, at: datetime, actor, old: dict | None, new: dict | None) -> dict:
    """Jira's webhook for a custom select changed: a `custom` changelog item naming the field id."""
    payload = ticket.labels_changed(at, ticket.labels, actor=actor)  # an issue_updated envelope
    payload["changelog"]["items"] = [{
        "field": "Support tier", "fieldtype": "custom", "fieldId": "customfield_10050",
        "from": old and old["id"], "fromString": old and old["value"],
        "to": new and new["id"], "toString": new and new["value"]}]
    return _with_fields(payload, customfield_10050=new)


def test_custom_field_values_become_facts():
    ticket = JiraTicket("OPS-1", START)
    [event] = parse_webhook(_with_fields(ticket.created(), **CUSTOM))
    facts = event.facts
    assert facts["fields"]["customfield_10050"] == ("Gold",)
    assert facts["fields"]["customfield_10010"] == ("Get IT help",)
    assert facts["fields"]["customfield_10002"] == ("Client Corp", "Client SA")
    assert facts["fields"]["customfield_10060"] == ("Kim Key", "5f8e2a", "kim@x.example")
    assert facts["fields"]["customfield_10070"] == ("EU", "Paris")
    assert facts["fields"]["customfield_10080"] == ("A", "B")
    assert facts["fields"]["customfield_10090"] == ("Acme contract 42",)
    assert "customfield_10091" not in facts["fields"]  # empty: left out (a full snapshot says so)
    assert facts["fields"]["fixVersions"] == ("2026.1",)
    assert "description" not in facts["fields"] and "watches" not in facts["fields"]
    stored = TicketEvent.from_json(json.loads(event.dumps()))  # as the store keeps it
    assert stored.facts["fields"] == facts["fields"]


def test_a_custom_field_change_is_an_event():
    ticket = JiraTicket("OPS-1", START)
    parse_webhook(ticket.created())
    [event] = parse_webhook(_tier_changed(ticket, START + timedelta(hours=1), DORA, None, GOLD))
    assert (event.kind, event.dedup_key.rsplit(":", 1)[-1], event.to_value) == (
        EventKind.FIELDS_CHANGED, "Support tier", "Gold")
    assert event.facts["fields"]["customfield_10050"] == ("Gold",)
    assert event.actor.display_name == "Dora Desk"


def _story() -> list[dict]:
    ticket = JiraTicket("OPS-1", START)
    return [_with_fields(ticket.created(), customfield_10050=None),
            _tier_changed(ticket, START + timedelta(hours=1), DORA, None, GOLD),
            ticket.commented(START + timedelta(hours=1, minutes=30), ANNA),
            _tier_changed(ticket, START + timedelta(hours=2), DORA, GOLD, None)]


def test_a_custom_field_hands_the_ticket_to_a_vendor_in_replay(tmp_path):
    (tmp_path / "rules.yaml").write_text(RULES)
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(p) + "\n" for p in _story()))
    command = [str(Path(sys.executable).parent / "slawatch"), "replay", "--rules", str(tmp_path / "rules.yaml"),
               "--events", str(tmp_path / "events.jsonl"), "--at", "2026-01-05T12:00:00Z"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    [ticket] = json.loads(result.stdout)["tickets"]
    got = {c["metric"]: (c["started_at"], c["stopped_at"], c["ended_by"], c["handoff_by"], c["vendor"])
           for c in ticket["clocks"]}
    assert got == {
        "first_response": ("2026-01-05T10:00:00Z", "2026-01-05T10:30:00Z", "response", "Dora Desk", "acme"),
        "resolution": ("2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z", "handaway", "Dora Desk", "acme")}


@pytest.fixture
def rules_path(tmp_path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    return path


def test_backfilled_custom_fields_give_the_webhooks_clocks(make_app, make_db_url, clock, post_jira):
    clock.now = START + timedelta(hours=3)
    webhooks, backfilled = make_app(make_db_url()), make_app(make_db_url())
    with FakeJira() as fake:
        for n, payload in enumerate(_story()):
            fake.feed(payload)
            assert post_jira(payload, delivery=f"d{n}", using=webhooks.test_client()).status_code == 200
        client = connect(fake.url, fake.user, fake.token, max_retries=0)
        backfill(get_database(backfilled), client, "project = OPS", get_rulebook(backfilled).rules, clock)
    clocks = table_rows(backfilled, "clocks")
    assert clocks == table_rows(webhooks, "clocks")
    api = backfilled.test_client().get("/api/tickets/OPS-1").json
    assert [(c["metric"], c["vendor"], c["ended_by"]) for c in api["clocks"]] == [
        ("first_response", "acme", "response"), ("resolution", "acme", "handaway")]
