"""Report renderers (pure): plain text here, and the texts and figures the CSV
(processors/report_csv.py) and the HTML page (processors/report_html.py) share with it.

    weekly_text(summary, locale), quarterly_text(cards, locale)

`locale` ("en" by default, "zh_CN"): the reader's language (docs/i18n.md); every text goes
through the catalog, week and quarter labels through `period_label` (`2026年第47周`), dates
through a CLDR pattern the catalog holds. Machine values stay as they are in every language:
the CSV's cells (ISO labels, metric ids, `above`/`below`), the HTML's class names.

Percentages have one decimal; changes are percentage points (pp) from the previous period;
"above" means at or above the target. Times are business time, like `1h30m` (`1小时30分钟`).

Every report says which rules versions judged its numbers (`judged_text`): one line for the
whole report when one version judged them all, else that line with the count per version, and
a line per vendor section.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Mapping, Sequence

from processors import i18n
from processors.i18n import DEFAULT_LOCALE, format_percent, period_label, translator
from processors.periods import Period
from processors.reports import (
    METRICS, N_, ClockRecord, MetricStats, QuarterlyScorecards, Satisfaction, Scorecard, WeeklySummary,
    WeekSection, in_locale,
)
from processors.rule_schedule import Judged, RuleSpan
from processors.rules import format_duration

METRIC_NAMES = {"first_response": N_("first response"), "resolution": N_("resolution"),
                "csat": N_("satisfaction"), "communication": N_("communication"),  # the survey's: 沟通满意度
                "next_response": N_("next response"), "periodic_update": N_("periodic update")}
PERCENTILES = N_("median and p90 are nearest-rank percentiles of the elapsed business time of the clocks counted")
ALL = "(all)"


def metric_name(metric: str, locale: str = "en") -> str:
    return translator(locale).gettext(METRIC_NAMES[metric])


def pct(value: float | None, locale: str = "en") -> str:
    return translator(locale).gettext("n/a") if value is None else format_percent(value, locale)


def target_pct(value: float | None, locale: str = "en") -> str:
    return translator(locale).gettext("no target") if value is None else f"{value * 100:g}%"


def pp(value: float | None, locale: str = "en") -> str:
    _ = translator(locale).gettext
    return _("n/a") if value is None else _("%(change)s pp") % {"change": f"{value:+.1f}"}


def dur(seconds: int | None, locale: str = "en") -> str:
    """Business time: `1h30m` in English (as everywhere in Slawatch), Babel's units otherwise."""
    if seconds is None:
        return translator(locale).gettext("n/a")
    if locale == DEFAULT_LOCALE:
        return format_duration(timedelta(seconds=seconds))
    return i18n.format_duration(timedelta(seconds=seconds), locale)


def mark(above: bool | None) -> str:
    """The machine word (CSV column `mark`, HTML class): above, below or empty."""
    return "" if above is None else ("above" if above else "below")


def verdict(above: bool | None, target: float | None, locale: str = "en") -> str:
    """"below the 85% target"; "nothing counted" when there is nothing to judge."""
    _ = translator(locale).gettext
    if above is None:
        return _("nothing counted")
    words = _("above the %(target)s target") if above else _("below the %(target)s target")
    return words % {"target": target_pct(target, locale)}


def day_text(day: date, locale: str = "en") -> str:
    # Translators: a Babel (CLDR) date pattern: "Mon 2026-01-05"; zh_CN "2026年1月5日星期一"
    return i18n.format_date(day, locale, translator(locale).gettext("EEE yyyy-MM-dd"))


def joined(items: Sequence[str], locale: str = "en", separator: str = "comma") -> str:
    t = translator(locale)
    # Translators: the separators of a list of items ("a, b", "a; b")
    return (t.pgettext("list separator", ", ") if separator == "comma" else t.gettext("; ")).join(items)


def period_text(period: Period, locale: str = "en") -> str:
    """"2026-W47 (Mon 2026-11-16 to Sun 2026-11-22, Europe/Berlin)"."""
    _ = translator(locale).gettext
    return _("%(period)s (%(first)s to %(last)s, %(zone)s)") % {
        "period": period_label(period, locale), "first": day_text(period.first_day, locale),
        "last": day_text(period.last_day, locale), "zone": period.zone}


def chart_title(period: Period, locale: str = "en") -> str:
    """The title of the weekly chart uploaded with a report: "SLA attainment per week to 2026-W47"."""
    _ = translator(locale).gettext
    return _("SLA attainment per week to %(period)s") % {"period": period_label(period, locale)}


def targets_text(targets: Mapping[str, float], locale: str = "en") -> str:
    _ = translator(locale).gettext
    return joined([(_("%(metric)s %(target)s") if targets.get(m) is not None else _("%(metric)s no target"))
                   % {"metric": metric_name(m, locale), "target": target_pct(targets.get(m), locale)}
                   for m in METRICS], locale)


