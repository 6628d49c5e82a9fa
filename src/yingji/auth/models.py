"""Users, machine tokens and the append-only audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yingji.db import Base, Created, IdKey, JSONType, UTCDateTime, utcnow


class User(IdKey, Created, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Carried by every access token issued to the user; bumped (``service``: on logout, and whenever the
    # role, division, password or disabled flag changes), which refuses every older token at once.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ApiToken(IdKey, Created, Base):
    """A revocable bearer token for machines; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(IdKey, Base):
    """Who did what, when, with the record before and after. Append-only (a PostgreSQL trigger
    rejects UPDATE, DELETE and TRUNCATE; the services never change a row)."""

    __tablename__ = "audit_log"

    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64), index=True)
    entity_id: Mapped[str] = mapped_column(String(64))
    division_code: Mapped[str | None] = mapped_column(String(12), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class LoginThrottleKey(Base):
    """Failed sign-ins counted on one throttle key (an account, a client address or a device), shared by
    every server process when no Redis is configured or reachable (``auth.service.DatabaseThrottleStore``).
    ``last`` is the time of the last counted attempt (epoch seconds); a key idle for a day counts from zero.
    Keys ``<namespace>:window:<name>:<address>`` hold the public routes' per-address windows instead
    (``auth.ratelimit.WindowLimits``): ``failures`` counts the events of the window that began at ``last``."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last: Mapped[float] = mapped_column(Float, default=0.0, index=True)
