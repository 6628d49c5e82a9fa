"""Per-address windows of the public routes (``auth.ratelimit.WindowLimits``, used by ``tips.api.TipGate``)
are shared by every server process, as the login throttle's counts are: through Redis, else the database
(the ``login_throttle`` table under ``…:window:…`` keys), with Redis down falling back to the database.
Clocks are injected: no test depends on where a real window boundary falls."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from tests.conftest import BACKENDS, LiveServer, _fresh_database, test_settings

from yingji.auth.models import LoginThrottleKey
from yingji.auth.ratelimit import FixedWindow, WindowLimits
from yingji.auth.service import DatabaseThrottleStore
from yingji.db import session_factory

WINDOW = FixedWindow(limit=3, seconds=60)
NO_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_020.0  # 0 s into a 60 s window

    def __call__(self) -> float:
        return self.now


def _db_limits(clock: Clock, engine: Engine, redis_url: str | None = None) -> WindowLimits:
    return WindowLimits(redis_url, namespace="t", store=DatabaseThrottleStore(session_factory(engine)), clock=clock)


def test_without_redis_two_processes_share_the_window_through_the_database(engine: Engine) -> None:
    """Two server processes without Redis = two WindowLimits on one database: the window holds 3 events in
    all, not 3 per process; the next window counts from zero; another address is not held."""
    clock = Clock()
    first, second = _db_limits(clock, engine), _db_limits(clock, engine)
    assert [first.admit("w", "10.0.0.1", WINDOW), second.admit("w", "10.0.0.1", WINDOW)] == [0, 0]
    assert first.admit("w", "10.0.0.1", WINDOW) == 0
    clock.now += 15
    assert second.admit("w", "10.0.0.1", WINDOW) == 45  # refused: the window ends in 45 s
    assert first.admit("w", "10.0.0.1", WINDOW) == 45
    assert second.admit("w", "10.0.0.2", WINDOW) == 0
    assert first.admit("other", "10.0.0.1", WINDOW) == 0  # windows of other names are other keys
    clock.now += 45  # the next window
    assert [second.admit("w", "10.0.0.1", WINDOW), first.admit("w", "10.0.0.1", WINDOW)] == [0, 0]
    with session_factory(engine)() as session:
        row = session.get(LoginThrottleKey, "t:window:w:10.0.0.1")
        assert row is not None and (row.failures, row.last) == (2, 1_000_080.0)
        login_keys = session.scalars(select(LoginThrottleKey.key).where(LoginThrottleKey.key.like("t:login:%")))
        assert list(login_keys) == []  # the login throttle's keys are its own


def test_a_process_with_its_clock_behind_counts_in_the_later_window(engine: Engine) -> None:
    ahead, behind = Clock(), Clock()
    ahead.now += 60
    first, second = _db_limits(ahead, engine), _db_limits(behind, engine)
    assert [first.admit("w", "a", WINDOW) for _ in range(3)] == [0, 0, 0]
    assert second.admit("w", "a", WINDOW) == 60  # counted in the later window (refused till its own ends)
    behind.now += 60
    assert second.admit("w", "a", WINDOW) == 60  # the same window as the row's now: still full


def test_redis_down_falls_back_to_the_database_and_a_flood_costs_it_nothing(engine: Engine) -> None:
    clock = Clock()
    down = _db_limits(clock, engine, redis_url=NO_REDIS)
    other = _db_limits(clock, engine)
    assert [down.admit("w", "a", WINDOW) for _ in range(3)] == [0, 0, 0]
    assert other.admit("w", "a", WINDOW) == 60  # counted in the database, not in the process
    store = other._store
    assert store is not None
    calls: list[object] = []
    count = store.count

    def counted(*args: Any) -> bool:
        calls.append(args)
        admitted: bool = count(*args)
        return admitted

    store.count = counted  # type: ignore[method-assign]
    assert {other.noted("w", "a")} | {other.admit("w", "a", WINDOW) for _ in range(50)} == {60}
    assert calls == []  # refused from the process's note of the full window
    clock.now += 60
    assert other.noted("w", "a") == 0 and other.admit("w", "a", WINDOW) == 0
    assert len(calls) == 1


def test_with_redis_and_the_database_down_a_process_still_counts() -> None:
    class Down:
        def count(self, key: str, window: FixedWindow, now: float) -> bool:
            raise OSError("database unreachable")

    limits = WindowLimits(NO_REDIS, store=Down(), clock=Clock())
    assert [limits.admit("w", "a", WINDOW) for _ in range(4)] == [0, 0, 0, 60]


def test_two_processes_share_the_window_through_redis() -> None:
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    clock = Clock()
    namespace = f"test-{uuid.uuid4().hex}"
    first, second = (WindowLimits("redis://127.0.0.1:6379/0", namespace=namespace, clock=clock) for _ in range(2))
    assert [first.admit("w", "a", WINDOW), second.admit("w", "a", WINDOW), first.admit("w", "a", WINDOW)] == [0] * 3
    assert second.admit("w", "a", WINDOW) == 60
    assert first.admit("w", "b", WINDOW) == 0
    clock.now += 60
    assert [second.admit("w", "a", WINDOW), first.admit("w", "a", WINDOW)] == [0, 0]
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    assert 0 < int(client.ttl(f"{namespace}:window:w:a")) <= 61  # Redis forgets the key once its window ends
    client.delete(f"{namespace}:window:w:a", f"{namespace}:window:w:b")


# -- two live servers on one database, through HTTP -------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def two_servers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two server processes (each its own app, engine and limits) on one database, no Redis; each trusts
    loopback as a proxy so that a test names its client address; both on one injected clock."""
    clock = Clock()
    for url in _fresh_database(request.param, request, tmp_path):
        settings = test_settings(url, tips_dir=tmp_path / "photos", tips_per_address=3, tips_window_s=3600,
                                 tip_status_reads_per_minute=4, trusted_proxies=["127.0.0.1"])  # fmt: skip
        with LiveServer(settings) as a, LiveServer(settings) as b:
            for live in (a, b):
                live.app.state.address_limits.clock = clock
            yield a, b


