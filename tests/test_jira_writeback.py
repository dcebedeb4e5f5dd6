"""Write-back to Jira (rules.yaml `jira.write_back`): a breach adds a label and one comment to
the issue, through the outbox and the real `jira.JIRA` client, against the fake Jira."""
from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from connectors.jira_backfill import connect
from connectors.jira_writeback import NOT_CONFIGURED, JiraWriter
from processors.alerts import ClockView, jira_effects, plan
from processors.rules import JiraWriteBack, RulesError, parse_rules
from scheduler import get_ticker
from store import outbox
from store.db import get_database
from store.models import OutboxMessage
from tests import jira_payloads as jp
from tests.fake_jira import FakeJira
from tests.fake_slack import fake_slack  # noqa: F401  (the fixture)

UTC = timezone.utc
T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
M, H = timedelta(minutes=1), timedelta(hours=1)
COMMENT_KEY = "jira:ACME-1:first_response:1:comment"

RULES = """\
version: 1
calendars:
  always: 24x7
  office: {timezone: Europe/Paris, hours: {mon-fri: ["09:00-17:00"]}}
vendors:
  acme: {match: {projects: [ACME]}, channel: "#acme-sla"}
policies:
  - name: standard
    calendar: always
    metrics:
      first_response: {target: 1h}
      resolution: {target: 8h}
jira:
  done_statuses: [Done]
{write_back}
"""
ON = "  write_back: {label: sla-breached, comment: true}"


def rules_text(write_back: str = ON) -> str:
    return RULES.replace("{write_back}", write_back)


@pytest.fixture
def fake_jira():
    with FakeJira(deployment="Cloud") as fake:
        fake.clock = lambda: T0
        yield fake


@pytest.fixture
def jira_app(make_app, db_url, rules_path, fake_jira, fake_slack, clock):
    def make(write_back: str = ON, token: str | None = fake_jira.token, rules: str | None = None,
             **settings):
        rules_path.write_text(rules or rules_text(write_back), encoding="utf-8")
        clock.now = T0
        jira = {"JIRA_URL": fake_jira.url, "JIRA_USER": fake_jira.user, "JIRA_API_TOKEN": token}
        app = make_app(db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url,
                       SLAWATCH_RECONCILE_SECONDS=10 ** 9, **(jira if token else {}), **settings)
        return app
    return make


def open_ticket(app, fake, key: str = "ACME-1", at: datetime = T0) -> None:
    payload = jp.created(key, at, project="ACME", summary="VPN down in Lyon")
    fake.feed(payload)
    assert app.test_client().post("/webhooks/jira", json=payload).status_code == 200


def tick_at(app, clock, at: datetime, times: int = 2) -> None:
    clock.now = at
    for _ in range(times):
        assert get_ticker(app).tick() == []


def rows(app, prefix: str = "jira:") -> dict[str, OutboxMessage]:
    with get_database(app).reading() as session:
        query = select(OutboxMessage).where(OutboxMessage.key.startswith(prefix)).order_by(OutboxMessage.id)
        return {row.key: row for row in session.scalars(query)}


def writes(fake, method: str) -> list[tuple[str, object]]:
    return [(path, body) for m, path, body in fake.writes if m == method]


# ---- end to end ----------------------------------------------------------------------------

def test_a_breach_adds_the_label_and_one_comment_once(jira_app, fake_jira, fake_slack, clock):
    app = jira_app()
    open_ticket(app, fake_jira)
    tick_at(app, clock, T0 + 30 * M)
    assert fake_jira.writes == []
    tick_at(app, clock, T0 + 61 * M)  # the first response breached at 13:00
    issue_id = fake_jira.issues["ACME-1"].raw["id"]  # the client PUTs to the issue's `self`
    assert writes(fake_jira, "PUT") == [(f"/rest/api/2/issue/{issue_id}",
                                         {"fields": {}, "update": {"labels": [{"add": "sla-breached"}]}})]
    [(path, body)] = writes(fake_jira, "POST")
    assert path == "/rest/api/2/issue/ACME-1/comment"
    assert body == {"body": "SLA breached: first response (target 1h, policy standard) at "
                            "2026-01-05 13:00 UTC. — Slawatch\n(slawatch ref: " + COMMENT_KEY + ")"}
    assert fake_jira.issues["ACME-1"].raw["fields"]["labels"] == ["sla-breached"]
    assert {k: (r.status, r.slack_ts) for k, r in rows(app).items()} == {
        "jira:ACME-1:first_response:1:label": ("sent", "label"),
        COMMENT_KEY: ("sent", f"comment:{fake_jira.issues['ACME-1'].comments[0]['id']}")}
    assert "alert:ACME-1:first_response:1:breach" in [  # Slack gets its breach as before
        m["metadata"]["event_payload"]["key"] for m in fake_slack.messages("#acme-sla")]

    tick_at(app, clock, T0 + 2 * H)  # later ticks: nothing again
    assert len(fake_jira.writes) == 2
    tick_at(app, clock, T0 + 8 * H + M)  # the resolution breaches: its comment; the label is there
    assert len(writes(fake_jira, "PUT")) == 1
    assert [b["body"].splitlines()[0] for _, b in writes(fake_jira, "POST")][1] == (
        "SLA breached: resolution (target 8h, policy standard) at 2026-01-05 20:00 UTC. — Slawatch")
    assert len(fake_jira.issues["ACME-1"].comments) == 2


