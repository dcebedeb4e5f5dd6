"""`slawatch report weekly|quarterly` on the hand-checked history of tests/test_reports.py,
stored in the test database (SQLite, or PostgreSQL with SLAWATCH_TEST_DATABASE_URL)."""
from __future__ import annotations

import base64
import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app import utc_now
from cli import cli
from connectors.slack import WebApiSender
from processors import report_csv
from processors import report_render as render
from processors.periods import last_complete_week
from processors.reports import weekly_summary
from scheduler.dispatch import Dispatcher
from store.db import Database
from store.outbox import OUTBOX
from tests.conftest import RULES_YAML
from tests.fake_slack import fake_slack  # noqa: F401  (the fixture)
from tests.test_reports import JIRA, NAMES, PNG, TARGETS, W02, history, store_history

REPO = Path(__file__).resolve().parents[1]
REPORTS = """
reports:
  weekly: {day: mon, time: "09:00", timezone: UTC, channel: "#sla-weekly"}
  quarterly: {channel: "#sla-quarterly"}
"""


@pytest.fixture
def env(db_url, tmp_path) -> dict[str, str]:
    store_history(db_url)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES_YAML + REPORTS, encoding="utf-8")
    return {"SLAWATCH_DATABASE_URL": db_url, "SLAWATCH_RULES": str(rules), "JIRA_URL": JIRA}


def run(env: dict[str, str], *args: str):
    return CliRunner().invoke(cli, ["report", *args], env=env, catch_exceptions=False)


def test_weekly_text_report(env):
    result = run(env, "weekly", "--end", "2026-01-11")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == render.weekly_text(weekly_summary(history(), W02, NAMES, TARGETS, jira_url=JIRA))
    lines = result.stdout.splitlines()
    assert lines[0] == "Weekly SLA summary 2026-W02 (Mon 2026-01-05 to Sun 2026-01-11, UTC)"
    assert lines[2] == "Judged by rules test (no longer in force)."  # the stored clocks' version
    assert lines[4:7] == [
        "== All vendors",
        "opened 7, resolved 6, open breaches at the end of the week 1",
        "first response: 57.1% (4 of 7 met), below the 85% target, -42.9 pp from last week (100.0%); "
        "median 40m, p90 1h30m",
    ]
    assert ("  1. ACME-2 resolution: 20h over (elapsed 1d, target 4h), ACME Outsourcing "
            'https://jira.example.com/browse/ACME-2 "Router down"') in lines


def test_any_day_of_the_week_names_it(env):
    assert run(env, "weekly", "--end", "2026-01-07").stdout == run(env, "weekly", "--end", "2026-01-11").stdout


def test_weekly_defaults_to_the_last_complete_week(env):
    result = run(env, "weekly")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"Weekly SLA summary {last_complete_week(utc_now(), 'UTC').label} ")


def test_weekly_of_one_vendor(env):
    result = run(env, "weekly", "--end", "2026-01-11", "--vendor", "globex")
    assert result.exit_code == 0, result.stderr
    assert "== globex\nopened 2, resolved 1, open breaches at the end of the week 0\n" in result.stdout
    assert "ACME" not in result.stdout


