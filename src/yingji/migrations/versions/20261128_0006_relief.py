"""Relief: stored dispatch plans (shipments, unmet need, greedy baseline, shelter assignment, commit result)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType
from yingji.migrations.helpers import create_id_table, division_column, index_each, stamp_columns

revision = "0006"
down_revision = "0005"
# No depends_on: the brief asked for ("0002", "0003"); with it, alembic 1.x fails upgrading all heads from an
# empty database (KeyError '0001' in HeadMaintainer: two branches off 0001 plus a dependency on a sibling).
# The table refers only to divisions (incident and assessment ids are plain integers, as in quake), so no
# dependency is needed.


def upgrade() -> None:
    create_id_table(
        "relief_plans",
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
        *stamp_columns("created"),
        *stamp_columns("committed", required=False),
    )
    index_each("relief_plans", "division_code", "incident_id", "assessment_id", "created_at")


def downgrade() -> None:
    op.drop_table("relief_plans")
