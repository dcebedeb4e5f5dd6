"""Prometheus metrics, one registry per app: webhook counters, and gauges computed from the
database at scrape time (so every web worker reports the same numbers).

The counters are kept per process. Under gunicorn, set PROMETHEUS_MULTIPROC_DIR to an empty
directory (prometheus_client's multiprocess mode: each process writes its counters there) and
every scrape, whichever worker answers it, shows the sum over all of them.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy.exc import SQLAlchemyError

from connectors.jira_reconcile import read_status as read_reconcile_status
from processors.rules import Rules
from store.db import Database, get_database
from store.figures import dashboard_periods, load_figures
from store.pending import backlog
from store.queries import count_open_breaches, count_open_clocks
from store.quarantine import count_quarantined
from store.rulebook import get_rulebook

log = logging.getLogger(__name__)


class StoreCollector:
    """Gauges read from the clock cache when /metrics is scraped; the attainment gauges from the
    stored dashboard figures (store/figures.py), never counted per scrape."""

    def __init__(self, db: Database, clock: Callable[[], datetime], rules: Callable[[], Rules] | None = None):
        self.db, self.clock, self.rules = db, clock, rules

    def describe(self) -> list[Metric]:
        return []  # unknown until scraped; keeps registration free of database calls

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("slawatch_database_up", "1 if the database answered this scrape")
        try:
            with self.db.reading() as session:
                open_clocks = count_open_clocks(session)
                breaches = count_open_breaches(session, self.clock())
                reconcile = read_reconcile_status(session)
                waiting = backlog(session, self.clock())
                quarantined = count_quarantined(session)
                attainment = self._attainment(session) if self.rules is not None else []
        except SQLAlchemyError as exc:
            log.warning("metrics: database unavailable: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("slawatch_open_clocks", "SLA clocks running or paused", value=open_clocks)
        yield GaugeMetricFamily("slawatch_breaches", "open SLA clocks past their target", value=breaches)
        yield GaugeMetricFamily("slawatch_recompute_pending",
                                "tickets whose stored clocks wait for the worker's recompute", value=waiting.tickets)
        yield GaugeMetricFamily("slawatch_recompute_lag_seconds",
                                "how long the longest-waiting ticket has waited for its recompute",
                                value=waiting.lag_seconds(self.clock()))
        yield GaugeMetricFamily("slawatch_quarantined_tickets",
                                "tickets no longer recomputed after repeated failures (slawatch quarantine list)",
                                value=quarantined)
        yield GaugeMetricFamily("slawatch_reconcile_events_added",
                                "events reconcile stored that the webhooks had missed, ever",
                                value=reconcile.events_added)
        last = reconcile.last_run or {}
        yield GaugeMetricFamily("slawatch_reconcile_last_new_events",
                                "events the latest reconcile run stored", value=last.get("new_events") or 0)
        yield GaugeMetricFamily("slawatch_reconcile_last_failed", "1 if the latest reconcile run failed",
                                value=1 if last.get("error") else 0)
        yield from attainment

    def _attainment(self, session) -> list[Metric]:
        """Attainment per vendor and metric of the current week and quarter, from the stored
        figures (none until the worker or a dashboard page has counted them)."""
        rules, now = self.rules(), self.clock()
        periods = dashboard_periods(rules, now)
        stored = load_figures(session, rules, periods.overview, now, float("inf"))
        if stored is None:
            return []
        figures, as_of = stored
        labels = ["vendor", "metric", "period", "label"]
        ratio = GaugeMetricFamily("slawatch_attainment_ratio",
                                  "met / counted clocks of the period so far (as in the reports)", labels=labels)
        counted = GaugeMetricFamily("slawatch_attainment_counted",
                                    "clocks counted in the period so far, excused breaches left out", labels=labels)
        met = GaugeMetricFamily("slawatch_attainment_met", "clocks counted in the period that met their target",
                                labels=labels)
        for period in periods.overview:
            for (vendor, label), by_metric in sorted(figures.metrics.items(), key=lambda i: (str(i[0][0]), i[0][1])):
                if label != period.label:
                    continue
                for metric, stats in sorted(by_metric.items()):
                    values = [vendor or "none", metric, period.kind, period.label]
                    counted.add_metric(values, stats.counted)
                    met.add_metric(values, stats.met)
                    if stats.attainment is not None:
                        ratio.add_metric(values, stats.attainment)
        age = GaugeMetricFamily("slawatch_attainment_age_seconds", "how old the stored figures behind the "
                                "attainment gauges are", value=max(0.0, (now - as_of).total_seconds()))
        return [ratio, counted, met, age]


class Metrics:
    def __init__(self, db: Database, clock: Callable[[], datetime], multiprocess_dir: str | None = None,
                 rules: Callable[[], Rules] | None = None):
        self.registry = CollectorRegistry()
        self.multiprocess_dir = multiprocess_dir
        self.webhooks_received = Counter(
            "slawatch_webhooks_received", "webhook requests received", ["source"], registry=self.registry)
        self.webhooks_rejected = Counter(
            "slawatch_webhooks_rejected", "webhook requests rejected", ["source", "reason"],
            registry=self.registry)
        self.events_stored = Counter(
            "slawatch_events_stored", "new lifecycle events stored", registry=self.registry)
        self.store = StoreCollector(db, clock, rules)
        self.registry.register(self.store)

    def exposition(self) -> bytes:
        """The Prometheus text: this process's counters, or in multiprocess mode the sum over
        every process that wrote to the directory; the database gauges either way."""
        if not self.multiprocess_dir:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)
        registry.register(self.store)
        return generate_latest(registry)


def init_app(app) -> None:
    app.extensions["slawatch.metrics"] = Metrics(get_database(app), app.config["SLAWATCH_CLOCK"],
                                                 app.config.get("PROMETHEUS_MULTIPROC_DIR") or None,
                                                 lambda: get_rulebook(app).rules)
