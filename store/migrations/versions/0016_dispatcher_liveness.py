"""dispatchers: one row per running dispatcher (process) with its heartbeat, so that an outbox row
left `sending` by a dispatcher that died is taken over within seconds, not after the claim
timeout (issue 12; store/dispatchers.py)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispatchers",
        sa.Column("id", sa.Text(), primary_key=True),  # the process id of its claims (outbox.claimed_by)
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dispatchers")
