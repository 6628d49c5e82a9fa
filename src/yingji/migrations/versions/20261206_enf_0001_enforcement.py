"""Enforcement: inspectors, recusal ties, annual plans, stored random draws."""

from __future__ import annotations

import sqlalchemy as sa

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import (
    create_id_table,
    division_column,
    drop_tables,
    fk_column,
    index_each,
    stamp_columns,
)

revision = "enf_0001"
down_revision = "ws_0001"


def upgrade() -> None:
    create_id_table(
        "enforcement_inspectors",
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("certificate_no", sa.String(32), nullable=False),
        sa.Column("unit", sa.String(100), nullable=False),
        division_column(index=False, foreign_key=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("certificate_no", name="uq_enforcement_inspectors_certificate_no"),
    )
    index_each("enforcement_inspectors", "division_code")
    create_id_table(
        "enforcement_recusals",
        fk_column("enforcement_recusals", "inspector_id", "enforcement_inspectors", nullable=False),
        fk_column("enforcement_recusals", "enterprise_id", "enterprises", nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("inspector_id", "enterprise_id", name="uq_enforcement_recusals_inspector_id"),
    )
    index_each("enforcement_recusals", "inspector_id", "enterprise_id")
    create_id_table(
        "enforcement_plans",
        division_column(index=False, foreign_key=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("category_counts", JSONType, nullable=False),
        sa.Column("random_share_pct", sa.Integer(), nullable=False),
        sa.Column("key_enterprise_ids", JSONType, nullable=False),
        sa.Column("key_rule", sa.String(200), nullable=False),
        *stamp_columns("created"),
        sa.UniqueConstraint("division_code", "year", name="uq_enforcement_plans_division_code"),
    )
    index_each("enforcement_plans", "division_code")
    create_id_table(
        "enforcement_draws",
        fk_column("enforcement_draws", "plan_id", "enforcement_plans", nullable=False),
        division_column(index=False, foreign_key=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("algorithm", sa.String(32), nullable=False),
        sa.Column("seed", sa.String(64), nullable=False),
        sa.Column("seed_source", sa.String(32), nullable=False),
        sa.Column("seed_recorded_at", UTCDateTime(), nullable=False),
        sa.Column("parts", JSONType, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("earlier_draw_ids", JSONType, nullable=False),
        *stamp_columns("created"),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("published_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("plan_id", "sequence", name="uq_enforcement_draws_plan_id"),
    )
    index_each("enforcement_draws", "plan_id", "division_code")


def downgrade() -> None:
    drop_tables("enforcement_draws", "enforcement_plans", "enforcement_recusals", "enforcement_inspectors")
