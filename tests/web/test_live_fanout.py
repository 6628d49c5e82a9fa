"""Live updates stay correct when the server runs as several processes: two uvicorn workers behind one
port, events fan out through Redis, so a stream sees writes that the other worker handled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from tests.conftest import DEMO_PASSWORD, free_port

YINGJI = str(Path(sys.executable).parent / "yingji")
REDIS = "redis://127.0.0.1:6379/0"


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379; fan-out across workers needs it")


def test_events_reach_a_stream_whichever_worker_handled_the_write(sqlite_template: Path, tmp_path: Path) -> None:
    _redis_or_skip()
    db = tmp_path / "fanout.db"
    db.write_bytes(sqlite_template.read_bytes())
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("YINGJI_")},
        "YINGJI_DATABASE_URL": f"sqlite:///{db}",
        "YINGJI_REDIS_URL": REDIS,
        "YINGJI_LOGIN_FREE_ATTEMPTS": "1000",
    }
    server = subprocess.Popen(
        [YINGJI, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        token = httpx.post(
            base + "/api/v1/auth/token", data={"username": "dingri_duty", "password": DEMO_PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        marker = uuid.uuid4().hex[:8]
        writes = 8
        seen: set[str] = set()
        ready = threading.Event()

        def listen() -> None:
            with httpx.stream("GET", base + "/api/v1/events", headers=headers, timeout=60) as response:
                ready.set()
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        event = json.loads(line[6:])
                        if event["entity"] == "api_token":
                            seen.add(event["id"])
                            if len(seen) >= writes:
                                return

        thread = threading.Thread(target=listen, daemon=True)
        thread.start()
        assert ready.wait(30)
        time.sleep(1.5)
        created = set()
        for i in range(writes):  # new connections: the kernel spreads them over both workers
            with httpx.Client(base_url=base, headers=headers) as client:
                created.add(str(client.post("/api/v1/tokens", json={"name": f"{marker}-{i}"}).json()["id"]))
        thread.join(timeout=60)
        assert created <= seen, f"events missing for tokens {created - seen}"
    finally:
        server.terminate()
        server.wait(timeout=30)
