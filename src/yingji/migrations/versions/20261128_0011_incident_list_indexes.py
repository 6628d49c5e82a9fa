"""Command: indexes for incident lists in a jurisdiction, and the primary flag of an incident's divisions.

A list tests the incident's own division on the incident row (``incidents.division_code``) and looks in
``incident_divisions`` only for the other divisions it covers (``is_primary`` false, a small partial index).
On PostgreSQL the two list indexes carry the columns lists filter on, so pages and totals are index-only
scans: ``(reported_at, id)`` walks the newest first, ``(division_code, reported_at, id)`` reads one
jurisdiction's range.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

LISTED = ["division_code", "status", "incident_type", "exercise"]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("incident_divisions") as batch:
        batch.add_column(sa.Column("is_primary", sa.Boolean, nullable=False, server_default=sa.false()))
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
    with op.batch_alter_table("incident_divisions") as batch:
        batch.drop_column("is_primary")
