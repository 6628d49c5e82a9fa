"""Command: digital response plans (预案) stored per jurisdiction, and on tasks and response actions the
stored plan they came from.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import division_column, drop_tables, id_column

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "response_plans",
        id_column(),
        division_column(),
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("incident_types", JSONType, nullable=False),
        sa.Column("document", JSONType, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("retired_at", UTCDateTime),
    )
    op.create_table(
        "response_plan_types",
        sa.Column("response_plan_id", sa.Integer, sa.ForeignKey("response_plans.id"), primary_key=True),
        sa.Column("incident_type", sa.String(64), primary_key=True),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    # At most one active plan per (division, incident type): the service refuses an overlap with 409 first;
    # this index holds the rule against two writers racing.
    op.create_index(
        "uq_response_plan_types_active",
        "response_plan_types",
        ["division_code", "incident_type"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    # Plain integer columns (no foreign key): SQLite cannot add a constraint to an existing table without
    # rebuilding it, and plans are never deleted.
    for table in ("incident_tasks", "incident_response_actions"):
        op.add_column(table, sa.Column("response_plan_id", sa.Integer))
        op.add_column(table, sa.Column("plan_division_code", sa.String(12)))


def downgrade() -> None:
    for table in ("incident_tasks", "incident_response_actions"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("plan_division_code")
            batch.drop_column("response_plan_id")
    op.drop_index("uq_response_plan_types_active", table_name="response_plan_types")
    drop_tables("response_plan_types", "response_plans")
