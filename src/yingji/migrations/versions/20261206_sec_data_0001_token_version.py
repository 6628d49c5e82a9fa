"""Auth: a per-user token version, so sessions can be revoked on the server.

Every access token carries the version its user had when it was issued; logout, disabling, a change of
role, division or password bumps the version, and older tokens are refused on their next request.

Revision ID: sec_data_0001
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sec_data_0001"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("token_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_version")
