"""alerts: clocks.vendor and clocks.warnings, outbox, leases, acknowledgements

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def instant(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("clocks") as batch:
        batch.add_column(sa.Column("vendor", sa.Text(), nullable=True))
        batch.add_column(sa.Column("warnings", sa.Text(), nullable=True))  # JSON [[fraction, at]]
    op.create_index("ix_clocks_vendor_metric", "clocks", ["vendor", "metric"])
    op.create_index("ix_clocks_computed_at", "clocks", ["computed_at"])
    op.create_index("ix_clocks_breached_at", "clocks", ["breached_at"])
    op.create_table(
        "outbox",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("blocks", sa.Text(), nullable=True),  # JSON list of Block Kit blocks
        sa.Column("thread_key", sa.Text(), nullable=True),
        sa.Column("ticket", sa.Text(), nullable=True),
        sa.Column("metric", sa.String(32), nullable=True),
        sa.Column("cycle", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(32), nullable=True),
        sa.Column("attachment", sa.LargeBinary(), nullable=True),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        instant("not_before"),
        sa.Column("claimed_by", sa.Text(), nullable=True),
        instant("claimed_at", nullable=True),
        instant("sent_at", nullable=True),
        sa.Column("slack_channel", sa.Text(), nullable=True),
        sa.Column("slack_ts", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        instant("created_at"),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
    )
    op.create_index("ix_outbox_status_not_before", "outbox", ["status", "not_before"])
    op.create_index("ix_outbox_thread_key", "outbox", ["thread_key"])
    op.create_index("ix_outbox_ticket", "outbox", ["ticket"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.Text(), nullable=False),
        instant("expires_at"),
    )
    op.create_table(
        "acknowledgements",
        sa.Column("alert_key", sa.Text(), primary_key=True),
        sa.Column("ticket", sa.Text(), nullable=False),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        instant("at"),
        sa.Column("kind", sa.String(16), nullable=False),  # ack | excuse
        sa.Column("reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_acknowledgements_clock", "acknowledgements", ["ticket", "metric", "cycle"])


def downgrade() -> None:
    op.drop_table("acknowledgements")
    op.drop_table("leases")
    op.drop_table("outbox")
    for index in ("ix_clocks_breached_at", "ix_clocks_computed_at", "ix_clocks_vendor_metric"):
        op.drop_index(index, table_name="clocks")
    with op.batch_alter_table("clocks") as batch:
        batch.drop_column("warnings")
        batch.drop_column("vendor")