def _at(server: LiveServer, address: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"X-Forwarded-For": address}, timeout=30)


def _tip() -> dict[str, object]:
    return {"category": "work_safety", "text": "共享限流", "division": "540223000000", "anonymous": True}


def test_two_servers_on_one_database_share_the_tip_windows(two_servers: tuple[LiveServer, LiveServer]) -> None:
    """Submissions at one server and the other count in one window per address: 3 in all, not 3 per
    server; status reads too (the API's and the pages' with them)."""
    a, b = two_servers
    assert a.app.state.address_limits is not b.app.state.address_limits
    with closing(_at(a, "10.7.0.1")) as at_a, closing(_at(b, "10.7.0.1")) as at_b:
        answers = [c.post("/api/v1/tips", json=_tip()).status_code for c in (at_a, at_b, at_a, at_b)]
        assert answers == [201, 201, 201, 429]
        refused = at_a.post("/api/v1/tips", json=_tip())
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        code = "AAAA-BBBB-CCCC-DDDD-EEEE"
        status, message = f"/api/v1/tips/{code}", f"/api/v1/tips/{code}/messages"
        reads = [at_b.get(status).status_code, at_a.get(status).status_code,
                 at_b.post(message, json={"text": "x"}).status_code, at_a.get(status).status_code,
                 at_b.get(status).status_code]  # fmt: skip
        assert reads == [404, 404, 404, 404, 429]
    with closing(_at(b, "10.7.0.2")) as elsewhere:
        assert elsewhere.post("/api/v1/tips", json=_tip()).status_code == 201  # another address is not held


def test_a_server_whose_redis_is_down_shares_the_window_through_the_database(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """One server configured with a Redis that is down, one without Redis, on one database: their counts
    meet in the database."""
    path = tmp_path / "shared.db"
    shutil.copyfile(sqlite_template, path)
    settings: dict[str, object] = {"tips_dir": tmp_path / "photos", "tips_per_address": 2,
                                   "trusted_proxies": ["127.0.0.1"]}  # fmt: skip
    clock = Clock()
    with (
        LiveServer(test_settings(f"sqlite:///{path}", **settings, redis_url=NO_REDIS)) as a,
        LiveServer(test_settings(f"sqlite:///{path}", **settings)) as b,
    ):
        for live in (a, b):
            live.app.state.address_limits.clock = clock
        with closing(_at(a, "10.7.1.1")) as at_a, closing(_at(b, "10.7.1.1")) as at_b:
            assert at_a.post("/api/v1/tips", json=_tip()).status_code == 201
            assert at_b.post("/api/v1/tips", json=_tip()).status_code == 201
            assert at_a.post("/api/v1/tips", json=_tip()).status_code == 429
