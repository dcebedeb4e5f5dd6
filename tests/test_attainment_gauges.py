"""Prometheus gauges of attainment per vendor and metric for the current week and quarter, read
from the stored dashboard figures (store/figures.py), never counted by the scrape itself."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from prometheus_client.parser import text_string_to_metric_families

from store.attainment import attainment
from store.db import get_database
from store.figures import dashboard_periods, refresh_figures
from store.rulebook import get_rulebook
from tests.conftest import Clock
from web import demo

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=timezone.utc)


def _samples(client) -> dict[str, dict[tuple, float]]:
    text = client.get("/metrics").get_data(as_text=True)
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith("slawatch_attainment"):
                labels = tuple(sample.labels[k] for k in ("vendor", "metric", "period", "label") if k in sample.labels)
                out.setdefault(sample.name, {})[labels] = sample.value
    return out


def test_gauges_show_the_stored_figures_of_this_week_and_quarter(make_app, db_url):
    clock = Clock(NOW)
    app = make_app(db_url, SLAWATCH_RULES=str(demo.RULES_PATH), SLAWATCH_CLOCK=clock)
    rules, db = get_rulebook(app).rules, get_database(app)
    demo.fill(db, rules, NOW, tickets=150, seed=3)
    client = app.test_client()
    assert _samples(client) == {}  # nothing stored yet: the scrape does not count

    refresh_figures(db, rules, NOW)
    clock.now = NOW + timedelta(minutes=5)
    got = _samples(client)
    periods = dashboard_periods(rules, NOW)
    with db.reading() as session:
        figures = attainment(session, rules, periods.overview, NOW)
    expected_ratio, expected_counted = {}, {}
    for period in periods.overview:
        for vendor in ("acme", "globex", "initech"):
            for metric in ("first_response", "resolution"):
                stats = figures.stats(vendor, period, metric)
                if stats is None:  # no clock of this vendor and metric in the period: no gauge
                    continue
                key = (vendor, metric, period.kind, period.label)
                expected_counted[key] = stats.counted
                if stats.counted:
                    expected_ratio[key] = stats.attainment
    assert {k: v for k, v in got["slawatch_attainment_counted"].items() if k[1] in ("first_response", "resolution")} \
        == expected_counted
    assert {k: v for k, v in got["slawatch_attainment_ratio"].items() if k[1] in ("first_response", "resolution")} \
        == expected_ratio
    assert len(expected_ratio) >= 8 and any(v < 1 for v in expected_ratio.values())  # most vendors and metrics
    assert got["slawatch_attainment_age_seconds"] == {(): 300.0}
