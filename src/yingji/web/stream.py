"""Server-sent events: the caller's share of the live events (``yingji.events``)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

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


async def _stream(request: Request, scope: Scope, bus: EventBus) -> AsyncIterator[str]:
    with request.app.state.open_streams:  # the server's metrics: event streams open now
        async for chunk in _events(request, scope, bus):
            yield chunk


async def _events(request: Request, scope: Scope, bus: EventBus) -> AsyncIterator[str]:
    yield "retry: 3000\n\n"
    idle = 0
    checked = time.monotonic()
    async for event in bus.subscribe():
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
        yield f"event: {event.entity}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


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
