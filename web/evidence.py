"""The evidence API: every clock (`GET /api/clocks`), the report figures of any periods
(`GET /api/attainment`) and the OpenAPI document of the API (`GET /api/openapi.json`).

A signed-in caller limited to some vendors (`flask.g.slawatch_vendors`, a set of vendor ids; None:
every vendor) only ever sees those vendors' clocks and figures.
"""
from __future__ import annotations

import base64
import binascii
import json
from datetime import date, datetime, time, timedelta, timezone
from flask import Blueprint, g, jsonify, request

from processors.events import parse_instant
from processors.evidence import attainment_table, clock_item, periods_between
from processors.periods import local_day
from processors.rules import METRICS
from store.evidence import ClockFilter, ClockKey, list_clocks
from store.history import load_clock_records, vendor_names
from web import context
from web.openapi import DOCUMENT

bp = Blueprint("evidence", __name__, url_prefix="/api")

MAX_LIMIT = 1000
STATES = ("running", "paused", "stopped")
PERIODS = ("week", "month", "quarter")


class BadRequest(ValueError):
    pass


@bp.errorhandler(BadRequest)
def _bad_request(exc: BadRequest):
    return jsonify(error="bad_request", reason=str(exc)), 400


def vendor_scope() -> frozenset[str] | None:
    """The vendors the caller may see (None: every vendor), set by the sign-in hook."""
    scope = getattr(g, "slawatch_vendors", None)
    return None if scope is None else frozenset(scope)


def _choice(name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
    value = request.args.get(name) or default
    if value is not None and value not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(allowed)}")
    return value


def _flag(name: str) -> bool | None:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    if value.lower() not in ("true", "false"):
        raise BadRequest(f"{name} must be true or false")
    return value.lower() == "true"


def _instant(name: str, end: bool = False) -> datetime | None:
    """An instant with Z or an offset, or a date (midnight UTC; for `to`, the next midnight)."""
    value = request.args.get(name)
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day + timedelta(days=1 if end else 0), time(0), tzinfo=timezone.utc)
        return parse_instant(value)
    except ValueError:
        raise BadRequest(f"{name} must be a date (2026-11-23) or an instant with a zone "
                         f"(2026-11-23T08:00:00Z)") from None


def _limit() -> int:
    try:
        limit = int(request.args.get("limit", "100"))
    except ValueError:
        raise BadRequest("limit must be an integer") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def encode_cursor(key: ClockKey) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_cursor(text: str | None) -> ClockKey | None:
    if not text:
        return None
    try:
        ticket, metric, cycle = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if isinstance(ticket, str) and isinstance(metric, str) and type(cycle) is int:
            return ticket, metric, cycle
    except (ValueError, TypeError, binascii.Error):
        pass
    raise BadRequest("cursor is not one this API gave out; start again without it")


def clock_filter() -> ClockFilter:
    """The filters of /api/clocks (and the exports) from the query string."""
    start, end = _instant("from"), _instant("to", end=True)
    if start is not None and end is not None and end <= start:
        raise BadRequest("'to' must be after 'from'")
    return ClockFilter(vendor=request.args.get("vendor") or None, metric=_choice("metric", METRICS),
                       state=_choice("state", STATES), breached=_flag("breached"), excused=_flag("excused"),
                       start=start, end=end, vendors=vendor_scope())


@bp.get("/clocks")
def get_clocks():
    """Every clock, open and stopped, in (ticket, metric, cycle) order; `next_cursor` pages on."""
    filters, limit, after = clock_filter(), _limit(), decode_cursor(request.args.get("cursor"))
    now = context.now()
    with context.database().reading() as session:
        rows = list_clocks(session, filters, now, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor((rows[-1].ticket, rows[-1].metric, rows[-1].cycle)) if more else None
    return jsonify(clocks=[clock_item(row, now) for row in rows], count=len(rows), next_cursor=cursor)


def _day(name: str, default: date) -> date:
    value = request.args.get(name)
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} must be a date like 2026-11-23") from None


@bp.get("/attainment")
def get_attainment():
    """The report figures (weekly summary, quarterly scorecards) of every period of one kind
    holding a day from `from` (default: today) to `to` (default: `from`), per vendor and metric."""
    kind = _choice("period", PERIODS, "week")
    metric = _choice("metric", METRICS)
    rules, now = context.rulebook().rules, context.now()
    zone = rules.reports.weekly.timezone
    today = local_day(now, zone)
    first = _day("from", today)
    try:
        periods = periods_between(kind, first, _day("to", first), zone)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    vendors = _vendors(request.args.get("vendor") or None, vendor_scope())
    with context.database().reading() as session:
        clocks = load_clock_records(session, periods[0].start, periods[-1].end, now, rules.calendars)
    table = attainment_table(clocks, periods, rules.targets, [metric] if metric else list(METRICS),
                             vendor_names(rules), vendors)
    return jsonify(period=kind, zone=zone, periods=table)


def _vendors(vendor: str | None, scope: frozenset[str] | None) -> frozenset[str] | None:
    """The vendors to show: the one asked for, within the caller's scope (None: all)."""
    if vendor is None:
        return scope
    return frozenset({vendor}) & scope if scope is not None else frozenset({vendor})


@bp.get("/openapi.json")
def get_openapi():
    """The OpenAPI 3.1 document of the read API."""
    return jsonify(DOCUMENT)
