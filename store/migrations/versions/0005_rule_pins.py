"""effective-dated rules: versions pinned for tickets created before a date

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def instant(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "rule_pins",  # `slawatch rules apply NEW --from DATE`: the version in force kept for older tickets
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        instant("created_before"),
        sa.Column("version", sa.String(64), sa.ForeignKey("rule_versions.version"), nullable=False),
        sa.Column("replaced_by", sa.String(64), sa.ForeignKey("rule_versions.version"), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        instant("applied_at"),
        sa.UniqueConstraint("created_before", name="uq_rule_pins_created_before"),
    )


def downgrade() -> None:
    op.drop_table("rule_pins")
