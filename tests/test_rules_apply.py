"""Effective-dated rules: `slawatch rules apply NEW.yaml --from DATE` pins the version in force for
the tickets created before DATE and puts NEW in the rules file; the RuleBook reads the pins, the
clocks record the version that judged them, stale recompute and the backtest follow the
schedule, and the reports name the versions. On SQLite, or PostgreSQL with
SLAWATCH_TEST_DATABASE_URL."""
from __future__ import annotations

import csv
import io
import logging
import os
import shutil
import subprocess
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

import store.rulebook
from cli import cli
from connectors.jira import parse_webhook
from connectors.slack_reports import scorecard_message, weekly_message
from processors import report_csv, report_html
from processors import report_render as render
from processors.periods import Period, quarter_of, week_of
from processors.rule_schedule import RuleSchedule
from processors.rules import parse_rules
from scheduler import get_ticker
from store.backtest import cached_clocks, run_backtest
from store.db import Database, get_database
from store.history import quarterly_scorecards, weekly_summary
from store.ingest import ingest_delivery
from store.models import ClockRow, RuleVersion
from store.queries import stale_ticket_keys
from store.recompute import recompute_stale_clocks, recompute_ticket
from store.repo import lock_ticket
from store.rule_pins import ApplyError, apply_rules, load_pins
from store.rulebook import RuleBook, get_rulebook
from tests import jira_payloads as jp
from tests.conftest import RULES_YAML

UTC = timezone.utc
FR, RES = "first_response", "resolution"
NEW_YAML = RULES_YAML.replace("target: 1h, warn_at: [50%]", "target: 2h, warn_at: [50%]")  # standard FR 1h -> 2h
EDITED_YAML = NEW_YAML.replace("target: 8h, warn_at: [75%]", "target: 6h, warn_at: [75%]")  # a plain edit later
OLD, NEW, EDITED = (parse_rules(t).version for t in (RULES_YAML, NEW_YAML, EDITED_YAML))
FROM = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, 5, hour, minute, tzinfo=UTC)


def run(*args: str, env: dict[str, str]):
    return CliRunner().invoke(cli, ["rules", *args], env=env)


@pytest.fixture
def env(db_url, rules_path) -> dict[str, str]:
    return {"SLAWATCH_DATABASE_URL": db_url, "SLAWATCH_RULES": str(rules_path)}


@pytest.fixture
def new_yaml(tmp_path) -> Path:
    path = tmp_path / "new.yaml"
    path.write_text(NEW_YAML, encoding="utf-8")
    return path


def store_events(app, payload, delivery: str, now: datetime) -> None:
    """Store a Jira payload's events and recompute their tickets under the rulebook's schedule."""
    ingest_delivery(get_database(app), "jira", delivery, parse_webhook(payload), get_rulebook(app).schedule, now)


def reload(app, now: datetime) -> None:
    """What the worker's tick does first: look at the rules file, record it, read the pins."""
    get_ticker(app).refresh_rules(now)


def clocks(app) -> dict[tuple[str, str], tuple[int, str]]:
    with get_database(app).reading() as session:
        rows = session.scalars(select(ClockRow))
        return {(c.ticket, c.metric): (c.target_seconds, c.rules_version) for c in rows}


def pins(db_url: str) -> list[tuple]:
    database = Database(db_url)
    try:
        with database.reading() as session:
            return [(p.created_before, p.version, p.replaced_by) for p in load_pins(session)]
    finally:
        database.dispose()


@pytest.fixture
def applied(app, clock, env, new_yaml, rules_path):
    """OPS-1 created at 09:00 under the old rules; NEW applied from 10:00; ACME-1 created at 10:15."""
    clock.now = at(9, 30)
    store_events(app, jp.created("OPS-1", at(9)), "d1", clock.now)
    result = run("apply", str(new_yaml), "--from", "2026-01-05T10:00:00Z", env=env)
    assert result.exit_code == 0, result.output
    assert f"version {NEW[:12]} judges the tickets created from 2026-01-05T10:00:00Z" in result.stdout
    assert f"keep version {OLD[:12]}" in result.stdout
    assert rules_path.read_text(encoding="utf-8") == NEW_YAML
    clock.now = at(10, 30)
    reload(app, clock.now)
    store_events(app, jp.created("ACME-1", at(10, 15), project="ACME"), "d2", clock.now)
    return app


