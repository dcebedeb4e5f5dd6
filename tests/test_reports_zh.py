"""The reports in Chinese (issue 16): the weekly summary and the quarterly scorecard as text,
HTML, CSV and Block Kit in zh_CN, compared to texts written out by hand below; the language
chosen by `vendors.<id>.locale`, `locale:` and `slawatch report --locale`; a vendor's report
in Chinese reaching the fake Slack through the real scheduler job.

The history (periods in Asia/Shanghai, UTC+8; week 2026-W47 is Mon 16 Nov .. Sun 22 Nov 2026,
i.e. 15 Nov 16:00Z .. 22 Nov 16:00Z; 2026-Q4 is 1 Oct .. 31 Dec), one vendor 华东运维服务:
- HD-9 (Q3): first response met (20m of 1h); resolution breached (8h20m of 8h).
- HD-0 (W46): first response met (10m of 1h). No resolution clock.
- HD-1 (W47): first response met (30m of 1h); resolution breached, 10h of 8h: 2h over.
- HD-2 (W47): first response breached, 1h30m of 1h: 30m over; resolution met (4h of 8h).
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import pytest

from connectors.slack import WebApiSender
from connectors.slack_reports import weekly_message
from processors import report_csv, report_html
from processors import report_render as render
from processors.periods import quarter_of, week_of
from processors.reports import ClockRecord, History, TicketRecord, quarterly_scorecards, weekly_summary
from scheduler.dispatch import Dispatcher
from store.db import Database
from tests.fake_slack import fake_slack  # noqa: F401  (the fixture)
from tests.test_report_cli import REPORTS, env, run  # noqa: F401  (env: the fixture)
from tests.conftest import RULES_YAML

UTC = timezone.utc
FR, RES = "first_response", "resolution"
NAMES = {"huadong": "华东运维服务"}
TARGETS = {FR: 0.85, RES: 0.95, "csat": 0.90, "communication": 0.80}
JIRA = "https://jira.example.com"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def clock(key: str, metric: str, target: int, elapsed: int, stopped: str, breached: str | None,
          summary: str) -> ClockRecord:
    return ClockRecord(key, metric, 1, "huadong", target, elapsed, at(stopped), breached and at(breached), summary)


HISTORY = History(
    clocks=(clock("HD-9", FR, 3600, 1200, "2026-09-10 01:20", None, "邮件退信"),
            clock("HD-9", RES, 28800, 30000, "2026-09-10 10:00", "2026-09-10 09:00", "邮件退信"),
            clock("HD-0", FR, 3600, 600, "2026-11-10 02:10", None, "新员工入职"),
            clock("HD-1", FR, 3600, 1800, "2026-11-16 01:30", None, "打印机故障"),
            clock("HD-1", RES, 28800, 36000, "2026-11-17 12:00", "2026-11-17 10:00", "打印机故障"),
            clock("HD-2", FR, 3600, 5400, "2026-11-18 03:00", "2026-11-18 02:30", "VPN 无法连接"),
            clock("HD-2", RES, 28800, 14400, "2026-11-18 08:00", None, "VPN 无法连接")),
    tickets=tuple(TicketRecord(key, "huadong", at(created)) for key, created in (
        ("HD-9", "2026-09-10 01:00"), ("HD-0", "2026-11-10 02:00"), ("HD-1", "2026-11-16 01:00"),
        ("HD-2", "2026-11-18 01:30"))))
W47 = week_of(date(2026, 11, 18), "Asia/Shanghai")
Q4 = quarter_of(date(2026, 11, 18), "Asia/Shanghai")

# W47: first response 1 of 2 met (HD-1 yes, HD-2 no) = 50.0%, last week (W46: HD-0) 100.0%, so
# -50.0 points; elapsed 30m, 1h30m: median (rank 1 of 2) 30m, p90 (rank 2) 1h30m. Resolution
# 1 of 2 (HD-2) = 50.0%, nothing last week; elapsed 4h, 10h. Opened HD-1, HD-2; resolved both
# (resolution clocks stopped in W47); no breach open at the week's end. Worst: HD-1 2h over,
# then HD-2 30m over. The section of the one vendor repeats the figures of all vendors.
SECTION = """\
新建工单2个，已解决2个，本周结束时仍未解决的违约0个
首次响应：50.0%（2个中1个达标），低于目标85%，较上周（100.0%）变化-50.0个百分点；中位数30分钟，p90 1小时30分钟
解决时限：50.0%（2个中1个达标），低于目标95%，较上周（无）变化无；中位数4小时，p90 10小时
最严重的违约：
  1. 工单 HD-1 解决时限：超时2小时（已用时10小时，目标8小时），华东运维服务 https://jira.example.com/browse/HD-1 “打印机故障”
  2. 工单 HD-2 首次响应：超时30分钟（已用时1小时30分钟，目标1小时），华东运维服务 https://jira.example.com/browse/HD-2 “VPN 无法连接”
