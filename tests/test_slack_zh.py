"""Golden tests of the Slack side in Chinese (issue 16): the exact zh_CN text of a breach alert
(Block Kit and fallback), a warning, a digest, a thread reply, `/sla` replies, a refusal, the
survey DM and the Jira write-back comment; and the English breach alert, pinned byte for byte.

The clock of every alert below (worked out by hand): ticket ACME-12, first response, target 30
minutes (1800 s), breached (= due) at 2026-01-05 08:30 UTC, which is Monday 16:30 in Shanghai
(CST, UTC+8) and 09:30 in Berlin (CET, UTC+1); its Unix time is 1767225600 (2026-01-01 00:00
UTC) + 4 days (345600) + 8.5 hours (30600) = 1767601800.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from connectors.slack_blocks import acknowledged_reply, alert_message, digest_message, resolved_late_reply
from connectors.slack_users import speaks
from connectors.surveys import survey_message
from processors import slack_replies
from processors.alerts import breach_comment
from processors.rules import SURVEY_QUESTIONS, parse_rules
from tests.test_slack_blocks import DUE, LINK, alert, clock

ZH = "zh_CN"
TOKEN = "1767601800"  # the date token's Unix time (module docstring)
RULES = """\
version: 1
locale: zh_CN
calendars:
  office: {timezone: Asia/Shanghai, hours: {mon-fri: ["09:00-18:00"]}}
policies:
  - name: urgent
    calendar: office
    metrics: {first_response: {target: 8h}}
