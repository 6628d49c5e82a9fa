"""The FastAPI application factory: settings, database, each domain's router and pages, the top bar's links.
Errors are mapped in ``error_mapping``, requests wrapped by ``middleware``, health/metrics/docs served by
``ops_routes``."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from fastapi.telemetry import TelemetryConfig
from starlette.routing import Match
from starlette.types import Scope

from yingji import __version__, error_mapping, events, middleware, ops_routes, problems
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
    layers,
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
from yingji.web.headers import SecurityHeaders, route_path
from yingji.web.layers import NavItem

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


def _nav(id: str, permission: str, path: str | None = None) -> NavItem:
    """A top-bar link: its text the message ``nav.<id>``, its page ``/<id>`` unless ``path`` says otherwise."""
    return NavItem(id, path or f"/{id}", f"nav.{id}", permission)


# The top bar's links, in this order, each shown to users holding its permission: listed here, in one place,
# so ``web.layers.NAV`` is this list whatever was imported before.
NAV = (
    _nav("map", "divisions:read", path="/"),
    _nav("incidents", "incidents:read"),
    _nav("duty", "incidents:read"),
    _nav("stats", "incidents:read"),
    _nav("disasters", "disasters:read"),
    _nav("enforcement", "enforcement:read"),
    _nav("hazards", "hazards:read", path="/hazards/board"),
    _nav("quake", "quake:assess"),
    _nav("tips", "tips:read"),
    _nav("alarms", "monitoring:read"),
    _nav("warnings", "warnings:read"),
    _nav("reserves", "resources:read"),
    _nav("relief", "resources:read", path="/relief/plans"),
)
layers.set_nav(NAV)


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
        async for event in app.state.events.subscribe(SESSIONS_ENTITY):
            if event is not None:  # None: subscribed, or a heartbeat
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


def _telemetry() -> TelemetryConfig | None:
    """FastAPI's native OpenTelemetry as FastAPI sets it up (None) where anything asks for it — an ``OTEL_``
    environment variable, FastAPI's auto-configuration, a global provider already set (``opentelemetry-instrument``)
    — else off: it asked the global providers (three environment look-ups) on every request, about 3 % of a
    report's server CPU (bench/disaster_stats.py), to find each time that none is configured."""
    if any(name.startswith("OTEL_") for name in os.environ) or os.getenv("FASTAPI_OTEL_AUTO_CONFIGURE"):
        return None
    from fastapi.telemetry._asgi import NativeTelemetry

    everything: TelemetryConfig = {"tracer_provider": None, "meter_provider": None, "logger_provider": None,
                                   "tracing": True, "metrics": True, "logs": True}  # fmt: skip
    if NativeTelemetry(everything).enabled():
        return None
    return {"tracing": False, "metrics": False, "logs": False}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = FastAPI(
        telemetry=_telemetry(),
        lifespan=_lifespan,
        title="yingji 应急",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served by ops_routes.mount_docs from the packaged Swagger UI: no CDN, no validator
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
    ops_routes.mount_metrics(app)  # prodhelp: Prometheus metrics (loopback or token)
    error_mapping.install_error_handlers(app)
    app.add_middleware(middleware.UrlGuardAndTiming)
    app.state.edge_stats = EdgeStats()
    app.state.refusal_pacer = RefusalPacer(settings.refusal_delay_s)
    app.add_middleware(
        EdgeGuard, settings=settings, stats=app.state.edge_stats, pacer=app.state.refusal_pacer
    )  # outermost: limits first
    app.state.address_limits = address_limits(settings, app.state.session_factory)
    # public tips: per-address limits (shared by every process) before the edge reads a body
    app.add_middleware(TipGate, settings=settings, limits=app.state.address_limits, pacer=app.state.refusal_pacer)
    ops_routes.mount_health(app)
    ops_routes.mount_docs(app)
    for router in ROUTERS:
        guard_prefix(router)
        app.include_router(router)
    for path, files in pages.static_mounts():
        app.mount(path, files)
    app.add_exception_handler(pages.SignInRequired, pages.sign_in_redirect)
    # Outermost: every answer gets the headers.
    app.add_middleware(SecurityHeaders, tile_url=settings.tile_url, hsts=settings.env == "production")
    if settings.root_path:  # behind a proxy's sub-path: every middleware, route and link sees the prefix
        app.add_middleware(middleware.RootPath, root_path=settings.root_path)
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
