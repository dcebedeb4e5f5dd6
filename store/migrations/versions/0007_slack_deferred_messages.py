"""Slack messages waiting for their author's users.info look-up before they may count

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_deferred_messages",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_slack_deferred_messages_received_at", "slack_deferred_messages", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_deferred_messages_received_at", table_name="slack_deferred_messages")
    op.drop_table("slack_deferred_messages")
