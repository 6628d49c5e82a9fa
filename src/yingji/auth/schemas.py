from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Form
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import Field

from yingji.api_common import Schema


class TokenOut(Schema):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class UserCreate(Schema):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=1, max_length=256)
    role: str = Field(max_length=32)
    division_code: str = Field(pattern=r"^\d{6}(\d{3}){0,2}$")
    display_name: str = Field(default="", max_length=100)


class UserRead(Schema):
    id: int
    username: str
    display_name: str
    role: str
    division_code: str
    disabled: bool
    created_at: dt.datetime


class MeRead(UserRead):
    permissions: list[str]
    ancestors: list[str]


class MachineTokenCreate(Schema):
    name: str = Field(min_length=1, max_length=100)
    username: str | None = Field(default=None, max_length=64)


class MachineTokenRead(Schema):
    id: int
    name: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class MachineTokenIssued(MachineTokenRead):
    token: str


class AuditRead(Schema):
    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    division_code: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class LoginForm(OAuth2PasswordRequestForm):
    """The OAuth2 password form with every field bounded (the stock form takes strings of any length; a
    megabyte password would be hashed in full before the answer)."""

    def __init__(
        self,
        *,
        grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
        username: Annotated[str, Form(max_length=64)],
        password: Annotated[str, Form(max_length=256, json_schema_extra={"format": "password"})],
        scope: Annotated[str, Form(max_length=200)] = "",
        client_id: Annotated[str | None, Form(max_length=200)] = None,
        client_secret: Annotated[str | None, Form(max_length=200, json_schema_extra={"format": "password"})] = None,
    ) -> None:
        super().__init__(
            grant_type=grant_type,
            username=username,
            password=password,
            scope=scope,
            client_id=client_id,
            client_secret=client_secret,
        )
