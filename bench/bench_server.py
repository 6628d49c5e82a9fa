"""A server process for the benches: started in its own process group, ready once its health answers,
stopped with the whole group."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence

import httpx


def launch(cmd: Sequence[str], env: Mapping[str, str], port: int, wait_s: float = 60) -> subprocess.Popen[bytes]:
    """Start ``cmd`` and return once ``/api/v1/health`` on ``port`` answers 200 (RuntimeError after ``wait_s``)."""
    server = subprocess.Popen(list(cmd), env=dict(env), start_new_session=True)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop_server(server)
    raise RuntimeError("the server did not start")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
