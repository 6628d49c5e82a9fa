"""The FastAPI application factory: settings, database, each domain's router, problem-details errors."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import secrets
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlparse

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, APIRouter
from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yingji import __version__, events, logs, problems
from yingji.auth import api as auth_api
from yingji.auth.deps import ScopeCache
from yingji.auth.ratelimit import Backoff, LoginThrottle, WindowLimits
from yingji.auth.service import DatabaseThrottleStore
from yingji.config import Settings, load_settings
from yingji.db import make_engine, read_session_factory, session_factory
from yingji.disasters import api as disasters_api
from yingji.disasters import pages as disasters_pages
from yingji.disasters.ledgers import api as disaster_ledgers_api
from yingji.disasters.officers import api as disaster_officers_api
from yingji.edge import EdgeGuard, EdgeStats, RefusalPacer
from yingji.enforcement import api as enforcement_api
from yingji.enforcement import pages as enforcement_pages
from yingji.enforcement.cases import api as enforcement_cases_api
from yingji.enforcement.checklists import api as enforcement_checklists_api
from yingji.errors import DomainError
from yingji.geo import api as geo_api
from yingji.hazards import api as hazards_api
from yingji.hazards import pages as hazards_pages
from yingji.hazards.enterprises import api as enterprises_api
from yingji.hazards.installations import api as installations_api
from yingji.hazards.register import api as hazard_register_api
from yingji.incidents import api as incidents_api
from yingji.incidents.handover import api as handover_api
from yingji.incidents.overrides import api as overrides_api
from yingji.incidents.response_plans import api as response_plans_api
from yingji.monitoring import api as monitoring_api
from yingji.quake import api as quake_api
from yingji.relief import api as relief_api
from yingji.resources import api as resources_api
from yingji.tips import api as tips_api
from yingji.tips import pages as tips_pages
from yingji.tips.api import TipGate
from yingji.warnings import api as warnings_api
from yingji.web import (
    duty_pages,
    figures_pages,
    incident_pages,
    monitoring_pages,
    pages,
    relief_pages,
    report_pages,
    roster_pages,
    stats_pages,
    stream,
    task_pages,
    warning_pages,
)
from yingji.web.headers import SecurityHeaders, error_headers, route_path

log = logging.getLogger("yingji")

# Each domain's router, mounted in this order. Imported by name: a missing module fails at start.
ROUTERS = (
    tips_api.router,  # first: the public intake is the highest-rate route, and matching walks routers in order
    auth_api.router,
    geo_api.router,
    incidents_api.router,
    overrides_api.router,
    response_plans_api.router,
    handover_api.router,
    monitoring_api.router,
    warnings_api.router,
    resources_api.router,
    relief_api.router,
    quake_api.router,
    hazards_api.router,
    enterprises_api.router,
    installations_api.router,
    hazard_register_api.router,
    enforcement_api.router,
    enforcement_cases_api.router,
    enforcement_checklists_api.router,
    disasters_api.router,
    disaster_ledgers_api.router,
    disaster_officers_api.router,
    stream.router,
    pages.router,
    report_pages.router,  # before incident_pages: /incidents/new is the report form
    stats_pages.router,
    incident_pages.router,
    figures_pages.router,
    task_pages.router,
    duty_pages.router,
    roster_pages.router,
    relief_pages.router,
    monitoring_pages.router,
    warning_pages.router,
    hazards_pages.router,
    enforcement_pages.router,
    disasters_pages.router,
    tips_pages.router,
)
PROBLEM = "application/problem+json"


def _heads(router: APIRouter) -> tuple[str, ...] | None:
    """The fixed beginnings of a router's route paths (up to three segments, never into a parameter), or
    None when some route has no fixed beginning worth checking."""
    heads = set()
    for route in router.routes:
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            return None  # a nested router or a mount: matched as before
        head = "/".join(path.split("/")[:4]).split("{", 1)[0]
        if len(head) < 2:
            return None
        heads.add(head)
    return tuple(sorted(heads)) or None


def guard_prefix(router: APIRouter) -> None:
    """Make a router answer "no match" at once for a path that begins like none of its routes.

    FastAPI matches a request by walking every route of every included router in order, a regular expression
    each: about 230 of them before the disaster routes, 5 ms of CPU per request — a quarter of a township
    report's cost (bench/disaster_stats.py). A path that starts with none of a router's fixed route
    beginnings (``/api/v1/incidents``, ``/duty/roster`` …) can match none of its routes; every other path is
    matched exactly as before, in the same order."""
    heads = _heads(router)
    if heads is None or getattr(router, "_yingji_heads", None) is not None:
        return
    matches = router.matches

    def guarded(scope: Scope) -> tuple[Match, Scope]:
        if not route_path(scope).startswith(heads):
            return Match.NONE, {}
        return matches(scope)

    router.matches = guarded  # type: ignore[method-assign]
    router._yingji_heads = heads  # type: ignore[attr-defined]


def problem(status: int, title: str, detail: str, code: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"about:blank#{code}" if code else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


_startup_frozen = False


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Once per process, when the server starts: move every object built so far (modules, routes, models,
    schemas: about 200,000) out of the cyclic garbage collector's reach. A full collection walked them all:
    a stall of 100 ms and more for every request in flight, several times in the first minutes of load."""
    global _startup_frozen
    if not _startup_frozen:
        gc.collect()
        gc.freeze()
        _large_blocks_back_to_the_os()
        _startup_frozen = True
    # sec-data: the process's lease on its database, so `yingji db restore` refuses while it runs
    from yingji import dblease

    lease = dblease.hold(_app.state.settings.database_url)
    forgetting = asyncio.get_running_loop().create_task(_forget_revoked_sessions(_app))
    try:
        yield
    finally:
        forgetting.cancel()
        lease.release()


