"""Login rate limiting that holds across server processes (Redis fixed window), with an in-process
fallback when Redis is not configured or not reachable."""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from typing import Any

from yingji.errors import TooManyRequests

log = logging.getLogger(__name__)
WINDOW_S = 60


class LoginLimiter:
    def __init__(self, redis_url: str | None, per_minute: int, namespace: str = "yingji") -> None:
        self.per_minute = per_minute
        self.namespace = namespace
        self._redis: Any = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
        self._local: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def _count(self, key: str) -> int:
        window = int(time.time() // WINDOW_S)
        full_key = f"{self.namespace}:login:{key}:{window}"
        if self._redis is not None:
            try:
                pipe = self._redis.pipeline()
                pipe.incr(full_key)
                pipe.expire(full_key, WINDOW_S * 2)
                return int(pipe.execute()[0])
            except Exception as exc:  # Redis down: keep limiting in this process rather than not at all
                log.warning("login limiter falling back to in-process counting: %s", exc)
        with self._lock:
            self._local[full_key] += 1
            return self._local[full_key]

    def hit(self, username: str, client: str) -> None:
        """Count one attempt; raise TooManyRequests past the limit for this user or this client."""
        for key in (f"user:{username.lower()}", f"client:{client}"):
            if self._count(key) > self.per_minute:
                raise TooManyRequests("too many login attempts; wait a minute and try again")
