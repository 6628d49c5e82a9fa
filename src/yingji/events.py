"""Live events: every committed write becomes a small, scoped event for the dashboards.

Services never publish directly: ``auth.audit.record`` queues an event on the session, and the event
is published only after the transaction commits (a rolled-back write announces nothing). Events carry
identifiers, never the record itself: a page that receives one fetches the details through the scoped
API. With Redis configured the events fan out to every server process (pub/sub); without it they stay
in the process.

Redis pub/sub channels are global to a Redis server (the database number does not separate them), so
the channel carries the deployment's namespace: ``YINGJI_EVENTS_NAMESPACE`` when set, else a digest of the
database's identity and the Redis database number (:func:`namespace_for`). Two deployments sharing one
Redis never see each other's events.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import socket
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from sqlalchemy import event as sa_event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from yingji.config import Settings

log = logging.getLogger(__name__)
_PENDING = "yingji_pending_events"


@dataclass(frozen=True)
class Event:
    kind: str  # "<entity>.<action>", e.g. "incident.create"
    entity: str
    entity_id: str
    action: str
    division_codes: tuple[str, ...]
    at: str
    actor: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Event:
        raw = json.loads(text)
        raw["division_codes"] = tuple(raw.get("division_codes") or ())
        return cls(**raw)


class EventBus(Protocol):
    def publish(self, events: Sequence[Event]) -> None: ...

    def subscribe(self, entity: str | None = None) -> AsyncIterator[Event | None]:
        """Events as they come; ``None`` once as soon as the subscription is in place (every event published
        after it is delivered), then about once a second while idle (for heartbeats). With ``entity`` (one
        given a channel of its own: :func:`own_channel`) only that entity's events."""
        ...


# Entities whose events also go on a channel of their own, for listeners that want nothing else: a server
# process's revocation listener would otherwise decode every write of every process (a twentieth of the
# server's CPU under a burst of reports: bench/disaster_stats.py).
_OWN_CHANNEL: set[str] = set()


def own_channel(entity: str) -> None:
    """Give ``entity``'s events a channel of their own (called where those events are made, so every process
    that publishes them knows it), which ``subscribe(entity)`` listens to."""
    _OWN_CHANNEL.add(entity)


def _topic(entity: str) -> str:
    return f"entity:{entity}"


def _listened(entity: str | None) -> str | None:
    """The entity a ``subscribe(entity)`` listens to; one without a channel of its own is refused on every bus
    (through Redis its listener would hear nothing, silently)."""
    if entity is not None and entity not in _OWN_CHANNEL:
        raise ValueError(f"{entity!r} events have no channel of their own: call events.own_channel where they are made")
    return entity


class LocalBus:
    """In-process fan-out (one server process, or tests)."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Event], str | None]] = []
        self._lock = threading.Lock()

    def publish(self, events: Sequence[Event]) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for loop, queue, entity in subscribers:
            for ev in events:
                if entity is None or ev.entity == entity:
                    loop.call_soon_threadsafe(queue.put_nowait, ev)

    async def subscribe(self, entity: str | None = None) -> AsyncIterator[Event | None]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        entry = (asyncio.get_running_loop(), queue, _listened(entity))
        with self._lock:
            self._subscribers.append(entry)
        try:
            yield None  # subscribed
            while True:
                try:
                    yield await asyncio.wait_for(queue.get(), timeout=1.0)
                except TimeoutError:
                    yield None
        finally:
            with self._lock:
                self._subscribers.remove(entry)


def namespace_for(*, database_url: str, redis_url: str | None, explicit: str | None = None) -> str:
    """The deployment's namespace: ``explicit`` when given, else a digest of what identifies the database
    (SQLite: this machine and the file's absolute path; otherwise the server, port and database name —
    never the password) and the Redis database number."""
    if explicit:
        return explicit
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        from pathlib import Path

        identity = f"sqlite:{socket.gethostname()}:{Path(url.database or ':memory:').resolve()}"
    else:
        identity = f"{url.get_backend_name()}:{url.host}:{url.port}:{url.database}"
    redis_db = str(make_url(redis_url).database or "0") if redis_url else "-"
    return hashlib.sha256(f"{identity}|redis-db:{redis_db}".encode()).hexdigest()[:16]


def channel_name(namespace: str, topic: str = "events") -> str:
    return f"yingji:{namespace}:{topic}"


class RedisBus:
    """Fan-out across server processes through Redis pub/sub, on the deployment's own channel."""

    def __init__(self, url: str, namespace: str) -> None:
        import redis

        self.url, self.namespace = url, namespace
        self.channel = channel_name(namespace)
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def publish(self, events: Sequence[Event]) -> None:
        try:
            pipe = self._redis.pipeline()
            for ev in events:
                data = ev.to_json()
                pipe.publish(self.channel, data)
                if ev.entity in _OWN_CHANNEL:
                    pipe.publish(channel_name(self.namespace, _topic(ev.entity)), data)
            pipe.execute()
        except Exception as exc:  # a live update is lost, the committed write is not
            log.warning("could not publish %d live event(s): %s", len(events), exc)

    async def subscribe(self, entity: str | None = None) -> AsyncIterator[Event | None]:
        import redis.asyncio as aioredis

        listened = _listened(entity)
        channel = self.channel if listened is None else channel_name(self.namespace, _topic(listened))
        client = aioredis.Redis.from_url(self.url)
        pubsub = client.pubsub()
        await pubsub.subscribe(channel)
        try:
            # Redis confirms the subscription with a message; from then on every publication reaches us.
            for _ in range(10):
                confirmed = await pubsub.get_message(ignore_subscribe_messages=False, timeout=1.0)
                if confirmed is not None and confirmed.get("type") == "subscribe":
                    break
            yield None  # subscribed
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is None:
                    yield None
                    continue
                data = message["data"]
                yield Event.from_json(data.decode() if isinstance(data, bytes) else str(data))
        finally:
            await pubsub.unsubscribe(channel)
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            await client.aclose()


def make_bus(redis_url: str | None, namespace: str) -> EventBus:
    return RedisBus(redis_url, namespace) if redis_url else LocalBus()


def bus_for(settings: Settings) -> EventBus:
    """The settings' bus: Redis (on the deployment's namespaced channel) when configured, else local."""
    return make_bus(settings.redis_url, namespace_of(settings))


def namespace_of(settings: Settings) -> str:
    return namespace_for(
        database_url=settings.database_url, redis_url=settings.redis_url, explicit=settings.events_namespace
    )


def queue(session: Session, ev: Event) -> None:
    """Announce ``ev`` when (and only if) the session's transaction commits."""
    session.info.setdefault(_PENDING, []).append(ev)


def attach(factory: sessionmaker[Session], bus: EventBus) -> None:
    """Publish each committed transaction's queued events on ``bus``."""

    @sa_event.listens_for(factory, "after_commit")
    def _publish(session: Session) -> None:
        pending = session.info.pop(_PENDING, None)
        if pending:
            bus.publish(pending)

    @sa_event.listens_for(factory, "after_rollback")
    def _discard(session: Session) -> None:
        session.info.pop(_PENDING, None)
