"""The dashboard: server-rendered, read-only pages for managers and admins.

    /                  per vendor, this week and this quarter; clocks about to breach; open breaches
    /tickets/<KEY>     the event timeline and every clock, with its explanation
    /vendors/<id>      12-week attainment chart, quarterly scorecard, worst breaches
    /rules             the rules in force, earlier versions, the last reload error, the backtest
                       form (POST /rules/backtest: web/backtest_page.py)

The attainment figures are counted in the database (store.attainment) by the rules of
processors.reports; test_dashboard holds them equal to store.history's, i.e. to `slawatch report`,
so the pages and the reports agree at any size of history. The worker counts them every
SLAWATCH_FIGURES_SECONDS and stores them (store.figures); a page counts them itself only when the
stored ones are missing, older than FRESH_REFRESHES intervals or of other rules. Who may see the
pages is web/auth.py's decision; a caller limited to some vendors (g.slawatch_vendors) sees only
those vendors' figures, tickets and breaches, and gets 403 for another vendor's page.

Every page is in the reader's language (web/i18n.py: `?lang=`, Accept-Language, the rules'
`locale:`): texts through the catalog (`_()` here and in the templates, N_ for the constant names
below), dates, durations, percentages and period labels through the filters below (Babel's forms
in Chinese), a language switch at each page's foot (docs/i18n.md).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from babel import Locale, lists, units
from flask import Blueprint, current_app, g, render_template
from flask_babel import gettext as _

from connectors.input_checks import is_issue_key
from processors.events import EventKind
from processors.i18n import (LOCALES, format_datetime, format_percent, month_label, period_label, quarter_label,
                             week_label)
from processors.periods import Period
from processors.reports import MetricStats
from processors.rules import COMMUNICATION_METRICS, METRICS
from store import dashboard as queries
from store.figures import dashboard_periods, page_figures
from store.freeze import late_change_counts
from store.models import Ticket
from store.quarantine import list_quarantined
from store.repo import load_events
from web import context
from web.auth import forbidden_page, visible
from web.i18n import page_locale
from web.svg import attainment_chart
from web.svg_timeline import clock_timeline, vendor_colour

bp = Blueprint("dashboard", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/dashboard")
FRESH_REFRESHES = 3  # stored figures serve while younger than this many SLAWATCH_FIGURES_SECONDS


def N_(message: str) -> str:
    """Marks a constant for the catalog; it is translated where it is shown (docs/i18n.md)."""
    return message


METRIC_NAMES = {"first_response": N_("First response"), "resolution": N_("Resolution"),
                "next_response": N_("Next response"), "periodic_update": N_("Periodic update")}
ENDINGS = {"response": N_("a response"), "resolution": N_("the resolution"), "handaway": N_("a hand-away")}
STATES = {"running": N_("running"), "paused": N_("paused"), "stopped": N_("stopped")}
EVENTS = {EventKind.CREATED: N_("created"), EventKind.COMMENTED: N_("commented"),
          EventKind.STATUS_CHANGED: N_("status changed"), EventKind.ASSIGNEE_CHANGED: N_("assignee changed"),
          EventKind.PRIORITY_CHANGED: N_("priority changed"), EventKind.FIELDS_CHANGED: N_("fields changed"),
          EventKind.RESOLVED: N_("resolved"), EventKind.REOPENED: N_("reopened"), EventKind.DELETED: N_("deleted"),
          EventKind.SLACK_RESPONSE: N_("Slack response")}
_LABEL = re.compile(r"(\d{4})-(?:W(\d{2})|Q(\d)|(\d{2}))")


def _zone() -> str:
    return context.rulebook().rules.reports.weekly.timezone


# The page's locale decides the figures' form: English keeps the compact forms the pages always
# had ("85.7%", "1d 4h 5m", "2026-11-20 14:05", "2026-W47"); another locale gets Babel's (CLDR)
# forms through processors/i18n.py: "85.7%", "1天4小时5分钟", "2026/11/20 14:05", "2026年第47周".


@bp.app_template_filter("pct")
def _pct(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 100:.1f}%" if page_locale() == "en" else format_percent(value, page_locale())


@bp.app_template_filter("target")
def _target(value: float | None) -> str:
    """A target share, "85%" (or "87.5%"): short enough for the narrow Target column."""
    if value is None:
        return "–"
    if page_locale() == "en":
        return f"{value * 100:.1f}".removesuffix(".0") + "%"
    return format_percent(value, page_locale()).replace(".0%", "%")


@bp.app_template_filter("duration")
def _duration(seconds: int | float | None, days: bool = True) -> str:
    """"1d 4h 5m" (wall-clock time); with days=False "28h 5m" (business time: no day is 24h).
    In Chinese "1天4小时5分钟", "28小时5分钟" (Babel's narrow units)."""
    if seconds is None:
        return "–"
    sign, seconds = ("−" if seconds < 0 else ""), abs(int(seconds))
    days, rest = divmod(seconds, 86400) if days else (0, seconds)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    locale = page_locale()
    if locale != "en":
        counts = [(days, "duration-day"), (hours, "duration-hour"),
                  (minutes if minutes or not (days or hours) else 0, "duration-minute")]
        parts = [units.format_unit(n, unit, length="narrow", locale=locale) for n, unit in counts if n]
        if not parts:
            parts = [units.format_unit(0, "duration-minute", length="narrow", locale=locale)]
        return sign + lists.format_list(parts, style="unit-narrow", locale=locale)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes or not (days or hours) else ""]
    return sign + " ".join(p for p in parts if p)


