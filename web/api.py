"""The read API: one ticket evaluated now, and lists of tickets by clock state."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from connectors.input_checks import is_issue_key
from processors.events import format_instant
from processors.sla import ticket_json
from store.slack import excuse_trail
from store.queries import STATES, list_tickets
from store.repo import load_events
from store.verdicts import judge_ticket
from web import context
from web.auth import visible

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_LIMIT = 1000


def bad_request(reason: str):
    return jsonify(error="bad_request", reason=reason), 400


@bp.get("/tickets/<key>")
def get_ticket(key: str):
    """The ticket as `slawatch replay` shows it, evaluated from its whole event log now under the
    rules that judge it (effective-dated rules: processors/rule_schedule.py; a stopped clock by
    the version stored with it, store/verdicts.py), plus `rules_version`: the version that judges
    it now (each clock has its own), and `excuses`: the audit trail of its excused (and
    un-excused) breaches, oldest first."""
    if not is_issue_key(key):  # also keeps NUL and the like away from the database
        return jsonify(error="not_found", reason="not a Jira issue key (PROJECT-123)"), 404
    with context.database().reading() as session:
        events = load_events(session, key)
        trail = excuse_trail(session, key)
        judged = judge_ticket(session, key, events, context.rulebook().schedule, context.now()) if events else None
    if not events:
        return jsonify(error="not_found", reason=f"no events for ticket {key}"), 404
    state = judged.state
    if state is not None and not (visible(state.vendor) or any(visible(c.vendor) for c in state.clocks)):
        return jsonify(error="not_found", reason=f"no events for ticket {key}"), 404  # as if not there
    if state is None:
        return jsonify(error="not_found", reason=f"ticket {key} has no created event yet"), 404
    body = ticket_json(state)
    body["rules_version"] = judged.version
    for clock in body["clocks"]:
        clock["rules_version"] = judged.version_of(clock["metric"], clock["cycle"])
    body["excuses"] = [{"metric": e.metric, "cycle": e.cycle, "action": e.action, "by": e.by,
                        "at": format_instant(e.at), "reason": e.reason} for e in trail]
    return jsonify(body)


@bp.get("/tickets")
def get_tickets():
    """Tickets with open clocks; ?state=breached|running|paused, ?vendor=ID, ?limit=N. A caller
    limited to some vendors (web/auth.py) gets only theirs."""
    state = request.args.get("state") or None
    if state is not None and state not in STATES:
        return bad_request(f"state must be one of {', '.join(STATES)}")
    try:
        limit = int(request.args.get("limit", "100"))
    except ValueError:
        return bad_request("limit must be an integer")
    if not 1 <= limit <= MAX_LIMIT:
        return bad_request(f"limit must be between 1 and {MAX_LIMIT}")
    vendor = request.args.get("vendor") or None
    with context.database().reading() as session:
        tickets = list_tickets(session, context.now(), state=state, vendor=vendor, limit=limit,
                               vendors=g.get("slawatch_vendors"))
    return jsonify(tickets=tickets, count=len(tickets))
