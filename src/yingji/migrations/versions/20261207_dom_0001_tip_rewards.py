"""Tip rewards (举报奖励): one per tip, proposed → approved → claimed → paid."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import UTCDateTime
from yingji.migrations.helpers import create_id_table, fk_column, stamp_columns

revision = "dom_0001"
down_revision = "dash_0003"


def upgrade() -> None:
    create_id_table(
        "tip_rewards",
        fk_column("tip_rewards", "tip_id", "tips", nullable=False, ondelete="CASCADE"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("amount_yuan", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        *stamp_columns("proposed"),
        sa.Column("approved_by", sa.String(100), nullable=False),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("claimant_name", sa.String(100), nullable=True),
        sa.Column("claimant_phone", sa.String(32), nullable=True),
        sa.Column("paid_by", sa.String(100), nullable=False),
        sa.Column("paid_at", UTCDateTime(), nullable=True),
        sa.Column("payment_ref", sa.String(100), nullable=False),
        sa.UniqueConstraint("tip_id", name="uq_tip_rewards_tip_id"),
    )


def downgrade() -> None:
    op.drop_table("tip_rewards")
