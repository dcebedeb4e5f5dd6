"""POST /webhooks/slack/commands: the `/sla` command, answered from the store (ephemeral).

    /sla KEY                       the ticket's clocks in words, and its excuse history
    /sla breaches [vendor]         open breaches
    /sla report [vendor]           the weekly summary of this week so far
    /sla unexcuse KEY metric [cycle]   (approvers and admins: web/slack_disputes.py)
    /sla help                      (and anything not understood)
"""
from __future__ import annotations

import re

from flask import current_app, g
from sqlalchemy import select

from connectors.errors import MalformedPayload
from connectors.slack_inbound import SlashCommand, parse_command
from connectors.surveys import form_link
from processors import report_render, slack_replies
from processors.periods import local_day, week_of
from store import slack as slack_store
from store.history import weekly_summary
from store.models import ExcusedBreach, Survey
from store.queries import list_tickets
from store.repo import load_events
from store.verdicts import judge_ticket
from web import context
from web.slack import bp, ephemeral, malformed
from web.slack_disputes import excuse_refusal
from web.slack_interactions import enqueue_excuse_note, enqueue_update

TICKET_KEY = re.compile(r"^[A-Z][A-Z0-9]+-\d+$")
MAX_REPLY = 3900  # keep the reply one readable message


@bp.post("/commands")
def command():
    try:
        sla = parse_command(g.slack_body)
    except MalformedPayload as exc:
        return malformed(exc)
    words = sla.text.split()
    verb = words[0].lower() if words else "help"
    if verb == "help":
        text = slack_replies.HELP
    elif verb == "breaches":
        text = breaches(words[1:])
    elif verb == "report":
        text = report(words[1:])
    elif verb == "unexcuse":
        text = unexcuse(sla, words[1:])
    elif len(words) == 1 and TICKET_KEY.match(words[0].upper()):
        text = ticket(words[0].upper())
    else:
        text = f"Sorry, I did not understand `{slack_replies.escape(sla.text)}`.\n{slack_replies.HELP}"
    return ephemeral(text if len(text) <= MAX_REPLY else text[:MAX_REPLY - 1] + "…")


def _vendor(args: list[str]) -> tuple[str | None, str | None]:
    """(vendor id, None) or (None, a reply naming the known vendors)."""
    if not args:
        return None, None
    vendors = {v.id: v for v in context.rulebook().rules.vendors}
    wanted = args[0]
    if wanted in vendors:
        return wanted, None
    found = next((v.id for v in vendors.values() if v.name.casefold() == " ".join(args).casefold()
                  or v.id.casefold() == wanted.casefold()), None)
    if found:
        return found, None
    known = ", ".join(sorted(vendors)) or "none"
    return None, f"I know no vendor `{slack_replies.escape(wanted)}`; the rules have: {known}"


def breaches(args: list[str]) -> str:
    vendor, problem = _vendor(args)
    if problem:
        return problem
    now = context.now()
    with context.database().reading() as session:
        tickets = list_tickets(session, now, state="breached", vendor=vendor, limit=100)
        keys = [t["key"] for t in tickets]
        excused = set(session.execute(select(ExcusedBreach.ticket, ExcusedBreach.metric, ExcusedBreach.cycle)
                                      .where(ExcusedBreach.ticket.in_(keys)))) if keys else set()
    return slack_replies.breaches_reply(tickets, now, vendor, excused=excused)


def report(args: list[str]) -> str:
    vendor, problem = _vendor(args)
    if problem:
        return problem
    rules, now = context.rulebook().rules, context.now()
    zone = rules.reports.weekly.timezone
    period = week_of(local_day(now, zone), zone)
    with context.database().reading() as session:
        summary = weekly_summary(session, rules, period, now, current_app.config.get("JIRA_URL"),
                                 vendor=vendor)
    text = report_render.weekly_text(summary).rstrip()
    if len(text) > MAX_REPLY - 40:  # keep the code block closed
        text = text[:MAX_REPLY - 41] + "…"
    return f"*This week so far*\n```{text}```"


def ticket(key: str) -> str:
    now = context.now()
    with context.database().reading() as session:
        events = load_events(session, key)
        trail = slack_store.excuse_trail(session, key)
        asked = session.scalars(select(Survey).where(Survey.ticket == key).order_by(Survey.cycle)).all()
        state = judge_ticket(session, key, events, context.rulebook().schedule, now).state if events else None
    rules = context.rulebook().rules
    if state is None:
        return f"I know no ticket {key} (Slawatch has no events for it)."
    lines = [slack_replies.survey_line(s.cycle, s.via, s.csat, s.communication,
                                       form_link(rules.surveys.form_url, s.token)) for s in asked]
    return "\n".join([slack_replies.ticket_reply(state, now, trail), *lines])


def unexcuse(sla: SlashCommand, args: list[str]) -> str:
    if len(args) not in (2, 3) or not TICKET_KEY.match(args[0].upper()) or \
            (len(args) == 3 and not args[2].isdigit()):
        return "Use `/sla unexcuse KEY metric [cycle]`, e.g. `/sla unexcuse OPS-1 resolution`."
    refusal = excuse_refusal(sla.user_id)
    if refusal is not None:
        return refusal
    metric = args[1].lower().replace(" ", "_")
    breach = slack_store.parse_breach_key(
        slack_store.breach_key(args[0].upper(), metric, int(args[2]) if len(args) == 3 else 1))
    now = context.now()

    def work(session) -> bool:
        audit_id = slack_store.unexcuse(session, breach, sla.user_id, now)
        if audit_id is None:
            return False
        enqueue_excuse_note(session, breach, f"Excuse withdrawn by <@{sla.user_id}>",
                            f"{breach.key}:unexcuse:{audit_id}", now)
        enqueue_update(session, breach, f"unexcuse:{audit_id}", now)
        return True

    if not context.database().write(work):
        return f"{breach.ticket} {slack_replies.metric_words(metric)} cycle {breach.cycle} is not excused."
    return (f"The excuse for {breach.ticket} {slack_replies.metric_words(metric)} cycle "
            f"{breach.cycle} is withdrawn: the breach counts again.")
