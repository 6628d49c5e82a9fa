"""Server-sent events: the caller's share of the live events (``yingji.events``).

A browser holds one stream for all its tabs (``static/live-worker.js``, a SharedWorker, or a leader tab
elected through Web Locks): one stream per tab used up the browser's six HTTP/1.1 connections per server
and froze navigation. The server counts the streams it holds open (``open_streams``) so that this can be
checked from outside.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from yingji.api_common import DetachedScopeDep
from yingji.auth import deps
from yingji.auth import service as auth_service
from yingji.auth.scope import Scope
from yingji.events import EventBus

router = APIRouter(prefix="/api/v1", tags=["live"])
HEARTBEAT_S = 15
RECHECK_S = 5.0  # how often an open stream checks that its session is still valid


class OpenStreams:
    """How many event streams this server process holds open now, per user, the most ever at once, and how
    many were ever opened."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_user: dict[str, int] = {}
        self.peak = 0
        self.opened_total = 0

    @property
    def now(self) -> int:
        with self._lock:
            return sum(self.by_user.values())

    def opened(self, user: str) -> None:
        with self._lock:
            self.by_user[user] = self.by_user.get(user, 0) + 1
            self.opened_total += 1
            self.peak = max(self.peak, sum(self.by_user.values()))

    def closed(self, user: str) -> None:
        with self._lock:
            left = self.by_user.get(user, 0) - 1
            if left > 0:
                self.by_user[user] = left
            else:
                self.by_user.pop(user, None)


def open_streams(app: Any) -> OpenStreams:
    """The app's stream count (made on first use)."""
    counter: OpenStreams | None = getattr(app.state, "open_streams", None)
    if counter is None:
        counter = app.state.open_streams = OpenStreams()
    return counter


async def _stream(request: Request, scope: Scope, bus: EventBus) -> AsyncIterator[str]:
    counter = open_streams(request.app)
    counter.opened(scope.actor)
    try:
        yield "retry: 3000\n\n"
        async for chunk in _events(request, scope, bus):
            yield chunk
    finally:
        counter.closed(scope.actor)


async def _events(request: Request, scope: Scope, bus: EventBus) -> AsyncIterator[str]:
    idle, subscribed = 0, False
    checked = time.monotonic()
    async for event in bus.subscribe():
        if not subscribed:
            subscribed = True
            yield ": subscribed\n\n"  # a comment: from here on no event is missed (tests wait for it)
            continue
        if await request.is_disconnected():
            break
        # A revoked session (logout, disabled, access changed) or an expired token ends the stream: at once
        # when the revocation is announced, else at the next periodic check.
        revoked = event is not None and event.entity == auth_service.SESSIONS_ENTITY and event.entity_id == scope.actor
        if revoked or time.monotonic() - checked >= RECHECK_S:
            checked = time.monotonic()
            settings = request.app.state.settings
            if not await run_in_threadpool(deps.session_still_valid, request=request, settings=settings, fresh=revoked):
                yield "event: session_ended\ndata: {}\n\n"
                break
        if event is not None and event.entity == auth_service.SESSIONS_ENTITY:
            continue
        if event is None:
            idle += 1
            if idle >= HEARTBEAT_S:
                idle = 0
                yield ": heartbeat\n\n"
            continue
        if not scope.can_read_any(event.division_codes):
            continue  # another jurisdiction's event never leaves the server
        payload = {
            "kind": event.kind,
            "entity": event.entity,
            "id": event.entity_id,
            "action": event.action,
            "at": event.at,
            "divisions": [c for c in event.division_codes if scope.can_read(c)],
        }
        # Unnamed (the default "message" type): a client takes every event without knowing the entities.
        yield f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


@router.get(
    "/events",
    operation_id="events_stream",
    responses={200: {"content": {"text/event-stream": {}}, "description": "an event stream"}},
)
async def events_stream(request: Request, scope: DetachedScopeDep) -> StreamingResponse:
    """Live events in the caller's jurisdiction as server-sent events (identifiers only; fetch details
    through the API)."""
    return StreamingResponse(
        _stream(request, scope, request.app.state.events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
