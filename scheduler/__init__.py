"""Jobs that run outside requests: the periodic tick (see `scheduler.ticker`): rules, recompute,
the leader's alert planning and report jobs, and the outbox dispatcher."""
from __future__ import annotations

import logging

from scheduler.ticker import LAST_ERROR_KEY, LAST_TICK_KEY, Ticker
from store.db import get_database
from store.rulebook import get_rulebook

__all__ = ["LAST_ERROR_KEY", "LAST_TICK_KEY", "Ticker", "get_ticker", "init_app"]

log = logging.getLogger(__name__)


def init_app(app) -> None:
    """Create (not start) the ticker; `slawatch serve` and `slawatch worker` start it."""
    ticker = Ticker(
        get_database(app), get_rulebook(app), app.config["SLAWATCH_TICK_SECONDS"],
        app.config["SLAWATCH_CLOCK"], sender=app.extensions.get("slawatch.slack_sender"),
        jira_url=app.config.get("JIRA_URL"), reconciler=make_reconciler(app),
    )
    ticker.figures_seconds = app.config.get("SLAWATCH_FIGURES_SECONDS", 60.0)
    if ticker.dispatcher is not None:
        ticker.dispatcher.jira = make_jira_writer(app)
    app.extensions["slawatch.ticker"] = ticker
    app.extensions["slawatch.recompute_wakeup"] = ticker.pending_wakeup


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


def make_jira_writer(app):
    """The Jira write-back sender (connectors/jira_writeback.py) when JIRA_URL and JIRA_API_TOKEN
    are set, else None: then write-back rows fail with that reason, and rules that turn
    write-back on get a warning now."""
    from functools import partial

    from connectors.jira_backfill import connect
    from connectors.jira_writeback import NOT_CONFIGURED, JiraWriter

    config = app.config
    if not (config.get("JIRA_URL") and config.get("JIRA_API_TOKEN")):
        if get_rulebook(app).rules.jira_write_back.enabled:
            log.warning(NOT_CONFIGURED.replace("nothing was written", "nothing will be written"))
        return None
    return JiraWriter(partial(connect, config["JIRA_URL"], config.get("JIRA_USER") or None,
                              config["JIRA_API_TOKEN"], max_retries=0, timeout=10, check=False))


def get_ticker(app) -> Ticker:
    return app.extensions["slawatch.ticker"]
