"""Duty handovers: the matters a shift handed over and the next shift's acknowledgement (issue #13)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType
from yingji.migrations.helpers import create_id_table, division_column, index_each, stamp_columns

revision = "dash_0001"
down_revision = "dis_0001"


def upgrade() -> None:
    create_id_table(
        "duty_handovers",
        sa.Column(
            "shift_id", sa.Integer, sa.ForeignKey("duty_shifts.id", ondelete="CASCADE"), nullable=False, unique=True
        ),
        division_column(index=False),
        sa.Column("items", JSONType, nullable=False),
        *stamp_columns("acknowledged", required=False, at_first=True),
    )
    index_each("duty_handovers", "division_code")


def downgrade() -> None:
    op.drop_index("ix_duty_handovers_division_code", table_name="duty_handovers")
    op.drop_table("duty_handovers")
