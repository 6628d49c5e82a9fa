"""Command: a partial index of open incidents, newest first, for the map's incident layer.

The layer reads the open incidents of a jurisdiction newest first (id, grade, position). Three in four
incidents are closed, so walking ``(reported_at, id)`` skipped them row by row; this index holds only the
open ones and, on PostgreSQL, carries the columns the layer reads and tests (index-only scan).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"

OPEN = "status <> 'closed'"


def upgrade() -> None:
    op.create_index(
        "ix_incidents_open_reported",
        "incidents",
        ["reported_at", "id"],
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
        postgresql_include=["division_code", "grade", "lon", "lat"],
    )


def downgrade() -> None:
    op.drop_index("ix_incidents_open_reported", table_name="incidents")
