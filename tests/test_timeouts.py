"""Issue 12: a sick database gives 503 + Retry-After within a few seconds, never a hang: a
write-locked SQLite file, PostgreSQL connections with connect/TCP/statement timeouts, and a
PostgreSQL behind a network that swallows packets (tests/tcp_proxy.py)."""
from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import make_url, select, text
from sqlalchemy.exc import OperationalError

from store.db import Database, get_database, make_engine
from store.models import Delivery
from tests import jira_payloads as jp
from tests.conftest import row_counts
from tests.tcp_proxy import TcpProxy
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


def answered(call, seconds: float = 60.0):
    """`call()` in a thread; its result, or a failure if it still hangs after `seconds` (a guard
    against a hang, not a measurement)."""
    result: list = []
    worker = threading.Thread(target=lambda: result.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert result, "no answer: the request hangs"
    return result[0]


def test_a_database_behind_a_blackhole_gives_503_not_a_hang_and_recovers(make_app, db_url, dialect, clock):
    """A network that swallows the packets (a proxy that stops forwarding without closing): the
    TCP connections look healthy, so only the client-side deadlines (store/deadlines.py) end
    the wait. Webhooks and /healthz answer 503, then work again once the network heals."""
    if dialect != "postgresql":
        pytest.skip("a TCP proxy in front of PostgreSQL (SQLite has no network)")
    url = make_url(db_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    app = make_app(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    client = app.test_client()
    clock.now = T9

    def webhook(key: str, delivery: str):
        return client.post("/webhooks/jira", json=jp.created(key, T9), headers={"X-Atlassian-Webhook-Identifier": delivery})

    try:
        assert webhook("OPS-1", "d1").status_code == 200  # the pool holds live connections
        assert client.get("/healthz").status_code == 200
        proxy.blackhole()
        refused = answered(lambda: webhook("OPS-2", "d2"))
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "30"
        assert refused.json["error"] == "unavailable"
        health = answered(lambda: client.get("/healthz"))
        assert health.status_code == 503 and health.json["database"]["ok"] is False
        proxy.heal()
        assert webhook("OPS-2", "d2").status_code == 200  # Jira's retry of the refused delivery
        assert client.get("/healthz").status_code == 200
        with get_database(app).reading() as session:
            assert session.scalars(select(Delivery.delivery_id).order_by(Delivery.delivery_id)).all() == ["d1", "d2"]
    finally:
        proxy.stop()
