"""Tip handling: assignee, clock days, outcome, public reply, promotion links; messages through the tracking code."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.migrations.helpers import (
    add_columns,
    create_id_table,
    drop_columns,
    event_columns,
    fk_column,
    index_each,
)

revision = "enf_0003"
down_revision = "enf_0002"


def upgrade() -> None:
    add_columns(
        "tips",
        sa.Column("assigned_to", sa.String(100), nullable=False, server_default=""),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("extended", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=False, server_default=""),
        sa.Column("reply", sa.Text(), nullable=False, server_default=""),
        sa.Column("hazard_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
    )
    create_id_table(
        "tip_messages",
        fk_column("tip_messages", "tip_id", "tips", nullable=False, ondelete="CASCADE"),
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        *event_columns(),
    )
    index_each("tip_messages", "tip_id")


def downgrade() -> None:
    op.drop_table("tip_messages")
    columns = ("case_id", "hazard_id", "reply", "outcome", "closed_on", "extended", "accepted_on", "assigned_to")
    drop_columns("tips", *columns)
