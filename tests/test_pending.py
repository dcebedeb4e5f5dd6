"""The webhook stores and answers; the worker recomputes (store/pending.py): what waits, what the
API shows meanwhile, how the loop and the tick catch up, what /healthz and /metrics say, and how
writers to one SQLite file take turns (store/db.py WriterQueue)."""
from __future__ import annotations

import fcntl
import multiprocessing
import os
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from connectors.jira import parse_webhook
from scheduler import LAST_TICK_KEY, get_ticker
from store.db import Database, WriterQueue, get_database
from store.ingest import store_delivery
from store.models import ClockRow, Event, PendingRecompute
from store.pending import mark_pending
from store.repo import get_service_state
from tests import jira_payloads as jp
from tests.conftest import recompute_marked

UTC = timezone.utc
T9 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def pending(app) -> dict[str, int]:
    with get_database(app).reading() as session:
        return {row.ticket: row.mark for row in session.scalars(select(PendingRecompute))}


def clock_states(app, key: str) -> dict[str, str]:
    with get_database(app).reading() as session:
        return {row.metric: row.state for row in session.scalars(select(ClockRow).where(ClockRow.ticket == key))}


def post(client, payload, delivery: str):
    response = client.post("/webhooks/jira", json=payload, headers={"X-Atlassian-Webhook-Identifier": delivery})
    assert response.status_code == 200, response.json
    return response.json


def test_a_stored_webhook_waits_for_the_worker_and_the_ticket_api_is_current_meanwhile(app, client, clock):
    clock.now = T9 + timedelta(minutes=1)
    assert post(client, jp.created("OPS-1", T9), "d1") == {"status": "ok", "events": 1}
    assert pending(app) == {"OPS-1": 1} and clock_states(app, "OPS-1") == {}
    live = client.get("/api/tickets/OPS-1").json  # evaluated from the events, not from the cache
    assert {c["metric"]: c["state"] for c in live["clocks"]} == {"first_response": "running", "resolution": "running"}

    recompute_marked(app)
    assert pending(app) == {}
    assert clock_states(app, "OPS-1") == {"first_response": "running", "resolution": "running"}
    assert client.get("/api/tickets/OPS-1").json == live


def test_each_new_delivery_marks_again_and_a_duplicate_marks_nothing(app, client, clock):
    clock.now = T9 + timedelta(minutes=5)
    post(client, jp.created("OPS-2", T9), "d1")
    assert post(client, jp.created("OPS-2", T9), "d1") == {"status": "duplicate"}
    assert post(client, jp.created("OPS-2", T9), "d2") == {"status": "ok", "events": 0}  # same event again
    assert pending(app) == {"OPS-2": 1}
    post(client, jp.commented("OPS-2", T9 + timedelta(minutes=2)), "d3")
    assert pending(app) == {"OPS-2": 2}
    recompute_marked(app)
    assert pending(app) == {} and clock_states(app, "OPS-2") == {"first_response": "stopped", "resolution": "running"}


def test_marks_of_many_tickets_in_one_call_count_per_ticket(app):
    db = get_database(app)
    db.write(lambda session: mark_pending(session, ["B-1", "A-1", "B-1"], T9))
    db.write(lambda session: mark_pending(session, ["A-1"], T9 + timedelta(seconds=1)))
    assert pending(app) == {"A-1": 2, "B-1": 1}
    with db.reading() as session:
        since = {row.ticket: row.since for row in session.scalars(select(PendingRecompute))}
    assert since == {"A-1": T9, "B-1": T9}  # `since` is the first mark: the wait is measured from it


def test_the_tick_recomputes_what_waits_before_it_plans(app, client, clock, caplog):
    clock.now = T9 + timedelta(hours=3)  # the webhook arrives late: the first response is overdue
    post(client, jp.created("OPS-3", T9), "d1")
    assert clock_states(app, "OPS-3") == {}
    assert get_ticker(app).tick() == []
    assert "alert:OPS-3:first_response:1:breach" in caplog.text  # planned (these rules name no channel)
    assert pending(app) == {}
    with get_database(app).reading() as session:
        first = session.scalars(select(ClockRow).where(ClockRow.ticket == "OPS-3", ClockRow.metric == "first_response")).one()
    assert first.breached_at == T9 + timedelta(hours=1)


def ticked(app) -> bool:
    with get_database(app).reading() as session:
        return get_service_state(session, LAST_TICK_KEY) is not None


def wait_until(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_started_ticker_catches_up_without_a_tick(make_app, db_url, clock):
    clock.now = T9 + timedelta(minutes=1)
    app = make_app(db_url, SLAWATCH_TICK_SECONDS=3600)  # the recompute loop, not the tick, must do it
    ticker = get_ticker(app)
    ticker.start()
    try:
        wait_until(lambda: ticked(app))  # the first tick runs at start; the next is an hour away
        post(app.test_client(), jp.created("OPS-4", T9), "d1")
        wait_until(lambda: not pending(app))
    finally:
        ticker.stop()
    assert pending(app) == {}
    assert clock_states(app, "OPS-4") == {"first_response": "running", "resolution": "running"}


def test_healthz_and_metrics_show_a_recompute_that_lags(app, client, clock):
    clock.now = T9 + timedelta(minutes=1)
    post(client, jp.created("OPS-5", T9), "d1")
    clock.now += timedelta(seconds=30)
    body = client.get("/healthz").json
    assert body["status"] == "ok"
    assert body["recompute"] == {"ok": True, "pending_tickets": 1, "oldest_marked_at": "2026-01-05T09:01:00Z",
                                 "lag_seconds": 30.0, "quarantine": {"tickets": 0, "latest": []}}
    clock.now += timedelta(minutes=2)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["status"] == "degraded"
    assert response.json["recompute"]["ok"] is False and response.json["recompute"]["lag_seconds"] == 150.0
    scraped = client.get("/metrics").get_data(as_text=True)
    assert "slawatch_recompute_pending 1.0" in scraped and "slawatch_recompute_lag_seconds 150.0" in scraped
    recompute_marked(app)
    assert client.get("/healthz").json["recompute"]["pending_tickets"] == 0


def _store_many(url: str, prefix: str, count: int) -> None:
    db = Database(url)
    now = T9 + timedelta(hours=1)
    for n in range(count):
        events = parse_webhook(jp.created(f"{prefix}-{n}", T9 + timedelta(seconds=n)))
        store_delivery(db, "jira", f"{prefix}-{n}", events, now)
    db.dispose()


def test_two_processes_store_at_once_and_lose_nothing(db_url):
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_store_many, args=(db_url, prefix, 150)) for prefix in ("A", "B")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    db = Database(db_url)
    with db.reading() as session:
        assert len(session.scalars(select(Event.id)).all()) == 300
        assert len(session.scalars(select(PendingRecompute.ticket)).all()) == 300
    db.dispose()


def test_writers_to_one_sqlite_file_take_turns_on_its_lock_file(tmp_path):
    queue = WriterQueue.for_url(f"sqlite:///{tmp_path / 'x.db'}")
    assert WriterQueue.for_url("sqlite://") is None and WriterQueue.for_url("postgresql+psycopg://h/db") is None
    other = os.open(queue.path, os.O_RDWR | os.O_CREAT)  # another process's open file
    try:
        with queue.turn():
            with queue.turn():  # a nested turn of the same thread does not wait for itself
                with pytest.raises(BlockingIOError):
                    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with pytest.raises(BlockingIOError):  # still held until the outer turn ends
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
        fcntl.flock(other, fcntl.LOCK_UN)
    finally:
        os.close(other)
