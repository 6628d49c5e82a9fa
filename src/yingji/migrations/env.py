"""Alembic environment: one migration history for SQLite and PostgreSQL/PostGIS."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context
from alembic.script import ScriptDirectory

from yingji.db import Base, make_engine
from yingji.models_registry import import_all_models

import_all_models()
target_metadata = Base.metadata
config = context.config


# Until release 0.1.0 the history had one branch per domain from 0001 (five heads). It is one line now;
# a database migrated by an older release records each branch's head, and is stamped once with the
# newest revision of the line it has entirely applied.
LEGACY_PARENTS = {
    "0002": "0001", "0003": "0001", "0003a": "0003", "0004": "0001", "0005": "0001", "0006": "0001",
    "0006a": "0006", "0006b": "0006a", "0010": "0002", "0011": "0010", "0012": "0011", "0013": "0012",
}  # fmt: skip


def _legacy_applied(rows: set[str]) -> set[str]:
    applied: set[str] = set()
    for rev in rows:
        node: str | None = rev
        while node is not None and node not in applied:
            applied.add(node)
            node = LEGACY_PARENTS.get(node)
    return applied


def collapse_legacy_heads(conn: sa.Connection) -> None:
    """One row in ``alembic_version`` for a database that an older, branched history migrated."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return
    rows = {r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}
    if len(rows) < 2:
        return
    if not rows <= set(LEGACY_PARENTS) | {"0001"}:
        raise RuntimeError(f"alembic_version holds several unknown revisions {sorted(rows)}")
    line = [r.revision for r in ScriptDirectory.from_config(config).walk_revisions()][::-1]
    applied = _legacy_applied(rows)
    prefix = line[: len(applied)]
    if set(prefix) != applied:
        raise RuntimeError(
            f"this database applied {sorted(applied)}, which is not a start of the migration line; "
            "upgrade it with the release that made it first"
        )
    conn.execute(sa.text("DELETE FROM alembic_version"))
    conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": prefix[-1]})


def _run(conn: sa.Connection) -> None:
    collapse_legacy_heads(conn)
    if conn.in_transaction():
        conn.commit()
    context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


run_migrations()
