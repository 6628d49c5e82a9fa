"""Password hashing (argon2), access tokens (JWT HS256) and machine tokens (random, stored hashed)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from yingji.errors import InvalidInput, Unauthorized

_hasher = PasswordHasher()
MACHINE_TOKEN_PREFIX = "yjt_"
MIN_PASSWORD_LENGTH = 12


def check_password_policy(password: str) -> None:
    """At least 12 characters mixing letters, digits and symbols."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password) and re.search(r"[^A-Za-z0-9]", password)):
        raise InvalidInput("password must mix letters, digits and symbols")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A fixed hash to verify against when the user does not exist, so timing does not reveal usernames.
DUMMY_HASH = _hasher.hash("dummy-password-not-used-1!")


def issue_access_token(
    *, username: str, secret: str, minutes: int, now: dt.datetime, sid: str | None = None
) -> str:
    """A signed access token. ``sid`` names the sign-in session: a new one at each sign-in, kept when a page
    session's cookie is re-issued, so the session's CSRF token (``csrf_token``) stays the same."""
    payload = {
        "sub": username,
        "iat": int(now.timestamp()),
        "exp": int((now + dt.timedelta(minutes=minutes)).timestamp()),
        "typ": "access",
        "sid": sid or secrets.token_urlsafe(16),
    }
    return jwt.encode(payload, secret, algorithm="HS256")


def csrf_token(*, secret: str, binding: str) -> str:
    """The CSRF token bound to ``binding`` (a session, or a signed-out browser's login nonce): a MAC, so it
    needs no storage, cannot be made without the secret, and a token of one session is refused in any
    other (ASVS 4.2.2)."""
    mac = hmac.new(secret.encode(), b"yingji-csrf\x00" + binding.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def session_csrf_token(token: str | None, *, secret: str) -> str | None:
    """The CSRF token of the page session whose cookie holds ``token``; None without a valid session."""
    if not token or token.startswith(MACHINE_TOKEN_PREFIX):
        return None
    try:
        payload = read_access_token(token, secret=secret)
    except Unauthorized:
        return None
    sid = payload.get("sid") or f"{payload['sub']}:{payload.get('iat', '')}"
    return csrf_token(secret=secret, binding=f"session:{sid}")


# Access tokens already verified, by (secret, token): the same string is the same signed claims, so only
# its expiry is checked again. Decoding and verifying each request's token cost a few percent of a list
# request's CPU.
_verified: dict[tuple[str, str], dict[str, Any]] = {}


def read_access_token(token: str, *, secret: str) -> dict[str, Any]:
    key = (secret, token)
    payload = _verified.get(key)
    if payload is not None:
        if payload["exp"] > time.time():
            return payload
        del _verified[key]
        raise Unauthorized("invalid or expired token")
    try:
        payload = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid or expired token") from exc
    if payload.get("typ") != "access":
        raise Unauthorized("invalid token type")
    if len(_verified) >= 10_000:
        _verified.clear()
    _verified[key] = payload
    return payload


def new_machine_token() -> tuple[str, str]:
    """A new machine token and the digest stored for it."""
    token = MACHINE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
