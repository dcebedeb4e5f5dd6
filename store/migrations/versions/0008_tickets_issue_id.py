"""tickets by Jira issue id: a comment_created that names its issue by id only finds the key

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""
from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tickets_issue_id", "tickets", ["issue_id"])


def downgrade() -> None:
    op.drop_index("ix_tickets_issue_id", table_name="tickets")
