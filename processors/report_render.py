"""Report renderers (pure): plain text, CSV and a standalone HTML page.

    weekly_text(summary, locale), weekly_csv(summary, locale), weekly_html(summary, chart_png, locale)
    quarterly_text(cards, locale), quarterly_csv(cards, locale), quarterly_html(cards, charts, locale)

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

import base64
import csv
import io
from datetime import date, datetime, timedelta, timezone
from html import escape
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


# ---- CSV -----------------------------------------------------------------------------------
# UTF-8 with a BOM (Excel on Chinese Windows reads it as UTF-8, not GBK); the header in the
# reader's language, the cells machine values (metric ids, ISO labels, `above`/`below`).

BOM = "\ufeff"
WEEKLY_HEADER = ["week", "vendor", "vendor_name", "metric", "target_percent", "counted", "met",
                 "excused", "attainment_percent", "mark", "change_pp", "median_seconds",
                 "p90_seconds", "opened", "resolved", "open_breaches", "rules_versions"]
QUARTERLY_HEADER = ["quarter", "vendor", "vendor_name", "metric", "period", "target_percent",
                    "counted", "met", "excused", "attainment_percent", "mark", "change_pp",
                    "median_seconds", "p90_seconds", "breaches", "rules_versions"]


def column_titles(locale: str = "en") -> dict[str, str]:
    """The CSV header in `locale` (English: the column names themselves)."""
    pgettext = translator(locale).pgettext
    # Translators: the column names of the reports' CSV files (a spreadsheet's header row)
    return {
        "week": pgettext("CSV column", "week"),
        "quarter": pgettext("CSV column", "quarter"),
        "vendor": pgettext("CSV column", "vendor"),
        "vendor_name": pgettext("CSV column", "vendor_name"),
        "metric": pgettext("CSV column", "metric"),
        "period": pgettext("CSV column", "period"),
        "target_percent": pgettext("CSV column", "target_percent"),
        "counted": pgettext("CSV column", "counted"),
        "met": pgettext("CSV column", "met"),
        "excused": pgettext("CSV column", "excused"),
        "attainment_percent": pgettext("CSV column", "attainment_percent"),
        "mark": pgettext("CSV column", "mark"),
        "change_pp": pgettext("CSV column", "change_pp"),
        "median_seconds": pgettext("CSV column", "median_seconds"),
        "p90_seconds": pgettext("CSV column", "p90_seconds"),
        "opened": pgettext("CSV column", "opened"),
        "resolved": pgettext("CSV column", "resolved"),
        "open_breaches": pgettext("CSV column", "open_breaches"),
        "breaches": pgettext("CSV column", "breaches"),
        "rules_versions": pgettext("CSV column", "rules_versions"),
    }


def _number(value: float | None, scale: int = 100) -> str:
    return "" if value is None else f"{value * scale:.2f}"


def _csv(header: list[str], rows: list[list], locale: str) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\n")
    titles = column_titles(locale)
    writer.writerow([titles[h] for h in header])
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue()


def _stats_cells(s: MetricStats) -> list:
    return [_number(s.target), s.counted, s.met, s.excused, _number(s.attainment), mark(s.above)]


def weekly_csv(summary: WeeklySummary, locale: str = "en") -> str:
    summary = in_locale(summary, locale)
    rows = []
    for section in (summary.overall, *summary.vendors):
        vendor = ALL if section is summary.overall and summary.vendors else (section.vendor or "")
        for m in METRICS:
            rows.append([summary.period.label, vendor, section.name, m, *_stats_cells(section.metrics[m]),
                         _number(section.change_pp(m), 1), section.metrics[m].median_seconds,
                         section.metrics[m].p90_seconds, section.opened, section.resolved,
                         section.open_breaches, judged_text(section.judged_by, locale)])
        for s in section.satisfaction.values():  # survey questions: counted = answers, met = positive
            rows.append([summary.period.label, vendor, section.name, s.question, _number(s.target),
                         s.answered, s.positive, 0, _number(s.attainment), mark(s.above),
                         "", "", "", "", "", "", ""])
        for m, s in section.communication.items():  # next_response, periodic_update when counted
            rows.append([summary.period.label, vendor, section.name, m, *_stats_cells(s), "",
                         s.median_seconds, s.p90_seconds, "", "", "", ""])
    return _csv(WEEKLY_HEADER, rows, locale)


def _scorecard_rows(cards: QuarterlyScorecards, card: Scorecard, locale: str) -> list[list]:
    rows = []
    head = [cards.period.label, card.vendor, card.name]
    versions = judged_text(card.judged_by, locale)
    for m in METRICS:
        periods = [*zip(cards.months, card.monthly[m]), (cards.period, card.metrics[m])]
        for period, s in periods:
            change = _number(card.change_pp(m), 1) if period is cards.period else ""
            rows.append([*head, m, period.label, *_stats_cells(s), change,
                         s.median_seconds, s.p90_seconds, s.counted - s.met, versions])
    for s in card.satisfaction.values():
        rows.append([*head, s.question, cards.period.label, _number(s.target), s.answered, s.positive,
                     0, _number(s.attainment), mark(s.above), "", "", "", "", ""])
    for m, s in card.communication.items():  # next_response, periodic_update when counted
        rows.append([*head, m, cards.period.label, *_stats_cells(s), "", s.median_seconds, s.p90_seconds,
                     s.counted - s.met, versions])
    return rows


def quarterly_csv(cards: QuarterlyScorecards, locale: str = "en") -> str:
    return _csv(QUARTERLY_HEADER, [row for card in cards.cards for row in _scorecard_rows(cards, card, locale)],
                locale)


# ---- HTML ----------------------------------------------------------------------------------

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;
margin:2em auto;max-width:60em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0}th,td{padding:.3em .7em;border:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f4f4f4}
.above{color:#1a7f37;font-weight:600}.below{color:#cf222e;font-weight:600}
.note{color:#666;font-size:.9em}img{max-width:100%}
"""  # i18n: skip (CSS)


