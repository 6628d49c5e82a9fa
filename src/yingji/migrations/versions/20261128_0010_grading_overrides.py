"""Command: per-jurisdiction grading overrides (local plans' thresholds) stored in the database.

Revision ID: 0010
Revises: 0006b
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import division_column, id_column

revision = "0010"
down_revision = "0006b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grading_overrides",
        id_column(),
        division_column(),
        sa.Column("applies_to", sa.String(64), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("status", sa.String(1), nullable=False),
        sa.Column("thresholds", JSONType, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("retired_at", UTCDateTime),
    )


def downgrade() -> None:
    op.drop_table("grading_overrides")
