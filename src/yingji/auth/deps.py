"""Who is calling: bearer access tokens (JWT) from password login, or machine tokens."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from yingji.auth import service
from yingji.auth.scope import Scope
from yingji.auth.security import MACHINE_TOKEN_PREFIX, read_access_token
from yingji.config import Settings
from yingji.errors import Unauthorized


def scope_from_token(*, request: Request, session: Session, settings: Settings, token: str | None) -> Scope:
    if not token:
        token = request.cookies.get("yingji_token")
    if not token:
        raise Unauthorized("authentication required")
    if token.startswith(MACHINE_TOKEN_PREFIX):
        user = service.user_for_machine_token(session=session, token=token)
    else:
        payload = read_access_token(token, secret=settings.secret_key.get_secret_value())
        found = service.get_by_username(session=session, username=str(payload["sub"]))
        if found is None or found.disabled:
            raise Unauthorized("invalid or expired token")
        user = found
    scope = service.scope_for(session=session, user=user)
    request.state.scope = scope
    return scope