def test_our_comment_coming_back_as_a_webhook_is_no_response(jira_app, fake_jira, clock):
    """Jira sends a comment_created webhook for Slawatch's own comment: it must not stop the
    first response (here the resolution, 30m, breaches before the first response, 1h)."""
    app = jira_app(rules=rules_text().replace("resolution: {target: 8h}", "resolution: {target: 30m}"))
    open_ticket(app, fake_jira)
    tick_at(app, clock, T0 + 31 * M)
    [comment] = fake_jira.issues["ACME-1"].comments
    issue = fake_jira.issue_json("ACME-1")
    webhook = {"timestamp": jp.epoch_ms(T0 + 31 * M), "webhookEvent": "comment_created",
               "comment": comment, "issue": {"id": issue["id"], "key": "ACME-1", "fields": issue["fields"]}}
    assert app.test_client().post("/webhooks/jira", json=webhook).json["events"] == 1
    ticket = app.test_client().get("/api/tickets/ACME-1").json
    first = next(c for c in ticket["clocks"] if c["metric"] == "first_response")
    assert first["state"] == "running"


def test_a_crash_between_comment_and_mark_does_not_comment_twice(jira_app, fake_jira, clock):
    app = jira_app()
    open_ticket(app, fake_jira)
    ticker = get_ticker(app)
    dispatcher, ticker.dispatcher = ticker.dispatcher, None  # this tick plans, and sends nothing
    clock.now = T0 + 61 * M
    assert ticker.tick() == []
    writer = JiraWriter(lambda: connect(fake_jira.url, fake_jira.user, fake_jira.token, max_retries=0))
    for row in outbox.claim(get_database(app), "dead-worker", clock.now):  # a dispatcher that dies
        if row.key == COMMENT_KEY:                                       # after posting
            writer.deliver(row.kind, row.ticket, row.key, row.text)
    assert len(writes(fake_jira, "POST")) == 1 and rows(app)[COMMENT_KEY].status == "sending"

    ticker.dispatcher = dispatcher
    tick_at(app, clock, T0 + 61 * M + outbox.CLAIM_TIMEOUT)  # the claim has not expired yet
    assert rows(app)[COMMENT_KEY].status == "sending"
    looked = len(fake_jira.requests)
    tick_at(app, clock, T0 + 61 * M + outbox.CLAIM_TIMEOUT + M)  # expired: looked up, found
    assert len(writes(fake_jira, "POST")) == 1 and len(fake_jira.issues["ACME-1"].comments) == 1
    row = rows(app)[COMMENT_KEY]
    assert (row.status, row.slack_ts) == ("sent", f"comment:{fake_jira.issues['ACME-1'].comments[0]['id']}")
    assert "/rest/api/2/issue/ACME-1/comment" in [path for path, _ in fake_jira.requests[looked:]]


def test_a_429_is_retried_after_its_retry_after(jira_app, fake_jira, clock):
    app = jira_app()
    open_ticket(app, fake_jira)
    fake_jira.fail("/comment", 429, method="POST", headers={"Retry-After": "120"})
    tick_at(app, clock, T0 + 61 * M)
    row = rows(app)[COMMENT_KEY]
    assert (row.status, row.not_before) == ("pending", T0 + 61 * M + timedelta(seconds=120))
    assert row.error == "Jira rate limit (429): retry after 120s"
    tick_at(app, clock, T0 + 62 * M)  # before Retry-After: not tried
    assert len(writes(fake_jira, "POST")) == 1 and fake_jira.issues["ACME-1"].comments == []
    tick_at(app, clock, T0 + 64 * M)
    assert len(writes(fake_jira, "POST")) == 2 and len(fake_jira.issues["ACME-1"].comments) == 1
    assert rows(app)[COMMENT_KEY].status == "sent"


