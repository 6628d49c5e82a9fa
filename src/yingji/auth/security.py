"""Password hashing (argon2), access tokens (JWT HS256) and machine tokens (random, stored hashed)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from yingji.auth.passwords import password_problem
from yingji.errors import InvalidInput, Unauthorized

# Argon2id at OWASP's password-storage baseline (19 MiB, 2 passes, 1 lane) rather than argon2-cffi's default
# (64 MiB, 3 passes, 4 lanes): each hash being computed holds its memory, and sign-in is open to everyone.
# Hashes made with other parameters still verify, and are re-made with these at the next sign-in.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Hashes computed at once per process: the work is CPU-bound (more at once only queue for the cores) and each
# holds its memory, so a burst of sign-ins waits here instead of growing the server by 19-64 MiB a head.
HASHES_AT_ONCE = 2
_hashing = threading.BoundedSemaphore(HASHES_AT_ONCE)
KeyRing = str | Sequence[str]  # one key, or the current key then the previous ones
MACHINE_TOKEN_PREFIX = "yjt_"


def check_password_policy(password: str, username: str = "") -> None:
    """ASVS 2.1: at least 12 characters, not a common password, not containing the username; no
    composition rules (:func:`yingji.auth.passwords.password_problem`)."""
    problem = password_problem(password, username)
    if problem:
        raise InvalidInput(problem, field="password")


def hash_password(password: str) -> str:
    with _hashing:
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        with _hashing:
            return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Made with other parameters than today's (see ``_hasher``)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


# A fixed hash to verify against when the user does not exist, so timing does not reveal usernames.
DUMMY_HASH = _hasher.hash("dummy-password-not-used-1!")


def issue_access_token(
    *, username: str, secret: str, minutes: int, now: dt.datetime, version: int = 0, sid: str | None = None
) -> str:
    """A signed access token; ``version`` is the user's ``token_version`` (a bump revokes the token).
    ``sid`` names the sign-in session: a new one at each sign-in, kept when a page session's cookie is
    re-issued, so the session's CSRF token (``csrf_token``) stays the same."""
    payload = {
        "sub": username,
        "ver": version,
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


def key_ring(secret: KeyRing) -> tuple[str, ...]:
    """The keys to verify with, the current (signing) key first: ``YINGJI_SECRET_KEY`` then
    ``YINGJI_SECRET_KEY_PREVIOUS`` during a rotation's grace period (docs/security.md)."""
    return (secret,) if isinstance(secret, str) else tuple(secret)


def session_csrf_token(token: str | None, *, secret: KeyRing) -> str | None:
    """The CSRF token of the page session whose cookie holds ``token`` (made with the current key); None
    without a valid session."""
    tokens = session_csrf_tokens(token, secret=secret)
    return tokens[0] if tokens else None


def session_csrf_tokens(token: str | None, *, secret: KeyRing) -> list[str]:
    """The CSRF tokens accepted for the session of ``token``: one per key of the ring (a page rendered
    before a rotation still posts), current key first; none without a valid session."""
    if not token or token.startswith(MACHINE_TOKEN_PREFIX):
        return []
    try:
        payload = read_access_token(token, secret=secret)
    except Unauthorized:
        return []
    sid = payload.get("sid") or f"{payload['sub']}:{payload.get('iat', '')}"
    return [csrf_token(secret=key, binding=f"session:{sid}") for key in key_ring(secret)]


# Access tokens already verified, by (secret, token): the same string is the same signed claims, so only
# its expiry is checked again. Decoding and verifying each request's token cost a few percent of a list
# request's CPU.
_verified: dict[tuple[tuple[str, ...], str], dict[str, Any]] = {}


def _decode_with_ring(token: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """The claims of a token signed with any key of the ring; its expiry is judged by the caller's clock."""
    for number, signing_key in enumerate(keys):
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                signing_key,
                algorithms=["HS256"],
                options={"require": ["exp", "sub"], "verify_exp": False},
            )
            return claims
        except jwt.InvalidSignatureError as exc:  # perhaps signed with an older key of the ring
            if number == len(keys) - 1:
                raise Unauthorized("invalid or expired token") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("invalid or expired token") from exc
    raise Unauthorized("invalid or expired token")


def read_access_token(token: str, *, secret: KeyRing, clock: Callable[[], float] = time.time) -> dict[str, Any]:
    """The claims of a valid access token signed with any key of the ring (see :func:`key_ring`);
    ``clock`` (epoch seconds) decides whether it has expired."""
    keys = key_ring(secret)
    key = (keys, token)
    payload = _verified.get(key)
    if payload is None:
        payload = _decode_with_ring(token, keys)
        if payload.get("typ") != "access":
            raise Unauthorized("invalid token type")
        if len(_verified) >= 10_000:
            _verified.clear()
        _verified[key] = payload
    if not isinstance(payload["exp"], int | float) or payload["exp"] <= clock():
        _verified.pop(key, None)
        raise Unauthorized("invalid or expired token")
    return payload


def new_machine_token() -> tuple[str, str]:
    """A new machine token and the digest stored for it."""
    token = MACHINE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- device cookies (login throttling: auth.ratelimit) --------------------------------------------------
# A browser or client that signed in as a user gets a cookie naming a random device id, signed with the
# secret key and bound to the username: holding it proves that client signed in as that user before, so
# others' failed guesses never lock it out. The cookie's name is derived from the username too (a client
# may be a device of several users), without revealing it.

DEVICE_COOKIE_PREFIX = "yingji_device_"
DEVICE_COOKIE_DAYS = 180


def _device_mac(secret: str, *parts: str) -> str:
    return hmac.new(secret.encode(), "\x00".join(parts).encode(), hashlib.sha256).hexdigest()


def device_cookie_name(username: str, secret: str) -> str:
    return DEVICE_COOKIE_PREFIX + _device_mac(secret, "device-cookie-name", username.lower())[:16]


def new_device_cookie(username: str, secret: str) -> str:
    device = secrets.token_urlsafe(18)
    return f"{device}.{_device_mac(secret, 'device', username.lower(), device)}"


def device_of_request(cookies: Mapping[str, str], username: str, secret: KeyRing) -> str | None:
    """The device id of the client's valid device cookie of ``username`` under any key of the ring (the
    cookie's name depends on the key, so a cookie set before a rotation is found under its old name)."""
    for key in key_ring(secret):
        device = device_of(cookies.get(device_cookie_name(username, key)), username, key)
        if device is not None:
            return device
    return None


def device_of(cookie: str | None, username: str, secret: str) -> str | None:
    """The device id of a valid device cookie of ``username``; None for a missing or forged one."""
    if not cookie or len(cookie) > 200 or "." not in cookie:
        return None
    device, mac = cookie.split(".", 1)
    if not hmac.compare_digest(mac, _device_mac(secret, "device", username.lower(), device)):
        return None
    return device
