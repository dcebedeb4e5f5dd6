"""Jobs that run outside requests: the periodic tick (see `scheduler.ticker`): rules, recompute,
the leader's alert planning and report jobs, and the outbox dispatcher."""
from __future__ import annotations

from scheduler.ticker import LAST_ERROR_KEY, LAST_TICK_KEY, Ticker
from store.db import get_database
from store.rulebook import get_rulebook

__all__ = ["LAST_ERROR_KEY", "LAST_TICK_KEY", "Ticker", "get_ticker", "init_app"]


def init_app(app) -> None:
    """Create (not start) the ticker; `slawatch serve` and `slawatch worker` start it."""
    app.extensions["slawatch.ticker"] = Ticker(
        get_database(app), get_rulebook(app), app.config["SLAWATCH_TICK_SECONDS"],
        app.config["SLAWATCH_CLOCK"], sender=app.extensions.get("slawatch.slack_sender"),
        jira_url=app.config.get("JIRA_URL"), reconciler=make_reconciler(app),
    )


def make_reconciler(app):
    """A Reconciler when JIRA_URL and JIRA_API_TOKEN are set, else None (webhooks only)."""
    from datetime import timedelta
    from functools import partial

    from connectors.jira_backfill import connect
    from connectors.jira_reconcile import Reconciler

    config = app.config
    if not (config.get("JIRA_URL") and config.get("JIRA_API_TOKEN")):
        return None
    return Reconciler(
        get_database(app),
        partial(connect, config["JIRA_URL"], config.get("JIRA_USER") or None, config["JIRA_API_TOKEN"],
                max_retries=1),
        every=timedelta(seconds=config.get("SLAWATCH_RECONCILE_SECONDS", 3600)),
        margin=timedelta(seconds=config.get("SLAWATCH_RECONCILE_MARGIN_SECONDS", 3600)),
        scope=config.get("SLAWATCH_RECONCILE_JQL") or None)


def get_ticker(app) -> Ticker:
    return app.extensions["slawatch.ticker"]
