"""The store on a real database: migrations, time zones, idempotent writes, concurrent writers."""
from __future__ import annotations

from dataclasses import replace

import threading
from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from connectors.jira import parse_webhook
from processors.sla import evaluate
from store.db import Database, alembic_config, get_database, upgrade
from store.models import Base, ClockRow, RuleVersion, ServiceState
from store.recompute import recompute_ticket
from store.repo import (
    ensure_tickets, load_events, lock_ticket, record_delivery, record_events, record_rule_version,
    save_ticket_state, set_service_state,
)
from store.rulebook import get_rulebook
from tests import jira_payloads as jp
from tests.conftest import table_rows

UTC = timezone.utc
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    yield database
    database.dispose()


def test_migrations_create_exactly_the_models(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        tables = set(inspect(connection).get_table_names())
    assert {"tickets", "events", "deliveries", "clocks", "rule_versions", "service_state"} <= tables


def test_migrations_downgrade_and_upgrade_again(db_url, db):
    command.downgrade(alembic_config(db_url), "base")
    with db.engine.connect() as connection:
        assert "events" not in inspect(connection).get_table_names()
    upgrade(db_url)
    with db.engine.connect() as connection:
        assert "events" in inspect(connection).get_table_names()


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(db, dialect):
    if dialect != "sqlite":
        pytest.skip("SQLite pragmas")
    with db.engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert (pragma("journal_mode"), pragma("busy_timeout"), pragma("foreign_keys")) == ("wal", 5000, 1)


def test_instants_round_trip_as_aware_utc(db):
    shanghai = timezone(timedelta(hours=8))
    db.write(lambda s: set_service_state(s, "probe", "x", datetime(2026, 1, 5, 20, 30, 0, 123456, tzinfo=shanghai)))
    with db.reading() as session:
        stored = session.get(ServiceState, "probe").updated_at
    assert stored == datetime(2026, 1, 5, 12, 30, 0, 123456, tzinfo=UTC)
    assert stored.tzinfo == UTC
    with pytest.raises(StatementError, match="naive datetime"):
        db.write(lambda s: set_service_state(s, "probe", "y", datetime(2026, 1, 5, 12, 0)))


def test_deliveries_and_events_are_stored_once(db):
    events = parse_webhook(jp.load_fixture("issue_updated__resolved"))
    assert len(events) == 2

    def store(session):
        ensure_tickets(session, ["OPS-1"])
        return record_delivery(session, "jira", "d-1", NOW, len(events)), record_events(session, events, NOW)

    assert db.write(store) == (True, 2)
    assert db.write(store) == (False, 0)
    with db.reading() as session:
        loaded = load_events(session, "OPS-1")
    assert [e.to_json() for e in loaded] == [e.to_json() for e in sorted(events, key=lambda e: e.sort_key())]


def test_events_need_their_ticket_row(db):
    events = parse_webhook(jp.load_fixture("issue_created"))
    with pytest.raises(IntegrityError):  # the foreign key, on both databases
        db.write(lambda s: record_events(s, events, NOW))


def test_save_ticket_state_rewrites_only_the_clocks_that_changed(app, db):
    """A clock that only ran on (elapsed, computed_at) is left as stored: its elapsed is as of its
    computed_at, which readers complete; one that changed is rewritten (store/repo.py
    `_replace_clocks`); a clock the new state no longer has is removed."""
    rules = get_rulebook(app).rules
    events = parse_webhook(jp.load_fixture("issue_created"))
    db.write(lambda s: (ensure_tickets(s, ["OPS-1"]), record_events(s, events, NOW)))
    later = NOW + timedelta(minutes=10)

    def save(now, version=rules.version, keep=None):
        state = evaluate(events, rules, now)
        if keep is not None:
            state = replace(state, clocks=tuple(c for c in state.clocks if c.metric in keep))
        db.write(lambda s: save_ticket_state(s, state, version, now))
        with db.reading() as session:
            return [(c.metric, c.computed_at, c.rules_version, c.elapsed_seconds)
                    for c in session.scalars(select(ClockRow).order_by(ClockRow.metric))]

    first = save(NOW)
    assert [(m, at, v) for m, at, v, _ in first] == [("first_response", NOW, rules.version),
                                                      ("resolution", NOW, rules.version)]
    assert save(later) == first  # both only ran on for 10 minutes: kept as stored
    assert [(m, at, v) for m, at, v, _ in save(later, "v2")] == [  # judged by other rules: rewritten
        ("first_response", later, "v2"), ("resolution", later, "v2")]
    assert [m for m, *_ in save(later, "v2", keep={"resolution"})] == ["resolution"]


def test_rule_versions_keep_first_seen_and_update_loaded_at(db):
    db.write(lambda s: record_rule_version(s, "v1", "version: 1\n", "a.yaml", NOW))
    db.write(lambda s: record_rule_version(s, "v1", "version: 1\n", "b.yaml", NOW + timedelta(days=1)))
    with db.reading() as session:
        (row,) = session.scalars(select(RuleVersion)).all()
    assert (row.first_seen_at, row.loaded_at, row.path) == (NOW, NOW + timedelta(days=1), "b.yaml")


def test_concurrent_deliveries_for_one_ticket_lose_no_update(app, clock, post_jira):
    """Twenty status changes of one ticket posted at once: the stored clocks must be exactly
    what the whole event log gives, as if the deliveries had come one after another."""
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    clock.now = start + timedelta(hours=2)
    ticket = jp.JiraTicket("OPS-77", start)
    assert post_jira(ticket.created(), delivery="c0").status_code == 200
    statuses = ["Waiting for customer", "In Progress"] * 10
    payloads = [ticket.status_changed(start + timedelta(minutes=i + 1), status, actor=jp.AGENT)
                for i, status in enumerate(statuses)]
    barrier, answers = threading.Barrier(len(payloads)), []

    def deliver(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        answers.append(post_jira(payloads[n], delivery=f"c{n + 1}", using=client).status_code)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(len(payloads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * len(payloads)
    stored = table_rows(app, "clocks")
    database, rules = get_database(app), get_rulebook(app).rules
    database.write(lambda s: (lock_ticket(s, "OPS-77"), recompute_ticket(s, "OPS-77", rules, clock.now)))
    assert table_rows(app, "clocks") == stored
    with database.reading() as session:
        assert len(load_events(session, "OPS-77")) == 21
        assert session.execute(text("SELECT count(*) FROM deliveries")).scalar_one() == 21
