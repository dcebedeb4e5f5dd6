"""Prometheus metrics, one registry per app: webhook counters kept in process, clock gauges
computed from the database at scrape time (so every web worker reports the same numbers)."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy.exc import SQLAlchemyError

from connectors.jira_reconcile import read_status as read_reconcile_status
from store.db import Database, get_database
from store.queries import count_open_breaches, count_open_clocks

log = logging.getLogger(__name__)


class StoreCollector:
    """Gauges read from the clock cache when /metrics is scraped."""

    def __init__(self, db: Database, clock: Callable[[], datetime]):
        self.db, self.clock = db, clock

    def describe(self) -> list[Metric]:
        return []  # unknown until scraped; keeps registration free of database calls

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("slawatch_database_up", "1 if the database answered this scrape")
        try:
            with self.db.reading() as session:
                open_clocks = count_open_clocks(session)
                breaches = count_open_breaches(session, self.clock())
                reconcile = read_reconcile_status(session)
        except SQLAlchemyError as exc:
            log.warning("metrics: database unavailable: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("slawatch_open_clocks", "SLA clocks running or paused", value=open_clocks)
        yield GaugeMetricFamily("slawatch_breaches", "open SLA clocks past their target", value=breaches)
        yield GaugeMetricFamily("slawatch_reconcile_events_added",
                                "events reconcile stored that the webhooks had missed, ever",
                                value=reconcile.events_added)
        last = reconcile.last_run or {}
        yield GaugeMetricFamily("slawatch_reconcile_last_new_events",
                                "events the latest reconcile run stored", value=last.get("new_events") or 0)
        yield GaugeMetricFamily("slawatch_reconcile_last_failed", "1 if the latest reconcile run failed",
                                value=1 if last.get("error") else 0)


class Metrics:
    def __init__(self, db: Database, clock: Callable[[], datetime]):
        self.registry = CollectorRegistry()
        self.webhooks_received = Counter(
            "slawatch_webhooks_received", "webhook requests received", ["source"], registry=self.registry)
        self.webhooks_rejected = Counter(
            "slawatch_webhooks_rejected", "webhook requests rejected", ["source", "reason"],
            registry=self.registry)
        self.events_stored = Counter(
            "slawatch_events_stored", "new lifecycle events stored", registry=self.registry)
        self.registry.register(StoreCollector(db, clock))


def init_app(app) -> None:
    app.extensions["slawatch.metrics"] = Metrics(get_database(app), app.config["SLAWATCH_CLOCK"])
