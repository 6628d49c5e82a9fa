from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from yingji.api_common import ApiDateTime, IdPath, ListRequestDep, Page, ScopeDep, SessionDep, SettingsDep
from yingji.auth import audit, deps, service
from yingji.auth.schemas import (
    AuditRead,
    LoginForm,
    MachineTokenCreate,
    MachineTokenIssued,
    MachineTokenRead,
    MeRead,
    TokenOut,
    UserCreate,
    UserRead,
)
from yingji.auth.security import issue_access_token
from yingji.db import utcnow
from yingji.problems import problem_responses

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post("/auth/token", response_model=TokenOut, operation_id="auth_login", responses=problem_responses(401, 429))
def login(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[LoginForm, Depends()],
) -> TokenOut:
    """Password login: a short-lived bearer token, and a device cookie that keeps this client out of the
    lock-outs others' failed guesses cause (throttled with exponential back-off per account, client and
    device; docs/security.md)."""
    user = deps.password_login(
        request=request, session=session, settings=settings, username=form.username, password=form.password
    )
    deps.set_device_cookie(response, user.username, settings)
    token = issue_access_token(
        username=user.username,
        secret=settings.secret_key.get_secret_value(),
        minutes=settings.access_token_minutes,
        now=utcnow(),
        version=user.token_version or 0,
    )
    return TokenOut(access_token=token, expires_in=settings.access_token_minutes * 60)


@router.post("/auth/logout", status_code=204, operation_id="auth_logout")
def logout(session: SessionDep, scope: ScopeDep) -> Response:
    """Sign out everywhere: every access token of the caller stops working at once, in every server process,
    and the caller's open event streams close."""
    service.revoke_sessions(session=session, scope=scope)
    return Response(status_code=204)


@router.get("/auth/me", response_model=MeRead, operation_id="auth_me")
def me(session: SessionDep, scope: ScopeDep) -> MeRead:
    user = service.get_by_username(session=session, username=scope.actor)
    assert user is not None
    return MeRead.model_validate(
        {
            **UserRead.model_validate(user).model_dump(),
            "permissions": sorted(scope.permissions),
            "ancestors": list(scope.ancestors),
        }
    )


@router.get("/users", response_model=Page[UserRead], operation_id="users_list")
def list_users(req: ListRequestDep) -> Page[UserRead]:
    return req.of(service.list_users, UserRead.model_validate)


@router.post("/users", response_model=UserRead, status_code=201, operation_id="users_create")
def create_user(body: UserCreate, session: SessionDep, scope: ScopeDep) -> UserRead:
    return UserRead.model_validate(service.create_user(session=session, scope=scope, **body.model_dump()))


@router.get("/users/{user_id}", response_model=UserRead, operation_id="users_get")
def get_user(user_id: IdPath, session: SessionDep, scope: ScopeDep) -> UserRead:
    return UserRead.model_validate(service.get_user(session=session, scope=scope, user_id=user_id))


@router.post("/users/{user_id}/disable", response_model=UserRead, operation_id="users_disable")
def disable_user(user_id: IdPath, session: SessionDep, scope: ScopeDep) -> UserRead:
    user = service.get_user(session=session, scope=scope, user_id=user_id)
    return UserRead.model_validate(service.set_disabled(session=session, scope=scope, username=user.username))


@router.get("/tokens", response_model=list[MachineTokenRead], operation_id="tokens_list")
def list_tokens(session: SessionDep, scope: ScopeDep) -> list[MachineTokenRead]:
    return [MachineTokenRead.model_validate(t) for t in service.list_machine_tokens(session=session, scope=scope)]


@router.post("/tokens", response_model=MachineTokenIssued, status_code=201, operation_id="tokens_create")
def create_token(body: MachineTokenCreate, session: SessionDep, scope: ScopeDep) -> MachineTokenIssued:
    """A revocable machine token; shown once."""
    row, token = service.issue_machine_token(
        session=session, scope=scope, username=body.username or scope.actor, name=body.name
    )
    return MachineTokenIssued.model_validate({**MachineTokenRead.model_validate(row).model_dump(), "token": token})


@router.delete("/tokens/{token_id}", response_model=MachineTokenRead, operation_id="tokens_revoke")
def revoke_token(token_id: IdPath, session: SessionDep, scope: ScopeDep) -> MachineTokenRead:
    return MachineTokenRead.model_validate(
        service.revoke_machine_token(session=session, scope=scope, token_id=token_id)
    )


@router.get("/audit", response_model=Page[AuditRead], operation_id="audit_list")
def list_audit(
    req: ListRequestDep,
    entity: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    since: ApiDateTime | None = None,
) -> Page[AuditRead]:
    """The audit log within the caller's jurisdiction (admins only)."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return req.of(audit.query, AuditRead.model_validate, entity=entity, actor=actor, since=since)