"""
WEEKLY_TEXT = f"""\
服务水平周报 2026年第47周（2026年11月16日星期一至2026年11月22日星期日，Asia/Shanghai）
目标：首次响应目标85%，解决时限目标95%；中位数和 p90 为所统计时钟已用工作时间的最近秩百分位数。

== 全部供应商
{SECTION}
== 华东运维服务
{SECTION}"""


def test_weekly_text_in_chinese():
    summary = weekly_summary(HISTORY, W47, NAMES, TARGETS, jira_url=JIRA)
    assert render.weekly_text(summary, "zh_CN") == WEEKLY_TEXT


def test_weekly_text_in_english_keeps_its_words():
    text = render.weekly_text(weekly_summary(HISTORY, W47, NAMES, TARGETS, jira_url=JIRA), "en")
    assert text.startswith("Weekly SLA summary 2026-W47 (Mon 2026-11-16 to Sun 2026-11-22, Asia/Shanghai)\n"
                           "Targets: first response 85%, resolution 95%; median and p90 are nearest-rank")
    assert ("== All vendors\nopened 2, resolved 2, open breaches at the end of the week 0\n"
            "first response: 50.0% (1 of 2 met), below the 85% target, -50.0 pp from last week (100.0%); "
            "median 30m, p90 1h30m\n"
            "resolution: 50.0% (1 of 2 met), below the 95% target, n/a from last week (n/a); median 4h, p90 10h\n"
            "worst breaches:\n  1. HD-1 resolution: 2h over (elapsed 10h, target 8h), 华东运维服务 "
            "https://jira.example.com/browse/HD-1 \"打印机故障\"") in text


ROWS = (  # per section (all vendors, then 华东运维服务): the figures of WEEKLY_TEXT
    "<tr><td>{name}</td><td>首次响应</td><td class=\"below\">50.0%</td><td>1/2</td><td>85%</td>"
    "<td>-50.0个百分点</td><td>30分钟</td><td>1小时30分钟</td><td>2</td><td>2</td><td>0</td></tr>\n"
    "<tr><td>{name}</td><td>解决时限</td><td class=\"below\">50.0%</td><td>1/2</td><td>95%</td>"
    "<td>无</td><td>4小时</td><td>10小时</td><td>2</td><td>2</td><td>0</td></tr>")


def test_weekly_html_in_chinese():
    page = report_html.weekly_html(weekly_summary(HISTORY, W47, NAMES, TARGETS, jira_url=JIRA), None, "zh_CN")
    assert page == (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>服务水平周报 2026年第47周</title>'
        f"<style>{report_html.STYLE}</style></head>\n<body>\n"
        "<h1>服务水平周报 2026年第47周</h1>\n"
        "<p>2026年第47周（2026年11月16日星期一至2026年11月22日星期日，Asia/Shanghai）。"
        "目标：首次响应目标85%，解决时限目标95%。</p>\n"
        "<table><tr><th>供应商</th><th>指标</th><th>达标率</th><th>达标</th><th>目标</th><th>较上周</th>"
        "<th>中位数</th><th>p90</th><th>新建工单</th><th>已解决</th><th>未解决违约</th></tr>\n"
        + ROWS.format(name="全部供应商") + "\n" + ROWS.format(name="华东运维服务") + "</table>\n"
        '<p class="note">中位数和 p90 为所统计时钟已用工作时间的最近秩百分位数；变化以百分点计。</p>\n'
        "<h2>最严重的违约</h2>\n"
        "<table><tr><th>工单</th><th>指标</th><th>超时</th><th>目标</th><th>供应商</th><th>摘要</th></tr>\n"
        '<tr><td><a href="https://jira.example.com/browse/HD-1">HD-1</a></td><td>解决时限</td><td>2小时</td>'
        "<td>8小时</td><td>华东运维服务</td><td>打印机故障</td></tr>\n"
        '<tr><td><a href="https://jira.example.com/browse/HD-2">HD-2</a></td><td>首次响应</td><td>30分钟</td>'
        "<td>1小时</td><td>华东运维服务</td><td>VPN 无法连接</td></tr></table>\n"
        "</body></html>\n")


# Q4: first response HD-0, HD-1 met, HD-2 not: 2 of 3 = 66.7% (all in November), Q3 (HD-9) 100.0%:
# -33.3 points; elapsed 10m, 30m, 1h30m: median (rank 2) 30m, p90 (rank 3) 1h30m. Resolution
# HD-2 met, HD-1 not: 1 of 2 = 50.0%, Q3 0 of 1 = 0.0%: +50.0 points. Opened HD-0, HD-1, HD-2;
# resolved HD-1, HD-2; breaches: HD-2's first response, HD-1's resolution.
QUARTERLY_TEXT = """\
供应商季度考核表 2026年第4季度（2026年10月1日星期四至2026年12月31日星期四，Asia/Shanghai）
目标：首次响应目标85%，解决时限目标95%；中位数和 p90 为所统计时钟已用工作时间的最近秩百分位数。