def test_a_ticket_created_before_the_date_keeps_the_old_target(applied, client, db_url):
    book = get_rulebook(applied)
    assert book.rules.version == NEW
    assert [(pin.created_before, pin.rules.version) for pin in book.schedule.pins] == [(FROM, OLD)]
    assert clocks(applied)[("OPS-1", FR)] == (3600, OLD)
    assert clocks(applied)[("ACME-1", FR)] == (7200, NEW)
    assert recompute_stale_clocks(get_database(applied), book.schedule, at(10, 30)) == 0  # both are right
    old, new = client.get("/api/tickets/OPS-1").json, client.get("/api/tickets/ACME-1").json
    assert (old["rules_version"], old["clocks"][0]["target_seconds"]) == (OLD, 3600)
    assert (new["rules_version"], new["clocks"][0]["target_seconds"]) == (NEW, 7200)
    assert pins(db_url) == [(FROM, OLD, NEW)]
    with get_database(applied).reading() as session:  # both texts are kept
        assert {OLD, NEW} <= set(session.scalars(select(RuleVersion.version)))


def test_a_plain_edit_afterwards_moves_only_the_unpinned_tickets(applied, clock, rules_path):
    rules_path.write_text(EDITED_YAML, encoding="utf-8")
    clock.now = at(11)
    reload(applied, clock.now)
    schedule = get_rulebook(applied).schedule
    assert schedule.current.version == EDITED and [p.rules.version for p in schedule.pins] == [OLD]
    with get_database(applied).reading() as session:
        assert stale_ticket_keys(session, schedule, 100) == ["ACME-1"]
    assert recompute_stale_clocks(get_database(applied), schedule, clock.now) == 1
    after = clocks(applied)
    assert after[("OPS-1", FR)] == (3600, OLD) and after[("OPS-1", RES)] == (8 * 3600, OLD)
    assert after[("ACME-1", RES)] == (6 * 3600, EDITED)


def test_stale_recompute_recomputes_exactly_the_tickets_judged_by_the_wrong_version(applied, clock):
    database, book = get_database(applied), get_rulebook(applied)
    store_events(applied, jp.created("OPS-3", at(9, 45)), "d3", clock.now)  # before: OLD
    store_events(applied, jp.created("OPS-4", at(10, 20)), "d4", clock.now)  # after: NEW

    def judge_wrongly(session):  # what a caller without the schedule would store
        for key, rules in (("OPS-3", book.rules), ("OPS-4", book.schedule.pins[0].rules)):
            lock_ticket(session, key)
            recompute_ticket(session, key, rules, clock.now)
    database.write(judge_wrongly)
    assert clocks(applied)[("OPS-3", FR)] == (7200, NEW) and clocks(applied)[("OPS-4", FR)] == (3600, OLD)
    with database.reading() as session:
        assert stale_ticket_keys(session, book.schedule, 100) == ["OPS-3", "OPS-4"]
        assert stale_ticket_keys(session, book.schedule, 1) == ["OPS-3"]
    assert recompute_stale_clocks(database, book.schedule, clock.now, batch=1) == 2
    assert {k: v for k, v in clocks(applied).items() if k[1] == FR} == {
        ("OPS-1", FR): (3600, OLD), ("OPS-3", FR): (3600, OLD),
        ("ACME-1", FR): (7200, NEW), ("OPS-4", FR): (7200, NEW)}
    with database.reading() as session:
        assert stale_ticket_keys(session, book.schedule, 100) == []


# ---- reports ---------------------------------------------------------------------------------

