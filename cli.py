"""The `slawatch` command line. It builds the app through app.py, the composition root."""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from datetime import datetime, timezone
from typing import Any, Callable, NoReturn

import click
from flask import Flask
from sqlalchemy import make_url

import scheduler
import store.db
import store.rulebook
from app import DEFAULTS, ConfigError, check_unsigned, configure_logging, create_app, load_settings, utc_now
from processors.events import parse_instant
from processors.rules import RulesError

log = logging.getLogger("slawatch")

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
@click.option("--demo", is_flag=True, help="fill an empty store with the demo history first (see `slawatch demo`)")
def serve(host: str, port: int, demo: bool) -> None:
    """Run the web app and the scheduler in one process (the embedded default)."""
    from werkzeug.serving import make_server

    settings = _settings()
    try:
        check_unsigned(settings, [host], warn=False)  # create_app warns
    except ConfigError as exc:
        _fail(f"configuration: {exc}")
    if demo:
        settings = _demo_settings(settings)
        _fill_demo(settings)
    app = _start(settings)
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


DEMO_DATABASE_URL = "sqlite:///slawatch-demo.db"


def _demo_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The demo's own database and rules, unless SLAWATCH_DATABASE_URL / SLAWATCH_RULES are set."""
    from web.demo import RULES_PATH

    settings = dict(settings)
    if not os.environ.get("SLAWATCH_DATABASE_URL"):
        settings["SLAWATCH_DATABASE_URL"] = DEMO_DATABASE_URL
    if not os.environ.get("SLAWATCH_RULES"):
        settings["SLAWATCH_RULES"] = str(RULES_PATH)
    return settings


def _fill_demo(settings: dict[str, Any], tickets: int = 1000, seed: int = 7) -> None:
    from web.demo import fill, store_is_empty

    url = settings["SLAWATCH_DATABASE_URL"]
    store.db.upgrade(url)
    try:
        loaded = store.rulebook.read_rules(settings["SLAWATCH_RULES"])
    except RulesError as exc:
        _fail(str(exc))
    database = store.db.Database(url)
    try:
        if not store_is_empty(database):
            click.echo(f"{database.display_url()} already holds tickets; the demo history was not added", err=True)
            return
        counts = fill(database, loaded, settings["SLAWATCH_CLOCK"]().replace(microsecond=0), tickets, seed=seed)
    finally:
        database.dispose()
    click.echo(f"demo history in {make_url(url).render_as_string(hide_password=True)} (rules "
               f"{settings['SLAWATCH_RULES']}): " + ", ".join(f"{v} {k}" for k, v in counts.items()), err=True)


@cli.command()
@click.option("--tickets", default=1000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=7, show_default=True, type=int)
def demo(tickets: int, seed: int) -> None:
    """Fill an empty store with a generated 12-week history of three vendors (Jira webhooks
    through the real ingestion path). Uses slawatch-demo.db and the demo rules unless
    SLAWATCH_DATABASE_URL / SLAWATCH_RULES are set."""
    _fill_demo(_demo_settings(_settings()), tickets, seed)


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


def _created_before(value: str) -> datetime:
    """`rules apply --from`: a date YYYY-MM-DD (midnight UTC) or an ISO 8601 instant with Z or an
    offset; exits 1 on anything else."""
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        pass
    try:
        return parse_instant(value)
    except ValueError:
        _fail(f"rules apply: bad --from {value!r}: use a date, YYYY-MM-DD (midnight UTC), or an "
              f"instant with Z or an offset, like 2026-03-01T09:00:00+01:00")


def _rules_database(settings: dict[str, Any]) -> store.db.Database:
    """The database of SLAWATCH_DATABASE_URL; an embedded SQLite file is migrated first."""
    from sqlalchemy.exc import SQLAlchemyError

    url = settings["SLAWATCH_DATABASE_URL"]
    try:
        if make_url(url).get_backend_name() == "sqlite":
            store.db.upgrade(url)
    except (SQLAlchemyError, OSError) as exc:
        _fail(f"cannot open the database {make_url(url).render_as_string(hide_password=True)}: {exc}")
    return store.db.Database(url)


