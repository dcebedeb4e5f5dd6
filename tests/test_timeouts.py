"""Issue 12: a sick database gives 503 + Retry-After within a few seconds, never a hang: a
write-locked SQLite file, and PostgreSQL connections with connect/TCP/statement timeouts."""
from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import OperationalError

from store.db import Database, make_engine
from tests import jira_payloads as jp
from tests.conftest import row_counts
from tests.test_recompute_isolation import T9


def test_a_write_locked_sqlite_file_answers_503_with_retry_after(app, db_url, dialect):
    if dialect != "sqlite":
        pytest.skip("SQLite's write lock")
    before = row_counts(app)
    holder = sqlite3.connect(make_url(db_url).database, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock ...
    release = threading.Event()

    def hold() -> None:  # ... for 12 s, unless the webhook was answered before
        release.wait(12)
        holder.execute("ROLLBACK")

    holding = threading.Thread(target=hold, daemon=True)
    holding.start()
    try:
        response = app.test_client().post("/webhooks/jira", json=jp.created("OPS-1", T9))
    finally:
        release.set()
        holding.join()  # the lock is given back before the connection closes
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert response.json["error"] == "unavailable"
    assert row_counts(app) == before
    holder.close()


def test_postgresql_connections_carry_the_timeouts(db_url, dialect):
    if dialect != "postgresql":
        pytest.skip("PostgreSQL settings")
    database = Database(db_url)
    try:
        with database.reading() as session:
            assert session.execute(text("SHOW statement_timeout")).scalar_one() == "1min"
            assert session.execute(text("SHOW tcp_user_timeout")).scalar_one() in ("0", "10s")  # server side
    finally:
        database.dispose()
    engine = make_engine(db_url, statement_timeout_ms=200)
    try:
        with engine.connect() as connection, pytest.raises(OperationalError) as caught:
            connection.execute(text("SELECT pg_sleep(5)"))
        assert "statement timeout" in str(caught.value)
    finally:
        engine.dispose()
