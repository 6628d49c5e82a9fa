"""Relief: a stored plan's rescue-team assignment (teams to sites by capability and arrival time).

Revision ID: 0006b
Revises: 0006a
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType

revision = "0006b"
down_revision = "0006a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("relief_plans") as batch:
        batch.add_column(sa.Column("teams", JSONType))


def downgrade() -> None:
    with op.batch_alter_table("relief_plans") as batch:
        batch.drop_column("teams")