async def _forget_revoked_sessions(app: FastAPI) -> None:
    """sec-data: forget the scope of a user whose sessions another process revoked (announced as a live
    event, through Redis when configured), so this process refuses their tokens at once, not after
    ``YINGJI_SCOPE_CACHE_SECONDS``."""
    from yingji.auth.service import SESSIONS_ENTITY

    try:
        async for event in app.state.events.subscribe():
            if event is not None and event.entity == SESSIONS_ENTITY:
                app.state.scope_cache.forget(event.entity_id)
    except asyncio.CancelledError:
        raise
    except Exception:  # live fan-out down: the cache's time limit still bounds a revoked session
        logging.getLogger(__name__).warning("revocation listener stopped", exc_info=True)


def _large_blocks_back_to_the_os() -> None:
    """Fix glibc's mmap threshold at 256 KiB. By default it rises after each large block is freed (up to
    32 MiB), after which password hashes (19 MiB each, in whichever worker thread's arena) and request
    buffers are carved from the heap and stay resident once freed: a burst of sign-ins or large bodies
    left the server hundreds of MB larger (bench/abuse.py). Not glibc: nothing to do."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None:
            libc.mallopt(-3, 256 * 1024)  # M_MMAP_THRESHOLD (malloc.h)
    except (OSError, AttributeError):
        pass


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = FastAPI(
        lifespan=_lifespan,
        title="yingji 应急",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served by _mount_docs from the packaged Swagger UI: no CDN, no validator
        redoc_url=None,
    )
    engine = make_engine(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)
    app.state.session_factory.configure(info={"yingji.boundary_tolerance_m": settings.boundary_tolerance_m})
    app.state.read_session_factory = read_session_factory(engine)
    app.state.scope_cache = ScopeCache(settings.scope_cache_seconds)
    app.state.events = events.bus_for(settings)
    events.attach(app.state.session_factory, app.state.events)
    app.state.login_throttle = login_throttle(settings, app.state.session_factory)
    _mount_metrics(app)  # prodhelp: Prometheus metrics (loopback or token)
    _install_error_handlers(app)
    app.state.edge_stats = EdgeStats()
    app.state.refusal_pacer = RefusalPacer(settings.refusal_delay_s)
    app.add_middleware(
        EdgeGuard, settings=settings, stats=app.state.edge_stats, pacer=app.state.refusal_pacer
    )  # outermost: limits first
    app.state.address_limits = address_limits(settings, app.state.session_factory)
    # public tips: per-address limits (shared by every process) before the edge reads a body
    app.add_middleware(TipGate, settings=settings, limits=app.state.address_limits, pacer=app.state.refusal_pacer)
    _mount_health(app)
    _mount_docs(app)
    for router in ROUTERS:
        guard_prefix(router)
        app.include_router(router)
    for path, files in pages.static_mounts():
        app.mount(path, files)
    app.add_exception_handler(pages.SignInRequired, pages.sign_in_redirect)
    # Outermost: every answer gets the headers.
    app.add_middleware(SecurityHeaders, tile_url=settings.tile_url, hsts=settings.env == "production")
    if settings.root_path:  # behind a proxy's sub-path: every middleware, route and link sees the prefix
        app.add_middleware(_RootPath, root_path=settings.root_path)
    for route in all_routes(app):
        if isinstance(route, APIRoute) and route.operation_id is None:
            route.operation_id = route.name
    problems.install(app, all_routes(app))  # problem-details responses declared per route (sec-api)
    return app


def login_throttle(settings: Settings, factory: Any = None) -> LoginThrottle:
    """The sign-in throttle: counts in Redis when configured, else (and when Redis is unreachable) in the
    database through ``factory`` — shared by every server process either way."""
    backoff = {"base_s": settings.login_backoff_base_s, "max_s": settings.login_backoff_max_s}
    return LoginThrottle(
        settings.redis_url,
        account=Backoff(free=settings.login_free_attempts, **backoff),
        client=Backoff(free=settings.login_client_free_attempts, **backoff),
        namespace=LoginThrottle.for_database(settings.database_url),
        store=DatabaseThrottleStore(factory) if factory is not None else None,
    )


def address_limits(settings: Settings, factory: Any = None) -> WindowLimits:
    """The public routes' per-address windows (tips.api.TipGate): in Redis when configured, else (and when
    Redis is unreachable) in the database through ``factory``, in the login throttle's table under keys of
    their own — shared by every server process either way."""
    return WindowLimits(
        settings.redis_url,
        namespace=LoginThrottle.for_database(settings.database_url),
        store=DatabaseThrottleStore(factory) if factory is not None else None,
    )


def all_routes(app: FastAPI) -> list[Any]:
    """Every route of the app, with included routers expanded (FastAPI ≥ 0.165 keeps them as wrappers
    holding the original router, with the include's prefix)."""
    found: list[Any] = []

    def walk(routes: Any, prefix: str) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes, prefix + getattr(getattr(route, "include_context", None), "prefix", ""))
            elif prefix and isinstance(route, APIRoute):
                found.append(_Prefixed(route, prefix))
            else:
                found.append(route)

    walk(app.routes, "")
    return found


