"""dashboard figures computed in the background; an index for the worst breaches

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_figures",  # store/figures.py: attainment counts per period, kept for the pages
        sa.Column("period", sa.String(32), primary_key=True),  # its label: 2026-W47, 2026-11, 2026-Q4
        sa.Column("kind", sa.String(16), nullable=False),  # week | month | quarter
        sa.Column("rules_version", sa.String(64), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),  # JSON, store.figures.encode
    )
    # the vendor page's worst breaches of the quarter: one vendor's breached clocks by instant
    op.create_index("ix_clocks_vendor_breached_at", "clocks", ["vendor", "breached_at"])


def downgrade() -> None:
    op.drop_index("ix_clocks_vendor_breached_at", table_name="clocks")
    op.drop_table("dashboard_figures")
