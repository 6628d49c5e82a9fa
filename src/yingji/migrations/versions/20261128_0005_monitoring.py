"""Monitoring and early warning: sites, sensors and their rules, readings, engine state, alarms and their
history, dead letters; public warnings, their divisions, delivery receipts, officials and calls (叫应).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import (
    create_id_table,
    division_column,
    drop_tables,
    parent_column,
    position_columns,
    stamp_columns,
)

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    create_id_table(
        "monitored_sites",
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        division_column(),
        *position_columns(nullable=True),
        sa.Column("rules_yaml", sa.Text),
        sa.Column("rules", JSONType, nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    create_id_table(
        "monitored_sensors",
        sa.Column("code", sa.String(128), nullable=False, unique=True),
        parent_column("site_id", "monitored_sites", ondelete="CASCADE"),
        sa.Column("quantity", sa.String(64), nullable=False),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("range_low", sa.Float),
        sa.Column("range_high", sa.Float),
    )
    op.create_table(
        "monitoring_engine_states",
        sa.Column("site_id", sa.Integer, sa.ForeignKey("monitored_sites.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("checkpoint", JSONType, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "sensor_readings",
        sa.Column("sensor_id", sa.Integer, sa.ForeignKey("monitored_sensors.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("ts", sa.BigInteger, primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
    )
    create_id_table(
        "alarms",
        parent_column("site_id", "monitored_sites", ondelete="CASCADE"),
        division_column(),
        sa.Column("sensor_code", sa.String(128), nullable=False),
        sa.Column("rule", sa.String(120), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("colour", sa.String(8)),
        sa.Column("state", sa.String(24), nullable=False, index=True),
        sa.Column("active", sa.Boolean, nullable=False, index=True),
        sa.Column("shelved", sa.Boolean, nullable=False),
        sa.Column("raised_at", UTCDateTime, nullable=False, index=True),
        sa.Column("cleared_at", UTCDateTime),
        sa.Column("lifecycle", JSONType, nullable=False),
        sa.Column("incident_id", sa.Integer, index=True),
        sa.UniqueConstraint("rule", "sensor_code", "raised_at", name="uq_alarms_occurrence"),
    )
    create_id_table(
        "alarm_events",
        parent_column("alarm_id", "alarms", ondelete="CASCADE"),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    create_id_table(
        "monitoring_dead_letters",
        division_column(),
        sa.Column("received_at", UTCDateTime, nullable=False, index=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False, index=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
    )
    _warnings()


def _warnings() -> None:
    create_id_table(
        "public_warnings",
        sa.Column("identifier", sa.String(200), nullable=False, unique=True),
        sa.Column("sender", sa.String(200), nullable=False),
        division_column(),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("colour", sa.String(8)),
        sa.Column("type", sa.String(40)),
        sa.Column("headline", sa.String(300), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("instruction", sa.Text, nullable=False),
        sa.Column("area", JSONType, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("msg_type", sa.String(8), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("references", JSONType, nullable=False),
        sa.Column("sent_at", UTCDateTime, nullable=False, index=True),
        sa.Column("expires_at", UTCDateTime),
        sa.Column("cap_xml", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "warning_divisions",
        sa.Column("warning_id", sa.Integer, sa.ForeignKey("public_warnings.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("code", sa.String(12), sa.ForeignKey("divisions.code"), primary_key=True, index=True),
    )
    create_id_table(
        "warning_deliveries",
        parent_column("warning_id", "public_warnings", ondelete="CASCADE"),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(300), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("delivered", sa.Boolean, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    create_id_table(
        "warning_officials",
        sa.Column("name", sa.String(100), nullable=False),
        division_column(),
        sa.Column("superior_id", sa.Integer, sa.ForeignKey("warning_officials.id")),
        sa.Column("contact", sa.String(300), nullable=False),
        sa.Column("username", sa.String(64)),
    )
    create_id_table(
        "warning_calls",
        parent_column("warning_id", "public_warnings", ondelete="CASCADE"),
        sa.Column("official_id", sa.Integer, sa.ForeignKey("warning_officials.id"), nullable=False),
        division_column(),
        sa.Column("called_at", UTCDateTime, nullable=False),
        *stamp_columns("acknowledged", required=False, at_first=True),
        sa.Column("escalated_at", UTCDateTime),
        sa.UniqueConstraint("warning_id", "official_id", name="uq_warning_calls_warning_official"),
    )


def downgrade() -> None:
    drop_tables("warning_calls", "warning_officials", "warning_deliveries", "warning_divisions", "public_warnings")
    drop_tables(
        "monitoring_dead_letters",
        "alarm_events",
        "alarms",
        "sensor_readings",
        "monitoring_engine_states",
        "monitored_sensors",
        "monitored_sites",
    )
