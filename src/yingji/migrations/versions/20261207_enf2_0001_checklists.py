"""Enforcement: offline inspection checklists — syncs (sealed), entries (hash-chained per device), photos."""

from __future__ import annotations

import sqlalchemy as sa

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import create_id_table, division_column, drop_tables, fk_column, index_each

revision = "enf2_0001"
down_revision = "dis2_0001"


def upgrade() -> None:
    t = "checklist_syncs"
    create_id_table(
        t,
        fk_column(t, "inspection_id", "enforcement_inspections", nullable=False),
        division_column(index=False, foreign_key=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(64), nullable=False),
        sa.Column("prev_seal", sa.String(64), nullable=False),
        sa.Column("seal", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("synced_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("inspection_id", "sequence", name="uq_checklist_syncs_inspection_id"),
    )
    index_each(t, "inspection_id", "division_code")
    t = "checklist_entries"
    create_id_table(
        t,
        fk_column(t, "inspection_id", "enforcement_inspections", nullable=False),
        fk_column(t, "sync_id", "checklist_syncs", nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("body", JSONType, nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("base", sa.String(64), nullable=True),
        sa.Column("prev", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        fk_column(t, "finding_id", "enforcement_findings", nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("client_id", "inspection_id", name="uq_checklist_entries_client_id"),
        sa.UniqueConstraint("device_id", "inspection_id", "position", name="uq_checklist_entries_device_id"),
    )
    index_each(t, "inspection_id", "sync_id")
    t = "checklist_photos"
    create_id_table(
        t,
        fk_column(t, "entry_id", "checklist_entries", nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("entry_id", name="uq_checklist_photos_entry_id"),
    )


def downgrade() -> None:
    drop_tables("checklist_photos", "checklist_entries", "checklist_syncs")
