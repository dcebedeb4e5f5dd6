"""Block Kit for alerts: pure functions from `Alert`s to `(text, blocks)`, in the reader's language.

    text, blocks = alert_message(alert, locale)          # warning, breach, escalation
    text, blocks = resolved_late_reply(alert, locale)    # thread reply: resolved N after the breach
    text, blocks = acknowledged_reply(alert, locale)     # thread reply: acknowledged by <@U…> at …
    text, blocks = digest_message(alerts, locale)        # one message for an alert storm in one channel

`locale` is the channel's language: `rules.locale_for(vendor of the clock)` (docs/i18n.md); "en"
when not given. `text` is the plain fallback Slack shows in notifications and to clients without
blocks; it carries the essentials (key, metric, level, due). Text from Jira or Slack (keys,
summaries, names) is escaped for mrkdwn by `escape`; a key links to Jira only if it is a Jira key.
Buttons on a breach: action_id `ack_breach` and `excuse_breach`, value the alert key. Limits
kept: ≤ 50 blocks, ≤ 3000 characters per section text, ≤ 10 fields.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

from babel import dates

from connectors.input_checks import is_issue_key
from processors import i18n
from processors.alerts import Alert
from processors.i18n import translator
from processors.rules import format_duration

ACK_ACTION = "ack_breach"
EXCUSE_ACTION = "excuse_breach"
MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
DIGEST_LINES = 40  # keys named in a digest's fallback text (its blocks list every alert)
DIGEST_MAX_ALERTS = 1000  # alerts per digest message: a bigger storm is posted as several digests
EN = "en"


def N_(message: str) -> str:
    """Marks a msgid for `pybabel extract`; translated where it is shown."""
    return message


METRIC_WORDS = {"first_response": N_("first response"), "resolution": N_("resolution"),
                "next_response": N_("next response"), "periodic_update": N_("periodic update")}
ICONS = {"warning": ":warning:", "breach": ":rotating_light:", "escalation": ":sos:",
         "resolved_late": ":white_check_mark:", "acknowledged": ":eyes:"}
SEVERITY = {"escalation": 0, "breach": 1, "warning": 2, "resolved_late": 3, "acknowledged": 4}


# ---- words -------------------------------------------------------------------------------

def escape(text: str | None) -> str:
    """Slack mrkdwn escaping: &, <, > (the only three Slack asks for). The one escape of every
    text from Jira or Slack (keys, summaries, names, reasons) that goes into a Slack message;
    connectors/slack_reports.py and web/ use it too (processors/slack_replies.py, pure, keeps
    the same three replacements)."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def metric_words(metric: str, locale: str = EN) -> str:
    known = METRIC_WORDS.get(metric)
    return translator(locale).gettext(known) if known else metric.replace("_", " ")


def spoken(td: timedelta, locale: str = EN) -> str:
    """timedelta -> '1h 12m' (format_duration with spaces); '1小时12分钟' in Chinese (Babel)."""
    if locale != EN:
        return i18n.format_duration(td, locale)
    text = format_duration(td)
    return "".join(c if not (c.isdigit() and i and text[i - 1].isalpha()) else " " + c
                   for i, c in enumerate(text))


def _target(seconds: int, locale: str) -> str:
    """A target as rules.yaml writes it ('30m'); '30分钟' in Chinese."""
    td = timedelta(seconds=seconds)
    return format_duration(td) if locale == EN else i18n.format_duration(td, locale)


def local_time(at: datetime, zone: str, locale: str = EN) -> str:
    """'Mon 5 Jan 09:30 CET' in the calendar's zone; '1月5日周一 09:30 CET' in Chinese."""
    local = at.astimezone(ZoneInfo(zone))
    if locale == EN:
        return f"{local:%a} {local.day} {local:%b %H:%M} {local.tzname()}"
    day = dates.format_skeleton("MMMEd", local, locale=locale)
    return f"{day} {local:%H:%M} {local.tzname()}"


def slack_date(at: datetime, zone: str, locale: str = EN) -> str:
    """Slack's date token (shown in each reader's own zone), falling back to the calendar's."""
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{local_time(at, zone, locale)}>"


def key_link(alert: Alert) -> str:
    """The issue key, linked to Jira only when it is a Jira key (connectors/input_checks.py)."""
    key = escape(alert.ticket)
    return f"<{alert.link}|{key}>" if alert.link and is_issue_key(alert.ticket) else key


