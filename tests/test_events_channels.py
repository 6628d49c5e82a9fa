"""A listener of one entity (a server process's revocation listener) hears that entity's events and nothing
else, on the in-process bus and through Redis (the entity's own channel)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from yingji import events
from yingji.auth.service import SESSIONS_ENTITY


def _event(entity: str, entity_id: str) -> events.Event:
    return events.Event(kind=f"{entity}.x", entity=entity, entity_id=entity_id, action="x", division_codes=(),
                        at="2026-12-07T00:00:00+00:00")  # fmt: skip


async def _first_event(bus: events.EventBus, entity: str | None) -> events.Event:
    stream = bus.subscribe(entity)
    try:
        assert await anext(stream) is None  # subscribed
        bus.publish([_event("disaster_report", "1"), _event(SESSIONS_ENTITY, "alice")])
        while (got := await anext(stream)) is None:
            pass
        return got
    finally:
        await stream.aclose()  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", ["local", "redis"])
def test_a_listener_of_one_entity_hears_only_its_events(backend: str) -> None:
    if backend == "redis":
        import redis

        try:
            redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
        except redis.RedisError:
            pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    namespace = f"test-{uuid.uuid4().hex[:8]}"

    def bus() -> events.EventBus:
        return events.make_bus("redis://127.0.0.1:6379/0" if backend == "redis" else None, namespace)

    assert asyncio.run(_first_event(bus(), SESSIONS_ENTITY)).entity_id == "alice"
    assert asyncio.run(_first_event(bus(), None)).entity == "disaster_report"  # every event, in order


@pytest.mark.parametrize("redis_url", [None, "redis://127.0.0.1:6379/0"])
def test_listening_to_an_entity_without_a_channel_of_its_own_is_refused(redis_url: str | None) -> None:
    """Through Redis such a listener would hear nothing; every bus refuses it alike (no connection is made)."""

    async def first() -> object:
        stream = events.make_bus(redis_url, "test-unlisted").subscribe("disaster_report")
        try:
            return await anext(stream)
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    with pytest.raises(ValueError, match="no channel of their own"):
        asyncio.run(first())
