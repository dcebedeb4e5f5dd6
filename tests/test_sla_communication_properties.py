"""Property: for random event sequences, every `next_response` and `periodic_update` cycle the
engine gives has the elapsed time of a brute-force count, minute by minute, of the minutes in
which that cycle runs, the ticket is not paused and the calendar is open (24x7, and office hours
in Europe/Berlin). The reference below walks the events minute by minute and applies the rules
of DESIGN.md "SLA semantics" directly, for `measure: ticket` and `measure: handoff`."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from processors.events import EventKind, Person, TicketEvent
from processors.rules import parse_rules
from processors.sla import evaluate

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)  # a Monday
MARIA = Person(account_id="m", display_name="Maria")
ANNA = Person(account_id="a", display_name="Anna Acme")  # acme
BEN = Person(account_id="b", display_name="Ben Beta")  # beta
DORA = Person(account_id="d", display_name="Dora Desk")  # the client's desk: no vendor
VENDOR_OF = {"a": "acme", "b": "beta"}
PAUSE, WORKING = "Waiting for customer", "In Progress"

RULES = """\
version: 1
calendars:
  always: 24x7
  office: {{timezone: Europe/Berlin, hours: {{mon-fri: ["09:00-17:00"]}}}}
vendors:
  acme: {{match: {{assignees: [a]}}}}
  beta: {{match: {{assignees: [b]}}}}
policies:
  - name: p
    measure: {measure}
    calendar: {calendar}
    pause_statuses: [{pause}]
    metrics: {{first_response: 1h, resolution: 8h, next_response: 2h, periodic_update: 4h}}
