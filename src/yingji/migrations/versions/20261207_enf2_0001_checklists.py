"""Enforcement: offline inspection checklists — syncs (sealed), entries (hash-chained per device), photos.

Revision ID: enf2_0001
Revises: dis2_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import drop_tables, fk_column, id_column, index_each

revision = "enf2_0001"
down_revision = "dis2_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    t = "checklist_syncs"
    op.create_table(
        t,
        id_column(),
        fk_column(t, "inspection_id", "enforcement_inspections", nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
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
    op.create_table(
        t,
        id_column(),
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
    op.create_table(
        t,
        id_column(),
        fk_column(t, "entry_id", "checklist_entries", nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("entry_id", name="uq_checklist_photos_entry_id"),
    )


def downgrade() -> None:
    drop_tables("checklist_photos", "checklist_entries", "checklist_syncs")
