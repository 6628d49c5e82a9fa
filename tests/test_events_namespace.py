"""Live events of two deployments sharing one Redis stay apart: the pub/sub channel carries the
deployment's namespace (issue 12, finding 7)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import LiveServer, test_settings
from tests.sse import SseReader
from yingji.events import namespace_for

REDIS = "redis://127.0.0.1:6379/0"


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")


def test_namespaces_differ_by_database_and_redis_database_and_ignore_the_password() -> None:
    a = namespace_for(database_url="postgresql+psycopg://u:one@db:5432/county_a", redis_url=REDIS)
    assert a == namespace_for(database_url="postgresql+psycopg://u:two@db:5432/county_a", redis_url=REDIS)
    assert a != namespace_for(database_url="postgresql+psycopg://u:one@db:5432/county_b", redis_url=REDIS)
    assert a != namespace_for(database_url="postgresql+psycopg://u:one@db2:5432/county_a", redis_url=REDIS)
    assert a != namespace_for(
        database_url="postgresql+psycopg://u:one@db:5432/county_a", redis_url="redis://127.0.0.1:6379/3"
    )
    assert namespace_for(database_url="sqlite:///a.db", redis_url=REDIS, explicit="bureau-7") == "bureau-7"


def test_two_deployments_on_one_redis_never_see_each_others_events(sqlite_template: Path, tmp_path: Path) -> None:
    _redis_or_skip()
    paths = [tmp_path / "a.db", tmp_path / "b.db"]
    for path in paths:
        shutil.copyfile(sqlite_template, path)
    with (
        LiveServer(test_settings(f"sqlite:///{paths[0]}", redis_url=REDIS)) as a,
        LiveServer(test_settings(f"sqlite:///{paths[1]}", redis_url=REDIS)) as b,
    ):
        client_a, client_b = a.client("admin"), b.client("admin")
        reader = SseReader(a.url + "/api/v1/events", dict(client_a.headers))
        assert reader.opened.wait(30) and reader.status == 200
        # writes in A until the stream shows one: it is subscribed before B writes
        reader.subscribed(
            lambda: str(client_a.post("/api/v1/tokens", json={"name": "primer"}).json()["id"]), "api_token"
        )
        other = client_b.post("/api/v1/tokens", json={"name": "from-b"}).json()["id"]
        mine = str(client_a.post("/api/v1/tokens", json={"name": "from-a"}).json()["id"])
        seen = reader.wait_for("api_token", mine)
        # B's write was published (and delivered to its subscribers) before A's: in order, on one Redis
        assert seen[-1] != SseReader.CLOSED and all(e != SseReader.CLOSED for e in seen)
        assert len(seen) == 1, f"events of deployment B reached deployment A: {seen} (B's token {other})"
