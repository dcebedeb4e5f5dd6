"""tickets whose clocks wait for the worker's recompute

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_recompute",
        sa.Column("ticket", sa.Text(), primary_key=True),
        sa.Column("mark", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_pending_recompute_since", "pending_recompute", ["since"])


def downgrade() -> None:
    op.drop_index("ix_pending_recompute_since", table_name="pending_recompute")
    op.drop_table("pending_recompute")
