"""Issue 12: the last good rules survive restarts. A process that starts with a broken rules file
after a good one was put in force runs on the version stored in the database, reports the error
(/healthz, log, /rules) and picks up the file once fixed; only a first start refuses."""
from __future__ import annotations

import logging
import signal
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from processors.rules import RulesError
from scheduler import get_ticker
from tests import jira_payloads as jp
from tests.test_service_cli import BROKEN, LONGER, service_env, start, stop, wait_for  # noqa: F401

T9 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def test_a_restart_with_a_broken_file_runs_on_the_last_good_rules(make_app, db_url, rules_path, clock, caplog):
    first = make_app(db_url)  # a good start: its version is stored
    good = first.test_client().get("/healthz").json["rules"]["version"]
    rules_path.write_text(BROKEN, encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="store.rulebook"):
        restarted = make_app(db_url)  # a gunicorn worker restarting (SIGHUP, or a crashed worker)
    assert f"{rules_path}:26:32: bad duration" in caplog.text
    client = restarted.test_client()
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json["rules"]["version"] == good
    assert health.json["rules"]["last_reload_error"]["lines"][0].startswith(f"{rules_path}:26:32: ")
    assert f"{rules_path}:26:32: bad duration" in client.get("/rules").get_data(as_text=True)

    response = client.post("/webhooks/jira", json=jp.created("OPS-1", T9))
    assert response.status_code == 200
    assert client.get("/api/tickets/OPS-1").json["clocks"][0]["target_seconds"] == 3600  # the good rules

    rules_path.write_text(LONGER, encoding="utf-8")  # the admin fixes the file
    clock.now += timedelta(minutes=1)
    get_ticker(restarted).tick()
    health = client.get("/healthz").json
    assert health["rules"]["version"] != good and health["rules"]["last_reload_error"] is None
    assert client.get("/api/tickets/OPS-1").json["clocks"][0]["target_seconds"] == 7200


def test_a_first_start_with_a_broken_file_still_refuses(make_app, db_url, rules_path):
    rules_path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        make_app(db_url)
    assert str(caught.value).startswith(f"{rules_path}:26:32: ")


def test_a_deleted_rules_file_is_reported_once(app, rules_path, clock, caplog):
    book = app.extensions["slawatch.rules"]
    rules_path.unlink()
    with caplog.at_level(logging.ERROR, logger="store.rulebook"):
        for _ in range(5):
            clock.now += timedelta(seconds=1)
            book.check(clock.now, force=True)
    failures = [r for r in caplog.records if "rules reload failed" in r.getMessage()]
    assert len(failures) == 1 and "cannot read the file" in failures[0].getMessage()
    assert book.last_error is not None


def test_a_restarted_worker_with_a_broken_file_keeps_working(service_env, db_url, rules_path, tmp_path, make_app):
    make_app(db_url)  # a good version was put in force before
    rules_path.write_text(BROKEN, encoding="utf-8")
    engine = create_engine(db_url)
    log = tmp_path / "worker.log"
    process = start(service_env, "worker", log=log)

    def scalar(sql: str) -> Any:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar()

    try:
        wait_for(lambda: scalar("SELECT value FROM service_state WHERE key = 'scheduler.last_tick_at'"))
        assert process.poll() is None
        assert scalar("SELECT value FROM service_state WHERE key = 'rules.reload_error'").startswith(
            f"{rules_path}:26:32: ")
        rules_path.write_text(LONGER, encoding="utf-8")
        process.send_signal(signal.SIGHUP)
        wait_for(lambda: scalar("SELECT count(*) FROM rule_versions") == 2)
        wait_for(lambda: scalar("SELECT value FROM service_state WHERE key = 'rules.reload_error'") is None)
    finally:
        code = stop(process)
        engine.dispose()
    assert code == 0, log.read_text()
    assert "running on the last good version" in log.read_text()
