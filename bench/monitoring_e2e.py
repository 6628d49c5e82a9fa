"""Part 2 of bench/monitoring.py: publishing processes → Mosquitto (QoS 1) → MQTT worker → persisted
alarms. Run through ``bench/monitoring.py --e2e``."""

from __future__ import annotations

import argparse
import getpass
import multiprocessing
import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from proc_stats import cpu_seconds

from yingji.monitoring.rules import AlarmEvent
from yingji.monitoring.rules.ruleset import parse_ruleset
from yingji.monitoring.sinks import JsonLinesSink
from yingji.monitoring.worker import MqttWorker, WorkerConfig, parse_mqtt_url

RULES = {
    "rules": [
        {"id": "level-high", "kind": "limit", "high": 80.0, "deadband": 5.0, "on_delay_s": 0},
        {"id": "level-rise", "kind": "rate", "high": 10.0, "per_s": 60},
        {"id": "rain-1h", "kind": "window", "agg": "sum", "window_s": 3600, "high": 1e9},
        {"id": "silent", "kind": "stale", "timeout_s": 600},
    ]
}
CST = timezone(timedelta(hours=8))
SPIKE_EVERY = 1000  # about one reading in this many is a spike that raises (and the next clears) an alarm
THINGSBOARD_DP_S = 10_000  # ThingsBoard vendor guidance for 2 vCPU (m6a.large): ≤ 10K data points/s


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_broker(directory: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    config = directory / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n"
        f"max_inflight_messages 1000\nuser {getpass.getuser()}\n"
    )
    process = subprocess.Popen(["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        time.sleep(0.05)
    raise RuntimeError("mosquitto did not start")


def value_pool(seed: str, size: int = 100_003) -> list[str]:
    """Readings' value fields drawn once (a prime number of them, cycled by every site): about 1 in
    SPIKE_EVERY is a spike to 90 that raises the limit alarm (the next reading clears it)."""
    rng = random.Random(seed)
    return [
        f'","value":{90.0 if rng.random() < 1 / SPIKE_EVERY else 50.0 + 0.1 * rng.random()!r}}}' for _ in range(size)
    ]


def body_maker(sensor_ids: list[str], pool: list[str], start: int) -> Any:
    """A site's message as JSON text, built from templates (the publisher must stay lean: on 2 cores
    every CPU-second it spends is taken from the worker and the broker)."""
    heads = [f'{{"sensor_id":"{sensor}","ts":"' for sensor in sensor_ids]
    position = start % len(pool)

    def make(stamp: str) -> bytes:
        nonlocal position
        parts = []
        for head in heads:
            parts.append(head + stamp + pool[position])
            position = position + 1 if position + 1 < len(pool) else 0
        return ("[" + ",".join(parts) + "]").encode()

    return make


def publisher(host: str, port: int, rate: int, per_message: int, seconds: float, name: str, out: Any) -> None:
    """Each site publishes its sensors' readings (≤ per_message) once a second, stamped with now."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=name, clean_session=True)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(5000)  # a full queue makes the publisher wait (it cannot run ahead)
    client.connect(host, port)
    client.loop_start()
    per_second = rate / per_message
    sites = max(1, round(per_second))
    pool = value_pool(name)
    bodies = [
        body_maker([f"{name}-s{site}-{j}" for j in range(per_message)], pool, 7919 * site) for site in range(sites)
    ]
    topics = [f"yingji/readings/{site}" for site in range(sites)]
    start = time.time()
    sent = 0
    last = None
    while (elapsed := time.time() - start) < seconds:
        due = int(elapsed * per_second)
        while sent < due and time.time() - start < seconds:
            site = sent % sites
            stamp = datetime.now(CST).isoformat(timespec="milliseconds")  # the publish time
            info = client.publish(topics[site], bodies[site](stamp), qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:  # queue full: let the network thread catch up
                time.sleep(0.002)
                continue
            last = info
            sent += 1
        time.sleep(0.001)
    if last is not None:
        last.wait_for_publish(120)
    client.disconnect()
    client.loop_stop()
    out.put((sent * per_message, time.time() - start, time.process_time()))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_mode(
    host: str, port: int, rate: int, per_message: int, seconds: float, label: str, broker_pid: int | None
) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="yingji-bench-"))
    latencies: list[float] = []
    evaluated_at: list[tuple[float, int]] = []
    sink = JsonLinesSink(work / "alarms.jsonl")
    counter = {"readings": 0}

    def on_batch(messages: int, events: list[AlarmEvent], received: float) -> None:
        now_ms = time.time() * 1000
        latencies.extend(now_ms - e.at for e in events if e.raised and e.rule == "level-high")
        evaluated_at.append((time.time(), worker.monitor.counters.readings))
        counter["readings"] = worker.monitor.counters.readings

    worker = MqttWorker(
        parse_ruleset(RULES),
        WorkerConfig(
            host=host,
            port=port,
            client_id=f"bench-worker-{label}",
            checkpoint=work / "state.json",
            tick_s=1.0,
            batch_max=2000,
        ),
        sink,
        on_batch=on_batch,
    )
    worker.start()
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    cpu_start = time.process_time()  # this process: the worker and its MQTT network thread
    broker_start = cpu_seconds(broker_pid) if broker_pid else 0.0
    spawn = multiprocessing.get_context("spawn")  # no fork: this process runs MQTT and worker threads
    results: Any = spawn.Queue()
    start = time.time()
    pub = spawn.Process(target=publisher, args=(host, port, rate, per_message, seconds, f"pub-{label}", results))
    pub.start()
    published, publishing_s, publisher_cpu = results.get(timeout=seconds + 180)
    pub.join(30)
    window_end = start + seconds
    in_window = max((n for t, n in evaluated_at if t <= window_end), default=0)
    deadline = time.time() + 120
    while counter["readings"] < published and time.time() < deadline:
        time.sleep(0.05)
    drained = time.time() - window_end
    cpu = time.process_time() - cpu_start
    broker_cpu = cpu_seconds(broker_pid) - broker_start if broker_pid else float("nan")
    stop.set()
    thread.join(10)
    worker.close()
    sink.close()
    shutil.rmtree(work, ignore_errors=True)
    return {
        "published": published,
        "publish_rate": published / publishing_s,
        "evaluated": counter["readings"],
        "in_window_rate": in_window / seconds,
        "overall_rate": counter["readings"] / (seconds + max(drained, 0)),
        "drain_s": drained,
        "per_cpu_s": counter["readings"] / max(cpu, 1e-9),
        "cpu": {"worker": cpu, "publisher": publisher_cpu, "broker": broker_cpu, "wall": seconds + max(drained, 0)},
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "p999": percentile(latencies, 0.999),
        "max": max(latencies, default=float("nan")),
        "alarms": len(latencies),
    }


def run_e2e(args: argparse.Namespace) -> None:
    if args.mqtt:
        host, port = parse_mqtt_url(args.mqtt)
        broker = None
    else:
        if shutil.which("mosquitto") is None:
            raise SystemExit("mosquitto is not installed; give --mqtt mqtt://host:port")
        broker, port = start_broker(Path(tempfile.mkdtemp(prefix="yingji-mosquitto-")))
        host = "127.0.0.1"
    print("yingji monitoring bench, part 2: publisher process → Mosquitto (QoS 1) → worker → persisted alarms")
    print(
        f"broker: {'private Mosquitto' if broker else 'given'} at {host}:{port}; worker: micro-batches flushed "
        "at 2,000 messages or 5 ms, write-ahead log fsynced per batch, alarms written to a JSON-lines file "
        "(fsynced at each snapshot; snapshots written by a thread), QoS 1 acks after that"
    )
    print(
        "rule mix (every reading through all 4): limit high 80 deadband 5 (no delay) | rate > 10/min | "
        f"1-h windowed sum | stale 10 min; about 1 reading in {SPIKE_EVERY} raises an alarm"
    )
    print(
        "latency = alarm committed (its readings in the fsynced log, the alarm written to the alarm file, "
        "the batch acknowledged) − the reading's timestamp, which the publisher sets just before publishing"
    )
    pid = broker.pid if broker is not None else None
    try:
        batch = run_mode(host, port, args.rate, 50, args.seconds, "batch", pid)
        single = run_mode(host, port, args.single_rate, 1, args.seconds, "single", pid) if not args.no_single else None
    finally:
        if broker is not None:
            broker.terminate()
            broker.wait(10)

    for label, offered, result in (
        ("batches of 50", args.rate, batch),
        ("1 reading/message", args.single_rate, single),
    ):
        if result is None:
            continue
        cpu = result["cpu"]
        print(
            f"{label:>18}: offered {offered:,}/s for {args.seconds:.0f} s, published {result['published']:,} "
            f"({result['publish_rate']:,.0f}/s acknowledged by the broker); "
            f"evaluated {result['in_window_rate']:,.0f}/s during the window, {result['overall_rate']:,.0f}/s "
            f"including {result['drain_s']:.1f} s of drain; latency p50 {result['p50']:.1f} ms, "
            f"p99 {result['p99']:.1f} ms, p99.9 {result['p999']:.0f} ms, max {result['max']:.0f} ms "
            f"({result['alarms']} alarms); worker CPU: "
            f"{result['per_cpu_s']:,.0f} readings per CPU-second"
        )
        print(
            f"{'':>18}  CPU split over {cpu['wall']:.0f} s (2 cores = {2 * cpu['wall']:.0f} CPU-s): worker "
            f"{cpu['worker']:.1f} s ({cpu['worker'] / cpu['wall']:.0%} of a core), publisher {cpu['publisher']:.1f} s "
            f"({cpu['publisher'] / cpu['wall']:.0%}), broker {cpu['broker']:.1f} s ({cpu['broker'] / cpu['wall']:.0%})"
        )
    if not args.no_nats:
        report_nats(args)
    load = os.getloadavg()[0]
    print(f"load average at the end: {load:.2f} on {os.cpu_count()} cores (the machine is shared)")
    met = batch["overall_rate"] >= 50_000 and batch["p99"] <= 100
    print(
        f"goal (batches): >= 50,000 readings/s with p99 <= 100 ms: {'met' if met else 'NOT met'} "
        f"(rate / goal {batch['overall_rate'] / 50_000:.2f}, p99 / goal {batch['p99'] / 100:.2f})"
    )
    if single is not None:
        ratio = batch["overall_rate"] / max(single["overall_rate"], 1)
        print(f"ratio batches / single-reading messages (same run): {ratio:.1f}x")
    print(
        f"ratio batches / ThingsBoard guidance for 2 vCPU ({THINGSBOARD_DP_S:,} data points/s, published, "
        f"not measured here): {batch['overall_rate'] / THINGSBOARD_DP_S:.1f}x"
    )


# ------------------------------------------------------------------------------ NATS, 2 workers


def start_nats(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        ["nats-server", "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(directory / "js")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"nats://127.0.0.1:{port}"
        time.sleep(0.05)
    raise RuntimeError("nats-server did not start")


def nats_publisher(url: str, rate: int, per_message: int, seconds: float, partitions: int, out: Any) -> None:
    import asyncio

    import nats

    from yingji.monitoring.nats_worker import ensure_stream, partition_of, subject

    async def main() -> None:
        connection = await nats.connect(url)
        js = connection.jetstream()
        await ensure_stream(js)
        per_second = rate / per_message
        sites = max(1, round(per_second))
        pool = value_pool("nats")
        bodies = [
            body_maker([f"n-s{site}-{j}" for j in range(per_message)], pool, 7919 * site) for site in range(sites)
        ]
        subjects = [subject(partition_of(f"n-s{site}", partitions)) for site in range(sites)]
        start = time.time()
        sent = 0
        pending: list[Any] = []
        while (elapsed := time.time() - start) < seconds:
            due = int(elapsed * per_second)
            while sent < due:
                site = sent % sites
                stamp = datetime.now(CST).isoformat(timespec="milliseconds")  # the publish time
                pending.append(js.publish(subjects[site], bodies[site](stamp), headers={"Nats-Msg-Id": f"b{sent}"}))
                sent += 1
                if len(pending) >= 256:
                    await asyncio.gather(*pending)
                    pending = []
            if pending:
                await asyncio.gather(*pending)
                pending = []
            await asyncio.sleep(0.001)
        if pending:
            await asyncio.gather(*pending)
        elapsed = time.time() - start
        await connection.close()
        out.put((sent * per_message, elapsed, time.process_time()))

    asyncio.run(main())


def nats_worker_process(url: str, owned: list[int], label: str, idle_exit: float, out: Any) -> None:
    import asyncio

    from yingji.monitoring.nats_worker import NatsWorker

    work = Path(tempfile.mkdtemp(prefix="yingji-bench-nats-"))
    sink = JsonLinesSink(work / "alarms.jsonl")
    latencies: list[float] = []
    last_evaluated = [0.0]

    def on_batch(messages: int, events: list[AlarmEvent], received: float) -> None:
        now_ms = time.time() * 1000
        latencies.extend(now_ms - e.at for e in events if e.raised and e.rule == "level-high")
        last_evaluated[0] = time.time()

    worker = NatsWorker(
        parse_ruleset(RULES),
        WorkerConfig(checkpoint=work / "state.json", tick_s=1.0),
        sink,
        url=url,
        partitions=owned,
        durable=f"bench-{label}",
        fetch=500,
        on_batch=on_batch,
    )
    cpu = time.process_time()
    asyncio.run(worker.run(asyncio.Event(), idle_exit_s=idle_exit))
    cpu = time.process_time() - cpu
    out.put((worker.monitor.counters.readings, latencies, last_evaluated[0], cpu))
    worker.close()
    sink.close()
    shutil.rmtree(work, ignore_errors=True)


def run_nats(rate: int, seconds: float) -> dict[str, Any]:
    if shutil.which("nats-server") is None:
        raise SystemExit("nats-server is not installed")
    server, url = start_nats(Path(tempfile.mkdtemp(prefix="yingji-nats-")))
    spawn = multiprocessing.get_context("spawn")
    results: Any = spawn.Queue()
    try:
        workers = [
            spawn.Process(target=nats_worker_process, args=(url, owned, label, 8.0, results))
            for owned, label in (([0, 1], "a"), ([2, 3], "b"))
        ]
        for process in workers:
            process.start()
        time.sleep(3)  # workers connect and create their consumers
        start = time.time()
        pub = spawn.Process(target=nats_publisher, args=(url, rate, 50, seconds, 4, results))
        pub.start()
        outcomes = [results.get(timeout=seconds + 300) for _ in range(3)]
        for process in [*workers, pub]:
            process.join(30)
        server_cpu = cpu_seconds(server.pid)
    finally:
        server.terminate()
        server.wait(10)
    published = next(o for o in outcomes if len(o) == 3)
    done = [o for o in outcomes if len(o) == 4]
    evaluated = sum(o[0] for o in done)
    latencies = [v for o in done for v in o[1]]
    finished = max(o[2] for o in done)
    cpu = sum(o[3] for o in done)
    return {
        "published": published[0],
        "publish_rate": published[0] / published[1],
        "evaluated": evaluated,
        "overall_rate": evaluated / max(finished - start, 1e-9),
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "p999": percentile(latencies, 0.999),
        "max": max(latencies, default=float("nan")),
        "alarms": len(latencies),
        "per_cpu_s": evaluated / max(cpu, 1e-9),
        "cpu": {"worker": cpu, "publisher": published[2], "broker": server_cpu, "wall": finished - start},
    }


def report_nats(args: argparse.Namespace) -> None:
    result = run_nats(args.rate, args.seconds)
    print(
        f"NATS JetStream, 2 workers x 2 partitions, batches of 50: offered {args.rate:,}/s for {args.seconds:.0f} s, "
        f"published {result['published']:,} ({result['publish_rate']:,.0f}/s stored); evaluated "
        f"{result['overall_rate']:,.0f}/s until the last batch; latency p50 {result['p50']:.1f} ms, "
        f"p99 {result['p99']:.1f} ms, p99.9 {result['p999']:.0f} ms, max {result['max']:.0f} ms "
        f"({result['alarms']} alarms); "
        f"workers: {result['per_cpu_s']:,.0f} readings per CPU-second"
    )
    cpu = result["cpu"]
    print(
        f"  CPU split over {cpu['wall']:.0f} s: 2 workers {cpu['worker']:.1f} s "
        f"({cpu['worker'] / cpu['wall']:.0%} of a core), publisher {cpu['publisher']:.1f} s "
        f"({cpu['publisher'] / cpu['wall']:.0%}), nats-server "
        f"{cpu['broker']:.1f} s ({cpu['broker'] / cpu['wall']:.0%}); goal ratios: rate / 50,000 "
        f"{result['overall_rate'] / 50_000:.2f}, p99 / 100 ms {result['p99'] / 100:.2f}"
    )
