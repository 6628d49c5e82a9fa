"""Public tips (举报) and their photos."""

from __future__ import annotations

import sqlalchemy as sa

from yingji.migrations.helpers import (
    create_id_table,
    drop_tables,
    fk,
    fk_column,
    index_each,
    position_columns,
    timestamp_columns,
)

revision = "tips_0001"
down_revision = "0015_worksafety"


def upgrade() -> None:
    create_id_table(
        "tips",
        sa.Column("code_digest", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("division_code", sa.String(12), fk("tips", "division_code", "divisions", key="code"), nullable=False),
        *position_columns(nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("reporter_name", sa.String(100), nullable=True),
        sa.Column("reporter_phone", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        *timestamp_columns(),
        sa.UniqueConstraint("code_digest", name="uq_tips_code_digest"),
    )
    index_each("tips", "category", "division_code", "created_at")
    create_id_table(
        "tip_photos",
        fk_column("tip_photos", "tip_id", "tips", nullable=False, ondelete="CASCADE"),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
    )
    index_each("tip_photos", "tip_id")


def downgrade() -> None:
    drop_tables("tip_photos", "tips")
