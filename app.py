"""Slawatch's composition root: `create_app(config=None)`, its settings and logging.
The `slawatch` command line is in cli.py.

Configuration comes from environment variables (see `DEFAULTS`); a `config` dict passed to
`create_app` overrides them (tests do that). Nothing here runs at import time.
"""
from __future__ import annotations

import logging
import os
import sys
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from flask import Flask

import scheduler
import store.db
import store.readiness
import store.rulebook
import web
from connectors.slack import make_sender
from web import i18n as web_i18n

log = logging.getLogger("slawatch")

DEFAULTS: dict[str, str | None] = {
    "SLAWATCH_DATABASE_URL": "sqlite:///slawatch.db",
    "SLAWATCH_RULES": "rules.yaml",
    "SLAWATCH_TICK_SECONDS": "30",
    "SLAWATCH_MAX_BODY_BYTES": str(1024 * 1024),
    "SLAWATCH_SCHEDULER_EXPECTED": "true",
    "JIRA_WEBHOOK_SECRET": None,
    "JIRA_URL": None,
    "SLACK_BOT_TOKEN": None,
    "SLACK_SIGNING_SECRET": None,
    "SLACK_API_URL": "https://slack.com/api/",
    "JIRA_USER": None,  # with JIRA_API_TOKEN: basic auth (Cloud); without: token = Data Center PAT
    "JIRA_API_TOKEN": None,
    "SLAWATCH_RECONCILE_SECONDS": "3600",
    "SLAWATCH_RECONCILE_MARGIN_SECONDS": "3600",
    "SLAWATCH_RECONCILE_JQL": None,
    "SLAWATCH_DASHBOARD_PASSWORD": None,
    "SLAWATCH_SECRET_KEY": None,  # signs the sign-in session cookie (needed with SLACK_CLIENT_ID)
    "SLACK_CLIENT_ID": None,  # Sign in with Slack (OpenID Connect): the Slack app's client id ...
    "SLACK_CLIENT_SECRET": None,  # ... and secret
    "SLACK_TEAM_ID": None,  # only members of this workspace may sign in
    "SLAWATCH_PUBLIC_URL": None,  # e.g. https://slawatch.example.com: the sign-in callback's base
    "SLAWATCH_OIDC_METADATA_URL": None,  # default: Slack's OpenID discovery document
    "SLAWATCH_SESSION_HOURS": "12",
    "SLAWATCH_METRICS_TOKEN": None,  # a bearer token good for /metrics only
    "SLAWATCH_FIGURES_SECONDS": "60",  # how often the worker counts the dashboard's figures
    "PROMETHEUS_MULTIPROC_DIR": None,  # prometheus_client's own: counters summed over gunicorn workers
}


