"""Metrics in the Prometheus text format (issue #19, Deliver 8), read through real HTTP: the server's
``/api/v1/metrics`` (loopback without a proxy, or a token) and a monitoring worker's loopback listener,
also through ``yingji monitor status``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveServer, free_port, test_settings
from tests.monitoring.conftest import RULES_YAML, Broker
from tests.monitoring.test_monitoring_mqtt import payloads, publish, readings
from yingji.metrics import parse

YINGJI = str(Path(sys.executable).parent / "yingji")


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("metrics") / "m.db"
    env = {**os.environ, "YINGJI_DATABASE_URL": f"sqlite:///{path}"}
    subprocess.run([YINGJI, "db", "upgrade"], env=env, check=True, capture_output=True)
    return f"sqlite:///{path}"


def test_server_metrics_count_requests_by_route_template_on_loopback(sqlite_url: str) -> None:
    with LiveServer(test_settings(sqlite_url)) as server, server.client() as client:
        for _ in range(3):
            assert client.get("/api/v1/incidents/12345").status_code == 401
        client.get("/api/v1/health")
        answer = client.get("/api/v1/metrics")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain")
        samples = parse(answer.text)
        key = 'yingji_http_requests_total{method="GET",route="/api/v1/incidents/{incident_id}",status="401"}'
        assert samples[key] == 3
        assert samples['yingji_http_request_duration_seconds_count{route="/api/v1/health"}'] >= 1
        assert samples["yingji_event_streams_open"] == 0
        assert "yingji_login_throttled_total" in samples
        assert not any("12345" in name for name in samples)  # templates, never concrete paths


def test_server_metrics_refuse_a_client_that_came_through_a_proxy(sqlite_url: str) -> None:
    with LiveServer(test_settings(sqlite_url)) as server, server.client() as client:
        assert client.get("/api/v1/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404


def test_server_metrics_with_a_token_require_it(sqlite_url: str) -> None:
    token = "m-" + "q7Zr" * 8
    with LiveServer(test_settings(sqlite_url, metrics_token=token)) as server, server.client() as client:
        assert client.get("/api/v1/metrics").status_code == 404
        assert client.get("/api/v1/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
        good = client.get("/api/v1/metrics", headers={"Authorization": f"Bearer {token}"})
        assert good.status_code == 200 and "yingji_http_requests_total" in good.text


def test_login_throttle_refusals_are_counted(sqlite_url: str) -> None:
    settings = test_settings(sqlite_url, login_free_attempts=1, login_client_free_attempts=1)
    with LiveServer(settings) as server, server.client() as client:
        for _ in range(3):
            client.post("/api/v1/auth/token", data={"username": "nobody", "password": "wrong-password-1"})
        samples = parse(client.get("/api/v1/metrics").text)
        assert samples["yingji_login_throttled_total"] >= 1


def _status(port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [YINGJI, "monitor", "status", "--port", str(port), "--json"], capture_output=True, text=True, check=False
    )


@pytest.mark.skipif(shutil.which("mosquitto") is None, reason="mosquitto binary not installed")
def test_a_running_worker_serves_its_counts_and_the_status_command_reads_them(tmp_path: Path) -> None:
    broker = Broker(tmp_path)
    port = free_port()
    (tmp_path / "rules.yaml").write_text(RULES_YAML)
    command = [YINGJI, "monitor", "worker", "--rules", str(tmp_path / "rules.yaml")]
    command += ["--mqtt", f"mqtt://127.0.0.1:{broker.port}", "--client-id", "w-metrics"]
    command += ["--alarms", str(tmp_path / "alarms.jsonl"), "--tick-s", "0", "--metrics-port", str(port)]
    worker = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert worker.stderr is not None
        seen = ""
        while "subscribed" not in seen:
            line = worker.stderr.readline().decode()
            assert line, seen
            seen += line
        rows = readings(sites=2, per_site=120)
        publish(broker.port, [*payloads(rows), ("yingji/readings/x", b"not json")], client_id="pub-metrics")
        deadline = time.monotonic() + 60
        view: dict[str, float] = {}
        while time.monotonic() < deadline:
            answer = _status(port)
            assert answer.returncode == 0, answer.stderr
            view = json.loads(answer.stdout)
            if view["readings"] == len(rows) and view["dead_letters"] == 1:
                break
            time.sleep(0.1)
        assert view["readings"] == len(rows)
        assert view["dead_letters"] == 1
        assert view["alarms_raised"] > 0 and view["batches"] > 0
        raw = parse(httpx.get(f"http://127.0.0.1:{port}/metrics").text)
        assert raw["yingji_worker_batch_latency_seconds_count"] == view["batches"]
        assert sum(v for k, v in raw.items() if k.startswith("yingji_worker_dead_letters_by_reason_total")) == 1
    finally:
        worker.terminate()
        worker.wait(20)
        broker.stop()
    assert _status(port).returncode == 1  # no worker answers any more
