"""Tip handling: assignee, clock days, outcome, public reply, promotion links; messages through the tracking code.

Revision ID: enf_0003
Revises: enf_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import UTCDateTime
from yingji.migrations.helpers import fk_column, id_column, index_each

revision = "enf_0003"
down_revision = "enf_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tips") as batch:
        batch.add_column(sa.Column("assigned_to", sa.String(100), nullable=False, server_default=""))
        batch.add_column(sa.Column("accepted_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("extended", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("outcome", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("reply", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("hazard_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
    op.create_table(
        "tip_messages",
        id_column(),
        fk_column("tip_messages", "tip_id", "tips", nullable=False, ondelete="CASCADE"),
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
    )
    index_each("tip_messages", "tip_id")


def downgrade() -> None:
    op.drop_table("tip_messages")
    with op.batch_alter_table("tips") as batch:
        columns = ("case_id", "hazard_id", "reply", "outcome", "closed_on", "extended", "accepted_on", "assigned_to")
        for column in columns:
            batch.drop_column(column)
