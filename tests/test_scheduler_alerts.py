"""The scheduler's planning step, driven by `now`, against a real database and the fake Slack:
a ticket's life (warnings, breach, escalation, late resolution), alert storms as one digest,
concurrent schedulers and dispatchers, and the report jobs' schedule."""
from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from connectors.slack import WebApiSender
from processors.rules import QuarterlyReport, WeeklyReport
from scheduler import cron, get_ticker
from scheduler.dispatch import Dispatcher
from scheduler.planning import plan_tick
from store.db import Database, get_database
from store.models import OutboxMessage
from store.rulebook import get_rulebook
from tests import jira_payloads as jp
from tests.conftest import recompute_marked
from tests.fake_slack import channel_id, fake_slack  # noqa: F401  (the fixture)

UTC = timezone.utc
T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
MANAGER = "U024BE7LH"

RULES = """\
version: 1
calendars:
  always: 24x7
vendors:
  acme:
    name: ACME Outsourcing
    match:
      projects: [ACME]
    channel: "#acme-sla"
    managers: ["U024BE7LH"]
policies:
  - name: standard
    calendar: always
    metrics:
      first_response: {target: 1h, warn_at: [50%, 80%]}
      resolution: {target: 8h, warn_at: [75%]}
targets:
  first_response: 85%
  resolution: 95%
alerts:
  channel: "#sla-alerts"
  escalation_channel: "#sla-escalations"
  escalate_after: 30m
  digest_over: 5
reports:
  weekly: {day: mon, time: "09:00", timezone: Europe/Paris, channel: "#sla-weekly"}
"""


@pytest.fixture
def slack_app(make_app, db_url, rules_path, fake_slack, clock):
    rules_path.write_text(RULES, encoding="utf-8")
    clock.now = T0
    return make_app(db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url,
                    JIRA_URL="https://acme-it.atlassian.net")


def post(app, payload) -> None:
    answer = app.test_client().post("/webhooks/jira", json=payload)
    assert answer.status_code == 200, answer.json


def tick_at(app, clock, at: datetime, times: int = 2) -> None:
    """The scheduler's tick at `at` (twice: a repeated tick must change nothing)."""
    clock.now = at
    for _ in range(times):
        assert get_ticker(app).tick() == []


def outbox_rows(app) -> dict[str, OutboxMessage]:
    with get_database(app).reading() as session:
        return {row.key: row for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))}


def key_of(message: dict) -> str:
    return message["metadata"]["event_payload"]["key"]


def alerts_posted(fake) -> list[dict]:
    """What the alerts posted (the weekly report job runs on these ticks too)."""
    return [m for m in fake.messages() if key_of(m).startswith(("alert:", "digest:"))]


