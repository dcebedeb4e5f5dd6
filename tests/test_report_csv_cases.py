"""The reports as CSV (processors/report_csv.py), on the hand-built summary and scorecards of
tests/report_samples.py: every cell of every row read off by hand (percentages with two decimals,
changes in percentage points, empty cells where there is nothing), the header in the reader's
language, the BOM."""
from __future__ import annotations

import csv
import io

import pytest

from processors.report_csv import (
    BOM, QUARTERLY_HEADER, WEEKLY_HEADER, column_titles, quarterly_csv, weekly_csv,
)
from tests.report_samples import ACME_WEEK, GLOBEX_CARD, quarterly, weekly

V = "rules 3f2a9c1b0d4e"  # the one version, its first 12 characters


def _rows(text: str) -> list[list[str]]:
    assert text.startswith(BOM) and BOM not in text[1:]  # UTF-8 with one BOM, for Excel
    assert "\r" not in text  # lines end in \n
    return list(csv.reader(io.StringIO(text[1:])))


# per section: first response, resolution, the survey, the clocked communication metric
ALL_ROWS = [
    # 3 of 4 = 75.00 below 85.00; +25.00 pp from 50%; opened 5, resolved 3, 1 open breach
    ["2026-W02", "(all)", "All vendors", "first_response", "85.00", "4", "3", "0", "75.00", "below", "25.00",
     "1200", "3600", "5", "3", "1", V],
    # 2 of 2 (1 excused, not counted) = 100.00, above 95.00; 100% last week: 0.00 pp
    ["2026-W02", "(all)", "All vendors", "resolution", "95.00", "2", "2", "1", "100.00", "above", "0.00",
     "21600", "86400", "5", "3", "1", V],
    # survey: counted = answers 2, met = positive 1, excused 0; 50.00 below 90.00; the rest empty
    ["2026-W02", "(all)", "All vendors", "csat", "90.00", "2", "1", "0", "50.00", "below", "", "", "", "", "",
     "", ""],
    # next response: 1 of 1 above 80.00; no change, median and p90 600 s; no counts, no versions
    ["2026-W02", "(all)", "All vendors", "next_response", "80.00", "1", "1", "0", "100.00", "above", "", "600",
     "600", "", "", "", ""],
]
ACME_ROWS = [
    [*row[:1], "acme", "ACME Outsourcing", *row[3:]] for row in ALL_ROWS
]
ACME_ROWS[1][10] = ""  # last week's resolution unknown: no change
NO_VENDOR_ROWS = [
    # nothing counted: no attainment, no mark, no change, no times; no version judged anything
    ["2026-W02", "", "no vendor", "first_response", "85.00", "0", "0", "0", "", "", "", "", "", "1", "0", "0", ""],
    ["2026-W02", "", "no vendor", "resolution", "95.00", "0", "0", "0", "", "", "", "", "", "1", "0", "0", ""],
]


def test_weekly_csv_every_cell():
    rows = _rows(weekly_csv(weekly()))
    assert rows[0] == WEEKLY_HEADER
    assert rows[1:] == ALL_ROWS + ACME_ROWS + NO_VENDOR_ROWS


def test_weekly_csv_of_one_vendor():
    # a summary of one vendor has no sections: its own section is the overall one, under its id
    rows = _rows(weekly_csv(weekly(vendors=(), overall=ACME_WEEK)))
    assert rows[1:] == ACME_ROWS


def test_weekly_csv_overall_without_sections_is_not_all():
    # the overall section of every vendor but with no vendor sections: no "(all)", its vendor (none) empty
    rows = _rows(weekly_csv(weekly(vendors=())))
    assert [row[1] for row in rows[1:]] == ["", "", "", ""]


def test_weekly_csv_in_chinese():
    rows = _rows(weekly_csv(weekly(), "zh_CN"))
    assert rows[0] == [column_titles("zh_CN")[h] for h in WEEKLY_HEADER]
    assert rows[0][:4] == ["周", "供应商", "供应商名称", "指标"]
    # the names Slawatch gives in Chinese, the cells machine values as in English
    assert [row[2] for row in rows[1:]] == ["全部供应商"] * 4 + ["ACME Outsourcing"] * 4 + ["无供应商"] * 2
    assert [row[3:10] for row in rows[1:]] == [row[3:10] for row in ALL_ROWS + ACME_ROWS + NO_VENDOR_ROWS]
    assert rows[1][16] == "规则版本 3f2a9c1b0d4e"  # judged_text in Chinese


