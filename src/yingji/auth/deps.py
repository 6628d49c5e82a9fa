"""Who is calling: bearer access tokens (JWT) from password login, or machine tokens."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from yingji.auth import service
from yingji.auth.models import User
from yingji.auth.ratelimit import LoginThrottle
from yingji.auth.scope import Scope
from yingji.auth.security import (
    DEVICE_COOKIE_DAYS,
    MACHINE_TOKEN_PREFIX,
    device_cookie_name,
    device_of_request,
    new_device_cookie,
    read_access_token,
    session_csrf_tokens,
)
from yingji.config import Settings
from yingji.errors import DomainError, Forbidden, Unauthorized

# Methods that change nothing: no CSRF check, and a read-only database session (yingji.api_common).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _check_csrf_header(request: Request, token: str) -> None:
    """A page's script calling the API with the session cookie must send that session's CSRF token (the
    page's ``csrf-token`` meta) in a header; a token of another session is refused."""
    settings: Settings = request.app.state.settings
    accepted = session_csrf_tokens(token, secret=settings.secret_keys)
    header = request.headers.get("x-csrf-token")
    if not header or not any(secrets.compare_digest(expected, header) for expected in accepted):
        raise Forbidden("missing or wrong X-CSRF-Token header")


class ScopeCache:
    """The scopes of access-token users, remembered for ``seconds`` by one server process.

    A read request then costs one statement instead of two (the user's row was half of a list request's
    database work). The trade: a user disabled by another process (another server worker, the CLI) keeps
    access for at most ``seconds``; disabling through this process takes effect at once (see
    ``service.access_changes``). Machine tokens are never remembered, so revoking one takes effect at once.
    ``seconds = 0`` reads the user on every request."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self._clock = seconds, clock
        self._entries: dict[str, tuple[float, Scope]] = {}
        self._seen = service.access_changes()

    def get(self, username: str) -> Scope | None:
        if self._seen != service.access_changes():
            self._entries.clear()
            self._seen = service.access_changes()
        hit = self._entries.get(username)
        return hit[1] if hit is not None and hit[0] > self._clock() else None

    def forget(self, username: str) -> None:
        self._entries.pop(username, None)

    def put(self, username: str, scope: Scope, seen: int) -> None:
        """Remember ``scope``, read when ``service.access_changes()`` was ``seen`` (dropped if access changed
        in this process since: the read may predate the change)."""
        if self.seconds <= 0 or seen != service.access_changes():
            return
        if len(self._entries) >= 10_000:
            self._entries.clear()
        self._entries[username] = (self._clock() + self.seconds, scope)


def _bearer(request: Request, token: str | None) -> str:
    """The caller's token: the Authorization header's, else the session cookie's (with the CSRF check on
    unsafe methods)."""
    if not token:
        token = request.cookies.get("yingji_token")
        if token and request.method not in SAFE_METHODS:
            _check_csrf_header(request, token)
    if not token:
        raise Unauthorized("authentication required")
    return token


def remembered_scope(*, request: Request, settings: Settings, token: str | None) -> Scope | None:
    """The caller's scope if this process remembers it (no I/O); None when it must be read. Raises for a
    missing, malformed or expired token."""
    token = _bearer(request, token)
    if token.startswith(MACHINE_TOKEN_PREFIX):
        return None
    payload = read_access_token(token, secret=settings.secret_keys)
    cache: ScopeCache = request.app.state.scope_cache
    scope = cache.get(str(payload["sub"]))
    if scope is None or scope.token_version != _version(payload):
        return None  # a token of another version is judged against the database
    request.state.scope = scope
    return scope


def _version(payload: dict[str, Any]) -> int:
    version = payload.get("ver", 0)
    return version if isinstance(version, int) else -1


def scope_from_token(*, request: Request, session: Session, settings: Settings, token: str | None) -> Scope:
    token = _bearer(request, token)
    if token.startswith(MACHINE_TOKEN_PREFIX):
        user = service.user_for_machine_token(session=session, token=token)
        scope = service.scope_for(session=session, user=user)
    else:
        payload = read_access_token(token, secret=settings.secret_keys)
        username = str(payload["sub"])
        seen = service.access_changes()
        found = service.scope_of_enabled_user(session=session, username=username)
        if found is None or found.token_version != _version(payload):
            raise Unauthorized("invalid, expired or revoked token")
        request.app.state.scope_cache.put(username, found, seen)
        scope = found
    request.state.scope = scope
    return scope


def password_login(*, request: Request, session: Session, settings: Settings, username: str, password: str) -> User:
    """Sign in with a password, throttled (auth.ratelimit): a throttled attempt is refused (429) before the
    password hash is computed. On success the client gets a fresh device cookie for this user
    (:func:`set_device_cookie`), which spares it the lock-outs others cause."""
    device = device_of_request(request.cookies, username, settings.secret_keys)
    throttle: LoginThrottle = request.app.state.login_throttle
    client = request.client.host if request.client else "unknown"  # X-Forwarded-For only from trusted proxies
    attempt = throttle.admit(username=username, client=client, device=device)
    user = service.authenticate(session=session, username=username, password=password)
    throttle.succeeded(attempt)
    return user


def set_device_cookie(response: Response, username: str, settings: Settings) -> None:
    secret = settings.secret_key.get_secret_value()
    response.set_cookie(
        device_cookie_name(username, secret),
        new_device_cookie(username, secret),
        max_age=DEVICE_COOKIE_DAYS * 86_400,
        httponly=True,
        samesite="strict",
        secure=settings.env == "production",
    )


def request_token(request: Request) -> str | None:
    """The bearer token a request came with (Authorization header, else the session cookie)."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.cookies.get("yingji_token")


def session_still_valid(*, request: Request, settings: Settings, fresh: bool = False) -> bool:
    """Whether the request's token would still be accepted now: not expired, its user enabled and of the
    same token version. ``fresh`` reads the user even if this process remembers them (for a revocation
    just announced). For long-lived responses (event streams), which check again and again."""
    token = request_token(request)
    try:
        if not fresh and token and remembered_scope(request=request, settings=settings, token=token) is not None:
            return True
        with request.app.state.session_factory() as session, session.begin():
            scope_from_token(request=request, session=session, settings=settings, token=token)
    except DomainError:
        return False
    return True
