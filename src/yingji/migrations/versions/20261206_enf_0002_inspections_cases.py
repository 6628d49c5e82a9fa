"""Enforcement: inspections and findings, administrative penalty cases and their events."""

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
    transition_columns,
)

revision = "enf_0002"
down_revision = "enf_0001"


def upgrade() -> None:
    t = "enforcement_inspections"
    create_id_table(
        t,
        division_column(index=False, foreign_key=False),
        fk_column(t, "enterprise_id", "enterprises", nullable=False),
        fk_column(t, "plan_id", "enforcement_plans", nullable=True),
        fk_column(t, "draw_id", "enforcement_draws", nullable=True),
        sa.Column("inspector_ids", JSONType, nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("rectification_deadline", sa.Date(), nullable=True),
        *stamp_columns("created"),
    )
    index_each(t, "division_code", "enterprise_id")
    t = "enforcement_findings"
    create_id_table(
        t,
        fk_column(t, "inspection_id", "enforcement_inspections", nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("violation", sa.Boolean(), nullable=False),
        fk_column(t, "hazard_id", "hazards", nullable=True),
        *stamp_columns("created"),
    )
    index_each(t, "inspection_id", "hazard_id")
    t = "enforcement_cases"
    create_id_table(
        t,
        division_column(index=False, foreign_key=False),
        fk_column(t, "enterprise_id", "enterprises", nullable=False),
        fk_column(t, "inspection_id", "enforcement_inspections", nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.String(500), nullable=False),
        sa.Column("proposed_penalty", sa.String(500), nullable=False),
        sa.Column("decision", sa.String(1000), nullable=False),
        sa.Column("fine_yuan", sa.Integer(), nullable=True),
        sa.Column("regime_id", sa.String(40), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("decision_days", sa.Integer(), nullable=True),
        *stamp_columns("created"),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    index_each(t, "division_code", "enterprise_id")
    t = "enforcement_case_events"
    create_id_table(
        t,
        fk_column(t, "case_id", "enforcement_cases", nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        *transition_columns(),
        sa.Column("note", sa.String(2000), nullable=False),
        sa.Column("data", JSONType, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
    )
    index_each(t, "case_id")


def downgrade() -> None:
    drop_tables("enforcement_case_events", "enforcement_cases", "enforcement_findings", "enforcement_inspections")
