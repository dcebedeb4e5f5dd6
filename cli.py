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
import store.readiness
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
        settings = load_settings()
        store.readiness.check_folder(settings["SLAWATCH_DATABASE_URL"])
    except (ConfigError, store.readiness.NotReady) as exc:
        _fail(f"configuration: {exc}")
    return settings


def _read_rules(path: str, setting: str | None = "SLAWATCH_RULES"):
    """The rules at `path`; exit 1 with the problems (and the setting that names a missing file)."""
    try:
        return store.rulebook.read_rules(path)
    except RulesError as exc:
        hint = f" (set {setting} to your rules file)" if setting and not os.path.exists(path) else ""
        _fail(f"{exc}{hint}")


def _ready(url: str, migrate: bool) -> None:
    """Exit 1 with one line unless the database answers and is migrated; `migrate`: apply the
    migrations first (the embedded SQLite file)."""
    try:
        if migrate:
            store.readiness.upgrade(url)
        store.readiness.check_database(url)
    except store.readiness.NotReady as exc:
        _fail(str(exc))


def _start(settings: dict[str, Any]) -> Flask:
    """Check the rules, migrate an embedded SQLite database, check the database, then build the
    app. Exits 1 with one line on invalid rules or a database that is not ready."""
    url, path = settings["SLAWATCH_DATABASE_URL"], settings["SLAWATCH_RULES"]
    sqlite = make_url(url).get_backend_name() == "sqlite"
    if sqlite and not os.path.exists(make_url(url).database or ""):
        _read_rules(path)  # a first start: no stored rules to fall back on, and no empty file left behind
    _ready(url, migrate=sqlite)
    try:  # a broken file after a good one: create_app runs on the last good version kept in the store
        return create_app(settings)
    except RulesError as exc:
        _read_rules(path)  # the file's own problems, with the hint for a missing one
        _fail(str(exc))


def _database(settings: dict[str, Any]) -> store.db.Database:
    """The database of SLAWATCH_DATABASE_URL, checked (answers, migrated) first."""
    _ready(settings["SLAWATCH_DATABASE_URL"], migrate=False)
    return store.db.Database(settings["SLAWATCH_DATABASE_URL"])


def _on_signal(signum: int, handler: Callable[[], None]) -> None:
    signal.signal(signum, lambda _signum, _frame: handler())


def _interrupt() -> None:
    raise KeyboardInterrupt


@click.group()
@click.version_option(package_name="slawatch", prog_name="slawatch")
@click.option("--log-level", default="INFO", show_default=True, help="DEBUG, INFO, WARNING or ERROR")
def cli(log_level: str) -> None:
    """Slawatch: SLA clocks for Jira tickets, alerts and reports in Slack."""
    configure_logging(log_level)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="0: any free port")
@click.option("--demo", is_flag=True, help="fill an empty store with the demo history first (see `slawatch demo`)")
@click.option("--seed", type=int, help="with --demo: the demo history's seed (default 7)")
@click.option("--locale", type=click.Choice(["en", "zh_CN"]),
              help="with --demo: the demo of this language (zh_CN: a Chinese cast and `locale: zh_CN`)")
def serve(host: str, port: int, demo: bool, seed: int | None, locale: str | None) -> None:
    """Run the web app and the scheduler in one process (the embedded default)."""
    from werkzeug.serving import make_server

    if seed is not None and not demo:
        raise click.UsageError("--seed needs --demo")
    if locale is not None and not demo:
        raise click.UsageError("--locale needs --demo (the rules' `locale:` sets the language otherwise)")
    settings = _settings()
    try:
        check_unsigned(settings, [host], warn=False)  # create_app warns
    except ConfigError as exc:
        _fail(f"configuration: {exc}")
    if demo:
        settings = _demo_settings(settings, locale or "en")
        _fill_demo(settings, seed=7 if seed is None else seed, locale=locale or "en")
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
DEMO_DATABASE_URLS = {"en": DEMO_DATABASE_URL, "zh_CN": "sqlite:///slawatch-demo-zh_CN.db"}


