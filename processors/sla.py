"""SLA clocks: a pure function of a ticket's events, the rules and `now`.

    state = evaluate(events, rules, now)   # -> TicketState, or None when there is no `created`
                                           #    event at or before `now` (nothing to judge yet)
    ticket_json(state) -> dict             # the `slawatch replay` / `GET /api/tickets/KEY` shape

How a ticket is judged (docs/rules.md describes it for admins):
- The events are deduplicated by `dedup_key`, those after `now` dropped, and folded in time order;
  all events of one instant are applied together. After each instant the ticket has a state:
  its facts, the policy that matches them (re-selected every time), whether its status is one of
  that policy's pause statuses, and whether it is resolved (status category done, or a
  resolution set).
- Between two instants that state holds: a *segment*. A clock counts business time on the
  segments between its start and its stop that are not paused, each on the calendar of the policy
  in force during it; the target is the current policy's.
- `first_response` starts at creation and stops at the first response (see `_is_response`) or at
  resolution; `resolution` starts at creation, stops when the ticket becomes resolved, and a
  reopen starts a new cycle.
- `measure: handoff` policies, and the metrics next_response and periodic_update, take their
  cycles from processors/sla_cycles.py (episodes per vendor, staff-only answers); each clock says
  how it ended (`ended_by`) and, for hand-off clocks, when and by whom the ticket was handed off.
- due_at / breached_at / warnings are the instants the counted time reaches the target (or a
  fraction of it); for a running clock the current segment is extended into the future.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any, Iterable, Literal, Mapping, NamedTuple

from processors.calendar import Calendar
from processors import sla_cycles as cyc
from processors.events import EventKind, Person, TicketEvent, format_instant
from processors.rules import ALL_METRICS, METRICS, Policy, Rules

ClockState = Literal["running", "paused", "stopped"]


@dataclass(frozen=True)
class WarningLevel:
    fraction: float  # e.g. 0.5 for "50%"
    at: datetime | None  # when elapsed reaches fraction * target (projected while running; None if not reached and paused/stopped)


@dataclass(frozen=True)
class Clock:
    metric: str  # "first_response" | "resolution" | "next_response" | "periodic_update"
    cycle: int  # 1, 2, ... per metric in time order (a reopen, an episode, a reply starts one)
    state: ClockState
    target: timedelta
    elapsed: timedelta  # business time, pauses excluded, up to stop or now
    started_at: datetime
    stopped_at: datetime | None
    due_at: datetime | None  # None while paused
    breached_at: datetime | None  # instant elapsed reached the target, if it did before stop/now
    paused_for: timedelta  # business time that fell into pauses
    calendar: str
    policy: str
    vendor: str | None  # vendor at the time the clock stopped (or now); hand-off: the episode's
    evaluated_at: datetime
    warnings: tuple[WarningLevel, ...] = ()
    ended_by: str | None = None  # stopped clocks: "response", "resolution" or "handaway"
    measure: str = "ticket"  # the policy's measure: "ticket" or "handoff"
    handoff_at: datetime | None = None  # hand-off clocks: the instant the episode began
    handoff_by: str | None = None  # ... and who made the hand-off (the event's actor)

    @property
    def breached(self) -> bool:
        return self.breached_at is not None

    @property
    def remaining(self) -> timedelta:
        return self.target - self.elapsed

    @property
    def next_warning_at(self) -> datetime | None:
        """Earliest warning instant after the evaluation instant, for a clock still open."""
        if self.state == "stopped":
            return None
        ahead = [w.at for w in self.warnings if w.at is not None and w.at > self.evaluated_at]
        return min(ahead, default=None)


@dataclass(frozen=True)
class TicketState:
    key: str
    policy: str | None
    vendor: str | None
    status: str | None
    facts: Mapping[str, Any]  # current ticket facts (project, summary, priority, reporter, ...)
    clocks: tuple[Clock, ...]
    created_at: datetime
    evaluated_at: datetime
    deleted: bool = False


@dataclass(frozen=True)
class _Segment:
    """The ticket's state from `start` until the next segment's start."""

    start: datetime
    policy: Policy | None
    vendor: str | None
    paused: bool
    resolved: bool


class _Piece(NamedTuple):
    """A stretch of wall-clock time in which a clock counts (or is paused), on one calendar
    (a tuple: clocks make many of them)."""

    start: datetime
    end: datetime | None  # None: open-ended (a running clock, extended into the future)
    calendar: Calendar
    length: timedelta | None = None  # business time in it; None when open-ended

    @classmethod
    def of(cls, start: datetime, end: datetime | None, calendar: Calendar) -> "_Piece":
        return cls(start, end, calendar, None if end is None else calendar.elapsed(start, end))


@dataclass
class _History:
    """What folding the events taught us."""

    key: str
    facts: dict[str, Any]
    created_at: datetime
    segments: list[_Segment]
    first_response_at: datetime | None
    deleted: bool
    moments: list[cyc.Moment] = field(default_factory=list)
    first_response_by: str | None = None  # "response" or "resolution"

    @property
    def starts(self) -> list[datetime]:
        """The segments' starts, for bisecting (computed once: the segments are final by then)."""
        if len(self._starts) != len(self.segments):
            self._starts = [s.start for s in self.segments]
        return self._starts

    _starts: list[datetime] = field(default_factory=list)