class ConfigError(ValueError):
    pass


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _number(settings: dict[str, Any], name: str, kind: Callable[[str], Any]) -> None:
    try:
        value = kind(settings[name])
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a positive number, not {settings[name]!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be a positive number, not {settings[name]!r}")
    settings[name] = value


def load_settings(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Environment variables over defaults, `overrides` over both; values checked and typed.

    `SLAWATCH_CLOCK` (a callable returning an aware UTC now) can only be passed in `overrides`.
    """
    settings: dict[str, Any] = {name: os.environ.get(name, default) for name, default in DEFAULTS.items()}
    settings["SLAWATCH_CLOCK"] = utc_now
    settings.update(overrides or {})
    _number(settings, "SLAWATCH_TICK_SECONDS", float)
    _number(settings, "SLAWATCH_MAX_BODY_BYTES", int)
    _number(settings, "SLAWATCH_RECONCILE_SECONDS", float)
    _number(settings, "SLAWATCH_RECONCILE_MARGIN_SECONDS", float)
    _number(settings, "SLAWATCH_FIGURES_SECONDS", float)
    _number(settings, "SLAWATCH_SESSION_HOURS", float)
    try:  # postgres:// and postgresql:// mean postgresql+psycopg://; other databases are refused
        settings["SLAWATCH_DATABASE_URL"] = store.readiness.database_url(settings["SLAWATCH_DATABASE_URL"])
    except store.readiness.NotReady as exc:
        raise ConfigError(str(exc)) from None
    expected = settings["SLAWATCH_SCHEDULER_EXPECTED"]
    if isinstance(expected, str):
        expected = expected.strip().lower() not in ("0", "false", "no", "off", "")
    settings["SLAWATCH_SCHEDULER_EXPECTED"] = bool(expected)
    for name in ("JIRA_WEBHOOK_SECRET", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "JIRA_URL",
                 "SLAWATCH_DASHBOARD_PASSWORD", *SIGN_IN_SETTINGS):
        settings[name] = settings[name] or None  # an empty variable means unset
    _check_sign_in(settings)
    return settings


SIGN_IN_SETTINGS = ("SLAWATCH_SECRET_KEY", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_TEAM_ID",
                    "SLAWATCH_PUBLIC_URL", "SLAWATCH_OIDC_METADATA_URL", "SLAWATCH_METRICS_TOKEN")


def _check_sign_in(settings: dict[str, Any]) -> None:
    if not settings["SLACK_CLIENT_ID"]:
        return
    if not settings["SLACK_CLIENT_SECRET"]:
        raise ConfigError("SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is not (Sign in with Slack needs both)")
    if len(settings["SLAWATCH_SECRET_KEY"] or "") < 32:
        raise ConfigError("Sign in with Slack needs SLAWATCH_SECRET_KEY, 32 characters or more, to sign the "
                          "session cookie (e.g. python -c 'import secrets; print(secrets.token_hex(32))')")
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def gunicorn_hosts(argv: list[str], environ: Mapping[str, str]) -> list[str] | None:
    """The hosts gunicorn binds, from its command line and GUNICORN_CMD_ARGS (its default
    127.0.0.1 when neither names one); None outside gunicorn."""
    import argparse
    import shlex

    if not environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/"):
        return None
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-b", "--bind", action="append", default=[])
    binds = parser.parse_known_args(shlex.split(environ.get("GUNICORN_CMD_ARGS", "")) + argv[1:])[0].bind
    return [bind.rpartition(":")[0] or bind for bind in binds if not bind.startswith(("unix:", "fd://"))] \
        or ["127.0.0.1"]


def check_unsigned(settings: Mapping[str, Any], hosts: list[str], warn: bool = True) -> None:
    """Without JIRA_WEBHOOK_SECRET anyone who reaches /webhooks/jira is believed: a warning, and
    a ConfigError when listening beyond loopback, unless SLAWATCH_ALLOW_UNSIGNED=1."""
    if settings["JIRA_WEBHOOK_SECRET"]:
        return
    exposed = [host for host in hosts if host not in LOOPBACK]
    if exposed and os.environ.get("SLAWATCH_ALLOW_UNSIGNED", "").strip() != "1":
        raise ConfigError(f"JIRA_WEBHOOK_SECRET is not set and the service listens on {exposed[0]}: "
                          "anyone who can reach it could post Jira webhooks. Set the secret (and the "
                          "same secret in Jira's webhook), or SLAWATCH_ALLOW_UNSIGNED=1 to accept that")
    if warn:
        log.warning("JIRA_WEBHOOK_SECRET is not set: Jira webhooks are accepted unsigned, from anyone "
                    "who can reach this service (/healthz says jira_signature: off)")


def configure_logging(level: str = "INFO") -> None:
    """Log lines to stderr; secrets and webhook bodies are never logged."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("apscheduler", "alembic.runtime.plugins"):  # a line per tick / per plugin
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))
    debugging = logging.getLogger().level <= logging.DEBUG  # the migration log only with DEBUG
    logging.getLogger("alembic").setLevel(logging.DEBUG if debugging else logging.WARNING)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The Slawatch web app. Raises RulesError if the rules file is not valid (and no good
    version is stored), ConfigError if it would take unsigned webhooks beyond loopback."""
    if not logging.getLogger().handlers:  # under gunicorn or `flask run`: nobody configured it
        configure_logging()
    settings = load_settings(config)
    check_unsigned(settings, gunicorn_hosts(sys.argv, os.environ) or [])
    app = Flask(__name__)
    app.config.update(settings)
    app.json.sort_keys = False
    store.db.init_app(app)
    store.rulebook.init_app(app)
    app.extensions["slawatch.started_at"] = settings["SLAWATCH_CLOCK"]()
    web.init_app(app)
    web_i18n.init_app(app)  # the language of pages (docs/i18n.md)
    app.extensions["slawatch.slack_sender"] = make_sender(settings["SLACK_BOT_TOKEN"], settings["SLACK_API_URL"])
    scheduler.init_app(app)
    book, database = store.rulebook.get_rulebook(app), store.db.get_database(app)
    book.publish(database, app.extensions["slawatch.started_at"])
    log.info("app ready: database %s, rules %s (version %s)",
             database.display_url(), book.path, book.rules.version[:12])
    return app

