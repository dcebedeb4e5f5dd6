"""The Slack side in Chinese end to end (issue 16): a vendor with `locale: zh_CN` gets its breach
alert in Chinese in the fake Slack through `slawatch serve`'s real HTTP endpoints; a member's
Slack language (users.info with include_locale, learnt by the worker) chooses the language of
their `/sla` answers; a refusal speaks the vendor's language; the survey DM speaks the
reporter's Slack language."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from scheduler import get_ticker
from store.db import get_database
from store.models import SlackUser
from tests import jira_payloads as jp
from tests.fake_slack import fake_slack  # noqa: F401  (the fixture)
from tests.slack_helpers import RULES, SIGNING_SECRET, T0, at, command_body, post_jira, post_slack  # noqa: F401
from tests.test_service_cli import free_port, http, service_env, start, stop, wait_for  # noqa: F401
from tests.test_slack_interactions import BREACH, click, posted
from tests.test_surveys import SURVEY_RULES, surveys

SERVE_RULES = """\
version: 1
calendars:
  always: 24x7
vendors:
  huadong:
    name: 华东运维服务
    locale: zh_CN
    match: {projects: [HD]}
    channel: "#huadong-sla"
policies:
  - name: fast
    calendar: always
    metrics:
      first_response: 5s
alerts:
  channel: "#sla-alerts"