def evaluate(events: Iterable[TicketEvent], rules: Rules, now: datetime) -> TicketState | None:
    history = _fold(_ordered(events, now), rules)
    if history is None:
        return None
    policy = rules.select_policy(history.facts)
    vendor = rules.select_vendor(history.facts)
    clocks: tuple[Clock, ...] = ()
    if policy is not None and not history.deleted:
        clocks = tuple(_clocks(history, policy, rules, now))
    return TicketState(
        key=history.key, policy=policy.name if policy else None,
        vendor=vendor.id if vendor else None, status=history.facts.get("status"),
        facts=dict(history.facts), clocks=clocks, created_at=history.created_at,
        evaluated_at=now, deleted=history.deleted,
    )


def _ordered(events: Iterable[TicketEvent], now: datetime) -> list[TicketEvent]:
    unique = {e.dedup_key: e for e in events if e.at <= now}
    return sorted(unique.values(), key=TicketEvent.sort_key)


def _fold(events: list[TicketEvent], rules: Rules) -> _History | None:
    created = next((e for e in events if e.kind is EventKind.CREATED), None)
    if created is None:
        return None
    facts: dict[str, Any] = {}
    history = _History(created.ticket, facts, created.at, [], None, False)
    initial_status = created.facts.get("status")
    keep_moments = _needs_moments(rules)
    for at, group in groupby(events, key=lambda e: e.at):
        group = list(group)
        for event in group:
            _apply_facts(facts, event)
            history.deleted = history.deleted or event.kind is EventKind.DELETED
        judged = _judge(facts, rules)
        segment = _Segment(at, *judged)
        responded = any(_is_response(e, facts, initial_status) for e in group)
        if at >= history.created_at and history.first_response_at is None and (responded or segment.resolved):
            history.first_response_at = at
            history.first_response_by = cyc.RESPONSE if responded else cyc.RESOLUTION
        if keep_moments:
            reporter = facts.get("reporter")
            history.moments.append(cyc.Moment(at, tuple(group), reporter if isinstance(reporter, Person) else None,
                                              segment.vendor, segment.resolved))
        previous = history.segments[-1] if history.segments else None
        if previous is None or (previous.policy, previous.vendor, previous.paused, previous.resolved) != judged:
            history.segments.append(segment)
    return history


def _needs_moments(rules: Rules) -> bool:
    """Whether any policy needs the instant-by-instant record (hand-off or communication clocks)."""
    return any(p.measure == "handoff" or len(p.metrics.keys() - METRICS) for p in rules.policies)


def _apply_facts(facts: dict[str, Any], event: TicketEvent) -> None:
    facts.update(event.facts)
    if "status" in event.facts and "status_category" not in event.facts:
        facts["status_category"] = None  # a new status whose category the payload did not say
    if event.kind is EventKind.RESOLVED and "resolution" not in event.facts:
        facts["resolution"] = event.to_value or "Resolved"
    elif event.kind is EventKind.REOPENED and "resolution" not in event.facts:
        facts["resolution"] = None
    elif event.kind is EventKind.STATUS_CHANGED and "status" not in event.facts:
        facts["status"] = event.to_value
        facts["status_category"] = None
    elif event.kind is EventKind.PRIORITY_CHANGED and "priority" not in event.facts:
        facts["priority"] = event.to_value


def _judge(facts: Mapping[str, Any], rules: Rules) -> tuple[Policy | None, str | None, bool, bool]:
    """What the rules say of a ticket with these facts: policy, vendor, paused, resolved."""
    policy = rules.select_policy(facts)
    vendor = rules.select_vendor(facts)
    status = (facts.get("status") or "").casefold()
    paused = policy is not None and status in policy.pause_statuses
    return policy, vendor.id if vendor else None, paused, _is_resolved(facts, rules)


def _is_resolved(facts: Mapping[str, Any], rules: Rules) -> bool:
    if facts.get("resolution"):
        return True
    category = facts.get("status_category")
    if category:
        return category == "done"
    return (facts.get("status") or "").casefold() in rules.done_statuses