class _Prefixed:
    """A route seen through an include prefix (path shown with the prefix)."""

    def __init__(self, route: APIRoute, prefix: str) -> None:
        self.route, self.path = route, prefix + route.path
        self.include_in_schema = route.include_in_schema
        self.methods = route.methods


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if exc.status == 429 and "retry_after" in exc.extra:
            headers = {"Retry-After": str(exc.extra["retry_after"])}
            await app.state.refusal_pacer.pace(request.scope, always=True)  # a throttled sign-in waits
        response = problem(
            exc.status,
            exc.title,
            exc.detail,
            exc.code,
            **jsonable_encoder(exc.extra),
        )
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        unsupported = problems.unsupported_media_type(request, exc.errors())
        if unsupported:
            return problem(415, "Unsupported media type", unsupported, "unsupported_media_type")
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(first['loc'])}: {first['msg']}" if first["loc"] else str(first["msg"])
        return problem(422, "Invalid input", detail, "invalid_input", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {
            400: "Bad request",
            401: "Not authenticated",
            404: "Not found",
            405: "Method not allowed",
            406: "Not acceptable",
            413: "Request body too large",
            415: "Unsupported media type",
        }
        response = problem(
            exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail), "http_" + str(exc.status_code)
        )
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> JSONResponse:
        # A value the database cannot store (e.g. a NUL character in a form field): the client's input.
        log.info("data error on %s %s: %s", request.method, request.url.path, exc.orig)
        return problem(422, "Invalid input", "a value in the request cannot be stored", "invalid_input")

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
        # A uniqueness rule the service checked, broken by a writer that committed in between (two
        # requests at once): the later one is told to read again. Any other integrity error is a bug.
        if not _is_unique_violation(exc):
            return await unexpected(request, exc)
        log.info("unique violation on %s %s: %s", request.method, request.url.path, exc.orig)
        return problem(
            409,
            "Conflict",
            "another request changed the same record at the same time; read it again and retry",
            "conflict",
        )

    @app.exception_handler(StatementError)
    async def statement_error(request: Request, exc: StatementError) -> JSONResponse:
        # A domain error raised while SQLAlchemy bound a value (yingji.db.UTCDateTime's range guard)
        # arrives wrapped; answer it as itself. Anything else is a bug.
        if isinstance(exc.orig, DomainError):
            return await domain_error(request, exc.orig)
        return await unexpected(request, exc)

    app.add_middleware(_UrlGuardAndTiming)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        response = problem(500, "Internal error", "an internal error occurred; it has been logged", "internal")
        response.headers.update(error_headers(request.app.state.settings.tile_url))  # past SecurityHeaders
        return response


def _is_unique_violation(exc: IntegrityError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)  # psycopg
    return sqlstate == "23505" or (sqlstate is None and "UNIQUE constraint failed" in str(exc.orig))