def test_the_reports_name_the_versions_that_judged_each_number(applied):
    """At 13:00 both first responses breached (OPS-1 at 10:00 under 1h, ACME-1 at 12:15 under 2h);
    no resolution clock ended yet."""
    book, now = get_rulebook(applied), at(13)
    with get_database(applied).reading() as session:
        summary = weekly_summary(session, book.rules, week_of(now.date(), "UTC"), now)
        cards = quarterly_scorecards(session, book.rules, quarter_of(now.date(), "UTC"), now)
    old = f"{OLD[:12]} (tickets created before 2026-01-05T10:00:00Z)"
    new = f"{NEW[:12]} (tickets created from 2026-01-05T10:00:00Z)"
    text = render.weekly_text(summary)
    assert f"Judged by rules {old}: 1 clock; {new}: 1 clock." in text.splitlines()
    sections = text.split("== ")
    acme, nobody = (next(s for s in sections if s.startswith(name)) for name in ("ACME Outsourcing", "no vendor"))
    assert f"judged by rules {new}" in acme.splitlines() and f"judged by rules {old}" in nobody.splitlines()

    rows = list(csv.DictReader(io.StringIO(report_csv.weekly_csv(summary))))
    assert {r["vendor"]: r["rules_versions"] for r in rows if r["metric"] == FR} == {
        "(all)": f"rules {old}: 1 clock; {new}: 1 clock", "acme": f"rules {new}", "globex": "", "": f"rules {old}"}
    html = report_html.weekly_html(summary, None)
    assert f"Judged by rules {old}: 1 clock; {new}: 1 clock." in html
    assert f"<li>ACME Outsourcing: rules {new}</li>" in html
    _, blocks = weekly_message(summary)
    texts = [b.get("text", {}).get("text", "") + "".join(e["text"] for e in b.get("elements", [])) for b in blocks]
    assert f"Judged by rules {old}: 1 clock; {new}: 1 clock." in texts
    assert any(t.startswith("*ACME Outsourcing*") and f"_judged by rules {new}_" in t for t in texts)

    # the scorecards are the vendors': OPS-1 has none, so one version judged them all, pinned or not
    text = render.quarterly_text(cards)
    assert f"Judged by rules {new}." in text.splitlines() and text.count("udged by") == 1
    assert f"rules {new}" in report_csv.quarterly_csv(cards)
    _, blocks = scorecard_message(cards)
    assert {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Judged by rules {new}."}]} in blocks


def test_one_version_is_one_line(app, clock):
    clock.now = at(9, 30)
    store_events(app, jp.created("ACME-1", at(9), project="ACME"), "d1", clock.now)
    now = at(13)
    with get_database(app).reading() as session:
        summary = weekly_summary(session, get_rulebook(app).rules, week_of(now.date(), "UTC"), now)
    text = render.weekly_text(summary)
    assert text.count("udged by") == 1 and f"Judged by rules {OLD[:12]}." in text.splitlines()
    assert report_html.weekly_html(summary, None).count("udged by") == 1


# ---- backtest --------------------------------------------------------------------------------

LOOSER = NEW_YAML.replace("target: 2h, warn_at: [50%]", "target: 3h, warn_at: [50%]")


def test_backtest_judges_pinned_tickets_by_their_version_on_both_sides(applied):
    """At 11:00 OPS-1 breached its first response (1h, pinned); under 3h it would not have."""
    database, schedule = get_database(applied), get_rulebook(applied).schedule
    window = Period("month", "2026-01", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC), "UTC")
    now = at(11)
    _, stale = cached_clocks(database, schedule, window, now, window.start)
    assert stale == set()  # every cached row is of the version that judges its ticket
    _, stale = cached_clocks(database, schedule.current, window, now, window.start)
    assert stale == {"OPS-1"}  # without the pins, OPS-1 would look stale
    pinned = run_backtest(database, schedule, schedule.with_current(parse_rules(LOOSER)), window, now)
    assert pinned.changed_tickets == () and pinned.before == pinned.after
    unpinned = run_backtest(database, schedule, parse_rules(LOOSER), window, now)
    assert unpinned.changed_tickets == ("OPS-1",) and len(unpinned.lost) == 1
    parallel = run_backtest(database, schedule, schedule.with_current(parse_rules(LOOSER)), window, now, workers=2)
    assert parallel.changes == pinned.changes and parallel.after == pinned.after


