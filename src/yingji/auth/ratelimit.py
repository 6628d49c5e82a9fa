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

Also here: :class:`WindowLimits`, the public routes' per-address limits in fixed windows (the tip routes,
``tips.api.TipGate``), shared the same way — Redis, else the same database table under keys of their own.
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


def _redis_with(redis_url: str | None, script: str) -> tuple[Any, Any]:
    """A Redis client of ``redis_url`` (short timeouts) and ``script`` registered on it; both None without a URL."""
    if not redis_url:
        return None, None
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
    return client, client.register_script(script)


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
        self._redis, self._admit_script = _redis_with(redis_url, _ADMIT)
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


# ------------------------------------------------------------------------------ fixed windows per address


@dataclass(frozen=True)
class FixedWindow:
    """At most ``limit`` events per key in each window of ``seconds``. Windows are aligned to the epoch
    (window ``now // seconds``), so every process on one clock agrees where a window starts and ends."""

    limit: int
    seconds: float

    def __post_init__(self) -> None:
        if not 0 < self.seconds <= FORGET_AFTER_S:  # the stores forget a key a day after its window started
            raise ValueError(f"a window lasts more than 0 and at most {FORGET_AFTER_S} s")

    def start(self, now: float) -> float:
        return (now // self.seconds) * self.seconds

    def end(self, now: float) -> float:
        return self.start(now) + self.seconds


class SharedWindowStore(Protocol):
    """Windows shared by every process (the database): ``count`` counts one event on ``key`` in ``now``'s
    window and answers True, or — the window being full — counts nothing and answers False; atomic."""

    def count(self, key: str, window: FixedWindow, now: float) -> bool: ...


# One round trip: a key is a hash {w: window number, n: events counted in it}; a later window starts at 0.
_COUNT = """
local w, limit, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'w', 'n')
local n = 0
if tonumber(state[1]) ~= nil and tonumber(state[1]) >= w then n = tonumber(state[2]) or 0; w = tonumber(state[1]) end
if n >= limit then return 0 end
redis.call('HSET', KEYS[1], 'w', w, 'n', n + 1)
redis.call('EXPIRE', KEYS[1], ttl)
return 1
"""


class WindowLimits:
    """Per-address limits in fixed windows on public routes (the tip routes: ``tips.api.TipGate``), shared by
    every server process as the login throttle's counts are: a Redis script when ``YINGJI_REDIS_URL`` is set
    and reachable, else the database every process uses (a :class:`SharedWindowStore`:
    ``auth.service.DatabaseThrottleStore``, table ``login_throttle``, keys ``<namespace>:window:…``); only
    when both are unreachable (or no store is given) does a process count on its own.

    A process that learns a key's window is full refuses it until the window ends without asking again (a
    window's count only grows), so a flood from one address costs no Redis or database work."""

    def __init__(
        self,
        redis_url: str | None,
        *,
        namespace: str = "yingji",
        store: SharedWindowStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.namespace, self.clock = namespace, clock
        self._redis, self._count_script = _redis_with(redis_url, _COUNT)
        self._store = store
        self._full: dict[str, float] = {}  # keys whose window is full, with when it ends
        self._local: dict[str, tuple[float, int]] = {}  # the last resort: window start and count per key
        self._lock = threading.Lock()
        self.refused = 0  # events refused so far

    def _key(self, name: str, client: str) -> str:
        return f"{self.namespace}:window:{name}:{client}"

    def noted(self, name: str, client: str) -> int:
        """Seconds until the window of ``client`` ends when this process already knows it is full, else 0
        (no I/O: callers on an event loop ask this before running :meth:`admit` in a thread)."""
        now = self.clock()
        until = self._full.get(self._key(name, client), 0.0)
        if until <= now:
            return 0
        self.refused += 1
        return max(1, math.ceil(until - now))

    def admit(self, name: str, client: str, window: FixedWindow) -> int:
        """Count one event of ``client`` in window ``name`` and answer 0, or answer the seconds until the
        window ends (counting nothing) when it already holds ``window.limit`` events."""
        now = self.clock()
        key = self._key(name, client)
        end = window.end(now)
        with self._lock:
            if self._full.get(key, 0.0) > now:
                self.refused += 1
                return max(1, math.ceil(self._full[key] - now))
        admitted = self._shared(key, window, now)
        if admitted is None:
            admitted = self._count_locally(key, window, now)
        if admitted:
            return 0
        with self._lock:
            if len(self._full) > 100_000:
                self._full = {k: t for k, t in self._full.items() if t > now}
            self._full[key] = end
            self.refused += 1
        return max(1, math.ceil(end - now))

    def _shared(self, key: str, window: FixedWindow, now: float) -> bool | None:
        if self._redis is not None:
            args = [int(now // window.seconds), window.limit, math.ceil(window.end(now) - now) + 1]
            try:
                return bool(int(self._count_script(keys=[key], args=args)))
            except Exception as exc:  # Redis down: keep counting (shared through the database if we can)
                log.warning("address limits: Redis unreachable, counting in the database: %s", exc)
        if self._store is not None:
            try:
                return self._store.count(key, window, now)
            except Exception as exc:  # the database too: count in this process rather than not at all
                log.warning("address limits falling back to in-process counting: %s", exc)
        return None

    def _count_locally(self, key: str, window: FixedWindow, now: float) -> bool:
        start = window.start(now)
        with self._lock:
            if len(self._local) > 100_000:  # forget windows that have ended, and past that everything
                self._local = {k: v for k, v in self._local.items() if v[0] > now - FORGET_AFTER_S}
                if len(self._local) > 100_000:
                    self._local = {}
            began, count = self._local.get(key, (start, 0))
            if began < start:
                began, count = start, 0
            if count >= window.limit:
                return False
            self._local[key] = (began, count + 1)
            return True
