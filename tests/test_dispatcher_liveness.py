"""Issue 12: a dispatcher killed in the middle of a post leaves its outbox row `sending`; another
process takes it over as soon as the dead one's heartbeat is stale (store/dispatchers.py), not
after the 120 s claim timeout, and the outbox look-up keeps it exactly once."""
from __future__ import annotations

import signal
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from connectors.slack import WebApiSender
from scheduler.dispatch import Dispatcher
from store import dispatchers, outbox
from store.db import Database
from store.models import DispatcherBeat, OutboxMessage
from store.outbox import CLAIM_TIMEOUT, Outgoing
from tests.fake_slack import FakeSlack, fake_slack  # noqa: F401  (the fixture)
from tests.test_service_cli import service_env, start, wait_for  # noqa: F401  (the fixture)

UTC = timezone.utc
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
KEY = "alert:OPS-1:resolution:1:breach"


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    yield database
    database.dispose()


def put(db: Database, now: datetime, key: str = KEY) -> None:
    db.write(lambda session: outbox.enqueue(session, Outgoing(key, "breach", "#acme-sla", f"text of {key}"), now))


def row_of(db: Database, key: str = KEY) -> OutboxMessage:
    with db.reading() as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).one()


def beats(db: Database) -> dict[str, datetime]:
    with db.reading() as session:
        return {row.id: row.heartbeat_at for row in session.scalars(select(DispatcherBeat))}


# ---- claims, with `now` as an argument ------------------------------------------------------

def test_a_row_whose_claimer_stopped_beating_is_taken_over_after_dead_after(db):
    put(db, NOW)
    dispatchers.beat(db, "A", NOW)
    assert [r.key for r in outbox.claim(db, "A", NOW)] == [KEY]
    dispatchers.beat(db, "A", NOW + timedelta(seconds=10))  # alive: beating
    assert outbox.claim(db, "B", NOW + timedelta(seconds=10) + dispatchers.DEAD_AFTER) == []
    late = NOW + timedelta(seconds=10) + dispatchers.DEAD_AFTER + timedelta(seconds=1)  # A died at 10 s
    taken = outbox.claim(db, "B", late)
    assert [(r.key, r.stale, r.previous_claimer, r.previous_claim_at, r.attempts) for r in taken] == [
        (KEY, True, "A", NOW, 2)]
    assert late < NOW + CLAIM_TIMEOUT  # long before the claim timeout
    assert not outbox.mark_sent(db, taken[0], late, "C1", "1.1", "A")  # A lost its claim
    assert outbox.mark_sent(db, taken[0], late, "C1", "1.1", "B")


def test_healthz_counts_the_live_dispatchers_and_the_rows_of_dead_ones(db):
    put(db, NOW)
    dispatchers.beat(db, "A", NOW)
    dispatchers.beat(db, "B", NOW)
    assert [r.key for r in outbox.claim(db, "A", NOW)] == [KEY]
    with db.reading() as session:
        assert dispatchers.liveness(session, NOW) == {"alive": 2, "rows_of_dead_dispatchers": 0}
    dispatchers.beat(db, "B", NOW + timedelta(seconds=20))  # A stopped beating at NOW, holding KEY
    with db.reading() as session:
        assert dispatchers.liveness(session, NOW + timedelta(seconds=20)) == {
            "alive": 1, "rows_of_dead_dispatchers": 1}


def test_a_claimer_without_a_heartbeat_waits_for_the_claim_timeout(db):
    """The last resort: a claim of a dispatcher that never beat (an older release)."""
    put(db, NOW)
    outbox.claim(db, "old-release", NOW)
    assert outbox.claim(db, "B", NOW + CLAIM_TIMEOUT) == []
    assert [r.previous_claimer for r in outbox.claim(db, "B", NOW + CLAIM_TIMEOUT + timedelta(seconds=1))] == [
        "old-release"]


def test_a_beating_dispatcher_keeps_its_rows_until_the_claim_timeout(db):
    put(db, NOW)
    outbox.claim(db, "A", NOW)
    for second in range(0, 121, 2):
        dispatchers.beat(db, "A", NOW + timedelta(seconds=second))
        assert outbox.claim(db, "B", NOW + timedelta(seconds=second)) == []
    assert [r.key for r in outbox.claim(db, "B", NOW + CLAIM_TIMEOUT + timedelta(seconds=1))] == [KEY]


