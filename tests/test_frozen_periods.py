"""Frozen periods: posting a report freezes its week with the clocks behind it; later changes are
recorded as late changes and shown (dashboard, `slawatch report`), never applied silently;
`slawatch repair` re-judges the period on purpose, keeps before/after with who and why, and
queues a correction in the report's thread."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app import utc_now
from cli import cli
from connectors.slack import WebApiSender
from processors.evidence import parse_period
from scheduler import get_ticker
from scheduler.dispatch import Dispatcher
from scheduler.reports_job import post_report
from store.db import get_database
from store.models import ClockRow, FrozenClock, FrozenPeriod, LateChange, OutboxMessage, PeriodRepair
from store.rulebook import get_rulebook
from store.slack import Breach, breach_key, excuse
from store.tokens import create_token
from tests import jira_payloads as jp
from tests.conftest import RULES_YAML
from tests.fake_slack import fake_slack  # noqa: F401  (the fixture)

UTC = timezone.utc
REPORTS = """
reports:
  weekly: {day: mon, time: "09:00", timezone: UTC, channel: "#sla-weekly"}
  quarterly: {channel: "#sla-quarterly"}
"""
TIGHTER = (RULES_YAML + REPORTS).replace("first_response: {target: 1h, warn_at: [50%]}",
                                         "first_response: {target: 20m, warn_at: [50%]}")
W02 = parse_period("2026-W02", "UTC")  # Mon 5 Jan - Sun 11 Jan 2026


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def week(rules_path, app, clock, post_jira):
    """ACME-1..4 created on Tuesday 6 Jan, answered after 30, 40, 90 and 120 minutes (two breaches
    of the 1h first response), resolved the same day; the week's report posted on Monday 12 Jan."""
    rules_path.write_text(RULES_YAML + REPORTS, encoding="utf-8")
    clock.now = at(7, 9)
    get_ticker(app).tick()
    for n, minutes in enumerate((30, 40, 90, 120), start=1):
        key = f"ACME-{n}"
        assert post_jira(jp.created(key, at(6, 9)), delivery=f"{key}-c").status_code == 200
        assert post_jira(jp.commented(key, at(6, 9) + timedelta(minutes=minutes)), delivery=f"{key}-r").status_code == 200
        assert post_jira(jp.resolved(key, at(6, 15)), delivery=f"{key}-d").status_code == 200
    clock.now = at(12, 9)
    assert post_report(get_database(app), get_rulebook(app).rules, "weekly", W02, clock.now) == [("#sla-weekly", True)]
    return app


def _rows(app, model, *where):
    with get_database(app).reading() as session:
        return list(session.scalars(select(model).where(*where)))


def test_posting_freezes_the_week_with_the_clocks_behind_it(week):
    [frozen] = _rows(week, FrozenPeriod)
    assert (frozen.period, frozen.cause, frozen.frozen_at) == ("2026-W02", "posted", at(12, 9))
    assert json.loads(frozen.figures) == [{"vendor": "acme", "metrics": {"first_response": [4, 2, 0],
                                                                         "resolution": [4, 4, 0]}}]
    verdicts = {(c.ticket, c.metric): c.verdict for c in _rows(week, FrozenClock)}
    assert verdicts[("ACME-3", "first_response")] == "breached" and verdicts[("ACME-1", "first_response")] == "met"
    assert len(verdicts) == 8


def test_late_events_are_recorded_and_shown_never_applied_silently(week, clock, post_jira, client):
    late = jp.commented("ACME-3", at(6, 9, 50), comment_id="9001")  # an earlier answer, delivered late
    assert post_jira(late, delivery="late-1").status_code == 200
    clock.now = at(12, 10)
    get_ticker(week).tick()
    [change] = _rows(week, LateChange)
    assert (change.period, change.ticket, change.metric, change.before, change.after, change.repair_id) == \
           ("2026-W02", "ACME-3", "first_response", "breached", "met", None)
    clock.now = at(12, 11)
    get_ticker(week).tick()  # seen again: recorded once
    assert len(_rows(week, LateChange)) == 1
    [frozen] = _rows(week, FrozenPeriod, FrozenPeriod.period == "2026-W02")
    assert json.loads(frozen.figures)[0]["metrics"]["first_response"] == [4, 2, 0]  # as posted
    assert "2026-W02: 1 late change since posted" in client.get("/vendors/acme").get_data(as_text=True)
    assert "2026-W02: 1 late change since posted" in client.get("/").get_data(as_text=True)
    # a caller limited to another vendor does not see acme's late changes on the overview
    token = get_database(week).write(lambda session: create_token(session, "globex-only", "globex", clock.now))
    overview = client.get("/", headers={"Authorization": f"Bearer {token}"})
    assert overview.status_code == 200 and "late change" not in overview.get_data(as_text=True)


