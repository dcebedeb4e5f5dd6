"""Issue 13: API tokens and disputes of breaches (_upgrade_auth); frozen periods and evidence
(_upgrade_evidence)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    _upgrade_auth()


def downgrade() -> None:
    _downgrade_auth()


def _upgrade_auth() -> None:
    """Sign-in and roles: machines' bearer tokens (hashed) and vendor managers' disputes."""
    op.create_table(
        "api_tokens",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("vendor", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "disputes",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("alert_key", sa.Text(), nullable=False),
        sa.Column("ticket", sa.Text(), nullable=False),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_disputes_alert_key", "disputes", ["alert_key"])


def _downgrade_auth() -> None:
    op.drop_index("ix_disputes_alert_key", table_name="disputes")
    op.drop_table("disputes")
    op.drop_table("api_tokens")