"""
# slack_helpers.RULES with acme's channel in Chinese (the rules themselves stay English)
ZH_VENDOR_RULES = RULES.replace('    managers: ["U024BE7LH"]\n', '    managers: ["U024BE7LH"]\n    locale: zh_CN\n', 1).replace(
    'staff: ["U0AGENT01"]', 'staff: ["U0AGENT01", "U0LI000001", "U0ANN00001"]')  # /sla answers the vendor's people
LI = "U0LI000001"  # a member whose Slack speaks zh-CN
STRANGER = "U0NOBODY01"


def test_a_chinese_vendor_gets_its_breach_alert_in_chinese(service_env, rules_path, tmp_path, fake_slack):  # noqa: F811
    rules_path.write_text(SERVE_RULES, encoding="utf-8")
    env = {**service_env, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake_slack.url,
           "SLAWATCH_TICK_SECONDS": "1", "JIRA_URL": "https://acme-it.atlassian.net"}
    port, log = free_port(), tmp_path / "serve.log"
    process = start(env, "serve", "--port", str(port), log=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: http(f"{base}/healthz")[0] == 200)
        created = datetime.now(timezone.utc).replace(microsecond=0)
        for key, summary in (("HD-7", "打印机着火"), ("OPS-8", "Printer on fire")):
            body = json.dumps(jp.created(key, created, project=key.split("-")[0], summary=summary)).encode()
            assert http(f"{base}/webhooks/jira", body, {"Content-Type": "application/json"})[0] == 200
        breach = wait_for(lambda: next(iter(fake_slack.messages("#huadong-sla")), None), seconds=20)
        english = wait_for(lambda: next(iter(fake_slack.messages("#sla-alerts")), None), seconds=20)
    finally:
        code = stop(process)
    assert code == 0, log.read_text()
    link = "<https://acme-it.atlassian.net/browse/HD-7|HD-7>"
    # 5 seconds, in Chinese: 5秒; the vendor's name as written in rules.yaml
    assert breach["text"].startswith(f":rotating_light: SLA 已违约：{link} — 首次响应：打印机着火 — 华东运维服务 — 目标5秒 — 违约于")
    assert breach["blocks"][0]["text"]["text"] == f":rotating_light: *SLA 已违约：{link}* — 首次响应\n打印机着火"
    assert [b["text"]["text"] for b in breach["blocks"][-1]["elements"]] == ["确认", "豁免…"]
    assert english["text"].startswith(":rotating_light: SLA breached: <https://acme-it.atlassian.net/browse/"
                                      "OPS-8|OPS-8> — first response: Printer on fire — target 5s — breached ")


@pytest.fixture
def zh_vendor(make_app, db_url, rules_path, fake_slack, clock):  # noqa: F811
    rules_path.write_text(ZH_VENDOR_RULES, encoding="utf-8")
    clock.now = T0
    fake_slack.add_user("li@example.com", LI, locale="zh-CN")
    fake_slack.add_user("ann@example.com", "U0ANN00001")  # Slack's default: en-US
    app = make_app(db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url,
                   SLACK_SIGNING_SECRET=SIGNING_SECRET)
    post_jira(app, jp.created("ACME-1", at(0), project="ACME", summary="VPN 故障"))
    clock.now = at(61)
    assert get_ticker(app).tick() == []
    clock.now = at(65)
    return app


def sla(app, clock, text: str, user: str) -> str:
    return post_slack(app.test_client(), "/webhooks/slack/commands", command_body(text, user_id=user),
                      clock.now).json["text"]


def test_the_vendor_channel_speaks_chinese_and_a_refusal_too(zh_vendor, clock, fake_slack):  # noqa: F811
    alert = posted(fake_slack, BREACH)
    assert alert["text"].startswith(":rotating_light: SLA 已违约：ACME-1 — 首次响应：VPN 故障 — ACME Outsourcing — 目标1小时")
    # a stranger Slack does not know: the vendor's language; nothing known of their email yet
    refusal = click(zh_vendor, clock, "ack_breach", user=STRANGER).json["text"]
    assert refusal == ("只有 ACME Outsourcing 的经理和员工、审批人及管理员（rules.yaml）可以确认此违约。未做任何更改。"
                       "如果您是按邮箱列出的，Slawatch 会在一分钟内从 Slack 获知您的邮箱：请稍后再试。")


def test_a_members_slack_language_chooses_their_sla_answers(zh_vendor, clock, fake_slack):  # noqa: F811
    assert sla(zh_vendor, clock, "help", LI).startswith("*/sla* — SLA clocks from Slawatch")  # not known yet: rules'
    assert sla(zh_vendor, clock, "ACME-1", "U0ANN00001") == (  # not known yet: the vendor's language
        "*ACME-1* VPN 故障\nTo Do · 优先级 Medium · 供应商 acme · 策略 standard\n• 首次响应：已违约5分钟\n"
        "• 解决时限：6小时55分钟后到期")  # breached at 13:00, now 13:05; resolution due 8 h after 12:00
    clock.now = at(66)
    assert get_ticker(zh_vendor).tick() == []  # the worker asks users.info, with include_locale
    asked = [c.body for c in fake_slack.calls("users.info")]
    assert {a["user"] for a in asked} == {LI, "U0ANN00001"} and all(a["include_locale"] in ("1", "true") for a in asked)
    with get_database(zh_vendor).reading() as session:
        assert (session.get(SlackUser, LI).locale, session.get(SlackUser, "U0ANN00001").locale) == ("zh-CN", "en-US")
    assert sla(zh_vendor, clock, "help", LI).startswith("*/sla* — Slawatch 的 SLA 计时\n• `/sla KEY` — 一个工单的")
    # 08:00 + 1 h target = 13:00 breach; now 13:06: breached 6 minutes ago
    assert "• 首次响应：已违约6分钟" in sla(zh_vendor, clock, "ACME-1", LI)
    assert "• first response: breached 6m ago" in sla(zh_vendor, clock, "ACME-1", "U0ANN00001")  # theirs: en-US
    assert sla(zh_vendor, clock, "breaches", LI).startswith("*1个工单存在未关闭的违约*\n• *ACME-1* VPN 故障 — 首次响应已违约6分钟")


@pytest.fixture
def survey_app(make_app, db_url, rules_path, fake_slack, clock):  # noqa: F811
    rules_path.write_text(SURVEY_RULES, encoding="utf-8")
    clock.now = T0
    fake_slack.add_user(jp.MARIA.email, "U0MARIA099", locale="zh-CN")
    return make_app(db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url,
                    SLACK_SIGNING_SECRET=SIGNING_SECRET)


def test_the_survey_dm_speaks_the_reporters_slack_language(survey_app, clock, fake_slack):  # noqa: F811
    post_jira(survey_app, jp.created("ACME-1", at(0), project="ACME", reporter=jp.MARIA))
    clock.now = at(30)
    post_jira(survey_app, jp.resolved("ACME-1", at(30), project="ACME", reporter=jp.MARIA))
    clock.now = at(31)
    assert get_ticker(survey_app).tick() == []
    dm = posted(fake_slack, "survey:ACME-1:1")
    assert dm["text"] == "您的请求 ACME-1 已解决。我们做得怎么样？（1 = 很差，5 = 很好）"
    assert [b["text"]["text"] for b in dm["blocks"] if b["type"] == "section"][1:] == [
        "*您对本次服务请求的处理是否满意？*", "*您对处理过程中与您的沟通是否满意？*"]
    token = surveys(survey_app)["ACME-1"].token
    from tests.test_surveys import click as survey_click
    assert survey_click(survey_app, clock, "survey:csat:5", token) == "谢谢！您的评分是5分（满分5分）；点击其他数字即可修改。"