def test_a_tickets_life_posts_each_message_once_in_order_and_threaded(slack_app, clock, fake_slack):
    post(slack_app, jp.created("ACME-1", T0, project="ACME", summary="VPN down in Lyon"))
    tick_at(slack_app, clock, T0 + timedelta(minutes=10))
    assert alerts_posted(fake_slack) == []
    tick_at(slack_app, clock, T0 + timedelta(minutes=31))  # 50% of the first response
    tick_at(slack_app, clock, T0 + timedelta(minutes=49))  # 80%
    tick_at(slack_app, clock, T0 + timedelta(minutes=61))  # breached at 13:00
    tick_at(slack_app, clock, T0 + timedelta(minutes=91))  # not acknowledged 30 min later
    clock.now = T0 + timedelta(minutes=100)
    post(slack_app, jp.commented("ACME-1", clock.now, project="ACME", summary="VPN down in Lyon"))
    tick_at(slack_app, clock, T0 + timedelta(minutes=101))
    tick_at(slack_app, clock, T0 + timedelta(hours=3))

    messages = alerts_posted(fake_slack)
    assert [key_of(m) for m in messages] == [
        "alert:ACME-1:first_response:1:warn-50",
        "alert:ACME-1:first_response:1:warn-80",
        "alert:ACME-1:first_response:1:breach",
        "alert:ACME-1:first_response:1:escalation",
        "alert:ACME-1:first_response:1:resolved-late",
    ]
    warn50, warn80, breach, escalation, late = messages
    acme, escalations = channel_id("#acme-sla"), channel_id("#sla-escalations")
    assert [m["channel"] for m in messages] == [acme, acme, acme, escalations, acme]
    assert [m.get("thread_ts") for m in messages] == [None, None, None, None, breach["ts"]]
    link = "https://acme-it.atlassian.net/browse/ACME-1"
    for message in (warn50, breach, escalation):
        shown = str(message["blocks"])
        assert link in shown and "ACME-1" in message["text"]
    assert f"<@{MANAGER}>" in breach["text"] + str(breach["blocks"])
    assert f"<@{MANAGER}>" in escalation["text"] + str(escalation["blocks"])
    assert "40m" in late["text"] or "40 m" in late["text"]  # resolved 40 minutes after the breach
    rows = outbox_rows(slack_app)
    assert {row.status for row in rows.values()} == {"sent"}
    assert rows["alert:ACME-1:first_response:1:breach"].slack_ts == breach["ts"]


def test_a_recompute_that_puts_a_breach_in_the_past_is_alerted_on_the_next_tick(slack_app, clock, fake_slack):
    """The webhook arrives late: the ticket was created 2 hours ago."""
    clock.now = T0 + timedelta(hours=2)
    post(slack_app, jp.created("ACME-2", T0, project="ACME"))
    tick_at(slack_app, clock, T0 + timedelta(hours=2, seconds=5))
    assert [key_of(m) for m in alerts_posted(fake_slack)] == [
        "alert:ACME-2:first_response:1:breach", "alert:ACME-2:first_response:1:escalation"]


def test_an_acknowledged_breach_is_not_escalated(slack_app, clock, fake_slack):
    from store.models import Acknowledgement

    post(slack_app, jp.created("ACME-3", T0, project="ACME"))
    tick_at(slack_app, clock, T0 + timedelta(minutes=61))
    key = "alert:ACME-3:first_response:1:breach"
    get_database(slack_app).write(lambda session: session.add(Acknowledgement(
        alert_key=key, ticket="ACME-3", metric="first_response", cycle=1, by="U999",
        at=T0 + timedelta(minutes=70), kind="ack", reason=None)))
    tick_at(slack_app, clock, T0 + timedelta(minutes=95))
    assert [key_of(m) for m in alerts_posted(fake_slack)] == [key]


def test_an_alert_storm_in_one_channel_is_one_digest(slack_app, clock, fake_slack):
    for n in range(300):
        post(slack_app, jp.created(f"ACME-{n + 1}", T0, project="ACME"))
    tick_at(slack_app, clock, T0 + timedelta(minutes=10))
    tick_at(slack_app, clock, T0 + timedelta(minutes=61))  # 300 breaches at 13:00 (warnings: moot)
    [digest] = alerts_posted(fake_slack)
    assert digest["channel"] == channel_id("#acme-sla")
    assert digest["text"].startswith("300 SLA alerts: 300 breaches")
    rows = outbox_rows(slack_app)
    digested = [row for row in rows.values() if row.status == "digested"]
    assert len(digested) == 300 and {row.slack_ts for row in digested} == {digest["ts"]}
    assert key_of(digest) == digested[0].thread_key
    assert [m["ts"] for m in fake_slack.messages("#acme-sla") if key_of(m).startswith("alert")] == []


