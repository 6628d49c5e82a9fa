"""``yingji db``: migrations, backup and restore."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from yingji.cli_common import settings_from
from yingji.db import normalise_url
from yingji.errors import InvalidInput

app = typer.Typer(help="Database: migrations, backup and restore.", no_args_is_help=True)


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "yingji:migrations")
    # new revisions are named like the existing ones: date, revision id, slug (20261207_enf3_0001_…)
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    cfg.set_main_option("sqlalchemy.url", normalise_url(database_url).replace("%", "%%"))
    return cfg


def upgrade_database(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def schema_problem(database_url: str) -> str | None:
    """Why a server or worker must not start on this database (its schema is not at the code's single
    head), naming the command to run; None when it is."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from yingji.db import make_engine

    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()
    if current == {head}:
        return None
    found = ", ".join(sorted(current)) or "no schema"
    return (
        f"the database schema is at {found}, this code needs {head}: run 'yingji db upgrade' "
        "(after a backup: 'yingji db backup FILE')"
    )


def require_schema_at_head(database_url: str) -> None:
    """Exit 2 with the reason when the schema is behind (or ahead of) the code."""
    problem = schema_problem(database_url)
    if problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)


def _url(ctx: typer.Context) -> str:
    return settings_from(ctx).database_url


@app.command()
def upgrade(ctx: typer.Context, revision: str = typer.Argument("head")) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    upgrade_database(_url(ctx), revision)
    typer.echo(f"database at {revision}")


@app.command()
def downgrade(ctx: typer.Context, revision: str = typer.Argument("-1")) -> None:
    """Migrate the database down to REVISION (default: one step)."""
    command.downgrade(alembic_config(_url(ctx)), revision)
    typer.echo(f"database at {revision}")


@app.command()
def current(ctx: typer.Context) -> None:
    """Show the database's migration revision."""
    command.current(alembic_config(_url(ctx)))


def _sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    return Path(u.database or "") if u.get_backend_name() == "sqlite" else None


@app.command()
def backup(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Backup file to write (mode 0600)."),
    verify_after: bool = typer.Option(False, "--verify", help="Check the written backup as `db verify` does."),
) -> None:
    """Back up the database: an SQLite file copy (online backup API) or a pg_dump custom-format file."""
    from yingji import dbrestore

    url = _url(ctx)
    path = _sqlite_path(url)
    if path is not None and not path.exists():
        raise InvalidInput(f"database file {path} does not exist")
    # created owner-only before anything is written: a backup holds every password hash and record
    os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    os.chmod(file, 0o600)
    if path is not None:
        dbrestore.sqlite_copy(path, file, read_only=False)
    else:
        args, env = dbrestore.pg_args(url)
        result = dbrestore.run(["pg_dump", "-Fc", "-f", str(file), *args], env)
        if result.returncode != 0:
            raise InvalidInput(f"pg_dump failed: {result.stderr.strip()[:500]}")
    typer.echo(f"backup written to {file}")
    if verify_after:
        info = dbrestore.verify(file)
        typer.echo(f"backup verified: {info.kind} at revision {', '.join(sorted(info.revisions))}")


@app.command()
def verify(file: Path = typer.Argument(..., help="Backup file to check.")) -> None:
    """Check a backup without touching any database: SQLite integrity check or pg_restore read-through, and
    the schema revision this program expects. Exit status 2 with the reason when it would not restore."""
    from yingji import dbrestore

    info = dbrestore.verify(file)
    typer.echo(f"{file}: {info.kind} backup at revision {', '.join(sorted(info.revisions))}: ok")


@app.command()
def restore(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Backup file to read."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation on a terminal."),
) -> None:
    """Restore the database from a backup made by ``yingji db backup``. The backup is checked first, the
    restore is refused while a server or worker uses the database, and the previous database is kept
    under a timestamped name. A refused restore changes nothing. On a terminal it asks first (``--yes``
    skips the question); from a script (standard input not a terminal) it does not ask."""
    import sys

    from yingji import dbrestore

    url = _url(ctx)
    if not yes and sys.stdin.isatty():
        shown = make_url(url).render_as_string(hide_password=True)
        if not typer.confirm(f"Replace the database {shown} with the backup {file}?", default=False):
            typer.echo("restore cancelled; nothing changed", err=True)
            raise typer.Exit(1)
    kept = dbrestore.restore(url, file)
    typer.echo(f"restored from {file}; the previous database is kept as {kept}")
