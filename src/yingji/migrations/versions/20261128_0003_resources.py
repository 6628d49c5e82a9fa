"""Resources: depots, stock ledger, minimum levels, transfers, shelters and their check-in/out counts,
rescue teams, vehicles and aircraft.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType, UTCDateTime
from yingji.migrations.helpers import division_column, drop_tables, id_column, parent_column

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Tables with a position: on PostgreSQL each gets a generated PostGIS point and a GiST index.
_POSITIONED = ("depots", "shelters", "rescue_teams", "vehicles")


def _position() -> list[sa.Column[float]]:
    return [sa.Column("lon", sa.Float, nullable=False), sa.Column("lat", sa.Float, nullable=False)]


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    ]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "depots",
        id_column(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(16), nullable=False, index=True),
        division_column(),
        *_position(),
        sa.Column("capacity_m3", sa.Float),
        sa.Column("floor_area_m2", sa.Float),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("contact", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        *_stamps(),
    )
    op.create_table(
        "transfers",
        id_column(),
        parent_column("from_depot_id", "depots"),
        parent_column("to_depot_id", "depots"),
        division_column(),
        sa.Column("to_division_code", sa.String(12), sa.ForeignKey("divisions.code"), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("closed_at", UTCDateTime),
        sa.Column("closed_by", sa.String(100)),
    )
    op.create_table(
        "transfer_lines",
        id_column(),
        parent_column("transfer_id", "transfers", ondelete="CASCADE"),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("batch", sa.String(64)),
        sa.Column("quantity", sa.Integer, nullable=False),
    )
    op.create_table(
        "stock_movements",
        id_column(),
        parent_column("depot_id", "depots", ondelete="RESTRICT"),
        division_column(),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("batch", sa.String(64), nullable=False),
        sa.Column("expiry", sa.Date),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("delta", sa.Integer, nullable=False),
        sa.Column("transfer_id", sa.Integer, sa.ForeignKey("transfers.id"), index=True),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
    )
    op.create_index("ix_stock_movements_depot_item_batch", "stock_movements", ["depot_id", "item", "batch"])
    op.create_table(
        "stock_minimums",
        sa.Column("depot_id", sa.Integer, sa.ForeignKey("depots.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("item", sa.String(64), primary_key=True),
        sa.Column("minimum", sa.Integer, nullable=False),
        division_column(),
    )
    op.create_table(
        "shelters",
        id_column(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("shelter_class", sa.String(4), nullable=False),
        division_column(),
        *_position(),
        sa.Column("effective_area_m2", sa.Float, nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("facilities", JSONType, nullable=False),
        sa.Column("is_open", sa.Boolean, nullable=False),
        sa.Column("occupancy", sa.Integer, nullable=False),
        sa.Column("checked_in", sa.Integer, nullable=False),
        sa.Column("checked_out", sa.Integer, nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        *_stamps(),
    )
    op.create_table(
        "shelter_events",
        id_column(),
        parent_column("shelter_id", "shelters", ondelete="CASCADE"),
        division_column(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
        sa.Column("occupancy_after", sa.Integer, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
    )
    op.create_table(
        "rescue_teams",
        id_column(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, index=True),
        sa.Column("specialty", sa.String(32), nullable=False),
        division_column(),
        *_position(),
        sa.Column("base", sa.String(200), nullable=False),
        sa.Column("headcount", sa.Integer, nullable=False),
        sa.Column("capabilities", JSONType, nullable=False),
        sa.Column("equipment", JSONType, nullable=False),
        sa.Column("readiness", sa.String(16), nullable=False),
        sa.Column("contact", sa.String(200), nullable=False),
        *_stamps(),
    )
    op.create_table(
        "vehicles",
        id_column(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        division_column(),
        sa.Column("depot_id", sa.Integer, sa.ForeignKey("depots.id"), index=True),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("rescue_teams.id"), index=True),
        *_position(),
        sa.Column("payload_kg", sa.Float, nullable=False),
        sa.Column("volume_m3", sa.Float),
        sa.Column("passengers", sa.Integer, nullable=False),
        sa.Column("speed_kmh", sa.Float),
        sa.Column("range_km", sa.Float),
        sa.Column("status", sa.String(16), nullable=False),
        *_stamps(),
    )
    if postgres:
        for table in _POSITIONED:
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN point_geom geometry(Point, 4326) GENERATED ALWAYS AS "
                "(ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED"
            )
            op.execute(f"CREATE INDEX ix_{table}_point_geom ON {table} USING gist (point_geom)")


def downgrade() -> None:
    drop_tables(
        "vehicles",
        "rescue_teams",
        "shelter_events",
        "shelters",
        "stock_minimums",
        "stock_movements",
        "transfer_lines",
        "transfers",
        "depots",
    )
