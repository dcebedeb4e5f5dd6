"""jira_fields: the names Jira shows for field ids, so `match.fields` can name a field (issue 11);
ix_tickets_deleted, so the dashboard's figures find the deleted tickets without reading every
ticket (issue 15)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jira_fields",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_tickets_deleted", "tickets", ["deleted"])


def downgrade() -> None:
    op.drop_index("ix_tickets_deleted", table_name="tickets")
    op.drop_table("jira_fields")
