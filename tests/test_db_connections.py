"""Database connections: SQLite's synchronous setting, and a PostgreSQL connection that died in
the pool (a restarted server) costing one retried write, not a ping before every request."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from store.db import Database, upgrade
from store.repo import get_service_state, set_service_state

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("setting, pragma", [(None, 1), ("normal", 1), ("full", 2), ("FULL", 2)])
def test_sqlite_synchronous_follows_the_setting(tmp_path, monkeypatch, setting, pragma):
    if setting is None:
        monkeypatch.delenv("SLAWATCH_SQLITE_SYNCHRONOUS", raising=False)
    else:
        monkeypatch.setenv("SLAWATCH_SQLITE_SYNCHRONOUS", setting)
    db = Database(f"sqlite:///{tmp_path}/s.db")
    try:
        with db.reading() as session:
            assert session.execute(text("PRAGMA synchronous")).scalar() == pragma  # 1 NORMAL, 2 FULL
    finally:
        db.dispose()


def test_a_bad_synchronous_setting_is_refused_with_its_name(tmp_path, monkeypatch):
    monkeypatch.setenv("SLAWATCH_SQLITE_SYNCHRONOUS", "off")
    with pytest.raises(ValueError, match="SLAWATCH_SQLITE_SYNCHRONOUS must be normal or full, not 'off'"):
        Database(f"sqlite:///{tmp_path}/s.db")


def test_a_write_on_a_connection_the_server_dropped_is_retried_once(db_url, dialect):
    if dialect != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server connection to lose")
    upgrade(db_url)
    db, killer = Database(db_url), Database(db_url)
    try:
        db.write(lambda session: set_service_state(session, "probe", "before", NOW))
        with db.reading() as session:  # the pooled connection's server process
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
        with killer.reading() as session:
            assert session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        db.write(lambda session: set_service_state(session, "probe", "after", NOW))
        with db.reading() as session:
            assert get_service_state(session, "probe").value == "after"
    finally:
        db.dispose()
        killer.dispose()
