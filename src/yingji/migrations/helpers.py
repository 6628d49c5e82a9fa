"""Pieces the migrations share: the id column and tables that start with it, the division column, named
foreign keys, one-column indexes, column groups (position, who-and-when stamps, event time and actor,
created/updated times, a state change, a disaster record's event and township), columns added and dropped in a batch, a
unique constraint swapped, dropping tables in order, append-only triggers.

A revision is history: what these build must never change, or every past revision that uses them would
build another schema. A new shape is a new helper.
"""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

from yingji.db import UTCDateTime


def id_column() -> sa.Column[int]:
    """The integer primary key ``id``."""
    return sa.Column("id", sa.Integer, primary_key=True)


def create_id_table(name: str, *columns: sa.schema.SchemaItem) -> sa.Table:
    """``op.create_table`` of a table whose first column is the integer primary key ``id``, then ``columns``."""
    return op.create_table(name, id_column(), *columns)


def division_column(*, index: bool = True, foreign_key: bool = True) -> sa.Column[str]:
    """``division_code``: required, a foreign key on ``divisions.code`` (unnamed) unless ``foreign_key`` is
    false, indexed by default."""
    if not foreign_key:
        return sa.Column("division_code", sa.String(12), nullable=False, index=index)
    return sa.Column("division_code", sa.String(12), sa.ForeignKey("divisions.code"), nullable=False, index=index)


def parent_column(name: str, target: str, *, ondelete: str | None = None, index: bool = True) -> sa.Column[int]:
    """A required integer column on ``target.id`` (an unnamed foreign key), indexed by default."""
    return sa.Column(name, sa.Integer, sa.ForeignKey(f"{target}.id", ondelete=ondelete), nullable=False, index=index)


def fk(table: str, column: str, target: str, *, key: str = "id", ondelete: str | None = None) -> sa.ForeignKey:
    """A foreign key from ``table.column`` on ``target.key``, named ``fk_<table>_<column>_<target>``; a name
    longer than PostgreSQL's 63 characters is cut to 54 and given 8 hex digits of its digest (keeps it unique)."""
    name = f"fk_{table}_{column}_{target}"
    if len(name) > 63:
        name = f"{name[:54]}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return sa.ForeignKey(f"{target}.{key}", ondelete=ondelete, name=name)


def fk_column(table: str, column: str, target: str, *, nullable: bool, ondelete: str | None = None) -> sa.Column[int]:
    """An integer column ``column`` of ``table`` with its named foreign key on ``target.id``."""
    return sa.Column(column, sa.Integer(), fk(table, column, target, ondelete=ondelete), nullable=nullable)


def position_columns(*, nullable: bool) -> list[sa.Column[float]]:
    """``lon`` and ``lat``, floats."""
    return [sa.Column("lon", sa.Float, nullable=nullable), sa.Column("lat", sa.Float, nullable=nullable)]


def stamp_columns(verb: str, *, required: bool = True, at_first: bool = False) -> list[sa.Column[Any]]:
    """Who and when: ``<verb>_by`` (a username) then ``<verb>_at`` (``<verb>_at`` first with ``at_first``),
    both required by default."""
    columns: list[sa.Column[Any]] = [
        sa.Column(f"{verb}_by", sa.String(100), nullable=not required),
        sa.Column(f"{verb}_at", UTCDateTime, nullable=not required),
    ]
    return columns[::-1] if at_first else columns


def event_columns() -> list[sa.Column[Any]]:
    """An event's ``at`` and ``actor`` (a username), both required, in that order."""
    return [sa.Column("at", UTCDateTime, nullable=False), sa.Column("actor", sa.String(100), nullable=False)]


def event_township_columns() -> list[sa.Column[Any]]:
    """A disaster record's ``event_id`` (on ``disaster_events.id``, RESTRICT) and ``township_code`` (on
    ``divisions.code``), both required, foreign keys unnamed."""
    return [
        sa.Column("event_id", sa.Integer, sa.ForeignKey("disaster_events.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("township_code", sa.String(12), sa.ForeignKey("divisions.code"), nullable=False),
    ]


def transition_columns() -> list[sa.Column[Any]]:
    """A state change's ``from_state`` and ``to_state``, both required."""
    return [
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
    ]


def timestamp_columns() -> list[sa.Column[Any]]:
    """``created_at`` and ``updated_at``, both required."""
    return [sa.Column("created_at", UTCDateTime, nullable=False), sa.Column("updated_at", UTCDateTime, nullable=False)]


def index_each(table: str, *columns: str) -> None:
    """One index ``ix_<table>_<column>`` on each column, created in the order given."""
    for column in columns:
        op.create_index(f"ix_{table}_{column}", table, [column])


def add_columns(table: str, *columns: sa.Column[object]) -> None:
    """Add the columns to ``table`` in one batch (a table copy on SQLite), in the order given."""
    with op.batch_alter_table(table) as batch:
        for column in columns:
            batch.add_column(column)


def drop_columns(table: str, *columns: str) -> None:
    """Drop the columns of ``table`` in one batch (a table copy on SQLite), in the order given."""
    with op.batch_alter_table(table) as batch:
        for column in columns:
            batch.drop_column(column)


def swap_unique(batch: BatchOperations, old: str, new: str, columns: list[str]) -> None:
    """In a batch: drop the unique constraint ``old``, then make ``new`` on ``columns``."""
    batch.drop_constraint(old, type_="unique")
    batch.create_unique_constraint(new, columns)


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
