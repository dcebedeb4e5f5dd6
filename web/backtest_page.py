"""The backtest on the dashboard's rules page: paste a proposed rules.yaml, see the stored history
judged by it and by the rules in force, side by side (what `slawatch backtest` prints, as HTML).

    POST /rules/backtest   form fields: rules (the YAML text), from, to (UTC days, both included),
                           vendor (optional vendor id)

Nothing is written. Invalid rules: 422 with their PATH:LINE:COL lines; bad dates or vendor: 400;
rules over MAX_RULES_BYTES: 413; a form posted from another site: 403 (a backtest costs seconds of
CPU, and a browser sends the dashboard's basic-auth credentials along with a cross-site POST). The window is at most MAX_DAYS days, the work is one process
(store.backtest.run_backtest, workers=1); the page says how long it took. Behind the dashboard's
basic auth when SLAWATCH_DASHBOARD_PASSWORD is set.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

from flask import Blueprint, request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from processors.backtest import ALL
from processors.periods import Period
from processors.reports import NO_VENDOR
from processors.rules import ALL_METRICS, RulesError, parse_rules
from store.backtest import run_backtest
from store.history import vendor_names
from store.rule_pins import load_schedule
from web import context
from web.dashboard import N_, render_page

bp = Blueprint("backtest_page", __name__)

MAX_RULES_BYTES = 256 * 1024
MAX_BODY_BYTES = 4 * MAX_RULES_BYTES  # the form encoding of the text: at most 3 bytes per byte
MAX_DAYS = 366
DEFAULT_DAYS = 30
CHANGES_SHOWN = 200
PROPOSED_PATH = "proposed-rules.yaml"  # the "file" named in the error lines
ERROR_TITLES = {400: N_("Check the form"), 403: N_("Refused"), 413: N_("Too large"),
                422: N_("The proposed rules are not valid")}


class FormError(Exception):
    def __init__(self, status: int, lines: list[str]):
        super().__init__("; ".join(lines))
        self.status, self.lines = status, lines


@dataclass
class Form:
    rules: str = ""
    start: str = ""
    end: str = ""
    vendor: str = ""


def default_form(now: datetime, rules: str = "") -> Form:
    """The last DEFAULT_DAYS days (UTC), today included."""
    today = now.astimezone(timezone.utc).date()
    return Form(rules, (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(), today.isoformat())


def _check_origin() -> None:
    """Browsers name the page a form was posted from: refuse one from another site."""
    origin = request.headers.get("Origin")
    if request.headers.get("Sec-Fetch-Site") == "cross-site" or (
            origin and urlsplit(origin).netloc != request.host):  # "null" (a sandboxed frame) too
        raise FormError(403, [_("this form can only be posted from the dashboard itself")])


def _read_form() -> Form:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise FormError(413, [_("the form is over %(size)s KiB", size=MAX_BODY_BYTES // 1024)])
    request.max_content_length = MAX_BODY_BYTES  # also for a body without Content-Length
    try:
        fields = request.form
    except RequestEntityTooLarge:
        raise FormError(413, [_("the form is over %(size)s KiB", size=MAX_BODY_BYTES // 1024)]) from None
    form = Form(fields.get("rules", ""), fields.get("from", "").strip(), fields.get("to", "").strip(),
                fields.get("vendor", "").strip())
    if len(form.rules.encode("utf-8")) > MAX_RULES_BYTES:
        raise FormError(413, [_("the proposed rules are over %(size)s KiB", size=MAX_RULES_BYTES // 1024)])
    return form


def _parse(text: str):
    try:
        return parse_rules(text, PROPOSED_PATH)
    except RulesError as exc:
        raise FormError(422, [str(problem) for problem in exc.errors]) from None


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FormError(400, [_("%(field)s: use a date, YYYY-MM-DD (UTC)", field=field)]) from None


def _window(form: Form) -> Period:
    first, last = _day(form.start, "from"), _day(form.end, "to")
    if last < first:
        raise FormError(400, [_("to: the last day must not be before the first")])
    if (last - first).days + 1 > MAX_DAYS:
        raise FormError(400, [_("from, to: at most %(days)s days at a time", days=MAX_DAYS)])
    start = datetime.combine(first, datetime.min.time(), timezone.utc)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), timezone.utc)
    return Period("month", f"{first:%Y-%m-%d}..{last:%Y-%m-%d}", start, end, "UTC")


def _rows(comparison, names: dict[str, str]) -> list[dict]:
    """One row per vendor and metric, the all-vendors line last (as the CLI prints it)."""
    vendors = sorted({v for v, _ in (*comparison.before, *comparison.after)}, key=lambda v: (v == ALL, v))
    rows = []
    for vendor in vendors:
        for metric in [m for m in ALL_METRICS if (vendor, m) in comparison.before or (vendor, m) in comparison.after]:
            was, now = comparison.before.get((vendor, metric)), comparison.after.get((vendor, metric))
            change = (None if was is None or now is None or was.attainment is None or now.attainment is None
                      else now.attainment - was.attainment)
            rows.append({"vendor": _("All vendors") if vendor == ALL
                         else names.get(vendor, _(NO_VENDOR) if vendor == NO_VENDOR else vendor),
                         "metric": metric, "before": was, "after": now, "change": change})
    return rows


@bp.post("/rules/backtest")
def backtest():
    book, now = context.rulebook(), context.now()
    form = default_form(now)
    try:
        _check_origin()
        form = _read_form()
        proposed = _parse(form.rules)
        window = _window(form)
        names = vendor_names(book.rules) | vendor_names(proposed)
        vendor = form.vendor or None
        if vendor is not None and vendor not in names:
            raise FormError(400, [_("vendor: no vendor %(vendor)s in either rules file", vendor=repr(vendor))])
    except FormError as exc:
        return render_page("dashboard/backtest.html", exc.status, title=_("Backtest"), form=form, errors=exc.lines,
                           error_title=_(ERROR_TITLES[exc.status]), comparison=None, max_days=MAX_DAYS)
    started = time.perf_counter()
    database = context.database()
    with database.reading() as session:  # tickets pinned by `rules apply` stay pinned on both sides
        schedule = load_schedule(session, book.rules)
    comparison = run_backtest(database, schedule, schedule.with_current(proposed), window, now, vendor)
    return render_page("dashboard/backtest.html", title=_("Backtest"), form=form, errors=[], comparison=comparison,
                       rows=_rows(comparison, names), changes=comparison.changes[:CHANGES_SHOWN],
                       seconds=time.perf_counter() - started, proposed=proposed, current=book.rules,
                       max_days=MAX_DAYS)