def test_backtest_command_keeps_the_pins(applied, env, tmp_path):
    proposed = tmp_path / "looser.yaml"
    proposed.write_text(LOOSER, encoding="utf-8")
    result = CliRunner().invoke(cli, ["backtest", "--rules", str(proposed), "--from", "2026-01-01",
                                      "--to", "2026-02-01"], env=env)
    assert result.exit_code == 0, result.output
    assert "tickets whose verdict changes: 0" in result.stdout


# ---- the RuleBook ----------------------------------------------------------------------------

def test_the_rulebook_reads_the_pins_when_the_new_version_comes_into_force(db_url, rules_path, new_yaml,
                                                                           monkeypatch):
    database = Database(db_url)
    book = RuleBook.load(str(rules_path), at(9))
    assert book.publish(database, at(9)) and book.schedule == RuleSchedule(book.rules)
    old_rules = book.rules
    apply_rules(database, str(rules_path), parse_rules(NEW_YAML), FROM, at(9, 30))
    assert book.check(at(9, 31), force=True) and book.rules.version == NEW
    assert book.schedule.current is old_rules and book.schedule.pins == ()  # the old schedule, whole
    assert book.publish(database, at(9, 31))
    assert book.schedule.current is book.rules and [p.rules.version for p in book.schedule.pins] == [OLD]
    pinned = book.schedule.pins[0].rules
    monkeypatch.setattr(store.rulebook, "PINS_REFRESH_SECONDS", 0.0)
    assert book.publish(database, at(9, 32)) and book.schedule.pins[0].rules is pinned  # parsed once
    database.dispose()


def test_pins_added_elsewhere_are_read_within_the_refresh_interval(db_url, rules_path, tmp_path, monkeypatch):
    """Another host's copy of the file gets `rules apply`; this host's file gets NEW by deployment."""
    database = Database(db_url)
    book = RuleBook.load(str(rules_path), at(9))
    assert book.publish(database, at(9))
    elsewhere = tmp_path / "other-host.yaml"
    elsewhere.write_text(RULES_YAML, encoding="utf-8")
    rules_path.write_text(NEW_YAML, encoding="utf-8")
    assert book.check(at(9, 1), force=True) and book.publish(database, at(9, 1))
    assert book.schedule.pins == ()
    apply_rules(database, str(elsewhere), parse_rules(NEW_YAML), FROM, at(9, 2))
    assert book.publish(database, at(9, 3)) and book.schedule.pins == ()  # not looked yet
    monkeypatch.setattr(store.rulebook, "PINS_REFRESH_SECONDS", 0.0)
    assert book.publish(database, at(9, 4)) and [p.rules.version for p in book.schedule.pins] == [OLD]
    database.dispose()


def test_a_pinned_version_that_no_longer_parses_is_left_out_and_logged(db_url, rules_path, caplog):
    database = Database(db_url)
    apply_rules(database, str(rules_path), parse_rules(NEW_YAML), FROM, at(9))
    database.write(lambda s: s.execute(update(RuleVersion).where(RuleVersion.version == OLD)
                                       .values(text="version: 1\npolicies: soon\n")))
    book = RuleBook.load(str(rules_path), at(9))
    with caplog.at_level(logging.ERROR, logger="store.rulebook"):
        assert book.publish(database, at(9))
    assert book.schedule.pins == () and book.rules.version == NEW
    assert f"pinned rules version {OLD[:12]} no longer parses" in caplog.text
    database.dispose()


# ---- the command line: listing, errors ---------------------------------------------------------