def _page(title: str, body: list[str], locale: str) -> str:
    lang = locale.replace("_", "-")
    return (f"<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _img(png: bytes, alt: str) -> str:
    return f'<img src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" alt="{escape(alt)}">'


def _cell(value: float | None, above: bool | None, locale: str) -> str:
    return f'<td class="{mark(above)}">{pct(value, locale)}</td>'


def _table(header: list[str], rows: list[str]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    return f"<table><tr>{head}</tr>\n" + "\n".join(f"<tr>{r}</tr>" for r in rows) + "</table>"


def _of(met: int, counted: int, locale: str) -> str:
    return translator(locale).gettext("%(met)d of %(counted)d") % {"met": met, "counted": counted}


def _week_rows(section: WeekSection, locale: str) -> list[str]:
    rows = []
    for m in METRICS:
        s = section.metrics[m]
        rows.append(f"<td>{escape(section.name)}</td><td>{escape(metric_name(m, locale))}</td>"
                    f"{_cell(s.attainment, s.above, locale)}<td>{_of(s.met, s.counted, locale)}</td>"
                    f"<td>{target_pct(s.target, locale)}</td><td>{escape(pp(section.change_pp(m), locale))}</td>"
                    f"<td>{dur(s.median_seconds, locale)}</td><td>{dur(s.p90_seconds, locale)}</td>"
                    f"<td>{section.opened}</td><td>{section.resolved}</td><td>{section.open_breaches}</td>")
    return rows


def _judged_html(report: Sequence[Judged], sections: Sequence[tuple[str, Sequence[Judged]]],
                 locale: str) -> list[str]:
    """One note for the report; with several versions, a list of what judged each section."""
    _ = translator(locale).gettext
    text = judged_text(report, locale)
    if text is None:
        return []
    note = _("Judged by %(rules)s.") % {"rules": text}
    out = [f'<p class="note">{escape(note)}</p>']
    if per_section(report):
        items = [escape(_("%(name)s: %(rules)s") % {"name": name,
                                                     "rules": judged_text(judged, locale) or _("nothing counted")})
                 for name, judged in sections]
        items = [f"<li>{item}</li>" for item in items]
        out.append('<ul class="note">' + "".join(items) + "</ul>")
    return out


def _breach_row(summary: WeeklySummary, r: ClockRecord, locale: str) -> str:
    link = summary.link(r.ticket)
    key = f'<a href="{escape(link)}">{escape(r.ticket)}</a>' if link else escape(r.ticket)
    return (f"<td>{key}</td><td>{escape(metric_name(r.metric, locale))}</td><td>{dur(r.over_seconds, locale)}</td>"
            f"<td>{dur(r.target_seconds, locale)}</td>"
            f"<td>{escape(summary.names.get(r.vendor, r.vendor or ''))}</td><td>{escape(r.summary or '')}</td>")


def _intro(period: Period, targets: Mapping[str, float], locale: str) -> str:
    text = translator(locale).gettext("%(period)s. Targets: %(targets)s.") % {
        "period": period_text(period, locale), "targets": targets_text(targets, locale)}
    return f"<p>{escape(text)}</p>"


def _percentiles_note(locale: str) -> str:
    text = translator(locale).gettext("Median and p90 are nearest-rank percentiles of the elapsed business "
                                      "time of the clocks counted; changes are percentage points.")
    return f'<p class="note">{escape(text)}</p>'


def weekly_html(summary: WeeklySummary, chart_png: bytes | None, locale: str = "en") -> str:
    _ = translator(locale).gettext
    summary = in_locale(summary, locale)
    title = _("Weekly SLA summary %(period)s") % {"period": period_label(summary.period, locale)}
    sections = (summary.overall, *summary.vendors)
    breach_header = [_("ticket"), _("metric"), _("over"), _("target"), _("vendor"), _("summary")]
    body = [f"<h1>{escape(title)}</h1>", _intro(summary.period, summary.targets, locale),
            _table([_("vendor"), _("metric"), _("attainment"), _("met"), _("target"), _("vs last week"),
                    _("median"), "p90", _("opened"), _("resolved"), _("open breaches")],
                   [row for s in sections for row in _week_rows(s, locale)]),
            _percentiles_note(locale),
            *_judged_html(summary.overall.judged_by, [(s.name, s.judged_by) for s in summary.vendors], locale)]
    clocked = [s for s in sections if s.communication or s.handaways]
    if clocked:
        heading = _("Communication, clocked (next response, periodic update)")
        body += [f"<h2>{escape(heading)}</h2>",
                 _table([_("vendor"), *communication_header(locale)],
                        [f"<td>{escape(section.name)}</td>{row}" for section in clocked
                         for row in _communication_rows(section.communication, section.handaways, locale)])]
    answered = [s for s in sections if s.satisfaction]
    if answered:
        heading = _("Satisfaction surveys answered this week")
        body += [f"<h2>{escape(heading)}</h2>",
                 _table([_("vendor"), _("survey"), _("positive"), _("answers"), _("target")],
                        [f"<td>{escape(section.name)}</td>{row}" for section in answered
                         for row in _satisfaction_rows(section.satisfaction, locale)])]
    if chart_png:
        heading = _("Attainment, last %(count)d weeks") % {"count": len(summary.trend)}
        body += [f"<h2>{escape(heading)}</h2>", _img(chart_png, _("attainment per week against the targets"))]
    heading = _("Worst breaches")
    body.append(f"<h2>{escape(heading)}</h2>")
    worst = summary.overall.worst
    none = _("None.")
    body.append(_table(breach_header, [_breach_row(summary, r, locale) for r in worst]) if worst
                else f"<p>{escape(none)}</p>")
    if summary.overall.excused:
        heading = _("Excused breaches (not counted)")
        body += [f"<h2>{escape(heading)}</h2>",
                 _table(breach_header, [_breach_row(summary, r, locale) for r in summary.overall.excused])]
    return _page(title, body, locale)


def _scorecard_html(cards: QuarterlyScorecards, card: Scorecard, chart: bytes | None, locale: str) -> list[str]:
    _ = translator(locale).gettext
    rows = []
    for m in METRICS:
        s = card.metrics[m]
        months = "".join(_cell(x.attainment, x.above, locale) for x in card.monthly[m])
        rows.append(f"<td>{escape(metric_name(m, locale))}</td>{months}{_cell(s.attainment, s.above, locale)}"
                    f"<td>{target_pct(s.target, locale)}</td><td>{escape(pp(card.change_pp(m), locale))}</td>"
                    f"<td>{dur(s.median_seconds, locale)}</td><td>{dur(s.p90_seconds, locale)}</td>")
    header = [_("metric"), *(period_label(m, locale) for m in cards.months), period_label(cards.period, locale),
              _("target"), _("vs %(period)s") % {"period": period_label(cards.previous, locale)},
              _("median"), "p90"]
    counts = {"opened": card.opened, "resolved": card.resolved, "breaches": card.breaches, "excused": card.excused}
    opened = (_("Opened %(opened)d, resolved %(resolved)d, breaches %(breaches)d, excused %(excused)d.")
              if card.excused else _("Opened %(opened)d, resolved %(resolved)d, breaches %(breaches)d.")) % counts
    out = [f"<h2>{escape(card.name)} <span class=\"note\">({escape(card.vendor)})</span></h2>",
           f"<p>{escape(opened)}</p>", _table(header, rows)]
    if card.communication or card.handaways:
        out.append(_table(communication_header(locale),
                          _communication_rows(card.communication, card.handaways, locale)))
    out += [_satisfaction_html(card.satisfaction, locale)] if card.satisfaction else []
    alt = _("%(name)s: attainment per month") % {"name": card.name}
    out += [_img(chart, alt)] if chart else []
    return out


def communication_header(locale: str = "en") -> list[str]:
    _ = translator(locale).gettext
    return [_("communication metric"), _("attainment"), _("met"), _("target"), _("median"), "p90"]


def _communication_rows(stats: Mapping[str, MetricStats], handaways: int, locale: str) -> list[str]:
    """The clocked communication metrics beside the survey's (as `communication_lines`), and the
    clocks ended by a hand-away."""
    rows = [f"<td>{escape(metric_name(s.metric, locale))}</td>{_cell(s.attainment, s.above, locale)}"
            f"<td>{_of(s.met, s.counted, locale)}</td><td>{target_pct(s.target, locale)}</td>"
            f"<td>{dur(s.median_seconds, locale)}</td><td>{dur(s.p90_seconds, locale)}</td>"
            for s in stats.values()]
    if handaways:
        rows.append(f'<td colspan="6">{escape(handaways_text(handaways, locale))}</td>')
    return rows


def _satisfaction_rows(answers: Mapping[str, Satisfaction], locale: str) -> list[str]:
    return [f"<td>{escape(metric_name(s.question, locale))}</td>{_cell(s.attainment, s.above, locale)}"
            f"<td>{s.answered}</td><td>{target_pct(s.target, locale)}</td>" for s in answers.values()]


def _satisfaction_html(answers: Mapping[str, Satisfaction], locale: str) -> str:
    _ = translator(locale).gettext
    return _table([_("survey"), _("positive"), _("answers"), _("target")], _satisfaction_rows(answers, locale))


def quarterly_html(cards: QuarterlyScorecards, charts: Mapping[str, bytes] | None = None,
                   locale: str = "en") -> str:
    _ = translator(locale).gettext
    title = _("Quarterly provider scorecards %(period)s") % {"period": period_label(cards.period, locale)}
    body = [f"<h1>{escape(title)}</h1>", _intro(cards.period, cards.targets, locale), _percentiles_note(locale),
            *_judged_html(cards.judged_by, [(c.name, c.judged_by) for c in cards.cards], locale)]
    for card in cards.cards:
        body += _scorecard_html(cards, card, (charts or {}).get(card.vendor), locale)
    return _page(title, body, locale)
