"""Quake: earthquakes seen in catalogue feeds, with their assessed versions."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import create_id_table, index_each, position_columns

revision = "0014"
down_revision = "sec_data_0001"


def upgrade() -> None:
    create_id_table(
        "quake_feed_earthquakes",
        sa.Column("origin_time", UTCDateTime, nullable=False),
        *position_columns(nullable=False),
        sa.Column("depth_km", sa.Float, nullable=False),
        sa.Column("magnitude", sa.Float, nullable=False),
        sa.Column("magnitude_type", sa.String(2), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("reports", JSONType, nullable=False),
        sa.Column("versions", JSONType, nullable=False),
        sa.Column("assessment_id", sa.Integer),
        sa.Column("incident_id", sa.Integer),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("first_seen_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    index_each("quake_feed_earthquakes", "origin_time")


def downgrade() -> None:
    op.drop_table("quake_feed_earthquakes")
