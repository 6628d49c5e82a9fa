"""``yingji run``: one command for a single-server installation. It starts the server, the monitoring
worker (when a broker and rules are configured) and the periodic steps (the incident scheduler, the
alarm tick, the 叫应 tick) as child processes of the same settings, restarts a child that dies (with a
growing pause, so a crash loop cannot spin), and on SIGTERM or SIGINT stops them all within a bound.

Pure process supervision: no database, no web framework. The clock and the process starter are
injected, so the policy is tested without waiting.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger("yingji.supervisor")

MAX_BACKOFF_S = 30.0


class Process(Protocol):
    pid: int

    def poll(self) -> int | None: ...

    def send_signal(self, sig: int) -> None: ...

    def kill(self) -> None: ...


@dataclass
class Child:
    """One supervised program: ``every_s`` None keeps it running (restarted when it exits); a number
    starts it again that long after its previous start (a periodic step; never two at once)."""

    name: str
    argv: Sequence[str]
    every_s: float | None = None
    process: Process | None = None
    started_at: float | None = None
    failures: int = 0
    not_before: float = 0.0
    restarts: int = field(default=0)

    def due(self, now: float) -> bool:
        if self.process is not None or now < self.not_before:
            return False
        if self.every_s is None or self.started_at is None:
            return True
        return now - self.started_at >= self.every_s


def _start(argv: Sequence[str]) -> Process:
    return subprocess.Popen(list(argv))


class Supervisor:
    def __init__(
        self,
        children: Sequence[Child],
        *,
        start: Callable[[Sequence[str]], Process] = _start,
        clock: Callable[[], float] = time.monotonic,
        stop_timeout_s: float = 8.0,
    ) -> None:
        self.children = list(children)
        self._start = start
        self._clock = clock
        self.stop_timeout_s = stop_timeout_s
        self.stopping = False

    def step(self) -> None:
        """Reap what exited, then start what is due."""
        now = self._clock()
        for child in self.children:
            if child.process is not None:
                code = child.process.poll()
                if code is None:
                    continue
                child.process = None
                if child.every_s is None or code != 0:
                    child.failures += 1
                    pause = min(MAX_BACKOFF_S, 0.5 * 2 ** (child.failures - 1))
                    if child.started_at is not None and now - child.started_at > 60:
                        child.failures, pause = 1, 0.5  # it ran a good while: not a crash loop
                    child.not_before = now + pause
                    log.warning("%s exited with %s; restarting in %.1f s", child.name, code, pause)
                else:
                    child.failures = 0
            if not self.stopping and child.due(now):
                child.process = self._start(child.argv)
                if child.started_at is not None and child.every_s is None:
                    child.restarts += 1
                child.started_at = now
                log.info("started %s (pid %s)", child.name, child.process.pid)

    def stop(self, sleep: Callable[[float], None] = time.sleep) -> None:
        """SIGTERM to every child, SIGKILL to those still running after ``stop_timeout_s``."""
        self.stopping = True
        running = [c for c in self.children if c.process is not None]
        for child in running:
            assert child.process is not None
            child.process.send_signal(signal.SIGTERM)
        deadline = self._clock() + self.stop_timeout_s
        while any(c.process is not None and c.process.poll() is None for c in running):
            if self._clock() >= deadline:
                for child in running:
                    if child.process is not None and child.process.poll() is None:
                        log.warning("%s did not stop in %.0f s: killed", child.name, self.stop_timeout_s)
                        child.process.kill()
                break
            sleep(0.05)
        for child in running:
            child.process = None

    def run(self, poll_s: float = 0.2) -> None:
        """Until SIGTERM or SIGINT."""

        def on_signal(_signum: int, _frame: Any) -> None:
            self.stopping = True

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        log.info("supervising %s", ", ".join(c.name for c in self.children))
        while not self.stopping:
            self.step()
            time.sleep(poll_s)
        self.stop()
        log.info("stopped")
