"""An issue moved to another project (OPS-5 becomes NET-12): its history, clocks, outbox rows and
acknowledgements follow it to the new key (store/moves.py); nothing is alerted twice."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from processors.events import EventKind, TicketEvent, moved_from
from scheduler import get_ticker
from store.db import get_database
from store.models import Acknowledgement, ClockRow, Event, OutboxMessage, Ticket
from tests.jira_payloads import AGENT, JiraTicket
from tests.slack_helpers import MANAGER, T0, at, outbox_rows, post_jira, slack_app  # noqa: F401
from tests.fake_slack import fake_slack  # noqa: F401  (the fixture)

UTC = timezone.utc
T9 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def stored(app, model, *columns):
    with get_database(app).reading() as session:
        return sorted(session.execute(select(*(getattr(model, c) for c in columns))).all())


def test_moved_from_recognises_only_a_change_of_the_issue_key():
    def changed(ticket: str, before: str | None, after: str | None) -> TicketEvent:
        return TicketEvent(ticket, EventKind.FIELDS_CHANGED, T9, "k", from_value=before, to_value=after)

    assert moved_from(changed("NET-12", "OPS-5", "NET-12")) == "OPS-5"
    assert moved_from(changed("NET-12", "Operations", "NET-12")) is None  # not a key
    assert moved_from(changed("NET-12", "OPS-5", "Network")) is None  # a project name change
    assert moved_from(changed("NET-12", "NET-12", "NET-12")) is None
    assert moved_from(TicketEvent("NET-12", EventKind.COMMENTED, T9, "c", from_value="OPS-5",
                                  to_value="NET-12")) is None


def test_a_moved_issue_keeps_its_history_and_clocks_under_the_new_key(app, client, clock, post_jira):
    ticket = JiraTicket("OPS-5", T9, issuetype="Incident")
    clock.now = T9 + timedelta(hours=2)
    for n, payload in enumerate([ticket.created(), ticket.commented(T9 + timedelta(minutes=20), AGENT),
                                 ticket.moved(T9 + timedelta(hours=1), "NET-12", project_name="Network"),
                                 ticket.commented(T9 + timedelta(minutes=90), AGENT)]):
        assert post_jira(payload, delivery=f"d{n}").status_code == 200

    assert stored(app, Ticket, "key", "project") == [("NET-12", "NET")]
    assert {ticket for (ticket,) in stored(app, Event, "ticket")} == {"NET-12"}
    assert len(stored(app, Event, "id")) == 5  # created, comment, project + Key changes, comment
    clocks = {metric: (started, stopped) for metric, started, stopped in
              stored(app, ClockRow, "metric", "started_at", "stopped_at")}
    assert clocks == {"first_response": (T9, T9 + timedelta(minutes=20)), "resolution": (T9, None)}
    assert client.get("/api/tickets/OPS-5").status_code == 404
    assert client.get("/api/tickets/NET-12").json["created_at"] == "2026-01-05T09:00:00Z"

    # Jira retries a delivery of before the move: recognised by its dedup key, nothing comes back
    assert post_jira(JiraTicket("OPS-5", T9, issuetype="Incident").created(), delivery="retry").json == {
        "status": "ok", "events": 0}
    assert {ticket for (ticket,) in stored(app, Event, "ticket")} == {"NET-12"}
    assert len(stored(app, Event, "id")) == 5 and client.get("/api/tickets/OPS-5").status_code == 404


def test_a_breach_alerted_before_the_move_is_not_alerted_again(slack_app, clock, fake_slack):  # noqa: F811
    ticket = JiraTicket("ACME-1", T0, project_name="ACME")
    clock.now = T0
    post_jira(slack_app, ticket.created())
    tick = get_ticker(slack_app).tick
    clock.now = at(61)  # first response breached at 13:00
    assert tick() == []
    breach = next(m for m in fake_slack.messages() if "breach" in m["metadata"]["event_payload"]["key"])
    clock.now = at(70)
    post_jira(slack_app, ticket.moved(at(70), "OPS-77", project_name="Operations"))
    posted = len(fake_slack.messages())
    clock.now = at(75)
    assert tick() == []
    assert len(fake_slack.messages()) == posted  # nothing new: the breach was alerted as ACME-1
    rows = outbox_rows(slack_app)
    assert "alert:OPS-77:first_response:1:breach" in rows and "alert:ACME-1:first_response:1:breach" not in rows
    assert {row.ticket for row in rows.values() if row.ticket} == {"OPS-77"}

    clock.now = at(80)
    post_jira(slack_app, ticket.commented(at(80), AGENT))
    clock.now = at(81)
    assert tick() == []
    late = [m for m in fake_slack.messages() if m["metadata"]["event_payload"]["key"]
            == "alert:OPS-77:first_response:1:resolved-late"]
    assert len(late) == 1 and late[0]["thread_ts"] == breach["ts"]  # in the thread of the first alert


def test_acknowledgements_follow_the_move(slack_app, clock):  # noqa: F811
    ticket = JiraTicket("ACME-2", T0, project_name="ACME")
    clock.now = at(61)
    post_jira(slack_app, ticket.created())
    key = "alert:ACME-2:first_response:1:breach"
    get_database(slack_app).write(lambda session: session.add(Acknowledgement(
        alert_key=key, ticket="ACME-2", metric="first_response", cycle=1, by=MANAGER, at=at(62), kind="ack")))
    post_jira(slack_app, ticket.moved(at(70), "OPS-78"))
    assert stored(slack_app, Acknowledgement, "alert_key", "ticket") == [
        ("alert:OPS-78:first_response:1:breach", "OPS-78")]
    assert stored(slack_app, OutboxMessage, "key") == []  # no tick ran: nothing was planned