def _demo_settings(settings: dict[str, Any], locale: str = "en") -> dict[str, Any]:
    """The demo's own database and rules (of `locale`), unless SLAWATCH_DATABASE_URL /
    SLAWATCH_RULES are set."""
    from web.demo import rules_path

    settings = dict(settings)
    if not os.environ.get("SLAWATCH_DATABASE_URL"):
        settings["SLAWATCH_DATABASE_URL"] = DEMO_DATABASE_URLS[locale]
    if not os.environ.get("SLAWATCH_RULES"):
        settings["SLAWATCH_RULES"] = str(rules_path(locale))
    return settings


def _fill_demo(settings: dict[str, Any], tickets: int = 1000, seed: int = 7, locale: str = "en") -> None:
    from web.demo import fill, store_is_empty

    url = settings["SLAWATCH_DATABASE_URL"]
    loaded = _read_rules(settings["SLAWATCH_RULES"])
    _ready(url, migrate=True)
    database = store.db.Database(url)
    try:
        if not store_is_empty(database):
            click.echo(f"{database.display_url()} already holds tickets; the demo history was not added", err=True)
            return
        counts = fill(database, loaded, settings["SLAWATCH_CLOCK"]().replace(microsecond=0), tickets, seed=seed,
                      locale=locale)
    finally:
        database.dispose()
    click.echo(f"demo history in {make_url(url).render_as_string(hide_password=True)} (rules "
               f"{settings['SLAWATCH_RULES']}): " + ", ".join(f"{v} {k}" for k, v in counts.items()), err=True)


@cli.command()
@click.option("--tickets", default=1000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--locale", default="en", show_default=True, type=click.Choice(["en", "zh_CN"]),
              help="zh_CN: a Chinese cast (summaries, people, vendors) and rules with `locale: zh_CN`")
