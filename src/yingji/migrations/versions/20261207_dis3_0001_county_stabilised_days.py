"""Disaster events: the day each county stabilised (灾情稳定), from which its townships' verified reports (核报)
are due; the event's own ``stabilised_on`` stays as the day of the counties that record none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.migrations.helpers import create_id_table, index_each, stamp_columns

revision = "dis3_0001"
down_revision = "enf2_0001"


def upgrade() -> None:
    create_id_table(
        "disaster_stabilised_days",
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("disaster_events.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("county_code", sa.String(12), sa.ForeignKey("divisions.code"), nullable=False),
        sa.Column("stabilised_on", sa.Date(), nullable=False),
        *stamp_columns("recorded", at_first=True),
        sa.UniqueConstraint("event_id", "county_code", name="uq_disaster_stabilised_days_county"),
    )
    index_each("disaster_stabilised_days", "county_code")


def downgrade() -> None:
    op.drop_index("ix_disaster_stabilised_days_county_code", table_name="disaster_stabilised_days")
    op.drop_table("disaster_stabilised_days")
