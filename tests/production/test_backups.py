"""Backups kept safe and restores asked for (issue #19, Deliver 6): ``db restore`` asks on a terminal
(``--yes`` skips it, a script is not asked), the URL's connection parameters reach pg_dump, and the server's
pools are related to PostgreSQL's ``max_connections`` at start — on both backends where a database is used."""

from __future__ import annotations

import os
import pty
import socket
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.test_db_admin import kept_databases, scalar, yingji
from yingji import dbrestore
from yingji.db import connection_budget_problem, make_engine

__all__ = ["kept_databases"]
YINGJI = str(Path(sys.executable).parent / "yingji")


def restore_on_a_terminal(db_url: str, backup: Path, answer: str, *extra: str) -> tuple[int, str]:
    """``yingji db restore`` with its standard input (and output) a pseudo-terminal; ``answer`` typed."""
    leader, follower = pty.openpty()
    env = {**os.environ, "YINGJI_DATABASE_URL": db_url, "YINGJI_REDIS_URL": ""}
    process = subprocess.Popen(
        [YINGJI, "db", "restore", *extra, str(backup)], stdin=follower, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    os.write(leader, answer.encode())
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    code = process.wait(120)
    os.close(leader)
    return code, seen.decode(errors="replace")


def test_restore_on_a_terminal_asks_and_no_changes_nothing(db_url: str, tmp_path: Path, kept_databases: None) -> None:
    backup = tmp_path / "b.dump"
    assert yingji(db_url, "db", "backup", str(backup)).returncode == 0
    scalar(db_url, "DELETE FROM api_tokens")
    scalar(db_url, "DELETE FROM users WHERE username = 'lazi_duty'")
    after_delete = scalar(db_url, "SELECT count(*) FROM users")
    code, shown = restore_on_a_terminal(db_url, backup, "n\n")
    assert code == 1
    assert "Replace the database" in shown and "cancelled" in shown
    assert scalar(db_url, "SELECT count(*) FROM users") == after_delete
    code, shown = restore_on_a_terminal(db_url, backup, "y\n")
    assert code == 0, shown
    assert scalar(db_url, "SELECT count(*) FROM users") == after_delete + 1


def test_restore_with_yes_on_a_terminal_asks_nothing(db_url: str, tmp_path: Path, kept_databases: None) -> None:
    backup = tmp_path / "b.dump"
    assert yingji(db_url, "db", "backup", str(backup)).returncode == 0
    code, shown = restore_on_a_terminal(db_url, backup, "", "--yes")
    assert code == 0, shown
    assert "Replace the database" not in shown and "restored from" in shown


def test_restore_from_a_script_is_not_asked(db_url: str, tmp_path: Path, kept_databases: None) -> None:
    backup = tmp_path / "b.dump"
    assert yingji(db_url, "db", "backup", str(backup)).returncode == 0
    result = yingji(db_url, "db", "restore", str(backup))  # standard input: not a terminal
    assert result.returncode == 0, result.stderr
    assert "Replace the database" not in result.stdout + result.stderr


def test_the_urls_connection_parameters_reach_the_client_tools() -> None:
    url = "postgresql+psycopg://u:p@db.example/yingji?sslmode=verify-full&sslrootcert=/etc/ca.pem&application_name=x"
    args, env = dbrestore.pg_args(url)
    assert env == {"PGPASSWORD": "p"}  # the password never on the command line
    uri = urllib.parse.unquote(args[args.index("--dbname") + 1])
    assert "sslmode=verify-full" in uri and "sslrootcert=/etc/ca.pem" in uri and ":p@" not in uri


def test_a_backup_honours_the_urls_sslmode(db_url: str, tmp_path: Path) -> None:
    """The test server speaks no TLS: ``sslmode=require`` must make pg_dump fail for that reason (the mode
    reached it), ``sslmode=disable`` must work."""
    if not db_url.startswith("postgresql"):
        pytest.skip("connection parameters are PostgreSQL's")
    assert yingji(db_url + "?sslmode=disable", "db", "backup", str(tmp_path / "plain.dump")).returncode == 0
    refused = yingji(db_url + "?sslmode=require", "db", "backup", str(tmp_path / "tls.dump"))
    assert refused.returncode != 0
    assert "SSL" in refused.stderr


def test_pool_sizes_are_checked_against_max_connections(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        assert connection_budget_problem(db_url, 100) is None  # SQLite: no connection limit
        return
    engine = make_engine(db_url)
    with engine.connect() as conn:
        limit = int(conn.execute(text("SHOW max_connections")).scalar_one())
    engine.dispose()
    assert connection_budget_problem(db_url, 0) is None
    problem = connection_budget_problem(db_url, 1000)
    assert problem is not None and f"max_connections {limit}" in problem and "50010" in problem


def test_serve_warns_at_start_when_its_pools_exceed_max_connections(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no connection limit")
    env = {**os.environ, "YINGJI_DATABASE_URL": db_url, "YINGJI_REDIS_URL": ""}
    # a port that is taken makes the server exit at once, after the checks made at start
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [YINGJI, "serve", "--port", str(port), "--workers", "1000"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert "max_connections" in result.stderr, result.stderr
