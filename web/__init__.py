"""The HTTP face of Slawatch: webhooks in, the read API, health and metrics."""
from __future__ import annotations

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from web import api, health, metrics, webhooks
from web import context


def init_app(app) -> None:
    metrics.init_app(app)
    for blueprint in (webhooks.bp, api.bp, health.bp):
        app.register_blueprint(blueprint)
    app.before_request(_check_rules)
    app.register_error_handler(HTTPException, _http_error)


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