@rules.command("apply")
@click.argument("new_path", metavar="NEW.yaml")
@click.option("--from", "start", required=True, metavar="DATE",
              help="tickets created from then on are judged by NEW.yaml: YYYY-MM-DD (midnight UTC) "
                   "or an instant like 2026-03-01T09:00:00+01:00")
@click.option("--rules", "rules_path", help="the rules file to replace (default SLAWATCH_RULES)")
def rules_apply(new_path: str, start: str, rules_path: str | None) -> None:
    """Put NEW.yaml in force for the tickets created from DATE on; older tickets keep being judged
    by the version in force now. Replaces the rules file; running services reload it."""
    from processors.report_render import instant_text
    from store.rule_pins import ApplyError, apply_rules

    created_before = _created_before(start)
    try:
        new = store.rulebook.read_rules(new_path)
    except RulesError as exc:
        _fail(str(exc))
    settings = _settings()
    path = rules_path or settings["SLAWATCH_RULES"]
    database = _rules_database(settings)
    try:
        applied = apply_rules(database, path, new, created_before, settings["SLAWATCH_CLOCK"]())
    except ApplyError as exc:
        _fail(f"rules apply: {exc}")
    finally:
        database.dispose()
    if not applied.changed:
        click.echo(f"{new_path} is the version in force in {path} already ({new.version[:12]}); nothing changed")
        return
    when = instant_text(created_before)
    click.echo(f"{path}: version {new.version[:12]} judges the tickets created from {when}; those created "
               f"before keep version {applied.pinned[:12]}. Running services reload the file by themselves "
               f"(at once on SIGHUP).")


@rules.command("pins")
@click.option("--rules", "rules_path", help="the rules file in force (default SLAWATCH_RULES)")
def rules_pins(rules_path: str | None) -> None:
    """Show which rules version judges the tickets created when (`rules apply`). Read-only."""
    from sqlalchemy.exc import SQLAlchemyError

    from processors.report_render import instant_text, span_text
    from processors.rule_schedule import RuleSpan
    from store.rule_pins import load_pins
    from store.rulebook import content_version

    settings = _settings()
    path = rules_path or settings["SLAWATCH_RULES"]
    database = store.db.Database(settings["SLAWATCH_DATABASE_URL"])
    try:
        with database.reading() as session:
            pins = load_pins(session)
    except SQLAlchemyError as exc:
        _fail(f"cannot read the pins from {database.display_url()}: {exc.orig or exc}")
    finally:
        database.dispose()
    current = content_version(path)
    start = None
    for pin in pins:
        click.echo(f"{span_text(RuleSpan(pin.version, start, pin.created_before))}: {pin.version[:12]} "
                   f"(pinned {instant_text(pin.applied_at)}, when {pin.replaced_by[:12]} was applied)")
        start = pin.created_before
    now = f"{current[:12]} (in {path} now)" if current else f"the rules in {path} (cannot read it)"
    click.echo(f"{span_text(RuleSpan('', start, None))}: {now}")


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


@cli.group()
def report() -> None:
    """Weekly summaries and quarterly provider scorecards from the stored history."""


