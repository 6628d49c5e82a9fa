"""Login throttling per ASVS 4.0.3 V2.2.1: exponential back-off per account, per client address and per
device, shared by every server process: through Redis when ``YINGJI_REDIS_URL`` is set and reachable,
otherwise through the database every process already shares (a :class:`SharedStore`, see
``auth.service.DatabaseThrottleStore``); in-process counting is the last resort (no store given, or the
database unreachable too).

An attempt is *admitted* before the password hash is computed, and admitting it counts it as a failure at
once (one atomic step: a burst of simultaneous guesses cannot all slip through before the first failure is
recorded); a successful sign-in clears the keys it was counted on.

Who is counted where (the device-cookie scheme of OWASP's "Slow down online guessing attacks with device
cookies"):

- a client holding a valid device cookie for that user (it signed in as that user before) is counted on
  its device only: others' failures, on the account or from its address, never lock it out;
- any other client is counted on the account and on its address: once the account is in back-off,
  even the right password is refused to such clients until the delay has passed.

After ``free`` failures on a key, the next attempt must wait ``base_s`` seconds, then twice as long after
each further failure, up to ``max_s``. A key is forgotten a day after its last attempt.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from yingji.errors import TooManyRequests

log = logging.getLogger(__name__)
FORGET_AFTER_S = 86_400


@dataclass(frozen=True)
class Backoff:
    free: int = 5
    base_s: float = 1.0
    max_s: float = 900.0

    def delay(self, failures: int) -> float:
        """How long after the last of ``failures`` failures the next attempt must wait."""
        if failures < self.free:
            return 0.0
        return float(min(self.max_s, self.base_s * 2.0 ** min(failures - self.free, 64)))


@dataclass(frozen=True)
class Attempt:
    """The keys an admitted attempt was counted on (cleared again by :meth:`LoginThrottle.succeeded`)."""

    keys: tuple[str, ...]
    by_device: bool


class SharedStore(Protocol):
    """Counts shared by every process (the database): ``admit`` counts the attempt on every key in one
    atomic step and returns {} — or, counting nothing, each key in back-off with the time it is free again."""

    def admit(self, keyed: Sequence[tuple[str, Backoff]], now: float) -> dict[str, float]: ...

    def clear(self, keys: Sequence[str]) -> None: ...


# One round trip: refuse if any key is in back-off, else count the attempt on every key.
_ADMIT = """
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local wait = 0
for i, key in ipairs(KEYS) do
  local free, base, cap = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  local state = redis.call('HMGET', key, 'n', 'last')
  local n, last = tonumber(state[1]) or 0, tonumber(state[2]) or 0
  if n >= free then
    local left = last + math.min(cap, base * 2 ^ math.min(n - free, 64)) - now
    if left > wait then wait = left end
  end
end
if wait > 0 then return tostring(wait) end
for _, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, 'n', 1)
  redis.call('HSET', key, 'last', ARGV[1])
  redis.call('EXPIRE', key, ttl)
end
return '0'
"""


class LoginThrottle:
    def __init__(
        self,
        redis_url: str | None,
        *,
        account: Backoff,
        client: Backoff,
        namespace: str = "yingji",
        clock: Callable[[], float] = time.time,
        store: SharedStore | None = None,
    ) -> None:
        self.account, self.client, self.device = account, client, account
        self.namespace = namespace
        self.clock = clock
        self._redis: Any = None
        self._admit_script: Any = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
            self._admit_script = self._redis.register_script(_ADMIT)
        self._store = store
        self._store_used = False
        # Keys the store found in back-off, with when they are free again: until then this process refuses
        # them without asking (a key in back-off admits no one before that time, in any process), so a
        # flood against a locked account costs no database work.
        self._blocked: dict[str, float] = {}
        self._local: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()
        self.refused = 0  # attempts refused so far (the server's metrics read it)

    @staticmethod
    def for_database(database_url: str) -> str:
        """A namespace per deployment (its database), so deployments sharing one Redis do not lock each
        other's accounts."""
        return "yingji:" + hashlib.sha256(database_url.encode()).hexdigest()[:12]

    def _key(self, kind: str, value: str) -> str:
        return f"{self.namespace}:login:{kind}:{value}"

    def admit(self, *, username: str, client: str, device: str | None) -> Attempt:
        """Count one sign-in attempt, or raise TooManyRequests (with ``retry_after`` seconds) without
        counting it when one of its keys is in back-off."""
        if device is not None:
            keyed = [(self._key("device", device), self.device)]
        else:
            account = username.lower()[:128]  # usernames have at most 64 characters; the form may send more
            keyed = [(self._key("account", account), self.account), (self._key("client", client), self.client)]
        wait = self._admit(keyed, self.clock())
        if wait > 0:
            self.refused += 1
            raise TooManyRequests(
                "too many failed sign-ins; wait before trying again", retry_after=max(1, math.ceil(wait))
            )
        return Attempt(tuple(key for key, _ in keyed), device is not None)

    def succeeded(self, attempt: Attempt) -> None:
        """The attempt's password was right: forget the failures counted on its keys."""
        if self._redis is not None:
            try:
                self._redis.delete(*attempt.keys)
            except Exception as exc:
                log.warning("login throttle: Redis unreachable, clearing in-process only: %s", exc)
        if self._store is not None and (self._redis is None or self._store_used):
            try:
                self._store.clear(attempt.keys)
            except Exception as exc:
                log.warning("login throttle: database unreachable, clearing in-process only: %s", exc)
        with self._lock:
            for key in attempt.keys:
                self._local.pop(key, None)
                self._blocked.pop(key, None)

    def _admit(self, keyed: list[tuple[str, Backoff]], now: float) -> float:
        if self._redis is not None:
            args: list[float] = [now, float(FORGET_AFTER_S)]
            for _, backoff in keyed:
                args += [backoff.free, backoff.base_s, backoff.max_s]
            try:
                return float(self._admit_script(keys=[key for key, _ in keyed], args=args))
            except Exception as exc:  # Redis down: keep throttling (shared through the database if we can)
                log.warning("login throttle: Redis unreachable, counting in the database: %s", exc)
        if self._store is not None:
            with self._lock:
                until = max((self._blocked.get(key, 0.0) for key, _ in keyed), default=0.0)
            if until > now:
                return until - now
            self._store_used = True  # (with Redis: since it was unreachable once; successes clear both)
            try:
                blocked = self._store.admit(keyed, now)
            except Exception as exc:  # the database too: keep throttling in this process rather than not at all
                log.warning("login throttle falling back to in-process counting: %s", exc)
            else:
                if not blocked:
                    return 0.0
                with self._lock:
                    if len(self._blocked) > 100_000:
                        self._blocked = {k: t for k, t in self._blocked.items() if t > now}
                    self._blocked.update(blocked)
                return max(blocked.values()) - now
        with self._lock:
            if len(self._local) > 100_000:  # forget what is older than a day, and past that the oldest half
                kept = sorted((v[1], k) for k, v in self._local.items() if v[1] > now - FORGET_AFTER_S)
                self._local = {k: self._local[k] for _, k in kept[-50_000:]}
            wait = 0.0
            for key, backoff in keyed:
                failures, last = self._local.get(key, (0, 0.0))
                if last < now - FORGET_AFTER_S:
                    failures = 0
                wait = max(wait, last + backoff.delay(failures) - now if failures >= backoff.free else 0.0)
            if wait > 0:
                return wait
            for key, _ in keyed:
                failures, last = self._local.get(key, (0, 0.0))
                self._local[key] = ((0 if last < now - FORGET_AFTER_S else failures) + 1, now)
            return 0.0
