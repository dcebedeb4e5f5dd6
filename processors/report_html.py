"""Reports as a standalone HTML page (pure), in the reader's language; the texts and figures they
share with the text reports are processors/report_render.py's.

    weekly_html(summary, chart_png, locale), quarterly_html(cards, charts, locale)
"""
from __future__ import annotations

import base64
from html import escape
from typing import Mapping, Sequence

from processors.i18n import period_label, translator
from processors.periods import Period
from processors.reports import (
    METRICS, ClockRecord, MetricStats, QuarterlyScorecards, Satisfaction, Scorecard, WeeklySummary, WeekSection,
    in_locale,
)
from processors.report_render import (
    dur, handaways_text, judged_text, mark, metric_name, pct, per_section, period_text, pp, target_pct, targets_text,
)
from processors.rule_schedule import Judged


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
