"""Where the clocks of a hand-off policy and of the communication metrics start and stop.

processors/sla.py folds a ticket's events into `Moment`s (one per instant: the events of that
instant and the ticket's state after them) and asks this module for the cycles of a metric:

    episodes(moments, created_at) -> list[Episode]            # hand-off policies (`measure: handoff`)
    handoff_cycles(episodes, moments, metric, rules) -> list[Cycle]
    communication_cycles(windows, moments) -> {"next_response": [Cycle], "periodic_update": [Cycle]}

An *episode* of vendor V begins at each instant the ticket's vendor becomes V (from none, from
another vendor, or by a reopen while still V) and ends at the first instant the vendor is no
longer V or the ticket is resolved (DESIGN.md, "SLA semantics"). Within one instant the stops
are applied before the starts: an agent's comment stops the running cycle, then may start the
next; a response at the same instant as the hand-off makes a first response of zero.
Pure: no clock reads, no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable, NamedTuple

from processors.events import EventKind, Person, TicketEvent
from processors.rules import Rules

# How a stopped clock ended.
RESPONSE, RESOLUTION, HANDAWAY = "response", "resolution", "handaway"
_HANDING_KINDS = (EventKind.ASSIGNEE_CHANGED, EventKind.FIELDS_CHANGED, EventKind.CREATED)


class Moment(NamedTuple):
    """The events of one instant and the ticket's state after them (a tuple: one per instant)."""

    at: datetime
    events: tuple[TicketEvent, ...]
    reporter: Person | None
    vendor: str | None
    resolved: bool


@dataclass(frozen=True)
class Episode:
    vendor: str
    start: datetime  # the hand-off
    end: datetime | None  # None: still with the vendor
    ended_by: str | None  # RESOLUTION or HANDAWAY; None while open
    handoff_by: Person | None  # the actor of the event that made the hand-off


@dataclass(frozen=True)
class Cycle:
    start: datetime
    stop: datetime | None
    ended_by: str | None = None
    vendor: str | None = None  # None: the ticket's vendor when it stopped (ticket measure)
    handoff_at: datetime | None = None
    handoff_by: Person | None = None


Agent = Callable[[TicketEvent, Moment], bool]


def episodes(moments: Iterable[Moment], created_at: datetime) -> list[Episode]:
    out: list[Episode] = []
    current: Episode | None = None
    for moment in moments:
        at = max(moment.at, created_at)
        if current is not None and (moment.vendor != current.vendor or moment.resolved):
            out.append(Episode(current.vendor, current.start, at,
                               RESOLUTION if moment.resolved else HANDAWAY, current.handoff_by))
            current = None
        if current is None and moment.vendor is not None and not moment.resolved:
            current = Episode(moment.vendor, at, None, None, _handed_by(moment.events))
    if current is not None:
        out.append(current)
    return out


def _handed_by(events: tuple[TicketEvent, ...]) -> Person | None:
    for event in events:
        if event.kind in _HANDING_KINDS and event.actor is not None:
            return event.actor
    return next((e.actor for e in events if e.actor is not None), None)


def _within(moments: list[Moment], episode: Episode) -> Iterable[Moment]:
    """The moments of [start, end] (the end included: what happens at the hand-away instant)."""
    return (m for m in moments
            if m.at >= episode.start and (episode.end is None or m.at <= episode.end))


def staff_agent(rules: Rules, vendor_id: str) -> Agent:
    vendor = rules.vendor(vendor_id)
    return lambda event, moment: vendor is not None and vendor.is_staff(event.actor)


def ticket_agent(event: TicketEvent, moment: Moment) -> bool:
    """Anyone but the reporter (an unknown author included, as for first_response)."""
    reporter = moment.reporter
    return not (reporter is not None and event.actor is not None and event.actor.same_as(reporter))


def _is_reporter(event: TicketEvent, moment: Moment) -> bool:
    return moment.reporter is not None and event.actor is not None and event.actor.same_as(moment.reporter)


def _staff_response(event: TicketEvent, agent: Agent, moment: Moment) -> bool:
    """First response of an episode: a public comment, a status change or a Slack answer by staff."""
    if event.kind is EventKind.COMMENTED and not event.public:
        return False
    kinds = (EventKind.COMMENTED, EventKind.STATUS_CHANGED, EventKind.SLACK_RESPONSE)
    return event.kind in kinds and agent(event, moment)


def first_responses(episode: Episode, moments: list[Moment], agent: Agent) -> datetime | None:
    for moment in _within(moments, episode):
        if any(_staff_response(e, agent, moment) for e in moment.events):
            return moment.at
    return None


def handoff_cycles(found: list[Episode], moments: list[Moment], metric: str,
                   rules: Rules) -> list[Cycle]:
    """first_response and resolution: one cycle per episode."""
    cycles = []
    for episode in found:
        stop, ended_by = episode.end, episode.ended_by
        if metric == "first_response":
            responded = first_responses(episode, moments, staff_agent(rules, episode.vendor))
            if responded is not None:
                stop, ended_by = responded, RESPONSE
        cycles.append(Cycle(episode.start, stop, ended_by, episode.vendor, episode.start,
                            episode.handoff_by))
    return cycles


@dataclass(frozen=True)
class Window:
    """Where communication cycles may run: the whole ticket, or one hand-off episode."""

    start: datetime
    end: datetime | None
    end_reason: str | None
    agent: Agent
    first_response: datetime | None  # next_response cycles start only after it
    episode: Episode | None = None


def communication_cycles(windows: list[Window], moments: list[Moment]) -> dict[str, list[Cycle]]:
    """next_response and periodic_update cycles, in time order, found in one pass per window.
    At each instant the stops come first (an agent's comment, the resolution, the window's end),
    then the starts (an agent's comment starts an update cycle; a reporter's comment not answered
    at the same instant starts a reply cycle once the first response was given)."""
    replies: list[Cycle] = []
    updates: list[Cycle] = []
    for window in windows:
        reply = update = None
        end, first = window.end, window.first_response
        for moment in moments:
            at = moment.at
            if at < window.start:
                continue
            if end is not None and at > end:
                break
            agent_said, reporter_said = _said(window, moment)
            closing = moment.resolved or (end is not None and at >= end)
            if (reply or update) and (agent_said or closing):
                reason = RESPONSE if agent_said else RESOLUTION if moment.resolved else window.end_reason
                if reply is not None:
                    replies.append(_cycle(window, reply, at, reason))
                if update is not None:
                    updates.append(_cycle(window, update, at, reason))
                reply = update = None
            if closing:
                continue
            if agent_said:
                update = at
            elif reporter_said and reply is None and first is not None and first <= at:
                reply = at
        if reply is not None:
            replies.append(_cycle(window, reply, end, window.end_reason))
        if update is not None:
            updates.append(_cycle(window, update, end, window.end_reason))
    return {"next_response": replies, "periodic_update": updates}


def _said(window: Window, moment: Moment) -> tuple[bool, bool]:
    """Whether an agent, and whether the reporter (not also an agent), commented publicly."""
    agent_said = reporter_said = False
    for event in moment.events:
        if event.kind is EventKind.COMMENTED and event.public:
            if window.agent(event, moment):
                agent_said = True
            elif _is_reporter(event, moment):
                reporter_said = True
    return agent_said, reporter_said


def _cycle(window: Window, start: datetime, stop: datetime | None, ended_by: str | None) -> Cycle:
    episode = window.episode
    if episode is None:
        return Cycle(start, stop, ended_by)
    return Cycle(start, stop, ended_by, episode.vendor, episode.start, episode.handoff_by)
