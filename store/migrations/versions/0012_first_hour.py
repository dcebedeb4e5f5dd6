"""Jira webhook bodies waiting for their issue: a Data Center comment_created that names its issue
by id only, for an id no stored ticket has yet (issue 14)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jira_waiting",
        sa.Column("delivery_id", sa.String(128), primary_key=True),
        sa.Column("issue_id", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_jira_waiting_issue_id", "jira_waiting", ["issue_id"])


def downgrade() -> None:
    op.drop_index("ix_jira_waiting_issue_id", table_name="jira_waiting")
    op.drop_table("jira_waiting")
