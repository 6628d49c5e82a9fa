"""Request limits at the edge: what a request may cost before anything parses it.

One plain ASGI middleware (:class:`EdgeGuard`), outermost in the app, that

- refuses a query string over 8 KiB (414) and request headers over 32 KiB in all (431);
- bounds every request body: the route's limit from :data:`BODY_LIMITS` (``upload`` routes get
  ``YINGJI_MAX_UPLOAD_BYTES``), else ``YINGJI_MAX_BODY_BYTES``. A declared ``Content-Length`` over it is
  refused (413) before a byte is read; a body without one (chunked) is counted as it streams in and
  refused the moment it passes the limit — nothing has buffered more than the limit by then;
- on every route that needs a token, checks the token *before the body is read*: a request with a body
  and no valid bearer token or session cookie is answered 401 (the API) or sent to the login page (pages)
  without reading it;
- lets at most :data:`PUBLIC_UPLOADS_AT_ONCE` bodies larger than the default limit (declared, or chunked) stream
  in at once on routes open to everyone (answering 503 with ``Retry-After`` beyond that).

Refused requests are answered with ``Connection: close``, so the server does not go on reading a body it
will never use. An address refused more than :data:`REFUSALS_AT_ONCE_PER_S` times in a second gets its further
refusals that second answered ``YINGJI_REFUSAL_DELAY_S`` late (:class:`RefusalPacer`): a flood that reconnects
the moment it is refused then costs the server one refusal per connection per delay, not as many as it can
make, and the signed-in users it shares the cores with keep their answer times (bench/abuse.py). File
uploads are spooled to disk past 1 MiB by Starlette's multipart parser.

Also here: the uvicorn options that make ``X-Forwarded-For`` believed only from ``YINGJI_TRUSTED_PROXIES``
(:func:`proxy_options`), used by ``yingji serve`` and the test server.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yingji.api_common import PUBLIC_ROUTES
from yingji.config import Settings
from yingji.web.headers import route_path

KIB, MIB = 1024, 1024 * 1024
MAX_QUERY_BYTES = 8 * KIB
MAX_HEADER_BYTES = 32 * KIB
PUBLIC_UPLOADS_AT_ONCE = 8
MACHINE_TOKEN_MEMORY_S = 30.0
UPLOAD = "upload"
REFUSALS_AT_ONCE_PER_S = 20  # an address's refusals in one second answered at once
MAX_DOUBLINGS = 3  # an address over the limit second after second waits at most 8 × YINGJI_REFUSAL_DELAY_S
HELD_AT_MOST = 256  # refusals held back at once per process (each holds its connection and the body read so far)

# Every route whose body limit is not YINGJI_MAX_BODY_BYTES, in one place (a test checks each names a
# route). ``upload``: YINGJI_MAX_UPLOAD_BYTES. Sign-in forms are small: a flood of large ones costs nothing.
BODY_LIMITS: dict[tuple[str, str], int | str] = {
    ("POST", "/api/v1/auth/token"): 16 * KIB,
    ("POST", "/login"): 16 * KIB,
    ("POST", "/api/v1/divisions/import"): UPLOAD,
    ("POST", "/api/v1/resources/import"): UPLOAD,
    ("POST", "/api/v1/disasters/events/{event_id}/import"): UPLOAD,  # a province's workbook; spooled to disk
    ("POST", "/api/v1/readings"): 4 * MIB,  # monitoring.api.MAX_BODY: a batch of readings
    ("POST", "/api/v1/tips"): 5 * 5 * MIB + 256 * KIB,  # tips.photos: 5 photos of 5 MB, and the form's fields
    ("POST", "/tip"): 5 * 5 * MIB + 256 * KIB,  # the public tip page's form (tips.pages): the same as the API's
    ("POST", "/tip/status"): 16 * KIB,  # a tracking code
    ("POST", "/tip/message"): 16 * KIB,  # a tracking code and a message of 2,000 characters
    ("POST", "/tip/reward"): 16 * KIB,  # a tracking code, a name and a phone
    # an offline checklist batch (enforcement.checklists): 5 photos of 5 MB in base64, and 500 entries
    ("POST", "/api/v1/enforcement/inspections/{inspection_id}/checklist/sync"): 36 * MIB,
}

# Routes that take a body from anyone: the API's public routes, the sign-in and sign-out forms, and
# The public tip pages (tips.pages) take forms from anyone, limited per address by tips.api.TipGate.
PUBLIC_BODY_ROUTES = frozenset(
    PUBLIC_ROUTES
    | {
        ("POST", "/login"),
        ("POST", "/logout"),
        ("POST", "/tip"),
        ("POST", "/tip/status"),
        ("POST", "/tip/message"),
        ("POST", "/tip/reward"),
    }
)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes its limit; the app's HTTP-error handler answers
    it (413 problem details), or this middleware does if it surfaces here."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes", headers={"Connection": "close"})


@dataclass
class EdgeStats:
    """What the edge let through or refused, per process (a counting hook for tests and operators)."""

    body_bytes: int = 0  # request body bytes handed to the app
    refused: int = 0


def _template(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$")


_TEMPLATED = [(method, _template(path), limit) for (method, path), limit in BODY_LIMITS.items() if "{" in path]
_PUBLIC_TEMPLATED = [(method, _template(path)) for method, path in PUBLIC_BODY_ROUTES if "{" in path]


def body_limit(method: str, path: str, settings: Settings) -> int:
    limit = BODY_LIMITS.get((method, path))
    if limit is None:
        limit = next((lim for m, pattern, lim in _TEMPLATED if m == method and pattern.match(path)), None)
    if limit == UPLOAD:
        return settings.max_upload_bytes
    return limit if isinstance(limit, int) else settings.max_body_bytes


def is_public(method: str, path: str) -> bool:
    return (method, path) in PUBLIC_BODY_ROUTES or any(
        m == method and pattern.match(path) for m, pattern in _PUBLIC_TEMPLATED
    )


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for forwarded headers: believed only from the trusted proxies (uvicorn's own
    default trusts every request from 127.0.0.1, so a local attacker could pose as any address)."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(settings.trusted_proxies)}


def _headers(scope: Scope) -> tuple[int, int | None, bool, str | None, str | None]:
    """(total header bytes, content length, chunked, bearer token, session cookie token)."""
    size, length, chunked, bearer, cookie = 0, None, False, None, None
    for name, value in scope["headers"]:
        size += len(name) + len(value)
        if name == b"content-length":
            length = int(value) if value.isdigit() else None
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                bearer = token.strip()
        elif name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key == "yingji_token" and val:
                    cookie = val
    return size, length, chunked, bearer, cookie


class RefusalPacer:
    """Counts refusals per client address and second; past :data:`REFUSALS_AT_ONCE_PER_S`, :meth:`pace` waits
    before the refusal is sent (on the event loop: a held refusal costs a connection, no CPU). The wait is
    ``delay_s``, doubled for each second in a row the address went past the limit, up to
    2 ** :data:`MAX_DOUBLINGS` times (a second within the limit starts it again at ``delay_s``). Throttled
    sign-ins (429) wait ``delay_s`` whatever their address: a login flood rotates its addresses."""

    def __init__(self, delay_s: float, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.delay_s = delay_s
        self._sleep = sleep  # injected by tests: patching asyncio.sleep would catch other threads' loops
        self.held = 0  # refusals being held back now
        self.paced = 0  # refusals held back so far (a counting hook for tests and operators)
        self._second = 0
        self._counts: dict[str, int] = {}  # refusals per address in this second
        self._doublings: dict[str, int] = {}  # per address over the limit in the seconds just before

    def wait(self, address: str, now: float) -> float:
        """How long this refusal of ``address`` waits: 0 within the second's free refusals."""
        second = int(now)
        if second != self._second:
            carried = self._doublings if second == self._second + 1 else {}
            self._doublings = {
                a: min(carried.get(a, 0) + 1, MAX_DOUBLINGS)
                for a, n in self._counts.items()
                if n > REFUSALS_AT_ONCE_PER_S
            }
            self._second, self._counts = second, {}
        if len(self._counts) >= 100_000:  # bounded whatever addresses a flood sends from
            self._counts.clear()
        self._counts[address] = count = self._counts.get(address, 0) + 1
        if count <= REFUSALS_AT_ONCE_PER_S:
            return 0.0
        return self.delay_s * (1 << self._doublings.get(address, 0))

    async def pace(self, scope: Scope, *, always: bool = False) -> None:
        if self.delay_s <= 0 or self.held >= HELD_AT_MOST:
            return
        client = scope.get("client")
        delay = self.delay_s if always else self.wait(client[0] if client else "", time.monotonic())
        if not delay:
            return
        self.held += 1
        self.paced += 1
        try:
            await self._sleep(delay)
        finally:
            self.held -= 1


