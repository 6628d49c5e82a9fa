"""Users, login, tokens and scopes."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy import event as sa_event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, object_session

from yingji import events
from yingji.auth import access, audit
from yingji.auth.models import ApiToken, LoginThrottleKey, User
from yingji.auth.ratelimit import FORGET_AFTER_S, Backoff, FixedWindow
from yingji.auth.roles import permissions_of, role_names
from yingji.auth.scope import Scope
from yingji.auth.security import (
    DUMMY_HASH,
    check_password_policy,
    hash_password,
    needs_rehash,
    new_machine_token,
    token_digest,
    verify_password,
)
from yingji.db import paginate, utcnow
from yingji.errors import Conflict, InvalidInput, NotFound, Unauthorized
from yingji.geo import service as division_service
from yingji.geo.codes import prefix

# A division's place in the tree (its prefix and ancestor chain) changes only when divisions are
# re-imported; caching it spares every request four or five lookups. (Who the user is, their role and
# whether they are disabled are remembered for seconds only, by the HTTP layer: auth.deps.ScopeCache.)
_CHAIN_TTL_S = 60.0
_chains: dict[tuple[str, str], tuple[float, str, tuple[str, ...]]] = {}


def _chain(session: Session, code: str) -> tuple[str, tuple[str, ...]]:
    bind = session.get_bind()
    key = (str(bind.engine.url), code)
    cached = _chains.get(key)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1], cached[2]
    division = division_service.get_unscoped(session=session, code=code)
    ancestors = tuple(d.code for d in division_service.ancestors_unscoped(session=session, code=division.code))
    if len(_chains) > 10_000:
        _chains.clear()
    _chains[key] = (now + _CHAIN_TTL_S, prefix(division.code, division.level), ancestors)
    return _chains[key][1], ancestors


def scope_for(*, session: Session, user: User) -> Scope:
    return _scope(session, user.username, user.id, user.role, user.division_code, user.token_version or 0)


def _scope(
    session: Session, username: str, user_id: int, role: str, division_code: str, token_version: int = 0
) -> Scope:
    digits, ancestors = _chain(session, division_code)
    return Scope(
        actor=username,
        division_code=division_code,
        prefix=digits,
        ancestors=ancestors,
        role=role,
        permissions=permissions_of(role),
        user_id=user_id,
        token_version=token_version,
    )


# Every request with an access token reads its user: four columns, no ORM object, one statement built once.
_ENABLED_USER = select(User.id, User.role, User.division_code, User.disabled, User.token_version).where(
    User.username == bindparam("username")
)


# Bumped by every change of a user's access made in this process, so the HTTP layer's short-lived scope
# cache (auth.deps.ScopeCache) forgets at once what this process changed.
_access_changes = 0


def access_changes() -> int:
    return _access_changes


def _access_changed() -> None:
    global _access_changes
    _access_changes += 1


def scope_of_enabled_user(*, session: Session, username: str) -> Scope | None:
    """The scope of that user, read now; None if the user does not exist or is disabled."""
    row = session.execute(_ENABLED_USER, {"username": username}).first()
    if row is None or row.disabled:
        return None
    return _scope(session, username, row.id, row.role, row.division_code, row.token_version or 0)


# -- server-side session revocation ------------------------------------------------------------------------
# A change of what a user may do or who can sign in as them revokes their access tokens: the mapper bumps
# ``token_version`` whenever one of these columns changes, whichever code path changed it. The bump is
# announced (after commit) as a ``user_sessions`` live event, on which every server process forgets the
# user's cached scope and closes the user's open event streams.
_REVOKING_COLUMNS = ("role", "division_code", "password_hash", "disabled")
SESSIONS_ENTITY = "user_sessions"
events.own_channel(SESSIONS_ENTITY)  # every process's revocation listener hears these and nothing else


@sa_event.listens_for(User, "before_update")
def _revoke_on_access_change(_mapper: object, _connection: object, user: User) -> None:
    state = sa_inspect(user)
    bumped = state.attrs.token_version.history.has_changes()
    if not bumped and any(state.attrs[name].history.has_changes() for name in _REVOKING_COLUMNS):
        user.token_version = (user.token_version or 0) + 1
        bumped = True
    if bumped:
        _access_changed()
        session = object_session(user)
        if session is not None:
            events.queue(
                session,
                events.Event(
                    kind=f"{SESSIONS_ENTITY}.revoke",
                    entity=SESSIONS_ENTITY,
                    entity_id=user.username,
                    action="revoke",
                    division_codes=(user.division_code,),
                    at=utcnow().isoformat(),
                ),
            )


def revoke_sessions(*, session: Session, scope: Scope) -> None:
    """Logout: every access token of the caller stops working (in every server process)."""
    user = get_by_username(session=session, username=scope.actor)
    if user is None:
        return
    user.token_version = (user.token_version or 0) + 1
    audit.acted(session, scope, user, entity="user", action="logout")


def get_by_username(*, session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def authenticate(*, session: Session, username: str, password: str) -> User:
    user = get_by_username(session=session, username=username)
    if user is None:
        verify_password(DUMMY_HASH, password)
        raise Unauthorized("wrong username or password")
    if not verify_password(user.password_hash, password) or user.disabled:
        raise Unauthorized("wrong username or password")
    if needs_rehash(user.password_hash):  # older, costlier parameters: the same password, today's hash
        user.password_hash = hash_password(password)
    return user


def user_for_machine_token(*, session: Session, token: str) -> User:
    row = session.scalar(select(ApiToken).where(ApiToken.digest == token_digest(token)))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("invalid or revoked token")
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        raise Unauthorized("invalid or revoked token")
    return user


def create_user(
    *,
    session: Session,
    scope: Scope,
    username: str,
    password: str,
    role: str,
    division_code: str,
    display_name: str = "",
) -> User:
    scope.require("users:manage")
    if role not in role_names():
        raise InvalidInput(f"unknown role {role!r}; one of {', '.join(role_names())}", field="role")
    if not username or len(username) > 64:
        raise InvalidInput("username must have 1 to 64 characters", field="username")
    check_password_policy(password, username)
    division = division_service.get_writable(session=session, scope=scope, code=division_code)
    if get_by_username(session=session, username=username) is not None:
        raise Conflict(f"user {username!r} already exists")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
        division_code=division.code,
        disabled=False,
        created_at=utcnow(),
    )
    audit.created(session, scope, user, entity="user", division_code=user.division_code)
    return user


def get_user(*, session: Session, scope: Scope, user_id: int) -> User:
    user = access.get_covered(session=session, scope=scope, model=User, row_id=user_id, what="user")
    return user


def list_users(*, session: Session, scope: Scope, limit: int = 100, offset: int = 0) -> tuple[list[User], int]:
    scope.require("users:manage")
    stmt = select(User).where(scope.where_covered(User.division_code))
    return paginate(session, stmt, User.username, limit=limit, offset=offset)


def set_disabled(*, session: Session, scope: Scope, username: str, disabled: bool = True) -> User:
    scope.require("users:manage")
    _access_changed()
    user = get_by_username(session=session, username=username)
    if user is None or not scope.covers(user.division_code):
        raise NotFound(f"user {username!r} not found")
    if disabled and user.username == scope.actor:
        # An administrator locking themselves out (by mistake, or a script looping over ids) leaves a
        # jurisdiction with no one to manage it; another administrator must do it.
        raise Conflict("you cannot disable your own account; ask another administrator")
    before = audit.snapshot(user)
    user.disabled = disabled
    if disabled:
        for token in session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ):
            token.revoked_at = utcnow()
    audit.changed(session, scope, user, before, entity="user", action="disable" if disabled else "enable")
    return user


def set_password(*, session: Session, scope: Scope, username: str, password: str) -> User:
    """A new password for ``username``: oneself, or a user manager resetting one in scope. The policy of
    ``check_password_policy`` applies; the hash is audited as changed, never shown."""
    user = get_by_username(session=session, username=username)
    oneself = scope.user_id is not None and scope.user_id == (user.id if user else None)
    if user is None or not (oneself or scope.covers(user.division_code)):
        raise NotFound(f"user {username!r} not found")
    if not oneself:
        scope.require("users:manage")
    check_password_policy(password)
    _access_changed()
    user.password_hash = hash_password(password)
    audit.acted(session, scope, user, entity="user", action="set_password", after={"password": "changed"})
    return user


def issue_machine_token(*, session: Session, scope: Scope, username: str, name: str) -> tuple[ApiToken, str]:
    """A new machine token for ``username`` (oneself, or anyone in scope for a user manager)."""
    user = get_by_username(session=session, username=username)
    if user is None or not scope.covers(user.division_code):
        raise NotFound(f"user {username!r} not found")
    if user.username != scope.actor:
        scope.require("users:manage")
    token, digest = new_machine_token()
    row = ApiToken(user_id=user.id, name=name, digest=digest, created_at=utcnow())
    audit.created(session, scope, row, entity="api_token", division_code=user.division_code)
    return row, token


def list_machine_tokens(*, session: Session, scope: Scope) -> list[ApiToken]:
    if scope.user_id is None:
        return []
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == scope.user_id).order_by(ApiToken.id)))


def revoke_machine_token(*, session: Session, scope: Scope, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    owner = session.get(User, row.user_id) if row else None
    if row is None or owner is None or not scope.covers(owner.division_code):
        raise NotFound("token not found")
    if owner.username != scope.actor:
        scope.require("users:manage")
    before = audit.snapshot(row)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    audit.changed(session, scope, row, before, entity="api_token", action="revoke", division_code=owner.division_code)
    return row


def token_expiry(now: dt.datetime, minutes: int) -> dt.datetime:
    return now + dt.timedelta(minutes=minutes)


# ------------------------------------------------------------------------------ login throttle store


class DatabaseThrottleStore:
    """The login throttle's counts in the database (``auth.ratelimit.SharedStore``), and the public routes'
    per-address windows (``auth.ratelimit.SharedWindowStore``, keys ``<namespace>:window:…``): what every server
    process shares when no Redis is configured or reachable, so the back-off of an account holds whatever
    process a guess reaches. Each call is its own short transaction (a failed sign-in's request rolls back;
    its count must stay). Atomic: the keys' rows are created if missing, then locked in key order
    (PostgreSQL ``FOR UPDATE``; SQLite's first write takes the database's write lock), read, and counted
    only when none is in back-off — so simultaneous guesses in several processes cannot all slip through."""

    PRUNE_EVERY = 1000  # admits between deletions of keys idle for a day

    def __init__(self, factory: Any) -> None:
        self._factory = factory
        self._admits = 0

    @staticmethod
    def _stored(key: str) -> str:
        return key if len(key) <= 255 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()

    def admit(self, keyed: Sequence[tuple[str, Backoff]], now: float) -> dict[str, float]:
        by_key = {self._stored(key): (key, backoff) for key, backoff in keyed}
        keys = sorted(by_key)
        with self._factory() as session, session.begin():
            dialect = session.get_bind().dialect.name
            insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
            session.execute(
                insert(LoginThrottleKey)
                .values([{"key": k, "failures": 0, "last": 0.0} for k in keys])
                .on_conflict_do_nothing()
            )
            stmt = select(LoginThrottleKey).where(LoginThrottleKey.key.in_(keys)).order_by(LoginThrottleKey.key)
            rows = {row.key: row for row in session.scalars(stmt.with_for_update())}
            blocked: dict[str, float] = {}
            counts: dict[str, int] = {}
            for stored in keys:
                key, backoff = by_key[stored]
                row = rows[stored]
                failures = 0 if row.last < now - FORGET_AFTER_S else row.failures
                counts[stored] = failures
                if failures >= backoff.free and row.last + backoff.delay(failures) > now:
                    blocked[key] = row.last + backoff.delay(failures)
            if not blocked:
                for stored in keys:
                    rows[stored].failures = counts[stored] + 1
                    rows[stored].last = now
            self._pruned(session, now)
        return blocked

    def count(self, key: str, window: FixedWindow, now: float) -> bool:
        """A fixed window per key (``auth.ratelimit.SharedWindowStore``, for ``WindowLimits``) in the same
        table: ``last`` is the start of the window counted, ``failures`` the events counted in it. The row is
        created if missing and locked as in :meth:`admit`; a later window counts from zero, and a row a
        process with a clock ahead has moved to a later window keeps that window."""
        stored, start = self._stored(key), window.start(now)
        with self._factory() as session, session.begin():
            dialect = session.get_bind().dialect.name
            insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
            session.execute(
                insert(LoginThrottleKey).values(key=stored, failures=0, last=start).on_conflict_do_nothing()
            )
            row = session.scalars(
                select(LoginThrottleKey).where(LoginThrottleKey.key == stored).with_for_update()
            ).one()
            if row.last < start:
                row.failures, row.last = 0, start
            admitted: bool = row.failures < window.limit
            if admitted:
                row.failures += 1
            self._pruned(session, now)
        return admitted

    def _pruned(self, session: Session, now: float) -> None:
        """Every ``PRUNE_EVERY`` calls, delete the keys idle for a day (a window's row a day after it began:
        windows last a day at most)."""
        self._admits += 1
        if self._admits % self.PRUNE_EVERY == 0:
            session.execute(delete(LoginThrottleKey).where(LoginThrottleKey.last < now - FORGET_AFTER_S))

    def clear(self, keys: Sequence[str]) -> None:
        stored = [self._stored(key) for key in keys]
        with self._factory() as session, session.begin():
            session.execute(delete(LoginThrottleKey).where(LoginThrottleKey.key.in_(stored)))
