"""The HTTP face of Slawatch: webhooks in, the read API, health and metrics."""
from __future__ import annotations

import logging

from flask import jsonify, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from store import deadlines

from web import (api, auth, auth_slack, backtest_page, context, dashboard, evidence, exports, health, metrics,
                 slack, survey, webhooks)
from web import slack_commands, slack_events, slack_interactions  # noqa: F401  (their routes on slack.bp)

log = logging.getLogger(__name__)


def init_app(app) -> None:
    metrics.init_app(app)
    auth.init_app(app)  # first: no view runs for a caller who may not see it
    auth_slack.init_app(app)
    for blueprint in (webhooks.bp, slack.bp, survey.bp, api.bp, evidence.bp, exports.bp, health.bp,
                      dashboard.bp, backtest_page.bp):
        app.register_blueprint(blueprint)
    app.before_request(_limit_database_waits)  # first: _check_rules reads the database
    app.teardown_request(lambda exc: deadlines.limit_thread(None))
    app.before_request(_check_rules)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)


QUICK_PATHS = ("/webhooks/", "/healthz")  # callers that give up soon: Jira, Slack, load balancers


def _limit_database_waits() -> None:
    """A statement of this request waits for the database at most a few seconds (then 503):
    store/deadlines.py."""
    quick = request.path.startswith(QUICK_PATHS)
    deadlines.limit_thread(deadlines.REQUEST_SECONDS if quick else deadlines.OTHER_REQUEST_SECONDS)


def _check_rules() -> None:
    """Pick up an edited rules file (looked at most once a second) and record its version."""
    book = context.rulebook()
    now = context.now()
    book.check_throttled(now)
    book.publish(context.database(), now)


def _http_error(exc: HTTPException):
    """Errors as JSON, like every other answer of this service."""
    name = (exc.name or "error").lower().replace(" ", "_")
    return jsonify(error=name, reason=exc.description), exc.code or 500


def _database_unavailable(exc: OperationalError):
    """The database is down or locked for too long: ask the sender to come back (Jira retries)."""
    log.error("database unavailable: %s", type(exc.orig).__name__ if exc.orig else type(exc).__name__)
    response = jsonify(error="unavailable", reason="the database is unavailable; retry later")
    response.headers["Retry-After"] = "30"
    return response, 503