class EdgeGuard:
    def __init__(
        self, app: ASGIApp, settings: Settings, stats: EdgeStats | None = None, pacer: RefusalPacer | None = None
    ) -> None:
        self.app, self.settings = app, settings
        self.pacer = pacer if pacer is not None else RefusalPacer(settings.refusal_delay_s)
        self.stats = stats if stats is not None else EdgeStats()
        self._uploads: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        self._machine_tokens: dict[str, float] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header_bytes, length, chunked, bearer, cookie = _headers(scope)
        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            await self._refuse(scope, send, 414, "URI too long", f"the query string is over {MAX_QUERY_BYTES} bytes")
            return
        if header_bytes > MAX_HEADER_BYTES:
            await self._refuse(
                scope, send, 431, "Request header fields too large", f"the headers are over {MAX_HEADER_BYTES} bytes"
            )
            return
        if not chunked and not length:  # no body: nothing to bound, the route checks who is calling
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], route_path(scope)
        public = is_public(method, path)
        if not public and not await self._authenticated(scope, bearer or cookie):
            await self._unauthenticated(scope, send)
            return
        limit = body_limit(method, path, self.settings)
        if length is not None and length > limit:
            await self._refuse(scope, send, 413, "Content too large", f"the request body is larger than {limit} bytes")
            return
        if (
            public
            and limit > self.settings.max_body_bytes
            and (length is None or length > self.settings.max_body_bytes)
        ):
            slots = self._upload_slots()
            if slots.locked():
                await self._refuse(scope, send, 503, "Service unavailable", "too many uploads at once; try again",
                                   retry_after=1)  # fmt: skip
                return
            async with slots:
                await self._limited(scope, receive, send, limit)
            return
        await self._limited(scope, receive, send, limit)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                size = len(message.get("body", b""))
                received += size
                self.stats.body_bytes += size
                if received > limit:
                    self.stats.refused += 1
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge as exc:
            if not started:
                await self._refuse(scope, send, 413, "Content too large", str(exc.detail), count=False)

    async def _authenticated(self, scope: Scope, token: str | None) -> bool:
        """A bearer token or session cookie that is valid now: an access token's signature and expiry (no
        I/O), or a machine token known and not revoked (one indexed read in a worker thread)."""
        from yingji.auth import service
        from yingji.auth.security import MACHINE_TOKEN_PREFIX, read_access_token
        from yingji.errors import Unauthorized

        if not token:
            return False
        if not token.startswith(MACHINE_TOKEN_PREFIX):
            try:
                read_access_token(token, secret=self.settings.secret_keys)
            except Unauthorized:
                return False
            return True
        now = time.monotonic()
        if self._machine_tokens.get(token, 0.0) > now:
            return True
        factory = scope["app"].state.read_session_factory

        def known() -> bool:
            with factory() as session:
                try:
                    service.user_for_machine_token(session=session, token=token)
                except Unauthorized:
                    return False
                return True

        if not await run_in_threadpool(known):
            return False
        # Remembered briefly so that a sensor gateway posting readings pays the lookup once, not twice per
        # request. Only this pre-check remembers: the route checks the token again (a revoked one may push
        # bodies within the limit for this long, and is refused by the route).
        if len(self._machine_tokens) > 10_000:
            self._machine_tokens.clear()
        self._machine_tokens[token] = now + MACHINE_TOKEN_MEMORY_S
        return True

    async def _unauthenticated(self, scope: Scope, send: Send) -> None:
        if route_path(scope).startswith("/api/"):
            await self._refuse(scope, send, 401, "Not authenticated", "authentication required",
                               extra_headers=[(b"www-authenticate", b"Bearer")])  # fmt: skip
            return
        from urllib.parse import quote

        self.stats.refused += 1
        await self.pacer.pace(scope)
        location = f"/login?next={quote(scope['path'])}".encode()
        headers = [(b"location", location), (b"content-length", b"0"), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    def _upload_slots(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._uploads is None or self._uploads[0] is not loop:
            self._uploads = (loop, asyncio.Semaphore(PUBLIC_UPLOADS_AT_ONCE))
        return self._uploads[1]

    async def _refuse(
        self,
        scope: Scope,
        send: Send,
        status: int,
        title: str,
        detail: str,
        *,
        retry_after: int | None = None,
        extra_headers: list[tuple[bytes, bytes]] | None = None,
        count: bool = True,
    ) -> None:
        import json

        if count:
            self.stats.refused += 1
        await self.pacer.pace(scope)
        code = {401: "unauthorized", 413: "content_too_large", 414: "uri_too_long", 431: "headers_too_large",
                503: "service_unavailable"}.get(status, "error")  # fmt: skip
        body = json.dumps(
            {"type": f"about:blank#{code}", "title": title, "status": status, "detail": detail, "code": code}
        ).encode()
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            *(extra_headers or []),
        ]
        if retry_after is not None:
            headers.append((b"retry-after", str(retry_after).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


# Enforcement (#16): an evidence file of a penalty case (enforcement.evidence) is one upload, limited per file by
# YINGJI_EVIDENCE_MAX_BYTES as it streams to disk; the body by YINGJI_MAX_UPLOAD_BYTES.
BODY_LIMITS[("POST", "/api/v1/enforcement/cases/{case_id}/evidence")] = UPLOAD
_TEMPLATED.append(("POST", _template("/api/v1/enforcement/cases/{case_id}/evidence"), UPLOAD))
