"""Frozen periods (processors/freeze.py), table by table: the clocks a period counts and their
verdicts, the figures frozen from them, the late changes against them, and the correction text
posted when they are re-judged. Each expected value is worked out by hand beside its row."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from processors.freeze import Change, CountedClock, changes, correction_text, counted_clocks, figures, verdict_of
from processors.periods import week_of
from processors.reports import ClockRecord

UTC = timezone.utc
FR, RES = "first_response", "resolution"
W02 = week_of(date(2026, 1, 7), "UTC")  # Mon 5 Jan 2026 00:00 .. Mon 12 Jan 00:00 (exclusive), UTC
START, END = datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 12, tzinfo=UTC)
SECOND = timedelta(seconds=1)
NAMES = {"acme": "ACME Outsourcing"}


def _record(ticket="A-1", metric=FR, cycle=1, vendor="acme", stopped=None, breached=None, excused=False,
            version=None) -> ClockRecord:
    return ClockRecord(ticket=ticket, metric=metric, cycle=cycle, vendor=vendor, target_seconds=3600,
                       elapsed_seconds=600, stopped_at=stopped, breached_at=breached, excused=excused,
                       rules_version=version)


def _counted(ticket="A-1", metric=FR, vendor="acme", verdict="met", cycle=1) -> CountedClock:
    return CountedClock(ticket, metric, cycle, vendor, verdict, START)


# ---- verdicts --------------------------------------------------------------------------------

@pytest.mark.parametrize("record, verdict", [
    (_record(stopped=START), "met"),  # stopped, never breached
    (_record(stopped=START, breached=START - SECOND), "breached"),  # breached a second before the stop
    (_record(breached=START), "breached"),  # open, breached
    (_record(breached=START, excused=True), "excused"),  # an excused breach is neither met nor breached
    (_record(stopped=START, excused=True), "excused"),  # the excuse flag decides first
])
def test_verdict_of(record, verdict):
    assert verdict_of(record) == verdict


# ---- the clocks a period counts: those that ended in it ------------------------------------

@pytest.mark.parametrize("stopped, breached, counted", [
    (START, None, True),  # stopped at the period's first instant: in it
    (START - SECOND, None, False),  # a second before: the week before
    (END - SECOND, None, True),  # the last second of the week
    (END, None, False),  # the first instant of the next week
    (None, END - SECOND, True),  # open, breached in the last second: ended then
    (END + SECOND, START, True),  # stopped after the week but breached in it: ends at the breach
    (None, None, False),  # open, not breached: not ended, counted nowhere
])
def test_counted_clocks_at_the_period_edges(stopped, breached, counted):
    found = counted_clocks([_record(stopped=stopped, breached=breached)], W02)
    assert len(found) == (1 if counted else 0)


def test_a_counted_clock_keeps_its_facts_and_verdict():
    records = [
        _record("A-1", FR, 1, "acme", stopped=START + SECOND, version="v3"),
        _record("A-1", RES, 2, None, stopped=END, breached=END - SECOND),  # ends at its breach, in the week
        _record("A-2", FR, 1, "acme", stopped=END),  # the next week: left out
        _record("A-3", RES, 1, "globex", breached=START, excused=True),
    ]
    assert counted_clocks(records, W02) == [
        CountedClock("A-1", FR, 1, "acme", "met", START + SECOND, "v3"),
        CountedClock("A-1", RES, 2, None, "breached", END - SECOND, None),
        CountedClock("A-3", RES, 1, "globex", "excused", START, None),
    ]
    assert counted_clocks(records, W02)[1].key == ("A-1", RES, 2)


# ---- the figures frozen: per vendor (None last), per metric [counted, met, excused] ----------

@pytest.mark.parametrize("clocks, expected", [
    ([], []),  # nothing counted: no vendors
    ([_counted(verdict="met")], [{"vendor": "acme", "metrics": {FR: [1, 1, 0]}}]),
    ([_counted(verdict="breached")], [{"vendor": "acme", "metrics": {FR: [1, 0, 0]}}]),
    # an excused breach is not counted (nor met), only tallied as excused
    ([_counted(verdict="excused")], [{"vendor": "acme", "metrics": {FR: [0, 0, 1]}}]),
    # two met, one breached, two excused of one metric: counted 3, met 2, excused 2
    ([_counted(verdict=v) for v in ("met", "breached", "excused", "met", "excused")],
     [{"vendor": "acme", "metrics": {FR: [3, 2, 2]}}]),
    # metrics sorted by name whatever the order met: first_response before resolution
    ([_counted(metric=RES, verdict="breached"), _counted(metric=FR)],
     [{"vendor": "acme", "metrics": {FR: [1, 1, 0], RES: [1, 0, 0]}}]),
    # vendors sorted by id, the clocks of no vendor last, whatever the order met
    ([_counted(vendor="globex"), _counted(vendor=None, verdict="breached"), _counted(vendor="acme")],
     [{"vendor": "acme", "metrics": {FR: [1, 1, 0]}}, {"vendor": "globex", "metrics": {FR: [1, 1, 0]}},
      {"vendor": None, "metrics": {FR: [1, 0, 0]}}]),
    # no vendor first met, then two vendors: still last
    ([_counted(vendor=None), _counted(vendor="globex"), _counted(vendor="acme", verdict="excused")],
     [{"vendor": "acme", "metrics": {FR: [0, 0, 1]}}, {"vendor": "globex", "metrics": {FR: [1, 1, 0]}},
      {"vendor": None, "metrics": {FR: [1, 1, 0]}}]),
])
def test_figures(clocks, expected):
    assert figures(clocks) == expected


# ---- late changes: what is counted otherwise now than when frozen ----------------------------

K1, K2, K3 = ("A-1", FR, 1), ("A-2", FR, 1), ("A-3", RES, 1)


@pytest.mark.parametrize("frozen, now, expected", [
    ({}, {}, []),
    # the same verdict and vendor: no change
    ({K1: _counted("A-1")}, {K1: _counted("A-1")}, []),
    # met when frozen, breached now (a late event): vendor unchanged
    ({K1: _counted("A-1")}, {K1: _counted("A-1", verdict="breached")}, [Change("A-1", FR, 1, "acme", "met", "breached")]),
    # the same verdict under another vendor now (reassigned): a change, with the vendor of now
    ({K1: _counted("A-1")}, {K1: _counted("A-1", vendor="globex")}, [Change("A-1", FR, 1, "globex", "met", "met")]),
    # no longer counted (it ends in another week now): after None, the vendor it had
    ({K1: _counted("A-1", vendor="globex")}, {}, [Change("A-1", FR, 1, "globex", "met", None)]),
    # newly counted: before None
    ({}, {K1: _counted("A-1", verdict="excused")}, [Change("A-1", FR, 1, "acme", None, "excused")]),
    # in key order; an unchanged clock before a changed one does not hide it
    ({K1: _counted("A-1"), K2: _counted("A-2"), K3: _counted("A-3", RES)},
     {K3: _counted("A-3", RES, verdict="breached"), K1: _counted("A-1"), K2: _counted("A-2")},
     [Change("A-3", RES, 1, "acme", "met", "breached")]),
    ({K3: _counted("A-3", RES)}, {K2: _counted("A-2"), K1: _counted("A-1", verdict="breached")},
     [Change("A-1", FR, 1, "acme", None, "breached"), Change("A-2", FR, 1, "acme", None, "met"),
      Change("A-3", RES, 1, "acme", "met", None)]),
])
def test_changes(frozen, now, expected):
    assert changes(frozen, now) == expected


# ---- the correction posted in the period's thread ------------------------------------------

def _fig(vendor, **metrics):
    return {"vendor": vendor, "metrics": metrics}


HEAD = "Correction to 2026-W02: re-judged by U1. Reason: late reply"


@pytest.mark.parametrize("before, after, lines", [
    # nothing changed: the head and a line saying so
    ([_fig("acme", first_response=[4, 2, 0])], [_fig("acme", first_response=[4, 2, 0])],
     ["The figures did not change."]),
    ([], [], ["The figures did not change."]),
    # 2 of 4 -> 3 of 4: one line, no "did not change"
    ([_fig("acme", first_response=[4, 2, 0])], [_fig("acme", first_response=[4, 3, 0])],
     ["• ACME Outsourcing, first response: 50.0% (2/4) → 75.0% (3/4)"]),
    # none met of 4 is 0.0%, not a dash; nothing counted (only an excused breach) is a dash
    ([_fig("acme", resolution=[4, 0, 0])], [_fig("acme", resolution=[0, 0, 1])],
     ["• ACME Outsourcing, resolution: 0.0% (0/4) → –"]),
    # a metric counted only now, a metric no longer counted: the dash on the other side
    ([_fig("acme", resolution=[1, 1, 0])], [_fig("acme", first_response=[1, 0, 0])],
     ["• ACME Outsourcing, first response: – → 0.0% (0/1)",
      "• ACME Outsourcing, resolution: 100.0% (1/1) → –"]),
    # only the excused count changed: a change of the figures, both sides the same percentage
    ([_fig("acme", resolution=[2, 1, 0])], [_fig("acme", resolution=[2, 1, 1])],
     ["• ACME Outsourcing, resolution: 50.0% (1/2) → 50.0% (1/2)"]),
    # lines by vendor id (no vendor last), then metric; a vendor the names lack by its id;
    # unchanged lines (acme first response) left out
    ([_fig(None, resolution=[1, 1, 0]), _fig("globex", first_response=[2, 2, 0]),
      _fig("acme", resolution=[1, 1, 0], first_response=[1, 1, 0])],
     [_fig("acme", resolution=[1, 0, 0], first_response=[1, 1, 0]), _fig(None, resolution=[1, 0, 0]),
      _fig("globex", first_response=[2, 1, 0])],
     ["• ACME Outsourcing, resolution: 100.0% (1/1) → 0.0% (0/1)",
      "• globex, first response: 100.0% (2/2) → 50.0% (1/2)",
      "• no vendor, resolution: 100.0% (1/1) → 0.0% (0/1)"]),
    # within one vendor by metric name: first_response before resolution whatever the order met
    ([_fig("acme", resolution=[1, 1, 0], first_response=[1, 1, 0])],
     [_fig("acme", resolution=[1, 0, 0], first_response=[1, 0, 0])],
     ["• ACME Outsourcing, first response: 100.0% (1/1) → 0.0% (0/1)",
      "• ACME Outsourcing, resolution: 100.0% (1/1) → 0.0% (0/1)"]),
])
def test_correction_text_of_the_whole_period(before, after, lines):
    assert correction_text(W02, None, before, after, "U1", "late reply", NAMES) == "\n".join([HEAD, *lines])


@pytest.mark.parametrize("vendor, head", [
    ("acme", "Correction to 2026-W02 for ACME Outsourcing: re-judged by U1. Reason: late reply"),  # named
    ("globex", "Correction to 2026-W02 for globex: re-judged by U1. Reason: late reply"),  # not named: the id
    ("", HEAD),  # no vendor given (empty): the whole period's head
])
def test_correction_text_of_one_vendor(vendor, head):
    same = [_fig("acme", first_response=[1, 1, 0])]
    assert correction_text(W02, vendor, same, same, "U1", "late reply", NAMES) == head + "\nThe figures did not change."


def test_correction_text_in_chinese():
    before = [_fig(None, first_response=[4, 2, 0])]
    after = [_fig(None, first_response=[4, 3, 0])]
    assert correction_text(W02, None, before, after, "U1", "复核", NAMES, "zh_CN") == (
        "更正2026年第2周：由 U1 重新评定。原因：复核\n"
        "• 无供应商，首次响应：50.0% (2/4) → 75.0% (3/4)")
    assert correction_text(W02, None, before, before, "U1", "复核", NAMES, "zh_CN") == (
        "更正2026年第2周：由 U1 重新评定。原因：复核\n数据没有变化。")
