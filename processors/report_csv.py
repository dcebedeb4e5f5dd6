"""Reports as CSV (pure): UTF-8 with a BOM, the header in the reader's language, the cells machine
values. The texts and figures they share with the text and HTML reports are processors/report_render.py's.

    weekly_csv(summary, locale), quarterly_csv(cards, locale)
"""
from __future__ import annotations

import csv
import io

from processors.i18n import translator
from processors.reports import METRICS, MetricStats, QuarterlyScorecards, Scorecard, WeeklySummary, in_locale
from processors.report_render import ALL, judged_text, mark


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
