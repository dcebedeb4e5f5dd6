"""The dashboard in Chinese (issue 16): the page's locale from `?lang=`, Accept-Language, else the
rules' `locale:` (web/i18n.py); headings, labels, dates, durations and period labels in it; and
`slawatch demo --locale zh_CN`, the demo told by a Chinese cast. The English pages stay as
test_dashboard.py and the others pin them; the expected Chinese below is written by hand from the
catalog (processors/translations/zh_CN) and the glossary of docs/i18n.md."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from flask import render_template_string
from sqlalchemy import text

from cli import cli
from store.db import get_database
from store.rulebook import get_rulebook
from tests.conftest import Clock
from web import demo

# Tuesday 2026-11-24 13:00 in Shanghai (the demo rules' zone): ISO week 48, the fourth quarter.
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=timezone.utc)
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}
VENDORS_ZH = ("华东运维服务", "智远应用服务", "恒信运维服务")


def _demo_app(make_app, db_url, locale: str, tickets: int = 120):
    app = make_app(db_url, SLAWATCH_RULES=str(demo.rules_path(locale)), SLAWATCH_CLOCK=Clock(NOW))
    demo.fill(get_database(app), get_rulebook(app).rules, NOW, tickets=tickets, seed=3, locale=locale)
    return app


@pytest.fixture
def en_demo(make_app, db_url):
    """The English demo (rules without `locale:`): Chinese only when the browser or ?lang asks."""
    return _demo_app(make_app, db_url, "en")


@pytest.fixture
def zh_demo(make_app, db_url):
    return _demo_app(make_app, db_url, "zh_CN")


def _body(response) -> str:
    return response.get_data(as_text=True)


def _scalars(app, sql: str) -> list:
    with get_database(app).engine.connect() as connection:
        return list(connection.execute(text(sql)).scalars())


def test_a_chinese_browser_gets_the_overview_in_chinese(en_demo):
    body = _body(en_demo.test_client().get("/", headers=ZH))
    assert '<html lang="zh-CN">' in body and "<title>服务水平 · Slawatch</title>" in body
    for heading in ("<h1>服务水平</h1>", "<h2>供应商</h2>", "<h2>即将违约</h2>", "<h2>未关闭的违约</h2>"):
        assert heading in body
    # NOW is 13:00 on 2026-11-24 in Shanghai: week 48, quarter 4, CLDR's short Chinese date-time
    assert ('<p class="lead">本周为<strong>2026年第48周</strong>，本季度为<strong>2026年第4季度</strong>'
            "（截至2026/11/24 13:00）。") in body
    assert '<nav aria-label="主导航">' in body and ">总览</a>" in body and ">规则</a>" in body
    assert '<th scope="col">指标</th><th scope="col">周</th><th scope="col">季度</th><th scope="col">目标</th>' in body
    assert "<p>时间均为 Asia/Shanghai 时区。Slawatch 存储的只读视图。</p>" in body
    assert "Service levels" not in body and "About to breach" not in body


def test_lang_en_switches_back_and_is_remembered(en_demo):
    client = en_demo.test_client()
    assert "<h1>服务水平</h1>" in _body(client.get("/", headers=ZH))
    body = _body(client.get("/?lang=en", headers=ZH))
    assert '<html lang="en">' in body and "<h1>Service levels</h1>" in body and "服务水平" not in body
    assert "<h1>Service levels</h1>" in _body(client.get("/", headers=ZH))  # the choice is kept (cookie)
    assert "<h1>服务水平</h1>" in _body(client.get("/?lang=zh_CN", headers=EN))


def test_the_language_switch_is_at_every_pages_foot(en_demo):
    body = _body(en_demo.test_client().get("/vendors/acme", headers=EN))
    assert ('<p class="languages" id="languages"><a href="/vendors/acme?lang=en" lang="en" aria-current="true">'
            'English</a> | <a href="/vendors/acme?lang=zh_CN" lang="zh-CN">中文</a></p>') in body


def test_the_404_page_in_chinese(en_demo):
    client = en_demo.test_client()
    response = client.get("/tickets/NOPE-1", headers=ZH)
    assert response.status_code == 404
    body = _body(response)
    assert "<h1>未找到</h1>" in body and "<p>本存储中没有工单 NOPE-1。</p>" in body and ">返回总览</a>" in body
    response = client.get("/vendors/nobody", headers=ZH)
    assert response.status_code == 404 and "<p>本存储中没有供应商 nobody。</p>" in _body(response)
    english = client.get("/tickets/NOPE-1", headers=EN)
    assert english.status_code == 404 and "<p>There is no ticket NOPE-1 in this store.</p>" in _body(english)


def test_vendor_page_in_chinese(en_demo):
    body = _body(en_demo.test_client().get("/vendors/globex", headers=ZH))
    # the 12 weeks ending with week 48 start with week 37
    assert "<title id=\"chart-title\">Globex Services：每周达标率，2026年第37周至2026年第48周</title>" in body
    assert ">首次响应（虚线：目标）</text>" in body and ">第48周</text>" in body and ">W48</text>" not in body
    assert "<h2>每周达标率</h2>" in body and "<h2>季度考核：2026年第4季度</h2>" in body
    assert "<h2>本季度最严重的违约</h2>" in body and '<th scope="row">2026年第37周</th>' in body
    # the machine labels stay in the attributes: 12 weeks x 4 metrics (globex's hand-off policy
    # measures next_response and periodic_update besides the two ticket metrics)
    assert body.count('data-period="2026-W') == 48
    assert ">下次响应（虚线：目标）</text>" in body and ">定期更新（虚线：目标）</text>" in body
    assert '2026年第4季度：<a href="/exports/clocks.csv?period=2026-Q4&amp;vendor=globex" download>CSV</a>' in body


def test_ticket_page_in_chinese(zh_demo):
    key = _scalars(zh_demo, "SELECT ticket FROM clocks WHERE metric = 'resolution' AND state = 'stopped' "
                            "AND ticket LIKE 'OPS-%' ORDER BY ticket")[0]
    with get_database(zh_demo).engine.connect() as connection:
        summary, reporter = connection.execute(text("SELECT summary, reporter FROM tickets WHERE key = :key"),
                                               {"key": key}).one()
    body = _body(zh_demo.test_client().get(f"/tickets/{key}"))  # no header: the rules' locale, zh_CN
    assert f"<h1>{key}：{summary}</h1>" in body and f"<dt>提单人</dt><dd>{reporter}</dd>" in body
    for heading in ("<h2>计时</h2>", "<h2>时间线</h2>", "<dt>开始时间</dt>", "<dt>截止时间</dt>", "<dt>已用时</dt>"):
        assert heading in body
    assert '<span class="kind">创建</span>' in body and "策略 <strong>operations-24x7</strong>（第一个匹配的策略）" in body
    assert re.search(r"<dt>已用时</dt><dd>(\d+小时)?\d+分钟，目标12小时（工作时间）</dd>", body)
    # the clock bars (web/svg_timeline.py): the resolution clock's stop mark and the bar's title
    assert 'text-anchor="middle">解决</text>' in body
    assert re.search(r"<title>[^<]*：解决时限，第1轮</title>", body)


def test_backtest_refusal_in_chinese(en_demo):
    response = en_demo.test_client().post("/rules/backtest", headers=ZH, data={
        "rules": demo.RULES_PATH.read_text(), "from": "2026-11-01", "to": "tomorrow"})
    assert response.status_code == 400
    body = _body(response)
    assert '<h2 id="h-errors">请检查表单</h2>' in body and "to：请填写日期，格式为 YYYY-MM-DD（UTC）" in body
    assert "<p>未运行回测；请修改下面的表单后重试。</p>" in body


@pytest.mark.parametrize("locale, expected", [
    # 100000 s = 1 day 3 h 46 min 40 s (the seconds are dropped); business time has no days: 27 h 46 min
    ("en", "1d 3h 46m | 27h 46m | −45m | 2026-11-20 14:05 | 85.7% | 87.5% 85% | 2026-W07 2026-Q4 2026-11"),
    ("zh_CN", "1天3小时46分钟 | 27小时46分钟 | −45分钟 | 2026/11/20 14:05 | 85.7% | 87.5% 85% | "
              "2026年第7周 2026年第4季度 2026年11月"),
])
def test_figures_in_the_pages_locale(en_demo, locale, expected):
    template = ("{{ 100000|duration }} | {{ 100000|duration(days=false) }} | {{ -2700|duration }} | {{ at|when }} | "
                "{{ 0.857|pct }} | {{ 0.875|target }} {{ 0.85|target }} | "
                "{{ '2026-W07'|period_name }} {{ '2026-Q4'|period_name }} {{ '2026-11'|period_name }}")
    at = datetime(2026, 11, 20, 6, 5, tzinfo=timezone.utc)  # 14:05 in Shanghai
    with en_demo.test_request_context(f"/?lang={locale}"):
        en_demo.preprocess_request()
        assert render_template_string(template, at=at) == expected


def test_demo_in_chinese_shows_chinese_vendors_and_tickets(zh_demo):
    assert get_rulebook(zh_demo).rules.locale == "zh_CN"
    body = _body(zh_demo.test_client().get("/"))  # no Accept-Language: the rules' locale
    assert '<html lang="zh-CN">' in body and "<h1>服务水平</h1>" in body
    for name in VENDORS_ZH:
        assert f'">{name}</a></li>' in body and f'">{name}</a></h3>' in body  # the menu and the card
    reporters = set(_scalars(zh_demo, "SELECT DISTINCT reporter FROM tickets"))
    assert reporters and reporters <= {user.display_name for user in demo.CUSTOMERS_ZH}
    summaries = _scalars(zh_demo, "SELECT summary FROM tickets")
    assert all(re.search(r"[\u4e00-\u9fff]", summary) for summary in summaries)
    assert set(_scalars(zh_demo, "SELECT DISTINCT vendor FROM tickets")) == {"acme", "globex", "initech"}
    handed = _scalars(zh_demo, "SELECT count(*) FROM clocks WHERE handoff_at IS NOT NULL AND vendor = 'globex'")
    assert handed[0] > 0  # 智远应用服务 is measured by hand-off, its staff named in Chinese
    excuses = set(_scalars(zh_demo, "SELECT reason FROM excused_breaches"))
    assert excuses and excuses <= set(demo.CAST_ZH.excuses)


def test_the_english_demo_is_the_same_story_as_before(en_demo):
    """The Chinese cast did not change the English one: the same seed gives the same people."""
    reporters = set(_scalars(en_demo, "SELECT DISTINCT reporter FROM tickets"))
    assert reporters <= {user.display_name for user in demo.CUSTOMERS} and "Aiko Tanaka" in reporters
    assert "OPS-3" in _scalars(en_demo, "SELECT key FROM tickets WHERE summary = 'Backup failed on files-04'")


def test_demo_command_with_locale_zh_cn(db_url):
    env = {"SLAWATCH_DATABASE_URL": db_url, "SLAWATCH_RULES": ""}
    result = CliRunner().invoke(cli, ["demo", "--tickets", "25", "--locale", "zh_CN"], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0 and "25 tickets" in result.stderr and "demo_rules_zh_CN.yaml" in result.stderr
    bad = CliRunner().invoke(cli, ["demo", "--locale", "fr"], env=env)
    assert bad.exit_code == 2 and "'fr' is not one of 'en', 'zh_CN'" in bad.stderr