== 华东运维服务 (huadong)
新建工单3个，已解决2个，违约2次
首次响应：66.7%（3个中2个达标），低于目标85%，较2026年第3季度（100.0%）变化-33.3个百分点；中位数30分钟，p90 1小时30分钟
  按月：2026年10月 无（0/0），2026年11月 66.7%（2/3），2026年12月 无（0/0）
解决时限：50.0%（2个中1个达标），低于目标95%，较2026年第3季度（0.0%）变化+50.0个百分点；中位数4小时，p90 10小时
  按月：2026年10月 无（0/0），2026年11月 50.0%（1/2），2026年12月 无（0/0）
"""


def test_quarterly_scorecard_text_in_chinese():
    assert render.quarterly_text(quarterly_scorecards(HISTORY, Q4, NAMES, TARGETS), "zh_CN") == QUARTERLY_TEXT


def test_weekly_block_kit_in_chinese():
    """The summary of the one vendor (its channel's message), as the Block Kit JSON Slack gets."""
    text, blocks = weekly_message(weekly_summary(HISTORY, W47, NAMES, TARGETS, JIRA, vendor="huadong"), "zh_CN")
    assert text == ("服务水平周报 2026年第47周（华东运维服务）：首次响应 50.0%（目标85%，未达标），"
                    "解决时限 50.0%（目标95%，未达标）；未解决违约：0")
    assert blocks == [
        {"type": "header", "text": {"type": "plain_text", "text": "服务水平周报 · 2026年第47周", "emoji": True}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            "2026年第47周（2026年11月16日星期一至2026年11月22日星期日，Asia/Shanghai）")}]},
        {"type": "section", "text": {"type": "mrkdwn", "text": (
            "*华东运维服务* · 新建工单2 · 已解决2 · 未解决违约0\n"
            "❌ *首次响应* 50.0%（1/2，目标85%） · 较上周 -50.0个百分点 · 中位数30分钟，p90 1小时30分钟\n"
            "❌ *解决时限* 50.0%（1/2，目标95%） · 较上周 无 · 中位数4小时，p90 10小时")}},
        {"type": "divider"},
        {"type": "section", "text": {"type": "mrkdwn", "text": (
            "*最严重的违约*\n"
            "1. 工单 <https://jira.example.com/browse/HD-1|HD-1> 解决时限 · 超时2小时（目标8小时） · 华东运维服务"
            " — 打印机故障\n"
            "2. 工单 <https://jira.example.com/browse/HD-2|HD-2> 首次响应 · 超时30分钟（目标1小时） · 华东运维服务"
            " — VPN 无法连接")}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            "中位数和 p90：已用工作时间的最近秩百分位数。图表：近12周每周达标率。")}]},
    ]


