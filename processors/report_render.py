"""Report renderers (pure): plain text, CSV and a standalone HTML page.

    weekly_text(summary), weekly_csv(summary), weekly_html(summary, chart_png)
    quarterly_text(cards), quarterly_csv(cards), quarterly_html(cards, charts={vendor: png})

Percentages have one decimal; changes are percentage points (pp) from the previous period;
"above" means at or above the target. Times are business time, like `1h30m`.

Every report says which rules versions judged its numbers (`judged_text`): one line for the
whole report when one version judged them all, else that line with the count per version, and
a line per vendor section.
"""
from __future__ import annotations

import base64
import csv
import io
from datetime import datetime, timedelta, timezone
from html import escape
from typing import Mapping, Sequence

from processors.periods import Period
from processors.reports import (
    METRICS, ClockRecord, MetricStats, QuarterlyScorecards, Satisfaction, Scorecard, WeeklySummary,
    WeekSection,
)
from processors.rule_schedule import Judged, RuleSpan
from processors.rules import format_duration

METRIC_NAMES = {"first_response": "first response", "resolution": "resolution",
                "csat": "satisfaction", "communication": "communication",
                "next_response": "next response", "periodic_update": "periodic update"}
PERCENTILES = "median and p90 are nearest-rank percentiles of the elapsed business time of the clocks counted"
ALL = "(all)"


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def target_pct(value: float | None) -> str:
    return "no target" if value is None else f"{value * 100:g}%"


def pp(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f} pp"


def dur(seconds: int | None) -> str:
    return "n/a" if seconds is None else format_duration(timedelta(seconds=seconds))


def mark(above: bool | None) -> str:
    return "" if above is None else ("above" if above else "below")


def period_text(period: Period) -> str:
    return f"{period.label} ({period.first_day:%a %Y-%m-%d} to {period.last_day:%a %Y-%m-%d}, {period.zone})"


def targets_text(targets: Mapping[str, float]) -> str:
    return ", ".join(f"{METRIC_NAMES[m]} {target_pct(targets.get(m))}" for m in METRICS)


def instant_text(at: datetime) -> str:
    """A pin's instant: the date when it is midnight UTC (a `--from` date), else ISO 8601."""
    at = at.astimezone(timezone.utc)
    if at.time() == datetime.min.time():
        return f"{at:%Y-%m-%d}"
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def span_text(span: RuleSpan) -> str:
    if span.created_from is None and span.created_before is None:
        return "every ticket"
    if span.created_from is None:
        return f"tickets created before {instant_text(span.created_before)}"
    if span.created_before is None:
        return f"tickets created from {instant_text(span.created_from)}"
    return (f"tickets created from {instant_text(span.created_from)} "
            f"and before {instant_text(span.created_before)}")


def coverage_text(judged: Judged) -> str:
    return " and ".join(span_text(s) for s in judged.spans) or "no longer in force"


def judged_text(judged: Sequence[Judged]) -> str | None:
    """`rules 3f2a9c1b0d4e`, or with the tickets each version judges and its clocks when several
    did; None when no clock counted."""
    if not judged:
        return None
    if len(judged) == 1:
        (one,) = judged
        whole = [(s.created_from, s.created_before) for s in one.spans] == [(None, None)]
        return f"rules {one.version[:12]}" + ("" if whole else f" ({coverage_text(one)})")
    return "rules " + "; ".join(f"{j.version[:12]} ({coverage_text(j)}): {j.clocks} "
                                f"clock{'' if j.clocks == 1 else 's'}" for j in judged)


def per_section(report: Sequence[Judged]) -> bool:
    """Whether sections name their versions too (several versions judged the report)."""
    return len(report) > 1