def _report_options(command: Callable) -> Callable:
    options = [
        click.option("--end", type=click.DateTime(["%Y-%m-%d"]),
                     help="a day in the period (default: the last complete one), in the "
                          "reports.weekly.timezone of the rules"),
        click.option("--vendor", help="one vendor id of the rules"),
        click.option("--format", "fmt", type=click.Choice(["text", "csv", "html"]), default="text",
                     show_default=True),
        click.option("--out", type=click.Path(dir_okay=False, writable=True), help="write to this file"),
        click.option("--post", is_flag=True, help="put it in the outbox for Slack instead of printing"),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@report.command("weekly")
@_report_options
def report_weekly(**options: Any) -> None:
    """The weekly SLA summary, per vendor and overall."""
    _report("weekly", **options)


@report.command("quarterly")
@_report_options
def report_quarterly(**options: Any) -> None:
    """The quarterly provider scorecards (the formal quarterly evaluation)."""
    _report("quarterly", **options)


def _report(kind: str, end: datetime | None, vendor: str | None, fmt: str, out: str | None,
            post: bool) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from processors.periods import report_period
    from store.history import build_report

    settings = _settings()
    try:
        loaded = store.rulebook.read_rules(settings["SLAWATCH_RULES"])
    except RulesError as exc:
        _fail(str(exc))
    if vendor is not None and vendor not in {v.id for v in loaded.vendors}:
        known = ", ".join(v.id for v in loaded.vendors) or "none"
        _fail(f"unknown vendor '{vendor}'; the rules have: {known}")
    now = settings["SLAWATCH_CLOCK"]()
    period = report_period(kind, now, loaded.reports.weekly.timezone, end.date() if end else None)
    database = store.db.Database(settings["SLAWATCH_DATABASE_URL"])
    try:
        if post:
            return _post_report(database, loaded, kind, period, now, settings["JIRA_URL"], vendor)
        with database.reading() as session:
            built = build_report(session, loaded, kind, period, now, settings["JIRA_URL"], vendor)
    except SQLAlchemyError as exc:
        _fail(f"cannot read the history from {database.display_url()}: {exc.orig or exc}")
    finally:
        database.dispose()
    _write(_render_report(kind, built, fmt), out)


def _render_report(kind: str, built: Any, fmt: str) -> str:
    from processors import report_render as render

    if fmt == "html":
        from processors import charts

        if kind == "weekly":
            return render.weekly_html(built, charts.weekly_chart(built))
        return render.quarterly_html(built, charts.scorecard_charts(built))
    return getattr(render, f"{kind}_{fmt}")(built)


def _post_report(database: store.db.Database, loaded: Any, kind: str, period: Any, now: datetime,
                 jira_url: str | None, vendor: str | None) -> None:
    from scheduler.reports_job import post_report

    queued = post_report(database, loaded, kind, period, now, jira_url, vendor)
    if not queued:
        _fail(f"posting needs reports.{kind}.channel in {loaded.path}")
    for channel, new in queued:
        click.echo(f"{kind} report {period.label} {'queued for' if new else 'was already queued for'} {channel}")


def _write(rendered: str, out: str | None) -> None:
    if out is None:
        click.echo(rendered, nl=not rendered.endswith("\n"))
        return
    with open(out, "w", encoding="utf-8", newline="") as handle:
        handle.write(rendered)
    click.echo(f"wrote {out}", err=True)


# ---------------------------------------------------------------- history: backfill, backtest


def _jira_client(settings: dict[str, Any], retries: int):
    from connectors.jira_backfill import connect

    return connect(settings["JIRA_URL"], settings.get("JIRA_USER") or None,
                   settings.get("JIRA_API_TOKEN") or None, max_retries=retries)


def _progress(done: int, total: int | None) -> None:
    click.echo(f"\r{done}/{total if total is not None else '?'} issues", err=True, nl=False)


@cli.command()
@click.option("--jql", required=True, help='which issues, e.g. "project = OPS AND created >= -90d"')
@click.option("--restart", is_flag=True, help="ignore a stored cursor and start at the first issue")
@click.option("--retries", default=3, show_default=True, type=click.IntRange(0, 10),
              help="retries of a rate-limited (429) request")
def backfill(jql: str, restart: bool, retries: int) -> None:
    """Read issues with their changelog and comments from Jira (JIRA_URL, JIRA_USER,
    JIRA_API_TOKEN) and store the events the webhooks would have sent. Resumable."""
    from connectors.jira_backfill import BackfillError, backfill as run_backfill

    settings = _settings()
    app = _start(settings)
    database, book = store.db.get_database(app), store.rulebook.get_rulebook(app)
    try:
        client = _jira_client(settings, retries)
        result = run_backfill(database, client, jql, book.schedule, settings["SLAWATCH_CLOCK"],
                              progress=_progress, resume=not restart)
    except BackfillError as exc:
        click.echo("", err=True)
        _fail(f"backfill: {exc}")
    finally:
        database.dispose()
    resumed = f" (resumed at issue {result.resumed_at})" if result.resumed_at else ""
    click.echo("", err=True)
    click.echo(f"backfill: {result.issues} issues read{resumed}, {result.new_events} new events stored")


def _day(_ctx, _param, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise click.BadParameter("use a date, YYYY-MM-DD (UTC)") from None


@cli.command()
@click.option("--rules", "rules_path", required=True, help="the proposed rules file")
@click.option("--from", "start", callback=_day, help="first day counted (default: a year before --to)")
@click.option("--to", "end", callback=_day, help="day after the last one counted (default: tomorrow)")
@click.option("--vendor", help="only this vendor id")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="processes evaluating tickets (pays off with more than 2 idle CPUs)")
def backtest(rules_path: str, start: datetime | None, end: datetime | None, vendor: str | None,
             workers: int) -> None:
    """Judge the stored history by NEW rules and by the rules in force (SLAWATCH_RULES), side by
    side: attainment per metric and vendor, breaches gained and lost, tickets that change.
    Tickets pinned by `rules apply` are judged by their pinned version on both sides, as they
    would be after a deploy. Nothing is written."""
    from datetime import timedelta

    from processors.backtest import render
    from processors.periods import Period
    from store.backtest import run_backtest
    from store.history import vendor_names
    from store.rule_pins import load_schedule

    settings = _settings()
    try:
        current = store.rulebook.read_rules(settings["SLAWATCH_RULES"])
        proposed = store.rulebook.read_rules(rules_path)
    except RulesError as exc:
        _fail(str(exc))
    now = settings["SLAWATCH_CLOCK"]()
    end = end or datetime.combine(now.date(), datetime.min.time(), timezone.utc) + timedelta(days=1)
    start = start or end - timedelta(days=365)
    if start >= end:
        _fail("backtest: --from must be before --to")
    if vendor is not None and vendor not in vendor_names(current) | vendor_names(proposed):
        _fail(f"backtest: no vendor {vendor!r} in either rules file")
    database = store.db.Database(settings["SLAWATCH_DATABASE_URL"])
    try:
        window = Period("month", f"{start:%Y-%m-%d}..{end:%Y-%m-%d}", start, end, "UTC")
        with database.reading() as session:  # tickets pinned by `rules apply` stay pinned on both sides
            schedule = load_schedule(session, current)
        comparison = run_backtest(database, schedule, schedule.with_current(proposed), window, now,
                                  vendor, workers)
    finally:
        database.dispose()
    click.echo(render(comparison, vendor_names(current) | vendor_names(proposed), settings["JIRA_URL"]))


@cli.group()
def quarantine() -> None:
    """Tickets whose recompute failed repeatedly and is no longer tried (store/quarantine.py)."""


@quarantine.command("list")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
def quarantine_list(limit: int) -> None:
    """The quarantined tickets, the most recent first: key, failures, since, last error."""
    from processors.events import format_instant
    from store.quarantine import list_quarantined

    database = store.db.Database(_settings()["SLAWATCH_DATABASE_URL"])
    try:
        with database.reading() as session:
            rows = list_quarantined(session, limit)
    finally:
        database.dispose()
    for row in rows:
        click.echo(f"{row.ticket}\t{row.failures}\t{format_instant(row.quarantined_at)}\t{row.last_error or ''}")
    click.echo(f"{len(rows)} quarantined ticket{'s' if len(rows) != 1 else ''}", err=True)


@quarantine.command("retry")
@click.argument("keys", nargs=-1)
def quarantine_retry(keys: tuple[str, ...]) -> None:
    """Recompute these quarantined tickets again (all of them without KEYS)."""
    from store.quarantine import retry

    settings = _settings()
    database = store.db.Database(settings["SLAWATCH_DATABASE_URL"])
    try:
        count = database.write(lambda session: retry(session, settings["SLAWATCH_CLOCK"](), keys))
    finally:
        database.dispose()
    click.echo(f"{count} ticket{'s' if count != 1 else ''} back in line for a recompute")


def main() -> None:
    cli(prog_name="slawatch")


if __name__ == "__main__":
    main()
