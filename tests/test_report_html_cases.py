"""The reports as a standalone HTML page (processors/report_html.py), on the hand-built summary and
scorecards of tests/report_samples.py: the whole page line by line, then what each optional part
(chart, surveys, clocked communication, breaches, rules versions) does when it is there or not."""
from __future__ import annotations

from dataclasses import replace

import pytest

from processors.report_html import STYLE, communication_header, quarterly_html, weekly_html
from processors.rule_schedule import Judged, RuleSpan
from tests.report_samples import ACME_CARD, ACME_WEEK, EXCUSED, GLOBEX_CARD, OVERALL, VERSION, WORST, quarterly, weekly

PNG = b"PNG"  # any bytes: base64 "UE5H"
OLD = "0123456789abcdef"


def _body(page: str, title: str, lang: str = "en") -> list[str]:
    """The page's body lines, after checking the head around them."""
    head = (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{STYLE}</style></head>\n<body>\n")
    assert page.startswith(head) and page.endswith("\n</body></html>\n")
    return page[len(head):-len("\n</body></html>\n")].split("\n")


def _tr(*cells: str) -> str:
    return "<tr>" + "".join(cells) + "</tr>"


def _td(*values: str) -> str:
    return "".join(f"<td>{v}</td>" for v in values)


def _th(*values: str) -> str:
    return "<table><tr>" + "".join(f"<th>{v}</th>" for v in values) + "</tr>"


# ---- the weekly page -----------------------------------------------------------------------

WEEK_HEADER = _th("vendor", "metric", "attainment", "met", "target", "vs last week", "median", "p90", "opened",
                  "resolved", "open breaches")
BREACH_HEADER = _th("ticket", "metric", "over", "target", "vendor", "summary")


def _week_row(name, metric, cls, attainment, met, target, change, median, p90, counts=("5", "3", "1")):
    return _tr(_td(name, metric), f'<td class="{cls}">{attainment}</td>', _td(met, target, change, median, p90, *counts))


WEEKLY_BODY = [
    "<h1>Weekly SLA summary 2026-W02</h1>",
    "<p>2026-W02 (Mon 2026-01-05 to Sun 2026-01-11, UTC). Targets: first response 85%, resolution 95%.</p>",
    WEEK_HEADER,
    # 3 of 4 = 75.0% below 85%, +25.0 pp; 20m, 1h; opened 5, resolved 3, 1 open breach
    _week_row("All vendors", "first response", "below", "75.0%", "3 of 4", "85%", "+25.0 pp", "20m", "1h"),
    _week_row("All vendors", "resolution", "above", "100.0%", "2 of 2", "95%", "+0.0 pp", "6h", "1d"),
    _week_row("ACME Outsourcing", "first response", "below", "75.0%", "3 of 4", "85%", "+25.0 pp", "20m", "1h"),
    _week_row("ACME Outsourcing", "resolution", "above", "100.0%", "2 of 2", "95%", "n/a", "6h", "1d"),
    # nothing counted: no class, n/a; opened 1, resolved 0, no open breach
    _week_row("no vendor", "first response", "", "n/a", "0 of 0", "85%", "n/a", "n/a", "n/a", ("1", "0", "0")),
    _week_row("no vendor", "resolution", "", "n/a", "0 of 0", "95%", "n/a", "n/a", "n/a", ("1", "0", "0")) + "</table>",
    '<p class="note">Median and p90 are nearest-rank percentiles of the elapsed business time of the clocks counted; '
    'changes are percentage points.</p>',
    '<p class="note">Judged by rules 3f2a9c1b0d4e.</p>',
    "<h2>Communication, clocked (next response, periodic update)</h2>",
    _th("vendor", "communication metric", "attainment", "met", "target", "median", "p90"),
    # next response 1 of 1 (100.0%, above 80%), 600 s = 10m; then the hand-aways across the row
    _tr(_td("All vendors", "next response"), '<td class="above">100.0%</td>', _td("1 of 1", "80%", "10m", "10m")),
    _tr(_td("All vendors"), '<td colspan="6">clocks ended by a hand-away (the ticket left the vendor): 1</td>'),
    _tr(_td("ACME Outsourcing", "next response"), '<td class="above">100.0%</td>', _td("1 of 1", "80%", "10m", "10m")),
    _tr(_td("ACME Outsourcing"), '<td colspan="6">clocks ended by a hand-away (the ticket left the vendor): 1</td>')
    + "</table>",
    "<h2>Satisfaction surveys answered this week</h2>",
    _th("vendor", "survey", "positive", "answers", "target"),
    # 1 positive of 2 answers: 50.0%, below 90%
    _tr(_td("All vendors", "satisfaction"), '<td class="below">50.0%</td>', _td("2", "90%")),
    _tr(_td("ACME Outsourcing", "satisfaction"), '<td class="below">50.0%</td>', _td("2", "90%")) + "</table>",
    "<h2>Attainment, last 12 weeks</h2>",  # the trend has 12 weeks
    '<img src="data:image/png;base64,UE5H" alt="attainment per week against the targets">',
    "<h2>Worst breaches</h2>",
    BREACH_HEADER,
    # linked to Jira (the trailing / of the URL not doubled); 1h elapsed over 30m: 30m over; text escaped
    _tr('<td><a href="https://jira.example.com/browse/ACME-2">ACME-2</a></td>',
        _td("first response", "30m", "30m", "ACME Outsourcing", "Router &lt;down&gt; &amp; out")) + "</table>",
    "<h2>Excused breaches (not counted)</h2>",
    BREACH_HEADER,
    # 5h elapsed over 4h: 1h over; no summary: an empty cell
    _tr('<td><a href="https://jira.example.com/browse/ACME-9">ACME-9</a></td>',
        _td("resolution", "1h", "4h", "ACME Outsourcing", "")) + "</table>",
]


def test_weekly_html_every_line():
    assert _body(weekly_html(weekly(), PNG), "Weekly SLA summary 2026-W02") == WEEKLY_BODY


def _bare(section):
    return replace(section, worst=(), excused=(), satisfaction={}, communication={}, handaways=0, judged_by=())


def test_weekly_html_without_the_optional_parts():
    # no chart, breaches, surveys, clocked communication or versions: the table, the notes and "None."
    body = _body(weekly_html(weekly(vendors=(), overall=_bare(OVERALL), jira_url=None), None),
                 "Weekly SLA summary 2026-W02")
    assert body == [*WEEKLY_BODY[:4], WEEKLY_BODY[4] + "</table>", WEEKLY_BODY[9], "<h2>Worst breaches</h2>",
                    "<p>None.</p>"]


@pytest.mark.parametrize("chart, shown", [(PNG, True), (None, False), (b"", False)])
def test_weekly_html_chart_only_when_there_is_one(chart, shown):
    page = weekly_html(weekly(), chart)
    assert ("<h2>Attainment, last 12 weeks</h2>" in page) is shown
    assert ('<img src="data:image/png;base64,UE5H"' in page) is shown


def test_weekly_html_hand_aways_alone_are_clocked_communication():
    only = replace(_bare(OVERALL), handaways=2)
    body = _body(weekly_html(weekly(vendors=(), overall=only), None), "Weekly SLA summary 2026-W02")
    assert body[body.index("<h2>Communication, clocked (next response, periodic update)</h2>") + 2] == _tr(
        _td("All vendors"), '<td colspan="6">clocks ended by a hand-away (the ticket left the vendor): 2</td>') + "</table>"


def test_weekly_html_communication_without_hand_aways():
    only = replace(_bare(OVERALL), communication=ACME_WEEK.communication)
    body = _body(weekly_html(weekly(vendors=(), overall=only), None), "Weekly SLA summary 2026-W02")
    at = body.index("<h2>Communication, clocked (next response, periodic update)</h2>")
    assert body[at + 2] == WEEKLY_BODY[13] + "</table>"  # the metric row only, no hand-away row


def test_weekly_html_breaches_without_jira_or_vendor_name():
    worst = (replace(WORST, vendor="globex", summary=None), replace(WORST, ticket="X-1", vendor=None, summary="<b>"))
    body = _body(weekly_html(weekly(vendors=(), overall=replace(_bare(OVERALL), worst=worst), jira_url=None), None),
                 "Weekly SLA summary 2026-W02")
    at = body.index("<h2>Worst breaches</h2>")
    # no Jira: the key unlinked; a vendor the names lack: its id; no vendor: the name of no vendor
    assert body[at + 2:at + 4] == [_tr(_td("ACME-2", "first response", "30m", "30m", "globex", "")),
                                   _tr(_td("X-1", "first response", "30m", "30m", "no vendor", "&lt;b&gt;")) + "</table>"]


def test_weekly_html_excused_breaches_only():
    body = _body(weekly_html(weekly(vendors=(), overall=replace(_bare(OVERALL), excused=(EXCUSED,))), None),
                 "Weekly SLA summary 2026-W02")
    assert body[-5:] == ["<h2>Worst breaches</h2>", "<p>None.</p>", "<h2>Excused breaches (not counted)</h2>",
                         BREACH_HEADER, WEEKLY_BODY[-1]]


TWO = (Judged(OLD, 1, (RuleSpan(OLD, None, None),)), Judged(VERSION, 5, (RuleSpan(VERSION, None, None),)))


def test_weekly_html_several_versions_listed_per_section():
    summary = weekly(overall=replace(OVERALL, judged_by=TWO),
                     vendors=(replace(ACME_WEEK, judged_by=(Judged(OLD, 1, (RuleSpan(OLD, None, None),)),)),
                              _bare(ACME_WEEK)))
    body = _body(weekly_html(summary, None), "Weekly SLA summary 2026-W02")
    at = body.index('<p class="note">Judged by rules 0123456789ab (every ticket): 1 clock; '
                    '3f2a9c1b0d4e (every ticket): 5 clocks.</p>')
    # one item per vendor section (not the overall one); a section nothing counted in says so
    assert body[at + 1] == ('<ul class="note"><li>ACME Outsourcing: rules 0123456789ab</li>'
                            "<li>ACME Outsourcing: nothing counted</li></ul>")


def test_weekly_html_no_versions_no_note():
    page = weekly_html(weekly(overall=replace(OVERALL, judged_by=())), None)
    assert "Judged by" not in page and '<ul class="note">' not in page


def test_weekly_html_in_chinese():
    body = _body(weekly_html(weekly(), None, "zh_CN"), "服务水平周报 2026年第2周", lang="zh-CN")
    assert body[0] == "<h1>服务水平周报 2026年第2周</h1>"
    # the names Slawatch gives, in Chinese; the classes machine words
    assert body[3] == _tr(_td("全部供应商", "首次响应"), '<td class="below">75.0%</td>',
                          _td("3/4", "85%", "+25.0个百分点", "20分钟", "1小时", "5", "3", "1"))


# ---- the quarterly page --------------------------------------------------------------------

CARD_HEADER = _th("metric", "2026-01", "2026-02", "2026-03", "2026-Q1", "target", "vs 2025-Q4", "median", "p90")


def _cells(*pairs: tuple[str, str]) -> str:
    return "".join(f'<td class="{cls}">{value}</td>' for cls, value in pairs)


QUARTERLY_BODY = [
    "<h1>Quarterly provider scorecards 2026-Q1</h1>",
    "<p>2026-Q1 (Thu 2026-01-01 to Tue 2026-03-31, UTC). Targets: first response 85%, resolution 95%.</p>",
    WEEKLY_BODY[9],  # the percentiles note
    '<p class="note">Judged by rules 3f2a9c1b0d4e.</p>',
    '<h2>ACME Outsourcing <span class="note">(acme)</span></h2>',
    "<p>Opened 9, resolved 8, breaches 3, excused 1.</p>",
    CARD_HEADER,
    # by month 4/4, 2/3 (66.7% below 85%), 3/3; the quarter 9/10 = 90.0% above; +10.0 pp; 15m, 50m
    _tr(_td("first response"), _cells(("above", "100.0%"), ("below", "66.7%"), ("above", "100.0%"), ("above", "90.0%")),
        _td("85%", "+10.0 pp", "15m", "50m")),
    _tr(_td("resolution"), _cells(("above", "100.0%"), ("below", "66.7%"), ("below", "50.0%"), ("below", "75.0%")),
        _td("95%", "+0.0 pp", "5h33m20s", "13h53m20s")) + "</table>",
    "<table><tr>" + "".join(f"<th>{h}</th>" for h in communication_header()) + "</tr>",
    _tr(_td("periodic update"), '<td class="below">50.0%</td>', _td("1 of 2", "80%", "2h", "2h30m")),
    _tr('<td colspan="6">clocks ended by a hand-away (the ticket left the vendor): 2</td>') + "</table>",
    _th("survey", "positive", "answers", "target"),
    _tr(_td("satisfaction"), '<td class="above">100.0%</td>', _td("4", "90%")) + "</table>",
    '<img src="data:image/png;base64,UE5H" alt="ACME Outsourcing: attainment per month">',
    '<h2>Globex <span class="note">(globex)</span></h2>',
    "<p>Opened 0, resolved 0, breaches 0.</p>",  # nothing excused: no "excused 0"
    CARD_HEADER,
    _tr(_td("first response"), _cells(*[("", "n/a")] * 4), _td("85%", "n/a", "n/a", "n/a")),
    _tr(_td("resolution"), _cells(*[("", "n/a")] * 4), _td("95%", "n/a", "n/a", "n/a")) + "</table>",
]


def test_quarterly_html_every_line():
    # a chart for acme only: Globex has none
    assert _body(quarterly_html(quarterly(), {"acme": PNG}), "Quarterly provider scorecards 2026-Q1") == QUARTERLY_BODY


@pytest.mark.parametrize("charts", [None, {}, {"globex": PNG}, {"acme": b""}])
def test_quarterly_html_without_acmes_chart(charts):
    body = _body(quarterly_html(quarterly(), charts), "Quarterly provider scorecards 2026-Q1")
    expected = [line for line in QUARTERLY_BODY if not line.startswith("<img")]
    if charts == {"globex": PNG}:
        expected.append('<img src="data:image/png;base64,UE5H" alt="Globex: attainment per month">')
    assert body == expected


def test_quarterly_html_charts_default_to_none():
    assert "<img" not in quarterly_html(quarterly())


def test_quarterly_html_hand_aways_alone_make_the_communication_table():
    card = replace(ACME_CARD, communication={}, satisfaction={})
    body = _body(quarterly_html(quarterly(cards=[card])), "Quarterly provider scorecards 2026-Q1")
    assert body[9:] == [QUARTERLY_BODY[9], QUARTERLY_BODY[11]]  # the header, the hand-away row


def test_quarterly_html_communication_without_hand_aways():
    card = replace(ACME_CARD, handaways=0, satisfaction={})
    body = _body(quarterly_html(quarterly(cards=[card])), "Quarterly provider scorecards 2026-Q1")
    assert body[9:] == [QUARTERLY_BODY[9], QUARTERLY_BODY[10] + "</table>"]


def test_quarterly_html_several_versions_listed_per_card():
    cards = quarterly(cards=[ACME_CARD, GLOBEX_CARD], judged_by=TWO)
    body = _body(quarterly_html(cards), "Quarterly provider scorecards 2026-Q1")
    assert body[3:5] == ['<p class="note">Judged by rules 0123456789ab (every ticket): 1 clock; '
                         '3f2a9c1b0d4e (every ticket): 5 clocks.</p>',
                         '<ul class="note"><li>ACME Outsourcing: rules 3f2a9c1b0d4e</li>'
                         "<li>Globex: nothing counted</li></ul>"]


def test_quarterly_html_no_cards_no_versions():
    body = _body(quarterly_html(quarterly(cards=(), judged_by=())), "Quarterly provider scorecards 2026-Q1")
    assert body == QUARTERLY_BODY[:3]


def test_quarterly_html_in_chinese():
    page = quarterly_html(quarterly(cards=[GLOBEX_CARD]), None, "zh_CN")
    body = _body(page, "供应商季度考核表 2026年第1季度", lang="zh-CN")
    assert body[6] == _th("指标", "2026年1月", "2026年2月", "2026年3月", "2026年第1季度", "目标", "较2025年第4季度",
                          "中位数", "p90")
    assert body[5] == "<p>新建工单0个，已解决0个，违约0次。</p>"
