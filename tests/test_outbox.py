"""The outbox and its dispatcher on a real database, against the fake Slack behind the real
WebClient: unique keys, claims, threads, retries, rate limits, permanent failures, the crash
between posting and recording, concurrent dispatchers, and the leader lease."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from connectors.slack import ConsoleSender, WebApiSender
from scheduler.dispatch import MAX_ATTEMPTS, Dispatcher, backoff_seconds
from store import lease, outbox
from store.db import Database
from store.models import OutboxMessage
from store.outbox import Outgoing
from tests.fake_slack import channel_id, fake_slack  # noqa: F401  (the fixture)

UTC = timezone.utc
# The fake Slack's message ts values start at 1700000000 (its clock); look-ups ask for messages
# "since a minute before the claim", so the tests' `now` is that instant.
NOW = datetime.fromtimestamp(1700000000, UTC)


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def sender(fake_slack):
    return WebApiSender("xoxb-test", base_url=fake_slack.url)


def put(db: Database, *messages: Outgoing, now: datetime = NOW) -> set[str]:
    return db.write(lambda session: outbox.enqueue_many(session, messages, now))


def message(key: str, channel: str = "#acme-sla", **fields) -> Outgoing:
    return Outgoing(key=key, kind=fields.pop("kind", "breach"), channel=channel,
                    text=fields.pop("text", f"text of {key}"), **fields)


def rows(db: Database) -> dict[str, OutboxMessage]:
    with db.reading() as session:
        return {row.key: row for row in session.scalars(select(OutboxMessage))}


def posted_keys(fake) -> list[str]:
    return [m["metadata"]["event_payload"]["key"] for m in fake.messages()]


# ---- enqueue and claim ---------------------------------------------------------------------

def test_enqueue_keeps_one_row_per_key(db):
    assert db.write(lambda s: outbox.enqueue(s, message("alert:A-1:resolution:1:breach"), NOW))
    assert not db.write(lambda s: outbox.enqueue(s, message("alert:A-1:resolution:1:breach",
                                                            text="other"), NOW))
    assert [(r.text, r.status, r.attempts) for r in rows(db).values()] == [
        ("text of alert:A-1:resolution:1:breach", "pending", 0)]


def test_claim_takes_due_rows_once_and_stale_ones_again(db):
    put(db, message("a"), message("later", not_before=NOW + timedelta(minutes=1)))
    first = outbox.claim(db, "w1", NOW, 10)
    assert [(r.key, r.stale, r.attempts) for r in first] == [("a", False, 1)]
    assert outbox.claim(db, "w2", NOW, 10) == []  # claimed: nobody else gets it
    assert [r.key for r in outbox.claim(db, "w2", NOW + timedelta(minutes=1), 10)] == ["later"]
    stale_at = NOW + outbox.CLAIM_TIMEOUT + timedelta(seconds=1)
    again = outbox.claim(db, "w3", stale_at, 10)
    assert [(r.key, r.stale, r.previous_claim_at, r.attempts) for r in again] == [("a", True, NOW, 2)]
    assert not outbox.mark_sent(db, first[0], stale_at, "C1", "1.1", "w1")  # w1 lost its claim


def test_a_reply_waits_for_its_parent_and_goes_in_its_thread(db):
    put(db, message("parent"), message("reply", kind="resolved_late", thread_key="parent"))
    claimed = outbox.claim(db, "w", NOW, 10)
    assert [r.key for r in claimed] == ["parent"]
    outbox.mark_sent(db, claimed[0], NOW, "C123456789", "1700000000.000200", "w")
    reply = outbox.claim(db, "w", NOW, 10)
    assert [(r.key, r.thread_ts, r.thread_channel) for r in reply] == [
        ("reply", "1700000000.000200", "C123456789")]


def test_a_reply_to_a_failed_parent_goes_to_the_channel(db):
    put(db, message("parent"), message("reply", kind="resolved_late", thread_key="parent"))
    [parent] = outbox.claim(db, "w", NOW, 10)
    outbox.mark_failed(db, parent, "channel_not_found", NOW, "w")
    assert [(r.key, r.thread_ts) for r in outbox.claim(db, "w", NOW, 10)] == [("reply", None)]


# ---- dispatching to the fake Slack ---------------------------------------------------------

def test_messages_are_posted_with_their_key_and_threaded(db, sender, fake_slack):
    put(db, message("alert:A-1:resolution:1:breach"),
        message("alert:A-1:resolution:1:resolved-late", kind="resolved_late",
                thread_key="alert:A-1:resolution:1:breach"))
    dispatcher = Dispatcher(db, sender, "w")
    assert dispatcher.run(NOW).sent == 2
    parent, reply = fake_slack.messages("#acme-sla")
    assert posted_keys(fake_slack) == ["alert:A-1:resolution:1:breach", "alert:A-1:resolution:1:resolved-late"]
    assert "thread_ts" not in parent and reply["thread_ts"] == parent["ts"]
    stored = rows(db)
    assert stored["alert:A-1:resolution:1:breach"].slack_ts == parent["ts"]
    assert stored["alert:A-1:resolution:1:breach"].slack_channel == channel_id("#acme-sla")
    assert {r.status for r in stored.values()} == {"sent"}
    assert dispatcher.run(NOW + timedelta(hours=1)).handled == 0


def test_500s_then_429_deliver_once_and_not_before_retry_after(db, sender, fake_slack):
    fake_slack.fail_next("chat.postMessage", status=500, times=2)
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=2)
    put(db, message("m1"))
    dispatcher = Dispatcher(db, sender, "w")
    t = NOW
    assert dispatcher.run(t).retried == 1  # 500: back off ~1 s
    assert dispatcher.run(t).handled == 0  # not due yet
    t += timedelta(seconds=backoff_seconds(1, _MaxRandom()))
    assert dispatcher.run(t).retried == 1  # 500 again: back off ~2 s
    t += timedelta(seconds=backoff_seconds(2, _MaxRandom()))
    limited_at = t
    assert dispatcher.run(t).retried == 1  # 429, Retry-After: 2
    assert rows(db)["m1"].not_before == limited_at + timedelta(seconds=2)
    assert dispatcher.run(limited_at + timedelta(seconds=1.9)).handled == 0
    assert dispatcher.run(limited_at + timedelta(seconds=2)).sent == 1
    assert posted_keys(fake_slack) == ["m1"]
    assert [r.status for r in fake_slack.calls("chat.postMessage")] == [500, 500, 429, 200]
    row = rows(db)["m1"]
    assert (row.status, row.attempts, row.error) == ("sent", 3, None)  # the 429 spent no attempt


class _MaxRandom:
    def random(self) -> float:
        return 1.0


def test_a_rate_limit_holds_the_whole_channel(db, sender, fake_slack):
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=30)
    put(db, message("a"), message("b"), message("c", channel="#other"))
    result = Dispatcher(db, sender, "w").run_once(NOW)
    assert (result.retried, result.skipped, result.sent) == (1, 1, 1)
    stored = rows(db)
    assert stored["b"].not_before == NOW + timedelta(seconds=30) and stored["b"].attempts == 0
    assert posted_keys(fake_slack) == ["c"]


def test_transient_failures_give_up_after_max_attempts(db, sender, fake_slack):
    fake_slack.fail_next("chat.postMessage", status=503, times=100)
    put(db, message("m"))
    dispatcher = Dispatcher(db, sender, "w", max_attempts=3)
    t = NOW
    for _ in range(3):
        dispatcher.run(t)
        t += timedelta(minutes=6)
    row = rows(db)["m"]
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.error.startswith("gave up after 3 attempts")


def test_a_permanent_error_fails_the_row_with_the_reason(db, sender, fake_slack):
    fake_slack.fail_channel("#gone", "channel_not_found")
    put(db, message("m", channel="#gone"))
    result = Dispatcher(db, sender, "w").run(NOW)
    assert result.failed == 1 and result.errors == ["channel_not_found"]
    row = rows(db)["m"]
    assert (row.status, row.error) == ("failed", "channel_not_found")
    assert Dispatcher(db, sender, "w").run(NOW + timedelta(hours=1)).handled == 0


def test_a_permanent_failure_shows_on_healthz(make_app, db_url, fake_slack):
    app = make_app(db_url, SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=fake_slack.url)
    database = Database(db_url)
    try:
        fake_slack.fail_channel("#gone", "not_in_channel")
        put(database, message("alert:X-1:first_response:1:breach", channel="#gone"))
        from scheduler import get_ticker
        get_ticker(app).dispatch(NOW)
    finally:
        database.dispose()
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 200
    body = answer.json
    assert body["status"] == "degraded"
    assert body["slack"]["ok"] is False and body["slack"]["failed"] == 1
    assert body["slack"]["last_failures"][0]["reason"] == "not_in_channel"
    assert body["slack"]["last_failures"][0]["key"] == "alert:X-1:first_response:1:breach"


def test_a_row_left_sending_after_a_crash_is_not_posted_again(db, sender, fake_slack):
    """The process posted the message, then died before recording it."""
    put(db, message("alert:A-1:resolution:1:breach"))
    [claimed] = outbox.claim(db, "dead-worker", NOW, 10)
    from scheduler.slack_delivery import post_keyed
    posted = post_keyed(sender.client, claimed.key, claimed.channel, claimed.text)
    # ... crash: nothing recorded. Another dispatcher comes along after the claim expired.
    later = NOW + outbox.CLAIM_TIMEOUT + timedelta(seconds=1)
    result = Dispatcher(db, sender, "w2").run(later)
    assert (result.found, result.sent) == (1, 0)
    assert len(fake_slack.calls("chat.postMessage")) == 1
    row = rows(db)["alert:A-1:resolution:1:breach"]
    assert (row.status, row.slack_ts, row.slack_channel) == ("sent", posted.ts, posted.channel)
    [history] = fake_slack.calls("conversations.history")
    assert history.body["channel"] == posted.channel and history.body["include_all_metadata"] in ("1", "true")


def test_while_the_look_up_fails_the_row_waits_and_is_never_posted_twice(db, sender, fake_slack):
    put(db, message("k"))
    [claimed] = outbox.claim(db, "dead-worker", NOW, 10)
    from scheduler.slack_delivery import post_keyed
    post_keyed(sender.client, claimed.key, claimed.channel, claimed.text)  # posted, then a crash
    fake_slack.fail_next("conversations.history", status=503, times=3)
    dispatcher = Dispatcher(db, sender, "w2")
    t = NOW + outbox.CLAIM_TIMEOUT + timedelta(seconds=1)
    for _ in range(3):  # Slack cannot say: the row waits
        assert dispatcher.run(t).retried == 1
        assert rows(db)["k"].status == "pending"
        t += timedelta(minutes=6)
    result = dispatcher.run(t)  # Slack answers: it was posted long ago
    assert (result.found, result.sent) == (1, 0)
    assert len(fake_slack.calls("chat.postMessage")) == 1 and rows(db)["k"].status == "sent"


def test_a_row_left_sending_before_posting_is_posted_once(db, sender, fake_slack):
    put(db, message("first"))
    Dispatcher(db, sender, "w").run(NOW)  # the channel's id is known from an earlier post
    put(db, message("second"))
    outbox.claim(db, "dead-worker", NOW, 10)  # died before posting
    later = NOW + outbox.CLAIM_TIMEOUT + timedelta(seconds=1)
    result = Dispatcher(db, sender, "w2").run(later)
    assert (result.found, result.sent) == (0, 1)
    assert posted_keys(fake_slack) == ["first", "second"]


def test_a_stale_row_to_a_never_used_channel_is_looked_up_by_name(db, sender, fake_slack):
    fake_slack.add_channel("#fresh")
    put(db, message("k", channel="#fresh"))
    outbox.claim(db, "dead-worker", NOW, 10)
    result = Dispatcher(db, sender, "w2").run(NOW + outbox.CLAIM_TIMEOUT + timedelta(seconds=1))
    assert result.sent == 1 and posted_keys(fake_slack) == ["k"]
    assert len(fake_slack.calls("conversations.list")) == 1


def test_after_a_transient_error_slack_is_asked_before_posting_again(db, sender, fake_slack):
    """An answer lost after Slack took the message (a 500 from a proxy, a timeout)."""
    put(db, message("k"))
    [claimed] = outbox.claim(db, "w", NOW, 10)
    from scheduler.slack_delivery import post_keyed
    post_keyed(sender.client, claimed.key, claimed.channel, claimed.text)  # it got through...
    outbox.mark_retry(db, claimed, NOW, "transient: HTTP 502", "w")  # ...but we saw a 502
    result = Dispatcher(db, sender, "w").run(NOW + timedelta(seconds=1))
    assert (result.found, result.sent) == (1, 0)
    assert len(fake_slack.calls("chat.postMessage")) == 1


def test_the_console_sink_marks_rows_sent(db, caplog):
    put(db, message("m1"), message("m2", kind="resolved_late", thread_key="m1"))
    with caplog.at_level("INFO", logger="connectors.slack"):
        assert Dispatcher(db, ConsoleSender(), "w").run(NOW).sent == 2
    stored = rows(db)
    assert stored["m1"].status == "sent" and stored["m1"].slack_ts.startswith("console.")
    assert "text of m1" in caplog.text and f"thread {stored['m1'].slack_ts}" in caplog.text


def test_an_upload_goes_into_its_report_thread(db, sender, fake_slack):
    put(db, message("report:weekly:2026-W02", kind="report"),
        message("report:weekly:2026-W02:chart", kind="file", text="Attainment, 12 weeks",
                thread_key="report:weekly:2026-W02", attachment=b"\x89PNG fake",
                filename="week.png", title="Attainment"))
    assert Dispatcher(db, sender, "w").run(NOW).sent == 2
    [parent] = fake_slack.messages("#acme-sla")
    [upload] = fake_slack.files.values()
    assert (upload["content"], upload["thread_ts"], upload["channel"]) == (
        b"\x89PNG fake", parent["ts"], channel_id("#acme-sla"))


def test_two_dispatchers_post_every_message_once(db_url, fake_slack):
    databases = [Database(db_url) for _ in range(2)]
    try:
        keys = [f"alert:T-{i}:resolution:1:breach" for i in range(60)]
        put(databases[0], *[message(k, channel=f"#c{i % 3}") for i, k in enumerate(keys)])
        errors: list[BaseException] = []

        def work(n: int) -> None:
            try:
                sender = WebApiSender("xoxb-test", base_url=fake_slack.url)
                dispatcher = Dispatcher(databases[n], sender, f"w{n}", batch=5)
                for _ in range(40):
                    dispatcher.run_once(NOW)
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors
        assert sorted(posted_keys(fake_slack)) == sorted(keys)
        assert {r.status for r in rows(databases[0]).values()} == {"sent"}
        assert {r.claimed_by for r in rows(databases[0]).values()} <= {"w0", "w1"}
    finally:
        for database in databases:
            database.dispose()


# ---- the leader lease ----------------------------------------------------------------------

def test_the_lease_has_one_holder_and_passes_on_when_it_expires(db):
    term = timedelta(seconds=90)
    assert lease.acquire(db, "scheduler", "a", NOW, term)
    assert not lease.acquire(db, "scheduler", "b", NOW + timedelta(seconds=30), term)
    assert lease.acquire(db, "scheduler", "a", NOW + timedelta(seconds=60), term)  # renewed
    assert not lease.acquire(db, "scheduler", "b", NOW + timedelta(seconds=149), term)
    assert lease.acquire(db, "scheduler", "b", NOW + timedelta(seconds=151), term)  # a died
    assert not lease.acquire(db, "scheduler", "a", NOW + timedelta(seconds=152), term)
    lease.release(db, "scheduler", "b")
    assert lease.acquire(db, "scheduler", "a", NOW + timedelta(seconds=153), term)


def test_racing_processes_never_share_the_lease(db_url):
    databases = [Database(db_url) for _ in range(4)]
    winners: list[str] = []
    barrier = threading.Barrier(4)

    def race(n: int) -> None:
        barrier.wait()
        if lease.acquire(databases[n], "scheduler", f"p{n}", NOW, timedelta(seconds=90)):
            winners.append(f"p{n}")

    try:
        threads = [threading.Thread(target=race, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(winners) == 1
    finally:
        for database in databases:
            database.dispose()


def test_a_digest_gives_its_ts_to_its_members_and_their_replies(db, sender, fake_slack):
    put(db, message("m1", status="digested", thread_key="digest:#acme-sla:x"),
        message("m2", status="digested", thread_key="digest:#acme-sla:x"),
        message("digest:#acme-sla:x", kind="digest"),
        message("m1-late", kind="resolved_late", thread_key="m1"))
    assert Dispatcher(db, sender, "w").run(NOW).sent == 2
    digest, reply = fake_slack.messages("#acme-sla")
    stored = rows(db)
    assert (stored["m1"].status, stored["m1"].slack_ts) == ("digested", digest["ts"])
    assert reply["thread_ts"] == digest["ts"] and posted_keys(fake_slack) == ["digest:#acme-sla:x", "m1-late"]


def test_a_failed_digest_fails_its_members_and_frees_their_replies(db, sender, fake_slack):
    fake_slack.fail_channel("#storm", "is_archived")
    put(db, message("m1", channel="#storm", status="digested", thread_key="digest:#storm:x"),
        message("digest:#storm:x", channel="#storm", kind="digest"),
        message("m1-late", channel="#storm", kind="resolved_late", thread_key="m1"))
    assert Dispatcher(db, sender, "w").run(NOW).failed == 2
    assert {k: r.status for k, r in rows(db).items()} == {
        "m1": "failed", "digest:#storm:x": "failed", "m1-late": "failed"}
    assert rows(db)["m1"].error == "in the failed digest: is_archived"


def test_a_rate_limited_look_up_still_looks_up_next_time(db, sender, fake_slack):
    put(db, message("k"))
    [claimed] = outbox.claim(db, "dead-worker", NOW, 10)
    from scheduler.slack_delivery import post_keyed
    post_keyed(sender.client, claimed.key, claimed.channel, claimed.text)
    fake_slack.fail_next("conversations.history", status=429, retry_after=5)
    dispatcher = Dispatcher(db, sender, "w2")
    t = NOW + outbox.CLAIM_TIMEOUT + timedelta(seconds=1)
    assert dispatcher.run(t).retried == 1
    result = dispatcher.run(t + timedelta(seconds=5))
    assert (result.found, result.sent) == (1, 0)
    assert len(fake_slack.calls("chat.postMessage")) == 1


# ---- issue 12: rate limits spend no attempt; a reset after Slack took a post ---------------

def test_429s_spend_no_attempt_so_a_later_500_does_not_fail_the_row(db, sender, fake_slack):
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1, times=13)
    fake_slack.fail_next("chat.postMessage", status=500)
    put(db, message("m"))
    dispatcher = Dispatcher(db, sender, "w", max_attempts=MAX_ATTEMPTS)
    t = NOW
    for _ in range(16):
        dispatcher.run(t)
        t += timedelta(seconds=3)
    row = rows(db)["m"]
    assert (row.status, row.attempts) == ("sent", 2)
    assert [r.status for r in fake_slack.calls("chat.postMessage")] == [429] * 13 + [500, 200]
    assert posted_keys(fake_slack) == ["m"]


def test_a_connection_reset_after_slack_took_the_post_gives_exactly_one_copy(db, sender, fake_slack):
    fake_slack.reset_after_taking("chat.postMessage")
    put(db, message("once"))
    dispatcher = Dispatcher(db, sender, "w")
    first = dispatcher.run(NOW)
    assert first.retried == 1 and rows(db)["once"].error.startswith("transient: ")
    assert len(fake_slack.calls("chat.postMessage")) == 1  # no library-level re-send
    second = dispatcher.run(NOW + timedelta(seconds=5))
    assert (second.found, second.sent) == (1, 0)  # the outbox looked it up and recorded it
    assert posted_keys(fake_slack) == ["once"] and rows(db)["once"].status == "sent"