def test_a_retired_dispatcher_s_rows_are_taken_over_at_once(db):
    put(db, NOW)
    dispatchers.beat(db, "A", NOW)
    outbox.claim(db, "A", NOW)
    dispatchers.retire(db, "A")
    assert [r.previous_claimer for r in outbox.claim(db, "B", NOW)] == ["A"]


def test_long_gone_dispatchers_are_forgotten_unless_they_hold_a_claim(db):
    put(db, NOW - timedelta(days=3))
    dispatchers.beat(db, "gone", NOW - timedelta(days=2))
    dispatchers.beat(db, "holding", NOW - timedelta(days=2))
    outbox.claim(db, "holding", NOW - timedelta(days=2))
    dispatchers.beat(db, "B", NOW)
    assert set(beats(db)) == {"holding", "B"}


def test_a_dispatcher_without_a_fresh_heartbeat_posts_nothing(db, fake_slack):
    put(db, NOW)
    dispatcher = Dispatcher(db, WebApiSender("xoxb-test", base_url=fake_slack.url), "A")
    dispatcher.alive = lambda: False
    result = dispatcher.run(NOW)
    assert (result.sent, result.skipped) == (0, 1) and fake_slack.calls("chat.postMessage") == []
    row = row_of(db)
    assert (row.status, row.attempts, row.claimed_by) == ("pending", 0, None)
    dispatcher.alive = lambda: True
    assert dispatcher.run(NOW).sent == 1 and len(fake_slack.messages("#acme-sla")) == 1


def test_a_heartbeat_gone_stale_during_the_look_up_stops_the_post(db, fake_slack):
    """The check is made again right before the post: a post starts only on a fresh heartbeat."""
    put(db, NOW)
    outbox.claim(db, "dead", NOW)  # its heartbeat stopped: taken over, looked up first
    dispatchers.beat(db, "dead", NOW)
    dispatcher = Dispatcher(db, WebApiSender("xoxb-test", base_url=fake_slack.url), "A")
    answers = iter([True, False])  # fresh when the row is taken, stale after the look-up
    dispatcher.alive = lambda: next(answers)
    later = NOW + dispatchers.DEAD_AFTER + timedelta(seconds=1)
    result = dispatcher.run(later)
    assert (result.sent, result.skipped) == (0, 1) and fake_slack.calls("chat.postMessage") == []
    assert fake_slack.calls("conversations.list")  # the look-up was made (a never-used channel)
    row = row_of(db)
    assert (row.status, row.attempts, row.error) == ("pending", 1, "transient: not posted: heartbeat late")


# ---- real processes: kill -9 in the middle of a post ----------------------------------------

@pytest.fixture
def slack_now():
    fake = FakeSlack(real_clock=True).start()  # ts from this machine's clock, like the rows' instants
    yield fake
    fake.stop()


def test_a_worker_killed_mid_post_is_taken_over_by_the_next_one_and_posted_once(
        service_env, db_url, slack_now, tmp_path):
    env = {**service_env, "SLAWATCH_TICK_SECONDS": "1", "SLACK_BOT_TOKEN": "xoxb-test",
           "SLACK_API_URL": slack_now.url}
    db = Database(db_url)
    put(db, datetime.now(UTC))  # due now
    released = slack_now.hold_answer("chat.postMessage")  # Slack takes the post, answers late
    first = start(env, "worker", log=tmp_path / "first.log")
    second = None
    try:
        wait_for(lambda: slack_now.calls("chat.postMessage"))
        held = row_of(db)
        assert held.status == "sending" and held.claimed_by in beats(db)
        first.send_signal(signal.SIGKILL)  # between the post and its record
        first.wait(timeout=30)
        second = start(env, "worker", log=tmp_path / "second.log")
        wait_for(lambda: row_of(db).status == "sent", seconds=90)
    finally:
        released.set()
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
        rows, heartbeats = row_of(db), beats(db)
        db.dispose()
    assert len(slack_now.messages("#acme-sla")) == 1 and len(slack_now.calls("chat.postMessage")) == 1
    assert slack_now.calls("conversations.history")  # found by the look-up, not posted again
    assert rows.slack_ts == slack_now.messages("#acme-sla")[0]["ts"] and rows.attempts == 2
    assert rows.claimed_by != held.claimed_by and rows.claimed_by in heartbeats
    # taken over because the first worker's heartbeat had stopped, not because the claim expired
    assert rows.claimed_at < held.claimed_at + CLAIM_TIMEOUT
    assert heartbeats[held.claimed_by] < rows.claimed_at - dispatchers.DEAD_AFTER
    assert f"taken over from {held.claimed_by}" in (tmp_path / "second.log").read_text()
