"""Reports with hand-off clocks and the communication metrics (issue #11): the weekly summary
shows next_response / periodic_update attainment beside the communication survey, and per vendor
how many clocks ended by a hand-away; such endings are not counted as resolutions."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from cli import cli
from tests.jira_payloads import MARIA, JiraTicket, user
from tests.test_scheduler_alerts import post, tick_at

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
ANNA, BEN, DORA = user("Anna Acme"), user("Ben Beta"), user("Dora Desk")
RULES = """\
version: 1
calendars:
  always: 24x7
vendors:
  acme: {name: ACME Outsourcing, match: {assignees: [Anna Acme]}}
  beta: {name: Beta Support, match: {assignees: [Ben Beta]}}
policies:
  - name: provider
    measure: handoff
    calendar: always
    metrics: {first_response: 1h, resolution: 8h, next_response: 30m, periodic_update: 2h}
targets: {next_response: 50%}
"""


def test_weekly_report_counts_hand_aways_and_communication_clocks(make_app, db_url, rules_path, clock):
    rules_path.write_text(RULES, encoding="utf-8")
    app = make_app(db_url)
    ticket = JiraTicket("OPS-1", T0, summary="VPN down")
    at = lambda minutes: T0 + timedelta(minutes=minutes)  # noqa: E731
    story = [(0, ticket.created), (60, lambda: ticket.assigned(at(60), ANNA, actor=DORA)),
             (70, lambda: ticket.commented(at(70), ANNA)), (80, lambda: ticket.commented(at(80), MARIA)),
             (90, lambda: ticket.commented(at(90), ANNA)), (100, lambda: ticket.commented(at(100), MARIA)),
             (180, lambda: ticket.assigned(at(180), BEN, actor=ANNA)),
             (200, lambda: ticket.commented(at(200), BEN)), (240, lambda: ticket.resolved(at(240), actor=BEN))]
    for minutes, payload in story:
        clock.now = at(minutes)
        post(app, payload())
    tick_at(app, clock, at(300))

    env = {"SLAWATCH_DATABASE_URL": db_url, "SLAWATCH_RULES": str(rules_path)}
    result = CliRunner().invoke(cli, ["report", "weekly", "--end", "2026-01-11"], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    sections = result.stdout.split("\n== ")
    acme = next(s for s in sections if s.startswith("ACME Outsourcing"))
    beta = next(s for s in sections if s.startswith("Beta Support"))
    # acme: first response 10m (met), resolution 2h ended by the hand-away to beta (met, not a
    # resolution), next response 10m (met) and 80m (open at the hand-away, over its 30m: breached),
    # periodic updates 20m and 90m (met): three clocks ended by the hand-away
    assert "opened 0, resolved 0," in acme
    assert "next response: 50.0% (1 of 2 met), above the 50% target; median 10m, p90 1h20m" in acme
    assert "periodic update: 100.0% (2 of 2 met), above the 80% target; median 20m, p90 1h30m" in acme
    assert "clocks ended by a hand-away (the ticket left the vendor): 3" in acme
    assert "resolved 1," in beta and "hand-away" not in beta


def test_api_lists_hand_off_clocks_with_their_ending(make_app, db_url, rules_path, clock):
    rules_path.write_text(RULES, encoding="utf-8")
    app = make_app(db_url)
    ticket = JiraTicket("OPS-2", T0, summary="Printer")
    post(app, ticket.created())
    clock.now = T0 + timedelta(hours=1)
    post(app, ticket.assigned(clock.now, ANNA, actor=DORA))
    clock.now = T0 + timedelta(hours=2)
    post(app, ticket.assigned(clock.now, None, actor=ANNA))  # handed back to the desk
    clock.now = T0 + timedelta(hours=2, minutes=30)
    post(app, ticket.assigned(clock.now, ANNA, actor=DORA))  # and to acme again: open clocks
    tick_at(app, clock, T0 + timedelta(hours=3))
    listed = app.test_client().get("/api/tickets").json
    [row] = [t for t in listed["tickets"] if t["key"] == "OPS-2"]
    stored = {(c["metric"], c["cycle"]): c for c in row["clocks"]}
    live = {(c["metric"], c["cycle"]): c for c in app.test_client().get("/api/tickets/OPS-2").json["clocks"]}
    for clocks in (stored, live):
        assert (clocks[("first_response", 2)]["state"], clocks[("first_response", 2)]["handoff_at"]) == (
            "running", "2026-01-05T11:30:00Z")
        first = clocks[("first_response", 1)]
        assert (first["vendor"], first["measure"], first["ended_by"], first["handoff_at"], first["handoff_by"],
                first["stopped_at"], first["breached"]) == (
            "acme", "handoff", "handaway", "2026-01-05T10:00:00Z", "Dora Desk", "2026-01-05T11:00:00Z", False)


def test_demo_history_has_a_hand_off_vendor_with_hand_backs_and_replies(make_app, db_url):
    from sqlalchemy import text

    from store.db import get_database
    from tests.test_dashboard import NOW, _demo_app

    app = _demo_app(make_app, db_url, NOW, tickets=150)
    with get_database(app).engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT metric, ended_by, count(*) FROM clocks WHERE vendor = 'globex' GROUP BY metric, ended_by")).all()
        measures = set(connection.execute(text("SELECT DISTINCT vendor, measure FROM clocks")).all())
    counts = {(metric, ended_by): n for metric, ended_by, n in rows}
    assert counts[("resolution", "handaway")] > 0  # handed back to the desk
    assert counts[("first_response", "response")] > 0
    assert counts[("next_response", "response")] > 0 and counts[("periodic_update", "response")] > 0
    assert ("globex", "handoff") in measures and ("acme", "ticket") in measures


def test_csv_and_slack_reports_carry_the_communication_metrics(make_app, db_url, rules_path, clock):
    """The same story as above, as `slawatch report weekly --format csv`, and the weekly summary
    and the quarterly scorecards queued for Slack (`--post`)."""
    import csv
    import io

    test_weekly_report_counts_hand_aways_and_communication_clocks(make_app, db_url, rules_path, clock)
    env = {"SLAWATCH_DATABASE_URL": db_url, "SLAWATCH_RULES": str(rules_path)}
    result = CliRunner().invoke(cli, ["report", "weekly", "--end", "2026-01-11", "--format", "csv"], env=env,
                                catch_exceptions=False)
    rows = list(csv.DictReader(io.StringIO(result.stdout.removeprefix("\ufeff"))))
    acme = {r["metric"]: r for r in rows if r["vendor"] == "acme"}
    assert (acme["next_response"]["counted"], acme["next_response"]["met"], acme["next_response"]["mark"]) == (
        "2", "1", "above")
    assert acme["periodic_update"]["target_percent"] == "80.00"  # the communication target
    rules_path.write_text(RULES + 'reports: {weekly: {channel: "#sla-weekly"}, quarterly: {channel: "#sla-q"}}\n')
    for kind, end in (("weekly", "2026-01-11"), ("quarterly", "2026-03-31")):
        posted = CliRunner().invoke(cli, ["report", kind, "--end", end, "--post"], env=env, catch_exceptions=False)
        assert posted.exit_code == 0, posted.stderr
    from tests.test_report_cli import _outbox
    queued = _outbox(db_url)
    for key in ("report:weekly:2026-W02", next(k for k in queued if k.startswith("report:quarterly:"))):
        blocks = queued[key]["blocks"]
        assert "next response: 50.0% (1 of 2 met), above the 50% target" in blocks, key
        assert "clocks ended by a hand-away (the ticket left the vendor): 3" in blocks, key


def test_html_reports_carry_the_communication_metrics(make_app, db_url, rules_path, clock):
    """The same story as `slawatch report weekly|quarterly --format html`: the clocked
    communication table (the figures of the text report above) and the hand-away count."""
    import re

    test_weekly_report_counts_hand_aways_and_communication_clocks(make_app, db_url, rules_path, clock)
    env = {"SLAWATCH_DATABASE_URL": db_url, "SLAWATCH_RULES": str(rules_path)}
    for kind, end in (("weekly", "2026-01-11"), ("quarterly", "2026-03-31")):
        result = CliRunner().invoke(cli, ["report", kind, "--end", end, "--format", "html"], env=env,
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        page = re.sub(r"\s+", " ", result.stdout)
        assert ('<td>next response</td><td class="above">50.0%</td><td>1 of 2</td><td>50%</td>'
                "<td>10m</td><td>1h20m</td>") in page, kind
        assert ('<td>periodic update</td><td class="above">100.0%</td><td>2 of 2</td><td>80%</td>') in page, kind
        assert "clocks ended by a hand-away (the ticket left the vendor): 3</td>" in page, kind


def test_vendor_page_shows_the_communication_clocks(make_app, db_url):
    from tests.test_dashboard import NOW, _demo_app, _text

    app = _demo_app(make_app, db_url, NOW, tickets=150)
    text = _text(app.test_client().get("/vendors/globex"))
    assert "Next response (" in text and "Periodic update (" in text
    assert "Next response" not in _text(app.test_client().get("/vendors/acme"))  # ticket measure, no such metric


def test_backtest_of_a_proposed_periodic_update_target(app, post_jira, clock):
    """Proposing `periodic_update: 30m` on today's history: the cycles it would have had, judged."""
    from processors.backtest import render
    from processors.periods import Period
    from processors.rules import parse_rules
    from store.backtest import run_backtest
    from store.db import get_database
    from store.rulebook import get_rulebook
    from tests.conftest import RULES_YAML
    from tests.jira_payloads import AGENT

    clock.now = T0 + timedelta(days=2)
    ticket = JiraTicket("OPS-1", T0, components=("Network",))
    for payload in (ticket.created(), ticket.commented(T0 + timedelta(minutes=10), AGENT),
                    ticket.commented(T0 + timedelta(minutes=30), AGENT),
                    ticket.commented(T0 + timedelta(minutes=90), AGENT), ticket.resolved(T0 + timedelta(hours=2))):
        assert post_jira(payload).status_code == 200
    proposed = RULES_YAML.replace("      resolution: {target: 8h, warn_at: [75%]}\n",
                                  "      resolution: {target: 8h, warn_at: [75%]}\n      periodic_update: 30m\n", 1)
    window = Period("month", "2026-01", datetime(2026, 1, 1, tzinfo=timezone.utc),
                    datetime(2026, 2, 1, tzinfo=timezone.utc), "UTC")
    result = run_backtest(get_database(app), get_rulebook(app).rules, parse_rules(proposed), window, clock.now)
    after = result.after[("acme", "periodic_update")]
    assert (after.counted, after.met, after.target) == (3, 2, 0.80)  # 20m, 60m (breached), 30m
    assert [(c.metric, c.cycle) for c in result.gained] == [("periodic_update", 2)]
    rows = [line.split() for line in render(result, {"acme": "ACME"}, None).splitlines()]
    assert ["ACME", "periodic_update", "-", "66.7%", "(2/3)"] in rows
