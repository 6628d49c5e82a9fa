"""Work safety: enterprises and their users, major hazard installations with assessment history, accident
hazards with their append-only history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import (
    create_id_table,
    division_column,
    drop_tables,
    event_columns,
    parent_column,
    position_columns,
    stamp_columns,
    timestamp_columns,
    transition_columns,
)

revision = "0014_worksafety"
down_revision = "sec_data_0002"


def upgrade() -> None:
    create_id_table(
        "enterprises",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False, unique=True),
        division_column(foreign_key=False),
        sa.Column("industry_code", sa.String(5), nullable=False),
        sa.Column("supervision_category", sa.String(32), nullable=False),
        sa.Column("sub_sector", sa.String(32), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        *position_columns(nullable=True),
        sa.Column("legal_representative", sa.String(50), nullable=False),
        sa.Column("legal_phone", sa.String(30), nullable=False),
        sa.Column("safety_lead", sa.String(50), nullable=False),
        sa.Column("safety_phone", sa.String(30), nullable=False),
        sa.Column("headcount", sa.Integer),
        sa.Column("risk_color", sa.String(8), nullable=False),
        sa.Column("risk_basis", sa.String(500), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        *timestamp_columns(),
    )
    create_id_table(
        "enterprise_members",
        parent_column("user_id", "users"),
        parent_column("enterprise_id", "enterprises"),
        sa.UniqueConstraint("user_id", "enterprise_id"),
    )
    create_id_table(
        "hazard_installations",
        parent_column("enterprise_id", "enterprises"),
        division_column(foreign_key=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit_kind", sa.String(12), nullable=False),
        sa.Column("exposed_people", sa.Integer, nullable=False),
        sa.Column("lines", JSONType, nullable=False),
        sa.Column("s", sa.String(64), nullable=False),
        sa.Column("r", sa.String(64)),
        sa.Column("major", sa.Boolean, nullable=False),
        sa.Column("grade", sa.Integer),
        sa.Column("monitoring_site", sa.String(64), nullable=False),
        *timestamp_columns(),
    )
    create_id_table(
        "hazard_installation_assessments",
        parent_column("installation_id", "hazard_installations"),
        *event_columns(),
        sa.Column("lines", JSONType, nullable=False),
        sa.Column("exposed_people", sa.Integer, nullable=False),
        sa.Column("s", sa.String(64), nullable=False),
        sa.Column("r", sa.String(64)),
        sa.Column("major", sa.Boolean, nullable=False),
        sa.Column("grade", sa.Integer),
    )
    create_id_table(
        "hazards",
        parent_column("enterprise_id", "enterprises"),
        sa.Column("installation_id", sa.Integer, sa.ForeignKey("hazard_installations.id")),
        division_column(index=False, foreign_key=False),
        sa.Column("supervision_category", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("level", sa.String(8)),
        sa.Column("items", JSONType, nullable=False),
        sa.Column("plan", JSONType, nullable=False),
        sa.Column("deadline", UTCDateTime),
        sa.Column("verified", sa.Boolean, nullable=False),
        sa.Column("listed_level", sa.String(12), nullable=False),
        sa.Column("listed_deadline", UTCDateTime),
        sa.Column("listed_notice", sa.Text, nullable=False),
        sa.Column("overdue_flagged_at", UTCDateTime),
        *stamp_columns("reported", at_first=True),
        sa.Column("closed_at", UTCDateTime),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    # The board and the list filter by jurisdiction (a code range) and state, and by level for major hazards.
    op.create_index("ix_hazards_division_state", "hazards", ["division_code", "state"])
    op.create_index("ix_hazards_level_state_division", "hazards", ["level", "state", "division_code"])
    create_id_table(
        "hazard_events",
        parent_column("hazard_id", "hazards"),
        *event_columns(),
        sa.Column("action", sa.String(32), nullable=False),
        *transition_columns(),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("data", JSONType, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        # The history is append-only, as the audit log is.
        op.execute(
            "CREATE OR REPLACE FUNCTION hazard_events_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'hazard_events is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER hazard_events_append_only BEFORE UPDATE OR DELETE ON hazard_events "
            "FOR EACH ROW EXECUTE FUNCTION hazard_events_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS hazard_events_append_only ON hazard_events")
        op.execute("DROP FUNCTION IF EXISTS hazard_events_append_only()")
    drop_tables(
        "hazard_events",
        "hazards",
        "hazard_installation_assessments",
        "hazard_installations",
        "enterprise_members",
        "enterprises",
    )
