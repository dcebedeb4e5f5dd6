"""The words of the `/sla` command's replies, in the reader's language (pure: `now`, `locale` and
the data are arguments; `locale` is "en" when not given).

    clock_words(clock, now, locale)        # "due in 2h 10m", "breached 35m ago", "paused, 20m left", ...
    ticket_reply(state, now, excuses, locale)    # `/sla KEY`
    breaches_reply(tickets, now, vendor, locale=locale) # `/sla breaches [vendor]`
    help_text(locale)               # `/sla help`, and the answer to anything not understood
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Container, Iterable, Mapping, Sequence

from processors import i18n
from processors.events import format_instant
from processors.i18n import translator
from processors.sla import Clock, TicketState

EN = "en"


def N_(message: str) -> str:
    """Marks a msgid for `pybabel extract`; translated where it is shown."""
    return message


METRIC_WORDS = {"first_response": N_("first response"), "resolution": N_("resolution"),
                "next_response": N_("next response"), "periodic_update": N_("periodic update")}
HELP_LINES = (
    N_("*/sla* — SLA clocks from Slawatch"),
    N_("• `/sla KEY` — the clocks of one ticket, e.g. `/sla OPS-123`"),
    N_("• `/sla breaches [vendor]` — open breaches, of one vendor if you name it"),
    N_("• `/sla report [vendor]` — this week so far"),
    N_("• `/sla unexcuse KEY metric [cycle]` — withdraw an excuse, e.g. `/sla unexcuse OPS-1 resolution`"),
    N_("• `/sla help` — this text"),
)
AUDIT_WORDS = {"excuse": N_("%(who)s excused %(metric)s cycle %(cycle)d"),
               "unexcuse": N_("%(who)s withdrew the excuse for %(metric)s cycle %(cycle)d"),
               "dispute": N_("%(who)s disputed %(metric)s cycle %(cycle)d"),
               "approve": N_("%(who)s approved the dispute of %(metric)s cycle %(cycle)d"),
               "reject": N_("%(who)s rejected the dispute of %(metric)s cycle %(cycle)d")}


def help_text(locale: str = EN) -> str:
    _ = translator(locale).gettext
    return "\n".join(_(line) for line in HELP_LINES)


HELP = help_text(EN)


@dataclass(frozen=True)
class ExcuseEntry:
    """One row of a breach's excuse audit trail."""

    metric: str
    cycle: int
    action: str  # excuse | unexcuse | dispute | approve | reject (of a dispute)
    by: str  # Slack user id
    at: datetime
    reason: str | None


