"""Command: per-jurisdiction grading overrides (local plans' thresholds) stored in the database."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import create_id_table, division_column, stamp_columns

revision = "0010"
down_revision = "0006b"


def upgrade() -> None:
    create_id_table(
        "grading_overrides",
        division_column(),
        sa.Column("applies_to", sa.String(64), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("status", sa.String(1), nullable=False),
        sa.Column("thresholds", JSONType, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        *stamp_columns("created", at_first=True),
        sa.Column("retired_at", UTCDateTime),
    )


def downgrade() -> None:
    op.drop_table("grading_overrides")
