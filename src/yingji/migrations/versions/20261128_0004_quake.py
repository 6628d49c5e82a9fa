"""Quake: stored earthquake assessments and the divisions each affects."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import (
    create_id_table,
    division_column,
    drop_tables,
    index_each,
    position_columns,
    stamp_columns,
)

revision = "0004"
down_revision = "0003a"


def upgrade() -> None:
    create_id_table(
        "assessments",
        division_column(index=False),
        *position_columns(nullable=False),
        sa.Column("depth_km", sa.Float, nullable=False),
        sa.Column("magnitude", sa.Float, nullable=False),
        sa.Column("magnitude_type", sa.String(2), nullable=False),
        sa.Column("origin_time", UTCDateTime, nullable=False),
        sa.Column("assessed_at", UTCDateTime, nullable=False),
        sa.Column("max_intensity", sa.Float, nullable=False),
        sa.Column("expected_deaths", sa.Float, nullable=False),
        sa.Column("response_level", sa.Integer),
        sa.Column("population_source", sa.String(200), nullable=False),
        sa.Column("inputs", JSONType, nullable=False),
        sa.Column("results", JSONType, nullable=False),
        sa.Column("zones", JSONType, nullable=False),
        sa.Column("exposure_by_division", JSONType, nullable=False),
        sa.Column("incident_id", sa.Integer),
        *stamp_columns("created"),
    )
    index_each("assessments", "division_code", "origin_time", "incident_id", "created_at")
    op.create_table(
        "assessment_divisions",
        sa.Column("assessment_id", sa.Integer, sa.ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("code", sa.String(12), sa.ForeignKey("divisions.code"), primary_key=True),
    )
    index_each("assessment_divisions", "code")


def downgrade() -> None:
    drop_tables("assessment_divisions", "assessments")
