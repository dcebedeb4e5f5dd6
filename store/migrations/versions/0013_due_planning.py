"""clocks.plan_at: when the alert planner must next look at a clock (issue 15), indexed; and an
index on clocks (state, stopped_at) for the survey step

Existing rows get plan_at = computed_at when the clock is open or was computed in the last day
(the previous planner still looked at those), NULL otherwise: the first tick after the upgrade
looks at every open clock once (in batches) and moves each to its next instant.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clocks") as batch:
        batch.add_column(sa.Column("plan_at", sa.DateTime(timezone=True), nullable=True))
    clocks = sa.table("clocks", sa.column("plan_at", sa.DateTime(timezone=True)),
                      sa.column("computed_at", sa.DateTime(timezone=True)), sa.column("state", sa.String))
    cutoff = datetime.now(timezone.utc) - timedelta(days=1)
    if op.get_bind().dialect.name == "sqlite":  # stored as naive UTC there (store/models.py)
        cutoff = cutoff.replace(tzinfo=None)
    op.execute(clocks.update().where(sa.or_(clocks.c.state != "stopped", clocks.c.computed_at >= cutoff))
               .values(plan_at=clocks.c.computed_at))
    op.create_index("ix_clocks_plan_at", "clocks", ["plan_at", "id"])
    op.create_index("ix_clocks_state_stopped_at", "clocks", ["state", "stopped_at"])


def downgrade() -> None:
    op.drop_index("ix_clocks_state_stopped_at", table_name="clocks")
    op.drop_index("ix_clocks_plan_at", table_name="clocks")
    with op.batch_alter_table("clocks") as batch:
        batch.drop_column("plan_at")