def test_two_schedulers_and_two_dispatchers_post_every_message_once(slack_app, clock, fake_slack, db_url):
    for n in range(40):
        post(slack_app, jp.created(f"ACME-{n + 1}", T0 + timedelta(minutes=n), project="ACME"))
    rules = get_rulebook(slack_app).rules
    databases = [Database(db_url) for _ in range(2)]
    instants = [T0 + timedelta(minutes=m) for m in range(0, 140, 3)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def scheduler_and_dispatcher(n: int) -> None:
        try:
            sender = WebApiSender("xoxb-test", base_url=fake_slack.url)
            dispatcher = Dispatcher(databases[n], sender, f"worker-{n}", batch=3)
            for now in instants:
                barrier.wait(timeout=60)
                databases[n].write(lambda session: plan_tick(session, rules, now))
                dispatcher.run(now)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            barrier.abort()

    try:
        threads = [threading.Thread(target=scheduler_and_dispatcher, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not errors, errors
        for database in databases:  # leftovers: replies whose parent went out last round
            Dispatcher(database, WebApiSender("xoxb-test", base_url=fake_slack.url), "w").run(instants[-1])
    finally:
        for database in databases:
            database.dispose()
    keys = [key_of(m) for m in fake_slack.messages()]
    assert len(keys) == len(set(keys))
    rows = outbox_rows(slack_app)
    posted_rows = {k for k, row in rows.items() if row.status == "sent"}
    assert set(keys) == posted_rows
    assert {row.status for row in rows.values()} <= {"sent", "digested"}
    # every planned alert went out: alone, or in exactly one digest
    assert all(rows[row.thread_key].status == "sent" for row in rows.values() if row.status == "digested")


def test_only_the_lease_holder_plans(slack_app, make_app, db_url, clock, fake_slack):
    other = make_app(db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url)
    post(slack_app, jp.created("ACME-1", T0, project="ACME"))
    clock.now = T0 + timedelta(minutes=61)
    first, second = get_ticker(slack_app), get_ticker(other)
    first.tick()
    second.tick()
    assert (first.leading, second.leading) == (True, False)
    first.stop()  # gives the lease up
    second.tick()
    assert second.leading
    assert len({key_of(m) for m in fake_slack.messages()}) == len(fake_slack.messages())


# ---- report jobs ---------------------------------------------------------------------------

def test_the_weekly_instant_is_the_latest_monday_nine_in_its_zone():
    weekly = WeeklyReport(day=0, time=(9, 0), timezone="Europe/Paris")
    assert cron.last_weekly_instant(weekly, datetime(2026, 1, 5, 8, 0, tzinfo=UTC)) == \
        datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # 09:00 in Paris (UTC+1)
    assert cron.last_weekly_instant(weekly, datetime(2026, 1, 5, 7, 59, tzinfo=UTC)) == \
        datetime(2025, 12, 29, 8, 0, tzinfo=UTC)
    summer = cron.last_weekly_instant(weekly, datetime(2026, 7, 8, 12, 0, tzinfo=UTC))
    assert summer == datetime(2026, 7, 6, 7, 0, tzinfo=UTC)  # 09:00 in Paris (UTC+2)


def test_the_quarterly_instant_is_the_first_such_weekday_of_the_quarter():
    quarterly = QuarterlyReport(day=0, time=(9, 0), timezone="UTC")
    assert cron.last_quarterly_instant(quarterly, datetime(2026, 2, 10, tzinfo=UTC)) == \
        datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # 1 Jan 2026 is a Thursday
    assert cron.last_quarterly_instant(quarterly, datetime(2026, 4, 6, 8, 0, tzinfo=UTC)) == \
        datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert cron.last_quarterly_instant(quarterly, datetime(2026, 4, 6, 9, 0, tzinfo=UTC)) == \
        datetime(2026, 4, 6, 9, 0, tzinfo=UTC)


def test_report_jobs_run_once_per_scheduled_instant(slack_app, clock):
    db, rules = get_database(slack_app), get_rulebook(slack_app).rules
    monday = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # 09:00 in Paris
    clock.now = datetime(2026, 1, 2, 10, 0, tzinfo=UTC)
    post(slack_app, jp.created("ACME-1", clock.now - timedelta(hours=1), project="ACME"))
    get_ticker(slack_app).recompute_pending(clock.now)
    assert cron.run_due_jobs(db, rules, monday - timedelta(minutes=1)) == []  # last week's: too old
    assert cron.run_due_jobs(db, rules, monday) == ["weekly"]
    assert cron.run_due_jobs(db, rules, monday + timedelta(minutes=1)) == []
    # the quarterly one is at 09:00 UTC (its default zone) on Monday 5 January
    assert cron.run_due_jobs(db, rules, monday + timedelta(days=3)) == ["quarterly"]
    assert cron.run_due_jobs(db, rules, monday + timedelta(days=4)) == []
    assert cron.run_due_jobs(db, rules, monday + timedelta(days=7)) == ["weekly"]


def test_the_scheduled_weekly_summary_links_its_tickets_to_jira(slack_app, clock, fake_slack):
    clock.now = T0 + timedelta(hours=3)
    post(slack_app, jp.created("ACME-7", T0, project="ACME", summary="Printer on fire"))  # breached at 13:00
    tick_at(slack_app, clock, datetime(2026, 1, 12, 8, 0, tzinfo=UTC), times=1)  # Monday 09:00 in Paris
    weekly = [m for m in fake_slack.messages() if key_of(m).startswith("report:weekly:2026-W02")]
    assert weekly, [key_of(m) for m in fake_slack.messages()]
    for message in weekly:
        assert "https://acme-it.atlassian.net/browse/ACME-7" in message["text"] + str(message["blocks"])


def test_a_first_report_instant_with_no_ticket_before_it_is_recorded_not_posted(slack_app, clock):
    db, rules = get_database(slack_app), get_rulebook(slack_app).rules
    monday = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # 09:00 in Paris: a fresh install, nothing stored
    assert cron.run_due_jobs(db, rules, monday) == []
    clock.now = monday + timedelta(hours=1)
    post(slack_app, jp.created("ACME-2", clock.now, project="ACME"))
    get_ticker(slack_app).recompute_pending(clock.now)
    # the weekly instant of this Monday is done; the quarterly job (09:00 UTC today) had recorded its
    # October instant at the first call, so it is no longer a first run and does run
    assert cron.run_due_jobs(db, rules, monday + timedelta(hours=2)) == ["quarterly"]
    assert cron.run_due_jobs(db, rules, monday + timedelta(days=7)) == ["weekly"]


def test_a_storm_of_over_1000_alerts_in_one_channel_is_several_digests(slack_app, clock, fake_slack):
    """Issue 12: every alert is listed; past DIGEST_MAX_ALERTS the storm is split."""
    from connectors.jira import parse_webhook
    from connectors.slack_blocks import DIGEST_MAX_ALERTS
    from store.ingest import store_delivery

    events = [e for n in range(DIGEST_MAX_ALERTS + 1)
              for e in parse_webhook(jp.created(f"ACME-{n + 1}", T0, project="ACME"))]
    store_delivery(get_database(slack_app), "jira", "bulk", events, T0)
    recompute_marked(slack_app)
    tick_at(slack_app, clock, T0 + timedelta(minutes=10))
    tick_at(slack_app, clock, T0 + timedelta(minutes=61))
    digests = sorted(alerts_posted(fake_slack), key=lambda m: len(m["text"]))
    assert [m["text"].split(" —")[0] for m in digests] == [
        "1 SLA alert: 1 breach", f"{DIGEST_MAX_ALERTS} SLA alerts: {DIGEST_MAX_ALERTS} breaches"]
    listed = " ".join(b["text"]["text"] for m in digests for b in m["blocks"][1:])
    assert {int(n) for n in re.findall(r"ACME-(\d+)", listed)} == set(range(1, DIGEST_MAX_ALERTS + 2))
