"""Tips promoted to an incident (Command): the incident's id on the tip.

Revision ID: dom_0002
Revises: dom_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "dom_0002"
down_revision = "dom_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tips") as batch:
        batch.add_column(sa.Column("incident_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tips") as batch:
        batch.drop_column("incident_id")
