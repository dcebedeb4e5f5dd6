"""What real Jira sends beyond the fixture story: a Cloud `issue_assigned` whose changelog has no
items, and a Data Center `comment_created` without `issue` (only `comment.self` names the issue,
by id), right after its issue was created or before Slawatch knows the issue at all.
Bodies: tests/fixtures/jira/real-world/*.json, in the wire format of tests/fixtures/jira/."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import select

from store.db import get_database
from store.models import JiraWaiting
from tests import jira_payloads as jp
from tests.conftest import RULES_YAML, recompute_marked
from tests.test_webhooks import clock_rows, event_kinds, ticket_row

UTC = timezone.utc
REAL = jp.FIXTURES / "real-world"


def body(name: str) -> bytes:
    return (REAL / f"{name}.json").read_bytes()


def send(client, raw: bytes, delivery: str):
    """POST as Jira does, without running the worker's recompute afterwards."""
    return client.post("/webhooks/jira", data=raw, headers={
        "Content-Type": "application/json; charset=UTF-8", "X-Atlassian-Webhook-Identifier": delivery})


def waiting(app) -> list[str]:
    with get_database(app).reading() as session:
        return list(session.scalars(select(JiraWaiting.issue_id).order_by(JiraWaiting.delivery_id)))


def test_cloud_issue_assigned_with_an_empty_changelog_teaches_the_assignee(app, client, clock, post_jira):
    clock.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert post_jira(jp.load_fixture("issue_created")).status_code == 200
    assert ticket_row(app, "OPS-1").assignee is None
    answer = post_jira(body("cloud_issue_assigned_empty_changelog"), delivery="assigned-1")
    assert answer.status_code == 200 and answer.json == {"status": "ok", "events": 1}
    assert event_kinds(app, "OPS-1") == ["created", "assignee_changed"]
    assert ticket_row(app, "OPS-1").assignee == "Chen Wei"


def test_the_assignee_of_an_empty_changelog_matches_a_vendor(make_app, db_url, rules_path, clock, post_jira):
    rules_path.write_text(RULES_YAML.replace("      components: [Network]\n",
                                             "      assignees: [Chen Wei]\n"), encoding="utf-8")
    app = make_app(db_url)
    client = app.test_client()
    clock.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    issue = jp.load_fixture("issue_created")
    issue["issue"]["fields"]["components"] = []  # OPS-1 is no ACME ticket by its component
    assert post_jira(issue, using=client).status_code == 200
    assert ticket_row(app, "OPS-1").vendor is None
    assert post_jira(body("cloud_issue_assigned_empty_changelog"), delivery="a2", using=client).status_code == 200
    assert ticket_row(app, "OPS-1").vendor == "acme"


def test_a_comment_by_issue_id_right_after_the_issue_was_created_is_filed(app, client, clock):
    """No recompute between the two deliveries: the id is stored with the created event."""
    clock.now = datetime(2026, 1, 5, 10, 30, tzinfo=UTC)
    assert send(client, (jp.FIXTURES / "issue_created__server.json").read_bytes(), "c1").status_code == 200
    answer = send(client, body("server_comment_created_no_issue"), "c2")
    assert answer.status_code == 200 and answer.json == {"status": "ok", "events": 1}
    recompute_marked(app)
    assert event_kinds(app, "INFRA-7") == ["created", "commented"]


def test_a_comment_for_an_unknown_issue_waits_and_goes_in_when_the_issue_arrives(app, client, clock, post_jira):
    clock.now = datetime(2026, 1, 5, 10, 30, tzinfo=UTC)
    comment = body("server_comment_created_no_issue")
    answer = post_jira(comment, delivery="early-comment")
    assert answer.status_code == 202 and answer.json["status"] == "waiting"
    assert "21507" in answer.json["reason"]
    assert post_jira(comment, delivery="early-comment").status_code == 202  # Jira's retry: kept once
    assert waiting(app) == ["21507"] and ticket_row(app, "INFRA-7") is None

    assert post_jira(jp.load_fixture("issue_created__server"), delivery="created").status_code == 200
    assert waiting(app) == []
    assert event_kinds(app, "INFRA-7") == ["created", "commented"]
    stopped = clock_rows(app, "INFRA-7")["first_response", 1].stopped_at
    assert stopped == datetime(2026, 1, 5, 10, 20, tzinfo=UTC)  # the comment's own time
    assert post_jira(comment, delivery="early-comment").json == {"status": "duplicate"}


def test_the_fixtures_are_wire_json_with_what_the_case_needs():
    assigned = json.loads(body("cloud_issue_assigned_empty_changelog"))
    assert assigned["issue_event_type_name"] == "issue_assigned" and assigned["changelog"]["items"] == []
    comment = json.loads(body("server_comment_created_no_issue"))
    assert "issue" not in comment and "/issue/21507/comment/" in comment["comment"]["self"]


def test_a_waiting_comment_goes_in_when_reconcile_brings_its_issue(make_app, db_url, rules_path, clock):
    """The issue's created webhook was lost: the hourly reconcile reads the issue from Jira, and
    the comment that waited for it goes in."""
    from scheduler import get_ticker
    from tests.fake_jira import FakeJira

    clock.now = datetime(2026, 1, 5, 10, 30, tzinfo=UTC)
    with FakeJira(deployment="Server") as fake:
        app = make_app(db_url, JIRA_URL=fake.url, JIRA_USER=fake.user, JIRA_API_TOKEN=fake.token)
        answer = send(app.test_client(), body("server_comment_created_no_issue"), "early")
        assert answer.status_code == 202 and waiting(app) == ["21507"]
        fake.feed(jp.load_fixture("issue_created__server"))  # in Jira; its webhook never came
        clock.now = datetime(2026, 1, 5, 10, 35, tzinfo=UTC)
        assert get_ticker(app).tick() == []
    recompute_marked(app)
    assert waiting(app) == [] and event_kinds(app, "INFRA-7") == ["created", "commented"]
