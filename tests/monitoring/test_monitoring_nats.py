"""NATS JetStream partitions on a private nats-server (own port and store, started and stopped
here): two workers owning disjoint partitions raise exactly the alarms of an uninterrupted replay,
also when one is SIGKILLed and NATS restarts while a publisher with retries runs."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tests.monitoring.conftest import RULES, RULES_YAML, T0, Nats, wait_until_logging

from yingji.monitoring.clock import format_timestamp, parse_timestamp
from yingji.monitoring.ingest import Monitor
from yingji.monitoring.nats_worker import partition_of, publish_batches
from yingji.monitoring.readings import Reading

PARTITIONS = 4
pytestmark = pytest.mark.skipif(shutil.which("nats-server") is None, reason="nats-server binary not installed")


def readings(sites: int = 8, minutes: int = 180) -> list[tuple[str, list[Reading]]]:
    """(site, readings of one minute) messages, in publishing order."""
    out = []
    for minute in range(minutes):
        for site in range(sites):
            if site == 2 and 100 <= minute < 120:
                continue
            at = T0 + minute * 60_000
            level = (minute % 60) / 6.0 + site * 0.3
            rain = 3.0 if (minute // 30) % 3 == 0 else 0.0
            out.append((f"S{site}", [Reading(f"S{site}-L", at, level), Reading(f"S{site}-R", at, rain)]))
    return out


def messages(batches: list[tuple[str, list[Reading]]]) -> list[tuple[str, str, bytes]]:
    out = []
    for number, (site, rows) in enumerate(batches):
        body = [{"sensor_id": r.sensor_id, "ts": format_timestamp(r.ts), "value": r.value} for r in rows]
        out.append((site, f"m{number}", json.dumps(body).encode()))
    return out


def expected(batches: list[tuple[str, list[Reading]]]) -> list[tuple[int, bool, str, str]]:
    events = Monitor(RULES).feed([r for _, rows in batches for r in rows])
    return sorted((e.at, e.raised, e.rule, e.sensor_id) for e in events)


def run_worker(url: str, tmp: Path, name: str, owned: str, idle_exit: float) -> subprocess.Popen[bytes]:
    (tmp / "rules.yaml").write_text(RULES_YAML)
    command = [
        sys.executable,
        "-c",
        "from yingji.cli import main; main()",
        "monitor",
        "worker",
        "--rules",
        str(tmp / "rules.yaml"),
        "--nats",
        url,
        "--partitions",
        owned,
        "--alarms",
        str(tmp / f"{name}.jsonl"),
        "--checkpoint",
        str(tmp / f"{name}.json"),
        "--tick-s",
        "0",
        "--idle-exit-s",
        str(idle_exit),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    assert "consuming" in process.stderr.readline().decode()
    return process


def sink_events(*paths: Path) -> list[tuple[int, bool, str, str]]:
    rows = [json.loads(line) for path in paths for line in path.read_text().splitlines() if line.strip()]
    return sorted((parse_timestamp(r["at"]), r["raised"], r["rule"], r["sensor_id"]) for r in rows)


def test_partition_of_is_stable_and_spreads_sites() -> None:
    assert partition_of("S1", 4) == partition_of("S1", 4)
    assert len({partition_of(f"S{k}", 4) for k in range(40)}) == 4


@pytest.mark.slow
def test_two_workers_with_a_kill_and_a_nats_restart_equal_an_uninterrupted_replay(
    nats_server: Nats, tmp_path: Path
) -> None:
    batches = readings()
    to_send = messages(batches)
    half = len(to_send) // 2
    asyncio.run(publish_batches(nats_server.url, to_send[:half], PARTITIONS))
    first = run_worker(nats_server.url, tmp_path, "a", "0,1", idle_exit=60)
    second = run_worker(nats_server.url, tmp_path, "b", "2,3", idle_exit=60)
    publisher = threading.Thread(
        # a loaded machine may take a while to restart NATS: the publisher keeps retrying for 5 minutes
        target=lambda: asyncio.run(publish_batches(nats_server.url, to_send[half:], PARTITIONS, retry_s=300)),
        daemon=True,
    )
    publisher.start()
    wait_until_logging(tmp_path / "a.json")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    nats_server.restart()  # while the publisher runs (it retries; message ids drop repeats)
    publisher.join(330)
    assert not publisher.is_alive()
    first = run_worker(nats_server.url, tmp_path, "a", "0,1", idle_exit=3)
    second.send_signal(signal.SIGTERM)
    second.wait(30)
    second = run_worker(nats_server.url, tmp_path, "b", "2,3", idle_exit=3)
    assert first.wait(120) == 0 and second.wait(120) == 0
    assert sink_events(tmp_path / "a.jsonl", tmp_path / "b.jsonl") == expected(batches)
    total = sum(json.loads((tmp_path / f"{n}.json").read_text())["counters"]["readings"] for n in "ab")
    assert total == sum(len(rows) for _, rows in batches)


async def receive_without_acknowledging(url: str, partition: int, count: int) -> int:
    """What a worker killed between a fetch and its log write did: take messages from the partition's
    durable consumer (delivered, pending) and vanish without logging or acknowledging them."""
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig

    connection = await nats.connect(url)
    config = ConsumerConfig(ack_policy=AckPolicy.ALL, ack_wait=30, max_ack_pending=-1)
    subscription = await connection.jetstream().pull_subscribe(
        f"yingji.readings.{partition}", durable=f"yingji-monitor-p{partition}", stream="YINGJI_READINGS", config=config
    )
    received = await subscription.fetch(count, timeout=5)
    await connection.close()
    return len(received)


@pytest.mark.slow
def test_messages_a_dead_worker_received_but_never_logged_are_delivered_to_its_successor(
    nats_server: Nats, tmp_path: Path
) -> None:
    batches = readings(minutes=30)
    asyncio.run(publish_batches(nats_server.url, messages(batches), PARTITIONS))
    partition = partition_of("S1", PARTITIONS)
    assert asyncio.run(receive_without_acknowledging(nats_server.url, partition, 20)) == 20
    worker = run_worker(nats_server.url, tmp_path, "a", "0,1,2,3", idle_exit=3)
    assert worker.wait(120) == 0
    counters = json.loads((tmp_path / "a.json").read_text())["counters"]
    assert counters["readings"] == sum(len(rows) for _, rows in batches)
    assert counters["dead_letters"] == 0
    assert sink_events(tmp_path / "a.jsonl") == expected(batches)