def level_words(alert: Alert, locale: str = EN) -> str:
    _ = translator(locale).gettext
    if alert.kind == "warning":
        percent = i18n.format_percent(_warn_percent(alert) / 100, locale, digits=0)
        return _("%(percent)s of the target used") % {"percent": percent}
    words = {"breach": N_("breached"), "escalation": N_("not acknowledged"),
             "resolved_late": N_("resolved late"), "acknowledged": N_("acknowledged")}
    return _(words[alert.kind]) if alert.kind in words else alert.level


def _warn_percent(alert: Alert) -> int:
    try:
        return int(alert.level.rsplit("-", 1)[-1])
    except ValueError:
        return round(100 * alert.clock.elapsed_seconds / max(alert.clock.target_seconds, 1))


def _mentions(alert: Alert) -> str:
    return " ".join(f"<@{user}>" for user in alert.mentions)


def _due(alert: Alert) -> datetime | None:
    return alert.clock.breached_at or alert.clock.due_at


def _when(alert: Alert, due: datetime, locale: str) -> str:
    """'due Mon 5 Jan 09:30 CET' (a warning) or 'breached …'."""
    _ = translator(locale).gettext
    at = local_time(due, alert.timezone, locale)
    return (_("due %(at)s") if alert.kind == "warning" else _("breached %(at)s")) % {"at": at}


# ---- one alert -----------------------------------------------------------------------------

def _title(alert: Alert, locale: str) -> str:
    _ = translator(locale).gettext
    what = {"warning": _("*SLA warning: %(key)s* — %(metric)s"),
            "breach": _("*SLA breached: %(key)s* — %(metric)s"),
            "escalation": _("*SLA breach not acknowledged: %(key)s* — %(metric)s")}.get(
        alert.kind, "*SLA: %(key)s* — %(metric)s")
    title = what % {"key": key_link(alert), "metric": metric_words(alert.metric, locale)}
    return f"{ICONS.get(alert.kind, '')} {title}"


def _due_field(alert: Alert, locale: str) -> str:
    _ = translator(locale).gettext
    due = _due(alert)
    if due is None:  # paused: no due time, only what is left
        left = alert.clock.target_seconds - alert.clock.elapsed_seconds
        return _("paused, %(left)s left") % {"left": spoken(timedelta(seconds=max(left, 0)), locale)}
    return _("%(at)s (%(slack_date)s your time)") % {
        "at": local_time(due, alert.timezone, locale), "slack_date": slack_date(due, alert.timezone, locale)}


def _fields(alert: Alert, locale: str) -> list[dict]:
    _ = translator(locale).gettext
    clock = alert.clock
    pairs = [(_("Priority"), escape(clock.priority) or "—"), (_("Vendor"), escape(alert.vendor_name) or "—"),
             (_("Metric"), metric_words(alert.metric, locale)),
             (_("Target"), _target(clock.target_seconds, locale)),
             (_("Elapsed"), spoken(timedelta(seconds=clock.elapsed_seconds), locale)),
             (_("Breached") if alert.kind != "warning" else _("Due"), _due_field(alert, locale))]
    return [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in pairs]


def _handoff(alert: Alert, locale: str) -> str:
    _ = translator(locale).gettext
    clock = alert.clock
    values = {"vendor": escape(alert.vendor_name) or _("the vendor"), "by": escape(clock.handoff_by),
              "at": local_time(clock.handoff_at, alert.timezone, locale)}
    if clock.handoff_by:
        return _("handed off to %(vendor)s %(at)s by %(by)s") % values
    return _("handed off to %(vendor)s %(at)s") % values


def _why(alert: Alert, locale: str) -> str:
    _ = translator(locale).gettext
    clock = alert.clock
    parts = [_("Policy *%(policy)s*") % {"policy": escape(clock.policy)},
             _("calendar *%(calendar)s*") % {"calendar": escape(clock.calendar)}]
    if clock.handoff_at is not None:  # a hand-off policy: the clock runs from the hand-off
        parts.append(_handoff(alert, locale))
    if clock.paused_seconds:
        parts.append(_("paused %(duration)s") % {"duration": spoken(timedelta(seconds=clock.paused_seconds), locale)})
    if clock.cycle > 1:
        parts.append(_("cycle %(cycle)d") % {"cycle": clock.cycle})
    return _("Why: %(reasons)s") % {"reasons": " · ".join(parts)}


