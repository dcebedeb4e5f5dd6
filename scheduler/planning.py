"""The planning step of the leader's tick: due clocks -> alerts -> outbox rows, BATCH clocks per
transaction.

    result = plan_due(db, rules, now, jira_url)        # the tick: one transaction per batch
    result = db.write(lambda session: plan_tick(session, rules, now, jira_url))   # one transaction

1. the clocks whose `plan_at` has come, BATCH at a time, earliest first (store/alerting.py: an
   index range, never a scan of the open clocks); each batch moves their `plan_at` to the next
   instant they may call for an alert, so a batch is never read twice and memory stays that of
   one batch. A tick plans at most MAX_BATCHES batches (after a long outage or a big drain the
   rest follows on the next ticks, earliest first);
2. (per batch) `processors.alerts.plan` says which alerts they call for;
3. the keys the outbox already holds are dropped (the planner is at-least-once: it returns
   everything the clocks call for);
4. alerts about an instant more than ALERT_HORIZON ago (history brought in by a backfill, a long
   outage) are recorded as `expired` — their keys taken, never posted;
5. `group_for_digest`: a channel with more than `alerts.digest_over` new top-level alerts in a
   batch gets them as one digest message (a storm of more than BATCH clocks: one digest per
   batch); the alerts themselves are stored as `digested` (keys taken);
6. everything is rendered (connectors/slack_blocks.py) and enqueued, and `alerts.last_planned_at`
   (service state, for operators: the last tick that had clocks to look at) moves to now;
7. with `jira.write_back` on, the breaches' Jira label/comment rows (`Plan.jira`, channel `jira`,
   sent by connectors/jira_writeback.py) are enqueued the same way, `expired` past ALERT_HORIZON
   too: a backfill of old breaches never writes on Jira. They are never digested.

Digest keys are `digest:{channel}:{sha256 of the sorted member keys}`, not the tick's instant:
two schedulers (or a replayed tick) planning the same storm produce the same key, and each
alert can only ever be in one digest because the member rows are inserted first
(ON CONFLICT DO NOTHING) and the digest lists only the members this transaction won.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import astuple, dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from connectors import slack_blocks
from connectors.jira_writeback import CHANNEL as JIRA_CHANNEL
from processors.alerts import Alert, JiraEffect, group_for_digest, plan
from processors.events import format_instant
from processors.rules import Rules
from store.alerting import due_clocks, move_plan_at
from store.db import Database
from store.outbox import Outgoing, enqueue_many, existing_keys
from store.pending import waiting_tickets
from store.repo import set_service_state

log = logging.getLogger(__name__)

LAST_PLANNED_KEY = "alerts.last_planned_at"
BATCH = 2000  # clocks per transaction
MAX_BATCHES = 25  # per tick: a catch-up of more clocks goes on over the next ticks
ALERT_HORIZON = timedelta(hours=24)  # alerts about older instants are not posted


@dataclass(frozen=True)
class PlanResult:
    clocks: int  # clocks looked at
    enqueued: int  # new rows to send (individual alerts and digests)
    digested: int  # alerts folded into digests
    expired: int
    unroutable: int

    def __add__(self, other: "PlanResult") -> "PlanResult":
        return PlanResult(*(a + b for a, b in zip(astuple(self), astuple(other))))


def render(alert: Alert, locale: str) -> tuple[str, list[dict]]:
    """The alert's message in `locale`, the language of its vendor's channel (rules.locale_for)."""
    if alert.kind == "resolved_late":
        return slack_blocks.resolved_late_reply(alert, locale)
    if alert.kind == "acknowledged":
        return slack_blocks.acknowledged_reply(alert, locale)
    return slack_blocks.alert_message(alert, locale)


def channel_locale(alerts: list[Alert], rules: Rules) -> str:
    """The language of a digest: its alerts' vendors' one when they agree, else the rules'."""
    found = {rules.locale_for(a.clock.vendor) for a in alerts}
    return found.pop() if len(found) == 1 else rules.locale


def outgoing(alert: Alert, rules: Rules, status: str = "pending", thread_key: str | None = None) -> Outgoing:
    """The outbox row of one alert, in its vendor's language."""
    text, blocks = render(alert, rules.locale_for(alert.clock.vendor))
    return Outgoing(key=alert.key, kind=alert.kind, channel=alert.channel, text=text,
                    blocks=blocks, thread_key=thread_key or alert.thread_key, ticket=alert.ticket,
                    metric=alert.metric, cycle=alert.cycle, level=alert.level, status=status)


def jira_outgoing(effect: JiraEffect, status: str = "pending") -> Outgoing:
    """The outbox row of one write-back: kind jira_label / jira_comment, channel `jira`."""
    return Outgoing(key=effect.key, kind=f"jira_{effect.action}", channel=JIRA_CHANNEL,
                    text=effect.text, ticket=effect.ticket, metric=effect.metric,
                    cycle=effect.cycle, level=effect.action, status=status)


def _enqueue_jira(session: Session, effects: tuple[JiraEffect, ...], now: datetime) -> tuple[int, int]:
    """(new rows to send, new expired rows) of the write-back effects."""
    horizon = now - ALERT_HORIZON
    rows = [jira_outgoing(e, "pending" if e.at >= horizon else "expired") for e in effects]
    new = enqueue_many(session, rows, now)
    expired = sum(1 for row in rows if row.key in new and row.status == "expired")
    return len(new) - expired, expired


