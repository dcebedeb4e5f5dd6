"""POST /webhooks/slack/commands: the `/sla` command, answered from the store (ephemeral), in the
member's Slack language when Slawatch knows it, else the ticket's vendor's, else the rules'
(web/slack_disputes.py `reader_locale`, docs/i18n.md).

    /sla KEY                       the ticket's clocks in words, and its excuse history
    /sla breaches [vendor]         open breaches
    /sla report [vendor]           the weekly summary of this week so far
    /sla unexcuse KEY metric [cycle]   (approvers and admins: web/slack_disputes.py)
    /sla help                      (and anything not understood)

Who sees what (issue 13, like the dashboard: web/auth.py): without a `governance` section in
rules.yaml every member of the workspace sees every vendor, as before. With one, admins and
approvers see everything, a vendor's managers and staff see their own vendors only (breaches,
reports, tickets, the clocks on a ticket), and a member with no role is refused with a reply
saying so; nothing else changes.
"""
from __future__ import annotations

import re
from dataclasses import replace

from flask import current_app, g
from sqlalchemy import select

from connectors.errors import MalformedPayload
from connectors.slack_inbound import SlashCommand, parse_command
from connectors.surveys import form_link
from processors import report_render, slack_replies
from processors.rules_governance import seen_vendors
from processors.i18n import translator
from processors.periods import local_day, week_of
from store import slack as slack_store
from store.history import weekly_summary
from store.models import ExcusedBreach, Survey
from store.queries import list_tickets
from store.repo import load_events
from store.verdicts import judge_ticket
from web import context
from web.slack import bp, ephemeral, malformed
from web.slack_disputes import email_of, excuse_refusal, reader_locale, thread_locale, user_locale
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
    locale = reader_locale(sla.user_id)
    scope = seen_by(sla.user_id)
    if verb == "help":
        text = slack_replies.help_text(locale)
    elif scope == frozenset() and verb != "unexcuse":
        text = translator(locale).gettext(
            "Slawatch shows its figures to the people rules.yaml names: admins, approvers and each "
            "vendor's managers and staff (the `governance` section). Ask an admin to add you.")
    elif verb == "breaches":
        text = breaches(words[1:], locale, scope)
    elif verb == "report":
        text = report(words[1:], locale, scope)
    elif verb == "unexcuse":
        text = unexcuse(sla, words[1:], locale)
    elif len(words) == 1 and TICKET_KEY.match(words[0].upper()):
        text = ticket(words[0].upper(), sla.user_id, scope)
    else:
        _ = translator(locale).gettext
        text = _("Sorry, I did not understand `%(text)s`.") % {"text": slack_replies.escape(sla.text)}
        text += "\n" + slack_replies.help_text(locale)
    return ephemeral(text if len(text) <= MAX_REPLY else text[:MAX_REPLY - 1] + "…")


def seen_by(user_id: str) -> frozenset[str] | None:
    """The vendors the member may see: None for all (no `governance` section, or an admin or an
    approver), else their own vendors (empty: none, a member with no role)."""
    rules = context.rulebook().rules
    if not rules.governance.configured:
        return None
    if seen_vendors(rules, user_id) is None:
        return None
    return seen_vendors(rules, user_id, email_of(user_id))


def _scoped(vendor: str | None, scope: frozenset[str] | None, locale: str) -> tuple[str | None, str | None]:
    """(the vendor to show, None) or (None, a refusal) for a member limited to `scope`."""
    if scope is None or vendor in scope:
        return vendor, None
    if vendor is None and len(scope) == 1:
        return next(iter(scope)), None
    _ = translator(locale).gettext
    mine = ", ".join(sorted(scope))
    if vendor is None:
        return None, _("Name one of your vendors: %(vendors)s.") % {"vendors": mine}
    return None, _("You may see the figures of your own vendors only: %(vendors)s.") % {"vendors": mine}


def _vendor(args: list[str], locale: str, scope: frozenset[str] | None = None) -> tuple[str | None, str | None]:
    """(vendor id, None) or (None, a reply naming the known vendors, or refusing one not the member's)."""
    if not args:
        return _scoped(None, scope, locale)
    vendors = {v.id: v for v in context.rulebook().rules.vendors}
    wanted = args[0]
    if wanted in vendors:
        return _scoped(wanted, scope, locale)
    found = next((v.id for v in vendors.values() if v.name.casefold() == " ".join(args).casefold()
                  or v.id.casefold() == wanted.casefold()), None)
    if found:
        return _scoped(found, scope, locale)
    _ = translator(locale).gettext
    known = ", ".join(sorted(vendors)) or _("none")
    return None, _("I know no vendor `%(vendor)s`; the rules have: %(known)s") % {
        "vendor": slack_replies.escape(wanted), "known": known}


