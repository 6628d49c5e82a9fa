"""Responsible officials can be removed (issue #13 point 8): ``removed_at`` marks one no longer called; the
calls of past warnings keep naming them.
"""

from __future__ import annotations

import sqlalchemy as sa

from yingji.db import UTCDateTime
from yingji.migrations.helpers import add_columns, drop_columns

revision = "dash_0003"
down_revision = "sec_0001"


def upgrade() -> None:
    add_columns("warning_officials", sa.Column("removed_at", UTCDateTime, nullable=True))


def downgrade() -> None:
    drop_columns("warning_officials", "removed_at")
