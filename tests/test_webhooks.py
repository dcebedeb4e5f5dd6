"""POST /webhooks/jira through the real Flask app and a real database: rows and ticket JSON."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from store.db import get_database
from store.models import ClockRow, Delivery, Event, Ticket
from tests import jira_payloads as jp
from tests.conftest import row_counts, table_rows
from tests.jira_payloads import AGENT, ANIL, BIRGIT, CHEN, CUSTOMER, FIXTURES, JOHN, LEAD, JiraTicket

UTC = timezone.utc


def at(hour: int, minute: int = 0, day: int = 5) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def ticket_row(app, key: str) -> Ticket | None:
    with get_database(app).reading() as session:
        return session.get(Ticket, key)


def clock_rows(app, key: str) -> dict[tuple[str, int], ClockRow]:
    with get_database(app).reading() as session:
        rows = session.scalars(select(ClockRow).where(ClockRow.ticket == key))
        return {(row.metric, row.cycle): row for row in rows}


def event_kinds(app, key: str) -> list[str]:
    with get_database(app).reading() as session:
        return list(session.scalars(select(Event.kind).where(Event.ticket == key).order_by(Event.at, Event.id)))


def step(clock, post_jira, when: datetime, payload: dict, delivery: str) -> dict:
    clock.now = when + timedelta(minutes=1)
    response = post_jira(payload, delivery=delivery)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "ok" and response.json["events"] >= 1
    return response.json


def test_cloud_ticket_lifecycle_rows_and_json(app, client, clock, post_jira):
    ticket = JiraTicket("OPS-5", at(9), reporter=CUSTOMER, issuetype="Incident", components=("Network",))

    step(clock, post_jira, at(9), ticket.created(), "d1")
    row = ticket_row(app, "OPS-5")
    assert (row.status, row.priority, row.vendor, row.policy, row.reporter, row.project) == (
        "To Do", "Medium", "acme", "standard", "Maria Lopez", "OPS")
    clocks = clock_rows(app, "OPS-5")
    assert set(clocks) == {("first_response", 1), ("resolution", 1)}
    first, resolution = clocks["first_response", 1], clocks["resolution", 1]
    assert (first.state, first.target_seconds, first.due_at) == ("running", 3600, at(10))
    assert (resolution.state, resolution.target_seconds, resolution.due_at) == ("running", 8 * 3600, at(17))
    assert first.next_warning_at == at(9, 30) and first.computed_at == at(9, 1)

    step(clock, post_jira, at(9, 10), ticket.assigned(at(9, 10), CHEN, actor=LEAD), "d2")
    assert ticket_row(app, "OPS-5").assignee == "Chen Wei"
    assert clock_rows(app, "OPS-5")["first_response", 1].state == "running"

    step(clock, post_jira, at(9, 20), ticket.commented(at(9, 20), AGENT), "d3")
    first = clock_rows(app, "OPS-5")["first_response", 1]
    assert (first.state, first.stopped_at, first.elapsed_seconds, first.breached_at) == (
        "stopped", at(9, 20), 1200, None)
    assert first.next_warning_at is None

    step(clock, post_jira, at(9, 30), ticket.status_changed(at(9, 30), "In Progress", actor=AGENT), "d4")
    assert ticket_row(app, "OPS-5").status == "In Progress"

    step(clock, post_jira, at(10), ticket.resolved(at(10), actor=AGENT), "d5")
    resolution = clock_rows(app, "OPS-5")["resolution", 1]
    assert (resolution.state, resolution.stopped_at, resolution.elapsed_seconds) == ("stopped", at(10), 3600)

    step(clock, post_jira, at(11), ticket.reopened(at(11), actor=CUSTOMER), "d6")
    clocks = clock_rows(app, "OPS-5")
    assert clocks["resolution", 1].state == "stopped"
    second = clocks["resolution", 2]
    assert (second.state, second.started_at, second.due_at) == ("running", at(11), at(19))
    assert ticket_row(app, "OPS-5").status == "Reopened"

    clock.now = at(11, 30)
    shown = client.get("/api/tickets/OPS-5").json
    assert [(c["metric"], c["cycle"], c["state"]) for c in shown["clocks"]] == [
        ("first_response", 1, "stopped"), ("resolution", 1, "stopped"), ("resolution", 2, "running")]
    assert shown["clocks"][2]["elapsed_seconds"] == 1800
    assert (shown["status"], shown["assignee"], shown["vendor"]) == ("Reopened", "Chen Wei", "acme")


def test_deleted_ticket_loses_its_clocks_and_keeps_its_events(app, client, clock, post_jira):
    ticket = JiraTicket("OPS-5", at(9))
    step(clock, post_jira, at(9), ticket.created(), "d1")
    step(clock, post_jira, at(9, 20), ticket.commented(at(9, 20), AGENT), "d2")
    step(clock, post_jira, at(12), ticket.deleted(at(12), actor=LEAD), "d3")
    assert clock_rows(app, "OPS-5") == {}
    assert ticket_row(app, "OPS-5").deleted is True
    assert event_kinds(app, "OPS-5") == ["created", "commented", "deleted"]
    shown = client.get("/api/tickets/OPS-5").json
    assert shown["deleted"] is True and shown["clocks"] == []


def test_data_center_ticket_reassigned_and_commented(app, client, clock, post_jira):
    ticket = JiraTicket("INFRA-9", at(10), reporter=BIRGIT, priority="Major", issuetype="Bug",
                        status="Open", assignee=JOHN, flavour="server")
    step(clock, post_jira, at(10), ticket.created(), "s1")
    row = ticket_row(app, "INFRA-9")
    assert (row.status, row.vendor, row.policy, row.reporter, row.assignee) == (
        "Open", "globex", "standard", "Birgit Wagner", "John Smith")

    step(clock, post_jira, at(10, 20), ticket.assigned(at(10, 20), ANIL, actor=JOHN), "s2")
    assert ticket_row(app, "INFRA-9").assignee == "Anil Kumar"

    step(clock, post_jira, at(10, 45), ticket.commented(at(10, 45), ANIL), "s3")
    first = clock_rows(app, "INFRA-9")["first_response", 1]
    assert (first.state, first.stopped_at, first.elapsed_seconds) == ("stopped", at(10, 45), 2700)
    clock.now = at(12)
    shown = client.get("/api/tickets/INFRA-9").json
    assert shown["clocks"][1]["metric"] == "resolution" and shown["clocks"][1]["state"] == "running"
    assert shown["clocks"][1]["elapsed_seconds"] == 2 * 3600


def test_reporter_comment_is_not_a_first_response(app, clock, post_jira):
    ticket = JiraTicket("OPS-6", at(9))
    step(clock, post_jira, at(9), ticket.created(), "r1")
    step(clock, post_jira, at(9, 5), ticket.commented(at(9, 5), CUSTOMER), "r2")
    assert clock_rows(app, "OPS-6")["first_response", 1].state == "running"


def test_the_recorded_fixture_story(app, client, clock, post_jira):
    """Every recorded fixture file posted byte for byte, in the order Jira sent them."""
    clock.now = at(12, day=10)  # after the last event (OPS-1 deleted on the 9th, 16:00 UTC)
    statuses = {}
    for name in jp.story():
        response = post_jira((FIXTURES / f"{name}.json").read_bytes(), delivery=f"story-{name}")
        assert response.status_code == 200, (name, response.json)
        statuses[name] = response.json["status"]
    assert statuses["worklog_created"] == "ignored"
    assert statuses["comment_updated"] in ("ignored", "ok")
    assert ticket_row(app, "OPS-1").deleted is True and clock_rows(app, "OPS-1") == {}
    infra = client.get("/api/tickets/INFRA-7").json
    assert (infra["assignee"], infra["vendor"], infra["reporter"]) == ("Anil Kumar", "globex", "Birgit Wagner")
    assert infra["clocks"][0]["state"] == "stopped"  # Anil's comment answered Birgit
    with get_database(app).reading() as session:
        delivered = set(session.scalars(select(Delivery.delivery_id)))
    assert "story-worklog_created" not in delivered and "story-issue_created" in delivered


def test_repeated_delivery_is_acknowledged_once(app, post_jira):
    payload = jp.created("OPS-7", at(9))
    assert post_jira(payload, delivery="same").json == {"status": "ok", "events": 1}
    before = row_counts(app)
    assert post_jira(payload, delivery="same").json == {"status": "duplicate"}
    assert post_jira(payload, delivery="other").json == {"status": "ok", "events": 0}
    assert row_counts(app)["events"] == before["events"]
    assert row_counts(app)["deliveries"] == before["deliveries"] + 1


def test_delivery_without_identifier_is_deduplicated_by_content(app, post_jira):
    payload = jp.created("OPS-8", at(9))
    assert post_jira(payload).json["status"] == "ok"
    assert post_jira(payload).json == {"status": "duplicate"}
    with get_database(app).reading() as session:
        (delivery,) = session.scalars(select(Delivery))
    assert delivery.delivery_id.startswith("sha256:") and delivery.event_count == 1


def lifecycle(ticket: JiraTicket, start: datetime, rng: random.Random) -> list[dict]:
    """Ten webhooks of one ticket's life, a few minutes apart."""
    times = iter(start + timedelta(minutes=m) for m in sorted(rng.sample(range(1, 600), 9)))
    return [
        ticket.created(),
        ticket.assigned(next(times), rng.choice([CHEN, ANIL, None]), actor=LEAD),
        ticket.commented(next(times), rng.choice([AGENT, CUSTOMER])),
        ticket.status_changed(next(times), "In Progress", actor=AGENT),
        ticket.status_changed(next(times), "Waiting for customer", actor=AGENT),
        ticket.priority_changed(next(times), rng.choice(["High", "Low"]), actor=LEAD),
        ticket.status_changed(next(times), "In Progress", actor=CUSTOMER),
        ticket.resolved(next(times), actor=AGENT),
        ticket.reopened(next(times), actor=CUSTOMER),
        ticket.commented(next(times), AGENT),
    ]