def _csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # the BOM: Excel on Chinese Windows reads UTF-8, not GBK
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_has_a_bom_and_headers_in_the_readers_language():
    summary = weekly_summary(HISTORY, W47, NAMES, TARGETS)
    chinese, english = _csv(report_csv.weekly_csv(summary, "zh_CN")), _csv(report_csv.weekly_csv(summary, "en"))
    assert chinese[0] == ["周", "供应商", "供应商名称", "指标", "目标（%）", "统计数", "达标数", "豁免数", "达标率（%）",
                          "评定", "变化（百分点）", "中位数（秒）", "p90（秒）", "新建工单", "已解决", "未解决违约",
                          "规则版本"]
    assert english[0] == report_csv.WEEKLY_HEADER
    # the cells stay machine values (ISO week, metric ids, above/below); names as the reader reads them
    assert chinese[1] == ["2026-W47", "(all)", "全部供应商", FR, "85.00", "2", "1", "0", "50.00", "below",
                          "-50.00", "1800", "5400", "2", "2", "0", ""]
    assert english[1][:3] == ["2026-W47", "(all)", "All vendors"] and chinese[1][3:] == english[1][3:]
    cards = quarterly_scorecards(HISTORY, Q4, NAMES, TARGETS)
    quarterly = _csv(report_csv.quarterly_csv(cards, "zh_CN"))
    assert quarterly[0][:6] == ["季度", "供应商", "供应商名称", "指标", "期间", "目标（%）"]
    assert quarterly[0][14] == "违约" and len(quarterly[0]) == len(report_csv.QUARTERLY_HEADER)
    assert ["2026-Q4", "huadong", "华东运维服务", FR, "2026-Q4"] in [row[:5] for row in quarterly]


# ---- choosing the language: rules, vendors, --locale, the scheduled job ---------------------

def _rules(env: dict[str, str], tmp_path, extra: str = "", acme: str = "") -> dict[str, str]:
    rules = tmp_path / "zh.yaml"
    rules.write_text(extra + (RULES_YAML + REPORTS).replace("    name: ACME Outsourcing\n",
                                                            "    name: ACME Outsourcing\n" + acme),
                     encoding="utf-8")
    return {**env, "SLAWATCH_RULES": str(rules)}


def test_report_locale_option_and_rules_locale(env, tmp_path):
    chinese = run(env, "weekly", "--end", "2026-01-11", "--locale", "zh-CN")
    assert chinese.exit_code == 0, chinese.stderr
    assert chinese.stdout.startswith("服务水平周报 2026年第2周（2026年1月5日星期一至2026年1月11日星期日，UTC）\n")
    assert "== 全部供应商\n" in chinese.stdout
    by_rules = run(_rules(env, tmp_path, "locale: zh_CN\n"), "weekly", "--end", "2026-01-11")
    assert by_rules.stdout == chinese.stdout
    english = run(_rules(env, tmp_path, "locale: zh_CN\n"), "weekly", "--end", "2026-01-11", "--locale", "en")
    assert english.stdout.startswith("Weekly SLA summary 2026-W02 ")
    bad = run(env, "weekly", "--locale", "fr")
    assert bad.exit_code == 1 and "--locale: Slawatch has no translation for locale 'fr'" in bad.stderr


def test_a_vendors_locale_speaks_for_its_report(env, tmp_path):
    zh_acme = _rules(env, tmp_path, acme="    locale: zh_CN\n")
    acme = run(zh_acme, "quarterly", "--end", "2026-03-31", "--vendor", "acme")
    assert acme.stdout.startswith("供应商季度考核表 2026年第1季度（")
    assert "== ACME Outsourcing (acme)\n新建工单7个，已解决6个，违约5次\n" in acme.stdout  # as test_reports.py
    assert run(zh_acme, "quarterly", "--end", "2026-03-31").stdout.startswith("Quarterly provider scorecards ")
    html = run(zh_acme, "quarterly", "--end", "2026-03-31", "--vendor", "acme", "--format", "html").stdout
    assert '<html lang="zh-CN">' in html and "<th>指标</th>" in html


