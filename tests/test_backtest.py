"""`slawatch backtest`: the stored history under proposed rules and under the rules in force."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from cli import cli
from processors.backtest import ALL, render
from processors.periods import Period
from processors.rules import parse_rules
from store.backtest import run_backtest
from store.db import get_database
from store.rulebook import get_rulebook
from tests.conftest import RULES_YAML, row_counts, table_rows
from tests.jira_payloads import AGENT, JiraTicket

UTC = timezone.utc
T9 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TIGHTER = RULES_YAML.replace("first_response: {target: 1h, warn_at: [50%]}",
                             "first_response: {target: 15m, warn_at: [50%]}")
LOOSER = RULES_YAML.replace("first_response: {target: 1h, warn_at: [50%]}",
                            "first_response: {target: 2h, warn_at: [50%]}")
WINDOW = Period("month", "2026-01", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC), "UTC")
NOW = datetime(2026, 1, 10, tzinfo=UTC)


@pytest.fixture
def history(app, post_jira, clock):
    """Three standard tickets answered after 5 min, 20 min and 90 min; all resolved by noon."""
    clock.now = NOW
    for n, answered in ((1, 20), (2, 5), (3, 90)):
        ticket = JiraTicket(f"OPS-{n}", T9 + timedelta(minutes=n), components=("Network",))
        for payload in (ticket.created(),
                        ticket.commented(T9 + timedelta(minutes=n + answered), AGENT),
                        ticket.resolved(T9 + timedelta(hours=3))):
            assert post_jira(payload).status_code == 200
    return app


def backtest(app, proposed: str, vendor: str | None = None):
    return run_backtest(get_database(app), get_rulebook(app).rules, parse_rules(proposed), WINDOW, NOW, vendor)


def test_a_tighter_first_response_target_shows_the_extra_breach(history):
    before = table_rows(history, "clocks"), row_counts(history)
    result = backtest(history, TIGHTER)

    assert result.tickets == 3
    assert [(c.ticket, c.metric, c.cycle) for c in result.gained] == [("OPS-1", "first_response", 1)]
    assert result.lost == () and result.changed_tickets == ("OPS-1",)
    assert (result.before[("acme", "first_response")].met, result.before[("acme", "first_response")].counted) == (2, 3)
    assert (result.after[("acme", "first_response")].met, result.after[("acme", "first_response")].counted) == (1, 3)
    assert result.before[(ALL, "resolution")] == result.after[(ALL, "resolution")]
    assert (table_rows(history, "clocks"), row_counts(history)) == before  # nothing written

    text = render(result, {"acme": "ACME Outsourcing"}, "https://acme-it.atlassian.net")
    rows = [line.split() for line in text.splitlines()]
    assert ["ACME", "Outsourcing", "first_response", "66.7%", "(2/3)", "33.3%", "(1/3)", "-33.3pp"] in rows
    assert "breaches gained: 1, lost: 0, tickets whose verdict changes: 1" in text
    assert ("OPS-1 first_response #1: met -> breached (+5m)  https://acme-it.atlassian.net/browse/OPS-1"
            in text)


def test_a_looser_target_loses_a_breach(history):
    result = backtest(history, LOOSER)
    assert [(c.ticket, c.metric) for c in result.lost] == [("OPS-3", "first_response")]
    assert result.gained == ()


def test_identical_rules_show_no_change(history):
    result = backtest(history, RULES_YAML)
    assert result.unchanged and result.changes == ()
    assert "no change" in render(result, {}, None)


def test_worker_processes_give_the_same_answer(history, monkeypatch):
    import store.backtest

    monkeypatch.setattr(store.backtest, "CHUNK", 1)  # one ticket per chunk: every worker gets some
    rules = get_rulebook(history).rules
    alone = run_backtest(get_database(history), rules, parse_rules(TIGHTER), WINDOW, NOW)
    shared = run_backtest(get_database(history), rules, parse_rules(TIGHTER), WINDOW, NOW, workers=2)
    assert shared.changes == alone.changes and shared.after == alone.after and shared.tickets == 3


def test_tickets_cached_under_another_rules_version_are_evaluated(history):
    cached = backtest(history, TIGHTER)
    other_version = parse_rules(RULES_YAML + "# a comment changes the version\n")
    evaluated = run_backtest(get_database(history), other_version, parse_rules(TIGHTER), WINDOW, NOW)
    assert evaluated.changes == cached.changes
    assert evaluated.before == cached.before and evaluated.after == cached.after


def test_vendor_filter(history):
    assert backtest(history, TIGHTER, vendor="globex").changes == ()
    assert len(backtest(history, TIGHTER, vendor="acme").gained) == 1


def test_backtest_command(history, db_url, rules_path, tmp_path):
    proposed = tmp_path / "new.yaml"
    proposed.write_text(TIGHTER, encoding="utf-8")
    env = {"SLAWATCH_DATABASE_URL": db_url, "SLAWATCH_RULES": str(rules_path),
           "JIRA_URL": "https://acme-it.atlassian.net"}
    args = ["backtest", "--rules", str(proposed), "--from", "2026-01-01", "--to", "2026-02-01"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert "Backtest 2026-01-01 .. 2026-02-01 (end exclusive), 3 tickets" in result.stdout
    assert "https://acme-it.atlassian.net/browse/OPS-1" in result.stdout
    chinese = CliRunner().invoke(cli, [*args, "--locale", "zh_CN"], env=env)
    assert chinese.exit_code == 0 and "回测 2026-01-01 至 2026-02-01（不含结束日），工单3个" in chinese.stdout

    proposed.write_text(TIGHTER.replace("target: 15m", "target: soon"), encoding="utf-8")
    broken = CliRunner().invoke(cli, args, env=env)
    assert broken.exit_code == 1 and f"{proposed}:" in broken.stderr and "Traceback" not in broken.output
    proposed.write_text(TIGHTER, encoding="utf-8")
    unknown = CliRunner().invoke(cli, [*args[:3], "--vendor", "nobody"], env=env)
    assert unknown.exit_code == 1 and "no vendor 'nobody'" in unknown.stderr


def test_only_tickets_that_can_count_in_the_window_are_judged(history, post_jira, clock):
    """A ticket whose clocks all stopped before the window counts nothing there under any rules
    that agree on where resolution stops; one still open, or created in the window, is judged."""
    old = JiraTicket("OPS-8", T9 - timedelta(days=30), components=("Network",))
    for payload in (old.created(), old.commented(T9 - timedelta(days=30) + timedelta(minutes=90), AGENT),
                    old.resolved(T9 - timedelta(days=29))):
        assert post_jira(payload).status_code == 200
    open_ = JiraTicket("OPS-9", T9 - timedelta(days=20), components=("Network",))
    assert post_jira(open_.created()).status_code == 200  # breached long ago, still open: counts in January
    window = Period("week", "2026-W02", T9 - timedelta(hours=9), T9 + timedelta(days=7) - timedelta(hours=9), "UTC")

    judged = run_backtest(get_database(history), get_rulebook(history).rules, parse_rules(TIGHTER), window, NOW)
    assert judged.tickets == 4  # OPS-1..3 (created in the window) and OPS-9 (open); not OPS-8
    assert [c.ticket for c in judged.gained] == ["OPS-1"]

    moved_stop = TIGHTER + "jira:\n  done_statuses: [Done, Closed, Resolved, Shipped]\n"
    everything = run_backtest(get_database(history), get_rulebook(history).rules, parse_rules(moved_stop),
                              window, NOW)
    assert everything.tickets == 5  # where resolution stops may differ: every ticket is judged
    assert (everything.before, everything.after, everything.changes) == (judged.before, judged.after, judged.changes)
