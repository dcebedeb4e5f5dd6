"""clocks say how they ended and, for hand-off policies, when and by whom the ticket was handed off

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clocks") as batch:
        batch.add_column(sa.Column("ended_by", sa.String(16), nullable=True))  # response|resolution|handaway
        batch.add_column(sa.Column("measure", sa.String(16), nullable=True))  # ticket|handoff
        batch.add_column(sa.Column("handoff_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("handoff_by", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clocks") as batch:
        for column in ("handoff_by", "handoff_at", "measure", "ended_by"):
            batch.drop_column(column)
