"""Public tips (举报) and their photos.

Revision ID: tips_0001
Revises: 0015_worksafety
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import UTCDateTime
from yingji.migrations.helpers import drop_tables, fk, fk_column, id_column, index_each

revision = "tips_0001"
down_revision = "0015_worksafety"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tips",
        id_column(),
        sa.Column("code_digest", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("division_code", sa.String(12), fk("tips", "division_code", "divisions", key="code"), nullable=False),
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
    index_each("tips", "category", "division_code", "created_at")
    op.create_table(
        "tip_photos",
        id_column(),
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