def _headline(alert: Alert, locale: str) -> str:
    _ = translator(locale).gettext
    lines = [_title(alert, locale), escape(alert.clock.summary)]
    if alert.kind == "warning":
        lines.append(f"_{level_words(alert, locale)}_")
    if alert.kind == "escalation" and alert.clock.breached_at:
        ago = spoken(alert.at - alert.clock.breached_at, locale)
        lines.append(_("_Breached %(duration)s ago, not acknowledged._") % {"duration": ago})
    if alert.kind in ("breach", "escalation") and alert.mentions:
        lines.append(_mentions(alert))
    return "\n".join(line for line in lines if line)[:MAX_SECTION_CHARS]


def _buttons(alert: Alert, locale: str) -> dict:
    _ = translator(locale).gettext

    def button(label: str, action_id: str, **extra: str) -> dict:
        return {"type": "button", "text": {"type": "plain_text", "text": label},
                "action_id": action_id, "value": alert.key, **extra}

    return {"type": "actions", "block_id": f"breach:{alert.key}"[:255],
            "elements": [button(_("Acknowledge"), ACK_ACTION, style="primary"),
                         button(_("Excuse…"), EXCUSE_ACTION)]}


def _fallback(alert: Alert, locale: str) -> str:
    _ = translator(locale).gettext
    due = _due(alert)
    title = _title(alert, locale).replace("*", "")
    parts = [_("%(title)s: %(summary)s") % {"title": title, "summary": escape(alert.clock.summary)}]
    parts += [escape(alert.vendor_name)] if alert.vendor_name else []
    parts += [level_words(alert, locale)] if alert.kind in ("warning", "escalation") else []
    parts.append(_("target %(target)s") % {"target": _target(alert.clock.target_seconds, locale)})
    if due:
        parts.append(_when(alert, due, locale))
    mentions = _mentions(alert) if alert.kind in ("breach", "escalation") else ""
    return f"{' — '.join(parts)} {mentions}".strip()


def alert_message(alert: Alert, locale: str = EN) -> tuple[str, list[dict]]:
    """A warning, breach or escalation as (fallback text, blocks)."""
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": _headline(alert, locale)}},
        {"type": "section", "fields": _fields(alert, locale)},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _why(alert, locale)}]},
    ]
    if alert.kind == "breach":
        blocks.append(_buttons(alert, locale))
    return _fallback(alert, locale), blocks


def _reply(text: str) -> tuple[str, list[dict]]:
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text[:MAX_SECTION_CHARS]}}]


def resolved_late_reply(alert: Alert, locale: str = EN) -> tuple[str, list[dict]]:
    _ = translator(locale).gettext
    clock = alert.clock
    stopped = clock.stopped_at or alert.at
    late = stopped - clock.breached_at if clock.breached_at else None
    handed_away = clock.ended_by == "handaway"
    if late is not None:
        sentence = (_("%(key)s %(metric)s: Handed away %(late)s after the breach (%(at)s)") if handed_away
                    else _("%(key)s %(metric)s: Resolved %(late)s after the breach (%(at)s)"))
    else:
        sentence = (_("%(key)s %(metric)s: Handed away after the breach (%(at)s)") if handed_away
                    else _("%(key)s %(metric)s: Resolved after the breach (%(at)s)"))
    text = sentence % {"key": key_link(alert), "metric": metric_words(alert.metric, locale),
                       "late": spoken(late, locale) if late is not None else "",
                       "at": local_time(stopped, alert.timezone, locale)}
    return _reply(f"{ICONS['resolved_late']} {text}")


def acknowledged_reply(alert: Alert, locale: str = EN) -> tuple[str, list[dict]]:
    _ = translator(locale).gettext
    who = f"<@{alert.clock.acknowledged_by}>" if alert.clock.acknowledged_by else _("a manager")
    at = alert.clock.acknowledged_at or alert.at
    text = _("Acknowledged by %(who)s at %(at)s") % {"who": who, "at": local_time(at, alert.timezone, locale)}
    return _reply(f"{ICONS['acknowledged']} {text}")


# ---- many alerts ---------------------------------------------------------------------------

def _count(kind: str, count: int, locale: str) -> str:
    """'9 breaches', '1 warning' (ngettext: a language's own plural forms)."""
    ngettext = translator(locale).ngettext
    words = {"breach": ngettext("%(count)d breach", "%(count)d breaches", count),
             "escalation": ngettext("%(count)d escalation", "%(count)d escalations", count),
             "warning": ngettext("%(count)d warning", "%(count)d warnings", count),
             "resolved_late": ngettext("%(count)d late resolution", "%(count)d late resolutions", count),
             "acknowledged": ngettext("%(count)d acknowledgement", "%(count)d acknowledgements", count)}
    return words.get(kind, f"{count} {kind}") % {"count": count}


