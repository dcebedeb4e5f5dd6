"""Property tests aimed at the hard places on purpose (the draws of test_calendar_properties.py
are mostly ordinary days): instants at and around DST gaps and folds in zones east and west of
UTC, local New Year in Asia/Shanghai and Pacific/Auckland, calendars open only a few hours a
year, and ticket events that share their instants. Bounded: a modest max_examples, a deadline.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processors.calendar import Calendar, CalendarSpec
from processors.events import EventKind, Person, TicketEvent
from processors.rules import parse_rules
from processors.sla import evaluate, ticket_json
from tests.test_calendar_properties import reference_elapsed

UTC = timezone.utc
H = 3600
BOUNDED = settings(max_examples=60, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow])

# East of UTC (Berlin, Auckland, Shanghai, Lord Howe's 30-minute DST), west (New York, Santiago).
DST_ZONES = ("Europe/Berlin", "Pacific/Auckland", "Australia/Lord_Howe", "America/New_York", "America/Santiago")
NEW_YEAR_ZONES = ("Asia/Shanghai", "Pacific/Auckland", "Europe/Berlin", "America/New_York")


def _transitions(zone_name: str, years=range(2024, 2029)) -> list[datetime]:
    """The UTC instants at which the zone's offset changes (to the second), in the years given."""
    zone, found = ZoneInfo(zone_name), []
    at = datetime(years[0], 1, 1, tzinfo=UTC)
    end = datetime(years[-1] + 1, 1, 1, tzinfo=UTC)
    step = timedelta(hours=6)
    while at < end:
        nxt = at + step
        if at.astimezone(zone).utcoffset() != nxt.astimezone(zone).utcoffset():
            lo, hi = at, nxt  # bisect to the second: offset(lo) is the old one, offset(hi) the new
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi.replace(microsecond=0))
        at = nxt
    return found


TRANSITIONS = {zone: _transitions(zone) for zone in DST_ZONES}
NEW_YEARS = {zone: [datetime(y, 1, 1, tzinfo=ZoneInfo(zone)).astimezone(UTC) for y in range(2024, 2030)]
             for zone in NEW_YEAR_ZONES}
HARD = [(zone, at) for zone, instants in {**TRANSITIONS, **NEW_YEARS}.items() for at in instants]

# Around a hard instant: exactly at it, a second either side, or within a few hours.
NEAR = st.one_of(st.sampled_from([0, -1, 1]), st.integers(-6 * H, 6 * H), st.integers(-3 * 86400, 3 * 86400))
# Day boundaries that DST moves across (00:00-04:00 local) and ordinary ones, in whole minutes.
EDGE = st.one_of(st.integers(0, 16).map(lambda q: q * 900), st.integers(0, 1440).map(lambda m: m * 60))


def _hours(points: list[int]) -> tuple:
    points = sorted(set(points))
    return tuple((a, b) for a, b in zip(points[::2], points[1::2]) if a < b)


DAY = st.lists(EDGE, min_size=2, max_size=4).map(_hours)


@st.composite
def hard_calendars(draw):
    """A calendar in a zone with a hard instant, and a start near that instant. Either weekly
    hours (each weekday one of two schedules or closed), or open only a few hours a year: no
    weekly hours, 1-3 special days near the instant or on a local 1 January."""
    zone, instant = draw(st.sampled_from(HARD))
    start = instant + timedelta(seconds=draw(NEAR))
    local_day = start.astimezone(ZoneInfo(zone)).date()
    if draw(st.booleans()):
        schedules = [draw(DAY), draw(DAY), ()]
        weekly = tuple(schedules[draw(st.integers(0, 2))] for _ in range(7))
        if not any(weekly):
            weekly = (((0, 2 * H),),) * 7
        special = ()
    else:
        weekly = ((),) * 7
        near = st.integers(1, 40).map(lambda d: local_day + timedelta(days=d))  # after the start
        new_year = st.integers(1, 2).map(lambda y: date(local_day.year + y, 1, 1))
        days = draw(st.lists(st.one_of(near, new_year), min_size=1, max_size=3, unique=True))
        special = tuple((day, draw(DAY) or ((0, H),)) for day in days)
    return Calendar(CalendarSpec(zone, weekly=weekly, special_days=special)), start


@BOUNDED
@given(hard_calendars(), st.integers(0, 30 * 86400))
def test_elapsed_near_hard_instants_matches_the_reference(drawn, seconds):
    calendar, start = drawn
    end = start + timedelta(seconds=seconds)
    assert calendar.elapsed(start, end) == reference_elapsed(calendar.spec, start, end)


@BOUNDED
@given(hard_calendars(), st.integers(0, 20 * H))
def test_add_is_the_earliest_instant_with_that_much_open_time(drawn, seconds):
    calendar, start = drawn
    # No more than the open time there is (a few-hours-a-year calendar has little of it).
    duration = min(timedelta(seconds=seconds), calendar.elapsed(start, start + timedelta(days=3 * 366)))
    seconds = int(duration.total_seconds())
    due = calendar.add(start, duration)
    assert calendar.elapsed(start, due) == duration
    if seconds:
        assert calendar.elapsed(start, due - timedelta(seconds=1)) == duration - timedelta(seconds=1)
        assert calendar.is_open(due - timedelta(seconds=1))
    else:
        assert due == calendar.next_open(start) and calendar.is_open(due)