@pytest.mark.parametrize("locale, titles", [
    ("en", {h: h for h in WEEKLY_HEADER + QUARTERLY_HEADER}),  # English: the column names themselves
    ("zh_CN", {"week": "周", "quarter": "季度", "vendor": "供应商", "vendor_name": "供应商名称", "metric": "指标",
               "period": "期间", "target_percent": "目标（%）", "counted": "统计数", "met": "达标数",
               "excused": "豁免数", "attainment_percent": "达标率（%）", "mark": "评定",
               "change_pp": "变化（百分点）", "median_seconds": "中位数（秒）", "p90_seconds": "p90（秒）",
               "opened": "新建工单", "resolved": "已解决", "open_breaches": "未解决违约", "breaches": "违约",
               "rules_versions": "规则版本"}),
])
def test_column_titles(locale, titles):
    assert column_titles(locale) == titles


ACME_Q = ["2026-Q1", "acme", "ACME Outsourcing"]
ACME_QUARTER_ROWS = [
    # by month: Jan 4 of 4, Feb 2 of 3 (66.67 below), Mar 3 of 3; breaches = counted - met; no change
    [*ACME_Q, "first_response", "2026-01", "85.00", "4", "4", "0", "100.00", "above", "", "600", "900", "0", V],
    [*ACME_Q, "first_response", "2026-02", "85.00", "3", "2", "0", "66.67", "below", "", "1200", "3000", "1", V],
    [*ACME_Q, "first_response", "2026-03", "85.00", "3", "3", "0", "100.00", "above", "", "300", "600", "0", V],
    # the quarter: 9 of 10 = 90.00 above 85.00; +10.00 pp from Q4's 80%; 1 breach
    [*ACME_Q, "first_response", "2026-Q1", "85.00", "10", "9", "0", "90.00", "above", "10.00", "900", "3000", "1", V],
    [*ACME_Q, "resolution", "2026-01", "95.00", "3", "3", "0", "100.00", "above", "", "10000", "20000", "0", V],
    [*ACME_Q, "resolution", "2026-02", "95.00", "3", "2", "1", "66.67", "below", "", "20000", "50000", "1", V],
    [*ACME_Q, "resolution", "2026-03", "95.00", "2", "1", "0", "50.00", "below", "", "30000", "40000", "1", V],
    # 6 of 8 = 75.00, Q4 75%: 0.00 pp; 2 breaches (the excused one is not among the 8 counted)
    [*ACME_Q, "resolution", "2026-Q1", "95.00", "8", "6", "1", "75.00", "below", "0.00", "20000", "50000", "2", V],
    # the survey over the quarter: 4 answers, 4 positive; no change, times, breaches or versions
    [*ACME_Q, "csat", "2026-Q1", "90.00", "4", "4", "0", "100.00", "above", "", "", "", "", ""],
    # periodic update: 1 of 2, 1 breach
    [*ACME_Q, "periodic_update", "2026-Q1", "80.00", "2", "1", "0", "50.00", "below", "", "7200", "9000", "1", V],
]
GLOBEX_Q = ["2026-Q1", "globex", "Globex"]
GLOBEX_QUARTER_ROWS = [
    [*GLOBEX_Q, metric, period, target, "0", "0", "0", "", "", "", "", "", "0", ""]
    for metric, target in (("first_response", "85.00"), ("resolution", "95.00"))
    for period in ("2026-01", "2026-02", "2026-03", "2026-Q1")
]


def test_quarterly_csv_every_cell():
    rows = _rows(quarterly_csv(quarterly()))
    assert rows[0] == QUARTERLY_HEADER
    assert rows[1:] == ACME_QUARTER_ROWS + GLOBEX_QUARTER_ROWS


def test_quarterly_csv_of_no_cards_is_the_header():
    assert quarterly_csv(quarterly(cards=())) == BOM + ",".join(QUARTERLY_HEADER) + "\n"


def test_quarterly_csv_in_chinese():
    rows = _rows(quarterly_csv(quarterly(cards=[GLOBEX_CARD]), "zh_CN"))
    assert rows[0] == [column_titles("zh_CN")[h] for h in QUARTERLY_HEADER]
    assert rows[1:] == GLOBEX_QUARTER_ROWS  # machine values: the same in every language
