"""Relief: stored road networks — one row per road feature (lines, class, speed) with its cut state."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import create_id_table, division_column, index_each, stamp_columns

revision = "0006a"
down_revision = "0006"


def upgrade() -> None:
    create_id_table(
        "road_segments",
        sa.Column("network", sa.String(100), nullable=False),
        sa.Column("feature_id", sa.String(100), nullable=False),
        division_column(index=False),
        sa.Column("road_class", sa.String(32), nullable=False),
        sa.Column("speed_kmh", sa.Float, nullable=False),
        sa.Column("lines", JSONType, nullable=False),
        sa.Column("length_km", sa.Float, nullable=False),
        sa.Column("is_cut", sa.Boolean, nullable=False),
        sa.Column("cut_reason", sa.Text, nullable=False),
        *stamp_columns("cut", required=False, at_first=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("network", "feature_id", name="uq_road_segments_network_feature"),
    )
    index_each("road_segments", "network", "division_code", "is_cut")


def downgrade() -> None:
    op.drop_table("road_segments")
