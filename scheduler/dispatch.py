"""The dispatcher: sends claimed outbox rows to Slack and records what happened.

Order of operations, for each row (see docs/alerts.md for the guarantee it gives):
    1. claim   — in its own transaction: status sending, claimed_by me, claimed_at now
    2. look up — only when an earlier attempt's outcome is unknown (a stale `sending` row, or a
                 transient failure that may have reached Slack): found -> record it, done
    3. post    — with the outbox key in the message metadata
    4. record  — sent + ts, or back to pending with a later not_before, or failed

Failures: SlackRateLimited -> retry after Retry-After, and hold the channel's other rows as
long, without spending an attempt; SlackTransientError -> exponential backoff with jitter (1 s, 2 s, 4 s ... 5 min), failed
after MAX_ATTEMPTS; SlackPermanentError -> failed with Slack's error code as the reason.
Any process may run a dispatcher: claims make concurrent dispatchers take disjoint rows.
A started ticker gives its dispatcher a heartbeat (scheduler/heartbeat.py): a row whose claimer
stopped beating is taken over by another dispatcher within seconds (store/dispatchers.py), and
a dispatcher whose own heartbeat is not fresh (checked before each row and again right before
each post) gives its claimed rows back untried. Jira write-back rows are checked before the row only.

Jira write-back rows (channel `jira`, kinds jira_label / jira_comment) go to the JiraWriter
(connectors/jira_writeback.py) instead, with the same claim/record steps: the look-up is the
issue's comments; JiraRateLimited holds the other `jira` rows until Retry-After; transient
errors back off like Slack's; a Slack outage never holds Jira rows, nor the other way round.
Without a writer (JIRA_URL / JIRA_API_TOKEN not set) they fail with that reason (/healthz).
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from connectors.jira_writeback import (
    NOT_CONFIGURED, JiraPermanentError, JiraRateLimited, JiraTransientError, JiraWriteError,
    JiraWriter, WriteHeld, is_jira_row,
)
from connectors.slack import (
    Posted, SlackError, SlackPermanentError, SlackRateLimited, SlackTransientError,
)
from scheduler import slack_delivery
from store import outbox
from store.db import Database
from store.outbox import Claimed

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
MAX_BACKOFF_SECONDS = 300.0
TRANSIENT = "transient: "  # prefix of a stored error whose attempt may have reached Slack


@dataclass
class DispatchResult:
    sent: int = 0
    found: int = 0  # already in Slack (an earlier attempt got through): recorded, not re-posted
    retried: int = 0
    failed: int = 0
    skipped: int = 0  # claimed, but held back untried (their channel is rate limited)
    errors: list[str] = field(default_factory=list)

    def add(self, other: DispatchResult) -> None:
        for name in ("sent", "found", "retried", "failed", "skipped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors

    @property
    def handled(self) -> int:
        return self.sent + self.found + self.retried + self.failed + self.skipped


def backoff_seconds(attempt: int, rng: random.Random) -> float:
    """1, 2, 4, ... seconds (capped at 5 minutes) after attempt 1, 2, 3 ..., plus 0-25% jitter."""
    base = min(MAX_BACKOFF_SECONDS, 2.0 ** max(0, attempt - 1))
    return min(MAX_BACKOFF_SECONDS, base * (1 + rng.random() / 4))


class Dispatcher:
    def __init__(self, db: Database, sender: Any, worker_id: str, batch: int = 20,
                 max_attempts: int = MAX_ATTEMPTS, rng: random.Random | None = None,
                 jira: JiraWriter | None = None):
        self.db, self.sender, self.worker_id = db, sender, worker_id
        self.jira = jira  # write-back rows; None: JIRA_URL / JIRA_API_TOKEN not configured
        self.client = getattr(sender, "client", None)  # slack_sdk WebClient; None: console sink
        self.batch, self.max_attempts = batch, max_attempts
        self.rng = rng or random.Random()
        self._channel_ids: dict[str, str] = {}
        # may a post start now? The ticker sets its heartbeat's `fresh` (scheduler/heartbeat.py):
        # a dispatcher whose heartbeat is stale may be taken over, so it must not post
        self.alive: Callable[[], bool] = lambda: True

    def run(self, now: datetime, max_batches: int = 50,
            keep_going: Callable[[], bool] = lambda: True) -> DispatchResult:
        """Send what is due at `now`, batch after batch, until nothing more can go."""
        total = DispatchResult()
        for _ in range(max_batches):
            result = self.run_once(now)
            total.add(result)
            # another batch while rows reach an end (replies may wait for those), not while
            # Slack only answers "later"
            if result.sent + result.found + result.failed == 0 or not keep_going():
                break
        return total

    def run_once(self, now: datetime) -> DispatchResult:
        """Claim one batch and send it."""
        result = DispatchResult()
        limited: dict[str, datetime] = {}  # channel -> not before, after a 429 in this batch
        for row in outbox.claim(self.db, self.worker_id, now, self.batch):
            jira = is_jira_row(row.kind)
            held = limited.get(row.channel) or (None if jira else limited.get("*"))
            if held is None and not self.alive():
                held = now  # no recent heartbeat: another dispatcher may take this row over
            if held is not None:  # untried: give the claim and the attempt back
                outbox.mark_retry(self.db, row, held, row.error or "held back", self.worker_id,
                                  count_attempt=False)
                result.skipped += 1
                continue
            if row.stale:
                log.warning("outbox %s: taken over from %s (claimed at %s)", row.key,
                            row.previous_claimer, row.previous_claim_at)
            if jira:
                self._write_to_jira(row, now, result, limited)
            else:
                self._send(row, now, result, limited)
        return result

    # ---- one row ----

    def _send(self, row: Claimed, now: datetime, result: DispatchResult,
              limited: dict[str, datetime]) -> None:
        if row.stale and row.attachment is not None:
            self._fail(row, "upload interrupted, outcome unknown: not uploaded again", now, result)
            return
        unknown = self._outcome_unknown(row)
        try:
            posted = self._looked_up(row) if unknown else None
            if posted is not None:
                result.found += 1
                log.info("outbox %s was already in Slack (ts %s): recorded, not re-posted", row.key, posted.ts)
            elif not self.alive():  # the look-up took long: the heartbeat is no longer fresh
                outbox.mark_retry(self.db, row, now, TRANSIENT + "not posted: heartbeat late", self.worker_id,
                                  count_attempt=False)
                result.skipped += 1
                return
            else:
                posted = self._deliver(row)
                result.sent += 1
        except SlackRateLimited as e:
            self._rate_limited(row, now, e.retry_after, f"ratelimited: retry after {e.retry_after:g}s",
                               unknown, result, limited)
            return
        except SlackTransientError as e:
            self._transient(row, now, e, result)
            limited["*"] = now  # Slack is struggling: leave the rest of the batch for later
            return
        except SlackPermanentError as e:
            self._fail(row, e.reason, now, result)
            return
        if not outbox.mark_sent(self.db, row, now, posted.channel, posted.ts, self.worker_id):
            log.error("outbox %s: posted (ts %s) but the claim was taken over", row.key, posted.ts)
        else:
            self._channel_ids[row.channel] = posted.channel

    def _write_to_jira(self, row: Claimed, now: datetime, result: DispatchResult,
                       limited: dict[str, datetime]) -> None:
        """One write-back row (connectors/jira_writeback.py)."""
        if self.jira is None:
            self._fail(row, NOT_CONFIGURED, now, result)
            return
        unknown = row.stale or (row.error or "").startswith(TRANSIENT)
        try:
            done = self.jira.deliver(row.kind, row.ticket, row.key, row.text, look_up=unknown, may_write=self.alive)
        except WriteHeld:  # the look-up took long: the heartbeat is no longer fresh
            outbox.mark_retry(self.db, row, now, TRANSIENT + "not written: heartbeat late", self.worker_id,
                              count_attempt=False)
            result.skipped += 1
            return
        except JiraRateLimited as e:
            self._rate_limited(row, now, e.retry_after, e.reason, unknown, result, limited)
            return
        except JiraTransientError as e:
            self._transient(row, now, e, result)
            limited[row.channel] = now  # Jira is struggling: leave its other rows for later
            return
        except JiraPermanentError as e:
            self._fail(row, e.reason, now, result)
            return
        if done.found:
            result.found += 1
            log.info("outbox %s was already in Jira (%s): recorded, not written again", row.key, done.reference)
        else:
            result.sent += 1
        if not outbox.mark_sent(self.db, row, now, row.channel, done.reference, self.worker_id):
            log.error("outbox %s: written to Jira (%s) but the claim was taken over", row.key, done.reference)

    def _rate_limited(self, row: Claimed, now: datetime, retry_after: float, error: str, unknown: bool,
                      result: DispatchResult, limited: dict[str, datetime]) -> None:
        """Retry after `retry_after`, and hold the channel's other rows as long."""
        not_before = now + timedelta(seconds=retry_after)
        limited[row.channel] = not_before
        if unknown:  # the look-up may not have been made: ask again next time
            error = TRANSIENT + error
        # a rate limit is Slack's (or Jira's) pace, not a failure: the attempt is given back, so
        # however many 429s come, the failure budget (MAX_ATTEMPTS) is spent only on failures
        outbox.mark_retry(self.db, row, not_before, error, self.worker_id, count_attempt=False)
        outbox.delay_channel(self.db, row.channel, not_before)
        result.retried += 1

    def _transient(self, row: Claimed, now: datetime, error: SlackError | JiraWriteError,
                   result: DispatchResult) -> None:
        if row.attempts >= self.max_attempts:
            self._fail(row, f"gave up after {row.attempts} attempts: {error.reason}", now, result)
            return
        delay = backoff_seconds(row.attempts, self.rng)
        outbox.mark_retry(self.db, row, now + timedelta(seconds=delay), TRANSIENT + error.reason,
                          self.worker_id)
        result.retried += 1

    def _fail(self, row: Claimed, reason: str, now: datetime, result: DispatchResult) -> None:
        outbox.mark_failed(self.db, row, reason, now, self.worker_id)
        log.error("outbox %s to %s failed: %s", row.key, row.channel, reason)
        result.failed += 1
        result.errors.append(reason)

    def _outcome_unknown(self, row: Claimed) -> bool:
        """Did an earlier attempt perhaps reach Slack? Then ask before posting again."""
        return self.client is not None and (row.stale or (row.error or "").startswith(TRANSIENT))

    def _looked_up(self, row: Claimed) -> Posted | None:
        try:
            return self._already_posted(row)
        except SlackPermanentError as e:  # e.g. missing_scope: the bot may not read history
            raise SlackPermanentError(f"cannot check whether it was posted: {e.reason}") from None

    def _already_posted(self, row: Claimed) -> Posted | None:
        since = row.created_at  # any earlier attempt, however many retries ago, came after it
        if row.attachment is not None:
            return None  # an upload that Slack answered with an error: nothing was shared
        channel_id = row.thread_channel or self._channel_id(row.channel)
        if channel_id is None:
            return None  # Slack knows no such channel: nothing can have been posted there
        return slack_delivery.find_posted(self.client, channel_id, row.key, since, row.thread_ts)

    def _channel_id(self, channel: str) -> str | None:
        if channel not in self._channel_ids:
            with self.db.reading() as session:
                known = outbox.known_channel_id(session, channel)
            known = known or slack_delivery.channel_id_of(self.client, channel)
            if known is None:
                return None
            self._channel_ids[channel] = known
        return self._channel_ids[channel]

    def _deliver(self, row: Claimed) -> Posted:
        if row.kind == "update":  # chat.update of the message its thread_key names
            return self._update(row)
        channel = row.thread_channel or row.channel
        if row.attachment is not None:
            return self._upload(row, channel)
        if self.client is None:  # the console sink
            return self.sender.post(channel, row.text, row.blocks, thread_ts=row.thread_ts)
        return slack_delivery.post_keyed(self.client, row.key, channel, row.text, row.blocks,
                                         row.thread_ts)

    def _update(self, row: Claimed) -> Posted:
        if not row.thread_ts or not row.thread_channel:
            raise SlackPermanentError("the message to update was never posted")
        return self.sender.update(row.thread_channel, row.thread_ts, row.text, row.blocks)

    def _upload(self, row: Claimed, channel: str) -> Posted:
        if self.client is not None and not row.thread_channel:
            channel = self._channel_id(row.channel) or channel
        self.sender.upload(channel, row.filename or "file", row.attachment, row.title or "",
                           initial_comment=row.text or None, thread_ts=row.thread_ts)
        return Posted(channel=channel, ts=row.thread_ts or f"file:{row.key}")
