"""Disasters: disaster events and township statistics reports with their review trail (issue #17)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import (
    create_id_table,
    division_column,
    drop_tables,
    event_township_columns,
    index_each,
    stamp_columns,
)

revision = "disasters_0001"
down_revision = "tips_0001"


def upgrade() -> None:
    create_id_table(
        "disaster_events",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("glide", sa.String(32)),
        division_column(index=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        *stamp_columns("created", at_first=True),
    )
    index_each("disaster_events", "division_code")
    create_id_table(
        "disaster_reports",
        *event_township_columns(),
        sa.Column("county_code", sa.String(12), nullable=False),
        sa.Column("report_type", sa.String(16), nullable=False),
        sa.Column("figures", JSONType, nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("findings", JSONType, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("return_reason", sa.Text, nullable=False),
        sa.Column("reviews", JSONType, nullable=False),
        sa.Column("corrects_id", sa.Integer, sa.ForeignKey("disaster_reports.id")),
        *stamp_columns("submitted"),
    )
    index_each("disaster_reports", "county_code")
    op.create_index("ix_disaster_reports_event_township", "disaster_reports", ["event_id", "township_code", "id"])


def downgrade() -> None:
    drop_tables("disaster_reports", "disaster_events")
