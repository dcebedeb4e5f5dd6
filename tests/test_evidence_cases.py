"""The evidence behind the percentages (processors/evidence.py), table by table: periods between
two days, period labels, when a clock breached and ended, the attainment table, a clock as
/api/clocks shows it and as the exports write it. Each expected value is worked out by hand
beside its row; instants at the edges (exactly at a due time or a period's end, a second either
side)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from processors.evidence import (
    EXPORT_COLUMNS, MAX_PERIODS, ClockFacts, attainment_table, breach_instant, clock_item, counted, ended_at,
    export_row, parse_period, periods_between,
)
from processors.periods import month_of, quarter_of, week_of
from processors.reports import ClockRecord

UTC = timezone.utc
FR, RES = "first_response", "resolution"
SECOND = timedelta(seconds=1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# ---- periods between two days --------------------------------------------------------------

@pytest.mark.parametrize("kind, first, last, labels", [
    # one day: its week (Wed 18 Nov 2026 is in W47)
    ("week", date(2026, 11, 18), date(2026, 11, 18), ["2026-W47"]),
    # the Sunday ending W47: still one week; the Monday after: two
    ("week", date(2026, 11, 16), date(2026, 11, 22), ["2026-W47"]),
    ("week", date(2026, 11, 16), date(2026, 11, 23), ["2026-W47", "2026-W48"]),
    # over New Year: 2026 has 53 ISO weeks
    ("week", date(2026, 12, 21), date(2027, 1, 4), ["2026-W52", "2026-W53", "2027-W01"]),
    # months: 31 Jan then 1 Feb
    ("month", date(2026, 1, 31), date(2026, 1, 31), ["2026-01"]),
    ("month", date(2026, 1, 31), date(2026, 2, 1), ["2026-01", "2026-02"]),
    ("month", date(2026, 1, 15), date(2026, 3, 31), ["2026-01", "2026-02", "2026-03"]),
    # quarters: the last day of Q1, then the first of Q2
    ("quarter", date(2026, 2, 1), date(2026, 3, 31), ["2026-Q1"]),
    ("quarter", date(2026, 2, 1), date(2026, 4, 1), ["2026-Q1", "2026-Q2"]),
    ("quarter", date(2025, 12, 31), date(2026, 1, 1), ["2025-Q4", "2026-Q1"]),
])
def test_periods_between(kind, first, last, labels):
    periods = periods_between(kind, first, last, "Asia/Shanghai")
    assert [p.label for p in periods] == labels
    assert all(p.zone == "Asia/Shanghai" for p in periods)


def test_periods_between_at_most_120():
    assert MAX_PERIODS == 120
    # Jan 2020 .. Dec 2029: exactly 120 months, allowed
    months = periods_between("month", date(2020, 1, 1), date(2029, 12, 31), "UTC")
    assert (len(months), months[0].label, months[-1].label) == (120, "2020-01", "2029-12")
    # a day more is 121 months
    with pytest.raises(ValueError, match="at most 120 periods at a time"):
        periods_between("month", date(2020, 1, 1), date(2030, 1, 1), "UTC")


def test_periods_between_to_before_from():
    with pytest.raises(ValueError, match="'to' is before 'from'"):
        periods_between("week", date(2026, 11, 18), date(2026, 11, 17), "UTC")  # a day before: an error


# ---- period labels ---------------------------------------------------------------------------

@pytest.mark.parametrize("label, period", [
    ("2026-W47", week_of(date(2026, 11, 16), "Asia/Shanghai")),  # Mon 16 .. Sun 22 Nov 2026
    ("2026-W01", week_of(date(2025, 12, 29), "Asia/Shanghai")),  # ISO week 1 of 2026 starts in 2025
    ("2026-W53", week_of(date(2026, 12, 28), "Asia/Shanghai")),  # 2026 has 53 weeks
    (" 2026-W47\n", week_of(date(2026, 11, 16), "Asia/Shanghai")),  # white space around is dropped
    ("2026-11", month_of(date(2026, 11, 1), "Asia/Shanghai")),
    ("2026-01", month_of(date(2026, 1, 1), "Asia/Shanghai")),
    ("2026-12", month_of(date(2026, 12, 1), "Asia/Shanghai")),
    ("2026-Q1", quarter_of(date(2026, 1, 1), "Asia/Shanghai")),  # Jan .. Mar
    ("2026-Q2", quarter_of(date(2026, 4, 1), "Asia/Shanghai")),  # Apr .. Jun
    ("2026-Q3", quarter_of(date(2026, 7, 1), "Asia/Shanghai")),  # Jul .. Sep
    ("2026-Q4", quarter_of(date(2026, 10, 1), "Asia/Shanghai")),  # Oct .. Dec
])
def test_parse_period(label, period):
    got = parse_period(label, "Asia/Shanghai")
    assert got == period
    assert got.label == label.strip()


@pytest.mark.parametrize("label", [
    "2025-W53",  # 2025 has 52 ISO weeks
    "2026-W54", "2026-W00",  # no such week
    "2026-13", "2026-00",  # no such month
    "2026-Q5", "2026-Q0",  # no such quarter
    "2026-W7", "2026-1", "26-W47", "2026W47", "2026-H1", "",  # not the format
])
def test_parse_period_errors(label):
    with pytest.raises(ValueError) as error:
        parse_period(label, "UTC")
    assert str(error.value) == f"period {label!r}: write it like 2026-W47, 2026-11 or 2026-Q3"
    # one message, no chained "during handling of..." traceback of the date error behind it
    assert error.value.__cause__ is None
    assert error.value.__context__ is None or error.value.__suppress_context__


# ---- when a clock breached and when it ended -------------------------------------------------

NOW = at("2026-11-18 12:00:00")


def _facts(**changes) -> ClockFacts:
    base = ClockFacts(
        ticket="OPS-1", summary="Router down", priority="P1", status="In Progress", metric=FR, cycle=1,
        state="running", vendor="acme", policy="p1", calendar="24x7", target_seconds=3600,
        elapsed_seconds=1000, paused_seconds=60, started_at=at("2026-11-18 10:00:00"), stopped_at=None,
        due_at=None, breached_at=None, rules_version="v7", computed_at=at("2026-11-18 11:59:00"))
    return replace(base, **changes)


@pytest.mark.parametrize("facts, expected", [
    (_facts(), None),  # running, no due time: not breached
    (_facts(due_at=NOW + SECOND), None),  # running, due a second after now: not yet
    (_facts(due_at=NOW), NOW),  # due exactly now: breached now
    (_facts(due_at=NOW - SECOND), NOW - SECOND),  # due a second ago: breached then
    (_facts(state="paused", due_at=NOW - SECOND), None),  # paused past its due time: not breached (yet)
    (_facts(state="stopped", due_at=NOW - SECOND, stopped_at=NOW - 2 * SECOND), None),  # stopped in time
    # a stored breach instant wins, whatever the state or due time
    (_facts(state="stopped", breached_at=at("2026-11-18 11:00:00"), due_at=NOW + SECOND),
     at("2026-11-18 11:00:00")),
    (_facts(breached_at=at("2026-11-18 11:00:00"), due_at=NOW - SECOND), at("2026-11-18 11:00:00")),
])
def test_breach_instant(facts, expected):
    assert breach_instant(facts, NOW) == expected


@pytest.mark.parametrize("facts, expected", [
    (_facts(), None),  # running, not breached: not ended
    (_facts(state="stopped", stopped_at=NOW - SECOND), NOW - SECOND),  # stopped: then
    (_facts(due_at=NOW), NOW),  # running past due: at the due time
    # stopped after a breach: the earlier, the breach
    (_facts(state="stopped", stopped_at=NOW, breached_at=NOW - SECOND), NOW - SECOND),
    # breached after the stop (a stored breach later than a stop cannot happen, but the earlier wins)
    (_facts(state="stopped", stopped_at=NOW - SECOND, breached_at=NOW), NOW - SECOND),
])
def test_ended_at(facts, expected):
    assert ended_at(facts, NOW) == expected


W47 = week_of(date(2026, 11, 18), "UTC")  # Mon 16 Nov 00:00 .. Mon 23 Nov 00:00 UTC


@pytest.mark.parametrize("facts, expected", [
    (_facts(), False),  # not ended: in no period
    (_facts(state="stopped", stopped_at=at("2026-11-16 00:00:00")), True),  # the week's first instant
    (_facts(state="stopped", stopped_at=at("2026-11-15 23:59:59")), False),  # a second before
    (_facts(state="stopped", stopped_at=at("2026-11-22 23:59:59")), True),  # the last second
    (_facts(state="stopped", stopped_at=at("2026-11-23 00:00:00")), False),  # the next week
    (_facts(due_at=at("2026-11-17 00:00:00")), True),  # running past due: counted where it breached
])
def test_counted(facts, expected):
    assert counted(facts, W47, NOW) is expected


# ---- a clock as /api/clocks shows it -------------------------------------------------------

def test_clock_item_of_a_running_clock():
    assert clock_item(_facts(), NOW) == {
        "ticket": "OPS-1", "summary": "Router down", "priority": "P1", "status": "In Progress",
        "metric": FR, "cycle": 1, "state": "running", "vendor": "acme", "policy": "p1", "calendar": "24x7",
        "target_seconds": 3600, "elapsed_seconds": 1000,
        "remaining_seconds": 2600,  # 3600 - 1000
        "paused_seconds": 60, "started_at": "2026-11-18T10:00:00Z", "stopped_at": None, "due_at": None,
        "breached": False, "breached_at": None, "excused": False, "excuse": None, "rules_version": "v7",
        "computed_at": "2026-11-18T11:59:00Z",
    }


@pytest.mark.parametrize("facts, breached_at, excuse", [
    # past due, running: breached at the due time, remaining negative
    (_facts(due_at=NOW, elapsed_seconds=3700), "2026-11-18T12:00:00Z", None),
    # excused and breached: the excuse shown
    (_facts(state="stopped", stopped_at=NOW, breached_at=NOW - SECOND, excused_by="U1",
            excused_at=NOW, excuse_reason="outage", elapsed_seconds=3700),
     "2026-11-18T11:59:59Z", {"by": "U1", "at": "2026-11-18T12:00:00Z", "reason": "outage"}),
    # an excuse on a clock that is not breached (the breach was undone): no excuse shown
    (_facts(state="stopped", stopped_at=NOW, excused_by="U1", excused_at=NOW, excuse_reason="outage",
            elapsed_seconds=3700), None, None),
    # running, due a second after now, excused beforehand: not breached, no excuse
    (_facts(due_at=NOW + SECOND, excused_by="U1", excused_at=NOW, excuse_reason="x", elapsed_seconds=3700),
     None, None),
])
def test_clock_item_breach_and_excuse(facts, breached_at, excuse):
    item = clock_item(facts, NOW)
    assert (item["breached"], item["breached_at"]) == (breached_at is not None, breached_at)
    assert (item["excused"], item["excuse"]) == (excuse is not None, excuse)
    assert item["remaining_seconds"] == -100  # 3600 - 3700
    assert item["stopped_at"] == (None if facts.stopped_at is None else "2026-11-18T12:00:00Z")
    assert item["due_at"] == (None if facts.due_at is None else facts.due_at.strftime("%Y-%m-%dT%H:%M:%SZ"))


# ---- a clock as the exports write it -------------------------------------------------------

NAMES = {"acme": "ACME Outsourcing"}


def test_export_row_of_a_running_clock():
    row = export_row(_facts(), NOW, NAMES)
    assert dict(zip(EXPORT_COLUMNS, row)) == {
        "ticket": "OPS-1", "summary": "Router down", "priority": "P1", "status": "In Progress",
        "vendor": "acme", "vendor_name": "ACME Outsourcing", "metric": FR, "cycle": 1, "state": "running",
        "policy": "p1", "calendar": "24x7", "target_seconds": 3600, "elapsed_seconds": 1000,
        "paused_seconds": 60, "started_at": "2026-11-18T10:00:00Z", "stopped_at": None, "due_at": None,
        "breached_at": None, "ended_at": None, "met": True, "excused": False, "excused_by": None,
        "excused_at": None, "excuse_reason": None, "rules_version": "v7",
    }
    assert len(row) == len(EXPORT_COLUMNS) == 25


@pytest.mark.parametrize("facts, expected", [
    # no vendor: no vendor name; a vendor the rules do not name: no name either
    (_facts(vendor=None), {"vendor": None, "vendor_name": None}),
    (_facts(vendor="globex"), {"vendor": "globex", "vendor_name": None}),
    # past due exactly now: breached then, ended then, not met
    (_facts(due_at=NOW), {"due_at": "2026-11-18T12:00:00Z", "breached_at": "2026-11-18T12:00:00Z",
                          "ended_at": "2026-11-18T12:00:00Z", "met": False, "excused": False}),
    # due a second later: not breached, not ended, met (so far)
    (_facts(due_at=NOW + SECOND), {"breached_at": None, "ended_at": None, "met": True}),
    # stopped in time: ended at the stop, met
    (_facts(state="stopped", stopped_at=NOW), {"stopped_at": "2026-11-18T12:00:00Z", "ended_at": "2026-11-18T12:00:00Z",
                                               "met": True}),
    # excused breach: the excuse's three columns filled
    (_facts(state="stopped", stopped_at=NOW, breached_at=NOW - SECOND, excused_by="U1", excused_at=NOW,
            excuse_reason="outage"),
     {"breached_at": "2026-11-18T11:59:59Z", "ended_at": "2026-11-18T11:59:59Z", "met": False, "excused": True,
      "excused_by": "U1", "excused_at": "2026-11-18T12:00:00Z", "excuse_reason": "outage"}),
    # an excuse without a breach: left out
    (_facts(state="stopped", stopped_at=NOW, excused_by="U1", excused_at=NOW, excuse_reason="outage"),
     {"met": True, "excused": False, "excused_by": None, "excused_at": None, "excuse_reason": None}),
])
def test_export_row(facts, expected):
    row = dict(zip(EXPORT_COLUMNS, export_row(facts, NOW, NAMES)))
    assert {column: row[column] for column in expected} == expected


# ---- the attainment table ------------------------------------------------------------------

def _record(ticket, metric, vendor, stopped, breached=None, excused=False, elapsed=600):
    return ClockRecord(ticket=ticket, metric=metric, cycle=1, vendor=vendor, target_seconds=3600,
                       elapsed_seconds=elapsed, stopped_at=stopped, breached_at=breached, excused=excused)


W46, W48 = week_of(date(2026, 11, 11), "UTC"), week_of(date(2026, 11, 25), "UTC")
CLOCKS = [
    _record("A-1", FR, "acme", at("2026-11-16 00:00:00"), elapsed=100),  # W47's first instant: met
    _record("A-2", FR, "acme", at("2026-11-22 23:59:59"), at("2026-11-22 23:00:00"), elapsed=5000),  # W47 breach
    _record("A-3", FR, "acme", at("2026-11-23 00:00:00"), elapsed=300),  # W48's first instant
    _record("A-4", RES, "acme", at("2026-11-20 00:00:00"), at("2026-11-19 00:00:00"), excused=True),  # W47
    _record("G-1", FR, "globex", at("2026-11-17 00:00:00"), elapsed=200),  # W47
    _record("N-1", FR, None, at("2026-11-18 00:00:00"), elapsed=400),  # W47, no vendor
    _record("D-1", FR, "delta", at("2026-11-18 00:00:00")), _record("B-1", FR, "beta", at("2026-11-18 00:00:00")),
    _record("E-1", FR, "echo", at("2026-11-18 00:00:00")), _record("C-1", FR, "charlie", at("2026-11-18 00:00:00")),
]


def _stats(counted, met, excused, attainment, target, above, median, p90):
    return {"counted": counted, "met": met, "excused": excused, "attainment": attainment, "target": target,
            "above_target": above, "median_seconds": median, "p90_seconds": p90}


def test_attainment_table_per_period_and_vendor():
    table = attainment_table(CLOCKS, [W46, W47, W48], {FR: 0.9}, [FR, RES], NAMES)
    # W46: nothing counted; its edges as UTC instants
    assert table[0] == {"label": "2026-W46", "start": "2026-11-09T00:00:00Z", "end": "2026-11-16T00:00:00Z",
                        "vendors": []}
    w47 = table[1]
    assert (w47["label"], w47["start"], w47["end"]) == ("2026-W47", "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z")
    # vendors by id, no vendor last; a vendor the names lack has its id as name; no vendor no name
    assert [(row["vendor"], row["name"]) for row in w47["vendors"]] == [
        ("acme", "ACME Outsourcing"), ("beta", "beta"), ("charlie", "charlie"), ("delta", "delta"),
        ("echo", "echo"), ("globex", "globex"), (None, None)]
    acme = w47["vendors"][0]["metrics"]
    # acme W47: A-1 met (100 s), A-2 breached (5000 s): 1 of 2, under the 90% target; nearest-rank
    # median of [100, 5000] is 100, p90 5000. Resolution: A-4 excused only: nothing counted, no target
    assert acme == {FR: _stats(2, 1, 0, 0.5, 0.9, False, 100, 5000),
                    RES: _stats(0, 0, 1, None, None, None, None, None)}
    # globex: only its own clock (200 s), 1 of 1, above the target
    assert w47["vendors"][5]["metrics"][FR] == _stats(1, 1, 0, 1.0, 0.9, True, 200, 200)
    assert w47["vendors"][6]["metrics"][FR] == _stats(1, 1, 0, 1.0, 0.9, True, 400, 400)
    # W48: A-3 at its first instant
    assert [(row["vendor"], row["metrics"][FR]["counted"]) for row in table[2]["vendors"]] == [("acme", 1)]


@pytest.mark.parametrize("vendors, expected", [
    (None, ["acme", "beta", "charlie", "delta", "echo", "globex", None]),  # every vendor counted
    ({"globex", "acme"}, ["acme", "globex"]),  # only those asked for
    ({None}, [None]),  # only the clocks of no vendor
    ({"nobody"}, []),  # a vendor with nothing counted: no row
    (set(), []),
])
def test_attainment_table_of_some_vendors(vendors, expected):
    (week,) = attainment_table(CLOCKS, [W47], {}, [FR], NAMES, vendors=vendors)
    assert [row["vendor"] for row in week["vendors"]] == expected
    assert all(list(row["metrics"]) == [FR] for row in week["vendors"])  # only the metrics asked for


def test_attainment_table_of_no_periods():
    assert attainment_table(CLOCKS, [], {}, [FR], NAMES) == []