@bp.app_template_filter("when")
def _when(at: datetime | None) -> str:
    if at is None:
        return "–"
    if page_locale() != "en":
        return format_datetime(at, page_locale(), _zone(), "short")
    return at.astimezone(ZoneInfo(_zone())).strftime("%Y-%m-%d %H:%M")


@bp.app_template_filter("period_name")
def _period_name(period: Period | str) -> str:
    """A period (or its machine label, "2026-W47", "2026-Q4", "2026-11") as the reader writes it:
    the label itself in English, "2026年第47周" in Chinese. Links and data attributes keep the label."""
    locale = page_locale()
    if isinstance(period, Period):
        return period.label if locale == "en" else period_label(period, locale)
    found = _LABEL.fullmatch(period)
    if locale == "en" or found is None:
        return period
    year, week, quarter, month = found.groups()
    if week:
        return week_label(int(year), int(week), locale)
    if quarter:
        return quarter_label(int(year), int(quarter), locale)
    return month_label(int(year), int(month), locale)


@bp.app_template_filter("hhmm")
def _hhmm(at: datetime) -> str:
    return at.astimezone(ZoneInfo(_zone())).strftime("%H:%M")


def _week_tick(label: str) -> str:
    """The chart's short week label: "W47" ("2026-W47"), "第47周" in Chinese."""
    return _("W%(week)02d", week=int(label[-2:]))


def _names() -> dict[str | None, str]:
    names: dict[str | None, str] = {v.id: v.name for v in context.rulebook().rules.vendors}
    names[None] = _("no vendor")  # = processors.reports.NO_VENDOR
    return names


def _translated(names: dict) -> dict:
    return {key: _(name) for key, name in names.items()}


def languages() -> list[tuple[str, str]]:
    """The language switch: each locale Slawatch speaks, named in its own language."""
    return [(name, Locale.parse(name).get_language_name(name)) for name in LOCALES]


def render_page(template: str, status: int = 200, **values):
    values.setdefault("zone", _zone())
    values.setdefault("metric_names", _translated(METRIC_NAMES))
    values.setdefault("endings", _translated(ENDINGS))
    values.setdefault("state_names", _translated(STATES))
    values.setdefault("event_names", {kind.value: _(name) for kind, name in EVENTS.items()})
    values.setdefault("languages", languages())
    values.setdefault("vendor_names", _names())
    values["nav_vendors"] = {id: name for id, name in values["vendor_names"].items() if id and visible(id)}
    values["every_vendor"] = g.get("slawatch_vendors") is None
    values["signed_in"] = getattr(g.get("slawatch_caller"), "who", "").startswith("slack:")
    return render_template(template, **values), status


