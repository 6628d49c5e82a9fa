"""Relief: a stored plan's rescue-team assignment (teams to sites by capability and arrival time)."""

from __future__ import annotations

import sqlalchemy as sa

from yingji.db import JSONType
from yingji.migrations.helpers import add_columns, drop_columns

revision = "0006b"
down_revision = "0006a"


def upgrade() -> None:
    add_columns("relief_plans", sa.Column("teams", JSONType))


def downgrade() -> None:
    drop_columns("relief_plans", "teams")
