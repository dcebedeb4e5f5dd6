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
        jira_url=app.config.get("JIRA_URL"),
    )


def get_ticker(app) -> Ticker:
    return app.extensions["slawatch.ticker"]
