"""Duty handovers: the matters a shift handed over and the next shift's acknowledgement (issue #13).

Revision ID: dash_0001
Revises: dis_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import division_column, id_column, index_each

revision = "dash_0001"
down_revision = "dis_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "duty_handovers",
        id_column(),
        sa.Column(
            "shift_id", sa.Integer, sa.ForeignKey("duty_shifts.id", ondelete="CASCADE"), nullable=False, unique=True
        ),
        division_column(index=False),
        sa.Column("items", JSONType, nullable=False),
        sa.Column("acknowledged_at", UTCDateTime),
        sa.Column("acknowledged_by", sa.String(100)),
    )
    index_each("duty_handovers", "division_code")


def downgrade() -> None:
    op.drop_index("ix_duty_handovers_division_code", table_name="duty_handovers")
    op.drop_table("duty_handovers")
