"""Leases on the database: every server and worker process holds one for as long as it runs, so that
``yingji db restore`` can tell that the database is in use and refuse (a restore under a running server
loses the writes it acknowledges afterwards: with SQLite it keeps writing to the replaced file).

* SQLite: a shared ``flock`` on ``<database file>.lock``. A restore takes the exclusive lock without
  waiting (refused while any process holds a shared one) and keeps it until the swap is done; a process
  starting meanwhile waits for it. The kernel drops the lock of a process that dies.
* PostgreSQL: one idle connection to the database with ``application_name`` ``yingji-lease``. A restore
  refuses while any other session is connected to the database (PostgreSQL itself refuses to rename a
  database in use, so the swap cannot race a server that connects late).
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

from yingji.db import normalise_url
from yingji.errors import Conflict, ServiceUnavailable

LEASE_APPLICATION = "yingji-lease"


class DatabaseInUse(Conflict):
    code = "database_in_use"


def sqlite_path(database_url: str) -> Path | None:
    """The database file of an SQLite URL (None for other backends and in-memory databases)."""
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).expanduser()


def lock_path(db_file: Path) -> Path:
    return db_file.with_name(db_file.name + ".lock")


class Lease:
    """Held from :func:`hold` until :meth:`release` (or the process ends)."""

    def __init__(self, fd: int | None = None, connection: Any = None) -> None:
        self._fd, self._connection = fd, connection

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def hold(database_url: str, *, wait_s: float = 300.0) -> Lease:
    """Take this process's lease on the database (waits while a restore is swapping it)."""
    path = sqlite_path(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return Lease(fd=fd)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise ServiceUnavailable(f"database {path} is being restored; try again later") from None
                time.sleep(0.2)
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() != "postgresql":
        return Lease()
    import psycopg

    connection = psycopg.connect(pg_conninfo(database_url), application_name=LEASE_APPLICATION, autocommit=True)
    return Lease(connection=connection)


def pg_url(database_url: str, database: str | None = None) -> URL:
    """The URL as libpq takes it (or another database on its server): libpq's defaults filled in, its
    parameters (``sslmode`` and the like) kept."""
    url = make_url(normalise_url(database_url))
    return url.set(
        drivername="postgresql",
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        username=url.username or "postgres",
        database=database or url.database or "postgres",
    )


def pg_conninfo(database_url: str, database: str | None = None) -> str:
    """A libpq connection URI for the URL (or another database on its server), its parameters kept."""
    return pg_url(database_url, database).render_as_string(hide_password=False)


class ExclusiveSqlite:
    """The exclusive lock a restore holds on an SQLite database: refused (:class:`DatabaseInUse`) while a
    server or worker holds its lease."""

    def __init__(self, db_file: Path) -> None:
        self.db_file = db_file
        self._fd: int | None = None

    def __enter__(self) -> ExclusiveSqlite:
        self._fd = os.open(lock_path(self.db_file), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise DatabaseInUse(
                f"database {self.db_file} is in use by a running server or worker; stop them first "
                "(nothing was changed)"
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def pg_other_sessions(admin_connection: Any, database: str) -> list[str]:
    """The sessions connected to ``database`` (as "application (count)"), seen from a connection to
    another database."""
    rows = admin_connection.execute(
        "SELECT coalesce(nullif(application_name, ''), 'unnamed'), count(*) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid() GROUP BY 1 ORDER BY 1",
        (database,),
    ).fetchall()
    return [f"{name} ({count})" for name, count in rows]


def pg_admin_connection(database_url: str) -> Any:
    """An autocommit connection to the server's maintenance database (``postgres``)."""
    import psycopg

    return psycopg.connect(pg_conninfo(database_url, "postgres"), autocommit=True, application_name="yingji-restore")
