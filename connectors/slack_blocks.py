"""Block Kit for alerts: pure functions from `Alert`s to `(text, blocks)`.

    text, blocks = alert_message(alert)          # warning, breach, escalation
    text, blocks = resolved_late_reply(alert)    # thread reply: resolved N after the breach
    text, blocks = acknowledged_reply(alert)     # thread reply: acknowledged by <@U…> at …
    text, blocks = digest_message(alerts)        # one message for an alert storm in one channel

`text` is the plain fallback Slack shows in notifications and to clients without blocks; it
carries the essentials (key, metric, level, due). Text from Jira or Slack (keys, summaries,
names) is escaped for mrkdwn by `escape`; a key links to Jira only if it is a Jira key. Buttons on a breach: action_id `ack_breach` and `excuse_breach`, value the
alert key. Limits kept: ≤ 50 blocks, ≤ 3000 characters per section text, ≤ 10 fields.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable
from zoneinfo import ZoneInfo

from connectors.input_checks import is_issue_key
from processors.alerts import Alert
from processors.rules import format_duration

ACK_ACTION = "ack_breach"
EXCUSE_ACTION = "excuse_breach"
MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
DIGEST_LINES = 40  # keys named in a digest's fallback text (its blocks list every alert)
DIGEST_MAX_ALERTS = 1000  # alerts per digest message: a bigger storm is posted as several digests
METRIC_WORDS = {"first_response": "first response", "resolution": "resolution"}
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


def metric_words(metric: str) -> str:
    return METRIC_WORDS.get(metric, metric.replace("_", " "))


def spoken(td: timedelta) -> str:
    """timedelta -> '1h 12m' (format_duration with spaces)."""
    text = format_duration(td)
    return "".join(c if not (c.isdigit() and i and text[i - 1].isalpha()) else " " + c
                   for i, c in enumerate(text))


def local_time(at: datetime, zone: str) -> str:
    """'Mon 5 Jan 09:30 CET' in the calendar's zone."""
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %H:%M} {local.tzname()}"


def slack_date(at: datetime, zone: str) -> str:
    """Slack's date token (shown in each reader's own zone), falling back to the calendar's."""
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{local_time(at, zone)}>"


def key_link(alert: Alert) -> str:
    """The issue key, linked to Jira only when it is a Jira key (connectors/input_checks.py)."""
    key = escape(alert.ticket)
    return f"<{alert.link}|{key}>" if alert.link and is_issue_key(alert.ticket) else key


def level_words(alert: Alert) -> str:
    if alert.kind == "warning":
        return f"{_warn_percent(alert)}% of the target used"
    return {"breach": "breached", "escalation": "not acknowledged",
            "resolved_late": "resolved late", "acknowledged": "acknowledged"}.get(alert.kind, alert.level)


def _warn_percent(alert: Alert) -> int:
    try:
        return int(alert.level.rsplit("-", 1)[-1])
    except ValueError:
        return round(100 * alert.clock.elapsed_seconds / max(alert.clock.target_seconds, 1))


def _mentions(alert: Alert) -> str:
    return " ".join(f"<@{user}>" for user in alert.mentions)


def _due(alert: Alert) -> datetime | None:
    return alert.clock.breached_at or alert.clock.due_at


# ---- one alert -----------------------------------------------------------------------------

def _title(alert: Alert) -> str:
    what = {"warning": "SLA warning", "breach": "SLA breached",
            "escalation": "SLA breach not acknowledged"}.get(alert.kind, "SLA")
    return f"{ICONS.get(alert.kind, '')} *{what}: {key_link(alert)}* — {metric_words(alert.metric)}"


def _due_field(alert: Alert) -> str:
    due = _due(alert)
    if due is None:  # paused: no due time, only what is left
        left = alert.clock.target_seconds - alert.clock.elapsed_seconds
        return f"paused, {spoken(timedelta(seconds=max(left, 0)))} left"
    return f"{local_time(due, alert.timezone)} ({slack_date(due, alert.timezone)} your time)"


def _fields(alert: Alert) -> list[dict]:
    clock = alert.clock
    pairs = [("Priority", escape(clock.priority) or "—"), ("Vendor", escape(alert.vendor_name) or "—"),
             ("Metric", metric_words(alert.metric)),
             ("Target", format_duration(timedelta(seconds=clock.target_seconds))),
             ("Elapsed", spoken(timedelta(seconds=clock.elapsed_seconds))),
             ("Breached" if alert.kind != "warning" else "Due", _due_field(alert))]
    return [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in pairs]


def _why(alert: Alert) -> str:
    clock = alert.clock
    parts = [f"Policy *{escape(clock.policy)}*", f"calendar *{escape(clock.calendar)}*"]
    if clock.handoff_at is not None:  # a hand-off policy: the clock runs from the hand-off
        by = f" by {escape(clock.handoff_by)}" if clock.handoff_by else ""
        parts.append(f"handed off to {escape(alert.vendor_name) or 'the vendor'} "
                     f"{local_time(clock.handoff_at, alert.timezone)}{by}")
    if clock.paused_seconds:
        parts.append(f"paused {spoken(timedelta(seconds=clock.paused_seconds))}")
    if clock.cycle > 1:
        parts.append(f"cycle {clock.cycle}")
    return "Why: " + " · ".join(parts)


def _headline(alert: Alert) -> str:
    lines = [_title(alert), escape(alert.clock.summary)]
    if alert.kind == "warning":
        lines.append(f"_{level_words(alert)}_")
    if alert.kind == "escalation" and alert.clock.breached_at:
        lines.append(f"_Breached {spoken(alert.at - alert.clock.breached_at)} ago, not acknowledged._")
    if alert.kind in ("breach", "escalation") and alert.mentions:
        lines.append(_mentions(alert))
    return "\n".join(line for line in lines if line)[:MAX_SECTION_CHARS]


