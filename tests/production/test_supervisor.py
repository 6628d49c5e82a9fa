"""``yingji run``: children started, restarted after a crash with a growing pause, periodic steps never
twice at once, and everything stopped on SIGTERM — the policy on an injected clock, then the real thing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import free_port
from yingji.supervisor import Child, Supervisor


class FakeProcess:
    pids = iter(range(1000, 100000))

    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = list(argv)
        self.pid = next(self.pids)
        self.code: int | None = None
        self.signals: list[int] = []
        self.stubborn = False

    def poll(self) -> int | None:
        return self.code

    def send_signal(self, sig: int) -> None:
        self.signals.append(sig)
        if not self.stubborn:
            self.code = -sig

    def kill(self) -> None:
        self.code = -9


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make(children: list[Child]) -> tuple[Supervisor, Clock, list[FakeProcess]]:
    clock, started = Clock(), []

    def start(argv: Sequence[str]) -> FakeProcess:
        started.append(FakeProcess(argv))
        return started[-1]

    return Supervisor(children, start=start, clock=clock), clock, started


def test_a_crashed_child_is_restarted_after_a_pause_that_grows() -> None:
    sup, clock, started = make([Child("server", ["serve"])])
    sup.step()
    pauses = []
    for _ in range(5):
        started[-1].code = 1  # crashes at once
        sup.step()
        crashed_at, count = clock.now, len(started)
        while len(started) == count:
            clock.now += 0.25
            sup.step()
        pauses.append(clock.now - crashed_at)
    assert pauses == sorted(pauses) and pauses[0] <= 0.5 and pauses[-1] >= 8
    assert sup.children[0].restarts == 5


def test_a_periodic_step_runs_every_interval_and_never_twice_at_once() -> None:
    sup, clock, started = make([Child("tick", ["tick"], every_s=60)])
    sup.step()
    clock.now = 61
    sup.step()
    assert len(started) == 1  # still running: not started again
    started[0].code = 0
    sup.step()
    assert len(started) == 2  # due since t=60
    started[1].code = 0
    clock.now = 100
    sup.step()
    assert len(started) == 2
    clock.now = 121
    sup.step()
    assert len(started) == 3


def test_stop_terminates_every_child_and_kills_one_that_does_not_stop() -> None:
    sup, clock, started = make([Child("a", ["a"]), Child("b", ["b"])])
    sup.step()
    started[1].stubborn = True

    def sleep(seconds: float) -> None:
        clock.now += seconds

    sup.stop(sleep=sleep)
    assert [p.signals for p in started] == [[signal.SIGTERM], [signal.SIGTERM]]
    assert started[1].code == -9 and clock.now >= sup.stop_timeout_s
    sup.step()
    assert len(started) == 2  # stopping: nothing new


@pytest.mark.slow
def test_yingji_run_restarts_a_killed_server_and_stops_everything_on_sigterm(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINGJI_")}
    env.update(
        YINGJI_DATABASE_URL=f"sqlite:///{tmp_path / 'yingji.db'}",
        YINGJI_REDIS_URL="",
        YINGJI_STATE_DIR=str(tmp_path / "state"),
        YINGJI_TICK_INTERVAL_S="2",
    )
    yingji = [sys.executable, "-m", "yingji"]
    assert subprocess.run([*yingji, "db", "upgrade"], env=env, capture_output=True, check=False).returncode == 0
    port = free_port()
    runner = subprocess.Popen(
        [*yingji, "run", "--port", str(port), "--workers", "1"], env=env, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        server = _wait_for_server(runner, base)
        ticks = _wait_for(lambda: [c for c in _children(runner) if "tick" in " ".join(_cmd(c))], runner)
        assert ticks  # the periodic steps run too
        server.kill()

        def new_server() -> list[psutil.Process]:
            return [c for c in _children(runner) if "serve" in _cmd(c) and c.pid != server.pid]

        assert _wait_for(new_server, runner)
        _wait_for_server(runner, base)
        every = [psutil.Process(runner.pid), *psutil.Process(runner.pid).children(recursive=True)]
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(timeout=15) == 0
        _gone, alive = psutil.wait_procs(every, timeout=5)
        assert not alive
    finally:
        if runner.poll() is None:
            runner.kill()


def _children(runner: subprocess.Popen[str]) -> list[psutil.Process]:
    try:
        return psutil.Process(runner.pid).children()
    except psutil.NoSuchProcess:
        return []


def _cmd(process: psutil.Process) -> list[str]:
    """A child's command line; empty for one that has just exited (a zombie until reaped)."""
    try:
        return list(process.cmdline())
    except psutil.Error:
        return []


def _wait_for(probe, runner: subprocess.Popen[str], limit: int = 1200):  # type: ignore[no-untyped-def]
    for _ in range(limit):
        assert runner.poll() is None, runner.stderr.read() if runner.stderr else ""
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("not reached")


def _wait_for_server(runner: subprocess.Popen[str], base: str) -> psutil.Process:
    def up() -> bool:
        try:
            return httpx.get(base + "/api/v1/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    _wait_for(up, runner)
    return next(c for c in _children(runner) if "serve" in _cmd(c))
