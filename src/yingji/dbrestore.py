"""Backups that can be trusted and restores that never destroy data.

A backup is checked before anything is replaced: an SQLite file must pass ``PRAGMA integrity_check``; a
``pg_dump -Fc`` file must list (``pg_restore --list``) and read through to its end; and either must be at
the schema revision this program expects (the Alembic head). A restore then

* refuses while a server or worker holds its lease on the database (``yingji.dblease``);
* builds the new database beside the old one (SQLite: a file next to it, checked again; PostgreSQL: a
  scratch database restored with ``--exit-on-error`` in one transaction, checked again);
* swaps by rename and keeps the previous database under a timestamped name
  (``<file>.before-restore-<UTC time>``; database ``<name>_prev_<UTC time>``).

A refused restore changes nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from yingji import dblease
from yingji.db import normalise_url
from yingji.errors import InvalidInput

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupInvalid(InvalidInput):
    code = "backup_invalid"


@dataclass(frozen=True)
class BackupInfo:
    kind: Literal["sqlite", "pg_dump"]
    revisions: frozenset[str]


def code_heads() -> frozenset[str]:
    """The schema revision(s) this program's migrations end at."""
    cfg = Config()
    cfg.set_main_option("script_location", "yingji:migrations")
    return frozenset(ScriptDirectory.from_config(cfg).get_heads())


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False)


# -- checking a backup ---------------------------------------------------------------------------------


def verify(file: Path) -> BackupInfo:
    """Check a backup file; raise :class:`BackupInvalid` saying what is wrong."""
    if not file.is_file():
        raise InvalidInput(f"backup file {file} does not exist")
    with file.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        info = BackupInfo("sqlite", _sqlite_revisions(file))
    elif head.startswith(PG_DUMP_MAGIC):
        info = BackupInfo("pg_dump", _pg_dump_revisions(file))
    else:
        raise BackupInvalid(f"{file} is neither an SQLite database nor a pg_dump custom-format file")
    _check_revisions(file, info.revisions)
    return info


def _check_revisions(file: Path, revisions: frozenset[str]) -> None:
    expected = code_heads()
    if revisions != expected:
        raise BackupInvalid(
            f"{file} is at schema revision {', '.join(sorted(revisions)) or 'none'}; this program expects "
            f"{', '.join(sorted(expected))} (restore it with the version that wrote it, then upgrade)"
        )


def _sqlite_revisions(file: Path) -> frozenset[str]:
    """Integrity-check an SQLite file (read-only, nothing written beside it) and read its revision."""
    try:
        conn = sqlite3.connect(f"file:{file}?mode=ro&immutable=1", uri=True)
        try:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check(20)")]
            if problems != ["ok"]:
                raise BackupInvalid(f"{file} fails the SQLite integrity check: {'; '.join(problems)[:400]}")
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupInvalid(f"{file} is not a readable SQLite database: {exc}") from exc
    return frozenset(str(r[0]) for r in rows)


def _pg_dump_revisions(file: Path) -> frozenset[str]:
    """``pg_restore --list`` succeeds, the whole archive reads through (every data block decompresses),
    and the revision is read from the archive's ``alembic_version`` data."""
    listing = run(["pg_restore", "--list", str(file)])
    if listing.returncode != 0:
        raise BackupInvalid(f"{file}: pg_restore --list failed: {listing.stderr.strip()[:400]}")
    whole = run(["pg_restore", "-f", os.devnull, str(file)])
    if whole.returncode != 0:
        raise BackupInvalid(f"{file} is damaged or truncated: {whole.stderr.strip()[:400]}")
    data = run(["pg_restore", "--data-only", "--table", "alembic_version", "-f", "-", str(file)])
    revisions: set[str] = set()
    copying = False
    for line in data.stdout.splitlines():
        if line.startswith("COPY ") and "alembic_version" in line:
            copying = True
        elif copying and line == "\\.":
            copying = False
        elif copying and line.strip():
            revisions.add(line.strip())
    return frozenset(revisions)


# -- restoring -------------------------------------------------------------------------------------------


def restore(database_url: str, file: Path) -> str:
    """Restore ``file`` over the database; returns where the previous database was kept."""
    info = verify(file)
    path = dblease.sqlite_path(database_url)
    if path is not None:
        if info.kind != "sqlite":
            raise BackupInvalid(f"{file} is a pg_dump file; this database is SQLite")
        return _restore_sqlite(path, file)
    if info.kind != "pg_dump":
        raise BackupInvalid(f"{file} is an SQLite file; this database is PostgreSQL")
    return _restore_pg(database_url, file)


