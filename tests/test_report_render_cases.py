"""The plain-text reports and the texts every report shares (processors/report_render.py): tables
of the small helpers (percentages, targets, changes, durations, marks, verdicts, lists, instants,
rules versions), then the whole weekly and quarterly texts of the hand-built samples of
tests/report_samples.py, every line read off by hand."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from processors.report_render import (
    METRIC_NAMES, breach_text, chart_title, coverage_text, day_text, dur, instant_text, joined, judged_text, mark,
    met_text, metric_name, per_section, period_text, pp, pct, quarterly_text, span_text, target_pct, targets_text,
    verdict, weekly_text,
)
from processors.reports import ClockRecord, MetricStats
from processors.rule_schedule import Judged, RuleSpan
from tests.report_samples import ACME_WEEK, NAMES, OVERALL, Q1, VERSION, W02, WORST, quarterly, weekly

UTC = timezone.utc
FR, RES = "first_response", "resolution"
JAN5 = datetime(2026, 1, 5, tzinfo=UTC)
FEB1 = datetime(2026, 2, 1, tzinfo=UTC)


# ---- small helpers -------------------------------------------------------------------------

@pytest.mark.parametrize("metric, locale, name", [
    ("first_response", "en", "first response"), ("resolution", "en", "resolution"),
    ("csat", "en", "satisfaction"), ("communication", "en", "communication"),  # the survey questions
    ("next_response", "en", "next response"), ("periodic_update", "en", "periodic update"),
    ("first_response", "zh_CN", "首次响应"), ("csat", "zh_CN", "满意度"),
])
def test_metric_name(metric, locale, name):
    assert metric_name(metric, locale) == name


def test_metric_names_cover_the_metrics_and_the_survey():
    assert set(METRIC_NAMES) == {FR, RES, "csat", "communication", "next_response", "periodic_update"}


@pytest.mark.parametrize("value, locale, text", [
    (None, "en", "n/a"),  # nothing counted
    (None, "zh_CN", "无"),
    (0.0, "en", "0.0%"),  # none met is 0.0%, not n/a
    (0.857, "en", "85.7%"),  # one decimal
    (2 / 3, "en", "66.7%"),
    (1.0, "en", "100.0%"),
])
def test_pct(value, locale, text):
    assert pct(value, locale) == text


@pytest.mark.parametrize("value, locale, text", [
    (None, "en", "no target"),
    (None, "zh_CN", "无目标"),
    (0.85, "en", "85%"),  # as the rules write it: no trailing zeros
    (0.855, "en", "85.5%"),
    (1.0, "en", "100%"),
    (0.0, "en", "0%"),  # a target of 0 is a target, not "no target"
])
def test_target_pct(value, locale, text):
    assert target_pct(value, locale) == text


@pytest.mark.parametrize("value, locale, text", [
    (None, "en", "n/a"),  # no previous figure
    (0.0, "en", "+0.0 pp"),  # no change still has its sign
    (25.0, "en", "+25.0 pp"),
    (-2.5, "en", "-2.5 pp"),
    (12.34, "en", "+12.3 pp"),  # one decimal
    (-2.5, "zh_CN", "-2.5个百分点"),
    (None, "zh_CN", "无"),
])
def test_pp(value, locale, text):
    assert pp(value, locale) == text


@pytest.mark.parametrize("seconds, locale, text", [
    (None, "en", "n/a"),
    (None, "zh_CN", "无"),
    (0, "en", "0s"),  # zero is 0s, not n/a
    (5400, "en", "1h30m"),  # Slawatch's own units in English
    (86400, "en", "1d"),
    (20000, "en", "5h33m20s"),
    (5400, "zh_CN", "1小时30分钟"),  # Babel's units in other languages
])
def test_dur(seconds, locale, text):
    assert dur(seconds, locale) == text


@pytest.mark.parametrize("above, word", [(None, ""), (True, "above"), (False, "below")])
def test_mark(above, word):
    assert mark(above) == word


@pytest.mark.parametrize("above, target, locale, text", [
    (None, 0.85, "en", "nothing counted"),
    (True, 0.85, "en", "above the 85% target"),  # "above" means at or above
    (False, 0.85, "en", "below the 85% target"),
    (False, 0.855, "en", "below the 85.5% target"),
    (None, 0.85, "zh_CN", "无统计数据"),
    (True, 0.95, "zh_CN", "达到目标95%"),
    (False, 0.85, "zh_CN", "低于目标85%"),
])
def test_verdict(above, target, locale, text):
    assert verdict(above, target, locale) == text


@pytest.mark.parametrize("day, locale, text", [
    (date(2026, 1, 5), "en", "Mon 2026-01-05"),
    (date(2026, 1, 11), "en", "Sun 2026-01-11"),
    (date(2026, 1, 5), "zh_CN", "2026年1月5日星期一"),
])
def test_day_text(day, locale, text):
    assert day_text(day, locale) == text


@pytest.mark.parametrize("items, locale, separator, text", [
    (["a", "b", "c"], "en", "comma", "a, b, c"),
    (["a", "b"], "en", "semicolon", "a; b"),
    (["a"], "en", "comma", "a"),
    ([], "en", "comma", ""),
    (["甲", "乙"], "zh_CN", "comma", "甲，乙"),
    (["甲", "乙"], "zh_CN", "semicolon", "甲；乙"),
])
def test_joined(items, locale, separator, text):
    assert joined(items, locale, separator) == text


def test_joined_is_comma_separated_by_default():
    assert joined(["a", "b"]) == "a, b"


@pytest.mark.parametrize("period, locale, text", [
    (W02, "en", "2026-W02 (Mon 2026-01-05 to Sun 2026-01-11, UTC)"),
    (Q1, "en", "2026-Q1 (Thu 2026-01-01 to Tue 2026-03-31, UTC)"),
    (W02, "zh_CN", "2026年第2周（2026年1月5日星期一至2026年1月11日星期日，UTC）"),
])
def test_period_text(period, locale, text):
    assert period_text(period, locale) == text


@pytest.mark.parametrize("locale, text", [
    ("en", "SLA attainment per week to 2026-W02"),
    ("zh_CN", "截至2026年第2周的每周服务水平达标率"),
])
def test_chart_title(locale, text):
    assert chart_title(W02, locale) == text


@pytest.mark.parametrize("targets, locale, text", [
    ({FR: 0.85, RES: 0.95}, "en", "first response 85%, resolution 95%"),
    ({FR: 0.85}, "en", "first response 85%, resolution no target"),  # a metric without a target
    ({}, "en", "first response no target, resolution no target"),
    ({"csat": 0.9}, "en", "first response no target, resolution no target"),  # only the clocked metrics
    ({FR: 0.85, RES: 0.95}, "zh_CN", "首次响应目标85%，解决时限目标95%"),
])
def test_targets_text(targets, locale, text):
    assert targets_text(targets, locale) == text


@pytest.mark.parametrize("at, text", [
    (JAN5, "2026-01-05"),  # midnight UTC: a --from date, the date alone
    (JAN5 + timedelta(seconds=1), "2026-01-05T00:00:01Z"),  # a second after: the instant
    (JAN5 - timedelta(seconds=1), "2026-01-04T23:59:59Z"),
    (JAN5 + timedelta(microseconds=1), "2026-01-05T00:00:00Z"),  # not midnight, shown to the second
    (datetime(2026, 1, 5, 1, tzinfo=timezone(timedelta(hours=1))), "2026-01-05"),  # midnight UTC given at +01:00
    (datetime(2026, 1, 5, tzinfo=timezone(timedelta(hours=1))), "2026-01-04T23:00:00Z"),  # local midnight only
])
def test_instant_text(at, text):
    assert instant_text(at) == text


@pytest.mark.parametrize("start, before, locale, text", [
    (None, None, "en", "every ticket"),
    (None, JAN5, "en", "tickets created before 2026-01-05"),
    (JAN5, None, "en", "tickets created from 2026-01-05"),
    (JAN5, FEB1 + timedelta(hours=9), "en", "tickets created from 2026-01-05 and before 2026-02-01T09:00:00Z"),
    (None, None, "zh_CN", "所有工单"),
])
def test_span_text(start, before, locale, text):
    assert span_text(RuleSpan("v", start, before), locale) == text


@pytest.mark.parametrize("spans, text", [
    ((), "no longer in force"),  # a version no longer in the schedule
    ((RuleSpan("v", None, JAN5),), "tickets created before 2026-01-05"),
    ((RuleSpan("v", None, JAN5), RuleSpan("v", FEB1, None)),
     "tickets created before 2026-01-05 and tickets created from 2026-02-01"),
    ((RuleSpan("v", None, JAN5), RuleSpan("v", FEB1, FEB1 + timedelta(days=1)), RuleSpan("v", JAN5 + timedelta(days=60), None)),
     "tickets created before 2026-01-05 and tickets created from 2026-02-01 and before 2026-02-02"
     " and tickets created from 2026-03-06"),
])
def test_coverage_text(spans, text):
    assert coverage_text(Judged("v", 1, spans)) == text


OLD = "0123456789abcdef"  # 16 characters; shown as 0123456789ab
OLD_SPAN = (RuleSpan(OLD, None, JAN5),)
NEW_SPAN = (RuleSpan(VERSION, JAN5, None),)


@pytest.mark.parametrize("judged, locale, text", [
    ((), "en", None),  # no clock counted
    ((Judged(VERSION, 6, (RuleSpan(VERSION, None, None),)),), "en", "rules 3f2a9c1b0d4e"),  # one version, every ticket
    # one version, but only for some tickets (the others' version judged no clock here)
    ((Judged(VERSION, 6, NEW_SPAN),), "en", "rules 3f2a9c1b0d4e (tickets created from 2026-01-05)"),
    ((Judged(OLD, 1, ()),), "en", "rules 0123456789ab (no longer in force)"),
    # two versions: each with its tickets and its clocks (1 clock, 5 clocks), separated by ";"
    ((Judged(OLD, 1, OLD_SPAN), Judged(VERSION, 5, NEW_SPAN)), "en",
     "rules 0123456789ab (tickets created before 2026-01-05): 1 clock; "
     "3f2a9c1b0d4e (tickets created from 2026-01-05): 5 clocks"),
    ((Judged(VERSION, 6, (RuleSpan(VERSION, None, None),)),), "zh_CN", "规则版本 3f2a9c1b0d4e"),
])
def test_judged_text(judged, locale, text):
    assert judged_text(judged, locale) == text


@pytest.mark.parametrize("count, several", [(0, False), (1, False), (2, True), (3, True)])
def test_per_section(count, several):
    assert per_section([Judged(f"v{i}", 1) for i in range(count)]) is several


def _breach(**changes) -> ClockRecord:
    return replace(WORST, **changes)


@pytest.mark.parametrize("record, link, locale, text", [
    (WORST, "https://j/browse/ACME-2", "en",
     'ACME-2 first response: 30m over (elapsed 1h, target 30m), ACME Outsourcing https://j/browse/ACME-2 '
     '"Router <down> & out"'),
    # no link, no summary: neither part
    (_breach(summary=None), None, "en", "ACME-2 first response: 30m over (elapsed 1h, target 30m), ACME Outsourcing"),
    (_breach(summary=""), None, "en", "ACME-2 first response: 30m over (elapsed 1h, target 30m), ACME Outsourcing"),
    # a vendor the names lack: its id; elapsed 1d2h over a 4h target: 22h over
    (_breach(vendor="globex", metric=RES, target_seconds=14400, elapsed_seconds=93600, summary=None), None, "en",
     "ACME-2 resolution: 22h over (elapsed 1d2h, target 4h), globex"),
    (_breach(vendor=None, summary=None), None, "en",
     "ACME-2 first response: 30m over (elapsed 1h, target 30m), no vendor"),
    (_breach(summary=None), None, "zh_CN", "工单 ACME-2 首次响应：超时30分钟（已用时1小时，目标30分钟），ACME Outsourcing"),
])
def test_breach_text(record, link, locale, text):
    assert breach_text(record, NAMES, link, locale) == text


@pytest.mark.parametrize("stats, locale, text", [
    (MetricStats(FR, 0.85, 4, 3, 0, None, None), "en", "3 of 4 met"),
    (MetricStats(FR, 0.85, 4, 3, 1, None, None), "en", "3 of 4 met, 1 excused"),  # excused only when some are
    (MetricStats(FR, 0.85, 0, 0, 0, None, None), "en", "0 of 0 met"),
    (MetricStats(FR, 0.85, 4, 3, 2, None, None), "zh_CN", "4个中3个达标，2个已豁免"),
])
def test_met_text(stats, locale, text):
    assert met_text(stats, locale) == text


# ---- the weekly text -----------------------------------------------------------------------

HEAD = ["Weekly SLA summary 2026-W02 (Mon 2026-01-05 to Sun 2026-01-11, UTC)",
        "Targets: first response 85%, resolution 95%; median and p90 are nearest-rank percentiles of the "
        "elapsed business time of the clocks counted."]
BREACH = ('  1. ACME-2 first response: 30m over (elapsed 1h, target 30m), ACME Outsourcing '
          'https://jira.example.com/browse/ACME-2 "Router <down> & out"')


def _section(name: str, resolution_change: str) -> list[str]:
    return [
        f"== {name}",
        "opened 5, resolved 3, open breaches at the end of the week 1",
        # 3 of 4 = 75.0%, below 85%; last week 50.0%: +25.0 pp; median 1200 s = 20m, p90 3600 s = 1h
        "first response: 75.0% (3 of 4 met), below the 85% target, +25.0 pp from last week (50.0%); "
        "median 20m, p90 1h",
        # 2 of 2 with 1 excused = 100.0%, at or above 95%; median 21600 s = 6h, p90 86400 s = 1d
        f"resolution: 100.0% (2 of 2 met, 1 excused), above the 95% target, {resolution_change}; median 6h, p90 1d",
        "satisfaction: 50.0% (1 of 2 answers), below the 90% target",  # the survey: 1 positive of 2
        "next response: 100.0% (1 of 1 met), above the 80% target; median 10m, p90 10m",  # 600 s
        "clocks ended by a hand-away (the ticket left the vendor): 1",
        "worst breaches:", BREACH,
        "excused breaches (not counted): ACME-9 resolution",
    ]


NO_VENDOR = [
    "== no vendor",
    "opened 1, resolved 0, open breaches at the end of the week 0",
    "first response: n/a (0 of 0 met), nothing counted, n/a from last week (n/a); median n/a, p90 n/a",
    "resolution: n/a (0 of 0 met), nothing counted, n/a from last week (n/a); median n/a, p90 n/a",
]


def test_weekly_text_every_line():
    assert weekly_text(weekly()).split("\n") == [
        *HEAD, "Judged by rules 3f2a9c1b0d4e.", "",
        *_section("All vendors", "+0.0 pp from last week (100.0%)"), "",
        # ACME's resolution last week is unknown: no change
        *_section("ACME Outsourcing", "n/a from last week (n/a)"), "",
        *NO_VENDOR, ""]  # each section ends in an empty line


def test_weekly_text_of_one_vendor_without_versions():
    section = replace(ACME_WEEK, judged_by=(), worst=(), excused=(), satisfaction={}, communication={}, handaways=0)
    lines = weekly_text(weekly(vendors=(), overall=section)).split("\n")
    # no version line when no clock counted a version; no breaches, surveys, communication, hand-aways
    assert lines == [*HEAD, "", *_section("ACME Outsourcing", "n/a from last week (n/a)")[:4], ""]


def test_weekly_text_two_worst_breaches_numbered_from_1():
    second = replace(WORST, ticket="ACME-3", summary=None)
    lines = weekly_text(weekly(vendors=(), overall=replace(OVERALL, worst=(WORST, second)))).split("\n")
    at = lines.index("worst breaches:")
    assert lines[at + 1:at + 3] == [
        BREACH, "  2. ACME-3 first response: 30m over (elapsed 1h, target 30m), ACME Outsourcing "
        "https://jira.example.com/browse/ACME-3"]


def test_weekly_text_excused_breaches_listed_with_commas():
    two = (replace(WORST, excused=True), replace(WORST, ticket="ACME-9", metric=RES, excused=True))
    lines = weekly_text(weekly(vendors=(), overall=replace(OVERALL, excused=two))).split("\n")
    assert "excused breaches (not counted): ACME-2 first response, ACME-9 resolution" in lines


def test_weekly_text_no_jira_no_links():
    lines = weekly_text(weekly(vendors=(), jira_url=None)).split("\n")
    assert "  1. ACME-2 first response: 30m over (elapsed 1h, target 30m), ACME Outsourcing " \
           '"Router <down> & out"' in lines


TWO_VERSIONS = (Judged(OLD, 1, OLD_SPAN), Judged(VERSION, 5, NEW_SPAN))
TWO_TEXT = ("rules 0123456789ab (tickets created before 2026-01-05): 1 clock; "
            "3f2a9c1b0d4e (tickets created from 2026-01-05): 5 clocks")


def test_weekly_text_with_two_versions_names_them_per_vendor_section():
    summary = weekly(vendors=(replace(ACME_WEEK, judged_by=(Judged(OLD, 1, OLD_SPAN),)),
                              replace(ACME_WEEK, name="Globex", judged_by=())),
                     overall=replace(OVERALL, judged_by=TWO_VERSIONS))
    lines = weekly_text(summary).split("\n")
    # the whole report: its line with both; a vendor section: its own lowercase line after its counts;
    # the overall section none (the report's line says it); a section nothing judged: no line
    assert lines[2] == f"Judged by {TWO_TEXT}."
    assert lines[lines.index("== All vendors") + 2].startswith("first response:")
    acme = lines.index("== ACME Outsourcing")
    assert lines[acme + 2] == "judged by rules 0123456789ab (tickets created before 2026-01-05)"
    assert lines[lines.index("== Globex") + 2].startswith("first response:")
    assert sum(line.startswith(("judged by", "Judged by")) for line in lines) == 2


def test_weekly_text_with_one_version_names_it_once():
    summary = weekly(vendors=(replace(ACME_WEEK, judged_by=(Judged(OLD, 1, OLD_SPAN),)),))
    lines = weekly_text(summary).split("\n")
    assert [line for line in lines if "judged by" in line.lower()] == ["Judged by rules 3f2a9c1b0d4e."]


def test_weekly_text_in_chinese():
    lines = weekly_text(weekly(), "zh_CN").split("\n")
    assert lines[0] == "服务水平周报 2026年第2周（2026年1月5日星期一至2026年1月11日星期日，UTC）"
    assert lines[2] == "评判依据：规则版本 3f2a9c1b0d4e。"
    # the names Slawatch gives, in Chinese (the vendors' own names as written)
    assert [line for line in lines if line.startswith("== ")] == ["== 全部供应商", "== ACME Outsourcing", "== 无供应商"]
    assert "首次响应：75.0%（4个中3个达标），低于目标85%，较上周（50.0%）变化+25.0个百分点；中位数20分钟，p90 1小时" in lines


# ---- the quarterly text --------------------------------------------------------------------

Q_HEAD = ["Quarterly provider scorecards 2026-Q1 (Thu 2026-01-01 to Tue 2026-03-31, UTC)", HEAD[1]]
ACME_LINES = [
    "== ACME Outsourcing (acme)",
    "opened 9, resolved 8, breaches 3, excused 1",
    # 9 of 10 = 90.0% above 85%; Q4 80.0%: +10.0 pp; median 900 s = 15m, p90 3000 s = 50m
    "first response: 90.0% (9 of 10 met), above the 85% target, +10.0 pp from 2025-Q4 (80.0%); median 15m, p90 50m",
    "  by month: 2026-01 100.0% (4 of 4), 2026-02 66.7% (2 of 3), 2026-03 100.0% (3 of 3)",
    # 6 of 8 = 75.0%; median 20000 s = 5h33m20s, p90 50000 s = 13h53m20s
    "resolution: 75.0% (6 of 8 met, 1 excused), below the 95% target, +0.0 pp from 2025-Q4 (75.0%); "
    "median 5h33m20s, p90 13h53m20s",
    "  by month: 2026-01 100.0% (3 of 3), 2026-02 66.7% (2 of 3), 2026-03 50.0% (1 of 2)",
    "satisfaction: 100.0% (4 of 4 answers), above the 90% target",
    "periodic update: 50.0% (1 of 2 met), below the 80% target; median 2h, p90 2h30m",  # 7200 s, 9000 s
    "clocks ended by a hand-away (the ticket left the vendor): 2",
]
GLOBEX_LINES = [
    "== Globex (globex)",
    "opened 0, resolved 0, breaches 0",  # nothing excused: no "excused 0"
    "first response: n/a (0 of 0 met), nothing counted, n/a from 2025-Q4 (n/a); median n/a, p90 n/a",
    "  by month: 2026-01 n/a (0 of 0), 2026-02 n/a (0 of 0), 2026-03 n/a (0 of 0)",
    "resolution: n/a (0 of 0 met), nothing counted, n/a from 2025-Q4 (n/a); median n/a, p90 n/a",
    "  by month: 2026-01 n/a (0 of 0), 2026-02 n/a (0 of 0), 2026-03 n/a (0 of 0)",
]


def test_quarterly_text_every_line():
    assert quarterly_text(quarterly()).split("\n") == [
        *Q_HEAD, "Judged by rules 3f2a9c1b0d4e.", "", *ACME_LINES, "", *GLOBEX_LINES, ""]


def test_quarterly_text_without_cards():
    assert quarterly_text(quarterly(cards=(), judged_by=())).split("\n") == [
        *Q_HEAD, "", "No vendors are defined in the rules."]


def test_quarterly_text_with_two_versions_names_them_per_card():
    cards = quarterly(judged_by=TWO_VERSIONS)
    lines = quarterly_text(cards).split("\n")
    assert lines[2] == f"Judged by {TWO_TEXT}."
    # each card its own line after its counts; Globex, nothing counted, none
    acme = lines.index("== ACME Outsourcing (acme)")
    assert lines[acme + 2] == "judged by rules 3f2a9c1b0d4e"
    assert lines[lines.index("== Globex (globex)") + 2].startswith("first response:")


def test_quarterly_text_in_chinese():
    lines = quarterly_text(quarterly(), "zh_CN").split("\n")
    assert lines[0].startswith("供应商季度考核表 2026年第1季度")
    assert lines[5] == "新建工单9个，已解决8个，违约3次，已豁免1次"
    # by month in Chinese: the month labels and met/counted as a fraction
    assert lines[7] == "  按月：2026年1月 100.0%（4/4），2026年2月 66.7%（2/3），2026年3月 100.0%（3/3）"
