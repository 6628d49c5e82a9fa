"""Security headers on every response (ASVS V14.4): a strict Content-Security-Policy, no MIME sniffing, no
framing, a same-origin referrer, and ``no-store`` on everything that is not a static asset (signed-in pages
and API answers carry jurisdiction data and must not sit in a shared or browser cache).

The pages' policy allows scripts, styles, fonts and connections from the platform itself only: no inline
script, no inline event handler, no ``style=`` attribute, no ``eval``. Data reaches scripts through
``data-*`` attributes or ``<script type="application/json">`` blocks (read with ``JSON.parse``, never run).
A configured tile server (``YINGJI_TILE_URL``) adds its origin to ``img-src`` and nothing else.

Printable documents (the earthquake and coverage reports) are self-contained so they survive "save as":
their styles are inline, so they get their own policy — no script at all, styles inline only."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def route_path(scope: Scope) -> str:
    """The request's path without the deployment's prefix (``YINGJI_ROOT_PATH``, the ASGI ``root_path``):
    the path the routes, limits and headers are declared for."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path


# Printable reports: nothing may run or load, apart from their own inline styles and the platform's images.
REPORT_CSP = (
    "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
)
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$")


def tile_origin(tile_url: str | None) -> str | None:
    """The CSP source of a tile URL template (``https://{s}.tile.example.org/{z}/{x}/{y}.png`` →
    ``https://*.tile.example.org``), or None when it is absent or not a plain http(s) URL."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https"):
        return None
    host = parts.netloc.rsplit("@", 1)[-1]
    first, _, rest = host.partition(".")
    wildcard = "{s}" in first and bool(rest)  # {s}.tiles.example.org, t{s}.tianditu.gov.cn
    if wildcard:
        host = rest
    if not _HOST.match(host):
        return None
    return f"{parts.scheme}://{'*.' if wildcard else ''}{host}"


def page_policy(tile_url: str | None = None) -> str:
    """The Content-Security-Policy of every page and API answer."""
    images = " ".join(filter(None, ("'self'", tile_origin(tile_url))))
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; connect-src 'self'; font-src 'self'; "
        "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
    )


FIXED = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)

HSTS = ("strict-transport-security", "max-age=31536000; includeSubDomains")


def error_headers(tile_url: str | None = None) -> dict[str, str]:
    """The headers for an answer made outside the middleware (the last-resort 500 handler runs in
    Starlette's outermost error middleware, past ``SecurityHeaders``)."""
    return {**dict(FIXED), "content-security-policy": page_policy(tile_url), "cache-control": "no-store"}


STATIC_PREFIXES = ("/static/", "/api/v1/docs/assets/")  # packaged files, no data: cacheable


class SecurityHeaders:
    """Adds the headers to every HTTP response. A route may set its own Content-Security-Policy (the
    printable reports do); ``Cache-Control`` is ``no-store`` on everything but static assets, whatever the
    route said. A plain ASGI middleware, like the app's others: no extra task per request."""

    def __init__(self, app: ASGIApp, *, tile_url: str | None = None, hsts: bool = False) -> None:
        self.app = app
        # HSTS in production only: a development server on http://localhost must stay reachable.
        fixed = (*FIXED, HSTS) if hsts else FIXED
        self.fixed = [(name.encode(), value.encode()) for name, value in fixed]
        self.policy = page_policy(tile_url).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = route_path(scope).startswith(STATIC_PREFIXES)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers = [h for h in headers if h[0].lower() not in {n for n, _ in self.fixed}]
                headers.extend(self.fixed)
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", self.policy))
                if not static:
                    # Replaces a weaker answer (the event stream's no-cache): nothing but assets is stored.
                    headers = [h for h in headers if h[0].lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
