"""SLA clocks: a pure function of a ticket's events, the rules and `now`.

INTERFACE CONTRACT:

    state = evaluate(events, rules, now)   # -> TicketState, or None when there is no `created`
                                           #    event at or before `now` (nothing to judge yet)
    ticket_json(state) -> dict             # the `slawatch replay` / `GET /api/tickets/KEY` shape
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Literal, Mapping

from processors.events import TicketEvent, format_instant
from processors.rules import Rules

ClockState = Literal["running", "paused", "stopped"]


@dataclass(frozen=True)
class Warning:
    fraction: float  # e.g. 0.5 for "50%"
    at: datetime | None  # instant elapsed reaches fraction * target (projected while running; None while paused and not yet reached)


@dataclass(frozen=True)
class Clock:
    metric: str  # "first_response" | "resolution"
    cycle: int  # 1, 2, ... (resolution starts a new cycle on every reopen)
    state: ClockState
    target: timedelta
    elapsed: timedelta  # business time, pauses excluded, up to stop or now
    started_at: datetime
    stopped_at: datetime | None
    due_at: datetime | None  # None while paused
    breached_at: datetime | None  # instant elapsed reached the target (None if it has not)
    paused_for: timedelta  # business time lost to pauses
    calendar: str
    policy: str
    warnings: tuple[Warning, ...] = ()

    @property
    def breached(self) -> bool:
        return self.breached_at is not None

    @property
    def remaining(self) -> timedelta:
        return self.target - self.elapsed

    @property
    def next_warning_at(self) -> datetime | None:
        """The earliest warning instant still ahead of (or at) the breach; None if none/paused."""
        ...


@dataclass(frozen=True)
class TicketState:
    key: str
    policy: str | None
    vendor: str | None
    status: str | None
    facts: Mapping[str, Any]  # current ticket facts (project, summary, priority, reporter, ...)
    clocks: tuple[Clock, ...]
    created_at: datetime
    deleted: bool = False


def evaluate(events: Iterable[TicketEvent], rules: Rules, now: datetime) -> TicketState | None:
    raise NotImplementedError


def ticket_json(state: TicketState) -> dict[str, Any]:
    raise NotImplementedError
