"""The platform's own routes, beside the domains': liveness (``/api/v1/health``), the Prometheus metrics and the
browsable API reference."""

from __future__ import annotations

import socket
import time
from typing import Any
from urllib.parse import urlparse

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from yingji import __version__
from yingji.config import Settings
from yingji.error_mapping import problem


def mount_metrics(app: FastAPI) -> None:
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


_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>yingji 应急 — HTTP API</title>
<link rel="stylesheet" href="docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script></body></html>
"""


def mount_docs(app: FastAPI) -> None:
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


def mount_health(app: FastAPI) -> None:
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