def test_a_server_error_backs_off_then_looks_before_commenting(jira_app, fake_jira, clock):
    app = jira_app()
    open_ticket(app, fake_jira)
    fake_jira.fail("/comment", 503, method="POST")
    tick_at(app, clock, T0 + 61 * M, times=1)
    row = rows(app)[COMMENT_KEY]
    assert row.status == "pending" and row.error.startswith("transient: Jira answered HTTP 503")
    tick_at(app, clock, T0 + 62 * M, times=1)
    gets = [q for path, q in fake_jira.requests if path == "/rest/api/2/issue/ACME-1/comment"]
    assert len(gets) == 3  # the failed POST, the look-up (a GET), the POST
    assert len(fake_jira.issues["ACME-1"].comments) == 1 and rows(app)[COMMENT_KEY].status == "sent"


def test_refused_credentials_fail_the_rows_visibly(jira_app, fake_jira, clock):
    app = jira_app(token="wrong-token")
    open_ticket(app, fake_jira)
    tick_at(app, clock, T0 + 61 * M)
    assert {r.status for r in rows(app).values()} == {"failed"}
    assert fake_jira.issues["ACME-1"].comments == [] and fake_jira.issues["ACME-1"].raw["fields"]["labels"] == []
    body = app.test_client().get("/healthz").json
    health = body["jira"]["write_back"]
    assert body["status"] == "degraded" and body["slack"]["failed"] == 0
    assert health["enabled"] is True and health["ok"] is False and health["failed"] == 2
    assert {(f["key"], f["channel"], f["reason"]) for f in health["last_failures"]} == {
        (key, "jira", "Jira refused the credentials (401): check JIRA_USER and JIRA_API_TOKEN")
        for key in ("jira:ACME-1:first_response:1:label", COMMENT_KEY)}


def test_write_back_off_writes_nothing(jira_app, fake_jira, fake_slack, clock):
    app = jira_app(write_back="")
    open_ticket(app, fake_jira)
    tick_at(app, clock, T0 + 61 * M)
    tick_at(app, clock, T0 + 9 * H)
    assert rows(app) == {} and fake_jira.writes == []
    assert [p for p, _ in fake_jira.requests if p.startswith("/rest/api/2/issue/")] == []
    assert len(rows(app, "alert:")) == 2  # the Slack breaches, as without Jira


def test_write_back_without_jira_settings_fails_with_the_reason(jira_app, fake_jira, clock, caplog):
    with caplog.at_level(logging.WARNING, logger="scheduler"):
        app = jira_app(token=None)
    assert any("JIRA_URL and JIRA_API_TOKEN are not set" in r.getMessage() for r in caplog.records)
    open_ticket(app, fake_jira)
    tick_at(app, clock, T0 + 61 * M)
    assert {(r.status, r.error) for r in rows(app).values()} == {("failed", NOT_CONFIGURED)}
    assert fake_jira.requests == []


def test_breaches_older_than_a_day_are_not_written_back(jira_app, fake_jira, clock):
    """A backfill bringing in old breaches: their rows are expired, Jira is not touched."""
    app = jira_app()
    open_ticket(app, fake_jira)
    tick_at(app, clock, T0 + 30 * H)  # first response breached 29h ago, resolution 22h ago
    statuses = {k: r.status for k, r in rows(app).items()}
    assert statuses == {"jira:ACME-1:first_response:1:label": "expired", COMMENT_KEY: "expired",
                        "jira:ACME-1:resolution:1:label": "sent", "jira:ACME-1:resolution:1:comment": "sent"}
    assert len(fake_jira.issues["ACME-1"].comments) == 1


# ---- rules and planning (pure) ------------------------------------------------------------

def test_write_back_is_off_by_default_and_read_from_the_jira_section():
    assert parse_rules(rules_text("")).jira_write_back == JiraWriteBack()
    assert not JiraWriteBack().enabled
    assert parse_rules(rules_text()).jira_write_back == JiraWriteBack("sla-breached", True)
    assert parse_rules(rules_text("  write_back: {comment: true}")).jira_write_back == JiraWriteBack(None, True)


