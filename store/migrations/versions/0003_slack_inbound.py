"""slack in: Events API dedup, Slack user cache, excused breaches and their audit trail, surveys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def instant(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "slack_events",  # every Events API event_id handled once (Slack retries)
        sa.Column("event_id", sa.String(64), primary_key=True),
        instant("received_at"),
    )
    op.create_table(
        "slack_users",  # Slack user id -> email / name, filled outside requests
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("is_bot", sa.Boolean(), nullable=False, server_default=sa.false()),
        instant("seen_at"),
        instant("looked_up_at", nullable=True),
    )
    op.create_table(
        "excused_breaches",  # the breaches excused now (a row is removed on un-excuse)
        sa.Column("alert_key", sa.Text(), primary_key=True),
        sa.Column("ticket", sa.Text(), nullable=False),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        instant("at"),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_excused_breaches_clock", "excused_breaches", ["ticket", "metric", "cycle"])
    op.create_table(
        "excuse_audit",  # append-only: who excused or un-excused what, when and why
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("alert_key", sa.Text(), nullable=False),
        sa.Column("ticket", sa.Text(), nullable=False),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),  # excuse | unexcuse
        sa.Column("by", sa.Text(), nullable=False),
        instant("at"),
        sa.Column("reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_excuse_audit_ticket", "excuse_audit", ["ticket"])
    op.create_table(
        "surveys",  # one satisfaction survey per resolved ticket and resolution cycle
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("ticket", sa.Text(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("vendor", sa.Text(), nullable=True),
        sa.Column("reporter_email", sa.Text(), nullable=True),
        sa.Column("slack_user", sa.String(32), nullable=True),
        sa.Column("via", sa.String(16), nullable=True),  # slack | web, once decided
        instant("asked_at"),
        instant("expires_at"),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("communication", sa.Integer(), nullable=True),
        instant("answered_at", nullable=True),
        sa.UniqueConstraint("ticket", "cycle", name="uq_surveys_ticket_cycle"),
        sa.UniqueConstraint("token", name="uq_surveys_token"),
    )
    op.create_index("ix_surveys_answered_at", "surveys", ["answered_at"])


def downgrade() -> None:
    op.drop_table("surveys")
    op.drop_table("excuse_audit")
    op.drop_table("excused_breaches")
    op.drop_table("slack_users")
    op.drop_table("slack_events")