def breach_text(record: ClockRecord, names: Mapping[str | None, str], link: str | None) -> str:
    where = f" {link}" if link else ""
    about = f' "{record.summary}"' if record.summary else ""
    return (f"{record.ticket} {METRIC_NAMES[record.metric]}: {dur(record.over_seconds)} over "
            f"(elapsed {dur(record.elapsed_seconds)}, target {dur(record.target_seconds)}), "
            f"{names.get(record.vendor, record.vendor)}{where}{about}")


# ---- text ----------------------------------------------------------------------------------

def metric_text(stats: MetricStats, change: float | None, before: float | None, since: str) -> str:
    judged = f"{stats.met} of {stats.counted} met" + (f", {stats.excused} excused" if stats.excused else "")
    verdict = ("nothing counted" if stats.above is None
               else f"{mark(stats.above)} the {target_pct(stats.target)} target")
    return (f"{METRIC_NAMES[stats.metric]}: {pct(stats.attainment)} ({judged}), {verdict}, "
            f"{pp(change)} from {since} ({pct(before)}); "
            f"median {dur(stats.median_seconds)}, p90 {dur(stats.p90_seconds)}")


def _judged_lines(judged: Sequence[Judged], lead: str = "judged by") -> list[str]:
    text = judged_text(judged)
    return [f"{lead} {text}"] if text else []


def section_text(summary: WeeklySummary, section: WeekSection) -> list[str]:
    lines = [f"== {section.name}",
             f"opened {section.opened}, resolved {section.resolved}, "
             f"open breaches at the end of the week {section.open_breaches}"]
    if section is not summary.overall and per_section(summary.overall.judged_by):
        lines += _judged_lines(section.judged_by)
    lines += [metric_text(section.metrics[m], section.change_pp(m), section.previous.get(m), "last week")
              for m in METRICS]
    lines += [satisfaction_text(s) for s in section.satisfaction.values()]
    lines += communication_lines(section.communication, section.handaways)
    if section.worst:
        lines.append("worst breaches:")
        lines += [f"  {i}. {breach_text(r, summary.names, summary.link(r.ticket))}"
                  for i, r in enumerate(section.worst, 1)]
    if section.excused:
        lines.append("excused breaches (not counted): "
                     + ", ".join(f"{r.ticket} {METRIC_NAMES[r.metric]}" for r in section.excused))
    return lines


def weekly_text(summary: WeeklySummary) -> str:
    lines = [f"Weekly SLA summary {period_text(summary.period)}",
             f"Targets: {targets_text(summary.targets)}; {PERCENTILES}.",
             *(f"{line}." for line in _judged_lines(summary.overall.judged_by, "Judged by")), ""]
    for section in (summary.overall, *summary.vendors):
        lines += section_text(summary, section) + [""]
    return "\n".join(lines)


def scorecard_text(cards: QuarterlyScorecards, card: Scorecard) -> list[str]:
    lines = [f"== {card.name} ({card.vendor})",
             f"opened {card.opened}, resolved {card.resolved}, breaches {card.breaches}"
             + (f", excused {card.excused}" if card.excused else "")]
    if per_section(cards.judged_by):
        lines += _judged_lines(card.judged_by)
    for m in METRICS:
        lines.append(metric_text(card.metrics[m], card.change_pp(m), card.previous.get(m),
                                 cards.previous.label))
        lines.append("  by month: " + ", ".join(f"{month.label} {pct(s.attainment)} ({s.met} of {s.counted})"
                                                for month, s in zip(cards.months, card.monthly[m])))
    lines += [satisfaction_text(s) for s in card.satisfaction.values()]
    lines += communication_lines(card.communication, card.handaways)
    return lines


def communication_lines(stats: Mapping[str, MetricStats], handaways: int) -> list[str]:
    """The clocked communication metrics (beside the survey's communication), and hand-aways."""
    lines = []
    for s in stats.values():
        judged = f"{s.met} of {s.counted} met" + (f", {s.excused} excused" if s.excused else "")
        verdict = "nothing counted" if s.above is None else f"{mark(s.above)} the {target_pct(s.target)} target"
        lines.append(f"{METRIC_NAMES[s.metric]}: {pct(s.attainment)} ({judged}), {verdict}; "
                     f"median {dur(s.median_seconds)}, p90 {dur(s.p90_seconds)}")
    if handaways:
        lines.append(f"clocks ended by a hand-away (the ticket left the vendor): {handaways}")
    return lines


