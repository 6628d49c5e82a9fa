"""Pieces the migrations share: the id column, the division column, named foreign keys, one-column
indexes, the created-by columns, dropping tables in order, append-only triggers.

A revision is history: what these build must never change, or every past revision that uses them would
build another schema. A new shape is a new helper.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import UTCDateTime


def id_column() -> sa.Column[int]:
    """The integer primary key ``id``."""
    return sa.Column("id", sa.Integer, primary_key=True)


def division_column(*, index: bool = True) -> sa.Column[str]:
    """``division_code``: required, a foreign key on ``divisions.code`` (unnamed), indexed by default."""
    return sa.Column("division_code", sa.String(12), sa.ForeignKey("divisions.code"), nullable=False, index=index)


def parent_column(name: str, target: str, *, ondelete: str | None = None, index: bool = True) -> sa.Column[int]:
    """A required integer column on ``target.id`` (an unnamed foreign key), indexed by default."""
    return sa.Column(name, sa.Integer, sa.ForeignKey(f"{target}.id", ondelete=ondelete), nullable=False, index=index)


def fk(table: str, column: str, target: str, *, key: str = "id", ondelete: str | None = None) -> sa.ForeignKey:
    """A foreign key from ``table.column`` on ``target.key``, named ``fk_<table>_<column>_<target>``."""
    return sa.ForeignKey(f"{target}.{key}", ondelete=ondelete, name=f"fk_{table}_{column}_{target}")


def fk_column(table: str, column: str, target: str, *, nullable: bool, ondelete: str | None = None) -> sa.Column[int]:
    """An integer column ``column`` of ``table`` with its named foreign key on ``target.id``."""
    return sa.Column(column, sa.Integer(), fk(table, column, target, ondelete=ondelete), nullable=nullable)


def created_columns() -> list[sa.Column[object]]:
    """``created_by`` (a username) and ``created_at``, both required, in that order."""
    return [
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    ]


def index_each(table: str, *columns: str) -> None:
    """One index ``ix_<table>_<column>`` on each column, created in the order given."""
    for column in columns:
        op.create_index(f"ix_{table}_{column}", table, [column])


def drop_tables(*tables: str) -> None:
    """Drop the tables in the order given (dependents first)."""
    for table in tables:
        op.drop_table(table)


def sqlite_refusal(table: str, verb: str) -> str:
    """The SQLite trigger refusing ``verb`` (UPDATE or DELETE) on an append-only table."""
    return (
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} rejected'); END"
    )


def append_only(table: str, postgres: bool) -> None:
    """Refuse UPDATE and DELETE on ``table``: on PostgreSQL one trigger function ``<table>_append_only`` and
    the row trigger ``<table>_no_change``; on SQLite a trigger for each verb."""
    if postgres:
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{table} is append-only: % rejected', TG_OP; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(sqlite_refusal(table, verb))