def digest_key(channel: str, alerts: list[Alert]) -> str:
    digest = hashlib.sha256("\n".join(sorted(a.key for a in alerts)).encode()).hexdigest()
    return f"digest:{channel}:{digest[:24]}"


def plan_due(db: Database, rules: Rules, now: datetime, jira_url: str | None = None) -> PlanResult:
    """The tick's planning: up to MAX_BATCHES batches, one transaction each."""
    total = PlanResult(0, 0, 0, 0, 0)
    for _ in range(MAX_BATCHES):
        result = db.write(lambda session: plan_batch(session, rules, now, jira_url))
        total += result
        if result.clocks < BATCH:
            break
    return total


_UNROUTABLE_TOLD: set[str] = set()  # alert keys already logged as having no channel (per process)


def _warn_unroutable(keys: tuple[str, ...]) -> None:
    """Log the alerts without a channel once each, not again on every tick."""
    new = [key for key in keys if key not in _UNROUTABLE_TOLD]
    if not new:
        return
    if len(_UNROUTABLE_TOLD) > 100_000:
        _UNROUTABLE_TOLD.clear()
    _UNROUTABLE_TOLD.update(new)
    log.warning("%d alerts have no channel (no vendor channel, no alerts.channel): %s; "
                "not repeated on later ticks", len(new), ", ".join(new[:5]))


def _enqueue_digest(session: Session, group: list[Alert], rules: Rules, now: datetime) -> tuple[int, int]:
    """One digest message for `group` (its members stored as `digested` rows); returns (messages
    enqueued, alerts digested)."""
    key = digest_key(group[0].channel, group)
    won = enqueue_many(session, [outgoing(a, rules, "digested", thread_key=key) for a in group], now)
    members = [a for a in group if a.key in won]
    if not members:
        return 0, 0
    text, blocks = slack_blocks.digest_message(members, channel_locale(members, rules))
    return len(enqueue_many(session, [Outgoing(
        key=key, kind="digest", channel=group[0].channel, text=text, blocks=blocks)], now)), len(members)


def plan_tick(session: Session, rules: Rules, now: datetime, jira_url: str | None = None) -> PlanResult:
    """Every clock due at `now`, batch after batch, in the caller's transaction."""
    total = PlanResult(0, 0, 0, 0, 0)
    while True:
        result = plan_batch(session, rules, now, jira_url)
        total += result
        if result.clocks < BATCH:
            return total


def _enqueue_alerts(session: Session, fresh: list[Alert], rules: Rules, now: datetime) -> tuple[int, int]:
    """Enqueue new alerts, storms as digests (step 5); (rows to send, alerts in digests)."""
    enqueued = digested = 0
    singles: list[Outgoing] = []  # consecutive lone alerts: one statement, in order
    for whole in group_for_digest(fresh, rules.alerts.digest_over):
        if len(whole) == 1:
            singles.append(outgoing(whole[0], rules))
            continue
        enqueued += len(enqueue_many(session, singles, now))
        singles = []
        for start in range(0, len(whole), slack_blocks.DIGEST_MAX_ALERTS):  # a huge storm: several digests
            posts, members = _enqueue_digest(session, whole[start:start + slack_blocks.DIGEST_MAX_ALERTS],
                                             rules, now)
            enqueued, digested = enqueued + posts, digested + members
    enqueued += len(enqueue_many(session, singles, now))
    return enqueued, digested


def plan_batch(session: Session, rules: Rules, now: datetime, jira_url: str | None = None) -> PlanResult:
    """Plan and enqueue the alerts of one batch of due clocks (see the module docstring)."""
    due = due_clocks(session, now, BATCH)
    if not due:  # the usual tick: nothing due, nothing written
        return PlanResult(0, 0, 0, 0, 0)
    views = [view for _, view in due if view is not None]
    waiting = waiting_tickets(session, now, (view.ticket for view in views))  # planned once recomputed
    views = sorted((view for view in views if view.ticket not in waiting), key=lambda v: (v.ticket, v.metric, v.cycle))
    planned = plan(views, rules, now, jira_url)
    taken = existing_keys(session, [a.key for a in planned.alerts])
    new = [a for a in planned.alerts if a.key not in taken]
    old = [a for a in new if a.at < now - ALERT_HORIZON]
    fresh = [a for a in new if a.at >= now - ALERT_HORIZON]
    enqueue_many(session, [outgoing(a, rules, status="expired") for a in old], now)
    enqueued, digested = _enqueue_alerts(session, fresh, rules, now)
    jira_new, jira_expired = _enqueue_jira(session, planned.jira, now)
    move_plan_at(session, due, rules, now)
    set_service_state(session, LAST_PLANNED_KEY, format_instant(now), now)
    _warn_unroutable(planned.unroutable)
    if enqueued or old:
        log.info("planned %d messages (%d alerts in digests, %d expired) from %d clocks",
                 enqueued, digested, len(old), len(views))
    if jira_new or jira_expired:
        log.info("planned %d Jira write-backs (%d expired)", jira_new, jira_expired)
    return PlanResult(len(due), enqueued + jira_new, digested, len(old) + jira_expired,
                      len(planned.unroutable))
