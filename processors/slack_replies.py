"""The words of the `/sla` command's replies (pure: `now` and the data are arguments).

    clock_words(clock, now)        # "due in 2h 10m", "breached 35m ago", "paused, 20m left", ...
    ticket_reply(state, now, excuses)    # `/sla KEY`
    breaches_reply(tickets, now, vendor) # `/sla breaches [vendor]`
    HELP                            # `/sla help`, and the answer to anything not understood
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Container, Iterable, Mapping, Sequence

from processors.events import format_instant
from processors.sla import Clock, TicketState

METRIC_WORDS = {"first_response": "first response", "resolution": "resolution"}

HELP = "\n".join([
    "*/sla* — SLA clocks from Slawatch",
    "• `/sla KEY` — the clocks of one ticket, e.g. `/sla OPS-123`",
    "• `/sla breaches [vendor]` — open breaches, of one vendor if you name it",
    "• `/sla report [vendor]` — this week so far",
    "• `/sla unexcuse KEY metric [cycle]` — withdraw an excuse, e.g. `/sla unexcuse OPS-1 resolution`",
    "• `/sla help` — this text",
])


@dataclass(frozen=True)
class ExcuseEntry:
    """One row of a breach's excuse audit trail."""

    metric: str
    cycle: int
    action: str  # excuse | unexcuse | dispute | approve | reject (of a dispute)
    by: str  # Slack user id
    at: datetime
    reason: str | None