def breaches(args: list[str], locale: str, scope: frozenset[str] | None = None) -> str:
    """Open breaches, of the vendor named (or of every vendor the member may see)."""
    vendor, problem = _vendor(args, locale, scope) if args else (None, None)
    if problem:
        return problem
    now = context.now()
    with context.database().reading() as session:
        tickets = list_tickets(session, now, state="breached", vendor=vendor, limit=100, vendors=scope)
        keys = [t["key"] for t in tickets]
        excused = set(session.execute(select(ExcusedBreach.ticket, ExcusedBreach.metric, ExcusedBreach.cycle)
                                      .where(ExcusedBreach.ticket.in_(keys)))) if keys else set()
    return slack_replies.breaches_reply(tickets, now, vendor, excused=excused, locale=locale)


def report(args: list[str], locale: str, scope: frozenset[str] | None = None) -> str:
    vendor, problem = _vendor(args, locale, scope)
    if problem:
        return problem
    rules, now = context.rulebook().rules, context.now()
    zone = rules.reports.weekly.timezone
    period = week_of(local_day(now, zone), zone)
    with context.database().reading() as session:
        summary = weekly_summary(session, rules, period, now, current_app.config.get("JIRA_URL"),
                                 vendor=vendor)
    text = report_render.weekly_text(summary, locale).rstrip()
    if len(text) > MAX_REPLY - 40:  # keep the code block closed
        text = text[:MAX_REPLY - 41] + "…"
    heading = translator(locale).gettext("This week so far")
    return f"*{heading}*\n```{text}```"


def ticket(key: str, user_id: str, scope: frozenset[str] | None = None) -> str:
    now = context.now()
    with context.database().reading() as session:
        events = load_events(session, key)
        trail = slack_store.excuse_trail(session, key)
        asked = session.scalars(select(Survey).where(Survey.ticket == key).order_by(Survey.cycle)).all()
        state = judge_ticket(session, key, events, context.rulebook().schedule, now).state if events else None
    rules = context.rulebook().rules
    locale = user_locale(user_id) or rules.locale_for(state.vendor if state is not None else None)
    if state is not None and scope is not None:
        if state.vendor not in scope and not any(c.vendor in scope for c in state.clocks):
            state = None  # another vendor's ticket: as unknown to this member as a missing one
        else:
            state = replace(state, clocks=tuple(c for c in state.clocks if c.vendor in scope))
    if state is None:
        return translator(locale).gettext("I know no ticket %(key)s (Slawatch has no events for it).") % {
            "key": key}
    lines = [slack_replies.survey_line(s.cycle, s.via, s.csat, s.communication,
                                       form_link(rules.surveys.form_url, s.token), locale) for s in asked]
    return "\n".join([slack_replies.ticket_reply(state, now, trail, locale), *lines])


def unexcuse(sla: SlashCommand, args: list[str], locale: str) -> str:
    _ = translator(locale).gettext
    if len(args) not in (2, 3) or not TICKET_KEY.match(args[0].upper()) or \
            (len(args) == 3 and not args[2].isdigit()):
        return _("Use `/sla unexcuse KEY metric [cycle]`, e.g. `/sla unexcuse OPS-1 resolution`.")
    refusal = excuse_refusal(sla.user_id, locale)
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
        thread = thread_locale(session, breach)
        note = translator(thread).gettext("Excuse withdrawn by %(who)s") % {"who": f"<@{sla.user_id}>"}
        enqueue_excuse_note(session, breach, note, f"{breach.key}:unexcuse:{audit_id}", now)
        enqueue_update(session, breach, f"unexcuse:{audit_id}", now)
        return True

    values = {"ticket": breach.ticket, "metric": slack_replies.metric_words(metric, locale),
              "cycle": breach.cycle}
    if not context.database().write(work):
        return _("%(ticket)s %(metric)s cycle %(cycle)d is not excused.") % values
    withdrawn = _("The excuse for %(ticket)s %(metric)s cycle %(cycle)d is withdrawn: the breach counts again.")
    return withdrawn % values
