"""Command: indexes for incident lists in a jurisdiction, and the primary flag of an incident's divisions.

A list tests the incident's own division on the incident row (``incidents.division_code``) and looks in
``incident_divisions`` only for the other divisions it covers (``is_primary`` false, a small partial index).
On PostgreSQL the two list indexes carry the columns lists filter on, so pages and totals are index-only
scans: ``(reported_at, id)`` walks the newest first, ``(division_code, reported_at, id)`` reads one
jurisdiction's range.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.migrations.helpers import add_columns, drop_columns

revision = "0011"
down_revision = "0010"

LISTED = ["division_code", "status", "incident_type", "exercise"]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    add_columns("incident_divisions", sa.Column("is_primary", sa.Boolean, nullable=False, server_default=sa.false()))
    op.execute(
        "UPDATE incident_divisions SET is_primary = true WHERE code = "
        "(SELECT incidents.division_code FROM incidents WHERE incidents.id = incident_divisions.incident_id)"
    )
    op.create_index(
        "ix_incident_divisions_secondary",
        "incident_divisions",
        ["code", "incident_id"],
        sqlite_where=sa.text("NOT is_primary"),
        postgresql_where=sa.text("NOT is_primary"),
    )
    if postgres:
        op.drop_index("ix_incidents_reported_at_id", table_name="incidents")
        op.create_index("ix_incidents_reported_at_id", "incidents", ["reported_at", "id"], postgresql_include=LISTED)
    op.create_index(
        "ix_incidents_division_reported",
        "incidents",
        ["division_code", "reported_at", "id"],
        postgresql_include=LISTED[1:],
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_index("ix_incidents_division_reported", table_name="incidents")
    if postgres:
        op.drop_index("ix_incidents_reported_at_id", table_name="incidents")
        op.create_index("ix_incidents_reported_at_id", "incidents", ["reported_at", "id"])
    op.drop_index("ix_incident_divisions_secondary", table_name="incident_divisions")
    drop_columns("incident_divisions", "is_primary")
