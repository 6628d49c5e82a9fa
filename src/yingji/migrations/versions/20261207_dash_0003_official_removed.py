"""Responsible officials can be removed (issue #13 point 8): ``removed_at`` marks one no longer called; the
calls of past warnings keep naming them.

Revision ID: dash_0003
Revises: sec_0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import UTCDateTime

revision = "dash_0003"
down_revision = "sec_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("warning_officials") as batch:
        batch.add_column(sa.Column("removed_at", UTCDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("warning_officials") as batch:
        batch.drop_column("removed_at")
