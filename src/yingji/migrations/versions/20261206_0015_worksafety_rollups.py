"""Work safety: roll-ups for the 动态清零 board (hazards per division, category, level and state; closed
hazards by days to close) and a partial index for the overdue count.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.migrations.helpers import drop_tables

revision = "0015_worksafety"
down_revision = "0014_worksafety"

UNRECTIFIED = "state IN ('reported', 'determined', 'planned', 'rectifying')"


def upgrade() -> None:
    op.create_table(
        "hazard_counts",
        sa.Column("division_code", sa.String(12), primary_key=True),
        sa.Column("supervision_category", sa.String(32), primary_key=True),
        sa.Column("level", sa.String(8), primary_key=True),
        sa.Column("state", sa.String(16), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_table(
        "hazard_close_days",
        sa.Column("division_code", sa.String(12), primary_key=True),
        sa.Column("supervision_category", sa.String(32), primary_key=True),
        sa.Column("days", sa.Integer, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )
    # The overdue count reads only the hazards not yet rectified (a fifth or less of them).
    op.create_index(
        "ix_hazards_unrectified_deadlines",
        "hazards",
        ["division_code", "deadline", "listed_deadline", "supervision_category"],
        sqlite_where=sa.text(UNRECTIFIED),
        postgresql_where=sa.text(UNRECTIFIED),
    )
    # Hazards stored before this revision are counted once.
    op.execute(
        "INSERT INTO hazard_counts (division_code, supervision_category, level, state, count) "
        "SELECT division_code, supervision_category, coalesce(level, ''), state, count(*) FROM hazards "
        "GROUP BY division_code, supervision_category, coalesce(level, ''), state"
    )


def downgrade() -> None:
    op.drop_index("ix_hazards_unrectified_deadlines", table_name="hazards")
    drop_tables("hazard_close_days", "hazard_counts")
