"""Issue 12: a ticket whose recompute fails, fails alone (retried with backoff, then quarantined,
shown on /healthz, /metrics, /rules and `slawatch quarantine`), and time comes from the events (a
delivery stamped ahead of the worker's clock is applied when its instant comes)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from click.testing import CliRunner
from sqlalchemy import select, update

from cli import cli
from processors.rules import parse_rules
from store.db import get_database
from store.models import ClockRow, Event, PendingRecompute
from store.pending import MAX_FAILURES, mark_pending
from store.recompute import recompute_stale_clocks
from tests import jira_payloads as jp
from tests.conftest import RULES_YAML, recompute_marked

UTC = timezone.utc
T9 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def clocks_of(app, key: str) -> dict[str, tuple[str, datetime | None]]:
    with get_database(app).reading() as session:
        rows = session.scalars(select(ClockRow).where(ClockRow.ticket == key)).all()
    return {row.metric: (row.state, row.breached_at) for row in rows}


def pending_row(app, key: str) -> PendingRecompute | None:
    with get_database(app).reading() as session:
        return session.get(PendingRecompute, key)


def post(client, payload, delivery: str) -> None:
    response = client.post("/webhooks/jira", json=payload, headers={"X-Atlassian-Webhook-Identifier": delivery})
    assert response.status_code == 200, response.json


def unreadable_ticket(app, client, key: str) -> None:
    """A ticket stored by an older release whose event this one cannot read: its recompute raises."""
    post(client, jp.created(key, T9), f"old-{key}")
    db = get_database(app)
    db.write(lambda session: session.execute(update(Event).where(Event.ticket == key).values(payload="{")))


def test_a_failing_ticket_fails_alone_then_is_quarantined_and_can_be_retried(app, client, clock, db_url):
    clock.now = T9 + timedelta(minutes=1)
    unreadable_ticket(app, client, "OPS-1")  # marked first: at the head of the batch
    clock.now += timedelta(seconds=1)
    post(client, jp.created("OPS-2", T9), "good")
    recompute_marked(app)
    assert clocks_of(app, "OPS-2") == {"first_response": ("running", None), "resolution": ("running", None)}
    row = pending_row(app, "OPS-1")
    assert row.failures == 1 and row.not_before == clock.now + timedelta(seconds=2)
    assert row.last_error.startswith("JSONDecodeError") and row.quarantined_at is None

    for attempt in range(2, MAX_FAILURES + 1):  # each retry after its backoff
        recompute_marked(app)
        assert pending_row(app, "OPS-1").failures == attempt - 1  # not yet due
        clock.now = pending_row(app, "OPS-1").not_before
        recompute_marked(app)
        assert pending_row(app, "OPS-1").failures == attempt
    assert pending_row(app, "OPS-1").quarantined_at == clock.now

    health = client.get("/healthz")
    assert health.status_code == 200 and health.json["status"] == "degraded"
    recompute = health.json["recompute"]
    assert recompute["pending_tickets"] == 0 and recompute["quarantine"]["tickets"] == 1
    assert recompute["quarantine"]["latest"][0]["ticket"] == "OPS-1"
    assert "slawatch_quarantined_tickets 1.0" in client.get("/metrics").get_data(as_text=True)
    assert "OPS-1" in client.get("/rules").get_data(as_text=True)

    env = {"SLAWATCH_DATABASE_URL": db_url, "SLAWATCH_RULES": app.config["SLAWATCH_RULES"]}
    listed = CliRunner().invoke(cli, ["quarantine", "list"], env=env, catch_exceptions=False)
    assert listed.exit_code == 0 and listed.stdout.startswith(f"OPS-1\t{MAX_FAILURES}\t")
    post(client, jp.created("OPS-1", T9), "fixed")  # the same event again: a new mark, still quarantined
    db = get_database(app)
    db.write(lambda session: session.execute(  # the cause fixed (say, by a new release)
        update(Event).where(Event.ticket == "OPS-1").values(payload=jp_event_json(app, "OPS-2", "OPS-1"))))
    retried = CliRunner().invoke(cli, ["quarantine", "retry", "OPS-1"], env=env, catch_exceptions=False)
    assert retried.exit_code == 0 and retried.stdout.startswith("1 ticket back in line")
    recompute_marked(app)
    assert pending_row(app, "OPS-1") is None and set(clocks_of(app, "OPS-1")) == {"first_response", "resolution"}


def jp_event_json(app, source: str, key: str) -> str:
    with get_database(app).reading() as session:
        payload = session.scalars(select(Event.payload).where(Event.ticket == source)).one()
    return payload.replace(source, key)


def test_a_new_ticket_stamped_ahead_gets_its_clocks_when_its_instant_comes(app, client, clock):
    clock.now = T9  # Jira's clock 0.3 s ahead of ours
    post(client, jp.created("OPS-5", T9 + timedelta(milliseconds=300)), "ahead")
    recompute_marked(app)
    assert clocks_of(app, "OPS-5") == {}
    assert pending_row(app, "OPS-5").not_before == T9 + timedelta(milliseconds=300)
    assert client.get("/healthz").json["recompute"]["pending_tickets"] == 0  # waiting is not late
    clock.now = T9 + timedelta(seconds=1)
    recompute_marked(app)
    assert clocks_of(app, "OPS-5") == {"first_response": ("running", None), "resolution": ("running", None)}
    assert pending_row(app, "OPS-5") is None


def test_an_answer_stamped_two_minutes_ahead_stops_the_clock_and_no_breach_is_invented(app, client, clock):
    post(client, jp.created("OPS-6", T9), "c")  # first response target: 1h
    answered = T9 + timedelta(minutes=59, seconds=30)
    clock.now = answered - timedelta(minutes=2)  # Jira's clock 2 minutes ahead of ours
    post(client, jp.commented("OPS-6", answered), "answer")
    recompute_marked(app)
    assert clocks_of(app, "OPS-6")["first_response"] == ("running", None)
    clock.now = T9 + timedelta(hours=1, seconds=1)  # past the target: the answer's instant came first
    recompute_marked(app)
    assert clocks_of(app, "OPS-6")["first_response"] == ("stopped", None)
    assert pending_row(app, "OPS-6") is None


def test_a_new_mark_makes_a_waiting_ticket_due_now(app, clock):
    db = get_database(app)
    db.write(lambda session: mark_pending(session, ["OPS-9"], T9))
    db.write(lambda session: session.execute(update(PendingRecompute).values(not_before=T9 + timedelta(hours=1))))
    db.write(lambda session: mark_pending(session, ["OPS-9"], T9))
    assert pending_row(app, "OPS-9").not_before is None and pending_row(app, "OPS-9").mark == 2


def test_a_jira_clock_far_ahead_is_reported_as_drift_on_healthz(app, client, clock):
    clock.now = T9
    post(client, jp.created("OPS-7", T9 + timedelta(seconds=20)), "near")
    assert client.get("/healthz").json["jira"]["clock_drift"] == {"ok": True}
    post(client, jp.created("OPS-8", T9 + timedelta(minutes=7)), "far")
    health = client.get("/healthz").json
    assert health["status"] == "degraded"
    assert health["jira"]["clock_drift"] == {"ok": False, "ahead_seconds": 420.0, "seen_at": "2026-01-05T09:00:00Z"}
    clock.now = T9 + timedelta(hours=2)
    assert client.get("/healthz").json["jira"]["clock_drift"] == {"ok": True}


def target_of(app, key: str, metric: str = "first_response") -> tuple[int, str]:
    with get_database(app).reading() as session:
        row = session.scalars(select(ClockRow).where(ClockRow.ticket == key, ClockRow.metric == metric)).one()
    return row.target_seconds, row.rules_version


def test_a_failing_ticket_does_not_stop_the_recompute_after_a_rules_change(app, client, clock):
    """The stale-clock recompute (a rules change) isolates a ticket whose recompute raises: the
    others are recomputed, the failing one is handed to the marked path (backoff, quarantine)."""
    clock.now = T9 + timedelta(minutes=1)
    for key in ("OPS-1", "OPS-2", "OPS-3"):
        post(client, jp.created(key, T9), f"c-{key}")
    recompute_marked(app)
    old_version = target_of(app, "OPS-2")[1]
    db = get_database(app)
    db.write(lambda session: session.execute(update(Event).where(Event.ticket == "OPS-1").values(payload="{")))
    longer = parse_rules(RULES_YAML.replace("target: 1h, warn_at: [50%]", "target: 2h, warn_at: [50%]"))
    clock.now += timedelta(minutes=1)
    assert recompute_stale_clocks(db, longer, clock.now, batch=2) == 3  # OPS-1 heads the first batch
    assert target_of(app, "OPS-2") == (7200, longer.version) and target_of(app, "OPS-3") == (7200, longer.version)
    assert target_of(app, "OPS-1") == (3600, old_version)  # as last computed
    row = pending_row(app, "OPS-1")
    assert row.failures == 1 and row.not_before == clock.now + timedelta(seconds=2)
    assert row.last_error.startswith("JSONDecodeError") and row.quarantined_at is None
    assert recompute_stale_clocks(db, longer, clock.now, batch=2) == 0  # left to the marked path
    assert pending_row(app, "OPS-2") is None and pending_row(app, "OPS-3") is None
