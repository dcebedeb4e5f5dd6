"""The dashboard's stored attainment figures (store/figures.py): counted by the leader's tick step,
read by the pages while fresh and of the rules in force, counted live (and stored) otherwise."""
from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from connectors.jira_demo import DemoIssue, demo_user
from scheduler import get_ticker
from store.attainment import attainment
from store.db import get_database
from store.figures import dashboard_periods, load_figures, refresh_figures
from store.models import DashboardFigures
from store.rulebook import get_rulebook
from tests.conftest import Clock, recompute_marked
from web import demo

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=timezone.utc)  # 13:00 in Asia/Shanghai, the demo's zone


def _app(make_app, db_url, tickets: int = 0, **overrides):
    app = make_app(db_url, **{"SLAWATCH_RULES": str(demo.RULES_PATH), "SLAWATCH_CLOCK": Clock(NOW), **overrides})
    if tickets:
        demo.fill(get_database(app), get_rulebook(app).rules, NOW, tickets=tickets, seed=3)
    return app


def _stored(app) -> dict[str, tuple]:
    with get_database(app).reading() as session:
        return {row.period: (row.rules_version, row.computed_at) for row in session.scalars(select(DashboardFigures))}


def _acme_opened(client) -> int:
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get("/").get_data(as_text=True)))
    return int(re.search(r"ACME Outsourcing .*?This week: (\d+) opened", page).group(1))


def _new_ticket(app, key: str, at: datetime) -> None:
    issue = DemoIssue(key, at, demo_user("Maria Lopez", customer=True), "VPN", "Network")
    assert app.test_client().post("/webhooks/jira", json=issue.created()).status_code == 200
    recompute_marked(app)


def test_stored_figures_are_the_counted_figures(make_app, db_url):
    app = _app(make_app, db_url, tickets=150)
    rules, db = get_rulebook(app).rules, get_database(app)
    periods = dashboard_periods(rules, NOW)
    wanted = periods.vendor  # holds the overview's: this week and quarter
    assert refresh_figures(db, rules, NOW) == len(wanted)
    with db.reading() as session:
        counted = attainment(session, rules, wanted, NOW)
        stored, as_of = load_figures(session, rules, wanted, NOW, 60)
    assert as_of == NOW
    checked = 0
    for key in {*counted.metrics, *stored.metrics}:
        for metric, stats in counted.metrics[key].items():
            got = stored.metrics[key][metric]
            assert (got.counted, got.met, got.excused, got.target) == (stats.counted, stats.met, stats.excused,
                                                                       stats.target)
            checked += stats.counted
    assert checked > 100
    for name in ("opened", "resolved", "breaches", "excused", "satisfaction"):
        assert {k: v for k, v in getattr(stored, name).items() if v} == \
               {k: v for k, v in getattr(counted, name).items() if v}, name


def test_the_leaders_tick_counts_them_at_most_every_interval(make_app, db_url):
    app = _app(make_app, db_url, SLAWATCH_FIGURES_SECONDS=60)
    ticker = get_ticker(app)
    assert ticker.tick() == []
    stored = _stored(app)
    periods = dashboard_periods(get_rulebook(app).rules, NOW)
    assert set(stored) == {p.label for p in periods.vendor}
    assert {version for version, _ in stored.values()} == {get_rulebook(app).rules.version}
    client = app.test_client()
    assert _acme_opened(client) == 0
    assert re.search(r"figures as of <time [^>]*>13:00</time>", client.get("/").get_data(as_text=True))
    _new_ticket(app, "NET-1", NOW - timedelta(hours=1))
    ticker.clock.now = NOW + timedelta(seconds=59)
    assert ticker.tick() == []
    assert _stored(app) == stored  # younger than 60 s: not counted again
    assert _acme_opened(client) == 0  # the page shows the stored figures
    assert "NET-1" in client.get("/").get_data(as_text=True)  # the clock lists are live
    ticker.clock.now = NOW + timedelta(seconds=60)
    assert ticker.tick() == []
    assert _acme_opened(client) == 1
    ticker.leading = False
    ticker.refresh_figures(NOW + timedelta(hours=1))  # only the leader counts
    assert max(at for _, at in _stored(app).values()) == NOW + timedelta(seconds=60)


def test_a_started_scheduler_counts_them_in_a_job_of_their_own(make_app, db_url):
    """The tick the scheduler runs plans and sends; the counting steps are a second job, so a
    count that takes seconds (a million open clocks) never delays alerts (issue 15)."""
    app = _app(make_app, db_url, SLAWATCH_FIGURES_SECONDS=60, SLAWATCH_TICK_SECONDS=0.2)
    ticker = get_ticker(app)
    assert ticker.tick(background=False) == [] and ticker.leading
    assert _stored(app) == {}  # the tick itself counted nothing
    ticker.start()
    try:
        for _ in range(300):  # the background job's first run is a fraction of a second after start
            if _stored(app):
                break
            threading.Event().wait(0.05)
    finally:
        ticker.stop()
    assert set(_stored(app)) == {p.label for p in dashboard_periods(get_rulebook(app).rules, NOW).vendor}
    jobs = {name for name, _ in ticker.steps} & {name for name, _ in ticker.background_steps}
    assert jobs == set()  # no step runs in both


def test_a_page_counts_live_when_the_figures_are_missing_or_stale_and_stores_them(make_app, db_url):
    app = _app(make_app, db_url, SLAWATCH_FIGURES_SECONDS=60)
    clock, client = app.config["SLAWATCH_CLOCK"], app.test_client()
    assert _stored(app) == {}
    assert _acme_opened(client) == 0  # no worker: counted by the page, then stored
    periods = dashboard_periods(get_rulebook(app).rules, NOW)
    assert set(_stored(app)) == {p.label for p in periods.overview}
    _new_ticket(app, "NET-1", NOW - timedelta(hours=1))
    clock.now = NOW + timedelta(seconds=179)
    assert _acme_opened(client) == 0  # stored less than 3 intervals ago
    clock.now = NOW + timedelta(seconds=180)
    assert _acme_opened(client) == 1
    assert {at for _, at in _stored(app).values()} == {NOW + timedelta(seconds=180)}
    response = client.get("/vendors/acme")
    assert response.status_code == 200 and "figures as of" in response.get_data(as_text=True)
    assert set(_stored(app)) == {p.label for p in [*periods.overview, *periods.vendor]}


def test_figures_of_other_rules_are_not_shown(make_app, db_url, tmp_path):
    rules_file = tmp_path / "demo-rules.yaml"
    rules_file.write_text(demo.RULES_PATH.read_text())
    app = _app(make_app, db_url, SLAWATCH_RULES=str(rules_file))
    client = app.test_client()
    assert _acme_opened(client) == 0
    _new_ticket(app, "NET-1", NOW - timedelta(hours=1))
    assert _acme_opened(client) == 0
    rules_file.write_text(demo.RULES_PATH.read_text() + "\n# edited\n")
    book = get_rulebook(app)
    book.check(NOW, force=True)
    assert _acme_opened(client) == 1  # stored under the old version: counted again
    assert {version for version, _ in _stored(app).values()} == {book.rules.version}