def sqlite_copy(src: Path, dst: Path, *, read_only: bool) -> None:
    """A consistent copy through SQLite's online backup API, written with mode 0600."""
    os.close(os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True) if read_only else sqlite3.connect(src)
    try:
        target = sqlite3.connect(dst)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def _free_name(base: Path) -> Path:
    candidate, n = base, 1
    while candidate.exists():
        candidate, n = base.with_name(f"{base.name}-{n}"), n + 1
    return candidate


def _restore_sqlite(path: Path, file: Path) -> str:
    with dblease.ExclusiveSqlite(path):
        stamp = _stamp()
        incoming = _free_name(path.with_name(f"{path.name}.restoring-{stamp}"))
        try:
            sqlite_copy(file, incoming, read_only=True)
            _check_revisions(incoming, _sqlite_revisions(incoming))
        except BaseException:
            incoming.unlink(missing_ok=True)
            raise
        aside = _free_name(path.with_name(f"{path.name}.before-restore-{stamp}"))
        if path.exists():
            try:  # a consistent copy, with whatever the write-ahead log still holds
                sqlite_copy(path, aside, read_only=False)
            except sqlite3.DatabaseError:  # the old file is damaged (why one restores): keep it as it is
                aside.unlink(missing_ok=True)
                os.rename(path, aside)
                for suffix in ("-wal", "-shm"):
                    side = Path(str(path) + suffix)
                    if side.exists():
                        os.rename(side, Path(str(aside) + suffix))
        for suffix in ("-wal", "-shm"):  # the old log must not be replayed into the new file
            Path(str(path) + suffix).unlink(missing_ok=True)
        os.replace(incoming, path)
        return str(aside) if aside.exists() else "(there was no previous database)"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _restore_pg(database_url: str, file: Path) -> str:
    url = make_url(normalise_url(database_url))
    target = url.database or "postgres"
    stamp = _stamp().lower()
    scratch, aside = f"{target[:36]}_restoring_{stamp}", f"{target[:41]}_prev_{stamp}"
    admin = dblease.pg_admin_connection(database_url)
    try:
        _refuse_if_used(admin, target)
        admin.execute(f"CREATE DATABASE {_quote(scratch)}")
        try:
            args, env = pg_args(database_url, database=scratch)
            result = run(["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", *args, str(file)], env)
            if result.returncode != 0:
                raise BackupInvalid(f"{file} did not restore cleanly: {result.stderr.strip()[:400]}")
            _check_revisions(file, _pg_revisions(database_url, scratch))
            _refuse_if_used(admin, target)
            try:
                admin.execute(f"ALTER DATABASE {_quote(target)} RENAME TO {_quote(aside)}")
            except Exception as exc:  # a server connected between the check and the rename
                raise dblease.DatabaseInUse(f"database {target} is in use ({exc}); nothing was changed") from exc
        except BaseException:
            admin.execute(f"DROP DATABASE IF EXISTS {_quote(scratch)} WITH (FORCE)")
            raise
        try:
            admin.execute(f"ALTER DATABASE {_quote(scratch)} RENAME TO {_quote(target)}")
        except BaseException:
            admin.execute(f"ALTER DATABASE {_quote(aside)} RENAME TO {_quote(target)}")
            raise
        return f"database {aside}"
    finally:
        admin.close()


def _refuse_if_used(admin: object, database: str) -> None:
    sessions = dblease.pg_other_sessions(admin, database)
    if sessions:
        raise dblease.DatabaseInUse(
            f"database {database} is in use by {', '.join(sessions)}: stop the servers and workers first "
            "(nothing was changed)"
        )


def _pg_revisions(database_url: str, database: str) -> frozenset[str]:
    import psycopg

    with psycopg.connect(dblease.pg_conninfo(database_url, database)) as conn:
        return frozenset(str(r[0]) for r in conn.execute("SELECT version_num FROM alembic_version").fetchall())


def pg_args(database_url: str, database: str | None = None) -> tuple[list[str], dict[str, str]]:
    """Connection arguments of the PostgreSQL client tools for the URL (or another database on its server):
    a libpq connection URI keeping the URL's parameters (``sslmode`` and the like); the password goes in
    the environment, never on the command line."""
    u = dblease.pg_url(database_url, database)
    env = {"PGPASSWORD": u.password} if u.password else {}
    return ["--dbname", u._replace(password=None).render_as_string(hide_password=False)], env
