"""Password hashing (argon2), access tokens (JWT HS256) and machine tokens (random, stored hashed)."""

from __future__ import annotations

import datetime as dt
import hashlib
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


def issue_access_token(*, username: str, secret: str, minutes: int, now: dt.datetime, version: int = 0) -> str:
    """A signed access token; ``version`` is the user's ``token_version`` (a bump revokes the token)."""
    payload = {
        "sub": username,
        "ver": version,
        "iat": int(now.timestamp()),
        "exp": int((now + dt.timedelta(minutes=minutes)).timestamp()),
        "typ": "access",
    }
    return jwt.encode(payload, secret, algorithm="HS256")


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