def test_scheduled_reports_reach_a_chinese_vendor_in_chinese(env, db_url, tmp_path, fake_slack):
    """ACME reads Chinese (`vendors.acme.locale: zh_CN`), the managers English: the scheduled
    weekly job sends ACME's own summary in Chinese to #acme-sla and everyone's in English to
    #sla-weekly; ACME's scorecard (`post_report`, as `report quarterly --post --vendor acme`)
    reaches #sla-quarterly in Chinese. Real jobs, real outbox, real dispatcher, fake Slack."""
    from scheduler.reports_job import post_report, run_weekly
    from store import outbox
    from store.rulebook import read_rules

    paths = _rules(env, tmp_path, acme='    channel: "#acme-sla"\n    locale: zh_CN\n')
    rules = read_rules(paths["SLAWATCH_RULES"])
    database = Database(db_url)
    try:
        run_weekly(database, rules, at("2026-01-12 09:00"), outbox.enqueue, JIRA)
        post_report(database, rules, "quarterly", quarter_of(date(2026, 1, 11), "UTC"), at("2026-04-06 09:00"),
                    JIRA, "acme", enqueue=outbox.enqueue)
        sent = Dispatcher(database, WebApiSender("xoxb-test", base_url=fake_slack.url), "w").run(
            at("2026-04-06 09:00"))
    finally:
        database.dispose()
    assert sent.failed == 0, sent.errors
    (own,) = fake_slack.messages("#acme-sla")
    # ACME's W02 (tests/test_reports.py): first response 3 of 4, resolution 2 of 4, ACME-3 open
    assert own["text"] == ("服务水平周报 2026年第2周（ACME Outsourcing）：首次响应 75.0%（目标85%，未达标），"
                           "解决时限 50.0%（目标95%，未达标）；未解决违约：1")
    assert own["blocks"][0]["text"]["text"] == "服务水平周报 · 2026年第2周"
    # the weekly chart goes up in each report's thread, titled in that report's language
    titles = sorted(f["title"] for f in fake_slack.files.values() if f.get("title"))
    assert titles == ["SLA attainment per week to 2026-W02", "截至2026年第2周的每周服务水平达标率"]
    (everyone,) = fake_slack.messages("#sla-weekly")
    assert everyone["text"].startswith("Weekly SLA summary 2026-W02 for All vendors: first response 57.1%")
    (card,) = fake_slack.messages("#sla-quarterly")
    assert card["text"].startswith("供应商季度考核表 2026年第1季度：ACME Outsourcing：首次响应 71.4%（目标85%，未达标）")
    assert card["blocks"][0]["text"]["text"] == "供应商季度考核表 · 2026年第1季度"
    # posting froze W02 (store/freeze.py): the printed report says so, in its language
    printed = run(paths, "weekly", "--end", "2026-01-11", "--locale", "zh_CN").stdout
    assert printed.endswith("\n\n已于2026-01-12 09:00（UTC）发布并冻结；发布后有0项迟到变更。\n")


@pytest.mark.parametrize("kind", ["weekly", "quarterly"])
def test_the_csv_file_opens_in_excel(env, tmp_path, kind):
    """`--format csv --out`: UTF-8 with a BOM on disk, the header in the report's language."""
    out = tmp_path / f"{kind}.csv"
    result = run(env, kind, "--end", "2026-01-11", "--format", "csv", "--out", str(out), "--locale", "zh_CN")
    assert result.exit_code == 0, result.stderr
    data = out.read_bytes()
    assert data.startswith("\ufeff".encode("utf-8") + ("周," if kind == "weekly" else "季度,").encode("utf-8"))