def _buttons(alert: Alert) -> dict:
    def button(label: str, action_id: str, **extra: str) -> dict:
        return {"type": "button", "text": {"type": "plain_text", "text": label},
                "action_id": action_id, "value": alert.key, **extra}

    return {"type": "actions", "block_id": f"breach:{alert.key}"[:255],
            "elements": [button("Acknowledge", ACK_ACTION, style="primary"),
                         button("Excuse…", EXCUSE_ACTION)]}


def _fallback(alert: Alert) -> str:
    due = _due(alert)
    target = format_duration(timedelta(seconds=alert.clock.target_seconds))
    parts = [f"{_title(alert).replace('*', '')}: {escape(alert.clock.summary)}"]
    parts += [escape(alert.vendor_name)] if alert.vendor_name else []
    parts += [level_words(alert)] if alert.kind in ("warning", "escalation") else []
    parts.append(f"target {target}")
    if due:
        parts.append(f"{'due' if alert.kind == 'warning' else 'breached'} {local_time(due, alert.timezone)}")
    mentions = _mentions(alert) if alert.kind in ("breach", "escalation") else ""
    return f"{' — '.join(parts)} {mentions}".strip()


def alert_message(alert: Alert) -> tuple[str, list[dict]]:
    """A warning, breach or escalation as (fallback text, blocks)."""
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": _headline(alert)}},
        {"type": "section", "fields": _fields(alert)},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _why(alert)}]},
    ]
    if alert.kind == "breach":
        blocks.append(_buttons(alert))
    return _fallback(alert), blocks


def _reply(text: str) -> tuple[str, list[dict]]:
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text[:MAX_SECTION_CHARS]}}]


def resolved_late_reply(alert: Alert) -> tuple[str, list[dict]]:
    clock = alert.clock
    stopped = clock.stopped_at or alert.at
    late = stopped - clock.breached_at if clock.breached_at else None
    by = f" {spoken(late)} after the breach" if late is not None else " after the breach"
    ended = "Handed away" if clock.ended_by == "handaway" else "Resolved"
    return _reply(f"{ICONS['resolved_late']} {key_link(alert)} {metric_words(alert.metric)}: "
                  f"{ended}{by} ({local_time(stopped, alert.timezone)})")


def acknowledged_reply(alert: Alert) -> tuple[str, list[dict]]:
    who = f"<@{alert.clock.acknowledged_by}>" if alert.clock.acknowledged_by else "a manager"
    at = alert.clock.acknowledged_at or alert.at
    return _reply(f"{ICONS['acknowledged']} Acknowledged by {who} at {local_time(at, alert.timezone)}")


# ---- many alerts ---------------------------------------------------------------------------

def _plural(count: int, word: str) -> str:
    plural = {"breach": "breaches", "escalation": "escalations"}.get(word, word + "s")
    return f"{count} {word if count == 1 else plural}"


def digest_summary(alerts: list[Alert]) -> str:
    """'12 SLA alerts: 9 breaches, 3 warnings'."""
    counts: dict[str, int] = {}
    for alert in sorted(alerts, key=lambda a: SEVERITY.get(a.kind, 9)):
        word = {"resolved_late": "late resolution", "acknowledged": "acknowledgement"}.get(alert.kind, alert.kind)
        counts[word] = counts.get(word, 0) + 1
    kinds = ", ".join(_plural(n, word) for word, n in counts.items())
    return f"{_plural(len(alerts), 'SLA alert')}: {kinds}"


def digest_line(alert: Alert) -> str:
    """'• <link|KEY> first response — warning 80%, due Mon 5 Jan 09:30 CET'."""
    due = _due(alert)
    level = {"warning": f"warning {_warn_percent(alert)}%", "breach": "",
             "escalation": "not acknowledged"}.get(alert.kind, level_words(alert))
    when = f"{'due' if alert.kind == 'warning' else 'breached'} {local_time(due, alert.timezone)}" if due else ""
    return f"• {key_link(alert)} {metric_words(alert.metric)} — " + ", ".join(p for p in (level, when) if p)


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


def digest_message(alerts: list[Alert]) -> tuple[str, list[dict]]:
    """Many alerts for one channel as one message: a count, then one line per alert, every one
    of them (up to DIGEST_MAX_ALERTS: scheduler/planning.py splits bigger storms)."""
    ordered = sorted(alerts, key=lambda a: (SEVERITY.get(a.kind, 9), _due(a) or a.at, a.ticket))
    summary = digest_summary(ordered)
    shown, rest = ordered[:DIGEST_LINES], len(ordered) - DIGEST_LINES
    mentions = sorted({user for a in ordered if a.kind in ("breach", "escalation") for user in a.mentions})
    head = f":rotating_light: *{summary}*" + ("\n" + " ".join(f"<@{u}>" for u in mentions) if mentions else "")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": head[:MAX_SECTION_CHARS]}}]
    lines = _sections(digest_line(a) for a in ordered)
    if len(lines) > MAX_BLOCKS - 1:  # long lines: the keys alone, still every one of them
        lines = _sections(", ".join(escape(a.ticket) for a in ordered[i:i + 100])
                          for i in range(0, len(ordered), 100))
    blocks += lines[: MAX_BLOCKS - 1]
    keys = ", ".join(escape(a.ticket) for a in shown) + (f" and {rest} more" if rest > 0 else "")
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
