"""Enforcement: inspections and findings, administrative penalty cases and their events.

Revision ID: enf_0002
Revises: enf_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime

revision = "enf_0002"
down_revision = "enf_0001"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    t = "enforcement_inspections"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), _fk(t, "enterprise_id", "enterprises"), nullable=False),
        sa.Column("plan_id", sa.Integer(), _fk(t, "plan_id", "enforcement_plans"), nullable=True),
        sa.Column("draw_id", sa.Integer(), _fk(t, "draw_id", "enforcement_draws"), nullable=True),
        sa.Column("inspector_ids", JSONType, nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("rectification_deadline", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_enforcement_inspections_division_code", t, ["division_code"])
    op.create_index("ix_enforcement_inspections_enterprise_id", t, ["enterprise_id"])
    t = "enforcement_findings"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("inspection_id", sa.Integer(), _fk(t, "inspection_id", "enforcement_inspections"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("violation", sa.Boolean(), nullable=False),
        sa.Column("hazard_id", sa.Integer(), _fk(t, "hazard_id", "hazards"), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_enforcement_findings_inspection_id", t, ["inspection_id"])
    op.create_index("ix_enforcement_findings_hazard_id", t, ["hazard_id"])
    t = "enforcement_cases"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), _fk(t, "enterprise_id", "enterprises"), nullable=False),
        sa.Column("inspection_id", sa.Integer(), _fk(t, "inspection_id", "enforcement_inspections"), nullable=True),
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
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_enforcement_cases_division_code", t, ["division_code"])
    op.create_index("ix_enforcement_cases_enterprise_id", t, ["enterprise_id"])
    t = "enforcement_case_events"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), _fk(t, "case_id", "enforcement_cases"), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("note", sa.String(2000), nullable=False),
        sa.Column("data", JSONType, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_enforcement_case_events_case_id", t, ["case_id"])


def downgrade() -> None:
    op.drop_table("enforcement_case_events")
    op.drop_table("enforcement_cases")
    op.drop_table("enforcement_findings")
    op.drop_table("enforcement_inspections")
