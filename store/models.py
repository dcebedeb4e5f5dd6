"""The tables of Slawatch as SQLAlchemy 2 typed models.

The event log (`events`) is the truth; `tickets` and `clocks` are a cache of
`processors.sla.evaluate` over it. Every instant is stored as an aware UTC datetime: `UTCDateTime`
makes SQLite (which keeps no zone) round-trip them the same way PostgreSQL's `timestamptz` does.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# An integer primary key that autoincrements on both SQLite (INTEGER) and PostgreSQL (BIGINT).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every dialect."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store aware UTC instants only")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime}


class Ticket(Base):
    """Current facts of a ticket, as of its latest evaluation."""

    __tablename__ = "tickets"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    issue_id: Mapped[str | None] = mapped_column(Text, index=True)  # Jira's numeric id; ix_tickets_issue_id
    project: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str | None] = mapped_column(Text)
    issuetype: Mapped[str | None] = mapped_column(Text)
    reporter: Mapped[str | None] = mapped_column(Text)  # Person.label()
    assignee: Mapped[str | None] = mapped_column(Text)  # Person.label()
    vendor: Mapped[str | None] = mapped_column(Text, index=True)
    policy: Mapped[str | None] = mapped_column(Text)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                          index=True)  # ix_tickets_deleted: the few deleted, found at once
    created_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]  # when this row was last recomputed


class Event(Base):
    """One normalized lifecycle fact; `payload` is `TicketEvent.dumps()`."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("dedup_key", name="uq_events_dedup_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket: Mapped[str] = mapped_column(Text, ForeignKey("tickets.key"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    dedup_key: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]


class Delivery(Base):
    """One accepted webhook delivery, so that a retried delivery is recognised."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("source", "delivery_id", name="uq_deliveries_source_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16))
    delivery_id: Mapped[str] = mapped_column(String(128))  # header value, or sha256 of the body
    received_at: Mapped[datetime]
    event_count: Mapped[int] = mapped_column(Integer)


class ClockRow(Base):
    """One SLA clock of one ticket (metric, cycle), as computed at `computed_at`."""

    __tablename__ = "clocks"
    __table_args__ = (
        UniqueConstraint("ticket", "metric", "cycle", name="uq_clocks_ticket_metric_cycle"),
        Index("ix_clocks_vendor_metric", "vendor", "metric"),
        Index("ix_clocks_breached_at", "breached_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # found by uq_clocks_ticket_metric_cycle, whose first column it is
    ticket: Mapped[str] = mapped_column(Text, ForeignKey("tickets.key"))
    metric: Mapped[str] = mapped_column(String(32))
    cycle: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))  # ix_clocks_state_stopped_at serves `state` alone too
    target_seconds: Mapped[int] = mapped_column(Integer)
    elapsed_seconds: Mapped[int] = mapped_column(Integer)
    paused_seconds: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None] = mapped_column(index=True)  # ix_clocks_due_at
    breached_at: Mapped[datetime | None]
    next_warning_at: Mapped[datetime | None]  # the planner reads plan_at (ix_clocks_plan_at)
    policy: Mapped[str] = mapped_column(Text)
    calendar: Mapped[str] = mapped_column(Text)
    rules_version: Mapped[str] = mapped_column(String(64))  # read with `!=` only: no index serves it
    computed_at: Mapped[datetime]
    vendor: Mapped[str | None] = mapped_column(Text)  # attributed vendor (processors.sla.Clock.vendor)
    warnings: Mapped[str | None] = mapped_column(Text)  # JSON [[fraction, instant or null], ...]
    ended_by: Mapped[str | None] = mapped_column(String(16))  # response | resolution | handaway
    measure: Mapped[str | None] = mapped_column(String(16))  # the policy's: ticket | handoff
    handoff_at: Mapped[datetime | None]  # hand-off clocks: when the episode began
    handoff_by: Mapped[str | None] = mapped_column(Text)  # ... and who made the hand-off
    # 0013: when the alert planner must next look at this clock (store/alerting.py); None: not
    # before a recompute. Indexed with id (ix_clocks_plan_at): the tick reads an index range.
    plan_at: Mapped[datetime | None]


class RuleVersion(Base):
    """Every distinct rules file content that was ever put in force."""

    __tablename__ = "rule_versions"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the bytes
    text: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime]  # the latest time it was put in force
    first_seen_at: Mapped[datetime]


class ServiceState(Base):
    """Small key/value facts about the running service (scheduler tick, reload error, ...)."""

    __tablename__ = "service_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class JiraField(Base):
    """A Jira field's id and the name Jira shows for it, for `match.fields` written by name
    (store/jira_fields.py). Learnt from webhook changelog items and from GET /rest/api/2/field."""

    __tablename__ = "jira_fields"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # customfield_10010, fixVersions
    name: Mapped[str] = mapped_column(String(255))  # as Jira shows it: "Customer"
    updated_at: Mapped[datetime]


class OutboxMessage(Base):
    """One Slack message to send, under a unique key (see store/outbox.py for the life cycle:
    pending -> sending -> sent | failed, or digested: folded into a digest, never sent alone)."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("key", name="uq_outbox_key"),
        Index("ix_outbox_status_not_before", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    blocks: Mapped[str | None] = mapped_column(Text)  # JSON list of Block Kit blocks
    thread_key: Mapped[str | None] = mapped_column(Text, index=True)
    ticket: Mapped[str | None] = mapped_column(Text, index=True)
    metric: Mapped[str | None] = mapped_column(String(32))
    cycle: Mapped[int | None] = mapped_column(Integer)
    level: Mapped[str | None] = mapped_column(String(32))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    filename: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_before: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    slack_channel: Mapped[str | None] = mapped_column(Text)
    slack_ts: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class Lease(Base):
    """A named lease (the scheduler's leadership), held by one process until `expires_at`."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]


class DispatcherBeat(Base):
    """A running dispatcher (one per process) and its last heartbeat (store/dispatchers.py)."""

    __tablename__ = "dispatchers"

    id: Mapped[str] = mapped_column(Text, primary_key=True)  # as in outbox.claimed_by
    heartbeat_at: Mapped[datetime]


class Acknowledgement(Base):
    """A manager acknowledged (or excused, with a reason) the breach alert `alert_key`."""

    __tablename__ = "acknowledgements"
    __table_args__ = (Index("ix_acknowledgements_clock", "ticket", "metric", "cycle"),)

    alert_key: Mapped[str] = mapped_column(Text, primary_key=True)
    ticket: Mapped[str] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(String(32))
    cycle: Mapped[int] = mapped_column(Integer)
    by: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))  # ack | excuse
    reason: Mapped[str | None] = mapped_column(Text)


class SlackEvent(Base):
    """An Events API event_id already handled (Slack retries deliveries)."""

    __tablename__ = "slack_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime]


class SlackUser(Base):
    """A Slack user as users.info showed them (looked up outside requests)."""

    __tablename__ = "slack_users"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str | None] = mapped_column(Text)
    display_name: Mapped[str | None] = mapped_column(Text)
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    seen_at: Mapped[datetime]
    looked_up_at: Mapped[datetime | None]
    # 0014: users.info's user.locale ("zh-CN"), asked with include_locale=true; None: not known
    locale: Mapped[str | None] = mapped_column(String(35))


class ExcusedBreach(Base):
    """A breach excused now (by whom, when, why); un-excusing removes the row."""

    __tablename__ = "excused_breaches"
    __table_args__ = (Index("ix_excused_breaches_clock", "ticket", "metric", "cycle"),)

    alert_key: Mapped[str] = mapped_column(Text, primary_key=True)
    ticket: Mapped[str] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(String(32))
    cycle: Mapped[int] = mapped_column(Integer)
    by: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)


class ExcuseAudit(Base):
    """Append-only: every excuse and un-excuse of a breach, never deleted."""

    __tablename__ = "excuse_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_key: Mapped[str] = mapped_column(Text)
    ticket: Mapped[str] = mapped_column(Text, index=True)  # ix_excuse_audit_ticket
    metric: Mapped[str] = mapped_column(String(32))
    cycle: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # excuse | unexcuse
    by: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(Text)


class Survey(Base):
    """A satisfaction survey of a resolved ticket's reporter: one per ticket and resolution
    cycle, answerable (and changeable) until `expires_at`. Scores 1-5; None: not answered."""

    __tablename__ = "surveys"
    __table_args__ = (
        UniqueConstraint("ticket", "cycle", name="uq_surveys_ticket_cycle"),
        UniqueConstraint("token", name="uq_surveys_token"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket: Mapped[str] = mapped_column(Text)
    cycle: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(64))
    vendor: Mapped[str | None] = mapped_column(Text)
    reporter_email: Mapped[str | None] = mapped_column(Text)
    slack_user: Mapped[str | None] = mapped_column(String(32))
    via: Mapped[str | None] = mapped_column(String(16))  # slack | web, once decided
    asked_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    csat: Mapped[int | None] = mapped_column(Integer)
    communication: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime | None] = mapped_column(index=True)  # ix_surveys_answered_at


# --- 0004 pending recompute (lead) ---


class PendingRecompute(Base):
    """A ticket whose stored clocks wait for the worker's recompute (store/pending.py).

    The webhook path stores events and marks their ticket here in the same transaction; `mark`
    grows with every mark, so a recompute that read an older mark leaves the row for the next round.
    """

    __tablename__ = "pending_recompute"

    ticket: Mapped[str] = mapped_column(Text, primary_key=True)
    mark: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime] = mapped_column(index=True)  # ix_pending_recompute_since: oldest first
    # 0010: not recomputed before `not_before` (an event stamped ahead of the worker's clock, or
    # the backoff after a failure); after MAX_FAILURES failures in a row, quarantined
    not_before: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    quarantined_at: Mapped[datetime | None]


# --- 0005 rule pins (effective-dated rules) ---


class RulePin(Base):
    """`slawatch rules apply NEW --from DATE`: tickets created before `created_before` stay judged
    by `version` (the version in force then), unless an earlier pin covers them; `replaced_by` is
    the version the apply put in force (processors/rule_schedule.py)."""

    __tablename__ = "rule_pins"
    __table_args__ = (UniqueConstraint("created_before", name="uq_rule_pins_created_before"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_before: Mapped[datetime]
    version: Mapped[str] = mapped_column(String(64), ForeignKey("rule_versions.version"))
    replaced_by: Mapped[str] = mapped_column(String(64), ForeignKey("rule_versions.version"))
    path: Mapped[str] = mapped_column(Text)  # the rules file it was applied to
    applied_at: Mapped[datetime]


# --- 0006 dashboard figures ---


class DashboardFigures(Base):
    """The dashboard's attainment figures of one period, every vendor's, as JSON (store/figures.py),
    counted at `computed_at` under `rules_version`."""

    __tablename__ = "dashboard_figures"

    period: Mapped[str] = mapped_column(String(32), primary_key=True)  # 2026-W47, 2026-11, 2026-Q4
    kind: Mapped[str] = mapped_column(String(16))
    rules_version: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime]
    figures: Mapped[str] = mapped_column(Text)


# The vendor page's worst breaches of the quarter (store/dashboard.py): one vendor's breached clocks
# by instant, instead of every clock of the vendor.
Index("ix_clocks_vendor_breached_at", ClockRow.vendor, ClockRow.breached_at)



# --- 0007 Slack messages waiting for their author's look-up ---


class SlackDeferredMessage(Base):
    """A Slack message naming tickets, by an author users.info has not been asked about yet: it
    waits for the look-up (store/slack_responses.py) before it may count as a response."""

    __tablename__ = "slack_deferred_messages"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)  # the parsed MessageEvent as JSON
    received_at: Mapped[datetime] = mapped_column(index=True)  # ix_slack_deferred_messages_received_at


# --- 0011 governance: API tokens and disputes of breaches (issue 13, sign-in and roles) ---


class ApiToken(Base):
    """A machine's bearer token (`slawatch token create`): only its sha256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)  # uq: api_tokens_name_key
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    vendor: Mapped[str | None] = mapped_column(Text)  # None: every vendor
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Dispute(Base):
    """A vendor manager's dispute of a breach; an approver approves (which excuses the breach)
    or rejects it. Every step is also in excuse_audit."""

    __tablename__ = "disputes"
    __table_args__ = (Index("ix_disputes_alert_key", "alert_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_key: Mapped[str] = mapped_column(Text)
    ticket: Mapped[str] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(String(32))
    cycle: Mapped[int] = mapped_column(Integer)
    by: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))  # open | approved | rejected
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]


class JiraWaiting(Base):
    """A Jira webhook body that names its issue by id only (Data Center `comment_created` without
    `issue`), for an id no stored ticket has yet: it waits until the issue is known
    (store/waiting.py), then goes in as if it had just arrived."""

    __tablename__ = "jira_waiting"

    delivery_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    issue_id: Mapped[str] = mapped_column(Text, index=True)  # ix_jira_waiting_issue_id
    body: Mapped[str] = mapped_column(Text)  # the decoded JSON body, re-encoded
    received_at: Mapped[datetime]


# --- 0011 evidence: frozen periods, late changes, repairs (store/freeze.py) ---


class FrozenPeriod(Base):
    """A week or quarter whose figures were posted (or are long past), as they were then."""

    __tablename__ = "frozen_periods"

    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    frozen_at: Mapped[datetime]
    cause: Mapped[str] = mapped_column(String(16))  # posted | freeze_after | repair
    rules_version: Mapped[str] = mapped_column(String(64))
    figures: Mapped[str] = mapped_column(Text)


class FrozenClock(Base):
    """One clock behind a frozen period's figures, with the verdict it was counted with."""

    __tablename__ = "frozen_clocks"

    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    ticket: Mapped[str] = mapped_column(Text, primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    cycle: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor: Mapped[str | None] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(16))  # met | breached | excused
    ended_at: Mapped[datetime]
    rules_version: Mapped[str | None] = mapped_column(String(64))


class LateChange(Base):
    """A clock of a frozen period now counted otherwise than when frozen (None: not counted)."""

    __tablename__ = "late_changes"
    __table_args__ = (Index("ix_late_changes_period", "period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(String(32))
    ticket: Mapped[str] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(String(32))
    cycle: Mapped[int] = mapped_column(Integer)
    vendor: Mapped[str | None] = mapped_column(Text)
    before: Mapped[str | None] = mapped_column(String(16))
    after: Mapped[str | None] = mapped_column(String(16))
    detected_at: Mapped[datetime]
    repair_id: Mapped[int | None] = mapped_column(BigInteger)


class PeriodRepair(Base):
    """`slawatch repair`: a frozen period re-judged on purpose, by whom, why, figures before/after."""

    __tablename__ = "period_repairs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(String(32), index=True)  # ix_period_repairs_period
    vendor: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    rules_version: Mapped[str] = mapped_column(String(64))
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)


# --- 0013 due planning ---

# The scheduler's tick reads the clocks whose plan_at has come, earliest first (store/alerting.py),
# and the survey step the resolution clocks stopped lately (store/surveys.py).
Index("ix_clocks_plan_at", ClockRow.plan_at, ClockRow.id)
Index("ix_clocks_state_stopped_at", ClockRow.state, ClockRow.stopped_at)