def _is_response(event: TicketEvent, facts: Mapping[str, Any], initial_status: str | None) -> bool:
    """A first response: a public comment, a move out of the initial status, or an answer in
    Slack, by anyone other than the reporter."""
    reporter = facts.get("reporter")
    if isinstance(reporter, Person) and event.actor is not None and event.actor.same_as(reporter):
        return False
    if event.kind is EventKind.COMMENTED:
        return event.public
    if event.kind is EventKind.SLACK_RESPONSE:
        return True
    if event.kind is EventKind.STATUS_CHANGED:
        to = (event.to_value or "").casefold()
        return initial_status is None or to != initial_status.casefold()
    return False


def _clocks(history: _History, policy: Policy, rules: Rules, now: datetime) -> Iterable[Clock]:
    episodes = cyc.episodes(history.moments, history.created_at) if policy.measure == "handoff" else None
    talk = None  # next_response and periodic_update cycles, found together when first needed
    for metric in ALL_METRICS:
        if metric not in policy.metrics:
            continue
        if metric in ("next_response", "periodic_update"):
            talk = talk or cyc.communication_cycles(_windows(history, episodes, rules), history.moments)
            found = talk[metric]
        elif episodes is not None:
            found = cyc.handoff_cycles(episodes, history.moments, metric, rules)
        else:
            found = _cycles(history, metric)
        for number, cycle in enumerate(found, start=1):
            yield _clock(history, policy, rules, metric, number, cycle, now)


def _windows(history: _History, episodes: list[cyc.Episode] | None, rules: Rules) -> list[cyc.Window]:
    """Where communication cycles run: the whole ticket, or each hand-off episode."""
    if episodes is None:
        return [cyc.Window(history.created_at, None, None, cyc.ticket_agent, history.first_response_at)]
    windows = []
    for episode in episodes:
        agent = cyc.staff_agent(rules, episode.vendor)
        first = cyc.first_responses(episode, history.moments, agent)
        windows.append(cyc.Window(episode.start, episode.end, episode.ended_by, agent, first, episode))
    return windows


def _cycles(history: _History, metric: str) -> list[cyc.Cycle]:
    if metric == "first_response":
        return [cyc.Cycle(history.created_at, history.first_response_at, history.first_response_by)]
    cycles: list[cyc.Cycle] = []
    start: datetime | None = history.created_at
    for segment in history.segments:
        at = max(segment.start, history.created_at)
        if start is not None and segment.resolved:
            cycles.append(cyc.Cycle(start, at, cyc.RESOLUTION))
            start = None
        elif start is None and not segment.resolved:
            start = at
    if start is not None:
        cycles.append(cyc.Cycle(start, None))
    return cycles


def _clock(history: _History, policy: Policy, rules: Rules, metric: str, number: int,
           cycle: cyc.Cycle, now: datetime) -> Clock:
    start, stop = cycle.start, cycle.stop
    rule = policy.metrics[metric]
    default_calendar = rules.calendars[policy.calendar]
    counted, paused = _pieces(history.segments, start, stop, rules, default_calendar, history.starts)
    last = _segment_at(history.segments, stop or now, history.starts)
    is_paused = stop is None and last.paused
    end = stop or now
    elapsed = _measure(counted, end)
    reached = breached_at = _reach(counted, rule.target)
    if breached_at is not None and (breached_at > now or (stop is not None and breached_at >= stop)):
        breached_at = None
    due_at = None if is_paused else _due(counted, rule.target, stop, last, rules, default_calendar, reached)
    warnings = tuple(
        WarningLevel(f, _warning_at(counted, rule.target * f, stop)) for f in rule.warn_at
    )
    return Clock(
        metric=metric, cycle=number,
        state="stopped" if stop is not None else ("paused" if is_paused else "running"),
        target=rule.target, elapsed=elapsed, started_at=start, stopped_at=stop, due_at=due_at,
        breached_at=breached_at, paused_for=_measure(paused, end), calendar=policy.calendar,
        policy=policy.name, vendor=cycle.vendor or last.vendor, evaluated_at=now, warnings=warnings,
        ended_by=cycle.ended_by if stop is not None else None, measure=policy.measure,
        handoff_at=cycle.handoff_at, handoff_by=cycle.handoff_by.label() if cycle.handoff_by else None,
    )


def _segment_at(segments: list[_Segment], at: datetime, starts: list[datetime]) -> _Segment:
    """The segment in force at `at` (the last one starting at or before it; `starts`: the
    segments' starts)."""
    return segments[max(bisect_right(starts, at) - 1, 0)]


