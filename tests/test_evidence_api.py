"""GET /api/clocks (every clock, filtered, paged by keyset) and GET /api/attainment (the figures
of the reports), each answer held to the OpenAPI document."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask import g

from connectors.jira_demo import DemoIssue, demo_user
from processors.periods import local_day, months_of, quarter_of, week_of, weeks_ending
from store.db import get_database
from store.history import quarterly_scorecards, weekly_summary
from store.rulebook import get_rulebook
from tests.conftest import Clock, recompute_marked
from tests.openapi_check import get
from web import demo

UTC = timezone.utc
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


@pytest.fixture
def demo_app(make_app, db_url):
    app = make_app(db_url, SLAWATCH_RULES=str(demo.RULES_PATH), SLAWATCH_CLOCK=Clock(NOW))
    demo.fill(get_database(app), get_rulebook(app).rules, NOW, tickets=120, seed=5)
    return app


def _all_pages(client, query: str, limit: int) -> list[dict]:
    rows, cursor = [], None
    while True:
        url = f"/api/clocks?limit={limit}&{query}" + (f"&cursor={cursor}" if cursor else "")
        body = get(client, url).json
        rows += body["clocks"]
        cursor = body["next_cursor"]
        if cursor is None:
            return rows


def _identity(row: dict) -> tuple:
    return row["ticket"], row["metric"], row["cycle"]


def test_clocks_lists_every_clock_open_and_stopped_once(demo_app):
    client = demo_app.test_client()
    rows = _all_pages(client, "", 37)
    with get_database(demo_app).engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT ticket, metric, cycle, state FROM clocks").all()
    assert sorted(_identity(r) for r in rows) == sorted((t, m, c) for t, m, c, _ in stored)
    assert len({_identity(r) for r in rows}) == len(rows)
    assert {r["state"] for r in rows} >= {"running", "stopped"}
    sample = next(r for r in rows if r["state"] == "stopped")
    assert sample["summary"] and sample["priority"] and sample["rules_version"] == get_rulebook(demo_app).rules.version


def test_filters_select_the_matching_clocks(demo_app):
    client = demo_app.test_client()
    every = _all_pages(client, "", 1000)
    for query, keep in [
        ("vendor=acme", lambda r: r["vendor"] == "acme"),
        ("metric=first_response", lambda r: r["metric"] == "first_response"),
        ("state=stopped", lambda r: r["state"] == "stopped"),
        ("breached=true", lambda r: r["breached"]),
        ("breached=false", lambda r: not r["breached"]),
        ("excused=true", lambda r: r["excused"]),
        ("vendor=acme&metric=resolution&breached=true",
         lambda r: r["vendor"] == "acme" and r["metric"] == "resolution" and r["breached"]),
        ("vendor=globex&metric=first_response&state=stopped",
         lambda r: r["vendor"] == "globex" and r["metric"] == "first_response" and r["state"] == "stopped"),
    ]:
        got = _all_pages(client, query, 50)
        want = [r for r in every if keep(r)]
        assert [_identity(r) for r in got] == [_identity(r) for r in want], query
        assert got, query
    excused = _all_pages(client, "excused=true", 50)
    assert all(r["excuse"]["reason"] and r["excuse"]["by"] for r in excused)
    start, end = NOW - timedelta(days=7), NOW - timedelta(days=3)
    got = _all_pages(client, "from=2026-11-17T05:00:00Z&to=2026-11-21T05:00:00Z", 50)

    def inside(value):
        return value is not None and start <= datetime.fromisoformat(value.replace("Z", "+00:00")) < end

    assert [_identity(r) for r in got] == [_identity(r) for r in every
                                           if inside(r["started_at"]) or inside(r["stopped_at"])]
    assert got


def test_paging_neither_skips_nor_repeats_when_clocks_arrive_between_pages(demo_app):
    client = demo_app.test_client()
    before = {_identity(r) for r in _all_pages(client, "", 1000)}
    seen, cursor, pages, added = [], None, 0, 0
    while True:
        body = get(client, "/api/clocks?limit=25" + (f"&cursor={cursor}" if cursor else "")).json
        seen += [_identity(r) for r in body["clocks"]]
        cursor, pages = body["next_cursor"], pages + 1
        if cursor is None:
            break
        # a new ticket sorting before and one after the cursor, and a recompute of a seen one
        for key in (f"AAA-{100 + pages}", f"ZZZ-{100 + pages}"):  # same width: keys sort as text
            issue = DemoIssue(key, NOW - timedelta(hours=1), demo_user("Tom Becker", customer=True), "New", "Ops")
            assert client.post("/webhooks/jira", json=issue.created()).status_code == 200
            added += 1
        recompute_marked(demo_app)
    assert len(seen) == len(set(seen))
    assert before <= set(seen)
    assert {t for t, _, _ in set(seen) - before} == {f"ZZZ-{100 + n}" for n in range(1, pages)}


@pytest.mark.parametrize("query, reason", [
    ("state=open", "state must be one of running, paused, stopped"),
    ("metric=speed", "metric must be one of"),
    ("breached=yes", "breached must be true or false"),
    ("limit=0", "limit must be between 1 and 1000"),
    ("limit=x", "limit must be an integer"),
    ("cursor=bm90LWpzb24", "cursor is not one this API gave out"),
    ("from=yesterday", "from must be a date"),
    ("from=2026-11-20&to=2026-11-19", "'to' must be after 'from'"),
])
def test_bad_parameters_are_a_400_with_the_reason(demo_app, query, reason):
    response = get(demo_app.test_client(), f"/api/clocks?{query}")
    assert response.status_code == 400
    assert response.json["error"] == "bad_request" and reason in response.json["reason"]


def test_a_caller_limited_to_a_vendor_sees_only_its_clocks_and_figures(demo_app):
    @demo_app.before_request
    def only_acme():
        g.slawatch_vendors = frozenset({"acme"})

    client = demo_app.test_client()
    rows = _all_pages(client, "", 200)
    assert rows and {r["vendor"] for r in rows} == {"acme"}
    assert _all_pages(client, "vendor=globex", 200) == []
    body = get(client, "/api/attainment?period=quarter").json
    assert [v["vendor"] for p in body["periods"] for v in p["vendors"]] == ["acme"]
    body = get(client, "/api/attainment?period=quarter&vendor=globex").json
    assert [v for p in body["periods"] for v in p["vendors"]] == []


def _figures(stats) -> tuple:
    return stats.counted, stats.met, stats.excused, stats.median_seconds, stats.p90_seconds


def _api(entry: dict) -> tuple:
    return entry["counted"], entry["met"], entry["excused"], entry["median_seconds"], entry["p90_seconds"]


def test_attainment_is_exactly_the_figures_of_the_reports(demo_app):
    client = demo_app.test_client()
    rules = get_rulebook(demo_app).rules
    zone = rules.reports.weekly.timezone
    today = local_day(NOW, zone)
    weeks = weeks_ending(week_of(today, zone), 12)
    quarter = quarter_of(today, zone)
    body = get(client, f"/api/attainment?period=week&from={weeks[0].first_day}&to={today}").json
    assert [p["label"] for p in body["periods"]] == [w.label for w in weeks]
    checked = 0
    with get_database(demo_app).reading() as session:
        for week, got in zip(weeks, body["periods"]):
            summary = weekly_summary(session, rules, week, NOW, weeks=2)
            api = {v["vendor"]: v["metrics"] for v in got["vendors"]}
            expected = {s.vendor: s.metrics for s in summary.vendors if any(m.counted + m.excused for m in s.metrics.values())}
            assert set(api) == set(expected), week.label
            for vendor, metrics in expected.items():
                for metric, stats in metrics.items():
                    assert _api(api[vendor][metric]) == _figures(stats), (week.label, vendor, metric)
                    checked += stats.counted
        cards = quarterly_scorecards(session, rules, quarter, NOW).cards
    assert checked > 100
    body = get(client, f"/api/attainment?period=quarter&from={today}").json
    api = {v["vendor"]: v["metrics"] for v in body["periods"][0]["vendors"]}
    for card in cards:
        for metric, stats in card.metrics.items():
            assert _api(api[card.vendor][metric]) == _figures(stats)
            assert api[card.vendor][metric]["attainment"] == stats.attainment
    months = get(client, f"/api/attainment?period=month&from={quarter.first_day}&to={quarter.last_day}"
                         "&vendor=acme&metric=resolution").json
    assert [p["label"] for p in months["periods"]] == [m.label for m in months_of(quarter)]
    for month, card_stats in zip(months["periods"], next(c for c in cards if c.vendor == "acme").monthly["resolution"]):
        got = {v["vendor"]: v["metrics"] for v in month["vendors"]}
        if card_stats.counted + card_stats.excused:
            assert list(got) == ["acme"] and list(got["acme"]) == ["resolution"]
            assert _api(got["acme"]["resolution"]) == _figures(card_stats)


@pytest.mark.parametrize("query, reason", [
    ("period=year", "period must be one of week, month, quarter"),
    ("from=2026-13-01", "from must be a date"),
    ("from=2026-11-20&to=2026-11-01", "'to' is before 'from'"),
    ("period=week&from=2020-01-01&to=2026-01-01", "at most 120 periods"),
])
def test_attainment_bad_parameters_are_a_400(demo_app, query, reason):
    response = get(demo_app.test_client(), f"/api/attainment?{query}")
    assert response.status_code == 400 and reason in response.json["reason"]
