"""The survey web form in the reader's language: Accept-Language, the `?lang=` switch (kept in
the session, or a cookie when the app has no secret key), else the rules' `locale:`. The default
questions are translated, the admin's own questions are not."""
from __future__ import annotations

import pytest

from processors.rules import SURVEY_QUESTIONS
from tests.fake_slack import fake_slack  # noqa: F401
from tests.slack_helpers import SIGNING_SECRET, T0
from tests.test_surveys import MARIA_SLACK, SURVEY_RULES, ZED, resolve, surveys
from tests import jira_payloads as jp
from web.survey import DEFAULT_QUESTIONS

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


def _make(make_app, db_url, rules_path, fake_slack, clock, rules=SURVEY_RULES, **settings):  # noqa: F811
    rules_path.write_text(rules, encoding="utf-8")
    clock.now = T0
    fake_slack.add_user(jp.MARIA.email, MARIA_SLACK)
    app = make_app(db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url,
                   SLACK_SIGNING_SECRET=SIGNING_SECRET, **settings)
    resolve(app, clock, "ACME-2", reporter=ZED)
    return app, surveys(app)["ACME-2"].token


@pytest.fixture
def survey_app(make_app, db_url, rules_path, fake_slack, clock):  # noqa: F811
    return _make(make_app, db_url, rules_path, fake_slack, clock)


def test_the_default_questions_are_the_marked_ones():
    assert set(DEFAULT_QUESTIONS) == set(SURVEY_QUESTIONS.values())


def test_a_chinese_browser_gets_the_form_in_chinese(survey_app):
    app, token = survey_app
    form = app.test_client().get(f"/survey/{token}", headers=ZH)
    assert form.status_code == 200 and form.headers["Content-Language"] == "zh-CN"
    assert '<html lang="zh-CN">' in form.text and "<title>Slawatch 满意度调查</title>" in form.text
    assert "<h1>请评价工单 ACME-2 的服务</h1>" in form.text
    assert "<legend>您对本次服务请求的处理是否满意？</legend>" in form.text
    assert "<legend>您对处理过程中与您的沟通是否满意？</legend>" in form.text
    assert "1 = 很差，5 = 非常好。2026/1/12 12:31（UTC）之前可随时修改答案。" in form.text
    assert '<button type="submit">提交</button>' in form.text and form.text.count('type="radio"') == 10
    english = app.test_client().get(f"/survey/{token}")  # no Accept-Language: the rules' locale, en
    assert english.headers["Content-Language"] == "en" and "How did we do on ACME-2?" in english.text
    assert "until 1/12/26, 12:31\u202fPM UTC." in english.text


def test_answers_and_refusals_in_chinese(survey_app):
    app, token = survey_app
    client = app.test_client()
    bad = client.post(f"/survey/{token}", data={"csat": "9"}, headers=ZH)
    assert bad.status_code == 400 and "<p>答案须为1至5之间的数字。</p>" in bad.text
    assert client.post(f"/survey/{token}", data={}, headers=ZH).text.count("请选择一个答案。") == 1
    saved = client.post(f"/survey/{token}", data={"csat": "5"}, headers=ZH)
    assert saved.status_code == 200 and "<h1>感谢您的反馈！</h1>" in saved.text
    assert surveys(app)["ACME-2"].csat == 5
    missing = client.get("/survey/not-a-token", headers=ZH)
    assert missing.status_code == 404 and "<p>该调查不存在。</p>" in missing.text


def test_the_switch_is_remembered_in_a_cookie_without_a_secret_key(survey_app):
    app, token = survey_app
    client = app.test_client()
    page = client.get(f"/survey/{token}?lang=en", headers=ZH)
    assert "How did we do on ACME-2?" in page.text
    assert f'<a href="/survey/{token}?lang=zh_CN" lang="zh-CN">中文</a>' in page.text
    assert client.get_cookie("slawatch_lang").value == "en"
    assert "How did we do on ACME-2?" in client.get(f"/survey/{token}", headers=ZH).text
    assert "请评价工单" in client.get(f"/survey/{token}?lang=zh-CN").text
    assert "请评价工单" in client.get(f"/survey/{token}").text
    assert "请评价工单" in client.get(f"/survey/{token}?lang=fr", headers=ZH).text  # not spoken: ignored
    assert client.get_cookie("slawatch_lang").value == "zh_CN"


def test_the_switch_is_kept_in_the_signed_session_with_a_secret_key(make_app, db_url, rules_path, fake_slack,  # noqa: F811
                                                                     clock):
    app, token = _make(make_app, db_url, rules_path, fake_slack, clock, SLAWATCH_SECRET_KEY="k" * 32)
    client = app.test_client()
    assert "请评价工单" in client.get(f"/survey/{token}?lang=zh_CN").text
    assert client.get_cookie("slawatch_lang") is None and client.get_cookie("slawatch_session") is not None
    assert "请评价工单" in client.get(f"/survey/{token}", headers={"Accept-Language": "en"}).text


def test_the_rules_locale_and_the_admins_own_question(make_app, db_url, rules_path, fake_slack, clock):  # noqa: F811
    own = SURVEY_RULES + "  questions:\n    csat: Wie zufrieden waren Sie?\nlocale: zh_CN\n"
    app, token = _make(make_app, db_url, rules_path, fake_slack, clock, rules=own)
    form = app.test_client().get(f"/survey/{token}")  # no Accept-Language: the rules say zh_CN
    assert "<h1>请评价工单 ACME-2 的服务</h1>" in form.text
    assert "<legend>Wie zufrieden waren Sie?</legend>" in form.text  # as the admin wrote it


def test_templates_translate_with_the_pages_locale(survey_app):
    """What the dashboard's templates will use once marked: Flask-Babel's _() and page_locale()."""
    from flask import render_template_string

    app, _token = survey_app
    template = '<html lang="{{ page_locale() }}">{{ _("first response") }} {{ LOCALES|join(",") }}'
    with app.test_request_context("/", headers=ZH):
        assert render_template_string(template) == '<html lang="zh_CN">首次响应 en,zh_CN'
    with app.test_request_context("/?lang=en", headers=ZH):
        app.preprocess_request()
        assert render_template_string(template) == '<html lang="en">first response en,zh_CN'
