"""The running app's handles, for views: the database, the rules in force, metrics, `now`."""
from __future__ import annotations

from datetime import datetime

from flask import current_app

from store.db import Database, get_database
from store.rulebook import RuleBook, get_rulebook


def database() -> Database:
    return get_database(current_app)


def rulebook() -> RuleBook:
    return get_rulebook(current_app)


def now() -> datetime:
    return current_app.config["SLAWATCH_CLOCK"]()


def metrics():
    return current_app.extensions["slawatch.metrics"]


def wake_recompute() -> None:
    """Tell a recompute loop in this process (`slawatch serve`) that tickets wait; a no-op in a
    gunicorn worker, where `slawatch worker` polls."""
    wakeup = current_app.extensions.get("slawatch.recompute_wakeup")
    if wakeup is not None:
        wakeup.set()
