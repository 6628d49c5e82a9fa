"""Enforcement: follow-up inspections (复查) with their items; evidence files of penalty cases (证据).

Revision ID: enf3_0001
Revises: dis3_0001
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime

revision = "enf3_0001"
down_revision = "dis3_0001"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKey:
    """A named foreign key; the name shortened to PostgreSQL's 63 characters (a digest keeps it unique)."""
    name = f"fk_{table}_{column}_{target}"
    if len(name) > 63:
        name = f"{name[:54]}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return sa.ForeignKey(f"{target}.id", name=name)


def upgrade() -> None:
    t = "enforcement_follow_ups"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("inspection_id", sa.Integer(), _fk(t, "inspection_id", "enforcement_inspections"), nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), _fk(t, "enterprise_id", "enterprises"), nullable=False),
        sa.Column("inspector_ids", JSONType, nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Integer(), _fk(t, "case_id", "enforcement_cases"), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_enforcement_follow_ups_inspection_id", t, ["inspection_id"])
    op.create_index("ix_enforcement_follow_ups_division_code", t, ["division_code"])
    op.create_index("ix_enforcement_follow_ups_enterprise_id", t, ["enterprise_id"])
    t = "enforcement_follow_up_items"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("follow_up_id", sa.Integer(), _fk(t, "follow_up_id", "enforcement_follow_ups"), nullable=False),
        sa.Column("finding_id", sa.Integer(), _fk(t, "finding_id", "enforcement_findings"), nullable=False),
        sa.Column("rectified", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(2000), nullable=False),
        sa.Column("hazard_id", sa.Integer(), _fk(t, "hazard_id", "hazards"), nullable=True),
        sa.Column("hazard_action", sa.String(32), nullable=False),
    )
    op.create_index("ix_enforcement_follow_up_items_follow_up_id", t, ["follow_up_id"])
    op.create_index("ix_enforcement_follow_up_items_finding_id", t, ["finding_id"])
    t = "enforcement_case_evidence"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), _fk(t, "case_id", "enforcement_cases"), nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.String(100), nullable=False),
        sa.Column("uploaded_by", sa.String(100), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_enforcement_case_evidence_case_id", t, ["case_id"])
    op.create_index("ix_enforcement_case_evidence_division_code", t, ["division_code"])


def downgrade() -> None:
    op.drop_table("enforcement_case_evidence")
    op.drop_table("enforcement_follow_up_items")
    op.drop_table("enforcement_follow_ups")
