"""Resources: depots, stock ledger, minimum levels, transfers, shelters and their check-in/out counts,
rescue teams, vehicles and aircraft.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType
from yingji.migrations.helpers import (
    create_id_table,
    division_column,
    drop_tables,
    event_columns,
    parent_column,
    position_columns,
    stamp_columns,
    timestamp_columns,
)

revision = "0003"
down_revision = "0002"

# Tables with a position: on PostgreSQL each gets a generated PostGIS point and a GiST index.
_POSITIONED = ("depots", "shelters", "rescue_teams", "vehicles")


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("source", sa.String(200), nullable=False),
        *timestamp_columns(),
    ]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    create_id_table(
        "depots",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(16), nullable=False, index=True),
        division_column(),
        *position_columns(nullable=False),
        sa.Column("capacity_m3", sa.Float),
        sa.Column("floor_area_m2", sa.Float),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("contact", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        *_stamps(),
    )
    create_id_table(
        "transfers",
        parent_column("from_depot_id", "depots"),
        parent_column("to_depot_id", "depots"),
        division_column(),
        sa.Column("to_division_code", sa.String(12), sa.ForeignKey("divisions.code"), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        *stamp_columns("created", at_first=True),
        *stamp_columns("closed", required=False, at_first=True),
    )
    create_id_table(
        "transfer_lines",
        parent_column("transfer_id", "transfers", ondelete="CASCADE"),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("batch", sa.String(64)),
        sa.Column("quantity", sa.Integer, nullable=False),
    )
    create_id_table(
        "stock_movements",
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
        *event_columns(),
    )
    op.create_index("ix_stock_movements_depot_item_batch", "stock_movements", ["depot_id", "item", "batch"])
    op.create_table(
        "stock_minimums",
        sa.Column("depot_id", sa.Integer, sa.ForeignKey("depots.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("item", sa.String(64), primary_key=True),
        sa.Column("minimum", sa.Integer, nullable=False),
        division_column(),
    )
    create_id_table(
        "shelters",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("shelter_class", sa.String(4), nullable=False),
        division_column(),
        *position_columns(nullable=False),
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
    create_id_table(
        "shelter_events",
        parent_column("shelter_id", "shelters", ondelete="CASCADE"),
        division_column(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
        sa.Column("occupancy_after", sa.Integer, nullable=False),
        *event_columns(),
    )
    create_id_table(
        "rescue_teams",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, index=True),
        sa.Column("specialty", sa.String(32), nullable=False),
        division_column(),
        *position_columns(nullable=False),
        sa.Column("base", sa.String(200), nullable=False),
        sa.Column("headcount", sa.Integer, nullable=False),
        sa.Column("capabilities", JSONType, nullable=False),
        sa.Column("equipment", JSONType, nullable=False),
        sa.Column("readiness", sa.String(16), nullable=False),
        sa.Column("contact", sa.String(200), nullable=False),
        *_stamps(),
    )
    create_id_table(
        "vehicles",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        division_column(),
        sa.Column("depot_id", sa.Integer, sa.ForeignKey("depots.id"), index=True),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("rescue_teams.id"), index=True),
        *position_columns(nullable=False),
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