@BOUNDED
@given(hard_calendars(), st.integers(0, 40 * 86400), st.integers(0, 40 * 86400))
def test_elapsed_is_additive_across_hard_instants(drawn, first, second):
    calendar, a = drawn
    b = a + timedelta(seconds=first)
    c = b + timedelta(seconds=second)
    assert calendar.elapsed(a, b) + calendar.elapsed(b, c) == calendar.elapsed(a, c)


# ---- the clock engine with events that share instants ----------------------------------------

RULES = parse_rules("""
version: 1
calendars:
  office: {timezone: Pacific/Auckland, hours: {mon-fri: ["00:00-03:00", "09:00-17:00"]}}
  always: 24x7
policies:
  - name: urgent
    match: {priorities: [High]}
    calendar: always
    pause_statuses: ["Waiting for customer"]
    metrics: {first_response: {target: 30m, warn_at: [50%]}, resolution: {target: 4h}}
  - name: standard
    match: {priorities: [Medium]}
    calendar: office
    pause_statuses: ["Waiting for customer"]
    metrics: {first_response: {target: 2h}, resolution: {target: 8h}}
""", path="hard-properties.yaml")
REPORTER = Person(account_id="r-1", email="rita@customer.example")
AGENT = Person(account_id="a-1", email="alice@acme.example")
# Auckland's 2026 spring forward is 2026-09-26 14:00Z; the ticket lives around it.
ORIGIN = datetime(2026, 9, 26, 12, tzinfo=UTC)


def _event(kind: str, at: datetime, n: int) -> TicketEvent:
    if kind == "comment":
        return TicketEvent("T-1", EventKind.COMMENTED, at, f"c{n}", actor=AGENT)
    if kind == "reporter-comment":
        return TicketEvent("T-1", EventKind.COMMENTED, at, f"c{n}", actor=REPORTER)
    if kind in ("Waiting for customer", "In Progress", "Done", "Open"):
        category = {"Done": "done", "Open": "new"}.get(kind, "indeterminate")
        return TicketEvent("T-1", EventKind.STATUS_CHANGED, at, f"s{n}", actor=AGENT, to_value=kind,
                           facts={"status": kind, "status_category": category})
    return TicketEvent("T-1", EventKind.PRIORITY_CHANGED, at, f"p{n}", actor=AGENT, to_value=kind,
                       facts={"priority": kind})


KINDS = ("comment", "reporter-comment", "Waiting for customer", "In Progress", "Done", "Open", "High", "Medium")


@st.composite
def lives(draw):
    """A created event and 0-8 more, all on a handful of instants (so many coincide; some equal
    to the creation instant), and a `now` that is one of them or after all."""
    instants = [ORIGIN + timedelta(minutes=draw(st.integers(0, 600))) for _ in range(draw(st.integers(1, 4)))]
    created_at = min(instants)
    events = [TicketEvent("T-1", EventKind.CREATED, created_at, "created", actor=REPORTER, facts={
        "priority": draw(st.sampled_from(["High", "Medium"])), "status": "Open", "status_category": "new",
        "reporter": REPORTER, "resolution": None})]
    for n in range(draw(st.integers(0, 8))):
        events.append(_event(draw(st.sampled_from(KINDS)), draw(st.sampled_from(instants)), n))
    now = draw(st.sampled_from(instants + [max(instants) + timedelta(hours=draw(st.integers(0, 48)))]))
    return events, now


@BOUNDED
@given(lives(), st.randoms(use_true_random=False))
def test_order_and_duplicates_at_shared_instants_do_not_matter(life, rnd: random.Random):
    events, now = life
    expected = ticket_json(evaluate(events, RULES, now))
    delivered = events + [rnd.choice(events) for _ in range(3)]
    rnd.shuffle(delivered)
    assert ticket_json(evaluate(delivered, RULES, now)) == expected


@BOUNDED
@given(lives())
def test_clock_figures_agree_with_each_other(life):
    events, now = life
    state = evaluate(events, RULES, now)
    clocks = {(c.metric, c.cycle): c for c in state.clocks}
    for clock in state.clocks:
        assert timedelta(0) <= clock.elapsed and clock.remaining == clock.target - clock.elapsed
        end = clock.stopped_at or now
        assert clock.elapsed + clock.paused_for <= end - clock.started_at  # no calendar counts more than 24x7
        if clock.state == "stopped":
            # Met exactly at the target; breached only past it, and at due.
            assert clock.breached == (clock.elapsed > clock.target)
        else:
            assert clock.breached == (clock.elapsed >= clock.target)
            assert (clock.due_at is None) == (clock.state == "paused")
            if clock.due_at is not None and not clock.breached:
                assert clock.due_at > now
        if clock.breached:
            assert clock.breached_at == clock.due_at or clock.state == "paused"
    first, resolution = clocks.get(("first_response", 1)), clocks.get(("resolution", 1))
    if first and resolution:  # a response never comes after the first resolution
        assert first.stopped_at is not None or resolution.stopped_at is None
        if first.stopped_at and resolution.stopped_at:
            assert first.stopped_at <= resolution.stopped_at