"""

ACTIONS = st.sampled_from(["reporter", "anna", "ben", "dora", "internal", "pause", "unpause",
                           "resolve", "reopen", "to_anna", "to_ben", "to_nobody"])
STEPS = st.lists(st.tuples(st.integers(0, 600), ACTIONS), min_size=1, max_size=14)


def _events(steps: list[tuple[int, str]]) -> tuple[list[TicketEvent], list[tuple[int, str]]]:
    facts = {"status": "To Do", "status_category": "new", "resolution": None, "reporter": MARIA,
             "assignee": None, "project": "OPS"}
    events = [TicketEvent("OPS-1", EventKind.CREATED, T0, "c", MARIA, facts=dict(facts))]
    timeline, minute, snapshots = [], 0, {}
    for n, (gap, action) in enumerate(steps):
        minute += gap
        at, key = T0 + timedelta(minutes=minute), f"e{n}"
        timeline.append((minute, action))
        kind, actor, public = EventKind.COMMENTED, DORA, True
        if action in ("reporter", "anna", "ben", "dora", "internal"):
            actor = {"reporter": MARIA, "anna": ANNA, "ben": BEN}.get(action, DORA)
            public = action != "internal"
            if action == "internal":
                actor = ANNA
        elif action in ("pause", "unpause"):
            kind = EventKind.STATUS_CHANGED
            facts.update(status=PAUSE if action == "pause" else WORKING, status_category="indeterminate")
        elif action == "resolve":
            kind = EventKind.RESOLVED
            facts.update(status="Done", status_category="done", resolution="Done")
        elif action == "reopen":
            kind, actor = EventKind.REOPENED, MARIA
            facts.update(status="Reopened", status_category="indeterminate", resolution=None)
        else:
            kind = EventKind.ASSIGNEE_CHANGED
            facts["assignee"] = {"to_anna": ANNA, "to_ben": BEN}.get(action)
        events.append(TicketEvent("OPS-1", kind, at, key, actor, to_value=facts["status"],
                                  facts=dict(facts), public=public))
        snapshots[minute] = dict(facts)
    # Jira's payloads of one instant all show the issue as it is after that instant
    events = [e if e.kind is EventKind.CREATED else replace(e, facts=snapshots[(e.at - T0) // timedelta(minutes=1)])
              for e in events]
    return events, timeline


class _Minute:
    """The ticket during one minute, after the events of its start."""

    def __init__(self, paused: bool, resolved: bool, vendor: str | None, said: set[str]):
        self.paused, self.resolved, self.vendor, self.said = paused, resolved, vendor, said


def _minutes(timeline: list[tuple[int, str]], end: int) -> list[_Minute]:
    paused = resolved = False
    vendor, out, by_minute = None, [], {}
    for minute, action in timeline:
        by_minute.setdefault(minute, []).append(action)
    for minute in range(end + 1):
        said = set()
        for action in by_minute.get(minute, ()):
            if action in ("pause", "unpause"):
                paused = action == "pause"
            elif action == "resolve":
                resolved, paused = True, False  # status Done
            elif action == "reopen":
                resolved, paused = False, False  # status Reopened
            elif action.startswith("to_"):
                vendor = {"to_anna": "acme", "to_ben": "beta"}.get(action)
            if action in ("pause", "unpause", "reporter", "anna", "ben", "dora"):
                said.add(action)  # a status change by the desk: a first response of the ticket
        out.append(_Minute(paused, resolved, vendor, said))
    return out


def _agent(who: str, vendor: str | None, handoff: bool) -> bool:
    if who in ("pause", "unpause"):
        return False  # not a comment
    if handoff:
        return who in ("anna", "ben") and VENDOR_OF[who[0]] == vendor
    return who != "reporter"


def _reference(timeline, end: int, metric: str, handoff: bool) -> list[tuple[int, int | None, str | None]]:
    """(start, stop, vendor) of each cycle, in minutes from T0, by the spec."""
    minutes, cycles = _minutes(timeline, end), []
    running, episode_vendor, answered = None, None, False
    first_response = None  # ticket measure: a public comment by a non-reporter, or resolution
    for m, now in enumerate(minutes):
        ended = False
        if handoff and episode_vendor is not None and (now.vendor != episode_vendor or now.resolved):
            ended = True
        agent_said = any(_agent(w, episode_vendor, handoff) for w in now.said) if (episode_vendor or not handoff) else False
        if not handoff and first_response is None and (agent_said or now.resolved or now.said & {"pause", "unpause"}):
            first_response = m
        if handoff and episode_vendor is not None and agent_said:
            answered = True
        if running is not None and (agent_said or now.resolved or ended):
            cycles.append((running, m, episode_vendor))
            running = None
        if ended:
            episode_vendor, answered = None, False
        if handoff and episode_vendor is None and now.vendor is not None and not now.resolved:
            episode_vendor = now.vendor
            agent_said = any(_agent(w, episode_vendor, True) for w in now.said)
            answered = agent_said
        open_ = not now.resolved and (episode_vendor is not None or not handoff)
        if metric == "periodic_update" and agent_said and open_:
            running = m
        if metric == "next_response" and running is None and open_ and "reporter" in now.said \
                and not agent_said and (answered if handoff else first_response is not None):
            running = m
    if running is not None:
        cycles.append((running, None, episode_vendor))
    return cycles


def _count(start: int, stop: int | None, end: int, paused: list[_Minute], office: bool) -> int:
    total = 0
    for m in range(start, end if stop is None else stop):
        local = (T0 + timedelta(minutes=m)).astimezone(BERLIN)
        open_ = not office or (local.weekday() < 5 and 9 <= local.hour < 17)
        total += open_ and not paused[m].paused
    return total


@settings(max_examples=150, deadline=None)
@given(steps=STEPS, tail=st.integers(0, 900), office=st.booleans(), handoff=st.booleans())
def test_communication_cycles_match_a_minute_by_minute_count(steps, tail, office, handoff):
    rules = parse_rules(RULES.format(measure="handoff" if handoff else "ticket",
                                     calendar="office" if office else "always", pause=PAUSE))
    events, timeline = _events(steps)
    end = timeline[-1][0] + tail
    state = evaluate(events, rules, T0 + timedelta(minutes=end))
    minutes = _minutes(timeline, end)
    for metric in ("next_response", "periodic_update"):
        got = [c for c in state.clocks if c.metric == metric]
        want = _reference(timeline, end, metric, handoff)
        as_minutes = [((c.started_at - T0) // timedelta(minutes=1),
                       None if c.stopped_at is None else (c.stopped_at - T0) // timedelta(minutes=1))
                      for c in got]
        assert as_minutes == [(s, e) for s, e, _ in want], (metric, timeline)
        for clock, (start, stop, vendor) in zip(got, want):
            assert clock.elapsed == timedelta(minutes=_count(start, stop, end, minutes, office)), (metric, timeline)
            if handoff:
                assert clock.vendor == vendor
