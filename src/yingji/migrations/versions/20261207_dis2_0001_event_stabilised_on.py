"""Disaster events: the day the disaster stabilised (灾情稳定), from which the verified reports (核报) are due.

Revision ID: dis2_0001
Revises: dom_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "dis2_0001"
down_revision = "dom_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("disaster_events") as batch:
        batch.add_column(sa.Column("stabilised_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("disaster_events") as batch:
        batch.drop_column("stabilised_on")
