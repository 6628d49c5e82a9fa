"""The connection pool on PostgreSQL: a connection in steady use is not pinged, one that waited is, and a
connection the server dropped while it waited is replaced before a statement fails on it."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PG_ADMIN_URL
from yingji import db


@pytest.mark.postgres
def test_a_connection_dropped_while_idle_is_replaced_before_use(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = db.make_engine(PG_ADMIN_URL, pool_size=1, max_overflow=0)
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            first = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        monkeypatch.setattr(db, "PING_IDLE_S", 0.0)
        with engine.connect() as conn:
            second = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert second != first
    finally:
        engine.dispose()
        admin.dispose()


@pytest.mark.postgres
def test_a_connection_in_steady_use_is_not_pinged(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = db.make_engine(PG_ADMIN_URL, pool_size=1, max_overflow=0)
    pings: list[object] = []
    monkeypatch.setattr(engine.dialect, "do_ping", pings.append)
    try:
        for _ in range(3):
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        assert pings == []
        monkeypatch.setattr(db, "PING_IDLE_S", 0.0)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert len(pings) == 1
    finally:
        engine.dispose()
