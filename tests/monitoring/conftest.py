"""Monitoring fixtures shared by the broker tests: the rule mix they replay, and private Mosquitto and
nats-server instances (own ports and stores, started and stopped by the tests — never the machine's
shared services)."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from tests.conftest import free_port

from yingji.monitoring.clock import parse_timestamp
from yingji.monitoring.rules.ruleset import parse_ruleset

# limit with deadband and delay, rate of change, 1-h windowed sum, stale: the mix of the benchmark
RULES_YAML = """
rules:
  - {id: high, kind: limit, high: 8.0, deadband: 1.0, on_delay_s: 120}
  - {id: rise, kind: rate, high: 3.0}
  - {id: rain-1h, kind: window, agg: sum, window_s: 3600, high: 60.0}
  - {id: silent, kind: stale, timeout_s: 900}
"""
RULES = parse_ruleset(yaml.safe_load(RULES_YAML))
T0 = parse_timestamp("2026-07-01T00:00:00")

__all__ = ["RULES", "RULES_YAML", "T0", "Broker", "Nats", "free_port", "wait_for_port"]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server on {port} did not start")


class Broker:
    """A private Mosquitto on its own port, with persistence so a graceful restart keeps sessions."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.config = directory / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n"
            f"persistence true\npersistence_location {directory}/\nautosave_interval 1\n"
            # Mosquitto started as root drops to user "mosquitto", who cannot write a test's directory
            f"user {getpass.getuser()}\n"
        )
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            ["mosquitto", "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_port(self.port)
        return process

    def restart(self) -> None:
        self.process.terminate()  # graceful: Mosquitto saves its sessions and queues
        self.process.wait(10)
        self.process = self._start()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


class Nats:
    """A private nats-server with JetStream and its own store."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.store = directory / "jetstream"
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            ["nats-server", "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        return process

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def restart(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.process = self._start()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    if shutil.which("mosquitto") is None:
        pytest.skip("mosquitto binary not installed")
    running = Broker(tmp_path)
    yield running
    running.stop()


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[Nats]:
    if shutil.which("nats-server") is None:
        pytest.skip("nats-server binary not installed")
    server = Nats(tmp_path)
    yield server
    server.stop()


def wal_bytes(checkpoint: Path) -> int:
    """Bytes of write-ahead log a worker with this checkpoint has written so far."""
    return sum(p.stat().st_size for p in checkpoint.parent.glob(f"{checkpoint.name}.wal.*") if p.is_file())


def wait_until_logging(checkpoint: Path, beyond: int = 0, timeout: float = 60.0) -> None:
    """Poll until the worker has logged readings past ``beyond`` bytes: it is mid-stream (a readiness poll,
    not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while wal_bytes(checkpoint) <= beyond:
        assert time.monotonic() < deadline, f"the worker logged nothing in {timeout} s"
        time.sleep(0.01)
