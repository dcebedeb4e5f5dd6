"""slack_users.locale: the member's Slack language as users.info (include_locale=true) gives it,
e.g. "zh-CN" (issue 16); replies, forms and the survey DM speak it when Slawatch has a catalog
for it. Existing rows get NULL: the language is learnt on the member's next look-up.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("slack_users") as batch:
        batch.add_column(sa.Column("locale", sa.String(35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("slack_users") as batch:
        batch.drop_column("locale")
