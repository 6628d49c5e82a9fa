"""Command: digital response plans (预案) stored per jurisdiction, and on tasks and response actions the
stored plan they came from.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import (
    create_id_table,
    division_column,
    drop_columns,
    drop_tables,
    stamp_columns,
)

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    create_id_table(
        "response_plans",
        division_column(),
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("incident_types", JSONType, nullable=False),
        sa.Column("document", JSONType, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        *stamp_columns("created", at_first=True),
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
        drop_columns(table, "plan_division_code", "response_plan_id")
    op.drop_index("uq_response_plan_types_active", table_name="response_plan_types")
    drop_tables("response_plan_types", "response_plans")