def _pieces(segments: list[_Segment], start: datetime, stop: datetime | None, rules: Rules,
            default: Calendar, starts: list[datetime]) -> tuple[list[_Piece], list[_Piece]]:
    """Split [start, stop) into the pieces that count and the pieces that were paused.
    An open clock's last piece ends at None and is cut at `now` by the caller. Only the
    segments that overlap [start, stop) are looked at (`starts`: the segments' starts)."""
    counted: list[_Piece] = []
    paused: list[_Piece] = []
    first = max(bisect_right(starts, start) - 1, 0)
    if stop is not None and segments[first].start <= start and (
            first + 1 == len(starts) or starts[first + 1] >= stop):  # common: a clock inside one segment
        if stop <= start:
            return counted, paused
        segment = segments[first]
        calendar = rules.calendars[segment.policy.calendar] if segment.policy else default
        (paused if segment.paused else counted).append(_Piece(start, stop, calendar, calendar.elapsed(start, stop)))
        return counted, paused
    last = len(segments) if stop is None else bisect_left(starts, stop)
    bounds = starts[first + 1:last + 1] + [None] * (last + 1 - len(starts))
    for segment, seg_end in zip(segments[first:last], bounds):
        lo = max(segment.start, start)
        hi = seg_end if stop is None else (stop if seg_end is None else min(seg_end, stop))
        if hi is not None and hi <= lo:
            continue
        calendar = rules.calendars[segment.policy.calendar] if segment.policy else default
        (paused if segment.paused else counted).append(_Piece.of(lo, hi, calendar))
    return counted, paused


def _measure(pieces: list[_Piece], end: datetime) -> timedelta:
    total = timedelta(0)
    for piece in pieces:
        if piece.start >= end:
            break
        if piece.end is not None and piece.end <= end:
            total += piece.length
        else:
            total += piece.calendar.elapsed(piece.start, end if piece.end is None else min(piece.end, end))
    return total


def _reach(pieces: list[_Piece], amount: timedelta) -> datetime | None:
    """The earliest instant at which the counted time reaches `amount`, or None if it does not
    within the pieces. Reaching it exactly at a piece's end (a closing time, a pause) is that end."""
    done = timedelta(0)
    for piece in pieces:
        length = piece.length
        if length is None or done + length >= amount:
            return piece.calendar.add(piece.start, amount - done)
        done += length
    return None


def _due(counted: list[_Piece], target: timedelta, stop: datetime | None, last: _Segment,
         rules: Rules, default: Calendar, reached: datetime | None) -> datetime | None:
    """When the target is (or was, or would have been, had the clock kept running) reached;
    `reached`: `_reach(counted, target)`, which the caller has already."""
    if reached is not None or stop is None:
        return reached
    calendar = rules.calendars[last.policy.calendar] if last.policy else default
    counted_time = sum((piece.length for piece in counted), timedelta(0))  # all finite: stopped
    return calendar.add(stop, target - counted_time)  # = _reach with an open piece from `stop`


def _warning_at(counted: list[_Piece], amount: timedelta, stop: datetime | None) -> datetime | None:
    reached = _reach(counted, amount)
    if reached is not None and stop is not None and reached >= stop:
        return None
    return reached


def _seconds(td: timedelta) -> int:
    return int(td.total_seconds() // 1)


def clock_json(clock: Clock) -> dict[str, Any]:
    target = _seconds(clock.target)
    elapsed = _seconds(clock.elapsed)
    return {
        "metric": clock.metric, "cycle": clock.cycle, "state": clock.state,
        "target_seconds": target, "elapsed_seconds": elapsed,
        "remaining_seconds": target - elapsed,
        "started_at": format_instant(clock.started_at),
        "stopped_at": format_instant(clock.stopped_at),
        "due_at": format_instant(clock.due_at),
        "breached": clock.breached, "breached_at": format_instant(clock.breached_at),
        "paused_seconds": _seconds(clock.paused_for),
        "policy": clock.policy, "calendar": clock.calendar, "vendor": clock.vendor,
        "warnings": [
            {"percent": round(w.fraction * 100, 2), "at": format_instant(w.at)} for w in clock.warnings
        ],
        "ended_by": clock.ended_by, "measure": clock.measure,
        "handoff_at": format_instant(clock.handoff_at), "handoff_by": clock.handoff_by,
    }


def ticket_json(state: TicketState) -> dict[str, Any]:
    facts = state.facts

    def person(key: str) -> str | None:
        value = facts.get(key)
        return value.label() if isinstance(value, Person) else None

    return {
        "key": state.key, "policy": state.policy, "vendor": state.vendor, "status": state.status,
        "summary": facts.get("summary"), "project": facts.get("project"),
        "issuetype": facts.get("issuetype"), "priority": facts.get("priority"),
        "reporter": person("reporter"), "assignee": person("assignee"),
        "created_at": format_instant(state.created_at), "deleted": state.deleted,
        "clocks": [clock_json(c) for c in state.clocks],
    }
