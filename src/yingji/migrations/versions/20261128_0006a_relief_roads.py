"""Relief: stored road networks — one row per road feature (lines, class, speed) with its cut state.

Revision ID: 0006a
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import division_column, id_column, index_each

revision = "0006a"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "road_segments",
        id_column(),
        sa.Column("network", sa.String(100), nullable=False),
        sa.Column("feature_id", sa.String(100), nullable=False),
        division_column(index=False),
        sa.Column("road_class", sa.String(32), nullable=False),
        sa.Column("speed_kmh", sa.Float, nullable=False),
        sa.Column("lines", JSONType, nullable=False),
        sa.Column("length_km", sa.Float, nullable=False),
        sa.Column("is_cut", sa.Boolean, nullable=False),
        sa.Column("cut_reason", sa.Text, nullable=False),
        sa.Column("cut_at", UTCDateTime),
        sa.Column("cut_by", sa.String(100)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("network", "feature_id", name="uq_road_segments_network_feature"),
    )
    index_each("road_segments", "network", "division_code", "is_cut")


def downgrade() -> None:
    op.drop_table("road_segments")
