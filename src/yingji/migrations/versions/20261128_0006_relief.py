"""Relief: stored dispatch plans (shipments, unmet need, greedy baseline, shelter assignment, commit result).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import created_columns, division_column, id_column, index_each

revision = "0006"
down_revision = "0005"
branch_labels = None
# The brief asked for depends_on = ("0002", "0003"); with it, alembic 1.x fails upgrading all heads from
# an empty database (KeyError '0001' in HeadMaintainer: two branches off 0001 plus a dependency on a
# sibling). The table refers only to divisions (incident and assessment ids are plain integers, as in
# quake), so no dependency is needed.
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relief_plans",
        id_column(),
        division_column(index=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("incident_id", sa.Integer),
        sa.Column("assessment_id", sa.Integer),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("solver_status", sa.String(16), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("objective", sa.Float, nullable=False),
        sa.Column("total_need", sa.Integer, nullable=False),
        sa.Column("total_unmet", sa.Integer, nullable=False),
        sa.Column("parameters", JSONType, nullable=False),
        sa.Column("places", JSONType, nullable=False),
        sa.Column("depots", JSONType, nullable=False),
        sa.Column("shipments", JSONType, nullable=False),
        sa.Column("unmet", JSONType, nullable=False),
        sa.Column("baseline", JSONType, nullable=False),
        sa.Column("shelters", JSONType, nullable=False),
        sa.Column("commit_result", JSONType),
        *created_columns(),
        sa.Column("committed_by", sa.String(100)),
        sa.Column("committed_at", UTCDateTime),
    )
    index_each("relief_plans", "division_code", "incident_id", "assessment_id", "created_at")


def downgrade() -> None:
    op.drop_table("relief_plans")
