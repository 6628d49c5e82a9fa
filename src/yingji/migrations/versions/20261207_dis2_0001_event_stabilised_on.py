"""Disaster events: the day the disaster stabilised (灾情稳定), from which the verified reports (核报) are due."""

from __future__ import annotations

import sqlalchemy as sa

from yingji.migrations.helpers import add_columns, drop_columns

revision = "dis2_0001"
down_revision = "dom_0002"


def upgrade() -> None:
    add_columns("disaster_events", sa.Column("stabilised_on", sa.Date(), nullable=True))


def downgrade() -> None:
    drop_columns("disaster_events", "stabilised_on")
