"""A weekly summary and quarterly scorecards built by hand (the dataclasses of processors/reports.py,
no counting), for the renderers' table tests (test_report_render_cases.py, test_report_csv_cases.py,
test_report_html_cases.py). Every figure is chosen here, so each rendered value can be read off.

Weekly, 2026-W02 (Mon 5 .. Sun 11 Jan 2026, UTC), targets first response 85%, resolution 95%,
satisfaction 90%, communication 80%; three sections:
- All vendors: first response 3 of 4 (75%, below; last week 50%: +25.0 pp), median 20m, p90 1h;
  resolution 2 of 2 and 1 excused (100%, above; last week 100%: +0.0 pp), median 6h, p90 1d;
  opened 5, resolved 3, 1 open breach; satisfaction 1 of 2 (50%, below); next response 1 of 1
  (100%, above), 10m; 1 hand-away; worst breach ACME-2, excused ACME-9; judged by one version.
- ACME Outsourcing: the same figures, but last week's resolution unknown (change n/a).
- no vendor: nothing counted, opened 1, no version.
Quarterly, 2026-Q1 (previous 2025-Q4), two cards:
- ACME Outsourcing (acme): first response 9 of 10 (90%, above; Q4 80%: +10.0 pp), by month
  4 of 4, 2 of 3, 3 of 3; resolution 6 of 8 and 1 excused (75%, below; Q4 75%: +0.0 pp), by
  month 3 of 3, 2 of 3 (1 excused), 1 of 2; breaches 3 (1 + 2), excused 1; satisfaction 4 of 4;
  periodic update 1 of 2 (50%, below), median 2h, p90 2h30m; 2 hand-aways.
- Globex (globex): nothing counted at all.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from processors.periods import months_of, previous, quarter_of, week_of
from processors.reports import (
    ALL_VENDORS, NO_VENDOR, ClockRecord, MetricStats, QuarterlyScorecards, Satisfaction, Scorecard, WeeklySummary,
    WeekSection,
)
from processors.rule_schedule import Judged, RuleSpan

UTC = timezone.utc
FR, RES = "first_response", "resolution"
VERSION = "3f2a9c1b0d4e5f6a7b8c"  # shown as its first 12 characters, 3f2a9c1b0d4e
TARGETS = {FR: 0.85, RES: 0.95, "csat": 0.90, "communication": 0.80}
W02 = week_of(date(2026, 1, 7), "UTC")
Q1 = quarter_of(date(2026, 2, 1), "UTC")
WHOLE = (RuleSpan(VERSION, None, None),)  # one version judges every ticket


def judged(clocks: int) -> tuple[Judged, ...]:
    return (Judged(VERSION, clocks, WHOLE),)


WORST = ClockRecord("ACME-2", FR, 1, "acme", target_seconds=1800, elapsed_seconds=3600,
                    stopped_at=datetime(2026, 1, 6, 11, tzinfo=UTC), breached_at=datetime(2026, 1, 6, 10, 30, tzinfo=UTC),
                    summary="Router <down> & out")  # 30m over a 30m target
EXCUSED = ClockRecord("ACME-9", RES, 1, "acme", target_seconds=14400, elapsed_seconds=18000,
                      stopped_at=datetime(2026, 1, 8, 12, tzinfo=UTC), breached_at=datetime(2026, 1, 8, 11, tzinfo=UTC),
                      summary=None, excused=True)  # 1h over a 4h target


def _week_metrics() -> dict[str, MetricStats]:
    return {FR: MetricStats(FR, 0.85, 4, 3, 0, 1200, 3600), RES: MetricStats(RES, 0.95, 2, 2, 1, 21600, 86400)}


def _section(vendor: str | None, name: str, previous_: dict) -> WeekSection:
    return WeekSection(
        vendor=vendor, name=name, opened=5, resolved=3, metrics=_week_metrics(), previous=previous_,
        open_breaches=1, worst=(WORST,), excused=(EXCUSED,), judged_by=judged(6),
        satisfaction={"csat": Satisfaction("csat", 0.90, 2, 1)},
        communication={"next_response": MetricStats("next_response", 0.80, 1, 1, 0, 600, 600)}, handaways=1)


NOTHING = WeekSection(
    vendor=None, name=NO_VENDOR, opened=1, resolved=0,
    metrics={FR: MetricStats(FR, 0.85, 0, 0, 0, None, None), RES: MetricStats(RES, 0.95, 0, 0, 0, None, None)},
    previous={}, open_breaches=0, worst=(), excused=())
OVERALL = _section(None, ALL_VENDORS, {FR: 0.5, RES: 1.0})
ACME_WEEK = _section("acme", "ACME Outsourcing", {FR: 0.5})
NAMES = {"acme": "ACME Outsourcing", None: NO_VENDOR}
TREND = tuple((W02, {FR: 0.75, RES: 1.0}) for _ in range(12))


def weekly(vendors=(ACME_WEEK, NOTHING), overall=OVERALL, jira_url="https://jira.example.com/") -> WeeklySummary:
    return WeeklySummary(W02, previous(W02), TARGETS, overall, tuple(vendors), TREND, NAMES, jira_url)


def _card_acme(judged_by=judged(18)) -> Scorecard:
    return Scorecard(
        vendor="acme", name="ACME Outsourcing", opened=9, resolved=8,
        metrics={FR: MetricStats(FR, 0.85, 10, 9, 0, 900, 3000), RES: MetricStats(RES, 0.95, 8, 6, 1, 20000, 50000)},
        monthly={FR: (MetricStats(FR, 0.85, 4, 4, 0, 600, 900), MetricStats(FR, 0.85, 3, 2, 0, 1200, 3000),
                      MetricStats(FR, 0.85, 3, 3, 0, 300, 600)),
                 RES: (MetricStats(RES, 0.95, 3, 3, 0, 10000, 20000), MetricStats(RES, 0.95, 3, 2, 1, 20000, 50000),
                       MetricStats(RES, 0.95, 2, 1, 0, 30000, 40000))},
        breaches=3, excused=1, satisfaction={"csat": Satisfaction("csat", 0.90, 4, 4)},
        previous={FR: 0.8, RES: 0.75}, judged_by=judged_by,
        communication={"periodic_update": MetricStats("periodic_update", 0.80, 2, 1, 0, 7200, 9000)}, handaways=2)


def _card_globex() -> Scorecard:
    empty = MetricStats(FR, 0.85, 0, 0, 0, None, None), MetricStats(RES, 0.95, 0, 0, 0, None, None)
    return Scorecard(
        vendor="globex", name="Globex", opened=0, resolved=0, metrics={FR: empty[0], RES: empty[1]},
        monthly={FR: (empty[0],) * 3, RES: (empty[1],) * 3}, breaches=0, excused=0, satisfaction={}, previous={})


def quarterly(cards=None, judged_by=judged(18)) -> QuarterlyScorecards:
    cards = (_card_acme(), _card_globex()) if cards is None else tuple(cards)
    trend = {c.vendor: tuple((m, {FR: None, RES: None}) for m in months_of(previous(Q1)) + months_of(Q1))
             for c in cards}
    return QuarterlyScorecards(Q1, previous(Q1), months_of(Q1), TARGETS, cards, trend, judged_by)


ACME_CARD = _card_acme()
GLOBEX_CARD = _card_globex()