def _not_found(what: str):
    """`what`: the whole sentence, translated ("There is no ticket NET-9 in this store.")."""
    return render_page("dashboard/not_found.html", 404, title=_("Not found"), what=what)


def _figures(rules, periods, now: datetime):
    """store.figures: what the worker stored if fresh enough, else counted now (and stored)."""
    max_age = FRESH_REFRESHES * current_app.config.get("SLAWATCH_FIGURES_SECONDS", 60)
    return page_figures(context.database(), rules, periods, now, max_age)


def _section(figures, vendor_id: str, period, previous_period=None, shown=METRICS) -> SimpleNamespace:
    """The figures of one vendor and period, shaped like the reports' sections and scorecards."""
    key = (vendor_id, period.label)
    metrics = {m: figures.stats(vendor_id, period, m) or MetricStats(m, None, 0, 0, 0, None, None)
               for m in shown}
    previous_values = {}
    if previous_period is not None:
        previous_values = {m: s.attainment if (s := figures.stats(vendor_id, previous_period, m)) else None
                           for m in shown}
    return SimpleNamespace(metrics=metrics, opened=figures.opened.get(key, 0), resolved=figures.resolved.get(key, 0),
                           breaches=figures.breaches.get(key, 0), excused=figures.excused.get(key, 0),
                           satisfaction=figures.satisfaction.get(key, {}), previous=previous_values)


@bp.get("/")
def overview():
    rules, now = context.rulebook().rules, context.now()
    periods = dashboard_periods(rules, now)
    week, quarter = periods.week, periods.quarter
    figures, as_of = _figures(rules, periods.overview, now)
    seen = g.get("slawatch_vendors")
    with context.database().reading() as session:
        soon = queries.due_soon(session, now, vendors=seen)
        breaches, breach_count = queries.open_breaches(session, now, vendors=seen)
        late = late_change_counts(session, vendors=seen)
    shown = shown_metrics(rules)
    vendors = [(v.id, v.name, _section(figures, v.id, week, shown=shown), _section(figures, v.id, quarter, shown=shown))
               for v in rules.vendors if visible(v.id)]
    targets = {**rules.targets, **{m: rules.target_of(m) for m in shown}}
    return render_page("dashboard/overview.html", title=_("Service levels"), now=now, week=week, quarter=quarter,
                       vendors=vendors, targets=targets, soon=soon, breaches=breaches,
                       breach_count=breach_count, metrics=shown, as_of=as_of, late=late)


def shown_metrics(rules) -> tuple[str, ...]:
    """The two ticket metrics, then the communication metrics some policy measures."""
    return METRICS + tuple(m for m in COMMUNICATION_METRICS if any(m in p.metrics for p in rules.policies))


@bp.get("/vendors/<vendor_id>")
def vendor(vendor_id: str):
    rules, now = context.rulebook().rules, context.now()
    found = next((v for v in rules.vendors if v.id == vendor_id), None)
    if found is None:
        return _not_found(_("There is no vendor %(vendor)s in this store.", vendor=vendor_id))
    if not visible(vendor_id):
        return forbidden_page()
    periods = dashboard_periods(rules, now)
    weeks, quarter, months = periods.weeks, periods.quarter, periods.months
    figures, as_of = _figures(rules, periods.vendor, now)
    with context.database().reading() as session:
        worst = queries.worst_breaches(session, vendor_id, quarter.start, quarter.end)
        late = late_change_counts(session, vendor=vendor_id)
    shown = METRICS + tuple(m for m in shown_metrics(rules)[len(METRICS):]  # a communication metric: when counted
                            if any((st := figures.stats(vendor_id, p, m)) and st.counted for p in periods.vendor))
    trend = [(week, {m: s.attainment if (s := figures.stats(vendor_id, week, m)) else None for m in shown})
             for week in weeks]
    card = _section(figures, vendor_id, quarter, periods.last_quarter, shown=shown)
    card.monthly = {m: tuple(_section(figures, vendor_id, month, shown=shown).metrics[m] for month in months)
                    for m in shown}
    targets = {**rules.targets, **{m: rules.target_of(m) for m in shown}}
    labels = [period.label for period in weeks]
    series = {m: [values.get(m) for _, values in trend] for m in shown}
    title = _("%(vendor)s: attainment per week, %(first)s to %(last)s", vendor=found.name,
              first=_period_name(weeks[0]), last=_period_name(weeks[-1]))
    chart = attainment_chart(title, [_week_tick(label) for label in labels], series, targets,
                             {m: _("%(metric)s (dashed: target)", metric=_(METRIC_NAMES[m])) for m in series})
    return render_page("dashboard/vendor.html", title=found.name, vendor=found, trend=trend, chart=chart,
                       card=card, quarter=quarter, months=months, worst=worst, targets=targets, metrics=shown,
                       as_of=as_of, late=late)


