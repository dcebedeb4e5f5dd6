"""`match.fields` by a field's name ("Support tier", "Request type") as well as by its id (issue
#11): a webhook carries custom fields by id only, so a name stands for the ids Jira gives it,
learnt from changelog items (field + fieldId) and from GET /rest/api/2/field; until then it fits
no ticket and /healthz names it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

import store.rulebook
from connectors.jira import changelog_field_names, field_list_names
from connectors.jira_backfill import backfill, connect
from processors.rules import bind_field_names, parse_rules, unknown_field_names
from store.db import get_database
from store.rulebook import get_rulebook
from tests.conftest import recompute_marked, table_rows
from tests.fake_jira import FakeJira
from tests.test_jira_fields import GOLD, RULES, START, _story

BY_NAME = RULES.replace("customfield_10050", '"Support tier"')


@pytest.fixture
def rules_path(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(BY_NAME, encoding="utf-8")
    return path


def _stored(app) -> list[tuple]:
    """The stored clocks (the worker's cache, not the API's live evaluation): metric and vendor."""
    with get_database(app).engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text("SELECT metric, vendor FROM clocks ORDER BY metric"))]


GOLD_TICKET = {"fields": {"customfield_10050": ("Gold",), "customfield_20050": ("Silver",)}}
SILVER_ONLY = {"fields": {"customfield_20050": ("Gold",)}}


def test_a_name_fits_no_ticket_until_it_is_bound_then_fits_by_any_of_its_ids():
    rules = parse_rules(BY_NAME, "rules.yaml")
    assert unknown_field_names(rules) == ("Support tier",)
    assert rules.select_vendor(GOLD_TICKET) is None  # unbound: no id to look in
    bound = bind_field_names(rules, {"support tier": ("customfield_10050",)})  # names are casefolded
    assert unknown_field_names(bound) == () and bound.version == rules.version
    assert bound.select_vendor(GOLD_TICKET).id == "acme"
    assert bound.select_vendor(SILVER_ONLY) is None  # the value sits in another field
    # two fields named alike (two projects' "Support tier"): a value in either fits
    both = bind_field_names(rules, {"support tier": ("customfield_10050", "customfield_20050")})
    assert both.select_vendor(SILVER_ONLY).id == "acme"
    # a name bound to nothing any more fits nothing again
    assert bind_field_names(both, {}).select_vendor(GOLD_TICKET) is None


def test_rules_that_name_no_field_are_never_copied():
    rules = parse_rules(RULES, "rules.yaml")  # by id only
    assert bind_field_names(rules, {"support tier": ("customfield_99",)}) is rules
    assert rules.select_vendor(GOLD_TICKET).id == "acme"


def test_a_policy_needs_the_named_field_and_its_other_criteria():
    text = BY_NAME.replace("  - name: tiered\n", "  - name: tiered\n    match: {projects: [OPS], fields: {Support tier: [gold]}}\n")
    rules = bind_field_names(parse_rules(text, "rules.yaml"), {"support tier": ("customfield_10050",)})
    assert rules.select_policy({**GOLD_TICKET, "project": "OPS"}).name == "tiered"
    assert rules.select_policy({**GOLD_TICKET, "project": "NET"}) is None
    assert rules.select_policy({"project": "OPS", "fields": {"customfield_10050": ("Bronze",)}}) is None


def test_the_names_come_from_changelog_items_and_the_field_list():
    payload = {"changelog": {"id": "1", "items": [
        {"field": "Support tier", "fieldtype": "custom", "fieldId": "customfield_10050"},
        {"field": "status", "fieldtype": "jira", "fieldId": "status"},  # not a kept field
        {"field": "Fix Version", "fieldtype": "jira", "fieldId": "fixVersions"},
        {"field": 7, "fieldId": "customfield_1"}, "junk"]}}
    assert changelog_field_names(payload) == {"customfield_10050": "Support tier", "fixVersions": "Fix Version"}
    assert changelog_field_names({"changelog": None}) == {} and changelog_field_names([]) == {}
    listed = [{"id": "summary", "name": "Summary"}, {"id": "customfield_10010", "name": " Request type "},
              {"id": "customfield_10011"}, None]
    assert field_list_names(listed) == {"customfield_10010": "Request type"}


def test_a_webhook_teaches_the_name_and_open_tickets_are_judged_again(make_app, db_url, clock, post_jira,
                                                                       monkeypatch):
    clock.now = START + timedelta(hours=3)
    app = make_app(db_url)
    client = app.test_client()
    created, handed, answered, _ = _story()
    assert post_jira(created, delivery="d0").status_code == 200
    assert client.get("/healthz").json["rules"]["unknown_field_names"] == ["Support tier"]
    # the ticket is Gold from the start, but no webhook has named its field yet: no vendor, no clock
    created["issue"]["fields"]["customfield_10050"] = GOLD
    assert post_jira(created, delivery="d0-again").status_code == 200
    assert client.get("/api/tickets/OPS-1").json["clocks"] == []
    # a change of the field gives its name with its id; the pins' refresh binds it
    monkeypatch.setattr(store.rulebook, "PINS_REFRESH_SECONDS", 0.0)
    assert post_jira(handed, delivery="d1").status_code == 200
    assert table_rows(app, "jira_fields", exclude=("updated_at",)) == [("customfield_10050", "Support tier")]
    assert _stored(app) == []  # the worker recomputed OPS-1 for d1 before this process bound the name
    assert client.get("/healthz").json["rules"]["unknown_field_names"] == []  # bound; open tickets marked
    recompute_marked(app)
    assert _stored(app) == [("first_response", "acme"), ("resolution", "acme")]
    assert post_jira(answered, delivery="d2").status_code == 200
    clocks = client.get("/api/tickets/OPS-1").json["clocks"]
    assert [(c["metric"], c["vendor"], c["started_at"], c["ended_by"]) for c in clocks] == [
        ("first_response", "acme", "2026-01-05T10:00:00Z", "response"),
        ("resolution", "acme", "2026-01-05T10:00:00Z", None)]
    # a restarted process binds the stored names at once
    again = make_app(db_url)
    assert again.test_client().get("/healthz").json["rules"]["unknown_field_names"] == []
    assert get_rulebook(again).rules.select_vendor(GOLD_TICKET).id == "acme"


def test_the_backfill_reads_the_field_list_and_judges_by_name(make_app, make_db_url, clock, monkeypatch):
    clock.now = START + timedelta(hours=3)
    app = make_app(make_db_url())
    with FakeJira() as fake:
        fake.custom_fields = {"customfield_10050": "Support tier"}
        for payload in _story():
            fake.feed(payload)
        client = connect(fake.url, fake.user, fake.token, max_retries=0)
        backfill(get_database(app), client, "project = OPS", get_rulebook(app).schedule, clock)
        assert any(path == "/rest/api/2/field" for path, _ in fake.requests)
    assert ("customfield_10050", "Support tier") in table_rows(app, "jira_fields", exclude=("updated_at",))
    assert _stored(app) == [("first_response", "acme"), ("resolution", "acme")]  # judged with the name bound
    # the web process binds the learnt name at its next refresh of the pins (every 30 s)
    monkeypatch.setattr(store.rulebook, "PINS_REFRESH_SECONDS", 0.0)
    api = app.test_client().get("/api/tickets/OPS-1").json
    assert [(c["metric"], c["vendor"], c["ended_by"]) for c in api["clocks"]] == [
        ("first_response", "acme", "response"), ("resolution", "acme", "handaway")]