def test_an_excuse_after_posting_is_a_late_change(week, clock):
    """An excuse touches no ticket row: the watch finds it by the excuse audit trail."""
    clock.now = at(12, 10)
    get_ticker(week).tick()
    breach = Breach(breach_key("ACME-4", "first_response", 1), "ACME-4", "first_response", 1)
    get_database(week).write(lambda session: excuse(session, breach, "U024BE7LH", "Jira was down", at(12, 11)))
    clock.now = at(12, 12)
    get_ticker(week).tick()
    assert [(c.ticket, c.before, c.after) for c in _rows(week, LateChange)] == [("ACME-4", "breached", "excused")]


def _env(app, rules_path) -> dict[str, str]:
    return {"SLAWATCH_DATABASE_URL": app.config["SLAWATCH_DATABASE_URL"], "SLAWATCH_RULES": str(rules_path)}


def test_report_says_how_many_late_changes_since_posted(week, clock, post_jira, rules_path):
    assert post_jira(jp.commented("ACME-4", at(6, 9, 45), comment_id="9002"), delivery="late-2").status_code == 200
    clock.now = at(12, 10)
    get_ticker(week).tick()
    result = CliRunner().invoke(cli, ["report", "weekly", "--end", "2026-01-11"], env=_env(week, rules_path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.rstrip().endswith("Frozen 2026-01-12 09:00 UTC (posted); 1 late change since posted. "
                                           "`slawatch repair --period 2026-W02 --reason ...` re-judges it.")


def test_a_rules_edit_changes_no_frozen_verdict(week, clock, rules_path):
    rules_path.write_text(TIGHTER, encoding="utf-8")
    clock.now = at(12, 10)
    get_ticker(week).tick()
    assert _rows(week, LateChange) == []


def test_repair_rejudges_under_the_rules_in_force_and_posts_a_correction(week, clock, post_jira, rules_path, client):
    assert post_jira(jp.commented("ACME-3", at(6, 9, 50), comment_id="9001"), delivery="late-1").status_code == 200
    rules_path.write_text(TIGHTER, encoding="utf-8")
    clock.now = at(12, 10)
    get_ticker(week).tick()
    new = get_rulebook(week).rules.version
    assert len(_rows(week, LateChange)) == 1

    result = CliRunner().invoke(cli, ["repair", "--period", "2026-W02", "--reason", "Contract v2: 20 minutes",
                                      "--by", "U024BE7LH"], env=_env(week, rules_path))
    assert result.exit_code == 0, result.stderr
    [fix] = _rows(week, PeriodRepair)
    assert (fix.period, fix.vendor, fix.by, fix.reason, fix.rules_version) == \
           ("2026-W02", None, "U024BE7LH", "Contract v2: 20 minutes", new)
    assert json.loads(fix.before)[0]["metrics"]["first_response"] == [4, 2, 0]
    assert json.loads(fix.after)[0]["metrics"]["first_response"] == [4, 0, 0]  # 30 and 40 min > 20 min now
    [frozen] = _rows(week, FrozenPeriod, FrozenPeriod.period == "2026-W02")
    assert json.loads(frozen.figures) == json.loads(fix.after) and frozen.rules_version == new
    assert [c.repair_id for c in _rows(week, LateChange)] == [fix.id]
    stored = {r.ticket: r for r in _rows(week, ClockRow, ClockRow.metric == "first_response")}
    assert {k: (r.rules_version, r.breached_at) for k, r in stored.items()} == {
        f"ACME-{n}": (new, at(6, 9, 20)) for n in range(1, 5)}
    assert client.get("/api/tickets/ACME-1").json["clocks"][0]["breached_at"] == "2026-01-06T09:20:00Z"
    [message] = _rows(week, OutboxMessage, OutboxMessage.key == f"repair:2026-W02:{fix.id}")
    assert (message.channel, message.thread_key, message.kind) == ("#sla-weekly", "report:weekly:2026-W02", "report")
    assert message.text.splitlines() == [
        "Correction to 2026-W02: re-judged by U024BE7LH. Reason: Contract v2: 20 minutes",
        "• ACME Outsourcing, first response: 50.0% (2/4) → 0.0% (0/4)"]
    assert "late change" not in client.get("/vendors/acme").get_data(as_text=True)
    report = CliRunner().invoke(cli, ["report", "weekly", "--end", "2026-01-11"], env=_env(week, rules_path))
    assert "0 late changes since posted." in report.stdout


def test_an_unposted_week_freezes_freeze_after_its_end(app, clock, rules_path, post_jira):
    rules_path.write_text(RULES_YAML + REPORTS.replace("reports:\n", "reports:\n  freeze_after: 3d\n"),
                          encoding="utf-8")
    clock.now = at(14, 9)
    assert post_jira(jp.created("ACME-9", at(13, 9)), delivery="c").status_code == 200
    clock.now = at(21, 9)  # W03 ended Mon 19 Jan 00:00: 2 days 9 hours ago
    get_ticker(app).tick()
    weekly = FrozenPeriod.kind == "week"
    assert [r.period for r in _rows(app, FrozenPeriod, weekly)] == []
    clock.now = at(22, 1)
    get_ticker(app).tick()
    assert [(r.period, r.cause) for r in _rows(app, FrozenPeriod, weekly)] == [("2026-W03", "freeze_after")]
    assert [(r.period, r.cause) for r in _rows(app, FrozenPeriod, ~weekly)] == [("2025-Q4", "freeze_after")]


@pytest.mark.parametrize("args, message", [
    (["--period", "2026-W03", "--reason", "x"], "repair: 2026-W03 is not frozen"),
    (["--period", "2026-01", "--reason", "x"], "repair: 2026-01: only weeks and quarters freeze"),
    (["--period", "2026-W02", "--reason", "  "], "--reason must say why"),
    (["--period", "W2", "--reason", "x"], "repair: period 'W2': write it like"),
])
def test_repair_refuses_what_it_cannot_do(week, rules_path, args, message):
    result = CliRunner().invoke(cli, ["repair", *args], env=_env(week, rules_path))
    assert result.exit_code == 1 and message in result.stderr
    assert _rows(week, PeriodRepair) == []


def test_the_correction_reaches_slack_in_the_reports_thread(week, clock, post_jira, rules_path, fake_slack):
    sender = WebApiSender("xoxb-test", base_url=fake_slack.url)
    sent = Dispatcher(get_database(week), sender, "w").run(at(12, 9, 1))  # the report and its chart
    assert sent.failed == 0, sent.errors
    (summary,) = fake_slack.messages("#sla-weekly")
    assert post_jira(jp.commented("ACME-3", at(6, 9, 50), comment_id="9001"), delivery="late-1").status_code == 200
    result = CliRunner().invoke(cli, ["repair", "--period", "2026-W02", "--reason", "An answer by phone, logged late",
                                      "--by", "U024BE7LH"], env=_env(week, rules_path))
    assert result.exit_code == 0, result.stderr
    sent = Dispatcher(get_database(week), sender, "w").run(utc_now())
    assert (sent.sent, sent.failed) == (1, 0), sent.errors
    correction = fake_slack.messages("#sla-weekly")[-1]
    assert correction["thread_ts"] == summary["ts"]
    assert correction["text"] == ("Correction to 2026-W02: re-judged by U024BE7LH. Reason: An answer by phone, logged late\n"
                                  "• ACME Outsourcing, first response: 50.0% (2/4) → 75.0% (3/4)")
