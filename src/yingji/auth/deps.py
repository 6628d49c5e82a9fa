"""Who is calling: bearer access tokens (JWT) from password login, or machine tokens."""

from __future__ import annotations

import secrets

from fastapi import Request
from sqlalchemy.orm import Session

from yingji.auth import service
from yingji.auth.scope import Scope
from yingji.auth.security import MACHINE_TOKEN_PREFIX, read_access_token
from yingji.config import Settings
from yingji.errors import Forbidden, Unauthorized

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _check_csrf_header(request: Request) -> None:
    """A page's script calling the API with the session cookie must echo the CSRF cookie in a header."""
    cookie = request.cookies.get("yingji_csrf")
    header = request.headers.get("x-csrf-token")
    if not cookie or not header or not secrets.compare_digest(cookie, header):
        raise Forbidden("missing or wrong X-CSRF-Token header")


def scope_from_token(*, request: Request, session: Session, settings: Settings, token: str | None) -> Scope:
    if not token:
        token = request.cookies.get("yingji_token")
        if token and request.method not in SAFE_METHODS:
            _check_csrf_header(request)
    if not token:
        raise Unauthorized("authentication required")
    if token.startswith(MACHINE_TOKEN_PREFIX):
        user = service.user_for_machine_token(session=session, token=token)
        scope = service.scope_for(session=session, user=user)
    else:
        payload = read_access_token(token, secret=settings.secret_key.get_secret_value())
        found = service.scope_of_enabled_user(session=session, username=str(payload["sub"]))
        if found is None:
            raise Unauthorized("invalid or expired token")
        scope = found
    request.state.scope = scope
    return scope
