"""jira_fields: the names Jira shows for field ids, so `match.fields` can name a field (issue 11);
ix_tickets_deleted, so the dashboard's figures find the deleted tickets without reading every
ticket; five indexes of clocks no query needs dropped (ix_clocks_state: the prefix of
ix_clocks_state_stopped_at; ix_clocks_ticket: the prefix of uq_clocks_ticket_metric_cycle;
ix_clocks_next_warning_at: the planner reads plan_at since 0013; ix_clocks_computed_at;
ix_clocks_rules_version: read with != only), so a recompute rewrites fewer index pages (issue 15)

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

DROPPED = {"ix_clocks_state": "state", "ix_clocks_next_warning_at": "next_warning_at",
           "ix_clocks_computed_at": "computed_at", "ix_clocks_ticket": "ticket",
           "ix_clocks_rules_version": "rules_version"}


def upgrade() -> None:
    op.create_table(
        "jira_fields",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_tickets_deleted", "tickets", ["deleted"])
    for index in DROPPED:
        op.drop_index(index, table_name="clocks")


def downgrade() -> None:
    for index, column in DROPPED.items():
        op.create_index(index, "clocks", [column])
    op.drop_index("ix_tickets_deleted", table_name="tickets")
    op.drop_table("jira_fields")
