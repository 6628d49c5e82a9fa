"""Public tips (举报) and their photos.

Revision ID: tips_0001
Revises: 0015_worksafety
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import UTCDateTime

revision = "tips_0001"
down_revision = "0015_worksafety"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tips",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code_digest", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "division_code",
            sa.String(12),
            sa.ForeignKey("divisions.code", name="fk_tips_division_code_divisions"),
            nullable=False,
        ),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("reporter_name", sa.String(100), nullable=True),
        sa.Column("reporter_phone", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("code_digest", name="uq_tips_code_digest"),
    )
    op.create_index("ix_tips_category", "tips", ["category"])
    op.create_index("ix_tips_division_code", "tips", ["division_code"])
    op.create_index("ix_tips_created_at", "tips", ["created_at"])
    op.create_table(
        "tip_photos",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "tip_id",
            sa.Integer(),
            sa.ForeignKey("tips.id", ondelete="CASCADE", name="fk_tip_photos_tip_id_tips"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
    )
    op.create_index("ix_tip_photos_tip_id", "tip_photos", ["tip_id"])


def downgrade() -> None:
    op.drop_table("tip_photos")
    op.drop_table("tips")