def test_backtest_in_chinese():
    """`processors.backtest.render` in zh_CN: HD-1's first response (1h15m) met its 1h target under
    the rules in force and breaches a proposed 15m target by 1h. Columns are counted in terminal
    cells (a Chinese character takes two): vendor 24, metric 15, the two sides 22, the change as
    wide as its widest cell ("-50.0个百分点": 5 + 4 × 2 = 13)."""
    from processors.backtest import ALL, Change, Comparison, render as backtest_render
    from processors.periods import Period
    from processors.reports import MetricStats

    window = Period("month", "2026-11", at("2026-11-01 00:00"), at("2026-12-01 00:00"), "UTC")
    met = ClockRecord("HD-1", FR, 1, "huadong", 3600, 4500, at("2026-11-16 01:15"), None)
    breached = ClockRecord("HD-1", FR, 1, "huadong", 900, 4500, at("2026-11-16 01:15"), at("2026-11-16 00:15"))
    before, after = MetricStats(FR, 0.85, 2, 2, 0, 600, 4500), MetricStats(FR, 0.85, 2, 1, 0, 600, 4500)
    comparison = Comparison(window, None, 2, {("huadong", FR): before, (ALL, FR): before},
                            {("huadong", FR): after, (ALL, FR): after}, (Change("HD-1", FR, 1, met, breached),))
    sides = " " * 10 + "100.0% (2/2)" + " " * 12 + "50.0% (1/2) -50.0个百分点"  # a space between columns
    assert backtest_render(comparison, NAMES, None, locale="zh_CN").splitlines() == [
        "回测 2026-11-01 至 2026-12-01（不含结束日），工单2个",
        "",
        "供应商" + " " * 18 + " 指标" + " " * 11 + " " + " " * 14 + "现行规则 " + " " * 14 + "拟议规则 " + " " * 9 + "变化",
        "华东运维服务" + " " * 12 + " first_response  " + sides,
        "全部供应商" + " " * 14 + " first_response  " + sides,
        "",
        "新增违约：1，减少违约：0，评判结果改变的工单：1",
        "  HD-1 first_response #1: 达标 -> 已违约（超时1小时）",
    ]


def test_survey_lines_in_both_languages():
    """One survey answered in W47: satisfied (1 of 1 = 100%, target 90%), communication not good
    (0 of 1 = 0%, target 80%)."""
    from processors.reports import SurveyRecord

    answered = History(HISTORY.clocks, HISTORY.tickets,
                       (SurveyRecord("HD-1", "huadong", at("2026-11-17 13:00"), True, False),))
    summary = weekly_summary(answered, W47, NAMES, TARGETS)
    chinese, english = render.weekly_text(summary, "zh_CN"), render.weekly_text(summary, "en")
    assert ("满意度：100.0%（1份答复中1份满意），达到目标90%\n"
            "沟通满意度：0.0%（1份答复中0份满意），低于目标80%\n") in chinese
    assert ("satisfaction: 100.0% (1 of 1 answers), above the 90% target\n"
            "communication: 0.0% (0 of 1 answers), below the 80% target\n") in english


def test_a_repairs_correction_in_chinese():
    """`slawatch repair` posts its correction in the report's thread, in the rules' language:
    ACME's first response 2 of 4 (50.0%) before, 3 of 4 (75.0%) after; resolution unchanged."""
    from processors.evidence import parse_period
    from processors.freeze import correction_text

    before = [{"vendor": "acme", "metrics": {"first_response": [4, 2, 0], "resolution": [4, 4, 0]}}]
    after = [{"vendor": "acme", "metrics": {"first_response": [4, 3, 0], "resolution": [4, 4, 0]}}]
    week = parse_period("2026-W02", "UTC")
    names = {"acme": "ACME Outsourcing"}
    assert correction_text(week, None, before, after, "U024BE7LH", "电话答复，登记较晚", names, "zh_CN") == (
        "更正2026年第2周：由 U024BE7LH 重新评定。原因：电话答复，登记较晚\n"
        "• ACME Outsourcing，首次响应：50.0% (2/4) → 75.0% (3/4)")
    assert correction_text(week, "acme", before, before, "U1", "复核", names, "zh_CN") == (
        "更正2026年第2周（ACME Outsourcing）：由 U1 重新评定。原因：复核\n数据没有变化。")
