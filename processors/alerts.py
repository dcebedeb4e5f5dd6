"""Alert planning: which Slack messages a set of clocks calls for at `now`. Pure.

INTERFACE CONTRACT (the Slack renderers, the outbox and the scheduler rely on these names):

    alerts = plan_alerts(clocks: Iterable[ClockView], rules, now, jira_url=None) -> list[Alert]
    groups = group_for_digest(alerts, digest_over) -> list[list[Alert]]   # one list per message

Every Alert has a unique `key` — (ticket, metric, cycle, level) — which the outbox stores with a
UNIQUE constraint, so planning the same alert twice (two schedulers, a replayed tick, a webhook
recompute) never produces a second message. Follow-ups (acknowledged, resolved after breach)
name the key of the message they reply to in `thread_key`, and go in that message's thread.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

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
