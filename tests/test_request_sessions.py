"""How requests use the database.

- Safe requests (GET, HEAD, OPTIONS) read through read-only sessions: on PostgreSQL no transaction is
  opened, and every write is refused before it reaches the database.
- An access token's scope is remembered by a server process for a few seconds; a change of a user's
  access made in that process is seen at once, one made elsewhere within those seconds.
- A burst of requests larger than the connection pool is queued, not deadlocked.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from contextlib import closing

import httpx
import psycopg
import pytest
from sqlalchemy import Engine, delete, insert, select, text, update

from tests.conftest import BACKENDS, LiveServer, _fresh_database, login, test_settings
from yingji import db
from yingji.auth import service
from yingji.auth.deps import ScopeCache
from yingji.auth.models import User
from yingji.auth.scope import Scope

PASSWORD = "Another-good-pass-2026!"


def test_a_read_only_session_refuses_every_write(engine: Engine) -> None:
    factory = db.read_session_factory(engine)
    with factory() as session:
        user = session.scalar(select(User).where(User.username == "dingri_duty"))
        assert user is not None
        user.display_name = "changed"
        with pytest.raises(db.ReadOnlySession):
            session.flush()
    with factory() as session:
        for statement in (
            update(User).values(display_name="changed"),
            delete(User).where(User.username == "dingri_duty"),
            insert(User).values(username="x", password_hash="x", role="analyst", division_code="540223"),
        ):
            with pytest.raises(db.ReadOnlySession):
                session.execute(statement)
    with db.session_factory(engine)() as session:
        user = session.scalar(select(User).where(User.username == "dingri_duty"))
        assert user is not None and user.display_name != "changed"


def test_reads_on_postgresql_run_outside_a_transaction(engine: Engine) -> None:
    if not db.is_postgres(engine):
        pytest.skip("autocommit reads are PostgreSQL's (SQLite reads are local calls)")
    with db.read_session_factory(engine)() as session:
        session.execute(text("SELECT 1"))
        raw = session.connection().connection.dbapi_connection
        assert isinstance(raw, psycopg.Connection)
        assert raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE  # no BEGIN was sent
    with db.session_factory(engine)() as session:  # a writing session still has its transaction
        session.execute(text("SELECT 1"))
        raw = session.connection().connection.dbapi_connection
        assert isinstance(raw, psycopg.Connection)
        assert raw.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS


def _scope(name: str) -> Scope:
    return Scope(actor=name, division_code="540223", prefix="540223")


def test_the_scope_cache_remembers_for_its_seconds_only() -> None:
    now = [100.0]
    cache = ScopeCache(5.0, clock=lambda: now[0])
    scope = _scope("a")
    cache.put("a", scope, service.access_changes())
    assert cache.get("a") is scope
    now[0] = 104.9
    assert cache.get("a") is scope
    now[0] = 105.0
    assert cache.get("a") is None
    assert cache.get("b") is None


def test_the_scope_cache_forgets_what_this_process_changes() -> None:
    cache = ScopeCache(60.0)
    cache.put("a", _scope("a"), service.access_changes())
    service._access_changed()
    assert cache.get("a") is None
    seen = service.access_changes()  # a read that began before a change is not remembered
    service._access_changed()
    cache.put("a", _scope("a"), seen)
    assert cache.get("a") is None
    off = ScopeCache(0.0)
    off.put("a", _scope("a"), service.access_changes())
    assert off.get("a") is None


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    for url in _fresh_database(request.param, request, tmp_path_factory.mktemp("sessions")):
        with LiveServer(test_settings(url)) as live:
            yield live


def _new_user(live: LiveServer, name: str) -> tuple[int, httpx.Client]:
    with closing(live.client("admin")) as admin:
        r = admin.post(
            "/api/v1/users",
            json={"username": name, "password": PASSWORD, "role": "duty_officer", "division_code": "540223"},
        )
        assert r.status_code == 201, r.text
        user_id = int(r.json()["id"])
    client = httpx.Client(base_url=live.url, timeout=30)
    client.headers["Authorization"] = f"Bearer {login(client, name, PASSWORD)}"
    return user_id, client


def test_a_user_disabled_through_this_server_is_refused_at_once(server: LiveServer) -> None:
    user_id, client = _new_user(server, "soon_disabled")
    with closing(client):
        assert client.get("/api/v1/incidents").status_code == 200  # the scope is remembered now
        with closing(server.client("admin")) as admin:
            assert admin.post(f"/api/v1/users/{user_id}/disable").status_code == 200
        assert client.get("/api/v1/incidents").status_code == 401


def test_a_user_disabled_elsewhere_keeps_access_no_longer_than_the_cache_seconds(server: LiveServer) -> None:
    now = [1000.0]
    kept = server.app.state.scope_cache
    server.app.state.scope_cache = ScopeCache(5.0, clock=lambda: now[0])
    try:
        _, client = _new_user(server, "disabled_elsewhere")
        with closing(client):
            assert client.get("/api/v1/incidents").status_code == 200
            # another process (the CLI, another server worker) disables the user: this one is not told
            engine = db.make_engine(server.settings.database_url)
            with engine.begin() as conn:
                conn.execute(update(User).where(User.username == "disabled_elsewhere").values(disabled=True))
            engine.dispose()
            assert client.get("/api/v1/incidents").status_code == 200  # still remembered
            now[0] += 5.0
            assert client.get("/api/v1/incidents").status_code == 401
    finally:
        server.app.state.scope_cache = kept


def test_a_burst_larger_than_the_pool_is_queued_not_deadlocked(server: LiveServer) -> None:
    """More requests at once than pooled connections (50) and worker threads (40): without the cap on
    requests holding a session, threads waited for connections held by requests waiting for a thread."""
    with closing(server.client("dingri_duty")) as client:
        headers = dict(client.headers)

    async def burst() -> list[int]:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits, timeout=60) as c:
            paths = ["/api/v1/incidents?limit=5", "/api/v1/incidents/metrics", "/api/v1/divisions/540223000000"] * 50
            answers = await asyncio.gather(*(c.get(path) for path in paths))
        return [a.status_code for a in answers]

    assert set(asyncio.run(burst())) == {200}


def test_the_server_moves_its_startup_objects_out_of_the_collectors_reach(server: LiveServer) -> None:
    """A full garbage collection no longer walks the modules, routes and models (a 100-ms stall)."""
    assert gc.get_freeze_count() > 10_000