def _pauses(events, pause_statuses) -> list[tuple[datetime, datetime | None]]:
    """The intervals the ticket spent in a pause status, from its status changes."""
    spans: list[tuple[datetime, datetime | None]] = []
    started: datetime | None = None
    for event in events:
        if event.kind is not EventKind.STATUS_CHANGED:
            continue
        paused = (event.to_value or "").casefold() in pause_statuses
        if paused and started is None:
            started = event.at
        elif not paused and started is not None:
            spans.append((started, event.at))
            started = None
    if started is not None:
        spans.append((started, None))
    return spans


def _axis(row: Ticket, clocks: list, now: datetime) -> tuple[datetime, datetime]:
    """The time the ticket page's clock bars share: from the creation to the last clock's end."""
    first = min([c.started_at for c in clocks] + ([row.created_at] if row.created_at else []))
    last = max(c.stopped_at or now for c in clocks)
    return first, max(last, first + (last - first) / 20 if last > first else first + timedelta(hours=1))


@bp.get("/tickets/<key>")
def ticket(key: str):
    rules = context.rulebook().rules
    if not is_issue_key(key):
        return _not_found(_("There is no such ticket in this store."))
    with context.database().reading() as session:
        row = session.get(Ticket, key)
        if row is None:
            return _not_found(_("There is no ticket %(ticket)s in this store.", ticket=key))
        events = load_events(session, key)
        clocks = queries.ticket_clocks(session, key)
    if not (visible(row.vendor) or any(visible(clock.vendor) for clock, _ in clocks)):
        return _not_found(_("There is no ticket %(ticket)s in this store.", ticket=key))  # as if it were not there: its key says nothing
    policies = {policy.name: policy for policy in rules.policies}
    explained = []
    axis = _axis(row, [clock for clock, _ in clocks], context.now()) if clocks else None
    names, vendor_ids = _names(), [v.id for v in rules.vendors]
    for clock, line in clocks:
        policy = policies.get(clock.policy)
        spans = _pauses(events, set(policy.pause_statuses) if policy else set())
        end = clock.stopped_at or context.now()
        pauses = [(s, e) for s, e in spans if s < end and (e is None or e > clock.started_at)]
        bar = clock_timeline(clock, pauses, axis, names.get(clock.vendor, clock.vendor or ""),
                             vendor_colour(clock.vendor, vendor_ids), _(METRIC_NAMES.get(clock.metric, clock.metric)))
        explained.append((clock, line, pauses, bar))
    return render_page("dashboard/ticket.html", title=key, ticket=row, events=events, clocks=explained,
                       rules_version=rules.version, now=context.now())


@bp.get("/rules")
def rules_page():
    from web import backtest_page  # it imports this module

    book = context.rulebook()
    with context.database().reading() as session:
        versions = queries.rule_versions(session)
        stored_error = queries.reload_error(session)
        quarantined = list_quarantined(session)
    error = ({"lines": list(book.last_error.lines), "at": book.last_error.at} if book.last_error
             else stored_error)
    return render_page("dashboard/rules.html", title=_("Rules"), rules=book.rules, path=book.path,
                       loaded_at=book.loaded_at, versions=versions, error=error, quarantined=quarantined,
                       form=backtest_page.default_form(context.now(), book.rules.text),
                       max_days=backtest_page.MAX_DAYS)