def test_duplicate_and_shuffled_deliveries_give_the_in_order_state(make_app, make_db_url, clock, post_jira):
    rng = random.Random(20260105)
    deliveries = []
    for n in range(100):
        ticket = JiraTicket(f"LOAD-{n}", at(8) + timedelta(minutes=n), components=rng.choice([(), ("Network",)]),
                            issuetype=rng.choice(["Incident", "Task"]), priority=rng.choice(["High", "Medium"]))
        for i, payload in enumerate(lifecycle(ticket, at(8) + timedelta(minutes=n), rng)):
            deliveries.append((f"LOAD-{n}/{i}", payload))
    assert len(deliveries) == 1000
    clock.now = at(23)
    in_order = make_app(make_db_url())
    shuffled = make_app(make_db_url())
    for delivery, payload in deliveries:
        assert post_jira(payload, delivery=delivery, using=in_order.test_client()).status_code == 200
    repeated = deliveries + [(d if i % 2 else d + "/retry", p) for i, (d, p) in enumerate(deliveries)]
    rng.shuffle(repeated)
    client = shuffled.test_client()
    for delivery, payload in repeated:
        assert post_jira(payload, delivery=delivery, using=client).status_code == 200
    for table in ("tickets", "events", "clocks"):
        assert table_rows(shuffled, table) == table_rows(in_order, table), table
    assert row_counts(in_order)["deliveries"] == 1000 and row_counts(in_order)["events"] == 1200
    assert row_counts(shuffled)["deliveries"] == 1500


def test_a_comment_naming_its_issue_by_id_only_is_filed_under_the_stored_key(app, client, clock, post_jira):
    """Some Jira versions send comment_created without `issue`; comment.self still has the id."""
    ticket = JiraTicket("OPS-6", at(9), issuetype="Incident")
    clock.now = at(10)
    assert post_jira(ticket.created(), delivery="k1").status_code == 200
    assert ticket_row(app, "OPS-6").issue_id == ticket.issue_id
    comment = ticket.commented(at(9, 20), AGENT)
    del comment["issue"]
    answer = post_jira(comment, delivery="k2")
    assert answer.status_code == 200 and answer.json == {"status": "ok", "events": 1}
    assert event_kinds(app, "OPS-6") == ["created", "commented"]
    assert clock_rows(app, "OPS-6")["first_response", 1].stopped_at == at(9, 20)

    stranger = JiraTicket("OPS-7", at(9)).commented(at(9, 30), AGENT)
    del stranger["issue"]
    before = row_counts(app)
    answer = post_jira(stranger, delivery="k3")  # kept until OPS-7 is known: tests/test_jira_real_payloads.py
    assert answer.status_code == 202 and "no stored ticket has the issue id" in answer.json["reason"]
    assert row_counts(app) == before