def test_quarterly_csv_of_one_vendor_to_a_file(env, tmp_path):
    out = tmp_path / "acme.csv"
    result = run(env, "quarterly", "--end", "2026-03-31", "--vendor", "acme", "--format", "csv",
                 "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and result.stderr == f"wrote {out}\n"
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # the UTF-8 BOM, for Excel
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert list(rows[0]) == report_csv.QUARTERLY_HEADER and {r["vendor"] for r in rows} == {"acme"}
    # by hand in tests/test_reports.py: first response 4/5, 1/1, 0/1 by month, 5/7 for the quarter
    assert [(r["period"], r["met"], r["counted"]) for r in rows if r["metric"] == "first_response"] == [
        ("2026-01", "4", "5"), ("2026-02", "1", "1"), ("2026-03", "0", "1"), ("2026-Q1", "5", "7")]


def test_quarterly_html(env):
    result = run(env, "quarterly", "--end", "2026-02-01", "--format", "html")
    assert result.exit_code == 0, result.stderr
    page = result.stdout
    assert "<h1>Quarterly provider scorecards 2026-Q1</h1>" in page
    assert "ACME Outsourcing" in page and "globex" in page
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 2 and all(base64.b64decode(i).startswith(PNG) for i in images)


def test_weekly_html_to_a_file(env, tmp_path):
    out = tmp_path / "week.html"
    assert run(env, "weekly", "--end", "2026-01-11", "--format", "html", "--out", str(out)).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<img src="data:image/png;base64,' in page


def _outbox(db_url: str) -> dict[str, dict]:
    database = Database(db_url)
    try:
        with database.engine.connect() as connection:
            return {row.key: row._asdict() for row in connection.execute(select(OUTBOX))}
    finally:
        database.dispose()


def test_post_puts_the_summary_and_its_chart_in_the_outbox_once(env, db_url):
    result = run(env, "weekly", "--end", "2026-01-11", "--post")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "weekly report 2026-W02 queued for #sla-weekly\n"
    rows = _outbox(db_url)
    assert sorted(rows) == ["report:weekly:2026-W02", "report:weekly:2026-W02:chart"]
    message, chart = rows["report:weekly:2026-W02"], rows["report:weekly:2026-W02:chart"]
    assert (message["kind"], message["channel"], message["status"]) == ("report", "#sla-weekly", "pending")
    assert message["text"].startswith("Weekly SLA summary 2026-W02 for All vendors: first response 57.1%")
    assert "<https://jira.example.com/browse/ACME-2|ACME-2>" in message["blocks"]
    assert (chart["kind"], chart["thread_key"]) == ("file", "report:weekly:2026-W02")
    assert bytes(chart["attachment"]).startswith(PNG)
    again = run(env, "weekly", "--end", "2026-01-11", "--post")
    assert again.stdout == "weekly report 2026-W02 was already queued for #sla-weekly\n"
    assert len(_outbox(db_url)) == 2


def test_posted_reports_reach_slack(env, db_url, fake_slack):
    """The dispatcher sends the queued summary with the real WebClient to a fake Slack, and
    uploads the chart into its thread; the scorecards go to their own channel."""
    assert run(env, "weekly", "--end", "2026-01-11", "--post").exit_code == 0
    assert run(env, "quarterly", "--end", "2026-03-31", "--post").exit_code == 0
    database = Database(db_url)
    try:
        sent = Dispatcher(database, WebApiSender("xoxb-test", base_url=fake_slack.url), "w").run(utc_now())
    finally:
        database.dispose()
    assert (sent.sent, sent.failed) == (3, 0), sent.errors
    (summary,) = fake_slack.messages("#sla-weekly")
    assert summary["blocks"][0]["text"]["text"] == "Weekly SLA summary · 2026-W02"
    assert "❌ *first response* 57.1% (4/7, target 85%)" in json.dumps(summary["blocks"], ensure_ascii=False)
    (upload,) = fake_slack.files.values()
    assert upload["content"].startswith(PNG) and upload["thread_ts"] == summary["ts"]
    assert upload["filename"] == "slawatch-weekly-2026-W02.png"
    (scorecards,) = fake_slack.messages("#sla-quarterly")
    assert scorecards["text"].startswith("Quarterly provider scorecards 2026-Q1: ACME Outsourcing")


def test_post_needs_a_channel(env, tmp_path):
    rules = tmp_path / "plain.yaml"
    rules.write_text(RULES_YAML, encoding="utf-8")
    result = run({**env, "SLAWATCH_RULES": str(rules)}, "quarterly", "--post")  # rules without `reports`
    assert result.exit_code == 1 and result.stderr == f"posting needs reports.quarterly.channel in {rules}\n"


def test_unknown_vendor_and_bad_date(env):
    result = run(env, "weekly", "--vendor", "initech")
    assert result.exit_code == 1 and result.stderr == "unknown vendor 'initech'; the rules have: acme, globex\n"
    result = run(env, "weekly", "--end", "11/01/2026")
    assert result.exit_code == 2 and "--end" in result.stderr


def test_a_database_without_tables(tmp_path, env):
    (tmp_path / "empty.db").touch()
    result = run({**env, "SLAWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}, "weekly")
    assert result.exit_code == 1
    assert result.stderr == (f"the database sqlite:///{tmp_path / 'empty.db'} has no Slawatch tables yet: "
                             f"run `slawatch db upgrade`\n")


def test_report_in_a_real_process(env):
    done = subprocess.run([sys.executable, str(REPO / "cli.py"), "report", "weekly", "--end", "2026-01-11"],
                          env={**env, "PATH": "/usr/bin:/bin"}, cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Weekly SLA summary 2026-W02 ")


def test_the_scheduled_jobs_post_the_last_complete_periods_once(env, db_url):
    from datetime import datetime, timezone

    from scheduler.reports_job import run_quarterly, run_weekly
    from store import outbox
    from store.rulebook import read_rules

    rules = read_rules(env["SLAWATCH_RULES"])
    database = Database(db_url)
    try:
        monday = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)  # the scheduled instant
        run_weekly(database, rules, monday, outbox.enqueue)
        run_weekly(database, rules, monday, outbox.enqueue)  # a new leader runs it again
        run_quarterly(database, rules, datetime(2026, 4, 6, 9, 0, tzinfo=timezone.utc), outbox.enqueue)
    finally:
        database.dispose()
    assert sorted(_outbox(db_url)) == [
        "report:quarterly:2026-Q1", "report:weekly:2026-W02", "report:weekly:2026-W02:chart"]


def test_vendors_with_a_channel_get_their_own_weekly_summary(env, db_url, tmp_path, fake_slack):
    rules = tmp_path / "channels.yaml"
    rules.write_text((RULES_YAML + REPORTS).replace("    name: ACME Outsourcing\n",
                                                    '    name: ACME Outsourcing\n    channel: "#acme-sla"\n'))
    result = run({**env, "SLAWATCH_RULES": str(rules)}, "weekly", "--end", "2026-01-11", "--post")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ("weekly report 2026-W02 queued for #sla-weekly\n"
                             "weekly report 2026-W02 queued for #acme-sla\n")
    assert sorted(_outbox(db_url)) == ["report:weekly:2026-W02", "report:weekly:2026-W02:acme",
                                       "report:weekly:2026-W02:acme:chart", "report:weekly:2026-W02:chart"]
    result = run({**env, "SLAWATCH_RULES": str(rules)}, "quarterly", "--end", "2026-01-11", "--post",
                 "--vendor", "acme")  # the formal scorecard goes to the managers' channel only
    assert result.stdout == "quarterly report 2026-Q1 queued for #sla-quarterly\n"
    database = Database(db_url)
    try:
        Dispatcher(database, WebApiSender("xoxb-test", base_url=fake_slack.url), "w").run(utc_now())
    finally:
        database.dispose()
    (own,) = fake_slack.messages("#acme-sla")
    assert own["text"].startswith("Weekly SLA summary 2026-W02 for ACME Outsourcing: first response 75.0%")
    assert "slawatch-weekly-2026-W02-acme.png" in [f["filename"] for f in fake_slack.files.values()]
    (card,) = fake_slack.messages("#sla-quarterly")
    assert "globex" not in card["text"]