def satisfaction_text(s: Satisfaction) -> str:
    return (f"{METRIC_NAMES[s.question]}: {pct(s.attainment)} ({s.positive} of {s.answered} answers), "
            f"{mark(s.above)} the {target_pct(s.target)} target")


def quarterly_text(cards: QuarterlyScorecards) -> str:
    lines = [f"Quarterly provider scorecards {period_text(cards.period)}",
             f"Targets: {targets_text(cards.targets)}; {PERCENTILES}.",
             *(f"{line}." for line in _judged_lines(cards.judged_by, "Judged by")), ""]
    for card in cards.cards:
        lines += scorecard_text(cards, card) + [""]
    if not cards.cards:
        lines.append("No vendors are defined in the rules.")
    return "\n".join(lines)


# ---- CSV -----------------------------------------------------------------------------------

WEEKLY_HEADER = ["week", "vendor", "vendor_name", "metric", "target_percent", "counted", "met",
                 "excused", "attainment_percent", "mark", "change_pp", "median_seconds",
                 "p90_seconds", "opened", "resolved", "open_breaches", "rules_versions"]
QUARTERLY_HEADER = ["quarter", "vendor", "vendor_name", "metric", "period", "target_percent",
                    "counted", "met", "excused", "attainment_percent", "mark", "change_pp",
                    "median_seconds", "p90_seconds", "breaches", "rules_versions"]


def _number(value: float | None, scale: int = 100) -> str:
    return "" if value is None else f"{value * scale:.2f}"


def _csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue()


def _stats_cells(s: MetricStats) -> list:
    return [_number(s.target), s.counted, s.met, s.excused, _number(s.attainment), mark(s.above)]


def weekly_csv(summary: WeeklySummary) -> str:
    rows = []
    for section in (summary.overall, *summary.vendors):
        vendor = ALL if section is summary.overall and summary.vendors else (section.vendor or "")
        for m in METRICS:
            rows.append([summary.period.label, vendor, section.name, m, *_stats_cells(section.metrics[m]),
                         _number(section.change_pp(m), 1), section.metrics[m].median_seconds,
                         section.metrics[m].p90_seconds, section.opened, section.resolved,
                         section.open_breaches, judged_text(section.judged_by)])
        for s in section.satisfaction.values():  # survey questions: counted = answers, met = positive
            rows.append([summary.period.label, vendor, section.name, s.question, _number(s.target),
                         s.answered, s.positive, 0, _number(s.attainment), mark(s.above),
                         "", "", "", "", "", "", ""])
        for m, s in section.communication.items():  # next_response, periodic_update when counted
            rows.append([summary.period.label, vendor, section.name, m, *_stats_cells(s), "",
                         s.median_seconds, s.p90_seconds, "", "", "", ""])
    return _csv(WEEKLY_HEADER, rows)


def _scorecard_rows(cards: QuarterlyScorecards, card: Scorecard) -> list[list]:
    rows = []
    head = [cards.period.label, card.vendor, card.name]
    versions = judged_text(card.judged_by)
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


def quarterly_csv(cards: QuarterlyScorecards) -> str:
    return _csv(QUARTERLY_HEADER, [row for card in cards.cards for row in _scorecard_rows(cards, card)])


