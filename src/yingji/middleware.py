"""The plain ASGI middleware of the app: the sub-path behind a proxy, and the URL guard that also times and
counts each request and tags it with its request id."""

from __future__ import annotations

import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yingji import logs
from yingji.error_mapping import problem


class RootPath:
    """Serves the platform under ``YINGJI_ROOT_PATH`` (a reverse proxy's sub-path, passed on unchanged): the
    ASGI ``root_path`` the routes are matched below and every link, redirect and API document is built on."""

    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app, self.root_path = app, root_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope["root_path"] = self.root_path
        await self.app(scope, receive, send)


class UrlGuardAndTiming:
    """Refuses URLs holding NUL characters (422) and tells the server time of each response (W3C
    Server-Timing, for operators' browser tools and bench/pages.py). A plain ASGI middleware: Starlette's
    ``@app.middleware("http")`` runs every request through an extra task and memory streams."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if "%00" in path or "\x00" in path or b"%00" in scope.get("query_string", b""):
            response = problem(422, "Invalid input", "the URL must not contain NUL characters", "invalid_input")
            await response(scope, receive, send)
            return
        started = time.perf_counter()
        rid = _request_id(scope)
        token = logs.request_id.set(rid)
        status = [500]

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                duration = f"app;dur={(time.perf_counter() - started) * 1000:.1f}".encode()
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"server-timing", duration),
                    (b"x-request-id", rid.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            logs.request_id.reset(token)
            _observe(scope, status[0], time.perf_counter() - started)


def _observe(scope: Scope, status: int, seconds: float) -> None:
    """Count the request under its route template (``/api/v1/incidents/{incident_id}``), never its
    concrete path: the label set stays bounded whatever URLs clients send."""
    metrics = getattr(scope["app"].state, "metrics", None) if "app" in scope else None
    if metrics is None:
        return
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"
    metrics.observe(method=scope.get("method", ""), route=template, status=status, seconds=seconds)


_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def _request_id(scope: Scope) -> str:
    """The caller's ``X-Request-ID`` when it is a plain token (a proxy's, to follow a request across
    logs), else a new random one; never anything that could forge a log line."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = bytes(value).decode("latin-1")
            if _SAFE_REQUEST_ID.fullmatch(text):
                return text
    return str(secrets.token_hex(8))