class _RootPath:
    """Serves the platform under ``YINGJI_ROOT_PATH`` (a reverse proxy's sub-path, passed on unchanged): the
    ASGI ``root_path`` the routes are matched below and every link, redirect and API document is built on."""

    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app, self.root_path = app, root_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope["root_path"] = self.root_path
        await self.app(scope, receive, send)


class _UrlGuardAndTiming:
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


def _mount_metrics(app: FastAPI) -> None:
    """``GET /api/v1/metrics``: this server process's metrics in the Prometheus text format. With
    ``YINGJI_METRICS_TOKEN`` set, only to ``Authorization: Bearer <token>``; without it, only to a client
    on the loopback interface that came through no proxy (no forwarding header). Anyone else: 404."""
    import hmac
    import ipaddress

    from fastapi.responses import Response

    from yingji import metrics
    from yingji.web.stream import open_streams

    app.state.metrics = metrics.ServerMetrics(
        open_streams=lambda: open_streams(app).now, throttled=lambda: app.state.login_throttle.refused
    )

    def allowed(request: Request) -> bool:
        token = request.app.state.settings.metrics_token
        if token is not None:
            given = request.headers.get("authorization", "")
            expected = "Bearer " + token.get_secret_value()
            return hmac.compare_digest(given.encode(), expected.encode())
        forwarded = any(h in request.headers for h in ("x-forwarded-for", "forwarded", "x-real-ip"))
        try:
            loopback = request.client is not None and ipaddress.ip_address(request.client.host).is_loopback
        except ValueError:
            loopback = False
        return loopback and not forwarded

    @app.get("/api/v1/metrics", tags=["health"], operation_id="metrics", include_in_schema=False)
    def server_metrics(request: Request) -> Response:
        if not allowed(request):
            return problem(404, "Not Found", "Not Found", "not_found")
        return Response(request.app.state.metrics.exposition(), media_type=metrics.CONTENT_TYPE)


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


_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>yingji 应急 — HTTP API</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script></body></html>
"""


def _mount_docs(app: FastAPI) -> None:
    """The browsable API reference at /api/v1/docs, entirely from this server (an offline government
    network reaches no CDN): Swagger UI from the ``swagger-ui-bundle-v2`` package (Apache-2.0)."""
    from pathlib import Path

    from fastapi.responses import FileResponse, HTMLResponse
    from fastapi.staticfiles import StaticFiles
    from swagger_ui_bundle import swagger_ui_path

    init = Path(__file__).parent / "web" / "static" / "api-docs.js"

    @app.get("/api/v1/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_PAGE)

    @app.get("/api/v1/docs/init.js", include_in_schema=False)
    def docs_init() -> FileResponse:
        return FileResponse(init, media_type="text/javascript")

    app.mount("/api/v1/docs/assets", StaticFiles(directory=swagger_ui_path), name="api-docs-assets")


def _tcp_ok(url: str | None, default_port: int) -> bool | None:
    if not url:
        return None
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=0.5):
            return True
    except OSError:
        return False


def _mount_health(app: FastAPI) -> None:
    @app.get(
        "/api/v1/health",
        tags=["health"],
        operation_id="health",
        responses={503: {"description": "The database is unreachable.", "content": {"application/json": {}}}},
    )
    def health(request: Request) -> JSONResponse:
        """Liveness of the database and of each configured service (public)."""
        settings: Settings = request.app.state.settings
        checks: dict[str, dict[str, Any]] = {}
        started = time.perf_counter()
        try:
            with request.app.state.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = {"ok": True, "backend": request.app.state.engine.dialect.name}
        except Exception as exc:
            checks["database"] = {"ok": False, "error": type(exc).__name__}
        checks["database"]["ms"] = round((time.perf_counter() - started) * 1000, 1)
        for name, url, port in (
            ("redis", settings.redis_url, 6379),
            ("mqtt", settings.mqtt_url, 1883),
            ("nats", settings.nats_url, 4222),
        ):
            ok = _tcp_ok(url, port)
            if ok is not None:
                checks[name] = {"ok": ok}
        # 503 only when the database is unreachable (nothing works without it); a failed service
        # (Redis: live events across processes; the login throttle then counts in the database) degrades the
        # platform without stopping it.
        failed = [name for name, check in checks.items() if not check["ok"]]
        return JSONResponse(
            {
                "status": "degraded" if failed else "ok",
                "failed": failed,
                "version": __version__,
                "checks": checks,
            },
            status_code=503 if not checks["database"]["ok"] else 200,
        )