def words(td: timedelta) -> str:
    """'2h 10m', '35m', '3d 4h', 'under a minute' (at most two units)."""
    minutes = int(abs(td.total_seconds()) // 60)
    if minutes == 0:
        return "under a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return " ".join(parts[:2])


def metric_words(metric: str) -> str:
    return METRIC_WORDS.get(metric, metric.replace("_", " "))


def clock_words(clock: Clock, now: datetime) -> str:
    """One clock in words, as of `now`."""
    if clock.state == "stopped":
        if clock.breached_at is not None:
            late = (clock.stopped_at or now) - clock.breached_at
            return f"met late: stopped {words(late)} after the breach"
        return f"met ({words(clock.elapsed)} of {words(clock.target)})"
    if clock.breached_at is not None and clock.state == "paused":
        return f"breached {words(now - clock.breached_at)} ago, paused"
    if clock.state == "paused":
        return f"paused, {words(clock.remaining)} left"
    if clock.breached_at is not None:
        return f"breached {words(now - clock.breached_at)} ago"
    if clock.due_at is not None:
        return f"due in {words(clock.due_at - now)}"
    return f"running, {words(clock.remaining)} left"


def _clock_line(clock: Clock, now: datetime, excused: Mapping[tuple[str, int], ExcuseEntry]) -> str:
    cycle = f" (cycle {clock.cycle})" if clock.cycle > 1 else ""
    line = f"• {metric_words(clock.metric)}{cycle}: {clock_words(clock, now)}"
    if clock.handoff_at is not None:  # hand-off policy: whose clock it is and since when
        by = f" by {escape(clock.handoff_by)}" if clock.handoff_by else ""
        line += f" — {escape(clock.vendor)}'s since the hand-off at {format_instant(clock.handoff_at)}{by}"
    if clock.ended_by == "handaway":
        line += ", ended by a hand-away"
    excuse = excused.get((clock.metric, clock.cycle))
    if excuse is not None:
        line += f" — _excused by <@{excuse.by}>: {escape(excuse.reason)}_"
    return line


def current_excuses(trail: Iterable[ExcuseEntry]) -> dict[tuple[str, int], ExcuseEntry]:
    """The breaches excused now: the latest entry per (metric, cycle) is an excuse."""
    latest: dict[tuple[str, int], ExcuseEntry] = {}
    for entry in sorted(trail, key=lambda e: e.at):
        if entry.action in ("excuse", "unexcuse"):  # disputes change nothing by themselves
            latest[(entry.metric, entry.cycle)] = entry
    return {k: e for k, e in latest.items() if e.action == "excuse"}


def ticket_reply(state: TicketState, now: datetime, trail: Sequence[ExcuseEntry] = ()) -> str:
    facts = state.facts
    title = f"*{escape(state.key)}*" + (f" {escape(str(facts['summary']))}" if facts.get("summary") else "")
    details = [d for d in (state.status, facts.get("priority") and f"priority {facts['priority']}",
                           state.vendor and f"vendor {state.vendor}",
                           state.policy and f"policy {state.policy}") if d]
    lines = [title]
    if details:
        lines.append(" · ".join(escape(str(d)) for d in details))
    if state.deleted:
        lines.append("This ticket was deleted in Jira.")
    excused = current_excuses(trail)
    lines += [_clock_line(c, now, excused) for c in state.clocks] or ["No SLA clocks (no policy applies)."]
    if trail:
        lines.append("Excuse history:")
        lines += [audit_line(e) for e in sorted(trail, key=lambda e: e.at)]
    return "\n".join(lines)


AUDIT_WORDS = {"excuse": "excused", "unexcuse": "withdrew the excuse for", "dispute": "disputed",
               "approve": "approved the dispute of", "reject": "rejected the dispute of"}


def audit_line(entry: ExcuseEntry) -> str:
    what = AUDIT_WORDS.get(entry.action, entry.action)
    why = f": {escape(entry.reason)}" if entry.reason else ""
    return (f"  – {format_instant(entry.at)} <@{entry.by}> {what} "
            f"{metric_words(entry.metric)} cycle {entry.cycle}{why}")


def breaches_reply(tickets: Sequence[Mapping[str, Any]], now: datetime, vendor: str | None = None,
                   shown: int = 20, excused: Container[tuple[str, int, int]] = ()) -> str:
    """`tickets` as store.queries.list_tickets(state="breached") gives them; `excused`: the
    (ticket, metric, cycle) of the breaches excused now, marked as such."""
    whose = f" for {vendor}" if vendor else ""
    if not tickets:
        return f"No open breaches{whose}. :tada:"
    lines = [f"*{len(tickets)} ticket{'s' if len(tickets) != 1 else ''} with open breaches{whose}*"]
    for ticket in tickets[:shown]:
        breached = [c for c in ticket["clocks"] if c["breached"] and c["state"] != "stopped"]
        parts = [f"{metric_words(c['metric'])} {_since(c, now)}"
                 + (" (excused)" if (ticket["key"], c["metric"], c["cycle"]) in excused else "")
                 for c in breached]
        summary = f" {escape(ticket['summary'])}" if ticket.get("summary") else ""
        lines.append(f"• *{ticket['key']}*{summary} — {', '.join(parts)}")
    if len(tickets) > shown:
        lines.append(f"and {len(tickets) - shown} more")
    return "\n".join(lines)


def _since(clock: Mapping[str, Any], now: datetime) -> str:
    at = clock.get("breached_at") or clock.get("due_at")
    if not at:
        return "breached"
    return f"breached {words(now - datetime.fromisoformat(at.replace('Z', '+00:00')))} ago"


def escape(text: str | None) -> str:
    """Slack mrkdwn escaping, as connectors/slack_blocks.escape (the pure core cannot import it)."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def survey_line(cycle: int, via: str | None, csat: int | None, communication: int | None,
                link: str | None) -> str:
    """A ticket's satisfaction survey, for managers (`/sla KEY`)."""
    if csat is not None or communication is not None:
        answers = ", ".join(f"{name} {score}/5" for name, score in (
            ("satisfaction", csat), ("communication", communication)) if score is not None)
        return f"Survey (cycle {cycle}): answered — {answers}"
    if via == "slack":
        return f"Survey (cycle {cycle}): sent to the reporter in Slack, not answered yet"
    where = f": web form <{link}|link> to pass on" if link else " (no surveys.form_url set for a link)"
    return f"Survey (cycle {cycle}): not answered{where}"
