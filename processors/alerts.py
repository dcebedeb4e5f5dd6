"""Alert planning: which Slack messages a set of clocks calls for at `now`. Pure.

INTERFACE CONTRACT (the Slack renderers, the outbox and the scheduler rely on these names):

    alerts = plan_alerts(clocks: Iterable[ClockView], rules, now, jira_url=None) -> list[Alert]
    groups = group_for_digest(alerts, digest_over) -> list[list[Alert]]   # one list per message

Every Alert has a unique `key` — (ticket, metric, cycle, level) — which the outbox stores with a
UNIQUE constraint, so planning the same alert twice (two schedulers, a replayed tick, a webhook
recompute) never produces a second message. Follow-ups (acknowledged, resolved after breach)
name the key of the message they reply to in `thread_key`, and go in that message's thread.

    plan = plan(clocks, rules, now, jira_url=None) -> Plan(alerts, unroutable)
    alert = acknowledged_alert(clock, rules, by, at, jira_url=None) -> Alert | None
    at = next_look(clock, rules, now) -> datetime | None   # when the planner must look again

`plan_alerts` is `plan(...).alerts`; `plan` also names the keys of the alerts that no channel
could be found for (`Plan.unroutable`), for the caller to count and log, and — when rules.yaml
turns on `jira.write_back` — what to write on the breached Jira issues (`Plan.jira`): a label
and/or a comment per breach, keyed `jira:{ticket}:{metric}:{cycle}:label` / `:comment`
(connectors/jira_writeback.py sends them). Slack alerts do not depend on write-back.

What the state of a clock calls for at `now` (the planner returns all of it on every tick; the
outbox drops what it already holds):
- "warning" (level warn-50, warn-80, ...): each warning instant reached (<= now), while the clock
  is neither breached nor stopped. Top-level message.
- "breach": once the clock breached (<= now), also when it stopped later (a late answer is still
  a breach). Top-level message; the vendor's managers are mentioned.
- "escalation": when `alerts.escalation_channel` and `alerts.escalate_after` are set, the breach
  happened `escalate_after` ago or more, and nobody acknowledged it or resolved the ticket by then.
  Top-level message in the escalation channel; the managers are mentioned.
- "resolved_late": the clock stopped after breaching. A reply in the breach's thread.
A clock counts as breached at `breached_at`, or — for a running clock read from a row computed
before its due time — at `due_at` once that has passed (nothing changed since the row was
computed, or it would have been recomputed, so the target was reached at due_at).

Routing: the vendor's channel (rules.vendors by id), else `alerts.channel`; neither: unroutable.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Iterable, Literal

from processors import i18n
from processors.rules import Rules, Vendor, format_duration

AlertKind = Literal["warning", "breach", "escalation", "resolved_late", "acknowledged"]


@dataclass(frozen=True)
class ClockView:
    """What the planner needs to know of one stored clock and its ticket (a row of `clocks`
    joined with `tickets`, plus the calendar's time zone)."""

    ticket: str
    metric: str
    cycle: int
    state: str  # running | paused | stopped
    target_seconds: int
    elapsed_seconds: int
    paused_seconds: int
    started_at: datetime
    stopped_at: datetime | None
    due_at: datetime | None
    breached_at: datetime | None
    warnings: tuple[tuple[float, datetime | None], ...]  # (fraction, instant reached or projected)
    policy: str
    calendar: str
    summary: str | None
    priority: str | None
    status: str | None
    vendor: str | None  # vendor id
    acknowledged_by: str | None = None  # Slack user id, once a manager acknowledged the breach
    acknowledged_at: datetime | None = None
    ended_by: str | None = None  # stopped clocks: response | resolution | handaway
    handoff_at: datetime | None = None  # hand-off policies: when the ticket was handed to the vendor
    handoff_by: str | None = None  # ... and who handed it off


@dataclass(frozen=True)
class Alert:
    key: str  # unique: f"alert:{ticket}:{metric}:{cycle}:{level}"
    kind: AlertKind
    level: str  # "warn-50", "breach", "escalation", "resolved-late", "ack"
    channel: str
    ticket: str
    metric: str
    cycle: int
    at: datetime  # the instant the alert is about (warning reached, breach, resolution)
    mentions: tuple[str, ...]  # Slack user ids to mention (managers on breach and escalation)
    thread_key: str | None  # key of the message this one replies to, if any
    clock: ClockView  # everything a renderer shows: target, elapsed, due, policy, calendar, paused
    vendor_name: str | None
    timezone: str  # the calendar's IANA zone, for showing due times
    link: str | None  # JIRA_URL/browse/KEY when JIRA_URL is set


@dataclass(frozen=True)
class JiraEffect:
    """Something to write on a Jira issue because one of its clocks breached."""

    key: str  # unique: f"jira:{ticket}:{metric}:{cycle}:{action}"
    action: Literal["label", "comment"]
    ticket: str
    metric: str
    cycle: int
    at: datetime  # the breach
    text: str  # the label, or the comment's text (connectors/jira_writeback.py adds its marker)


@dataclass(frozen=True)
class Plan:
    alerts: tuple[Alert, ...]  # in clock order; per clock in time order
    unroutable: tuple[str, ...]  # keys of alerts due that have no channel (no vendor channel, no alerts.channel)
    jira: tuple[JiraEffect, ...] = ()  # write-back on breached issues (rules: jira.write_back)


def plan_alerts(clocks: Iterable[ClockView], rules: Rules, now: datetime,
                jira_url: str | None = None) -> list[Alert]:
    """Every alert the clocks call for at `now` (see the module docstring)."""
    return list(plan(clocks, rules, now, jira_url).alerts)


def plan(clocks: Iterable[ClockView], rules: Rules, now: datetime,
         jira_url: str | None = None) -> Plan:
    """`plan_alerts`, plus the keys of the alerts that could not be routed to any channel."""
    alerts: list[Alert] = []
    unroutable: list[str] = []
    jira: list[JiraEffect] = []
    for clock in clocks:
        for alert in _clock_alerts(clock, rules, now, jira_url):
            if alert.channel:
                alerts.append(alert)
            else:
                unroutable.append(alert.key)
        jira += jira_effects(clock, rules, now)
    return Plan(tuple(alerts), tuple(unroutable), tuple(jira))


def jira_effects(clock: ClockView, rules: Rules, now: datetime) -> list[JiraEffect]:
    """The label and/or comment `jira.write_back` asks for once the clock breached; [] if off."""
    write_back = rules.jira_write_back
    breached_at = _breached_at(clock, now) if write_back.enabled else None
    if breached_at is None:
        return []
    base = f"jira:{clock.ticket}:{clock.metric}:{clock.cycle}"
    out = []
    if write_back.label is not None:
        out.append(JiraEffect(f"{base}:label", "label", clock.ticket, clock.metric, clock.cycle,
                              breached_at, write_back.label))
    if write_back.comment:
        out.append(JiraEffect(f"{base}:comment", "comment", clock.ticket, clock.metric,
                              clock.cycle, breached_at,
                              breach_comment(clock, rules, breached_at, rules.locale_for(clock.vendor))))
    return out


def breach_comment(clock: ClockView, rules: Rules, breached_at: datetime, locale: str = "en") -> str:
    """The comment's text in the vendor's language, e.g. `SLA breached: resolution (target 8h
    business time, policy urgent) at 2026-11-24 10:00 UTC. — Slawatch` (plain text reads the same
    in wiki markup)."""
    _ = i18n.translator(locale).gettext
    spec = rules.calendar_specs.get(clock.calendar)
    always_open = spec is not None and spec.always_open
    english = locale == "en"
    delta = timedelta(seconds=clock.target_seconds)
    metric = {"first_response": _("first response"), "resolution": _("resolution"),
              "next_response": _("next response"), "periodic_update": _("periodic update")}.get(clock.metric)
    values = {"metric": metric or clock.metric.replace("_", " "), "policy": clock.policy,
              "target": format_duration(delta) if english else i18n.format_duration(delta, locale),
              "at": (breached_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M") if english
                     else i18n.format_datetime(breached_at, locale, "UTC", "short"))}
    if always_open:
        return _("SLA breached: %(metric)s (target %(target)s, policy %(policy)s) at %(at)s UTC. — Slawatch") % values
    return _("SLA breached: %(metric)s (target %(target)s business time, policy %(policy)s) at %(at)s UTC. "
             "— Slawatch") % values


def acknowledged_alert(clock: ClockView, rules: Rules, by: str, at: datetime,
                       jira_url: str | None = None) -> Alert | None:
    """The reply in the breach's thread saying `by` acknowledged it at `at` (the alert's clock
    carries acknowledged_by/acknowledged_at); None when the clock's alerts have no channel."""
    clock = replace(clock, acknowledged_by=by, acknowledged_at=at)
    vendor = _vendor(clock, rules)
    alert = _alert(clock, rules, jira_url, "acknowledged", "ack", at,
                   channel=_channel(vendor, rules), thread_key=_key(clock, "breach"))
    return alert if alert.channel else None


def group_for_digest(alerts: Iterable[Alert], digest_over: int) -> list[list[Alert]]:
    """One list per Slack message. A channel with more than `digest_over` top-level alerts gets
    them all in one digest (placed where its first one was); otherwise one message per alert.
    Thread replies are never folded into a digest. Give it the alerts that are new in this tick."""
    alerts = list(alerts)
    top_level: dict[str, int] = {}
    for alert in alerts:
        if alert.thread_key is None:
            top_level[alert.channel] = top_level.get(alert.channel, 0) + 1
    groups: list[list[Alert]] = []
    digests: dict[str, list[Alert]] = {}
    for alert in alerts:
        if alert.thread_key is not None or top_level[alert.channel] <= digest_over:
            groups.append([alert])
        elif alert.channel in digests:
            digests[alert.channel].append(alert)
        else:
            digests[alert.channel] = [alert]
            groups.append(digests[alert.channel])
    return groups


def next_look(clock: ClockView, rules: Rules, after: datetime) -> datetime | None:
    """The first instant after `after` at which the clock, unchanged, may call for an alert it
    did not call for at `after` (a warning, the breach, Jira write-back, the escalation); None if
    none will come before the clock changes (a recompute looks again). The scheduler stores it
    in `clocks.plan_at` and looks at a clock only when that instant has come (store/alerting.py)."""
    breached_at = clock.breached_at
    if breached_at is None and clock.state == "running":
        breached_at = clock.due_at
    instants: list[datetime] = []
    if clock.state != "stopped":
        instants += [at for _, at in clock.warnings if at is not None]
    if breached_at is not None:
        instants.append(breached_at)
        if rules.alerts.escalate_after is not None and rules.alerts.escalation_channel:
            instants.append(breached_at + rules.alerts.escalate_after)
    return min((at for at in instants if at > after), default=None)


# ---- one clock -----------------------------------------------------------------------------

def _clock_alerts(clock: ClockView, rules: Rules, now: datetime,
                  jira_url: str | None) -> list[Alert]:
    """The clock's alerts in time order; channel "" where it has none."""
    vendor = _vendor(clock, rules)
    channel = _channel(vendor, rules)
    managers = vendor.managers if vendor else ()
    breached_at = _breached_at(clock, now)
    out: list[Alert] = []
    if breached_at is None and clock.state != "stopped":
        for fraction, reached_at in clock.warnings:
            if reached_at is not None and reached_at <= now:
                out.append(_alert(clock, rules, jira_url, "warning",
                                  f"warn-{round(fraction * 100)}", reached_at, channel=channel))
    if breached_at is None:
        return out
    out.append(_alert(clock, rules, jira_url, "breach", "breach", breached_at, channel=channel,
                      mentions=managers))
    escalate_at = _escalation_at(clock, rules, breached_at, now)
    if escalate_at is not None:
        out.append(_alert(clock, rules, jira_url, "escalation", "escalation", escalate_at,
                          channel=rules.alerts.escalation_channel or "", mentions=managers))
    if clock.state == "stopped" and clock.stopped_at is not None:
        out.append(_alert(clock, rules, jira_url, "resolved_late", "resolved-late",
                          clock.stopped_at, channel=channel, thread_key=_key(clock, "breach")))
    return out


def _breached_at(clock: ClockView, now: datetime) -> datetime | None:
    if clock.breached_at is not None:
        return clock.breached_at if clock.breached_at <= now else None
    if clock.state == "running" and clock.due_at is not None and clock.due_at <= now:
        return clock.due_at
    return None


def _escalation_at(clock: ClockView, rules: Rules, breached_at: datetime,
                   now: datetime) -> datetime | None:
    """When the breach is escalated, if it is by `now`: not acknowledged, nor resolved, by then."""
    after, channel = rules.alerts.escalate_after, rules.alerts.escalation_channel
    if after is None or not channel:
        return None
    escalate_at = breached_at + after
    if escalate_at > now:
        return None
    if clock.acknowledged_at is not None and clock.acknowledged_at <= escalate_at:
        return None
    if clock.stopped_at is not None and clock.stopped_at <= escalate_at:
        return None
    return escalate_at


def _vendor(clock: ClockView, rules: Rules) -> Vendor | None:
    return next((v for v in rules.vendors if v.id == clock.vendor), None)


def _channel(vendor: Vendor | None, rules: Rules) -> str:
    return (vendor.channel if vendor else None) or rules.alerts.channel or ""


def _key(clock: ClockView, level: str) -> str:
    return f"alert:{clock.ticket}:{clock.metric}:{clock.cycle}:{level}"


def _alert(clock: ClockView, rules: Rules, jira_url: str | None, kind: AlertKind, level: str,
           at: datetime, *, channel: str, mentions: tuple[str, ...] = (),
           thread_key: str | None = None) -> Alert:
    vendor = _vendor(clock, rules)
    spec = rules.calendar_specs.get(clock.calendar)
    return Alert(
        key=_key(clock, level), kind=kind, level=level, channel=channel, ticket=clock.ticket,
        metric=clock.metric, cycle=clock.cycle, at=at, mentions=tuple(mentions),
        thread_key=thread_key, clock=clock,
        vendor_name=vendor.name if vendor else clock.vendor,
        timezone=spec.timezone if spec else "UTC",
        link=f"{jira_url.rstrip('/')}/browse/{clock.ticket}" if jira_url else None,
    )
