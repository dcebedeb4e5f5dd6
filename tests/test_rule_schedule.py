"""Effective-dated rules, the pure part: which version judges a ticket, the spans of the schedule,
which versions judged a report's clocks, and how the reports word it (processors/rule_schedule.py,
processors/report_render.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from processors.events import EventKind, TicketEvent
from processors.report_render import instant_text, judged_text, span_text
from processors.rule_schedule import (
    Judged, Pin, RuleSchedule, RuleSpan, as_schedule, created_at, judge, judged_by, spans,
)
from processors.rules import parse_rules
from tests.conftest import RULES_YAML

UTC = timezone.utc
OLDEST = parse_rules(RULES_YAML + "# oldest\n")
OLD = parse_rules(RULES_YAML + "# old\n")
CURRENT = parse_rules(RULES_YAML.replace("target: 1h, warn_at: [50%]", "target: 2h, warn_at: [50%]"))
JAN = datetime(2026, 1, 1, tzinfo=UTC)
MAR = datetime(2026, 3, 1, tzinfo=UTC)
SCHEDULE = RuleSchedule(CURRENT, (Pin(JAN, OLDEST), Pin(MAR, OLD)))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event(kind: EventKind, when: datetime, key: str = "OPS-1", **facts) -> TicketEvent:
    return TicketEvent(ticket=key, kind=kind, at=when, dedup_key=f"{key}:{kind}:{when.isoformat()}",
                       facts=facts)


@pytest.mark.parametrize("created, expected", [
    (None, CURRENT),                      # not created yet: the current rules
    (at("2025-06-01 00:00"), OLDEST),     # before the first pin
    (JAN - timedelta(microseconds=1), OLDEST),
    (JAN, OLD),                           # a pin's instant itself is not "before" it
    (at("2026-02-28 23:59"), OLD),
    (MAR, CURRENT),
    (at("2027-01-01 00:00"), CURRENT),
])
def test_the_earliest_pin_after_the_creation_instant_judges(created, expected):
    assert SCHEDULE.rules_for_created(created) is expected


@pytest.mark.parametrize("events, expected", [
    ([], CURRENT),
    ([event(EventKind.COMMENTED, at("2025-06-01 10:00"))], CURRENT),  # no created event
    ([event(EventKind.CREATED, at("2026-02-01 10:00"), status="Open")], OLD),
    # the earliest created event counts, as processors.sla reads it
    ([event(EventKind.CREATED, at("2026-04-01 10:00")), event(EventKind.CREATED, at("2025-12-01 10:00"))], OLDEST),
])
def test_a_ticket_is_judged_by_its_created_event(events, expected):
    assert SCHEDULE.rules_for(events) is expected


def test_judge_evaluates_under_the_rules_of_the_ticket():
    events = [event(EventKind.CREATED, at("2026-02-02 09:00"), status="Open", priority="Medium")]
    now = at("2026-02-02 12:00")
    old = judge(events, SCHEDULE, now)
    new = judge(events, SCHEDULE.with_current(OLDEST), now)  # OLD stays pinned over other current rules
    plain = judge(events, CURRENT, now)  # a plain Rules judges every ticket
    def first_response(state):
        return next(c.target for c in state.clocks if c.metric == "first_response")
    assert first_response(old) == timedelta(hours=1) and first_response(plain) == timedelta(hours=2)
    assert old == new
    assert as_schedule(CURRENT) == RuleSchedule(CURRENT) and as_schedule(SCHEDULE) is SCHEDULE
    assert created_at(events) == at("2026-02-02 09:00") and SCHEDULE.versions == {
        OLDEST.version, OLD.version, CURRENT.version}


@pytest.mark.parametrize("pins", [
    (Pin(MAR, OLD), Pin(JAN, OLDEST)),  # out of order
    (Pin(JAN, OLD), Pin(JAN, OLDEST)),  # twice the same instant
    (Pin(datetime(2026, 1, 1), OLD),),  # naive
])
def test_a_schedule_refuses_pins_out_of_order_or_naive(pins):
    with pytest.raises(ValueError):
        RuleSchedule(CURRENT, pins)


@pytest.mark.parametrize("pins, current, expected", [
    ([], "c", [RuleSpan("c", None, None)]),
    ([(JAN, "a")], "c", [RuleSpan("a", None, JAN), RuleSpan("c", JAN, None)]),
    ([(JAN, "a"), (MAR, "b")], "c", [RuleSpan("a", None, JAN), RuleSpan("b", JAN, MAR), RuleSpan("c", MAR, None)]),
    ([(JAN, "a")], "a", [RuleSpan("a", None, None)]),  # edited back to the pinned version: one span
    ([(JAN, "a"), (MAR, "b")], "a", [RuleSpan("a", None, JAN), RuleSpan("b", JAN, MAR), RuleSpan("a", MAR, None)]),
])
def test_spans(pins, current, expected):
    assert list(spans(pins, current)) == expected


def test_schedule_spans_are_its_pins_and_current():
    assert SCHEDULE.spans() == spans([(JAN, OLDEST.version), (MAR, OLD.version)], CURRENT.version)


def test_judged_by_counts_versions_older_ones_first():
    schedule_spans = spans([(JAN, "a"), (MAR, "b")], "c")
    judged = judged_by(["c", "a", "c", None, "zz", "b", "c"], schedule_spans)
    assert [(j.version, j.clocks) for j in judged] == [("zz", 1), ("a", 1), ("b", 1), ("c", 3)]
    assert judged[0].spans == () and judged[1].spans == (RuleSpan("a", None, JAN),)
    assert judged_by([None, None], schedule_spans) == ()


A, B = "a" * 64, "b" * 64


@pytest.mark.parametrize("judged, text", [
    ((), None),
    ((Judged(A, 3, (RuleSpan(A, None, None),)),), "rules aaaaaaaaaaaa"),
    ((Judged(A, 3, (RuleSpan(A, MAR, None),)),), "rules aaaaaaaaaaaa (tickets created from 2026-03-01)"),
    ((Judged(A, 3),), "rules aaaaaaaaaaaa (no longer in force)"),
    ((Judged(A, 1, (RuleSpan(A, None, MAR),)), Judged(B, 12, (RuleSpan(B, MAR, None),))),
     "rules aaaaaaaaaaaa (tickets created before 2026-03-01): 1 clock; "
     "bbbbbbbbbbbb (tickets created from 2026-03-01): 12 clocks"),
    ((Judged(A, 2, (RuleSpan(A, None, JAN), RuleSpan(A, MAR, None))), Judged(B, 2, (RuleSpan(B, JAN, MAR),))),
     "rules aaaaaaaaaaaa (tickets created before 2026-01-01 and tickets created from 2026-03-01): 2 clocks; "
     "bbbbbbbbbbbb (tickets created from 2026-01-01 and before 2026-03-01): 2 clocks"),
])
def test_judged_text(judged, text):
    assert judged_text(judged) == text


def test_instants_of_pins_read_as_dates_when_they_are_midnight_utc():
    assert instant_text(MAR) == "2026-03-01"
    assert instant_text(datetime(2026, 3, 1, 9, tzinfo=timezone(timedelta(hours=1)))) == "2026-03-01T08:00:00Z"
    assert span_text(RuleSpan(A, None, None)) == "every ticket"
