"""Tips promoted to an incident (Command): the incident's id on the tip."""

from __future__ import annotations

import sqlalchemy as sa

from yingji.migrations.helpers import add_columns, drop_columns

revision = "dom_0002"
down_revision = "dom_0001"


def upgrade() -> None:
    add_columns("tips", sa.Column("incident_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    drop_columns("tips", "incident_id")
