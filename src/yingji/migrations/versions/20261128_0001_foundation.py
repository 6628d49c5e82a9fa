"""Foundation: divisions, users, machine tokens, audit log (append-only on PostgreSQL)."""

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
    index_each,
    position_columns,
)

revision = "0001"
down_revision = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "divisions",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("parent_code", sa.String(12), sa.ForeignKey("divisions.code", ondelete="RESTRICT")),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("pinyin", sa.String(200), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        *position_columns(nullable=True),
        sa.Column("population", sa.Integer),
        sa.Column("boundary_wkb", sa.LargeBinary),
        sa.Column("min_lon", sa.Float),
        sa.Column("min_lat", sa.Float),
        sa.Column("max_lon", sa.Float),
        sa.Column("max_lat", sa.Float),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    index_each("divisions", "parent_code", "level", "name")
    op.create_index("ix_divisions_level_bbox", "divisions", ["level", "min_lon", "max_lon"])
    if postgres:
        op.execute(
            "ALTER TABLE divisions ADD COLUMN geom geometry(MultiPolygon, 4326) GENERATED ALWAYS AS "
            "(ST_Multi(ST_GeomFromWKB(boundary_wkb, 4326))) STORED"
        )
        op.execute(
            "ALTER TABLE divisions ADD COLUMN point_geom geometry(Point, 4326) GENERATED ALWAYS AS "
            "(CASE WHEN lon IS NOT NULL AND lat IS NOT NULL "
            "THEN ST_SetSRID(ST_MakePoint(lon, lat), 4326) END) STORED"
        )
        op.execute("CREATE INDEX ix_divisions_geom ON divisions USING gist (geom)")
        op.execute("CREATE INDEX ix_divisions_point_geom ON divisions USING gist (point_geom)")

    create_id_table(
        "users",
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        division_column(index=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    index_each("users", "division_code")
    create_id_table(
        "api_tokens",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime),
    )
    index_each("api_tokens", "user_id")
    create_id_table(
        "audit_log",
        *event_columns(),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("division_code", sa.String(12)),
        sa.Column("before", JSONType),
        sa.Column("after", JSONType),
    )
    index_each("audit_log", "at", "actor", "entity", "division_code")
    # Append-only, even for the table's owner: triggers fire for every role (only a superuser
    # changing session_replication_role could bypass them, and that is itself visible).
    append_only("audit_log", postgres)
    if postgres:
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_table("audit_log")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    drop_tables("api_tokens", "users")
    op.execute("UPDATE divisions SET parent_code = NULL")  # self-references would block the drop on SQLite
    op.drop_table("divisions")
