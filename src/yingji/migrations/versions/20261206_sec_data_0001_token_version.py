"""Auth: a per-user token version, so sessions can be revoked on the server.

Every access token carries the version its user had when it was issued; logout, disabling, a change of
role, division or password bumps the version, and older tokens are refused on their next request.
"""

from __future__ import annotations

import sqlalchemy as sa

from yingji.migrations.helpers import add_columns, drop_columns

revision = "sec_data_0001"
down_revision = "0013"


def upgrade() -> None:
    add_columns("users", sa.Column("token_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    drop_columns("users", "token_version")