def words(td: timedelta, locale: str = EN) -> str:
    """'2h 10m', '35m', '3d 4h', 'under a minute' (at most two units); '2小时10分钟' in Chinese."""
    minutes = int(abs(td.total_seconds()) // 60)
    if minutes == 0:
        return translator(locale).gettext("under a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    kept = [(n, size) for n, size in ((days, 1440), (hours, 60), (minutes, 1)) if n][:2]
    if locale != EN:
        return i18n.format_duration(timedelta(minutes=sum(n * size for n, size in kept)), locale)
    unit = {1440: "d", 60: "h", 1: "m"}
    return " ".join(f"{n}{unit[size]}" for n, size in kept)


def metric_words(metric: str, locale: str = EN) -> str:
    known = METRIC_WORDS.get(metric)
    return translator(locale).gettext(known) if known else metric.replace("_", " ")


def instant(at: datetime, locale: str = EN) -> str:
    """An instant in UTC: ISO in English (as the API), Babel's medium form in other languages."""
    return format_instant(at) if locale == EN else f"{i18n.format_datetime(at, locale)} UTC"


def clock_words(clock: Clock, now: datetime, locale: str = EN) -> str:
    """One clock in words, as of `now`."""
    _ = translator(locale).gettext
    if clock.state == "stopped":
        if clock.breached_at is not None:
            late = (clock.stopped_at or now) - clock.breached_at
            return _("met late: stopped %(late)s after the breach") % {"late": words(late, locale)}
        return _("met (%(elapsed)s of %(target)s)") % {"elapsed": words(clock.elapsed, locale),
                                                        "target": words(clock.target, locale)}
    if clock.breached_at is not None and clock.state == "paused":
        return _("breached %(ago)s ago, paused") % {"ago": words(now - clock.breached_at, locale)}
    if clock.state == "paused":
        return _("paused, %(left)s left") % {"left": words(clock.remaining, locale)}
    if clock.breached_at is not None:
        return _("breached %(ago)s ago") % {"ago": words(now - clock.breached_at, locale)}
    if clock.due_at is not None:
        return _("due in %(left)s") % {"left": words(clock.due_at - now, locale)}
    return _("running, %(left)s left") % {"left": words(clock.remaining, locale)}


def _clock_line(clock: Clock, now: datetime, excused: Mapping[tuple[str, int], ExcuseEntry],
                locale: str = EN) -> str:
    _ = translator(locale).gettext
    values = {"metric": metric_words(clock.metric, locale), "cycle": clock.cycle,
              "state": clock_words(clock, now, locale)}
    line = (_("• %(metric)s (cycle %(cycle)d): %(state)s") if clock.cycle > 1
            else _("• %(metric)s: %(state)s")) % values
    if clock.handoff_at is not None:  # hand-off policy: whose clock it is and since when
        handoff = {"line": line, "vendor": escape(clock.vendor), "by": escape(clock.handoff_by),
                   "at": instant(clock.handoff_at, locale)}
        line = (_("%(line)s — %(vendor)s's since the hand-off at %(at)s by %(by)s") if clock.handoff_by
                else _("%(line)s — %(vendor)s's since the hand-off at %(at)s")) % handoff
    if clock.ended_by == "handaway":
        line = _("%(line)s, ended by a hand-away") % {"line": line}
    excuse = excused.get((clock.metric, clock.cycle))
    if excuse is not None:
        line = _("%(line)s — _excused by %(who)s: %(reason)s_") % {
            "line": line, "who": f"<@{excuse.by}>", "reason": escape(excuse.reason)}
    return line


def current_excuses(trail: Iterable[ExcuseEntry]) -> dict[tuple[str, int], ExcuseEntry]:
    """The breaches excused now: the latest entry per (metric, cycle) is an excuse."""
    latest: dict[tuple[str, int], ExcuseEntry] = {}
    for entry in sorted(trail, key=lambda e: e.at):
        if entry.action in ("excuse", "unexcuse"):  # disputes change nothing by themselves
            latest[(entry.metric, entry.cycle)] = entry
    return {k: e for k, e in latest.items() if e.action == "excuse"}


def _details(state: TicketState, locale: str) -> list[str]:
    _ = translator(locale).gettext
    facts = state.facts
    details = [state.status and str(state.status),
               facts.get("priority") and _("priority %(priority)s") % {"priority": facts["priority"]},
               state.vendor and _("vendor %(vendor)s") % {"vendor": state.vendor},
               state.policy and _("policy %(policy)s") % {"policy": state.policy}]
    return [escape(d) for d in details if d]


def ticket_reply(state: TicketState, now: datetime, trail: Sequence[ExcuseEntry] = (),
                 locale: str = EN) -> str:
    _ = translator(locale).gettext
    facts = state.facts
    title = f"*{escape(state.key)}*" + (f" {escape(str(facts['summary']))}" if facts.get("summary") else "")
    details = _details(state, locale)
    lines = [title]
    if details:
        lines.append(" · ".join(details))
    if state.deleted:
        lines.append(_("This ticket was deleted in Jira."))
    excused = current_excuses(trail)
    lines += ([_clock_line(c, now, excused, locale) for c in state.clocks]
              or [_("No SLA clocks (no policy applies).")])
    if trail:
        lines.append(_("Excuse history:"))
        lines += [audit_line(e, locale) for e in sorted(trail, key=lambda e: e.at)]
    return "\n".join(lines)


def audit_line(entry: ExcuseEntry, locale: str = EN) -> str:
    _ = translator(locale).gettext
    values = {"who": f"<@{entry.by}>", "metric": metric_words(entry.metric, locale), "cycle": entry.cycle}
    sentence = AUDIT_WORDS.get(entry.action)
    what = (_(sentence) if sentence else f"%(who)s {entry.action} %(metric)s cycle %(cycle)d") % values
    if entry.reason:
        what = _("%(what)s: %(reason)s") % {"what": what, "reason": escape(entry.reason)}
    return f"  – {instant(entry.at, locale)} {what}"


def breaches_reply(tickets: Sequence[Mapping[str, Any]], now: datetime, vendor: str | None = None,
                   shown: int = 20, excused: Container[tuple[str, int, int]] = (),
                   locale: str = EN) -> str:
    """`tickets` as store.queries.list_tickets(state="breached") gives them; `excused`: the
    (ticket, metric, cycle) of the breaches excused now, marked as such."""
    t = translator(locale)
    _ = t.gettext
    if not tickets:
        return (_("No open breaches for %(vendor)s. :tada:") % {"vendor": vendor} if vendor
                else _("No open breaches. :tada:"))
    count = len(tickets)
    head = (t.ngettext("*%(count)d ticket with open breaches for %(vendor)s*",
                       "*%(count)d tickets with open breaches for %(vendor)s*", count) if vendor
            else t.ngettext("*%(count)d ticket with open breaches*", "*%(count)d tickets with open breaches*", count))
    lines = [head % {"count": count, "vendor": vendor}]
    separator = t.pgettext("list separator", ", ")
    for ticket in tickets[:shown]:
        breached = [c for c in ticket["clocks"] if c["breached"] and c["state"] != "stopped"]
        parts = []
        for c in breached:
            part = _("%(metric)s %(since)s") % {"metric": metric_words(c["metric"], locale),
                                                "since": _since(c, now, locale)}
            if (ticket["key"], c["metric"], c["cycle"]) in excused:
                part = _("%(part)s (excused)") % {"part": part}
            parts.append(part)
        summary = f" {escape(ticket['summary'])}" if ticket.get("summary") else ""
        lines.append(f"• *{ticket['key']}*{summary} — {separator.join(parts)}")
    if len(tickets) > shown:
        lines.append(_("and %(count)d more") % {"count": len(tickets) - shown})
    return "\n".join(lines)


def _since(clock: Mapping[str, Any], now: datetime, locale: str = EN) -> str:
    _ = translator(locale).gettext
    at = clock.get("breached_at") or clock.get("due_at")
    if not at:
        return _("breached")
    ago = words(now - datetime.fromisoformat(at.replace("Z", "+00:00")), locale)
    return _("breached %(ago)s ago") % {"ago": ago}


def escape(text: str | None) -> str:
    """Slack mrkdwn escaping, as connectors/slack_blocks.escape (the pure core cannot import it)."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def survey_line(cycle: int, via: str | None, csat: int | None, communication: int | None,
                link: str | None, locale: str = EN) -> str:
    """A ticket's satisfaction survey, for managers (`/sla KEY`)."""
    t = translator(locale)
    _ = t.gettext
    if csat is not None or communication is not None:
        scores = ((_("satisfaction %(score)d/5"), csat), (_("communication %(score)d/5"), communication))
        answers = t.pgettext("list separator", ", ").join(
            sentence % {"score": score} for sentence, score in scores if score is not None)
        return _("Survey (cycle %(cycle)d): answered — %(answers)s") % {"cycle": cycle, "answers": answers}
    if via == "slack":
        return _("Survey (cycle %(cycle)d): sent to the reporter in Slack, not answered yet") % {"cycle": cycle}
    if link:
        return _("Survey (cycle %(cycle)d): not answered: web form <%(link)s|link> to pass on") % {
            "cycle": cycle, "link": link}
    return _("Survey (cycle %(cycle)d): not answered (no surveys.form_url set for a link)") % {"cycle": cycle}
