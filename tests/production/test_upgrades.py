"""Upgrades: one migration head, step-by-step downgrades, and processes that refuse a schema behind the code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from yingji.db import make_engine
from yingji.dbcli import alembic_config, schema_problem

YINGJI = str(Path(sys.executable).parent / "yingji")


def yingji(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "YINGJI_DATABASE_URL": db_url, "YINGJI_REDIS_URL": ""}
    return subprocess.run([YINGJI, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def test_the_migrations_have_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_downgrade_one_step_at_a_time_to_base_and_back(db_url: str) -> None:
    cfg = alembic_config(db_url)
    revisions = len(list(ScriptDirectory.from_config(cfg).walk_revisions()))
    for _ in range(revisions):
        command.downgrade(cfg, "-1")  # no branch to name: each step is unambiguous
    assert "no schema" in (schema_problem(db_url) or "")
    command.upgrade(cfg, "head")
    assert schema_problem(db_url) is None


def test_a_database_of_the_branched_history_upgrades_to_the_line(db_url: str) -> None:
    """Release 0.1.0 left one row per domain branch in alembic_version; an upgrade makes it one row."""
    command.downgrade(alembic_config(db_url), "0013")  # the schema that release left (later revisions follow)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
        for rev in ("0013", "0003a", "0004", "0005", "0006b"):
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": rev})
    assert "yingji db upgrade" in (schema_problem(db_url) or "")
    result = yingji(db_url, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert schema_problem(db_url) is None
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def test_serve_refuses_a_schema_behind_the_code_naming_the_upgrade(db_url: str) -> None:
    command.downgrade(alembic_config(db_url), "-1")
    problem = schema_problem(db_url)
    assert problem is not None and "yingji db upgrade" in problem
    result = yingji(db_url, "serve", "--port", "1")
    assert result.returncode == 2 and "yingji db upgrade" in result.stderr, result.stderr
    result = yingji(db_url, "incident", "scheduler", "--once")
    assert result.returncode == 2 and "yingji db upgrade" in result.stderr, result.stderr
