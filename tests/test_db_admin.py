"""Migrations up and down, backup, verify and restore — on both backends. A restore checks the backup
before anything is replaced, keeps the previous database, and refuses while a server uses the database
(issue 12, findings 3 and 4)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.conftest import PG_ADMIN_URL, LiveServer, test_settings
from yingji.db import make_engine
from yingji.dbcli import alembic_config

YINGJI = str(Path(sys.executable).parent / "yingji")


def yingji(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "YINGJI_DATABASE_URL": db_url, "YINGJI_REDIS_URL": ""}
    return subprocess.run([YINGJI, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def scalar(db_url: str, sql: str) -> object:
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql))
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


@pytest.fixture
def kept_databases(db_url: str) -> object:
    """Drops, after the test, the PostgreSQL databases a restore kept aside or left (none should be left)."""
    yield
    if db_url.startswith("postgresql"):
        name = db_url.rsplit("/", 1)[1]
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for (db,) in conn.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": name + "\\_%"}
            ):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(db_url), "base")
    engine = make_engine(db_url)
    assert "divisions" not in inspect(engine).get_table_names()
    command.upgrade(alembic_config(db_url), "heads")
    assert {"divisions", "users", "audit_log"} <= set(inspect(make_engine(db_url)).get_table_names())
    engine.dispose()


def test_backup_then_restore_brings_back_deleted_rows_and_keeps_the_previous_database(
    db_url: str, tmp_path: Path, kept_databases: None
) -> None:
    backup = tmp_path / "backup.dump"
    result = yingji(db_url, "db", "backup", "--verify", str(backup))
    assert result.returncode == 0, result.stderr
    assert "backup verified" in result.stdout
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    before = scalar(db_url, "SELECT count(*) FROM users")
    scalar(db_url, "DELETE FROM api_tokens")
    scalar(db_url, "DELETE FROM users WHERE username = 'lazi_duty'")
    result = yingji(db_url, "db", "restore", str(backup))
    assert result.returncode == 0, result.stderr
    assert scalar(db_url, "SELECT count(*) FROM users") == before
    kept = result.stdout.rsplit("kept as ", 1)[1].strip()
    if db_url.startswith("sqlite"):
        kept_url = f"sqlite:///{kept}"
    else:
        kept_url = db_url.rsplit("/", 1)[0] + "/" + kept.removeprefix("database ")
    assert scalar(kept_url, "SELECT count(*) FROM users") == before - 1  # the state before the restore


def test_verify_accepts_a_backup_made_by_backup(db_url: str, tmp_path: Path) -> None:
    backup = tmp_path / "backup.dump"
    assert yingji(db_url, "db", "backup", str(backup)).returncode == 0
    result = yingji(db_url, "db", "verify", str(backup))
    assert result.returncode == 0 and ": ok" in result.stdout, result.stderr


def _assert_refused_and_unchanged(db_url: str, backup: Path, reason: str) -> None:
    marker = scalar(db_url, "SELECT count(*) FROM audit_log")
    scalar(db_url, "DELETE FROM users WHERE username = 'lazi_duty'")
    users = scalar(db_url, "SELECT count(*) FROM users")
    result = yingji(db_url, "db", "restore", str(backup))
    assert result.returncode != 0 and reason in result.stderr, (result.returncode, result.stderr)
    assert scalar(db_url, "SELECT count(*) FROM users") == users  # the database is the same one, open as before
    assert scalar(db_url, "SELECT count(*) FROM audit_log") == marker
    assert yingji(db_url, "db", "verify", str(backup)).returncode != 0


def test_a_truncated_backup_is_refused_and_nothing_changes(db_url: str, tmp_path: Path, kept_databases: None) -> None:
    backup = tmp_path / "backup.dump"
    assert yingji(db_url, "db", "backup", str(backup)).returncode == 0
    data = backup.read_bytes()
    backup.write_bytes(data[: len(data) // 2])
    _assert_refused_and_unchanged(db_url, backup, str(backup))


def test_a_text_file_is_refused_and_nothing_changes(db_url: str, tmp_path: Path, kept_databases: None) -> None:
    backup = tmp_path / "notes.txt"
    backup.write_text("not a backup\n" * 100)
    _assert_refused_and_unchanged(db_url, backup, "neither an SQLite database nor a pg_dump")


def test_a_backup_at_another_schema_revision_is_refused(db_url: str, tmp_path: Path, kept_databases: None) -> None:
    head = scalar(db_url, "SELECT min(version_num) FROM alembic_version")
    scalar(db_url, f"UPDATE alembic_version SET version_num = 'elsewhere01' WHERE version_num = '{head}'")
    backup = tmp_path / "backup.dump"
    assert yingji(db_url, "db", "backup", str(backup)).returncode == 0
    scalar(db_url, f"UPDATE alembic_version SET version_num = '{head}' WHERE version_num = 'elsewhere01'")
    _assert_refused_and_unchanged(db_url, backup, "elsewhere01")


def test_restore_is_refused_while_a_server_uses_the_database(db_url: str, tmp_path: Path, kept_databases: None) -> None:
    backup = tmp_path / "backup.dump"
    assert yingji(db_url, "db", "backup", str(backup)).returncode == 0
    with LiveServer(test_settings(db_url)) as server:
        client = server.client("admin")
        assert client.get("/api/v1/users").status_code == 200
        users = scalar(db_url, "SELECT count(*) FROM users")
        result = yingji(db_url, "db", "restore", str(backup))
        assert result.returncode != 0 and "in use" in result.stderr, result.stderr
        # the server still writes to the database it has open, and that write stays
        created = client.post(
            "/api/v1/users",
            json={
                "username": "after_refusal",
                "password": "Long-enough-1!",
                "role": "analyst",
                "division_code": "540223000000",
            },
        )
        assert created.status_code == 201, created.text
        client.close()
    assert scalar(db_url, "SELECT count(*) FROM users") == users + 1
    result = yingji(db_url, "db", "restore", str(backup))  # stopped: the same backup restores
    assert result.returncode == 0, result.stderr
    assert scalar(db_url, "SELECT count(*) FROM users") == users


def test_restore_of_a_missing_file_is_a_clear_error(db_url: str, tmp_path: Path) -> None:
    result = yingji(db_url, "db", "restore", str(tmp_path / "nope.dump"))
    assert result.returncode == 2 and "does not exist" in result.stderr
