"""Effective-dated rules (pure): which rules version judges a ticket.

    schedule = RuleSchedule(current, pins=(Pin(created_before, older_rules), ...))
    rules = schedule.rules_for(events)             # the Rules that judge this ticket
    rules = schedule.rules_for_created(created_at)
    state = judge(events, schedule, now)           # evaluate() under schedule.rules_for(events)
    judged = judge_keeping(events, schedule, now, settled, rules_of)   # stopped clocks keep their version
    schedule = as_schedule(rules_or_schedule)      # a plain Rules is a schedule without pins
    spans(pins, current_version)                   # who judges which creation instants, for reports
    judged_by(versions_of_counted_clocks, spans)   # which versions judged a report's numbers

A ticket is judged by the rules of the earliest pin whose `created_before` is after its creation
instant (its `created` event), else by the current rules; a ticket without a `created` event is
judged by the current rules. Pins come from `slawatch rules apply NEW.yaml --from DATE`: the
version in force is pinned for the tickets created before DATE and NEW becomes the current rules.
A plain edit of the rules file changes the current rules only: pinned tickets stay pinned.

A stopped clock keeps its verdict: it stays judged by the version that judged it when it was
first stored stopped (`settled`: (metric, cycle) -> version, read from the clock cache), even
after the rules change, so every path that evaluates a ticket (the stored clocks, the API, the
dashboard, the reports) gives it the same verdict. Only a deliberate repair re-judges it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, Iterable, Mapping, Sequence

from processors.events import EventKind, TicketEvent
from processors.rules import Rules, bind_field_names, field_names
from processors.sla import Clock, TicketState, evaluate


@dataclass(frozen=True)
class Pin:
    """Tickets created before `created_before` (an aware UTC instant) are judged by `rules`,
    unless an earlier pin covers them."""

    created_before: datetime
    rules: Rules


@dataclass(frozen=True)
class RuleSchedule:
    current: Rules
    pins: tuple[Pin, ...] = ()  # strictly ascending by created_before

    def __post_init__(self) -> None:
        instants = [pin.created_before for pin in self.pins]
        if any(at.tzinfo is None for at in instants):
            raise ValueError("pin instants must be aware UTC datetimes")
        if any(a >= b for a, b in zip(instants, instants[1:])):
            raise ValueError("pins must be in strictly ascending order of created_before")

    def rules_for_created(self, created_at: datetime | None) -> Rules:
        """The rules of a ticket created at `created_at` (None: not created yet -> current)."""
        if created_at is not None:
            for pin in self.pins:
                if created_at < pin.created_before:
                    return pin.rules
        return self.current

    def rules_for(self, events: Iterable[TicketEvent]) -> Rules:
        """The rules that judge the ticket whose events these are."""
        return self.rules_for_created(created_at(events))

    def with_current(self, current: Rules) -> "RuleSchedule":
        """The same pins over other current rules (what a plain edit of the file does)."""
        return RuleSchedule(current, self.pins)

    def bound(self, ids_by_name: Mapping[str, tuple[str, ...]]) -> "RuleSchedule":
        """Every version with its field names standing for the ids Jira gives them
        (processors.rules.bind_field_names); the same object when nothing changes."""
        current = bind_field_names(self.current, ids_by_name)
        pins = tuple(Pin(pin.created_before, rules) if (rules := bind_field_names(pin.rules, ids_by_name))
                     is not pin.rules else pin for pin in self.pins)
        if current is self.current and all(a is b for a, b in zip(pins, self.pins)):
            return self
        return RuleSchedule(current, pins)

    def uses_field_names(self) -> bool:
        return any(field_names(rules) for rules in (self.current, *(pin.rules for pin in self.pins)))

    def spans(self) -> tuple["RuleSpan", ...]:
        return spans([(pin.created_before, pin.rules.version) for pin in self.pins], self.current.version)

    @property
    def versions(self) -> frozenset[str]:
        return frozenset({self.current.version, *(pin.rules.version for pin in self.pins)})


def created_at(events: Iterable[TicketEvent]) -> datetime | None:
    """The ticket's creation instant: its earliest `created` event (as processors.sla reads it)."""
    created = [e for e in events if e.kind is EventKind.CREATED]
    return min(created, key=TicketEvent.sort_key).at if created else None


