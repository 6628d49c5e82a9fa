"""Command: incidents, their divisions, figure history, response actions, organisations and contacts, tasks,
timeline (append-only), situation reports, reports made, duty desk, notifications.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import (
    append_only,
    create_id_table,
    division_column,
    drop_tables,
    event_columns,
    parent_column,
    position_columns,
    stamp_columns,
)

revision = "0002"
down_revision = "0001"


def _incident() -> sa.Column[int]:
    return parent_column("incident_id", "incidents", ondelete="CASCADE")


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text, nullable=False)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    create_id_table(
        "incidents",
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("incident_type", sa.String(32), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("exercise", sa.Boolean, nullable=False),
        division_column(),
        *position_columns(nullable=False),
        sa.Column("area", JSONType),
        _text("description"),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("reported_at", UTCDateTime, nullable=False, index=True),
        sa.Column("unit_informed_at", UTCDateTime),
        sa.Column("verified_at", UTCDateTime),
        sa.Column("response_at", UTCDateTime),
        sa.Column("recovering_at", UTCDateTime),
        sa.Column("closed_at", UTCDateTime),
        _text("status_reason"),
        sa.Column("figures", JSONType, nullable=False),
        sa.Column("grade", sa.String(32)),
        sa.Column("recommended_level", sa.Integer),
        sa.Column("leading_government", sa.String(16)),
        sa.Column("grading_basis", JSONType, nullable=False),
        sa.Column("rules_version", sa.String(64)),
        sa.Column("response_level", sa.Integer),
        sa.Column("version", sa.Integer, nullable=False),
        *stamp_columns("created"),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_incidents_reported_at_id", "incidents", ["reported_at", "id"])
    if postgres:
        op.execute(
            "ALTER TABLE incidents ADD COLUMN point_geom geometry(Point, 4326) GENERATED ALWAYS AS "
            "(ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED"
        )
        op.execute("CREATE INDEX ix_incidents_point_geom ON incidents USING gist (point_geom)")
    op.create_table(
        "incident_divisions",
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("code", sa.String(12), sa.ForeignKey("divisions.code"), primary_key=True),
    )
    op.create_index("ix_incident_divisions_code_incident", "incident_divisions", ["code", "incident_id"])
    create_id_table(
        "incident_figure_changes",
        _incident(),
        *event_columns(),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("changes", JSONType, nullable=False),
    )
    create_id_table(
        "incident_response_actions",
        _incident(),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("level", sa.Integer),
        sa.Column("previous_level", sa.Integer),
        _text("reason"),
        sa.Column("plan_id", sa.String(64)),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    create_id_table(
        "organisations",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        division_column(),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("organisations.id")),
        sa.Column("phone", sa.String(50), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    create_id_table(
        "contacts",
        parent_column("organisation_id", "organisations", ondelete="CASCADE"),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("position", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(50), nullable=False),
        sa.Column("mobile", sa.String(50), nullable=False),
        sa.Column("fax", sa.String(50), nullable=False),
        sa.Column("email", sa.String(200), nullable=False),
    )
    create_id_table(
        "incident_tasks",
        _incident(),
        sa.Column("title", sa.String(200), nullable=False),
        _text("description"),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id")),
        sa.Column("organisation_name", sa.String(200), nullable=False),
        sa.Column("team", sa.String(200), nullable=False),
        sa.Column("assignee_user", sa.String(64), nullable=False),
        sa.Column("due_at", UTCDateTime),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("plan_id", sa.String(64)),
        sa.Column("plan_task_key", sa.String(64)),
        *stamp_columns("acknowledged", required=False, at_first=True),
        sa.Column("completed_at", UTCDateTime),
        _text("feedback"),
        *stamp_columns("created"),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    create_id_table(
        "incident_timeline",
        parent_column("incident_id", "incidents", ondelete="CASCADE", index=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("kind", sa.String(48), nullable=False),
        _text("text"),
        sa.Column("data", JSONType),
        sa.Column("actor", sa.String(100), nullable=False),
    )
    op.create_index("ix_incident_timeline_incident_at", "incident_timeline", ["incident_id", "at", "id"])
    append_only("incident_timeline", postgres)  # incidents are never deleted, so their timeline never is
    create_id_table(
        "situation_reports",
        _incident(),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _text("conditions"),
        _text("actions"),
        _text("needs"),
        *stamp_columns("created"),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        *stamp_columns("approved", required=False),
        *stamp_columns("published", required=False),
        sa.UniqueConstraint("incident_id", "number", name="uq_situation_reports_incident_number"),
    )
    create_id_table(
        "situation_report_revisions",
        parent_column("report_id", "situation_reports", ondelete="CASCADE"),
        sa.Column("revision", sa.Integer, nullable=False),
        _text("conditions"),
        _text("actions"),
        _text("needs"),
        *stamp_columns("edited"),
    )
    create_id_table(
        "incident_reports_made",
        _incident(),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("made_at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.UniqueConstraint("incident_id", "key", name="uq_incident_reports_made_incident_key"),
    )
    create_id_table(
        "duty_shifts",
        division_column(),
        sa.Column("starts_at", UTCDateTime, nullable=False),
        sa.Column("ends_at", UTCDateTime, nullable=False),
        sa.Column("leader", sa.String(100), nullable=False),
        sa.Column("officers", JSONType, nullable=False),
        _text("handover_note"),
        *stamp_columns("handed_over", required=False, at_first=True),
        sa.Column("created_by", sa.String(100), nullable=False),
    )
    create_id_table(
        "duty_log",
        division_column(),
        sa.Column("shift_id", sa.Integer, sa.ForeignKey("duty_shifts.id")),
        *event_columns(),
        _text("text"),
    )
    create_id_table(
        "duty_items",
        division_column(),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("caller", sa.String(200), nullable=False),
        _text("summary"),
        *position_columns(nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("done", JSONType, nullable=False),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id")),
        _text("close_reason"),
        sa.Column("closed_at", UTCDateTime),
        sa.Column("received_by", sa.String(100), nullable=False),
    )
    create_id_table(
        "notifications",
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        division_column(foreign_key=False),
        sa.Column("kind", sa.String(32), nullable=False),
        _text("text"),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE")),
        sa.Column("duty_item_id", sa.Integer, sa.ForeignKey("duty_items.id", ondelete="CASCADE")),
        sa.Column("data", JSONType),
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    drop_tables(
        "notifications",
        "duty_items",
        "duty_log",
        "duty_shifts",
        "incident_reports_made",
        "situation_report_revisions",
        "situation_reports",
        "incident_timeline",
        "incident_tasks",
        "contacts",
        "organisations",
        "incident_response_actions",
        "incident_figure_changes",
        "incident_divisions",
        "incidents",
    )
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS incident_timeline_append_only()")
