"""initial tables: tickets, events, deliveries, clocks, rule_versions, service_state

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def instant(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("issue_id", sa.Text()),
        sa.Column("project", sa.Text()),
        sa.Column("summary", sa.Text()),
        sa.Column("status", sa.Text()),
        sa.Column("priority", sa.Text()),
        sa.Column("issuetype", sa.Text()),
        sa.Column("reporter", sa.Text()),
        sa.Column("assignee", sa.Text()),
        sa.Column("vendor", sa.Text(), index=True),
        sa.Column("policy", sa.Text()),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        instant("created_at", nullable=True),
        instant("updated_at", nullable=True),
    )
    op.create_table(
        "events",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("ticket", sa.Text(), sa.ForeignKey("tickets.key"), nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        instant("at"),
        sa.Column("dedup_key", sa.Text(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        instant("received_at"),
        sa.UniqueConstraint("dedup_key", name="uq_events_dedup_key"),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("delivery_id", sa.String(128), nullable=False),
        instant("received_at"),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.UniqueConstraint("source", "delivery_id", name="uq_deliveries_source_id"),
    )
    op.create_table(
        "clocks",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("ticket", sa.Text(), sa.ForeignKey("tickets.key"), nullable=False, index=True),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("target_seconds", sa.Integer(), nullable=False),
        sa.Column("elapsed_seconds", sa.Integer(), nullable=False),
        sa.Column("paused_seconds", sa.Integer(), nullable=False),
        instant("started_at"),
        instant("stopped_at", nullable=True),
        instant("due_at", nullable=True),
        instant("breached_at", nullable=True),
        instant("next_warning_at", nullable=True),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("calendar", sa.Text(), nullable=False),
        sa.Column("rules_version", sa.String(64), nullable=False, index=True),
        instant("computed_at"),
        sa.UniqueConstraint("ticket", "metric", "cycle", name="uq_clocks_ticket_metric_cycle"),
    )
    op.create_index("ix_clocks_due_at", "clocks", ["due_at"])
    op.create_index("ix_clocks_next_warning_at", "clocks", ["next_warning_at"])
    op.create_table(
        "rule_versions",
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        instant("loaded_at"),
        instant("first_seen_at"),
    )
    op.create_table(
        "service_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text()),
        instant("updated_at"),
    )


def downgrade() -> None:
    for table in ("service_state", "rule_versions", "clocks", "deliveries", "events", "tickets"):
        op.drop_table(table)
