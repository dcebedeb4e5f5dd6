"""Slawatch's composition root: `create_app(config=None)` and the `slawatch` command line.

Configuration comes from environment variables (see `DEFAULTS`); a `config` dict passed to
`create_app` overrides them (tests do that). Nothing here runs at import time.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, NoReturn

import click
from flask import Flask
from sqlalchemy import make_url

import scheduler
import store.db
import store.rulebook
import web
from processors.events import parse_instant
from processors.rules import RulesError

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
    expected = settings["SLAWATCH_SCHEDULER_EXPECTED"]
    if isinstance(expected, str):
        expected = expected.strip().lower() not in ("0", "false", "no", "off", "")
    settings["SLAWATCH_SCHEDULER_EXPECTED"] = bool(expected)
    for name in ("JIRA_WEBHOOK_SECRET", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "JIRA_URL"):
        settings[name] = settings[name] or None  # an empty variable means unset
    return settings


def configure_logging(level: str = "INFO") -> None:
    """Log lines to stderr; secrets and webhook bodies are never logged."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("apscheduler", "alembic.runtime.plugins"):  # a line per tick / per plugin
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The Slawatch web app. Raises RulesError if the rules file is not valid."""
    if not logging.getLogger().handlers:  # under gunicorn or `flask run`: nobody configured it
        configure_logging()
    settings = load_settings(config)
    app = Flask(__name__)
    app.config.update(settings)
    app.json.sort_keys = False
    store.db.init_app(app)
    store.rulebook.init_app(app)
    app.extensions["slawatch.started_at"] = settings["SLAWATCH_CLOCK"]()
    web.init_app(app)
    scheduler.init_app(app)
    book, database = store.rulebook.get_rulebook(app), store.db.get_database(app)
    book.publish(database, app.extensions["slawatch.started_at"])
    log.info("app ready: database %s, rules %s (version %s)",
             database.display_url(), book.path, book.rules.version[:12])
    return app


# ---------------------------------------------------------------- command line


def _fail(lines: str) -> NoReturn:
    click.echo(lines, err=True)
    sys.exit(1)


def _settings() -> dict[str, Any]:
    try:
        return load_settings()
    except ConfigError as exc:
        _fail(f"configuration: {exc}")


def _start(settings: dict[str, Any]) -> Flask:
    """Migrate an embedded SQLite database, then build the app (exit 1 on invalid rules)."""
    url = settings["SLAWATCH_DATABASE_URL"]
    if make_url(url).get_backend_name() == "sqlite":
        store.db.upgrade(url)
    try:
        return create_app(settings)
    except RulesError as exc:
        _fail(str(exc))


def _on_signal(signum: int, handler: Callable[[], None]) -> None:
    signal.signal(signum, lambda _signum, _frame: handler())


def _interrupt() -> None:
    raise KeyboardInterrupt


@click.group()
@click.option("--log-level", default="INFO", show_default=True, help="DEBUG, INFO, WARNING or ERROR")
def cli(log_level: str) -> None:
    """Slawatch: SLA clocks for Jira tickets, alerts and reports in Slack."""
    configure_logging(log_level)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the web app and the scheduler in one process (the embedded default)."""
    from werkzeug.serving import make_server

    app = _start(_settings())
    ticker = scheduler.get_ticker(app)
    server = make_server(host, port, app, threaded=True)
    _on_signal(signal.SIGHUP, ticker.request_reload)
    _on_signal(signal.SIGTERM, _interrupt)
    ticker.start()
    log.info("listening on http://%s:%d", host, server.server_port)
    try:
        server.serve_forever()  # returns on SIGTERM or Ctrl-C
    finally:
        log.info("stopping")
        server.server_close()
        ticker.stop()


@cli.command()
def worker() -> None:
    """Run the scheduler only (production: the web app runs under gunicorn)."""
    app = _start(_settings())
    ticker = scheduler.get_ticker(app)
    stop = threading.Event()
    _on_signal(signal.SIGHUP, ticker.request_reload)
    _on_signal(signal.SIGTERM, stop.set)
    _on_signal(signal.SIGINT, stop.set)
    ticker.start()
    while not stop.wait(1.0):
        pass
    log.info("stopping")
    ticker.stop()


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (SLAWATCH_DATABASE_URL)."""
    url = _settings()["SLAWATCH_DATABASE_URL"]
    store.db.upgrade(url)
    click.echo(f"database {make_url(url).render_as_string(hide_password=True)} is up to date")


@cli.group()
def rules() -> None:
    """The rules file."""


@rules.command("check")
@click.argument("path", required=False)
def rules_check(path: str | None) -> None:
    """Validate a rules file (default SLAWATCH_RULES) and summarise it."""
    from processors.rules import summary

    path = path or os.environ.get("SLAWATCH_RULES") or DEFAULTS["SLAWATCH_RULES"]
    try:
        loaded = store.rulebook.read_rules(path)
    except RulesError as exc:
        _fail(str(exc))
    click.echo(summary(loaded))


def _parse_at(_ctx, _param, value: str | None) -> datetime:
    if value is None:
        return utc_now()
    try:
        return parse_instant(value)
    except ValueError:
        raise click.BadParameter("use ISO 8601 with Z or an offset, e.g. 2024-05-01T12:00:00Z")


@cli.command()
@click.option("--rules", "rules_path", required=True, help="the rules file to apply")
@click.option("--events", "events_path", required=True, help="a JSON-lines file of events")
@click.option("--at", callback=_parse_at, help="evaluate at this instant (default: now)")
def replay(rules_path: str, events_path: str, at: datetime) -> None:
    """Evaluate the tickets of an events file under a rules file, print them as JSON."""
    from connectors.replay import ReplayError, replay_file

    try:
        loaded = store.rulebook.read_rules(rules_path)
    except RulesError as exc:
        _fail(str(exc))
    try:
        result = replay_file(loaded, events_path, at)
    except ReplayError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{events_path}: cannot read: {exc.strerror}")
    except UnicodeDecodeError:
        _fail(f"{events_path}: not UTF-8 text")
    click.echo(json.dumps(result, indent=2))


def main() -> None:
    cli(prog_name="slawatch")


if __name__ == "__main__":
    main()