def instant_text(at: datetime) -> str:
    """A pin's instant: the date when it is midnight UTC (a `--from` date), else ISO 8601."""
    at = at.astimezone(timezone.utc)
    if at.time() == datetime.min.time():
        return f"{at:%Y-%m-%d}"
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def span_text(span: RuleSpan, locale: str = "en") -> str:
    _ = translator(locale).gettext
    if span.created_from is None and span.created_before is None:
        return _("every ticket")
    if span.created_from is None:
        return _("tickets created before %(instant)s") % {"instant": instant_text(span.created_before)}
    if span.created_before is None:
        return _("tickets created from %(instant)s") % {"instant": instant_text(span.created_from)}
    return _("tickets created from %(start)s and before %(end)s") % {
        "start": instant_text(span.created_from), "end": instant_text(span.created_before)}


def coverage_text(judged: Judged, locale: str = "en") -> str:
    _ = translator(locale).gettext
    texts = [span_text(s, locale) for s in judged.spans]
    if not texts:
        return _("no longer in force")
    text = texts[0]
    for following in texts[1:]:
        text = _("%(first)s and %(next)s") % {"first": text, "next": following}
    return text


def judged_text(judged: Sequence[Judged], locale: str = "en") -> str | None:
    """`rules 3f2a9c1b0d4e`, or with the tickets each version judges and its clocks when several
    did; None when no clock counted."""
    t = translator(locale)
    if not judged:
        return None
    if len(judged) == 1:
        (one,) = judged
        whole = [(s.created_from, s.created_before) for s in one.spans] == [(None, None)]
        versions = one.version[:12] if whole else t.gettext("%(version)s (%(coverage)s)") % {
            "version": one.version[:12], "coverage": coverage_text(one, locale)}
    else:
        versions = joined([t.ngettext("%(version)s (%(coverage)s): %(count)d clock",
                                      "%(version)s (%(coverage)s): %(count)d clocks", j.clocks)
                           % {"version": j.version[:12], "coverage": coverage_text(j, locale), "count": j.clocks}
                           for j in judged], locale, "semicolon")
    return t.gettext("rules %(versions)s") % {"versions": versions}


def per_section(report: Sequence[Judged]) -> bool:
    """Whether sections name their versions too (several versions judged the report)."""
    return len(report) > 1


def breach_text(record: ClockRecord, names: Mapping[str | None, str], link: str | None,
                locale: str = "en") -> str:
    _ = translator(locale).gettext
    about = _(' "%(summary)s"') % {"summary": record.summary} if record.summary else ""
    return _("%(ticket)s %(metric)s: %(over)s over (elapsed %(elapsed)s, target %(target)s), "
             "%(vendor)s%(link)s%(summary)s") % {
        "ticket": record.ticket, "metric": metric_name(record.metric, locale),
        "over": dur(record.over_seconds, locale), "elapsed": dur(record.elapsed_seconds, locale),
        "target": dur(record.target_seconds, locale), "vendor": names.get(record.vendor, record.vendor),
        "link": f" {link}" if link else "", "summary": about}


# ---- text ----------------------------------------------------------------------------------

def met_text(stats: MetricStats, locale: str = "en") -> str:
    _ = translator(locale).gettext
    words = (_("%(met)d of %(counted)d met, %(excused)d excused") if stats.excused
             else _("%(met)d of %(counted)d met"))
    return words % {"met": stats.met, "counted": stats.counted, "excused": stats.excused}


def metric_text(stats: MetricStats, change: float | None, before: float | None, since: str,
                locale: str = "en") -> str:
    _ = translator(locale).gettext
    return _("%(metric)s: %(attainment)s (%(judged)s), %(verdict)s, %(change)s from %(since)s (%(before)s); "
             "median %(median)s, p90 %(p90)s") % {
        "metric": metric_name(stats.metric, locale), "attainment": pct(stats.attainment, locale),
        "judged": met_text(stats, locale), "verdict": verdict(stats.above, stats.target, locale),
        "change": pp(change, locale), "since": since, "before": pct(before, locale),
        "median": dur(stats.median_seconds, locale), "p90": dur(stats.p90_seconds, locale)}


def _judged_lines(judged: Sequence[Judged], locale: str = "en", whole: bool = False) -> list[str]:
    _ = translator(locale).gettext
    text = judged_text(judged, locale)
    if not text:
        return []
    return [(_("Judged by %(rules)s.") if whole else _("judged by %(rules)s")) % {"rules": text}]