def demo(tickets: int, seed: int, locale: str) -> None:
    """Fill an empty store with a generated 12-week history of three vendors (Jira webhooks
    through the real ingestion path). Uses slawatch-demo.db (slawatch-demo-zh_CN.db with
    --locale zh_CN) and the demo rules of the locale unless SLAWATCH_DATABASE_URL /
    SLAWATCH_RULES are set."""
    _fill_demo(_demo_settings(_settings(), locale), tickets, seed, locale)


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (SLAWATCH_DATABASE_URL)."""
    url = _settings()["SLAWATCH_DATABASE_URL"]
    try:
        before, after = store.readiness.upgrade(url)
    except store.readiness.NotReady as exc:
        _fail(str(exc))
    shown = make_url(url).render_as_string(hide_password=True)
    if before == after:
        click.echo(f"database {shown} is up to date (migration {after})")
    else:
        click.echo(f"database {shown} migrated from {before or 'empty'} to {after}")


@cli.group()
def rules() -> None:
    """The rules file."""


@rules.command("check")
@click.argument("path", required=False)
def rules_check(path: str | None) -> None:
    """Validate a rules file (default SLAWATCH_RULES) and summarise it."""
    from processors.rules import summary

    given = path
    path = path or os.environ.get("SLAWATCH_RULES") or DEFAULTS["SLAWATCH_RULES"]
    click.echo(summary(_read_rules(path, None if given else "SLAWATCH_RULES")))


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
    url = settings["SLAWATCH_DATABASE_URL"]
    try:
        _ready(url, migrate=make_url(url).get_backend_name() == "sqlite")
    except OSError as exc:
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
    database = _database(settings)
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
@click.option("--strict", is_flag=True, help="stop at the first bad line (default: report it and go on)")
def replay(rules_path: str, events_path: str, at: datetime, strict: bool) -> None:
    """Evaluate the tickets of an events file under a rules file, print them as JSON. A line that
    is not a Jira webhook body is reported on stderr as FILE:LINE: reason and skipped (exit 1)."""
    from connectors.replay import ReplayError, replay_file

    try:
        loaded = store.rulebook.read_rules(rules_path)
    except RulesError as exc:
        _fail(str(exc))
    problems: list[str] = []
    try:
        result = replay_file(loaded, events_path, at, strict, problems)
    except ReplayError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{events_path}: cannot read: {exc.strerror}")
    except UnicodeDecodeError:
        _fail(f"{events_path}: not UTF-8 text")
    click.echo(json.dumps(result, indent=2))
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        click.echo(f"{events_path}: {len(problems)} bad line{'s' if len(problems) != 1 else ''} skipped", err=True)
        sys.exit(1)


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
        click.option("--locale", help="the report's language, en or zh_CN (default: the vendor's "
                                      "vendors.<id>.locale, else the rules' locale:)"),
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
            post: bool, locale: str | None) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from processors.i18n import check_locale
    from processors.periods import report_period
    from store.history import build_report

    settings = _settings()
    loaded = _read_rules(settings["SLAWATCH_RULES"])
    if vendor is not None and vendor not in {v.id for v in loaded.vendors}:
        known = ", ".join(v.id for v in loaded.vendors) or "none"
        _fail(f"unknown vendor '{vendor}'; the rules have: {known}")
    if locale is not None:
        try:
            locale = check_locale(locale)
        except ValueError as exc:
            _fail(f"--locale: {exc}")
    now = settings["SLAWATCH_CLOCK"]()
    period = report_period(kind, now, loaded.reports.weekly.timezone, end.date() if end else None)
    database = _database(settings)
    try:
        if post:
            return _post_report(database, loaded, kind, period, now, settings["JIRA_URL"], vendor, locale)
        with database.reading() as session:
            built = build_report(session, loaded, kind, period, now, settings["JIRA_URL"], vendor)
        locale = locale or loaded.locale_for(vendor)
        with database.reading() as session:
            note = _late_note(session, period, vendor, locale)
    except SQLAlchemyError as exc:
        _fail(f"cannot read the history from {database.display_url()}: {exc.orig or exc}")
    finally:
        database.dispose()
    rendered = _render_report(kind, built, fmt, locale)
    if note and fmt == "text":
        rendered = rendered.rstrip("\n") + "\n\n" + note + "\n"
    elif note:
        click.echo(note, err=True)
    _write(rendered, out)


def _late_note(session: Any, period: Any, vendor: str | None, locale: str) -> str | None:
    """For a frozen period: when it froze and how many late changes wait for a repair."""
    from processors.i18n import translator
    from store.freeze import frozen_period, late_change_counts

    t = translator(locale)
    row = frozen_period(session, period.label)
    if row is None:
        return None
    count = late_change_counts(session, [period.label], vendor).get(period.label, 0)
    values = {"at": f"{row.frozen_at:%Y-%m-%d %H:%M}", "cause": row.cause, "count": count,
              "period": period.label}
    if row.cause == "posted":
        line = t.ngettext("Frozen %(at)s UTC (posted); %(count)d late change since posted.",
                          "Frozen %(at)s UTC (posted); %(count)d late changes since posted.", count) % values
    else:  # cause: freeze_after, the rules' setting
        line = t.ngettext("Frozen %(at)s UTC (%(cause)s); %(count)d late change since frozen.",
                          "Frozen %(at)s UTC (%(cause)s); %(count)d late changes since frozen.", count) % values
    if count:
        line += t.gettext(" `slawatch repair --period %(period)s --reason ...` re-judges it.") % values
    return line


def _render_report(kind: str, built: Any, fmt: str, locale: str) -> str:
    from processors import report_csv, report_html, report_render
    from processors.reports import in_locale

    if fmt == "html":
        try:
            from processors import charts
        except ImportError:  # an install without the `charts` extra: the tables only
            click.echo("no charts in this report: matplotlib is not installed (pip install 'slawatch[charts]')",
                       err=True)
            return getattr(report_html, f"{kind}_html")(built, None, locale)
        if kind == "weekly":
            return report_html.weekly_html(built, charts.weekly_chart(in_locale(built, locale), locale), locale)
        return report_html.quarterly_html(built, charts.scorecard_charts(built, locale), locale)
    module = report_csv if fmt == "csv" else report_render
    return getattr(module, f"{kind}_{fmt}")(built, locale)


def _post_report(database: store.db.Database, loaded: Any, kind: str, period: Any, now: datetime,
                 jira_url: str | None, vendor: str | None, locale: str | None) -> None:
    from processors.i18n import translator
    from scheduler.reports_job import post_report

    queued = post_report(database, loaded, kind, period, now, jira_url, vendor, locale=locale)
    if not queued:
        _fail(f"posting needs reports.{kind}.channel in {loaded.path}")
    _ = translator(locale or loaded.locale_for(vendor)).gettext
    for channel, new in queued:
        values = {"period": period.label, "channel": channel}
        if kind == "weekly":
            line = (_("weekly report %(period)s queued for %(channel)s") if new
                    else _("weekly report %(period)s was already queued for %(channel)s"))
        else:
            line = (_("quarterly report %(period)s queued for %(channel)s") if new
                    else _("quarterly report %(period)s was already queued for %(channel)s"))
        click.echo(line % values)


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
@click.option("--locale", type=click.Choice(["en", "zh_CN"]),
              help="the language of the comparison (default: the `locale:` of the rules in force)")
def backtest(rules_path: str, start: datetime | None, end: datetime | None, vendor: str | None,
             workers: int, locale: str | None) -> None:
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
    database = _database(settings)
    try:
        window = Period("month", f"{start:%Y-%m-%d}..{end:%Y-%m-%d}", start, end, "UTC")
        with database.reading() as session:  # tickets pinned by `rules apply` stay pinned on both sides
            schedule = load_schedule(session, current)
        comparison = run_backtest(database, schedule, schedule.with_current(proposed), window, now,
                                  vendor, workers)
    finally:
        database.dispose()
    click.echo(render(comparison, vendor_names(current) | vendor_names(proposed), settings["JIRA_URL"],
                      locale=locale or current.locale))


@cli.group()
def token() -> None:
    """API tokens for machines (Grafana, scripts): sent as `Authorization: Bearer <token>`."""


def _token_database() -> store.db.Database:
    settings = _settings()
    url = settings["SLAWATCH_DATABASE_URL"]
    if make_url(url).get_backend_name() == "sqlite":
        store.db.upgrade(url)
    return store.db.Database(url)


@token.command("create")
@click.option("--name", required=True, help="what uses it, e.g. grafana (unique, kept after revoking)")
@click.option("--vendor", help="the token sees this vendor id only (default: every vendor)")
def token_create(name: str, vendor: str | None) -> None:
    """Make a token and print it once; only its hash is stored."""
    from store.tokens import TokenError, create_token

    settings = _settings()
    if vendor is not None:
        try:
            known = {v.id for v in store.rulebook.read_rules(settings["SLAWATCH_RULES"]).vendors}
        except RulesError as exc:
            _fail(str(exc))
        if vendor not in known:
            _fail(f"token: no vendor {vendor!r} in {settings['SLAWATCH_RULES']} (it has: {', '.join(sorted(known)) or 'none'})")
    database = _token_database()
    try:
        made = database.write(lambda session: create_token(session, name, vendor, utc_now()))
    except TokenError as exc:
        _fail(f"token: {exc}")
    finally:
        database.dispose()
    click.echo(made)
    click.echo(f"token {name!r} created ({'vendor ' + vendor if vendor else 'every vendor'}); it is shown "
               "only now: store it in the client's secret store", err=True)


@token.command("list")
def token_list() -> None:
    """Name, vendor, created and revoked of every token (never the token itself)."""
    from store.tokens import list_tokens

    database = _token_database()
    try:
        with database.reading() as session:
            rows = [(t.name, t.vendor or "*", t.created_at, t.revoked_at) for t in list_tokens(session)]
    finally:
        database.dispose()
    for name, vendor, created, revoked in rows:
        state = f"revoked {revoked:%Y-%m-%dT%H:%MZ}" if revoked else "live"
        click.echo(f"{name}\t{vendor}\tcreated {created:%Y-%m-%dT%H:%MZ}\t{state}")


@token.command("revoke")
@click.argument("name")
def token_revoke(name: str) -> None:
    """Revoke a token at once (the next request with it gets 401)."""
    from store.tokens import revoke_token

    database = _token_database()
    try:
        done = database.write(lambda session: revoke_token(session, name, utc_now()))
    finally:
        database.dispose()
    if not done:
        _fail(f"token: no live token named {name!r}")
    click.echo(f"token {name!r} revoked")


# ---------------------------------------------------------------- evidence: export


@cli.command()
@click.option("--period", "label", required=True, help="2026-Q3, 2026-W47 or 2026-11 (reports.weekly.timezone)")
@click.option("--vendor", help="only this vendor id")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="write to this file (xlsx: required)")
def export(label: str, vendor: str | None, fmt: str, out: str | None) -> None:
    """The clocks behind a period's figures (those the reports count in it), one row each:
    CSV (UTF-8 with BOM), XLSX or JSON. Streamed: memory stays flat however many there are."""
    from processors.evidence import parse_period
    from web.exports import candidates, counted_clocks, period_filter, rows_of

    settings = _settings()
    try:
        loaded = store.rulebook.read_rules(settings["SLAWATCH_RULES"])
        period = parse_period(label, loaded.reports.weekly.timezone)
    except (RulesError, ValueError) as exc:
        _fail(str(exc))
    if vendor is not None and vendor not in {v.id for v in loaded.vendors}:
        _fail(f"unknown vendor '{vendor}'; the rules have: {', '.join(v.id for v in loaded.vendors) or 'none'}")
    if fmt == "xlsx" and out is None:
        _fail("--format xlsx needs --out FILE")
    now, database = settings["SLAWATCH_CLOCK"](), store.db.Database(settings["SLAWATCH_DATABASE_URL"])
    where, seen = period_filter(period, vendor, None), [0]
    try:
        total = candidates(database, where, now) if sys.stderr.isatty() else None
        rows = rows_of(counted_clocks(database, where, period, now, seen), now,
                       {v.id: v.name for v in loaded.vendors})
        _export_rows(rows, fmt, out, total, seen)
    finally:
        database.dispose()


def _export_rows(rows: Any, fmt: str, out: str | None, total: int | None, seen: list[int]) -> None:
    from web.exports import csv_chunks, json_chunks, write_xlsx

    if total is not None:  # a progress bar, only on a terminal
        rows = _with_progress(rows, total, seen)
    if fmt == "xlsx":
        return write_xlsx(rows, out)
    chunks = csv_chunks(rows) if fmt == "csv" else json_chunks(rows)
    if out is None:
        for chunk in chunks:
            click.echo(chunk, nl=False)
        return
    with open(out, "w", encoding="utf-8", newline="") as file:
        file.writelines(chunks)


def _with_progress(rows: Any, total: int, seen: list[int]) -> Any:
    with click.progressbar(length=total, label="clocks", file=sys.stderr) as bar:
        done = 0
        for row in rows:
            bar.update(seen[0] - done)
            done = seen[0]
            yield row
        bar.update(seen[0] - done)


@cli.command()
@click.option("--period", "label", required=True, help="a frozen week or quarter: 2026-W47 or 2026-Q3")
@click.option("--vendor", help="only this vendor's clocks")
@click.option("--reason", required=True, help="why, for the record and the correction in Slack")
@click.option("--by", default=None, help="who repairs (default: the login name)")
def repair(label: str, vendor: str | None, reason: str, by: str | None) -> None:
    """Re-judge a frozen period under the rules in force (its stopped clocks too), store the
    figures before and after with who and why, and post a correction in the period's thread."""
    import getpass

    from processors.evidence import parse_period
    from store.repair import RepairError, repair as run_repair

    settings = _settings()
    if not reason.strip():
        _fail("--reason must say why")
    app = _start(settings)
    database, book = store.db.get_database(app), store.rulebook.get_rulebook(app)
    try:
        period = parse_period(label, book.rules.reports.weekly.timezone)
        if vendor is not None and vendor not in {v.id for v in book.rules.vendors}:
            _fail(f"unknown vendor '{vendor}'; the rules have: {', '.join(v.id for v in book.rules.vendors)}")
        book.publish(database, settings["SLAWATCH_CLOCK"]())
        result = run_repair(database, book.schedule, book.rules, period, vendor, reason.strip(),
                            by or getpass.getuser(), settings["SLAWATCH_CLOCK"]())
    except (ValueError, RepairError) as exc:
        _fail(f"repair: {exc}")
    finally:
        database.dispose()
    click.echo(result.text)
    click.echo(f"repair {result.id}: {result.tickets} tickets re-judged; correction "
               + (f"queued for {result.channel}" if result.channel else "not posted (no report channel in the rules)"))


# ---------------------------------------------------------------- quarantine


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
