"""Disasters: the event's linked incident, information officers, ledgers of the dead, missing and damaged
houses (ID numbers encrypted), and escalations of overdue township reports (issue #17).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import (
    create_id_table,
    drop_tables,
    event_township_columns,
    index_each,
    stamp_columns,
)

revision = "dis_0001"
down_revision = "enf_0003"


def upgrade() -> None:
    with op.batch_alter_table("disaster_events") as batch:
        batch.add_column(sa.Column("incident_id", sa.Integer))
        batch.create_index("ix_disaster_events_incident_id", ["incident_id"])
    create_id_table(
        "disaster_officers",
        sa.Column("township_code", sa.String(12), sa.ForeignKey("divisions.code"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        *stamp_columns("created", at_first=True),
    )
    index_each("disaster_officers", "township_code")
    create_id_table(
        "disaster_ledger_entries",
        *event_township_columns(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("id_number_enc", sa.Text, nullable=False),
        sa.Column("id_number_masked", sa.String(32), nullable=False),
        sa.Column("age", sa.Integer),
        sa.Column("cause", sa.String(200), nullable=False),
        sa.Column("place", sa.String(300), nullable=False),
        sa.Column("damage", sa.String(16), nullable=False),
        sa.Column("rooms", sa.Integer),
        *stamp_columns("created", at_first=True),
    )
    index_each("disaster_ledger_entries", "event_id", "township_code")
    create_id_table(
        "disaster_escalations",
        sa.Column("key", sa.String(120), nullable=False),
        *event_township_columns(),
        sa.Column("report_type", sa.String(16), nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("flagged_at", UTCDateTime, nullable=False),
        sa.Column("notified", JSONType, nullable=False),
        sa.UniqueConstraint("key", name="uq_disaster_escalations_key"),
    )
    index_each("disaster_escalations", "event_id", "township_code")


def downgrade() -> None:
    drop_tables("disaster_escalations", "disaster_ledger_entries", "disaster_officers")
    with op.batch_alter_table("disaster_events") as batch:
        batch.drop_index("ix_disaster_events_incident_id")
        batch.drop_column("incident_id")