"""
QUESTIONS = tuple(SURVEY_QUESTIONS.items())  # the default questions, as rules.yaml gives them


def shanghai(**changes):
    """The breach alert of a vendor whose channel speaks Chinese, on a Shanghai calendar."""
    view = changes.pop("clock", None) or clock(calendar="shanghai-office", summary="VPN 故障")
    return alert(clock=view, vendor_name="华东运维服务", timezone="Asia/Shanghai", **changes)


def test_breach_alert_in_chinese_exactly():
    text, blocks = alert_message(shanghai(), ZH)
    due = "1月5日周一 16:30 CST"  # 08:30 UTC + 8 h, Monday (周一)
    assert text == (f":rotating_light: SLA 已违约：<{LINK}|ACME-12> — 首次响应：VPN 故障 — 华东运维服务 — "
                    f"目标30分钟 — 违约于{due} <@U012MANAGER> <@U034BOSS>")
    assert blocks == [
        {"type": "section", "text": {"type": "mrkdwn", "text":
            f":rotating_light: *SLA 已违约：<{LINK}|ACME-12>* — 首次响应\nVPN 故障\n<@U012MANAGER> <@U034BOSS>"}},
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": "*优先级*\nHigh"},
            {"type": "mrkdwn", "text": "*供应商*\n华东运维服务"},
            {"type": "mrkdwn", "text": "*指标*\n首次响应"},
            {"type": "mrkdwn", "text": "*目标*\n30分钟"},
            {"type": "mrkdwn", "text": "*已用时*\n30分钟"},  # elapsed 1800 s
            {"type": "mrkdwn", "text": f"*违约时间*\n{due}（您的时间：<!date^{TOKEN}^{{date_short_pretty}} {{time}}|{due}>）"},
        ]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "依据：策略 *urgent* · 工作日历 *shanghai-office*"}]},
        {"type": "actions", "block_id": "breach:alert:ACME-12:first_response:1:breach", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "确认"}, "action_id": "ack_breach",
             "value": "alert:ACME-12:first_response:1:breach", "style": "primary"},
            {"type": "button", "text": {"type": "plain_text", "text": "豁免…"}, "action_id": "excuse_breach",
             "value": "alert:ACME-12:first_response:1:breach"}]},
    ]


def test_breach_alert_in_english_is_unchanged():
    text, blocks = alert_message(alert())  # Berlin: 09:30 CET
    assert text == (f":rotating_light: SLA breached: <{LINK}|ACME-12> — first response: VPN down for the Hamburg "
                    f"office — ACME Outsourcing — target 30m — breached Mon 5 Jan 09:30 CET <@U012MANAGER> <@U034BOSS>")
    assert blocks[0]["text"]["text"] == (f":rotating_light: *SLA breached: <{LINK}|ACME-12>* — first response\n"
                                         f"VPN down for the Hamburg office\n<@U012MANAGER> <@U034BOSS>")
    assert [f["text"] for f in blocks[1]["fields"]] == [
        "*Priority*\nHigh", "*Vendor*\nACME Outsourcing", "*Metric*\nfirst response", "*Target*\n30m",
        "*Elapsed*\n30m",
        f"*Breached*\nMon 5 Jan 09:30 CET (<!date^{TOKEN}^{{date_short_pretty}} {{time}}|Mon 5 Jan 09:30 CET> "
        "your time)"]
    assert blocks[2]["elements"][0]["text"] == "Why: Policy *urgent* · calendar *berlin-office*"
    assert [b["text"]["text"] for b in blocks[3]["elements"]] == ["Acknowledge", "Excuse…"]


def test_warning_in_chinese():
    # 80% of 30 minutes used: 24 minutes elapsed (1440 s); not breached, due at 16:30 CST
    warning = shanghai(kind="warning", level="warn-80",
                       clock=clock(calendar="shanghai-office", summary="VPN 故障", elapsed_seconds=1440,
                                   breached_at=None, paused_seconds=4320, cycle=2))
    text, blocks = alert_message(warning, ZH)
    assert text == (f":warning: SLA 预警：<{LINK}|ACME-12> — 首次响应：VPN 故障 — 华东运维服务 — 已用目标时限的80% — "
                    "目标30分钟 — 截止于1月5日周一 16:30 CST")
    assert blocks[0]["text"]["text"] == f":warning: *SLA 预警：<{LINK}|ACME-12>* — 首次响应\nVPN 故障\n_已用目标时限的80%_"
    assert blocks[1]["fields"][4]["text"] == "*已用时*\n24分钟"
    assert blocks[1]["fields"][5]["text"].startswith("*截止时间*\n1月5日周一 16:30 CST（您的时间：")
    # paused 4320 s = 1 h 12 min; the second resolution cycle
    assert blocks[2]["elements"][0]["text"] == "依据：策略 *urgent* · 工作日历 *shanghai-office* · 暂停1小时12分钟 · 第2轮"
    assert len(blocks) == 3  # no buttons on a warning


def test_escalation_and_thread_replies_in_chinese():
    escalation = shanghai(kind="escalation", level="escalation", at=DUE + timedelta(hours=2))
    _, blocks = alert_message(escalation, ZH)
    assert "_已违约2小时，尚未确认。_" in blocks[0]["text"]["text"]
    assert blocks[0]["text"]["text"].startswith(f":sos: *SLA 违约未确认：<{LINK}|ACME-12>* — 首次响应")
    # resolved 75 minutes after the breach: 08:30 + 1:15 = 09:45 UTC = 17:45 CST
    late = shanghai(kind="resolved_late", level="resolved-late",
                    clock=clock(stopped_at=DUE + timedelta(minutes=75), state="stopped"))
    assert resolved_late_reply(late, ZH)[0] == (
        f":white_check_mark: <{LINK}|ACME-12> 首次响应：违约后1小时15分钟解决（1月5日周一 17:45 CST）")
    acked = shanghai(kind="acknowledged", level="ack", clock=clock(acknowledged_by="U1", acknowledged_at=DUE))
    assert acknowledged_reply(acked, ZH)[0] == ":eyes: <@U1> 已于1月5日周一 16:30 CST确认"


def test_digest_in_chinese():
    storm = [shanghai(clock=clock(ticket=f"ACME-{n}"), link=None) for n in (1, 2)]
    storm.append(shanghai(kind="warning", level="warn-80", clock=clock(ticket="ACME-3", breached_at=None), link=None))
    text, blocks = digest_message(storm, ZH)
    assert text == "3条 SLA 告警：2条违约，1条预警 — ACME-1，ACME-2，ACME-3"
    assert blocks == [
        {"type": "section", "text": {"type": "mrkdwn", "text":
            ":rotating_light: *3条 SLA 告警：2条违约，1条预警*\n<@U012MANAGER> <@U034BOSS>"}},
        {"type": "section", "text": {"type": "mrkdwn", "text":
            "• ACME-1 首次响应 — 违约于1月5日周一 16:30 CST\n"
            "• ACME-2 首次响应 — 违约于1月5日周一 16:30 CST\n"
            "• ACME-3 首次响应 — 预警80%，截止于1月5日周一 16:30 CST"}},
    ]


def test_sla_replies_in_chinese():
    now = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)
    tickets = [{"key": "ACME-1", "summary": "VPN 故障", "clocks": [
        {"metric": "first_response", "cycle": 1, "breached": True, "state": "running",
         "breached_at": "2026-01-05T09:25:00Z"}]}]  # 35 minutes before `now`
    assert slack_replies.breaches_reply(tickets, now, locale=ZH) == (
        "*1个工单存在未关闭的违约*\n• *ACME-1* VPN 故障 — 首次响应已违约35分钟")
    assert slack_replies.breaches_reply([], now, "acme", locale=ZH) == "acme 没有未关闭的违约。:tada:"
    assert slack_replies.words(timedelta(days=3, hours=4, minutes=5), ZH) == "3天4小时"  # two units, as in English
    assert slack_replies.words(timedelta(seconds=20), ZH) == "不到1分钟"
    assert slack_replies.survey_line(1, None, 4, 5, None, ZH) == "满意度调查（第1轮）：已回答 — 满意度4/5，沟通满意度5/5"
    assert slack_replies.help_text(ZH).splitlines()[0] == "*/sla* — Slawatch 的 SLA 计时"
    entry = slack_replies.ExcuseEntry("resolution", 2, "excuse", "U1", now, "客户停电")
    assert slack_replies.audit_line(entry, ZH) == "  – 2026年1月5日 10:00:00 UTC <@U1> 豁免了解决时限第2轮：客户停电"


def test_survey_dm_in_chinese():
    text, blocks = survey_message("ACME-7", "tok", QUESTIONS, "https://sla.example.com",
                                  {"csat": 4, "communication": None}, locale=ZH)
    assert text == "您的请求 ACME-7 已解决。我们做得怎么样？（1 = 很差，5 = 很好）"
    shown = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert shown == [text, "*您对本次服务请求的处理是否满意？*", "*您对处理过程中与您的沟通是否满意？*"]  # the default ones
    notes = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert notes == ["谢谢！您的答案已保存；点击其他数字即可修改。",
                     "满意度调查结束前，您可以修改答案：<https://sla.example.com/survey/tok|网页表单>"]
    english, _ = survey_message("ACME-7", "tok", QUESTIONS, None)
    assert english == "Your request ACME-7 was resolved. How did we do? (1 = poor, 5 = excellent)"


def test_jira_write_back_comment_in_chinese():
    rules = parse_rules(RULES)
    view = clock(calendar="office", policy="urgent", target_seconds=8 * 3600)  # 8 hours of office time
    # the breach at 08:30 UTC, shown in UTC like the English comment (Babel's short zh_CN form)
    assert breach_comment(view, rules, DUE, ZH) == (
        "SLA 已违约：首次响应（目标8小时工作时间，策略 urgent），违约时间 2026/1/5 08:30 UTC。— Slawatch")
    assert breach_comment(view, rules, DUE) == (
        "SLA breached: first response (target 8h business time, policy urgent) at 2026-01-05 08:30 UTC. — Slawatch")


def test_slack_locales_slawatch_speaks():
    assert [speaks(x) for x in ("zh-CN", "zh-TW", "zh", "en-US", "en-GB", "fr-FR", "", None)] == [
        "zh_CN", "zh_CN", "zh_CN", "en", "en", None, None, None]


def test_the_readmes_alert_picture_draws_the_real_message():
    """docs/screenshots/alert_preview.py draws exactly what alert_message sends (README picture)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "alert_preview.py"
    spec = importlib.util.spec_from_file_location("alert_preview", path)
    preview = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(preview)
    text, blocks = preview.example("zh_CN")
    assert text.startswith(":rotating_light: SLA 已违约：<https://acme-it.atlassian.net/browse/ACME-12|ACME-12>")
    page = preview.page(blocks, "zh_CN")
    for shown in ('<b>SLA 已违约：<a href="https://acme-it.atlassian.net/browse/ACME-12">ACME-12</a></b>',
                  "<b>供应商</b><br>华东运维服务", "<b>目标</b><br>30分钟", '<span class="mention">@王经理</span>',
                  "1月5日周一 16:30 CST（您的时间：1月5日周一 16:30 CST）", ">确认</span>", ">豁免…</span>"):
        assert shown in page