# ---- HTML ----------------------------------------------------------------------------------

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:60em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0}th,td{padding:.3em .7em;border:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f4f4f4}
.above{color:#1a7f37;font-weight:600}.below{color:#cf222e;font-weight:600}
.note{color:#666;font-size:.9em}img{max-width:100%}
"""


def _page(title: str, body: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _img(png: bytes, alt: str) -> str:
    return f'<img src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" alt="{escape(alt)}">'


def _cell(value: float | None, above: bool | None) -> str:
    return f'<td class="{mark(above)}">{pct(value)}</td>'


def _table(header: list[str], rows: list[str]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    return f"<table><tr>{head}</tr>\n" + "\n".join(f"<tr>{r}</tr>" for r in rows) + "</table>"


def _week_rows(section: WeekSection) -> list[str]:
    rows = []
    for m in METRICS:
        s = section.metrics[m]
        rows.append(f"<td>{escape(section.name)}</td><td>{METRIC_NAMES[m]}</td>"
                    f"{_cell(s.attainment, s.above)}<td>{s.met} of {s.counted}</td>"
                    f"<td>{target_pct(s.target)}</td><td>{pp(section.change_pp(m))}</td>"
                    f"<td>{dur(s.median_seconds)}</td><td>{dur(s.p90_seconds)}</td>"
                    f"<td>{section.opened}</td><td>{section.resolved}</td><td>{section.open_breaches}</td>")
    return rows


def _judged_html(report: Sequence[Judged], sections: Sequence[tuple[str, Sequence[Judged]]]) -> list[str]:
    """One note for the report; with several versions, a list of what judged each section."""
    text = judged_text(report)
    if text is None:
        return []
    out = [f'<p class="note">Judged by {escape(text)}.</p>']
    if per_section(report):
        items = [f"<li>{escape(name)}: {escape(judged_text(judged) or 'nothing counted')}</li>"
                 for name, judged in sections]
        out.append('<ul class="note">' + "".join(items) + "</ul>")
    return out


def _breach_row(summary: WeeklySummary, r: ClockRecord) -> str:
    link = summary.link(r.ticket)
    key = f'<a href="{escape(link)}">{escape(r.ticket)}</a>' if link else escape(r.ticket)
    return (f"<td>{key}</td><td>{METRIC_NAMES[r.metric]}</td><td>{dur(r.over_seconds)}</td>"
            f"<td>{dur(r.target_seconds)}</td><td>{escape(summary.names.get(r.vendor, r.vendor or ''))}</td>"
            f"<td>{escape(r.summary or '')}</td>")


def weekly_html(summary: WeeklySummary, chart_png: bytes | None) -> str:
    title = f"Weekly SLA summary {summary.period.label}"
    sections = (summary.overall, *summary.vendors)
    body = [f"<h1>{escape(title)}</h1>", f"<p>{escape(period_text(summary.period))}. "
            f"Targets: {escape(targets_text(summary.targets))}.</p>",
            _table(["vendor", "metric", "attainment", "met", "target", "vs last week", "median",
                    "p90", "opened", "resolved", "open breaches"],
                   [row for s in sections for row in _week_rows(s)]),
            f'<p class="note">{PERCENTILES.capitalize()}; changes are percentage points.</p>',
            *_judged_html(summary.overall.judged_by, [(s.name, s.judged_by) for s in summary.vendors])]
    clocked = [s for s in sections if s.communication or s.handaways]
    if clocked:
        body += ["<h2>Communication, clocked (next response, periodic update)</h2>",
                 _table(["vendor", *COMMUNICATION_HEADER],
                        [f"<td>{escape(section.name)}</td>{row}" for section in clocked
                         for row in _communication_rows(section.communication, section.handaways)])]
    answered = [s for s in sections if s.satisfaction]
    if answered:
        body += ["<h2>Satisfaction surveys answered this week</h2>",
                 _table(["vendor", "survey", "positive", "answers", "target"],
                        [f"<td>{escape(section.name)}</td>{row}" for section in answered
                         for row in _satisfaction_rows(section.satisfaction)])]
    if chart_png:
        body += [f"<h2>Attainment, last {len(summary.trend)} weeks</h2>",
                 _img(chart_png, "attainment per week against the targets")]
    body.append("<h2>Worst breaches</h2>")
    worst = summary.overall.worst
    body.append(_table(["ticket", "metric", "over", "target", "vendor", "summary"],
                       [_breach_row(summary, r) for r in worst]) if worst else "<p>None.</p>")
    if summary.overall.excused:
        body += ["<h2>Excused breaches (not counted)</h2>",
                 _table(["ticket", "metric", "over", "target", "vendor", "summary"],
                        [_breach_row(summary, r) for r in summary.overall.excused])]
    return _page(title, body)


def _scorecard_html(cards: QuarterlyScorecards, card: Scorecard, chart: bytes | None) -> list[str]:
    rows = []
    for m in METRICS:
        s = card.metrics[m]
        months = "".join(_cell(x.attainment, x.above) for x in card.monthly[m])
        rows.append(f"<td>{METRIC_NAMES[m]}</td>{months}{_cell(s.attainment, s.above)}"
                    f"<td>{target_pct(s.target)}</td><td>{pp(card.change_pp(m))}</td>"
                    f"<td>{dur(s.median_seconds)}</td><td>{dur(s.p90_seconds)}</td>")
    header = ["metric", *(m.label for m in cards.months), cards.period.label, "target",
              f"vs {cards.previous.label}", "median", "p90"]
    out = [f"<h2>{escape(card.name)} <span class=\"note\">({escape(card.vendor)})</span></h2>",
           f"<p>Opened {card.opened}, resolved {card.resolved}, breaches {card.breaches}"
           + (f", excused {card.excused}" if card.excused else "") + ".</p>", _table(header, rows)]
    if card.communication or card.handaways:
        out.append(_table(COMMUNICATION_HEADER, _communication_rows(card.communication, card.handaways)))
    out += [_satisfaction_html(card.satisfaction)] if card.satisfaction else []
    out += [_img(chart, f"{card.name}: attainment per month")] if chart else []
    return out


COMMUNICATION_HEADER = ["communication metric", "attainment", "met", "target", "median", "p90"]


def _communication_rows(stats: Mapping[str, MetricStats], handaways: int) -> list[str]:
    """The clocked communication metrics beside the survey's (as `communication_lines`), and the
    clocks ended by a hand-away."""
    rows = [f"<td>{METRIC_NAMES[s.metric]}</td>{_cell(s.attainment, s.above)}<td>{s.met} of {s.counted}</td>"
            f"<td>{target_pct(s.target)}</td><td>{dur(s.median_seconds)}</td><td>{dur(s.p90_seconds)}</td>"
            for s in stats.values()]
    if handaways:
        rows.append(f'<td colspan="6">clocks ended by a hand-away (the ticket left the vendor): {handaways}</td>')
    return rows


def _satisfaction_rows(answers: Mapping[str, Satisfaction]) -> list[str]:
    return [f"<td>{METRIC_NAMES[s.question]}</td>{_cell(s.attainment, s.above)}"
            f"<td>{s.answered}</td><td>{target_pct(s.target)}</td>" for s in answers.values()]


def _satisfaction_html(answers: Mapping[str, Satisfaction]) -> str:
    return _table(["survey", "positive", "answers", "target"], _satisfaction_rows(answers))


def quarterly_html(cards: QuarterlyScorecards, charts: Mapping[str, bytes] | None = None) -> str:
    title = f"Quarterly provider scorecards {cards.period.label}"
    body = [f"<h1>{escape(title)}</h1>", f"<p>{escape(period_text(cards.period))}. "
            f"Targets: {escape(targets_text(cards.targets))}.</p>",
            f'<p class="note">{PERCENTILES.capitalize()}; changes are percentage points.</p>',
            *_judged_html(cards.judged_by, [(c.name, c.judged_by) for c in cards.cards])]
    for card in cards.cards:
        body += _scorecard_html(cards, card, (charts or {}).get(card.vendor))
    return _page(title, body)
