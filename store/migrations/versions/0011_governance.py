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


def _instant(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _upgrade_evidence() -> None:
    op.create_table(
        "frozen_periods",  # store/freeze.py: a posted (or long past) week or quarter, with its figures
        sa.Column("period", sa.String(32), primary_key=True),  # 2026-W47, 2026-Q3
        sa.Column("kind", sa.String(16), nullable=False),  # week | quarter
        _instant("start_at"), _instant("end_at"), _instant("frozen_at"),
        sa.Column("cause", sa.String(16), nullable=False),  # posted | freeze_after | repair
        sa.Column("rules_version", sa.String(64), nullable=False),  # in force when frozen
        sa.Column("figures", sa.Text(), nullable=False),  # JSON: per vendor, per metric [counted, met, excused]
    )
    op.create_table(
        "frozen_clocks",  # the clocks behind a frozen period's figures, as they were counted
        sa.Column("period", sa.String(32), primary_key=True),
        sa.Column("ticket", sa.Text(), primary_key=True),
        sa.Column("metric", sa.String(32), primary_key=True),
        sa.Column("cycle", sa.Integer(), primary_key=True),
        sa.Column("vendor", sa.Text(), nullable=True),
        sa.Column("verdict", sa.String(16), nullable=False),  # met | breached | excused
        _instant("ended_at"),
        sa.Column("rules_version", sa.String(64), nullable=True),
    )
    op.create_table(
        "late_changes",  # a clock of a frozen period counted otherwise than when it was frozen
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("ticket", sa.Text(), nullable=False),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.Text(), nullable=True),
        sa.Column("before", sa.String(16), nullable=True),  # verdict when frozen; NULL: not counted then
        sa.Column("after", sa.String(16), nullable=True),  # verdict now; NULL: no longer counted
        _instant("detected_at"),
        sa.Column("repair_id", sa.BigInteger(), nullable=True),  # the repair that took it in
    )
    op.create_index("ix_late_changes_period", "late_changes", ["period"])
    op.create_table(
        "period_repairs",  # `slawatch repair`: who re-judged a frozen period, why, before and after
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(32), nullable=False, index=True),
        sa.Column("vendor", sa.Text(), nullable=True),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _instant("at"),
        sa.Column("rules_version", sa.String(64), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),  # JSON figures
        sa.Column("after", sa.Text(), nullable=False),
    )


def _downgrade_evidence() -> None:
    op.drop_table("period_repairs")
    op.drop_index("ix_late_changes_period", table_name="late_changes")
    op.drop_table("late_changes")
    op.drop_table("frozen_clocks")
    op.drop_table("frozen_periods")


def upgrade() -> None:
    _upgrade_auth()
    _upgrade_evidence()


def downgrade() -> None:
    _downgrade_evidence()
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