def section_text(summary: WeeklySummary, section: WeekSection, locale: str = "en") -> list[str]:
    _ = translator(locale).gettext
    lines = [f"== {section.name}",
             _("opened %(opened)d, resolved %(resolved)d, open breaches at the end of the week %(open)d")
             % {"opened": section.opened, "resolved": section.resolved, "open": section.open_breaches}]
    if section is not summary.overall and per_section(summary.overall.judged_by):
        lines += _judged_lines(section.judged_by, locale)
    last_week = _("last week")
    lines += [metric_text(section.metrics[m], section.change_pp(m), section.previous.get(m), last_week, locale)
              for m in METRICS]
    lines += [satisfaction_text(s, locale) for s in section.satisfaction.values()]
    lines += communication_lines(section.communication, section.handaways, locale)
    if section.worst:
        lines.append(_("worst breaches:"))
        lines += [f"  {i}. {breach_text(r, summary.names, summary.link(r.ticket), locale)}"
                  for i, r in enumerate(section.worst, 1)]
    if section.excused:
        excused = joined([f"{r.ticket} {metric_name(r.metric, locale)}" for r in section.excused], locale)
        lines.append(_("excused breaches (not counted): %(breaches)s") % {"breaches": excused})
    return lines


def _heading_lines(title: str, targets: Mapping[str, float], judged: Sequence[Judged], locale: str) -> list[str]:
    _ = translator(locale).gettext
    return [title, _("Targets: %(targets)s; %(percentiles)s.") % {
                "targets": targets_text(targets, locale), "percentiles": _(PERCENTILES)},
            *_judged_lines(judged, locale, whole=True), ""]


def weekly_text(summary: WeeklySummary, locale: str = "en") -> str:
    _ = translator(locale).gettext
    summary = in_locale(summary, locale)
    title = _("Weekly SLA summary %(period)s") % {"period": period_text(summary.period, locale)}
    lines = _heading_lines(title, summary.targets, summary.overall.judged_by, locale)
    for section in (summary.overall, *summary.vendors):
        lines += section_text(summary, section, locale) + [""]
    return "\n".join(lines)


def scorecard_text(cards: QuarterlyScorecards, card: Scorecard, locale: str = "en") -> list[str]:
    _ = translator(locale).gettext
    counts = {"opened": card.opened, "resolved": card.resolved, "breaches": card.breaches, "excused": card.excused}
    lines = [f"== {card.name} ({card.vendor})",
             (_("opened %(opened)d, resolved %(resolved)d, breaches %(breaches)d, excused %(excused)d")
              if card.excused else _("opened %(opened)d, resolved %(resolved)d, breaches %(breaches)d")) % counts]
    if per_section(cards.judged_by):
        lines += _judged_lines(card.judged_by, locale)
    since = period_label(cards.previous, locale)
    for m in METRICS:
        lines.append(metric_text(card.metrics[m], card.change_pp(m), card.previous.get(m), since, locale))
        months = joined([_("%(month)s %(attainment)s (%(met)d of %(counted)d)") % {
            "month": period_label(month, locale), "attainment": pct(s.attainment, locale), "met": s.met,
            "counted": s.counted} for month, s in zip(cards.months, card.monthly[m])], locale)
        lines.append("  " + _("by month: %(months)s") % {"months": months})
    lines += [satisfaction_text(s, locale) for s in card.satisfaction.values()]
    lines += communication_lines(card.communication, card.handaways, locale)
    return lines


def handaways_text(handaways: int, locale: str = "en") -> str:
    return translator(locale).gettext("clocks ended by a hand-away (the ticket left the vendor): %(count)d") % {
        "count": handaways}


def communication_lines(stats: Mapping[str, MetricStats], handaways: int, locale: str = "en") -> list[str]:
    """The clocked communication metrics (beside the survey's communication), and hand-aways."""
    _ = translator(locale).gettext
    lines = [_("%(metric)s: %(attainment)s (%(judged)s), %(verdict)s; median %(median)s, p90 %(p90)s") % {
        "metric": metric_name(s.metric, locale), "attainment": pct(s.attainment, locale),
        "judged": met_text(s, locale), "verdict": verdict(s.above, s.target, locale),
        "median": dur(s.median_seconds, locale), "p90": dur(s.p90_seconds, locale)} for s in stats.values()]
    if handaways:
        lines.append(handaways_text(handaways, locale))
    return lines


def satisfaction_text(s: Satisfaction, locale: str = "en") -> str:
    _ = translator(locale).gettext
    return _("%(metric)s: %(attainment)s (%(positive)d of %(answered)d answers), %(verdict)s") % {
        "metric": metric_name(s.question, locale), "attainment": pct(s.attainment, locale),
        "positive": s.positive, "answered": s.answered, "verdict": verdict(s.above, s.target, locale)}


def quarterly_text(cards: QuarterlyScorecards, locale: str = "en") -> str:
    _ = translator(locale).gettext
    title = _("Quarterly provider scorecards %(period)s") % {"period": period_text(cards.period, locale)}
    lines = _heading_lines(title, cards.targets, cards.judged_by, locale)
    for card in cards.cards:
        lines += scorecard_text(cards, card, locale) + [""]
    if not cards.cards:
        lines.append(_("No vendors are defined in the rules."))
    return "\n".join(lines)