def as_schedule(rules: Rules | RuleSchedule) -> RuleSchedule:
    return rules if isinstance(rules, RuleSchedule) else RuleSchedule(rules)


def judge(events: Sequence[TicketEvent], rules: Rules | RuleSchedule, now: datetime) -> TicketState | None:
    """`processors.sla.evaluate` under the rules the schedule gives this ticket."""
    return evaluate(events, as_schedule(rules).rules_for(events), now)


ClockId = tuple[str, int]  # (metric, cycle)


@dataclass(frozen=True)
class Judgement:
    """A ticket's state and the rules version that judged each of its clocks."""

    state: TicketState | None
    version: str  # the version that judges the ticket now (its open clocks)
    clock_versions: Mapping[ClockId, str]

    def version_of(self, metric: str, cycle: int) -> str:
        return self.clock_versions.get((metric, cycle), self.version)


def judge_keeping(events: Sequence[TicketEvent], rules: Rules | RuleSchedule, now: datetime,
                  settled: Mapping[ClockId, str], rules_of: Callable[[str], Rules | None]) -> Judgement:
    """`judge`, except that a clock stopped now and settled under another version V (stored stopped
    with V) is the clock V gives, when V also has it stopped from the same start. `rules_of(V)`:
    V's rules, None when they are unknown or no longer parse (then the current verdict stands)."""
    judging = as_schedule(rules).rules_for(events)
    state = evaluate(events, judging, now)
    if state is None:
        return Judgement(None, judging.version, {})
    stopped = {(c.metric, c.cycle): c for c in state.clocks if c.state == "stopped"}
    kept: dict[ClockId, Clock] = {}
    versions: dict[ClockId, str] = {}
    for version in sorted({v for k, v in settled.items() if k in stopped and v != judging.version}):
        older = rules_of(version)
        earlier = evaluate(events, older, now) if older is not None else None
        for clock in earlier.clocks if earlier is not None else ():
            ident = (clock.metric, clock.cycle)
            if (settled.get(ident) == version and clock.state == "stopped" and ident in stopped
                    and clock.started_at == stopped[ident].started_at):
                kept[ident], versions[ident] = clock, version
    if kept:
        state = replace(state, clocks=tuple(kept.get((c.metric, c.cycle), c) for c in state.clocks))
    return Judgement(state, judging.version, versions)


# ---- for reports: which version judged what --------------------------------------------------

@dataclass(frozen=True)
class RuleSpan:
    """`version` judges the tickets created in [created_from, created_before); None: unbounded."""

    version: str
    created_from: datetime | None
    created_before: datetime | None


def spans(pins: Sequence[tuple[datetime, str]], current_version: str) -> tuple[RuleSpan, ...]:
    """The schedule as consecutive spans of creation instants, oldest first; neighbouring spans
    of one version are merged. `pins`: (created_before, version), ascending."""
    out: list[RuleSpan] = []
    start: datetime | None = None
    for end, version in [*pins, (None, current_version)]:
        if out and out[-1].version == version:
            out[-1] = RuleSpan(version, out[-1].created_from, end)
        else:
            out.append(RuleSpan(version, start, end))
        start = end
    return tuple(out)


@dataclass(frozen=True)
class Judged:
    """One rules version and how many of the clocks counted it judged; `spans`: the creation
    instants it judges in the schedule (empty: a version no longer in the schedule)."""

    version: str
    clocks: int
    spans: tuple[RuleSpan, ...] = ()


def judged_by(versions: Iterable[str | None], schedule_spans: Sequence[RuleSpan]) -> tuple[Judged, ...]:
    """The versions that judged some clocks (one entry per clock; None: unknown, left out),
    versions no longer in the schedule first, then in schedule order."""
    counts = Counter(v for v in versions if v is not None)
    order = {span.version: i for i, span in reversed(list(enumerate(schedule_spans)))}
    return tuple(Judged(v, n, tuple(s for s in schedule_spans if s.version == v))
                 for v, n in sorted(counts.items(), key=lambda item: (order.get(item[0], -1), item[0])))
