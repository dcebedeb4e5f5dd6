"""Downloads of the clocks behind a figure: /exports/clocks.csv|xlsx from the dashboard and
`slawatch export`; exactly the clocks the reports count in the period."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from flask import g
from openpyxl import load_workbook

from app import utc_now
from cli import cli
from connectors.jira_demo import DemoIssue, demo_user
from processors.evidence import EXPORT_COLUMNS
from processors.periods import local_day, quarter_of
from processors.reports import counted_in
from store.db import get_database
from store.history import load_clock_records
from store.rulebook import get_rulebook
from tests.conftest import Clock, recompute_marked
from web import demo

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=timezone.utc)


@pytest.fixture
def demo_app(make_app, db_url):
    app = make_app(db_url, SLAWATCH_RULES=str(demo.RULES_PATH), SLAWATCH_CLOCK=Clock(NOW))

    @app.before_request
    def vendor_scope():  # what the sign-in sets for a vendor's people (None: every vendor)
        g.slawatch_vendors = app.config.get("TEST_VENDOR_SCOPE")

    demo.fill(get_database(app), get_rulebook(app).rules, NOW, tickets=120, seed=5)
    for key, summary in (("NET-900", "打印机无法连接 — 上海办公室"), ("NET-901", "=HYPERLINK(\"http://x\")")):
        issue = DemoIssue(key, NOW - timedelta(days=3), demo_user("Wang Fang", customer=True), summary, "Network")
        assert app.test_client().post("/webhooks/jira", json=issue.created()).status_code == 200
    recompute_marked(app)
    return app


def _quarter(app):
    zone = get_rulebook(app).rules.reports.weekly.timezone
    return quarter_of(local_day(NOW, zone), zone)


def _reported(app, period, vendor: str | None, now: datetime = NOW) -> dict[tuple, bool]:
    """(ticket, metric, cycle) -> met, of the clocks the reports count in `period` at `now`."""
    with get_database(app).reading() as session:
        records = load_clock_records(session, period.start, period.end, now, get_rulebook(app).rules.calendars)
    return {(c.ticket, c.metric, c.cycle): c.met for c in counted_in(records, period)
            if vendor is None or c.vendor == vendor}


def _csv_rows(text: str) -> list[dict]:
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    return rows


def _key(row: dict) -> tuple:
    return row["ticket"], row["metric"], int(row["cycle"])


def test_csv_of_a_quarter_is_the_clocks_the_reports_count(demo_app):
    quarter = _quarter(demo_app)
    response = demo_app.test_client().get(f"/exports/clocks.csv?period={quarter.label}&vendor=acme")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="slawatch-clocks-{quarter.label}-acme.csv"'
    rows = _csv_rows(response.get_data(as_text=True))
    expected = _reported(demo_app, quarter, "acme")
    assert len(expected) > 50
    assert {_key(r): r["met"] == "true" for r in rows} == expected
    assert len(rows) == len(expected)
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert {r["vendor_name"] for r in rows} == {"ACME Outsourcing"}
    excused = [r for r in rows if r["excused"] == "true"]
    assert all(r["excuse_reason"] and r["excused_by"] for r in excused)


def test_text_in_any_script_survives_and_formulas_stay_text(demo_app):
    client = demo_app.test_client()
    week = "2026-W48"
    # the two tickets created 3 days ago have running clocks; they count once breached
    clock = demo_app.config["SLAWATCH_CLOCK"]
    clock.now = NOW + timedelta(days=3)
    text = client.get(f"/exports/clocks.csv?period={week}&vendor=acme").get_data(as_text=True)
    rows = {r["ticket"]: r for r in _csv_rows(text)}
    assert rows["NET-900"]["summary"] == "打印机无法连接 — 上海办公室"
    assert rows["NET-901"]["summary"] == "'=HYPERLINK(\"http://x\")"
    book = load_workbook(io.BytesIO(client.get(f"/exports/clocks.xlsx?period={week}&vendor=acme").data))
    sheet = book["clocks"]
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert cells["NET-900"][1].value == "打印机无法连接 — 上海办公室"
    assert cells["NET-901"][1].value == "=HYPERLINK(\"http://x\")" and cells["NET-901"][1].data_type == "s"


def test_xlsx_holds_the_same_rows_as_csv(demo_app):
    client, quarter = demo_app.test_client(), _quarter(demo_app)
    response = client.get(f"/exports/clocks.xlsx?period={quarter.label}")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data))["clocks"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == list(EXPORT_COLUMNS)
    csv_rows = _csv_rows(client.get(f"/exports/clocks.csv?period={quarter.label}").get_data(as_text=True))
    assert [(r[0], r[6], r[7]) for r in values[1:]] == [_key(r) for r in csv_rows]
    assert {(r[0], r[6], r[7]): r[19] for r in values[1:]} == _reported(demo_app, quarter, None)


def test_the_dashboard_links_to_the_downloads(demo_app):
    client, quarter = demo_app.test_client(), _quarter(demo_app)
    page = client.get("/vendors/acme").get_data(as_text=True)
    href = f"/exports/clocks.csv?period={quarter.label}&amp;vendor=acme"
    assert href in page and "/exports/clocks.xlsx?period=2026-W48&amp;vendor=acme" in page
    assert client.get(href.replace("&amp;", "&")).status_code == 200
    assert "/exports/clocks.csv?period=2026-W48&amp;vendor=globex" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("url, status, reason", [
    ("/exports/clocks.csv", 400, "write it like 2026-W47, 2026-11 or 2026-Q3"),
    ("/exports/clocks.csv?period=2026-W60", 400, "period '2026-W60'"),
    ("/exports/clocks.pdf?period=2026-Q4", 404, "clocks.csv or clocks.xlsx"),
])
def test_bad_requests_say_why(demo_app, url, status, reason):
    response = demo_app.test_client().get(url)
    assert response.status_code == status and reason in response.json["reason"]


def test_a_caller_limited_to_a_vendor_downloads_only_its_clocks(demo_app):
    demo_app.config["TEST_VENDOR_SCOPE"] = frozenset({"acme"})
    client, quarter = demo_app.test_client(), _quarter(demo_app)
    assert client.get(f"/exports/clocks.csv?period={quarter.label}&vendor=globex").status_code == 403
    rows = _csv_rows(client.get(f"/exports/clocks.csv?period={quarter.label}").get_data(as_text=True))
    assert {_key(r) for r in rows} == set(_reported(demo_app, quarter, "acme"))


def test_the_export_command_writes_csv_json_and_xlsx(demo_app, db_url, tmp_path):
    env = {"SLAWATCH_DATABASE_URL": db_url, "SLAWATCH_RULES": str(demo.RULES_PATH)}
    quarter = _quarter(demo_app)  # the command's `now` is the real time: every demo clock is long due
    runner = CliRunner()
    result = runner.invoke(cli, ["export", "--period", quarter.label, "--vendor", "globex"], env=env,
                           catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    rows = _csv_rows(result.stdout)
    assert {_key(r): r["met"] == "true" for r in rows} == _reported(demo_app, quarter, "globex", utc_now())
    assert len(rows) > 30 and {r["vendor"] for r in rows} == {"globex"}
    label = quarter.label
    out = tmp_path / "q.json"
    assert runner.invoke(cli, ["export", "--period", label, "--vendor", "globex", "--format", "json", "--out", str(out)],
                         env=env).exit_code == 0
    as_json = json.loads(out.read_text(encoding="utf-8"))
    assert [(r["ticket"], r["metric"], r["cycle"]) for r in as_json] == [_key(r) for r in rows]
    xlsx = tmp_path / "q.xlsx"
    assert runner.invoke(cli, ["export", "--period", label, "--format", "xlsx", "--out", str(xlsx)], env=env).exit_code == 0
    assert load_workbook(xlsx)["clocks"].max_row > len(rows)


@pytest.mark.parametrize("args, message", [
    (["--period", "2026-Q5"], "period '2026-Q5': write it like"),
    (["--period", "2026-Q4", "--vendor", "nope"], "unknown vendor 'nope'"),
    (["--period", "2026-Q4", "--format", "xlsx"], "--format xlsx needs --out FILE"),
])
def test_the_export_command_refuses_bad_options(db_url, args, message):
    env = {"SLAWATCH_DATABASE_URL": db_url, "SLAWATCH_RULES": str(demo.RULES_PATH)}
    result = CliRunner().invoke(cli, ["export", *args], env=env)
    assert result.exit_code == 1 and message in result.stderr
