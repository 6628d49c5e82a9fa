"""Disasters: disaster events and township statistics reports with their review trail (issue #17).

Revision ID: disasters_0001
Revises: tips_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import division_column, drop_tables, id_column, index_each

revision = "disasters_0001"
down_revision = "tips_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disaster_events",
        id_column(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("glide", sa.String(32)),
        division_column(index=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
    )
    index_each("disaster_events", "division_code")
    op.create_table(
        "disaster_reports",
        id_column(),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("disaster_events.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("township_code", sa.String(12), sa.ForeignKey("divisions.code"), nullable=False),
        sa.Column("county_code", sa.String(12), nullable=False),
        sa.Column("report_type", sa.String(16), nullable=False),
        sa.Column("figures", JSONType, nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("findings", JSONType, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("return_reason", sa.Text, nullable=False),
        sa.Column("reviews", JSONType, nullable=False),
        sa.Column("corrects_id", sa.Integer, sa.ForeignKey("disaster_reports.id")),
        sa.Column("submitted_by", sa.String(100), nullable=False),
        sa.Column("submitted_at", UTCDateTime, nullable=False),
    )
    index_each("disaster_reports", "county_code")
    op.create_index("ix_disaster_reports_event_township", "disaster_reports", ["event_id", "township_code", "id"])


def downgrade() -> None:
    drop_tables("disaster_reports", "disaster_events")