def test_rules_pins_lists_the_schedule(env, new_yaml, rules_path):
    empty = run("pins", env=env)
    assert empty.exit_code == 0 and empty.stdout == f"every ticket: {OLD[:12]} (in {rules_path} now)\n"
    assert run("apply", str(new_yaml), "--from", "2026-01-05", env=env).exit_code == 0
    listed = run("pins", env=env)
    lines = listed.stdout.splitlines()
    assert listed.exit_code == 0 and len(lines) == 2
    assert lines[0].startswith(f"tickets created before 2026-01-05: {OLD[:12]} (pinned ")
    assert lines[0].endswith(f", when {NEW[:12]} was applied)")
    assert lines[1] == f"tickets created from 2026-01-05: {NEW[:12]} (in {rules_path} now)"


def test_a_date_is_midnight_utc_and_an_instant_keeps_its_offset(env, db_url, new_yaml, tmp_path):
    assert run("apply", str(new_yaml), "--from", "2026-01-05", env=env).exit_code == 0
    later = tmp_path / "later.yaml"
    later.write_text(RULES_YAML, encoding="utf-8")  # back to the first version, for later tickets
    assert run("apply", str(later), "--from", "2026-02-01T09:00:00+01:00", env=env).exit_code == 0
    assert pins(db_url) == [(datetime(2026, 1, 5, tzinfo=UTC), OLD, NEW),
                            (datetime(2026, 2, 1, 8, tzinfo=UTC), NEW, OLD)]


def test_applying_the_version_in_force_changes_nothing(env, db_url, rules_path):
    result = run("apply", str(rules_path), "--from", "2026-01-05", env=env)
    assert result.exit_code == 0 and "nothing changed" in result.stdout
    assert pins(db_url) == []
    assert run("apply", str(rules_path), "--from", "2026-01-05", env=env).exit_code == 0


