"""Enforcement: follow-up inspections (复查) with their items; evidence files of penalty cases (证据)."""

from __future__ import annotations

import sqlalchemy as sa

from yingji.db import JSONType
from yingji.migrations.helpers import (
    create_id_table,
    division_column,
    drop_tables,
    fk_column,
    index_each,
    stamp_columns,
)

revision = "enf3_0001"
down_revision = "dis3_0001"


def upgrade() -> None:
    t = "enforcement_follow_ups"
    create_id_table(
        t,
        fk_column(t, "inspection_id", "enforcement_inspections", nullable=False),
        division_column(index=False, foreign_key=False),
        fk_column(t, "enterprise_id", "enterprises", nullable=False),
        sa.Column("inspector_ids", JSONType, nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        fk_column(t, "case_id", "enforcement_cases", nullable=True),
        *stamp_columns("created"),
    )
    index_each(t, "inspection_id", "division_code", "enterprise_id")
    t = "enforcement_follow_up_items"
    create_id_table(
        t,
        fk_column(t, "follow_up_id", "enforcement_follow_ups", nullable=False),
        fk_column(t, "finding_id", "enforcement_findings", nullable=False),
        sa.Column("rectified", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(2000), nullable=False),
        fk_column(t, "hazard_id", "hazards", nullable=True),
        sa.Column("hazard_action", sa.String(32), nullable=False),
    )
    index_each(t, "follow_up_id", "finding_id")
    t = "enforcement_case_evidence"
    create_id_table(
        t,
        fk_column(t, "case_id", "enforcement_cases", nullable=False),
        division_column(index=False, foreign_key=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.String(100), nullable=False),
        *stamp_columns("uploaded"),
    )
    index_each(t, "case_id", "division_code")


def downgrade() -> None:
    drop_tables("enforcement_case_evidence", "enforcement_follow_up_items", "enforcement_follow_ups")
