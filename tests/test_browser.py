"""The dashboard in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium)
against the app served on a real local port, with the demo history in its store.

Without Chromium (or the playwright package) these tests skip with a message, except under CI
(CI=true), where they fail: .ci/run installs Chromium with apt. Set SLAWATCH_SCREENSHOTS=DIR to
save a screenshot of each page there (docs/screenshots/ holds the README's).
"""
from __future__ import annotations

import os
import shutil
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from processors.periods import local_day, week_of
from store.db import get_database
from store.history import weekly_summary
from store.rulebook import get_rulebook
from tests.conftest import Clock, PostgresDatabases, _pg_url
from web import demo

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=timezone.utc)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"browser tests cannot run under CI: {reason}")
    pytest.skip(f"browser tests skipped: {reason} (install Debian's chromium; CI does)")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    if not os.path.exists(CHROMIUM):
        _unavailable(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def site(_database_template, tmp_path_factory):
    """The app with 300 demo tickets, served on 127.0.0.1:<free port>; yields (base url, app)."""
    from werkzeug.serving import make_server

    from app import create_app

    folder = tmp_path_factory.mktemp("browser")
    rules = folder / "rules.yaml"
    shutil.copyfile(demo.RULES_PATH, rules)
    if isinstance(_database_template, PostgresDatabases):
        name = _database_template.create()
        url = _pg_url(_database_template.base_url, name)
    else:
        name, url = None, f"sqlite:///{folder / 'demo.db'}"
        shutil.copyfile(_database_template, folder / "demo.db")
    app = create_app({"SLAWATCH_DATABASE_URL": url, "SLAWATCH_RULES": str(rules), "SLAWATCH_CLOCK": Clock(NOW),
                      "SLAWATCH_SCHEDULER_EXPECTED": False})
    demo.fill(get_database(app), get_rulebook(app).rules, NOW, tickets=300, seed=5)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app, rules
    server.shutdown()
    get_database(app).dispose()
    if name:
        _database_template.drop(name)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def _screenshot(page, name: str) -> None:
    folder = os.environ.get("SLAWATCH_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


# The vendor cards' attainment tables that scroll (a column, e.g. Target, cut off), and cells
# whose content overflows them.
CARDS_CLIPPED = """() => [
  ...[...document.querySelectorAll('.card .scroll')].filter(s => s.scrollWidth > s.clientWidth).map(s => 'table'),
  ...[...document.querySelectorAll('table.attain th, table.attain td')].filter(c => c.scrollWidth > c.clientWidth)
     .map(c => c.textContent.trim())]"""


def test_overview_shows_the_demo_vendors_with_the_report_numbers(site, page):
    base, app, _ = site
    page.goto(base + "/")
    assert page.locator("h1").inner_text() == "Service levels"
    rules = get_rulebook(app).rules
    week = week_of(local_day(NOW, rules.reports.weekly.timezone), rules.reports.weekly.timezone)
    with get_database(app).reading() as session:
        summary = weekly_summary(session, rules, week, NOW)
    sections = {s.vendor: s for s in summary.vendors}
    for vendor in rules.vendors:
        assert page.locator(f"#h-{vendor.id}").inner_text() == vendor.name
        for metric in ("first_response", "resolution"):
            cell = page.locator(f'td[data-vendor="{vendor.id}"][data-metric="{metric}"][data-period="week"]')
            value = sections[vendor.id].metrics[metric].attainment if vendor.id in sections else None
            expected = "–" if value is None else f"{value * 100:.1f}%"
            assert cell.inner_text().split()[0] == expected
    assert page.evaluate(CARDS_CLIPPED) == []
    _screenshot(page, "overview")
    for width in (390, 1000):  # a phone; a laptop window that fits two cards a row
        page.set_viewport_size({"width": width, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert page.evaluate(CARDS_CLIPPED) == [], width
    page.set_viewport_size({"width": 390, "height": 844})
    _screenshot(page, "overview-narrow")


def test_ticket_page_shows_its_timeline(site, page):
    base, app, _ = site
    page.goto(base + "/")
    page.locator("table a[href^='/tickets/']").first.click()
    page.wait_for_load_state()
    assert page.locator("h2", has_text="Timeline").count() == 1
    items = page.locator("ol.timeline li")
    assert items.count() >= 2 and "created" in items.first.inner_text()
    assert page.locator("section.clock").count() >= 1
    _screenshot(page, "ticket")


def test_vendor_page_has_its_chart(site, page):
    base, _, _ = site
    page.goto(base + "/vendors/initech")
    assert page.locator("svg[role=img] title").count() == 1
    _screenshot(page, "vendor")


def test_rules_page_shows_a_reload_error_after_a_broken_file(site, page):
    base, _, rules = site
    good = rules.read_text()
    page.goto(base + "/rules")
    assert page.locator("text=The last reload failed").count() == 0
    rules.write_text(good.replace("target: 8h", "target: [8h"))
    try:
        time.sleep(1.1)  # the request path looks at the file at most once a second
        page.goto(base + "/rules")
        error = page.locator("pre.error").inner_text()
        assert "rules.yaml:" in error
        _screenshot(page, "rules")
    finally:
        rules.write_text(good)
        time.sleep(1.1)
        page.goto(base + "/rules")
    assert page.locator("text=The last reload failed").count() == 0


def test_backtest_of_tightened_rules_shows_gained_breaches(site, page):
    base, _, rules = site
    tightened = rules.read_text().replace("first_response: {target: 8h, warn_at: [75%]}",
                                          "first_response: {target: 2h, warn_at: [75%]}")
    assert tightened != rules.read_text()
    page.goto(base + "/rules")
    assert page.locator("#bt-to").input_value() == "2026-11-24"  # the last 30 days by default
    page.locator("#bt-rules").fill(tightened)
    page.locator("#bt-from").fill("2026-11-10")
    page.locator("button", has_text="Run the backtest").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Backtest"
    gained = int(page.locator("#backtest-breaches strong").first.inner_text())
    assert gained > 0
    links = page.locator("#backtest-changes a[href^='/tickets/']")
    assert links.count() >= 1
    result = page.evaluate(A11Y)
    assert result["problems"] == [] and result["pairs"] >= 2
    _screenshot(page, "backtest")
    links.first.click()
    page.wait_for_load_state()
    assert page.locator("h2", has_text="Timeline").count() == 1


A11Y = """() => {
  const problems = [];
  for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) problems.push('img without alt');
  for (const svg of document.querySelectorAll('svg')) if (!svg.querySelector('title') && !svg.getAttribute('aria-label')) problems.push('svg without title');
  for (const c of document.querySelectorAll('input, select, textarea')) {
    if (c.type === 'hidden') continue;
    const labelled = (c.id && document.querySelector(`label[for="${c.id}"]`)) || c.closest('label') || c.getAttribute('aria-label');
    if (!labelled) problems.push('control without label: ' + c.outerHTML.slice(0, 60));
  }
  const levels = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => +h.tagName[1]);
  if (levels.filter(l => l === 1).length !== 1) problems.push('not exactly one h1');
  levels.forEach((l, i) => { if (i && l > levels[i - 1] + 1) problems.push(`heading jumps from h${levels[i - 1]} to h${l}`); });
  if (!document.documentElement.lang) problems.push('no lang attribute');
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; };
  const pairs = new Map();
  for (const el of document.querySelectorAll('body *')) {
    if (!el.checkVisibility() || ![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    if (el.closest('svg')) continue;
    const fg = rgb(getComputedStyle(el).color), bg = background(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    pairs.set(`${fg} on ${bg}`, ratio);
    if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)} for <${el.tagName.toLowerCase()}> ${fg} on ${bg}`);
  }
  return {problems, pairs: pairs.size};
}"""


@pytest.mark.parametrize("path", ["/", "/vendors/acme", "/rules", "ticket"])
def test_pages_pass_a_basic_accessibility_check(site, page, path):
    base, app, _ = site
    if path == "ticket":  # one with a breach, a pause or a reopening: the richest page
        with get_database(app).reading() as session:
            path = "/tickets/" + session.execute(text(
                "SELECT ticket FROM clocks WHERE breached_at IS NOT NULL ORDER BY paused_seconds DESC, cycle DESC, "
                "ticket LIMIT 1")).scalar_one()
    response = page.goto(base + path)
    assert response.status == 200
    result = page.evaluate(A11Y)
    assert result["problems"] == [] and result["pairs"] >= 2


def test_a_hand_off_ticket_page_draws_its_clocks(site, page):
    """A Globex ticket (measured by hand-off) that was handed back: every clock has a timeline bar
    with a hand-off mark, one ended by a hand-away. The README's ticket-handoff.png."""
    base, app, _ = site
    with get_database(app).reading() as session:
        key = session.execute(text(
            "SELECT ticket FROM clocks WHERE ended_by = 'handaway' AND metric = 'resolution' "
            "ORDER BY breached_at IS NULL, ticket LIMIT 1")).scalar_one()
    assert page.goto(base + "/tickets/" + key).status == 200
    bars = page.locator("section.clock svg.timeline")
    assert bars.count() == page.locator("section.clock").count() >= 2
    assert page.locator("svg.timeline .handoff").count() == bars.count()
    assert "hand-away" in page.locator("section.clock").nth(0).inner_text() + page.content()
    _screenshot(page, "ticket-handoff")


def test_the_pages_in_chinese_fit_pass_the_check_and_switch_back(site, page):
    """`?lang=zh_CN`: Chinese headings, `lang="zh-CN"`, the accessibility check, a phone's width;
    the switch at the foot brings English back and the choice is kept."""
    base, _, _ = site
    for path in ("/", "/vendors/acme", "/rules"):
        assert page.goto(base + path + "?lang=zh_CN").status == 200
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        result = page.evaluate(A11Y)
        assert result["problems"] == [] and result["pairs"] >= 2, path
    page.goto(base + "/")
    assert page.locator("h1").inner_text() == "服务水平"
    assert page.locator("h2").all_inner_texts()[:3] == ["供应商", "即将违约", "未关闭的违约"]
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.evaluate(CARDS_CLIPPED) == []
    page.locator("#languages a[lang=en]").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Service levels"
    page.goto(base + "/vendors/acme")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h2").first.inner_text() == "Attainment per week"
