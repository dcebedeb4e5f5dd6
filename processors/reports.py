"""Report aggregation: the weekly summary and the quarterly provider scorecards (pure).

    history = History(clocks=[ClockRecord...], tickets=[TicketRecord...], surveys=[...])
    summary = weekly_summary(history, week_of(day, "Europe/Berlin"), names, targets)
    cards = quarterly_scorecards(history, quarter_of(day, zone), names, targets)

What counts (docs/reports.md):
- A clock *ends* at the earlier of its stop and its breach; it counts in the period its end falls
  in, once, for the vendor it was attributed to then. It is met when it never breached.
- Attainment of a metric = met / counted, excused breaches left out of both (listed apart);
  None when nothing counted.
- Median and p90 are nearest-rank percentiles (the smallest value with at least 50% / 90% of the
  values at or below it) of the elapsed business time of the clocks counted.
- An open breach at an instant: breached before it and not stopped before it.
- Every section says which rules versions judged the clocks it counts (`judged_by`), with the
  creation instants each judges when rules are effective-dated (processors/rule_schedule.py).
No clock reads, no I/O: periods and records are arguments (periods in processors.periods).

The names "All vendors" and "no vendor" are msgids: `in_locale(report, locale)` gives the report
with them translated (the renderers and the charts show that one).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Iterable, Mapping, Sequence

from processors.i18n import translator
from processors.periods import Period, months_of, previous, weeks_ending
from processors.rule_schedule import Judged, RuleSpan, judged_by
from processors.rules import COMMUNICATION_METRICS, METRICS



def N_(message: str) -> str:
    """Marks a msgid for `pybabel extract` without translating it here (docs/i18n.md)."""
    return message


SURVEY_QUESTIONS = ("csat", "communication")
NO_VENDOR = N_("no vendor")  # the name of records without a vendor; a renderer translates it
ALL_VENDORS = N_("All vendors")  # the name of the whole report's section


@dataclass(frozen=True)
class ClockRecord:
    """One stored SLA clock, as the reports need it."""

    ticket: str
    metric: str
    cycle: int
    vendor: str | None  # vendor id when it stopped or breached
    target_seconds: int
    elapsed_seconds: int  # business time; for an open clock, as of when it was loaded
    stopped_at: datetime | None
    breached_at: datetime | None
    summary: str | None = None  # the ticket's summary
    excused: bool = False  # a breach a manager excused (issue 5); never True today
    rules_version: str | None = field(default=None, compare=False)  # what judged it (None: unknown)
    ended_by: str | None = field(default=None, compare=False)  # response | resolution | handaway

    @property
    def ended_at(self) -> datetime | None:
        return min((t for t in (self.stopped_at, self.breached_at) if t is not None), default=None)

    @property
    def met(self) -> bool:
        return self.breached_at is None

    @property
    def over_seconds(self) -> int:
        return self.elapsed_seconds - self.target_seconds

    def open_breach_at(self, at: datetime) -> bool:
        """Breached before `at` and not stopped before it."""
        return (self.breached_at is not None and self.breached_at < at
                and (self.stopped_at is None or self.stopped_at >= at))


@dataclass(frozen=True)
class TicketRecord:
    key: str
    vendor: str | None  # the ticket's vendor now
    created_at: datetime


@dataclass(frozen=True)
class SurveyRecord:
    """One answered satisfaction survey (issue 5); None: the question was not answered."""

    ticket: str
    vendor: str | None
    answered_at: datetime
    satisfied: bool | None  # "satisfied" or "very satisfied"
    communication_good: bool | None


@dataclass(frozen=True)
class History:
    clocks: Sequence[ClockRecord] = ()
    tickets: Sequence[TicketRecord] = ()
    surveys: Sequence[SurveyRecord] = ()
    rule_spans: Sequence[RuleSpan] = ()  # the rules schedule: which version judges which tickets

    def of_vendor(self, vendor: str | None) -> "History":
        return History(tuple(c for c in self.clocks if c.vendor == vendor),
                       tuple(t for t in self.tickets if t.vendor == vendor),
                       tuple(s for s in self.surveys if s.vendor == vendor), self.rule_spans)

    def vendors(self) -> set[str | None]:
        return {r.vendor for r in (*self.clocks, *self.tickets, *self.surveys)}


@dataclass(frozen=True)
class MetricStats:
    metric: str
    target: float | None  # fraction
    counted: int  # excused breaches not included
    met: int
    excused: int
    median_seconds: int | None
    p90_seconds: int | None

    @property
    def attainment(self) -> float | None:
        return self.met / self.counted if self.counted else None

    @property
    def above(self) -> bool | None:
        """At or above the target; None when there is nothing to judge."""
        if self.attainment is None or self.target is None:
            return None
        return self.attainment >= self.target


@dataclass(frozen=True)
class Satisfaction:
    question: str  # "csat" | "communication"
    target: float | None
    answered: int
    positive: int

    @property
    def attainment(self) -> float | None:
        return self.positive / self.answered if self.answered else None

    @property
    def above(self) -> bool | None:
        if self.attainment is None or self.target is None:
            return None
        return self.attainment >= self.target


def nearest_rank(sorted_values: Sequence[int], percent: int) -> int | None:
    """The nearest-rank percentile: the value at rank ceil(percent/100 * n), 1-based."""
    if not sorted_values:
        return None
    rank = max(1, -(-percent * len(sorted_values) // 100))
    return sorted_values[rank - 1]


def change_pp(now: float | None, before: float | None) -> float | None:
    """The change in percentage points, None unless both are known."""
    return None if now is None or before is None else round((now - before) * 100, 6)


def counted_in(clocks: Iterable[ClockRecord], period: Period) -> list[ClockRecord]:
    return [c for c in clocks if period.contains(c.ended_at)]


def metric_stats(clocks: Iterable[ClockRecord], metric: str, period: Period,
                 targets: Mapping[str, float]) -> MetricStats:
    mine = [c for c in counted_in(clocks, period) if c.metric == metric]
    judged = [c for c in mine if not c.excused]
    times = sorted(c.elapsed_seconds for c in judged)
    return MetricStats(metric, targets.get(metric), len(judged), sum(c.met for c in judged),
                       len(mine) - len(judged), nearest_rank(times, 50), nearest_rank(times, 90))


def all_metrics(clocks: Sequence[ClockRecord], period: Period,
                targets: Mapping[str, float]) -> dict[str, MetricStats]:
    return {metric: metric_stats(clocks, metric, period, targets) for metric in METRICS}


def communication_stats(clocks: Sequence[ClockRecord], period: Period,
                        targets: Mapping[str, float]) -> dict[str, MetricStats]:
    """next_response and periodic_update, for the metrics with clocks counted in the period (their
    target defaults to the `communication` one: both speak to the communication goal)."""
    goals = {m: targets.get(m, targets.get("communication")) for m in COMMUNICATION_METRICS}
    found = {m: metric_stats(clocks, m, period, goals) for m in COMMUNICATION_METRICS}
    return {m: s for m, s in found.items() if s.counted or s.excused}


def handaways_in(clocks: Iterable[ClockRecord], period: Period) -> int:
    """Clocks counted in the period that ended because the ticket left the vendor (hand-off policies)."""
    return sum(1 for c in counted_in(clocks, period) if c.ended_by == "handaway")


def attainments(clocks: Sequence[ClockRecord], period: Period,
                targets: Mapping[str, float]) -> dict[str, float | None]:
    return {m: s.attainment for m, s in all_metrics(clocks, period, targets).items()}


def worst_breaches(clocks: Iterable[ClockRecord], period: Period, count: int = 5) -> tuple[ClockRecord, ...]:
    """The breaches counted in the period (not excused), most over target first."""
    breached = [c for c in counted_in(clocks, period) if not c.met and not c.excused]
    breached.sort(key=lambda c: (-c.over_seconds, c.ticket, c.metric, c.cycle))
    return tuple(breached[:count])


def excused_breaches(clocks: Iterable[ClockRecord], period: Period) -> tuple[ClockRecord, ...]:
    return tuple(sorted((c for c in counted_in(clocks, period) if c.excused),
                        key=lambda c: (c.ticket, c.metric, c.cycle)))


def satisfaction(surveys: Iterable[SurveyRecord], period: Period,
                 targets: Mapping[str, float]) -> dict[str, Satisfaction]:
    """Per survey question, only those with answers in the period (empty: no surveys)."""
    answers = {"csat": [], "communication": []}
    for survey in surveys:
        if period.contains(survey.answered_at):
            answers["csat"].append(survey.satisfied)
            answers["communication"].append(survey.communication_good)
    out = {}
    for question in SURVEY_QUESTIONS:
        given = [a for a in answers[question] if a is not None]
        if given:
            out[question] = Satisfaction(question, targets.get(question), len(given), sum(given))
    return out


def versions_in(clocks: Iterable[ClockRecord], period: Period, spans: Sequence[RuleSpan]) -> tuple[Judged, ...]:
    """The rules versions that judged the clocks counted in the period."""
    return judged_by((c.rules_version for c in counted_in(clocks, period)), spans)


def resolved_in(clocks: Iterable[ClockRecord], period: Period) -> int:
    return sum(1 for c in clocks if c.metric == "resolution" and c.ended_by != "handaway"
               and period.contains(c.stopped_at))


def opened_in(tickets: Iterable[TicketRecord], period: Period) -> int:
    return sum(1 for t in tickets if period.contains(t.created_at))


def vendor_names(names: Mapping[str, str], history: History) -> dict[str | None, str]:
    """The rules' vendors in their order, then vendors known only from the history (by id),
    then "no vendor" when some records have none."""
    out: dict[str | None, str] = dict(names)
    seen = history.vendors()
    out.update({v: v for v in sorted(v for v in seen if v is not None and v not in names)})
    if None in seen:
        out[None] = NO_VENDOR
    return out


# ---- weekly summary ------------------------------------------------------------------------

@dataclass(frozen=True)
class WeekSection:
    """One vendor's week, or everyone's."""

    vendor: str | None
    name: str
    opened: int
    resolved: int
    metrics: Mapping[str, MetricStats]
    previous: Mapping[str, float | None]  # last week's attainment per metric
    open_breaches: int  # at the end of the week
    worst: tuple[ClockRecord, ...]
    excused: tuple[ClockRecord, ...]
    judged_by: tuple[Judged, ...] = ()  # the rules versions of the clocks counted
    satisfaction: Mapping[str, Satisfaction] = field(default_factory=dict)  # surveys answered this week
    communication: Mapping[str, MetricStats] = field(default_factory=dict)  # next_response, periodic_update
    handaways: int = 0  # clocks counted this week that ended by a hand-away

    def change_pp(self, metric: str) -> float | None:
        return change_pp(self.metrics[metric].attainment, self.previous.get(metric))


@dataclass(frozen=True)
class WeeklySummary:
    period: Period
    previous: Period
    targets: Mapping[str, float]
    overall: WeekSection
    vendors: tuple[WeekSection, ...]  # empty when the summary is of one vendor
    trend: tuple[tuple[Period, Mapping[str, float | None]], ...]  # oldest first, this week last
    names: Mapping[str | None, str]  # vendor id -> display name
    jira_url: str | None = None

    def link(self, key: str) -> str | None:
        return f"{self.jira_url.rstrip('/')}/browse/{key}" if self.jira_url else None


def week_section(history: History, vendor: str | None, name: str, period: Period,
                 targets: Mapping[str, float]) -> WeekSection:
    clocks = history.clocks
    return WeekSection(
        vendor=vendor, name=name, opened=opened_in(history.tickets, period),
        resolved=resolved_in(clocks, period), metrics=all_metrics(clocks, period, targets),
        previous=attainments(clocks, previous(period), targets),
        open_breaches=sum(1 for c in clocks if c.open_breach_at(period.end)),
        worst=worst_breaches(clocks, period), excused=excused_breaches(clocks, period),
        judged_by=versions_in(clocks, period, history.rule_spans),
        satisfaction=satisfaction(history.surveys, period, targets),
        communication=communication_stats(clocks, period, targets), handaways=handaways_in(clocks, period))


def weekly_summary(history: History, period: Period, names: Mapping[str, str],
                   targets: Mapping[str, float], jira_url: str | None = None,
                   vendor: str | None = None, weeks: int = 12) -> WeeklySummary:
    """The summary of the week `period`; with `vendor`, of that vendor only (no sections)."""
    every = vendor_names(names, history)
    if vendor is not None:
        history = history.of_vendor(vendor)
        overall = week_section(history, vendor, every.get(vendor, vendor), period, targets)
        sections: tuple[WeekSection, ...] = ()
    else:
        overall = week_section(history, None, ALL_VENDORS, period, targets)
        sections = tuple(week_section(history.of_vendor(v), v, n, period, targets)
                         for v, n in every.items())
    trend = tuple((week, attainments(history.clocks, week, targets))
                  for week in weeks_ending(period, weeks))
    return WeeklySummary(period, previous(period), targets, overall, sections, trend, every, jira_url)


# ---- quarterly scorecards ------------------------------------------------------------------

@dataclass(frozen=True)
class Scorecard:
    vendor: str
    name: str
    opened: int
    resolved: int
    metrics: Mapping[str, MetricStats]  # the quarter
    monthly: Mapping[str, tuple[MetricStats, ...]]  # per metric, one per month of the quarter
    breaches: int  # breaches counted in the quarter, excused ones not included
    excused: int
    satisfaction: Mapping[str, Satisfaction]  # empty when there are no survey answers
    previous: Mapping[str, float | None]  # last quarter's attainment per metric
    judged_by: tuple[Judged, ...] = ()  # the rules versions of the clocks counted in the quarter
    communication: Mapping[str, MetricStats] = field(default_factory=dict)  # next_response, periodic_update
    handaways: int = 0  # clocks counted in the quarter that ended by a hand-away

    def change_pp(self, metric: str) -> float | None:
        return change_pp(self.metrics[metric].attainment, self.previous.get(metric))


@dataclass(frozen=True)
class QuarterlyScorecards:
    period: Period
    previous: Period
    months: tuple[Period, ...]
    targets: Mapping[str, float]
    cards: tuple[Scorecard, ...]
    monthly_trend: Mapping[str, tuple[tuple[Period, Mapping[str, float | None]], ...]]  # per vendor: 6 months
    judged_by: tuple[Judged, ...] = ()  # all the cards' clocks counted in the quarter


def scorecard(history: History, vendor: str, name: str, period: Period,
              targets: Mapping[str, float]) -> Scorecard:
    clocks = history.clocks
    months = months_of(period)
    counted = counted_in(clocks, period)
    return Scorecard(
        vendor=vendor, name=name, opened=opened_in(history.tickets, period),
        resolved=resolved_in(clocks, period), metrics=all_metrics(clocks, period, targets),
        monthly={m: tuple(metric_stats(clocks, m, month, targets) for month in months) for m in METRICS},
        breaches=sum(1 for c in counted if not c.met and not c.excused),
        excused=sum(1 for c in counted if c.excused),
        satisfaction=satisfaction(history.surveys, period, targets),
        previous=attainments(clocks, previous(period), targets),
        judged_by=versions_in(clocks, period, history.rule_spans),
        communication=communication_stats(clocks, period, targets), handaways=handaways_in(clocks, period))


def quarterly_scorecards(history: History, period: Period, names: Mapping[str, str],
                         targets: Mapping[str, float], vendor: str | None = None) -> QuarterlyScorecards:
    """A scorecard per vendor (every vendor of the rules, with or without activity, and vendors
    known only from the history); records without a vendor are no provider's and left out."""
    every = {v: n for v, n in vendor_names(names, history).items() if v is not None}
    if vendor is not None:
        every = {vendor: every.get(vendor, vendor)}
    cards = tuple(scorecard(history.of_vendor(v), v, n, period, targets) for v, n in every.items())
    six_months = months_of(previous(period)) + months_of(period)
    trend = {v: tuple((m, attainments(history.of_vendor(v).clocks, m, targets)) for m in six_months)
             for v in every}
    judged = versions_in([c for c in history.clocks if c.vendor in every], period, history.rule_spans)
    return QuarterlyScorecards(period, previous(period), months_of(period), targets, cards, trend, judged)


# ---- the reader's language -----------------------------------------------------------------

def _name(vendor: str | None, name: str, locale: str) -> str:
    """A section's name; those Slawatch gives (ALL_VENDORS, NO_VENDOR) in `locale`."""
    return translator(locale).gettext(name) if vendor is None and name in (ALL_VENDORS, NO_VENDOR) else name


def in_locale(report: WeeklySummary | QuarterlyScorecards, locale: str) -> WeeklySummary | QuarterlyScorecards:
    """The weekly summary or the scorecards with the names Slawatch gives in `locale` (the vendors'
    own names as the rules write them). English: the report itself."""
    if not isinstance(report, WeeklySummary):
        return report  # scorecards: every card is a vendor of the rules or the history
    names = {v: _name(v, n, locale) for v, n in report.names.items()}
    return replace(report, names=names,
                   overall=replace(report.overall, name=_name(report.overall.vendor, report.overall.name, locale)),
                   vendors=tuple(replace(s, name=_name(s.vendor, s.name, locale)) for s in report.vendors))