@pytest.mark.parametrize("write_back, message", [
    ("  write_back:", "15:14: jira.write_back has no value; give it 'key: value' lines"),
    ("  write_back: {lable: x}", "15:16: unknown key 'lable' in jira.write_back; did you mean 'label'?"),
    ("  write_back: {label: sla breached}", "15:23: bad Jira label 'sla breached': a label is one word"),
    ("  write_back: {label: [a, b]}", "15:23: jira.write_back.label must be text, not a list"),
    ("  write_back: {comment: yes please}", "15:25: jira.write_back.comment must be true or false"),
    ("  writeback: {comment: true}", "15:3: unknown key 'writeback' in jira; did you mean 'write_back'?"),
])
def test_bad_write_back_settings_are_reported_where_they_are(write_back, message):
    with pytest.raises(RulesError) as error:
        parse_rules(rules_text(write_back))
    assert str(error.value).startswith(f"rules.yaml:{message}")


def clock_view(**changes) -> ClockView:
    base = ClockView(
        ticket="ACME-1", metric="resolution", cycle=2, state="running", target_seconds=8 * 3600,
        elapsed_seconds=0, paused_seconds=0, started_at=T0, stopped_at=None, due_at=T0 + 8 * H,
        breached_at=None, warnings=(), policy="urgent", calendar="office", summary="VPN down",
        priority="High", status="Open", vendor="acme")
    return dataclasses.replace(base, **changes)


def test_the_planner_asks_for_write_back_only_once_breached():
    rules = parse_rules(rules_text())
    assert jira_effects(clock_view(), rules, T0 + 7 * H) == []
    label, comment = jira_effects(clock_view(), rules, T0 + 8 * H)
    assert (label.key, label.text, label.at) == ("jira:ACME-1:resolution:2:label", "sla-breached", T0 + 8 * H)
    assert comment.key == "jira:ACME-1:resolution:2:comment"
    assert comment.text == ("SLA breached: resolution (target 8h business time, policy urgent) at "
                            "2026-01-05 20:00 UTC. — Slawatch")
    late = clock_view(state="stopped", stopped_at=T0 + 9 * H, breached_at=T0 + 8 * H)
    assert [e.action for e in jira_effects(late, rules, T0 + 10 * H)] == ["label", "comment"]
    assert jira_effects(late, parse_rules(rules_text("")), T0 + 10 * H) == []
    only_label = parse_rules(rules_text("  write_back: {label: late}"))
    assert [e.key for e in plan([late], only_label, T0 + 10 * H).jira] == ["jira:ACME-1:resolution:2:label"]
    assert plan([late], only_label, T0 + 10 * H).alerts  # the Slack breach, as always


def test_a_heartbeat_gone_stale_during_the_look_up_writes_no_comment(jira_app, fake_jira, clock):
    """Like a Slack post (tests/test_dispatcher_liveness.py): a comment taken over from a dead
    dispatcher is looked up first, and written only if this dispatcher's heartbeat is still fresh
    after the look-up; otherwise the row is given back untried."""
    app = jira_app()
    open_ticket(app, fake_jira)
    ticker = get_ticker(app)
    dispatcher, ticker.dispatcher = ticker.dispatcher, None  # this tick plans, and sends nothing
    clock.now = T0 + 61 * M
    assert ticker.tick() == []
    db = get_database(app)
    outbox.claim(db, "dead-worker", clock.now)  # claimed, then its process died: no heartbeat row
    looked_up = lambda: "/rest/api/2/issue/ACME-1/comment" in [path for path, _ in fake_jira.requests]  # noqa: E731
    dispatcher.alive = lambda: not looked_up()  # fresh until the comment's look-up, stale after it
    result = dispatcher.run(clock.now + outbox.CLAIM_TIMEOUT + M, max_batches=1)
    assert fake_jira.issues["ACME-1"].comments == []  # looked up, not written
    assert looked_up()
    row = rows(app)[COMMENT_KEY]
    assert (row.status, row.error) == ("pending", "transient: not written: heartbeat late") and result.skipped >= 1
    dispatcher.alive = lambda: True
    dispatcher.run(clock.now + outbox.CLAIM_TIMEOUT + 2 * M)  # fresh again: looked up, written once
    assert len(fake_jira.issues["ACME-1"].comments) == 1 and rows(app)[COMMENT_KEY].status == "sent"
