"""The backtest form on the dashboard's rules page (web/backtest_page.py): the stored history
judged by pasted rules and by the rules in force, as HTML; nothing written; errors as 4xx pages."""
from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import RULES_YAML, row_counts, table_rows
from tests.jira_payloads import AGENT, JiraTicket

T9 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 1, 10, tzinfo=timezone.utc)
TIGHTER = RULES_YAML.replace("first_response: {target: 1h, warn_at: [50%]}",
                             "first_response: {target: 15m, warn_at: [50%]}")
WINDOW = {"from": "2026-01-01", "to": "2026-01-31"}


@pytest.fixture
def history(app, post_jira, clock):
    """Three standard tickets answered after 20 min, 5 min and 90 min; all resolved by noon."""
    assert TIGHTER != RULES_YAML
    clock.now = NOW
    for n, answered in ((1, 20), (2, 5), (3, 90)):
        ticket = JiraTicket(f"OPS-{n}", T9 + timedelta(minutes=n), components=("Network",))
        for payload in (ticket.created(), ticket.commented(T9 + timedelta(minutes=n + answered), AGENT),
                        ticket.resolved(T9 + timedelta(hours=3))):
            assert post_jira(payload).status_code == 200
    return app


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_rules_page_has_the_form_with_the_last_30_days_and_the_rules_in_force(history):
    body = history.test_client().get("/rules").get_data(as_text=True)
    assert 'action="/rules/backtest"' in body
    assert 'name="from" type="date" value="2025-12-12"' in body and 'name="to" type="date" value="2026-01-10"' in body
    assert "first_response: {target: 1h, warn_at: [50%]}" in body  # the file in force, to edit


def test_tightened_rules_show_the_gained_breach_and_write_nothing(history):
    before = table_rows(history, "clocks"), row_counts(history)
    response = history.test_client().post("/rules/backtest", data={"rules": TIGHTER, **WINDOW, "vendor": ""})
    assert response.status_code == 200
    body, text = response.get_data(as_text=True), _text(response)
    assert "1 breaches gained, 0 lost; 1 tickets change verdict." in text
    assert re.search(r"ACME Outsourcing First response 66\.7% \(2/3\) 33\.3% \(1/3\) -33\.3 pp", text)
    assert '<a href="/tickets/OPS-1">OPS-1</a>' in body and "/tickets/OPS-2" not in body
    assert "from 2026-01-01 to 2026-01-31 (UTC days, both included): 3 tickets judged" in text
    assert re.search(r"in \d+\.\d s\. Nothing was written", text)
    assert (table_rows(history, "clocks"), row_counts(history)) == before


def test_identical_rules_and_the_vendor_filter(history):
    client = history.test_client()
    same = _text(client.post("/rules/backtest", data={"rules": RULES_YAML, **WINDOW}))
    assert "0 breaches gained, 0 lost" in same and "No change" in same
    other = _text(client.post("/rules/backtest", data={"rules": TIGHTER, **WINDOW, "vendor": "globex"}))
    assert "0 breaches gained" in other and "vendor globex" in other


def test_invalid_rules_show_their_lines(history):
    response = history.test_client().post("/rules/backtest", data={
        "rules": TIGHTER.replace("target: 15m", "target: soon"), **WINDOW})
    assert response.status_code == 422
    errors = re.search(r'<pre class="error" id="backtest-errors">(.*?)</pre>', response.get_data(as_text=True), re.S)
    assert re.match(r"proposed-rules\.yaml:\d+:\d+: ", errors.group(1))
    assert "target: soon" in response.get_data(as_text=True)  # the text is kept to be fixed
    broken_yaml = history.test_client().post("/rules/backtest", data={"rules": "policies: [\n", **WINDOW})
    assert broken_yaml.status_code == 422 and "proposed-rules.yaml:" in _text(broken_yaml)
    for text in ("policies: " + "[" * 20000, "- " * 20000):  # deeper than Python's recursion limit
        deep = history.test_client().post("/rules/backtest", data={"rules": text, **WINDOW})
        assert deep.status_code == 422 and "proposed-rules.yaml:1:1: the YAML is nested too deeply" in _text(deep)


@pytest.mark.parametrize("form, message", [
    ({"from": "2026-13-01", "to": "2026-01-31"}, "from: use a date"),
    ({"from": "2026-01-31", "to": "2026-01-01"}, "must not be before"),
    ({"from": "2025-01-01", "to": "2026-01-31"}, "at most 366 days"),
    ({**WINDOW, "vendor": "nobody"}, "no vendor &#39;nobody&#39;"),
])
def test_a_bad_window_or_vendor_is_a_400_page(history, form, message):
    response = history.test_client().post("/rules/backtest", data={"rules": TIGHTER, **form})
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_oversize_rules_are_413(history):
    client = history.test_client()
    big = TIGHTER + "#" * (256 * 1024) + "\n"
    response = client.post("/rules/backtest", data={"rules": big, **WINDOW})
    assert response.status_code == 413 and "over 256 KiB" in _text(response)
    body = client.post("/rules/backtest", data="rules=" + "x" * (1024 * 1024 + 1),
                       content_type="application/x-www-form-urlencoded")
    assert body.status_code == 413


def test_the_password_guards_the_backtest(make_app, db_url):
    client = make_app(db_url, SLAWATCH_DASHBOARD_PASSWORD="s3cret").test_client()
    assert client.post("/rules/backtest", data={"rules": TIGHTER, **WINDOW}).status_code == 401
    auth = {"Authorization": "Basic " + base64.b64encode(b"admin:s3cret").decode()}
    assert client.post("/rules/backtest", data={"rules": TIGHTER, **WINDOW}, headers=auth).status_code == 200


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"}])
def test_a_form_posted_from_another_site_is_refused(history, headers):
    client = history.test_client()
    answer = client.post("/rules/backtest", data={"rules": "version: 1"}, headers=headers)
    assert answer.status_code == 403 and "posted from the dashboard itself" in _text(answer)
    same = client.post("/rules/backtest", data={"rules": "version: 1"},
                       headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 422  # past the origin check: the rules themselves are refused


@pytest.mark.parametrize("language, label", [("en", "no vendor"), ("zh-CN", "无供应商")])
def test_tickets_of_no_vendor_are_a_row_in_the_readers_language(history, post_jira, language, label):
    # OPS-9 has no component: no vendor of the rules matches it
    ticket = JiraTicket("OPS-9", T9 + timedelta(minutes=9))
    assert post_jira(ticket.created()).status_code == 200
    response = history.test_client().post("/rules/backtest", data={"rules": TIGHTER, **WINDOW},
                                          headers={"Accept-Language": language})
    assert response.status_code == 200
    rows = re.findall(r'<th scope="row">([^<]*)</th>', response.get_data(as_text=True))
    assert rows.count(label) == 2  # first response and resolution of the ticket of no vendor
    assert len(rows) == 6  # beside ACME's two and the two of all vendors
