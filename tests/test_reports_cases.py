"""Report aggregation at its boundaries, as tables worked out by hand: nearest-rank percentiles
at exact ranks, attainment exactly at its target, survey questions with and without a target,
open breaches at the exact end of a week, a clock ending on a period's edge, excused breaches,
and a vendor that is no longer in the rules. Public surface only (`weekly_summary`,
`quarterly_scorecards`, `metric_stats`, `nearest_rank`, `change_pp`, `ClockRecord`).

Week 2026-W02 (UTC) is Mon 5 Jan 00:00Z .. Mon 12 Jan 00:00Z; Q1 2026 is 1 Jan .. 1 Apr.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from processors.periods import (
    last_complete_quarter, last_complete_week, month_of, months_of, previous, quarter_of, report_period, week_of,
    weeks_ending,
)
from processors.reports import (
    ClockRecord, History, SurveyRecord, TicketRecord, change_pp, in_locale, metric_stats, nearest_rank,
    quarterly_scorecards, weekly_summary,
)
from processors.rule_schedule import RuleSpan

UTC = timezone.utc
S = timedelta(seconds=1)
WEEK = week_of(date(2026, 1, 7), "UTC")
END = datetime(2026, 1, 12, tzinfo=UTC)  # the week's end (exclusive)
MID = datetime(2026, 1, 7, 12, tzinfo=UTC)
Q1 = quarter_of(date(2026, 2, 1), "UTC")
TARGETS = {"first_response": 0.85, "resolution": 0.95, "csat": 0.90}  # no communication target
NAMES = {"acme": "ACME"}
FR, RES = "first_response", "resolution"


def rec(n: int = 0, metric: str = RES, vendor: str | None = "acme", elapsed: int = 100,
        stopped: datetime | None = MID, breached: datetime | None = None, **more) -> ClockRecord:
    return ClockRecord(f"T-{n}", metric, 1, vendor, 1000, elapsed, stopped, breached, **more)


def week(clocks=(), tickets=(), surveys=(), vendor=None, names=NAMES):
    return weekly_summary(History(tuple(clocks), tuple(tickets), tuple(surveys)), WEEK, names, TARGETS,
                          vendor=vendor)


# ---- nearest-rank percentiles -----------------------------------------------------------------

@pytest.mark.parametrize("count, median, p90", [
    (1, 100, 100),  # one value is every percentile
    (2, 100, 200),  # median rank ceil(1.0)=1; p90 rank ceil(1.8)=2
    (9, 500, 900),  # ranks ceil(4.5)=5 and ceil(8.1)=9
    (10, 500, 900),  # exactly ten: ranks ceil(5.0)=5 and ceil(9.0)=9 (not 10)
    (11, 600, 1000),  # ranks ceil(5.5)=6 and ceil(9.9)=10
], ids=lambda v: str(v))
def test_median_and_p90_of_n_clocks(count, median, p90):
    # Elapsed 100, 200, ... count*100 s, given in reverse order (the function sorts).
    clocks = [rec(i, elapsed=100 * (count - i)) for i in range(count)]
    stats = metric_stats(clocks, RES, WEEK, TARGETS)
    assert (stats.counted, stats.median_seconds, stats.p90_seconds) == (count, median, p90)


def test_nearest_rank_exact_ranks():
    values = list(range(1, 203))  # 202 values: the median is rank 101 exactly (not 100)
    assert nearest_rank(values, 50) == 101
    assert nearest_rank(values, 90) == 182  # ceil(181.8) = 182
    assert nearest_rank([], 50) is None
    assert nearest_rank([7], 0) == 7  # rank at least 1


# ---- attainment against its target ------------------------------------------------------------

@pytest.mark.parametrize("met, counted, above", [
    (17, 20, True),  # 17/20 = 0.85, exactly the first-response target: met, not below
    (16, 20, False),  # 0.80 < 0.85
    (20, 20, True),
], ids=["exactly-at-target", "below", "all-met"])
def test_attainment_at_target(met, counted, above):
    clocks = [rec(i, FR, breached=None if i < met else MID - S) for i in range(counted)]
    stats = metric_stats(clocks, FR, WEEK, TARGETS)
    assert (stats.met, stats.counted, stats.attainment == met / counted, stats.above) == (met, counted, True, above)


def test_attainment_without_target_or_clocks():
    stats = metric_stats([rec(1, FR)], FR, WEEK, {})  # no target given
    assert (stats.target, stats.attainment, stats.above) == (None, 1.0, None)
    empty = metric_stats([], FR, WEEK, TARGETS)
    assert (empty.counted, empty.attainment, empty.above, empty.median_seconds) == (0, None, None, None)


def test_survey_questions_with_and_without_target():
    # 9 of 10 satisfied = 0.90, exactly the csat target: at/above. Communication has no target in
    # TARGETS: its attainment is known (8 of 10 = 0.8) but it is neither above nor below (None).
    surveys = [SurveyRecord(f"T-{i}", "acme", MID, i < 9, i < 8) for i in range(10)]
    sat = week(surveys=surveys).overall.satisfaction
    assert (sat["csat"].answered, sat["csat"].positive, sat["csat"].above) == (10, 9, True)
    assert (sat["communication"].attainment, sat["communication"].target, sat["communication"].above) == (0.8, None, None)
    # 8 of 10 satisfied is below 0.90.
    below = week(surveys=[SurveyRecord(f"T-{i}", "acme", MID, i < 8, None) for i in range(10)]).overall.satisfaction
    assert below["csat"].above is False and "communication" not in below  # unanswered: left out


def test_surveys_on_the_weeks_edges():
    # Answered exactly at the week's start counts; exactly at its end is next week's.
    surveys = [SurveyRecord("A", "acme", WEEK.start, True, True), SurveyRecord("B", "acme", END, False, False),
               SurveyRecord("C", "acme", END - S, False, None)]
    sat = week(surveys=surveys).overall.satisfaction
    assert (sat["csat"].answered, sat["csat"].positive) == (2, 1)


# ---- open breaches at the exact end of the week ------------------------------------------------

@pytest.mark.parametrize("breached, stopped, open_at_end", [
    (END - S, None, True),  # breached 1 s before the end, still running: open
    (END, None, False),  # breached exactly at the end: not yet (before it, strictly)
    (END + S, None, False),
    (MID, END, True),  # stopped exactly at the end: still open at the end
    (MID, END - S, False),  # stopped 1 s before: closed
    (MID, END + S, True),
], ids=["breached-1s-before", "breached-at-end", "breached-after", "stopped-at-end", "stopped-1s-before",
        "stopped-after"])
def test_open_breaches_at_end_of_week(breached, stopped, open_at_end):
    summary = week([rec(1, stopped=stopped, breached=breached)])
    assert summary.overall.open_breaches == int(open_at_end)


# ---- which period a clock counts in: the earlier of stop and breach -----------------------------

@pytest.mark.parametrize("stopped, breached, counted", [
    (END - S, None, 1),  # met, stopped in the last second of the week
    (END, None, 0),  # stopped exactly at the end: next week
    (WEEK.start, None, 1),  # at the start: this week
    (WEEK.start - S, None, 0),
    (END + timedelta(days=3), END - S, 1),  # breached this week, stopped next: counts this week
    (None, END, 0),  # breached at the end, still running: next week
], ids=["stopped-last-second", "stopped-at-end", "stopped-at-start", "stopped-before-start",
        "breach-decides", "breach-at-end"])
def test_clock_counts_in_the_period_of_its_end(stopped, breached, counted):
    summary = week([rec(1, stopped=stopped, breached=breached)])
    assert summary.overall.metrics[RES].counted == counted


# ---- excused breaches --------------------------------------------------------------------------

def test_excused_breaches_are_listed_apart():
    clocks = [rec(1, breached=MID - S), rec(2, breached=MID - S, excused=True), rec(3)]
    section = week(clocks).overall
    stats = section.metrics[RES]
    # 2 judged (1 breach, 1 met), 1 excused; attainment 1/2.
    assert (stats.counted, stats.met, stats.excused, stats.attainment) == (2, 1, 1, 0.5)
    assert [c.ticket for c in section.worst] == ["T-1"] and [c.ticket for c in section.excused] == ["T-2"]
    [card] = quarterly_scorecards(History(tuple(clocks)), Q1, NAMES, TARGETS).cards
    assert (card.breaches, card.excused) == (1, 1)


def test_a_record_is_not_excused_unless_it_says_so():
    assert rec(1, breached=MID).excused is False


def test_worst_breaches_most_over_first_then_by_ticket():
    clocks = [rec(1, elapsed=1500, breached=MID), rec(2, elapsed=3000, breached=MID), rec(3, elapsed=1500, breached=MID)]
    assert [c.ticket for c in week(clocks).overall.worst] == ["T-2", "T-1", "T-3"]
    assert [c.over_seconds for c in week(clocks).overall.worst] == [2000, 500, 500]


# ---- resolved and opened counts ------------------------------------------------------------------

def test_resolved_counts_resolution_stops_in_the_week_only():
    clocks = [rec(1, RES, stopped=MID), rec(2, FR, stopped=MID), rec(3, RES, stopped=END), rec(4, RES, stopped=None)]
    tickets = [TicketRecord("T-1", "acme", WEEK.start), TicketRecord("T-2", "acme", END)]
    section = week(clocks, tickets).overall
    assert (section.resolved, section.opened) == (1, 1)


# ---- vendors: names from the rules, ids for the rest, "no vendor" last --------------------------

def test_vendor_removed_from_rules_is_reported_by_id():
    # "oldco" has clocks but is no longer in the rules; "acme" is in the rules without clocks.
    clocks = [rec(1, vendor="oldco"), rec(2, vendor=None)]
    summary = week(clocks)
    assert [(s.vendor, s.name) for s in summary.vendors] == [("acme", "ACME"), ("oldco", "oldco"),
                                                             (None, "no vendor")]
    assert [s.metrics[RES].counted for s in summary.vendors] == [0, 1, 1]
    cards = quarterly_scorecards(History(tuple(clocks)), Q1, NAMES, TARGETS).cards
    assert [(c.vendor, c.name) for c in cards] == [("acme", "ACME"), ("oldco", "oldco")]  # no "no vendor" card


def test_summary_of_one_vendor_removed_from_rules():
    summary = week([rec(1, vendor="oldco"), rec(2, vendor="acme")], vendor="oldco")
    assert (summary.overall.name, summary.overall.metrics[RES].counted, summary.vendors) == ("oldco", 1, ())


def test_quarterly_judged_by_leaves_out_records_without_vendor():
    spans = (RuleSpan("v1", None, None),)
    # Two acme clocks and one without a vendor, all judged by v1: the scorecards are the
    # providers', so v1 judged 2 of their clocks (not 3, and not the 1 without a vendor).
    clocks = (rec(1, vendor="acme", rules_version="v1"), rec(2, vendor="acme", rules_version="v1"),
              rec(3, vendor=None, rules_version="v1"))
    result = quarterly_scorecards(History(clocks, rule_spans=spans), Q1, NAMES, TARGETS)
    assert [(j.version, j.clocks) for j in result.judged_by] == [("v1", 2)]


# ---- change in percentage points ------------------------------------------------------------------

@pytest.mark.parametrize("now, before, expected", [
    (0.85, 0.80, 5.0),  # 5.000000000000004 rounded to 6 decimals
    (1 / 3, 0.0, 33.333333),  # rounded to 6 decimals, not 7
    (None, 0.5, None),
    (0.5, None, None),
])
def test_change_pp(now, before, expected):
    assert change_pp(now, before) == expected


# ---- periods at their edges --------------------------------------------------------------------

@pytest.mark.parametrize("day, zone, label, start, end", [
    # ISO weeks: Mon 28 Dec 2026 .. Sun 3 Jan 2027 is 2026-W53 (2026 has 53 ISO weeks).
    (date(2027, 1, 3), "UTC", "2026-W53", "2026-12-28T00:00+00:00", "2027-01-04T00:00+00:00"),
    (date(2027, 1, 4), "UTC", "2027-W01", "2027-01-04T00:00+00:00", "2027-01-11T00:00+00:00"),
    # Local midnights: a Shanghai week starts at 16:00Z on the Sunday before.
    (date(2026, 1, 7), "Asia/Shanghai", "2026-W02", "2026-01-04T16:00+00:00", "2026-01-11T16:00+00:00"),
], ids=["w53", "w01", "shanghai"])
def test_week_of(day, zone, label, start, end):
    period = week_of(day, zone)
    assert (period.label, period.start, period.end) == (label, datetime.fromisoformat(start), datetime.fromisoformat(end))


@pytest.mark.parametrize("day, label, first, after", [
    (date(2026, 12, 31), "2026-12", date(2026, 12, 1), date(2027, 1, 1)),  # December ends at New Year
    (date(2026, 11, 30), "2026-11", date(2026, 11, 1), date(2026, 12, 1)),
    (date(2026, 1, 1), "2026-01", date(2026, 1, 1), date(2026, 2, 1)),
], ids=["december", "november", "january"])
def test_month_of(day, label, first, after):
    period = month_of(day, "UTC")
    assert (period.label, period.first_day, period.last_day) == (label, first, after - timedelta(days=1))
    assert period.end == datetime(after.year, after.month, after.day, tzinfo=UTC)


@pytest.mark.parametrize("day, label, first, last", [
    (date(2026, 3, 31), "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
    (date(2026, 4, 1), "2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
    (date(2026, 9, 30), "2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
    (date(2026, 10, 1), "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    (date(2026, 12, 31), "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
], ids=["q1-last", "q2-first", "q3-last", "q4-first", "q4-last"])
def test_quarter_of(day, label, first, last):
    period = quarter_of(day, "Pacific/Auckland")
    assert (period.label, period.first_day, period.last_day) == (label, first, last)
    assert [m.first_day.month for m in months_of(period)] == [first.month, first.month + 1, first.month + 2]


@pytest.mark.parametrize("now, label", [
    # The last complete week at Monday 00:00 local exactly is the week that just ended; one
    # second before, it is the week before that.
    (datetime(2026, 1, 12, tzinfo=UTC), "2026-W02"),
    (datetime(2026, 1, 12, tzinfo=UTC) - S, "2026-W01"),
], ids=["at-monday-midnight", "1s-before"])
def test_last_complete_week_boundary(now, label):
    assert last_complete_week(now, "UTC").label == label


@pytest.mark.parametrize("now, label", [
    (datetime(2026, 4, 1, tzinfo=UTC), "2026-Q1"),  # at the start of Q2: Q1 is complete
    (datetime(2026, 4, 1, tzinfo=UTC) - S, "2025-Q4"),
    (datetime(2027, 1, 1, tzinfo=UTC), "2026-Q4"),
], ids=["at-quarter-start", "1s-before", "new-year"])
def test_last_complete_quarter_boundary(now, label):
    assert last_complete_quarter(now, "UTC").label == label
    assert report_period("quarterly", now, "UTC").label == label


def test_previous_and_weeks_ending():
    assert previous(week_of(date(2027, 1, 4), "UTC")).label == "2026-W53"
    assert previous(month_of(date(2027, 1, 4), "UTC")).label == "2026-12"
    assert previous(quarter_of(date(2027, 1, 4), "UTC")).label == "2026-Q4"
    weeks = weeks_ending(WEEK, 3)
    assert [w.label for w in weeks] == ["2025-W52", "2026-W01", "2026-W02"]  # 2025 has 52 ISO weeks
    assert weeks_ending(WEEK, 1) == (WEEK,)
    assert report_period("weekly", END, "UTC", date(2026, 1, 5)) == WEEK


def test_period_contains_is_half_open():
    assert WEEK.contains(WEEK.start) and WEEK.contains(END - S)
    assert not WEEK.contains(END) and not WEEK.contains(WEEK.start - S) and not WEEK.contains(None)


def test_rules_version_is_not_part_of_a_records_equality():
    # Which rules version judged a clock is carried along but is not part of the record's value:
    # the same figures judged under two versions are equal records.
    assert rec(1, rules_version="v1") == rec(1, rules_version="v2") == rec(1)
    assert rec(1, rules_version="v1") != rec(1, elapsed=101, rules_version="v1")


# ---- hand-away endings, the communication metrics, names in the reader's language ----------

def test_handaways_count_the_clocks_ended_by_a_hand_away_in_the_period():
    clocks = [rec(1, ended_by="handaway"), rec(2, metric=FR, ended_by="handaway"),  # both counted this week
              rec(3, ended_by="response"), rec(4),  # other endings: not hand-aways
              rec(5, ended_by="handaway", stopped=END),  # stopped at the week's end: next week's
              rec(6, ended_by="handaway", stopped=END - S)]  # a second before it: this week's
    summary = week(clocks)
    assert summary.overall.handaways == 3
    assert [(s.vendor, s.handaways) for s in summary.vendors] == [("acme", 3)]
    [card] = quarterly_scorecards(History(tuple(clocks)), Q1, NAMES, TARGETS).cards
    assert card.handaways == 4  # the quarter holds all four hand-aways (12 Jan is in Q1)


@pytest.mark.parametrize("clocks, shown", [
    ([], []),  # no communication clock: no line for either metric
    ([rec(1, metric="next_response")], ["next_response"]),  # counted, none excused: shown
    # only an excused breach: nothing counted, still shown (its excuse is the news)
    ([rec(1, metric="periodic_update", breached=MID, excused=True)], ["periodic_update"]),
    ([rec(1, metric="next_response"), rec(2, metric="periodic_update")], ["next_response", "periodic_update"]),
])
def test_communication_metrics_are_shown_when_they_have_clocks(clocks, shown):
    section = week(clocks).overall
    assert sorted(section.communication) == shown
    # no target of their own in TARGETS and no "communication" one: no target to meet
    assert all(stats.target is None for stats in section.communication.values())


def test_communication_metrics_take_the_communication_target():
    summary = weekly_summary(History((rec(1, metric="next_response"),)), WEEK, NAMES,
                             TARGETS | {"communication": 0.8})
    assert summary.overall.communication["next_response"].target == 0.8


def test_in_locale_names_what_slawatch_names_and_keeps_vendor_names():
    summary = week([rec(1), rec(2, vendor=None)])
    zh = in_locale(summary, "zh_CN")
    assert zh.overall.name == "全部供应商"
    assert [(s.vendor, s.name) for s in zh.vendors] == [("acme", "ACME"), (None, "无供应商")]
    assert in_locale(summary, "en").overall.name == "All vendors"
    cards = quarterly_scorecards(History((rec(1),)), Q1, NAMES, TARGETS)
    assert in_locale(cards, "zh_CN") is cards  # every card is a vendor of the rules: its own name


def test_in_locale_never_translates_a_vendors_own_name():
    # a vendor the rules name "All vendors" keeps that name: only the names Slawatch gives
    # (the whole report's section, records of no vendor) are translated
    summary = week([rec(1)], names={"acme": "All vendors"})
    assert [(s.vendor, s.name) for s in in_locale(summary, "zh_CN").vendors] == [("acme", "All vendors")]
