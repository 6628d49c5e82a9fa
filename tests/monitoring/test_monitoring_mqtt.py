"""MQTT worker against a private Mosquitto (own port, started and stopped here — never the shared
broker): alarms equal an uninterrupted replay, also after SIGKILL of the worker and a broker restart."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tests.monitoring.conftest import RULES, RULES_YAML, T0, Broker, wait_until_logging, wal_bytes

from yingji.monitoring.clock import format_timestamp, parse_timestamp
from yingji.monitoring.ingest import replay
from yingji.monitoring.readings import Reading
from yingji.monitoring.rules import AlarmEvent
from yingji.monitoring.sinks import MemorySink
from yingji.monitoring.worker import MqttWorker, WorkerConfig

pytestmark = pytest.mark.skipif(shutil.which("mosquitto") is None, reason="mosquitto binary not installed")


def readings(sites: int = 6, per_site: int = 240) -> list[Reading]:
    """Per sensor one reading a minute; a value that climbs and falls, rain bursts, one silent gap."""
    out = []
    for minute in range(per_site):
        for site in range(sites):
            if site == 2 and 100 <= minute < 120:
                continue  # sensor silent for 20 minutes
            value = (minute % 60) / 6.0 + site * 0.3
            out.append(Reading(f"S{site}-L", T0 + minute * 60_000, value))
            out.append(Reading(f"S{site}-R", T0 + minute * 60_000, 3.0 if (minute // 30) % 3 == 0 else 0.0))
    return out


def payloads(rows: list[Reading], per_message: int = 20) -> list[tuple[str, bytes]]:
    by_site: dict[str, list[Reading]] = {}
    for row in rows:
        by_site.setdefault(row.sensor_id.split("-")[0], []).append(row)
    messages = []
    for site, items in by_site.items():
        for k in range(0, len(items), per_message):
            chunk = items[k : k + per_message]
            body = [{"sensor_id": r.sensor_id, "ts": format_timestamp(r.ts), "value": r.value} for r in chunk]
            messages.append((f"yingji/readings/{site}", json.dumps(body).encode()))
    return messages


def publish(port: int, messages: list[tuple[str, bytes]], client_id: str = "pub") -> None:
    """A publisher with retries: QoS 1, waits for every PUBACK, reconnects when the broker goes away."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
    client.max_inflight_messages_set(200)
    client.reconnect_delay_set(0.2, 1)
    for _ in range(100):
        try:
            client.connect("127.0.0.1", port)
            break
        except OSError:
            time.sleep(0.2)
    client.loop_start()
    pending = [client.publish(topic, body, qos=1) for topic, body in messages]
    for info in pending:
        info.wait_for_publish(60)
    client.disconnect()
    client.loop_stop()


def expected_events(rows: list[Reading]) -> list[tuple[int, bool, str, str]]:
    """What an uninterrupted replay of the same readings, in the order each site published them, gives."""
    ordered = [r for _, body in payloads(rows) for r in _decode(body)]
    records, _ = replay(ordered, RULES, until=None)
    del records
    from yingji.monitoring.ingest import Monitor

    monitor = Monitor(RULES)
    events = monitor.feed(ordered)
    return sorted((e.at, e.raised, e.rule, e.sensor_id) for e in events)


def _decode(body: bytes) -> list[Reading]:
    return [Reading(i["sensor_id"], parse_timestamp(i["ts"]), float(i["value"])) for i in json.loads(body)]


def as_tuples(events: list[AlarmEvent]) -> list[tuple[int, bool, str, str]]:
    return sorted((e.at, e.raised, e.rule, e.sensor_id) for e in events)


def test_worker_raises_the_same_alarms_as_a_replay(broker: Broker) -> None:
    port = broker.port
    rows = readings()
    sink = MemorySink()
    worker = MqttWorker(RULES, WorkerConfig(port=port, client_id="w-inproc", tick_s=None), sink)
    worker.start()
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    publish(port, payloads(rows))
    deadline = time.monotonic() + 60
    while worker.monitor.counters.readings < len(rows) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(10)
    worker.stop()
    assert worker.monitor.counters.readings == len(rows)
    assert as_tuples(sink.events) == expected_events(rows)
    assert sink.events, "the data is built to raise alarms"


def run_worker(port: int, tmp: Path, idle_exit: float) -> subprocess.Popen[bytes]:
    (tmp / "rules.yaml").write_text(RULES_YAML)
    command = [
        sys.executable,
        "-c",
        "from yingji.cli import main; main()",
        "monitor",
        "worker",
        "--rules",
        str(tmp / "rules.yaml"),
        "--mqtt",
        f"mqtt://127.0.0.1:{port}",
        "--client-id",
        "w-proc",
        "--alarms",
        str(tmp / "alarms.jsonl"),
        "--checkpoint",
        str(tmp / "state.json"),
        "--tick-s",
        "0",
        "--idle-exit-s",
        str(idle_exit),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ})
    assert process.stderr is not None
    line = process.stderr.readline().decode()  # "subscribed to …" once the session exists
    assert "subscribed" in line, line
    return process


def sink_events(path: Path) -> list[tuple[int, bool, str, str]]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return sorted((parse_timestamp(r["at"]), r["raised"], r["rule"], r["sensor_id"]) for r in rows)


@pytest.mark.slow
def test_sigkilled_worker_and_restarted_broker_lose_and_double_nothing(broker: Broker, tmp_path: Path) -> None:
    rows = readings()
    messages = payloads(rows)
    worker = run_worker(broker.port, tmp_path, idle_exit=60)
    publisher = threading.Thread(target=publish, args=(broker.port, messages), daemon=True)
    publisher.start()
    wait_until_logging(tmp_path / "state.json")
    worker.send_signal(signal.SIGKILL)  # mid-stream, no chance to clean up
    worker.wait(10)
    broker.restart()  # while the publisher is still sending (it retries what was not acknowledged)
    logged = wal_bytes(tmp_path / "state.json")
    worker = run_worker(broker.port, tmp_path, idle_exit=60)
    wait_until_logging(tmp_path / "state.json", beyond=logged)
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    publisher.join(120)
    assert not publisher.is_alive()
    worker = run_worker(broker.port, tmp_path, idle_exit=3)
    worker.wait(120)
    assert worker.returncode == 0
    assert sink_events(tmp_path / "alarms.jsonl") == expected_events(rows)
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["counters"]["readings"] == len(rows) and state["counters"]["dead_letters"] == 0


def test_write_ahead_log_drops_a_torn_last_batch(tmp_path: Path) -> None:
    from yingji.monitoring.checkpoint import WriteAheadLog

    log = WriteAheadLog(tmp_path / "wal")
    log.append([(0, False, b'{"a": 1}'), (0, True, b"x")])
    log.append([(0, False, b"second")])
    log.close()
    whole = (tmp_path / "wal").read_bytes()
    (tmp_path / "wal").write_bytes(whole[:-3])  # a crash in the middle of the second append
    assert WriteAheadLog.batches(tmp_path / "wal") == [[(0, False, b'{"a": 1}'), (0, True, b"x")]]