def digest_summary(alerts: list[Alert], locale: str = EN) -> str:
    """'12 SLA alerts: 9 breaches, 3 warnings'."""
    t = translator(locale)
    counts: dict[str, int] = {}
    for alert in sorted(alerts, key=lambda a: SEVERITY.get(a.kind, 9)):
        counts[alert.kind] = counts.get(alert.kind, 0) + 1
    kinds = t.pgettext("list separator", ", ").join(_count(kind, n, locale) for kind, n in counts.items())
    total = t.ngettext("%(count)d SLA alert: %(kinds)s", "%(count)d SLA alerts: %(kinds)s", len(alerts))
    return total % {"count": len(alerts), "kinds": kinds}


def digest_line(alert: Alert, locale: str = EN) -> str:
    """'• <link|KEY> first response — warning 80%, due Mon 5 Jan 09:30 CET'."""
    t = translator(locale)
    due = _due(alert)
    percent = i18n.format_percent(_warn_percent(alert) / 100, locale, digits=0)
    if alert.kind == "breach":
        level = ""
    elif alert.kind == "warning":
        level = t.gettext("warning %(percent)s") % {"percent": percent}
    else:
        level = level_words(alert, locale)
    when = _when(alert, due, locale) if due else ""
    details = t.pgettext("list separator", ", ").join(p for p in (level, when) if p)
    return f"• {key_link(alert)} {metric_words(alert.metric, locale)} — {details}"


def _sections(lines: Iterable[str]) -> list[dict]:
    """Lines packed into as few sections as the 3000-character limit allows."""
    chunks: list[str] = []
    for line in lines:
        line = line[:MAX_SECTION_CHARS]
        if chunks and len(chunks[-1]) + 1 + len(line) <= MAX_SECTION_CHARS:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": c}} for c in chunks]


def digest_message(alerts: list[Alert], locale: str = EN) -> tuple[str, list[dict]]:
    """Many alerts for one channel as one message: a count, then one line per alert, every one
    of them (up to DIGEST_MAX_ALERTS: scheduler/planning.py splits bigger storms)."""
    t = translator(locale)
    ordered = sorted(alerts, key=lambda a: (SEVERITY.get(a.kind, 9), _due(a) or a.at, a.ticket))
    summary = digest_summary(ordered, locale)
    shown, rest = ordered[:DIGEST_LINES], len(ordered) - DIGEST_LINES
    mentions = sorted({user for a in ordered if a.kind in ("breach", "escalation") for user in a.mentions})
    head = f":rotating_light: *{summary}*" + ("\n" + " ".join(f"<@{u}>" for u in mentions) if mentions else "")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": head[:MAX_SECTION_CHARS]}}]
    lines = _sections(digest_line(a, locale) for a in ordered)
    separator = t.pgettext("list separator", ", ")
    if len(lines) > MAX_BLOCKS - 1:  # long lines: the keys alone, still every one of them
        lines = _sections(separator.join(escape(a.ticket) for a in ordered[i:i + 100])
                          for i in range(0, len(ordered), 100))
    blocks += lines[: MAX_BLOCKS - 1]
    keys = separator.join(escape(a.ticket) for a in shown)
    if rest > 0:
        keys = t.gettext("%(keys)s and %(count)d more") % {"keys": keys, "count": rest}
    return f"{summary} — {keys}", blocks


def marked_message(blocks: list[dict] | None, note: str, buttons: Iterable[str] = ()) -> list[dict]:
    """An alert's blocks after a manager acted on it (chat.update): its buttons replaced by
    the ones whose action ids are in `buttons`, and `note` ("Acknowledged by <@U…>") added."""
    keep = set(buttons)
    out: list[dict] = []
    for block in blocks or []:
        if block.get("type") != "actions":
            out.append(block)
            continue
        elements = [e for e in block.get("elements", []) if e.get("action_id") in keep]
        if elements:
            out.append({**block, "elements": elements})
    note_block = {"type": "context", "elements": [{"type": "mrkdwn", "text": note[:MAX_SECTION_CHARS]}]}
    actions = [i for i, b in enumerate(out) if b.get("type") == "actions"]
    out.insert(actions[0] if actions else len(out), note_block)
    return out[:MAX_BLOCKS]
