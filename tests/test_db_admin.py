"""Migrations up and down, backup and restore — on both backends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect, text

from yingji.db import make_engine
from yingji.dbcli import alembic_config

YINGJI = str(Path(sys.executable).parent / "yingji")


def yingji(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "YINGJI_DATABASE_URL": db_url}
    return subprocess.run([YINGJI, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def test_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(db_url), "base")
    engine = make_engine(db_url)
    assert "divisions" not in inspect(engine).get_table_names()
    command.upgrade(alembic_config(db_url), "heads")
    assert {"divisions", "users", "audit_log"} <= set(inspect(make_engine(db_url)).get_table_names())
    engine.dispose()


def test_backup_then_restore_brings_back_deleted_rows(db_url: str, tmp_path: Path) -> None:
    backup = tmp_path / "backup.dump"
    result = yingji(db_url, "db", "backup", str(backup))
    assert result.returncode == 0, result.stderr
    engine = make_engine(db_url)
    with engine.begin() as conn:
        before = conn.execute(text("SELECT count(*) FROM users")).scalar()
        conn.execute(text("DELETE FROM api_tokens"))
        conn.execute(text("DELETE FROM users WHERE username = 'lazi_duty'"))
    engine.dispose()
    result = yingji(db_url, "db", "restore", str(backup))
    assert result.returncode == 0, result.stderr
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == before
    engine.dispose()


def test_restore_of_a_missing_file_is_a_clear_error(db_url: str, tmp_path: Path) -> None:
    result = yingji(db_url, "db", "restore", str(tmp_path / "nope.dump"))
    assert result.returncode == 2 and "does not exist" in result.stderr