def assert_nothing_changed(db_url: str, rules_path: Path, text: str = RULES_YAML) -> None:
    assert rules_path.read_text(encoding="utf-8") == text
    assert pins(db_url) == []
    assert [p.name for p in rules_path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_bad_new_file_is_reported_by_line_and_changes_nothing(env, db_url, rules_path, new_yaml):
    new_yaml.write_text(NEW_YAML.replace("target: 2h", "target: soon"), encoding="utf-8")
    result = run("apply", str(new_yaml), "--from", "2026-01-05", env=env)
    assert result.exit_code == 1 and f"{new_yaml}:26:32: bad duration 'soon'" in result.stderr
    assert "Traceback" not in result.output
    missing = run("apply", str(new_yaml.with_name("nope.yaml")), "--from", "2026-01-05", env=env)
    assert missing.exit_code == 1
    assert "nope.yaml:1:1: cannot read the file: No such file or directory" in missing.stderr
    assert_nothing_changed(db_url, rules_path)


@pytest.mark.parametrize("date", ["2026-13-01", "2026-02-30", "yesterday", "2026-01-05T10:00", "05/01/2026", ""])
def test_a_bad_date_is_refused(env, db_url, rules_path, new_yaml, date):
    result = run("apply", str(new_yaml), "--from", date, env=env)
    assert result.exit_code == 1 and f"rules apply: bad --from {date!r}: use a date, YYYY-MM-DD" in result.stderr
    assert_nothing_changed(db_url, rules_path)


def test_a_date_not_after_the_last_pin_is_refused(env, db_url, rules_path, new_yaml, tmp_path):
    assert run("apply", str(new_yaml), "--from", "2026-03-01", env=env).exit_code == 0
    back = tmp_path / "back.yaml"
    back.write_text(RULES_YAML, encoding="utf-8")
    for date in ("2026-03-01", "2026-02-01"):
        result = run("apply", str(back), "--from", date, env=env)
        assert result.exit_code == 1
        assert "pinned for tickets created before 2026-03-01T00:00:00Z already" in result.stderr
    assert rules_path.read_text(encoding="utf-8") == NEW_YAML and len(pins(db_url)) == 1


def test_a_broken_rules_file_in_force_is_refused(env, db_url, rules_path, new_yaml):
    broken = RULES_YAML.replace("target: 1h", "target: soon")
    rules_path.write_text(broken, encoding="utf-8")
    result = run("apply", str(new_yaml), "--from", "2026-01-05", env=env)
    assert result.exit_code == 1 and "does not hold valid rules" in result.stderr
    assert f"{rules_path}:26:32: bad duration 'soon'" in result.stderr
    assert_nothing_changed(db_url, rules_path, broken)


@contextmanager
def unchangeable(path: Path):
    """`path` cannot be changed (a directory: nothing created in it): `chattr +i` as root,
    read-only permissions for anybody else."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)],
                                                        capture_output=True).returncode:
        pytest.skip("root, and chattr +i does not work here: cannot make a path unwritable")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.fixture
def etc_rules(tmp_path) -> Path:
    """The rules file alone in its directory (the database stays writable)."""
    path = tmp_path / "etc" / "rules.yaml"
    path.parent.mkdir()
    path.write_text(RULES_YAML, encoding="utf-8")
    return path


def test_an_unwritable_directory_changes_nothing(env, db_url, etc_rules, new_yaml):
    with unchangeable(etc_rules.parent):
        result = run("apply", str(new_yaml), "--from", "2026-01-05", "--rules", str(etc_rules), env=env)
    assert result.exit_code == 1, result.output
    assert f"rules apply: cannot write {etc_rules}:" in result.stderr and "nothing was changed" in result.stderr
    assert_nothing_changed(db_url, etc_rules)


def test_a_file_that_cannot_be_replaced_leaves_no_pin(env, db_url, etc_rules, new_yaml):
    """The pin is stored before the file is replaced; when the replace fails it is deleted again."""
    if os.geteuid() != 0:
        pytest.skip("replacing a read-only file in a writable directory works for its owner")
    with unchangeable(etc_rules):
        result = run("apply", str(new_yaml), "--from", "2026-01-05", "--rules", str(etc_rules), env=env)
    assert result.exit_code == 1, result.output
    assert f"cannot replace {etc_rules}" in result.stderr and "nothing was changed" in result.stderr
    assert_nothing_changed(db_url, etc_rules)


def test_a_symlinked_rules_file_is_replaced_where_it_points(env, db_url, etc_rules, new_yaml, tmp_path):
    link = tmp_path / "rules-link.yaml"
    link.symlink_to(etc_rules)
    result = run("apply", str(new_yaml), "--from", "2026-01-05", "--rules", str(link), env=env)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and etc_rules.read_text(encoding="utf-8") == NEW_YAML


def test_the_new_file_keeps_the_permissions_of_the_old(env, etc_rules, new_yaml):
    etc_rules.chmod(0o640)
    assert run("apply", str(new_yaml), "--from", "2026-01-05", "--rules", str(etc_rules), env=env).exit_code == 0
    assert etc_rules.stat().st_mode & 0o777 == 0o640 and etc_rules.read_text(encoding="utf-8") == NEW_YAML


def test_apply_refuses_a_database_it_cannot_reach(rules_path, new_yaml):
    database = Database("sqlite:////nonexistent-dir/slawatch.db")
    with pytest.raises(ApplyError, match="cannot store the pin"):
        apply_rules(database, str(rules_path), parse_rules(NEW_YAML), FROM, at(9))
    database.dispose()
    assert rules_path.read_text(encoding="utf-8") == RULES_YAML
    assert [p.name for p in rules_path.parent.iterdir() if p.name.endswith(".tmp")] == []


# ---- the running service: integration with the worker -----------------------------------------

def test_the_worker_tick_keeps_pinned_tickets_pinned(applied, clock, rules_path):
    rules_path.write_text(EDITED_YAML, encoding="utf-8")
    clock.now = at(11)
    get_ticker(applied).tick()
    assert clocks(applied)[("OPS-1", FR)] == (3600, OLD)


def test_a_webhook_on_a_pinned_ticket_keeps_its_version(applied, clock, post_jira):
    clock.now = at(11)
    assert post_jira(jp.commented("OPS-1", at(10, 50)), delivery="c1").status_code == 200
    assert clocks(applied)[("OPS-1", RES)] == (8 * 3600, OLD)
    assert clocks(applied)[("OPS-1", FR)] == (3600, OLD)
