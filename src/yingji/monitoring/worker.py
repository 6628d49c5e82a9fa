"""MQTT ingestion worker: Mosquitto (QoS 1, persistent session) → rule engine → alarm sink.

Delivery is at-least-once and the result exactly-once: each drained batch is evaluated, its alarm
events and dead letters are written to the sink and flushed, the engine state is checkpointed, and
only then are the batch's messages acknowledged (paho ``manual_ack``). A worker killed at any point
resumes from its checkpoint; the broker redelivers what was not acknowledged, and readings the
checkpoint already holds are recognised as duplicates (never a second alarm, never counted twice).

Topic: ``yingji/readings/<site>`` (any topic filter may be configured); payload forms are those of
:mod:`yingji.monitoring.readings`. The sinks are in :mod:`yingji.monitoring.sinks`; the snapshot files and
the write-ahead log in :mod:`yingji.monitoring.checkpoint`.
"""

from __future__ import annotations

import gc
import queue
import struct
import threading
import time
from collections.abc import Callable, Container
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from yingji.errors import InvalidInput, ServiceUnavailable
from yingji.monitoring.checkpoint import WriteAheadLog, load_checkpoint, write_snapshot
from yingji.monitoring.ingest import Counters, Monitor
from yingji.monitoring.readings import parse_columns
from yingji.monitoring.rules import AlarmEvent, RuleEngine
from yingji.monitoring.rules.ruleset import RuleSet
from yingji.monitoring.sinks import AlarmSink


@dataclass(frozen=True)
class WorkerConfig:
    host: str = "127.0.0.1"
    port: int = 1883
    topic: str = "yingji/readings/#"
    client_id: str = "yingji-monitor-1"
    batch_max: int = 20_000  # messages per drained batch
    # longest wait for more messages before evaluating a batch: every reading waits up to this long,
    # and each batch has a fixed cost (an fsync, a dozen numpy passes per rule), so 5 ms is a
    # compromise — at 1,000 messages/s, 20 ms put 20 ms on every alarm; 0 (evaluate whatever has
    # arrived) took the median to 3 ms but 2.5x the worker's CPU, the engine seeing 1-message batches
    flush_s: float = 0.005
    tick_s: float | None = 1.0  # move the engine clock to wall time this often (None: only readings)
    checkpoint: Path | None = None  # snapshot file; a write-ahead log lives next to it
    snapshot_s: float = 5.0  # snapshot the engine this often (the log covers the time between) …
    # … or less often: copying the engine stalls ingestion, and the stall grows with the state (a
    # window's retained readings), so snapshots are spaced to keep their stalls to this share of the
    # time. Recovery replays the longer log instead (seconds at these rates)
    snapshot_stall_share: float = 0.005
    keepalive: int = 30
    username: str | None = None
    password: str | None = None
    tls: bool = False  # mqtts://: TLS with the system's CAs, or ca_file
    ca_file: Path | None = None


@dataclass(frozen=True)
class _Message:
    mid: int
    redelivered: bool
    payload: bytes
    received: float


_MESSAGE, _TICK = 0, 1  # record kinds: a reading message, a clock tick (payload: epoch ms, ">q")


def settle_heap() -> None:
    """Exempt what is alive when a worker starts (modules, the restored engine) from the garbage
    collector's full passes, which otherwise traverse it all again every few seconds: a pause of
    10-50 ms on the ingest path each time (the worker's objects made later are still collected)."""
    gc.collect()
    gc.freeze()


class _Pipeline:
    """What every transport shares: restore, write-ahead log, evaluation, sink, snapshots, ticks."""

    def __init__(
        self,
        ruleset: RuleSet,
        config: WorkerConfig,
        sink: AlarmSink,
        *,
        registry: Container[str] | None = None,
        clock: Callable[[], float] = time.time,
        on_batch: Callable[[int, list[AlarmEvent], float], None] | None = None,
    ) -> None:
        restored = load_checkpoint(config.checkpoint, ruleset) if config.checkpoint else None
        engine, counters, position, generation = (
            restored if restored is not None else (RuleEngine(ruleset), Counters(), None, 0)
        )
        if position is not None:
            sink.rollback(position)  # drop what a killed run wrote after its last snapshot
        self.monitor = Monitor(ruleset, registry=registry, engine=engine)
        self.monitor.counters = counters
        self.config = config
        self.sink = sink
        self.clock = clock
        self.on_batch = on_batch
        self._generation = generation
        self._wal: WriteAheadLog | None = None
        self._writer: threading.Thread | None = None  # a snapshot being written
        self._syncer: ThreadPoolExecutor | None = None  # fsyncs the log while a batch is evaluated
        self._snapshot_cost = 0.0  # seconds the last snapshot took to write
        self._snapshot_stall = 0.0  # seconds the last snapshot held up the ingest path (the copy)
        self._last_snapshot = time.monotonic()
        self._last_tick = 0.0
        if config.checkpoint is not None:
            self._recover(config.checkpoint)
        self._prepare_transport()

    def _prepare_transport(self) -> None:
        """Set up what the transport keeps (after the engine is restored); nothing by default."""

    def stop(self) -> None:
        """Disconnect from the transport."""

    def handle(self, records: list[tuple[int, bool, bytes]]) -> list[AlarmEvent]:
        """Log (when checkpointing) and evaluate one batch of records; the caller acknowledges after.
        The log is fsynced in a thread while the batch is evaluated; nothing leaves the worker (sink,
        acknowledgement) before that fsync has returned."""
        if self._wal is None:
            return self._evaluate(records)
        self._wal.append(records, sync=False)
        if self._syncer is None:
            self._syncer = ThreadPoolExecutor(1, thread_name_prefix="wal-fsync")
        syncing = self._syncer.submit(self._wal.sync)
        return self._evaluate(records, before_output=syncing.result)

    def _evaluate(
        self, records: list[tuple[int, bool, bytes]], before_output: Callable[[], object] | None = None
    ) -> list[AlarmEvent]:
        events: list[AlarmEvent] = []
        letters_before = len(self.monitor.dead_letters)
        start = 0
        while start < len(records):  # runs of first deliveries, of redeliveries and ticks, in order
            kind, redelivered, payload = records[start]
            if kind == _TICK:
                events += self.monitor.engine.tick(struct.unpack(">q", payload)[0])
                start += 1
                continue
            end = start
            while end < len(records) and records[end][0] == _MESSAGE and records[end][1] == redelivered:
                end += 1
            columns = parse_columns((body for _, _, body in records[start:end]), self.monitor.registry)
            events += self.monitor.feed_columns(columns, late_is_duplicate=redelivered)
            start = end
        if before_output is not None:
            before_output()
        self.sink.write_events(events)
        self.sink.write_dead_letters(self.monitor.dead_letters[letters_before:])
        del self.monitor.dead_letters[letters_before:]
        self.sink.flush(durable=self._wal is None)  # with a log, the log's fsync made the batch safe
        return events

    def _wal_path(self, generation: int) -> Path:
        assert self.config.checkpoint is not None
        return self.config.checkpoint.with_name(f"{self.config.checkpoint.name}.wal.{generation}")

    def _recover(self, checkpoint: Path) -> None:
        """Replay the logs written since the snapshot (more than one when the process died while a
        newer snapshot was being written), then start a fresh snapshot and log."""
        for generation in self._wal_generations(self._generation):
            for batch in WriteAheadLog.batches(self._wal_path(generation)):
                self._evaluate(batch)
            self._generation = generation  # the fresh snapshot and log come after every replayed log
        self._snapshot()

    def _wal_generations(self, first: int) -> list[int]:
        assert self.config.checkpoint is not None
        found = (p.suffix[1:] for p in self.config.checkpoint.parent.glob(f"{self.config.checkpoint.name}.wal.*"))
        return sorted(g for g in (int(n) for n in found if n.isdigit()) if g >= first)

    def _snapshot(self, *, background: bool = False) -> None:
        """Snapshot the engine and switch to a new log. The state is copied here (arrays: a memory
        copy); writing it — and dropping the older logs once it is durable — can run in a thread
        while the worker goes on (``background``): until the new snapshot is in place, the old one
        and both logs describe the same state."""
        assert self.config.checkpoint is not None
        self._wait_for_writer()
        started = time.monotonic()
        generation = self._generation + 1
        if self._wal is not None:
            self._wal.close()
        self._wal = WriteAheadLog(self._wal_path(generation))
        self.sink.flush()  # durable up to the position the snapshot records
        counters = Counters(**asdict(self.monitor.counters))
        data = (self.monitor.engine.copy(), counters, self.sink.position(), generation)
        self._generation = generation
        self._last_snapshot = time.monotonic()
        self._snapshot_stall = self._last_snapshot - started
        if background:
            self._writer = threading.Thread(target=self._write_snapshot, args=data, daemon=True)
            self._writer.start()
        else:
            self._write_snapshot(*data)

    def _write_snapshot(self, engine: RuleEngine, counters: Counters, position: Any, generation: int) -> None:
        assert self.config.checkpoint is not None
        started = time.monotonic()
        data = {"engine": engine.checkpoint(raw=True), "counters": asdict(counters), "sink": position}
        write_snapshot(self.config.checkpoint, {**data, "wal": generation}, generation)
        for old in self.config.checkpoint.parent.glob(f"{self.config.checkpoint.name}.wal.*"):
            if old.suffix[1:].isdigit() and int(old.suffix[1:]) < generation:
                old.unlink()
        self._snapshot_cost = time.monotonic() - started

    def _wait_for_writer(self) -> None:
        if self._writer is not None:
            self._writer.join()
            self._writer = None

    def _maybe_snapshot(self) -> None:
        """Snapshot every ``snapshot_s`` — less often when writing one takes long (at most a quarter
        of the time goes to writing snapshots) or its copy stalls ingestion long (at most
        ``snapshot_stall_share`` of the time) — in a thread, never two at once."""
        if self._wal is None or (self._writer is not None and self._writer.is_alive()):
            return
        interval = max(
            self.config.snapshot_s, 4 * self._snapshot_cost, self._snapshot_stall / self.config.snapshot_stall_share
        )
        if time.monotonic() - self._last_snapshot >= interval:
            self._snapshot(background=True)

    def _maybe_tick(self) -> None:
        if self.config.tick_s is None:
            return
        now = self.clock()
        if now - self._last_tick < self.config.tick_s:
            return
        self._last_tick = now
        record = (_TICK, False, struct.pack(">q", int(now * 1000)))
        if self._wal is not None:
            self._wal.append([record])
        self._evaluate([record])

    def close(self) -> None:
        """Snapshot (so a restart has nothing to replay) and disconnect."""
        if self._wal is not None:
            self._snapshot()
            self._wal.close()
        self._wait_for_writer()
        if self._syncer is not None:
            self._syncer.shutdown()
        self.stop()


class MqttWorker(_Pipeline):
    """Subscribes with QoS 1 on a persistent session and feeds the rule engine in batches."""

    def _prepare_transport(self) -> None:
        self._inbox: queue.Queue[_Message] = queue.Queue()
        self._connected = threading.Event()
        self._client = self._make_client()

    def _make_client(self) -> Any:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.config.client_id,
            clean_session=False,
            protocol=MQTTProtocolVersion.MQTTv311,
            manual_ack=True,
        )
        if self.config.username:
            client.username_pw_set(self.config.username, self.config.password)
        if self.config.tls:
            client.tls_set(ca_certs=str(self.config.ca_file) if self.config.ca_file else None)
        client.max_inflight_messages_set(1000)
        client.max_queued_messages_set(0)

        def on_connect(client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
            if not reason.is_failure:
                client.subscribe(self.config.topic, qos=1)

        def on_subscribe(client: Any, userdata: Any, mid: Any, reasons: Any, properties: Any) -> None:
            self._connected.set()  # SUBACK: from here on the broker keeps messages for this session

        def on_disconnect(client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
            self._connected.clear()

        def on_message(client: Any, userdata: Any, message: Any) -> None:
            self._inbox.put(_Message(message.mid, bool(message.dup), bytes(message.payload), time.time()))

        client.on_connect = on_connect
        client.on_subscribe = on_subscribe
        client.on_disconnect = on_disconnect
        client.on_message = on_message
        client.reconnect_delay_set(min_delay=1, max_delay=5)
        return client

    def start(self, timeout: float = 10.0) -> None:
        try:
            self._client.connect(self.config.host, self.config.port, keepalive=self.config.keepalive)
        except OSError as exc:
            raise ServiceUnavailable(f"MQTT broker {self.config.host}:{self.config.port}: {exc}") from exc
        self._client.loop_start()
        if not self._connected.wait(timeout):
            raise ServiceUnavailable(f"MQTT broker {self.config.host}:{self.config.port}: no SUBACK in {timeout} s")

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def run(self, stop: threading.Event, *, idle_exit_s: float | None = None) -> None:
        """Drain, evaluate, persist, acknowledge — until ``stop`` is set (or idle for ``idle_exit_s``)."""
        settle_heap()
        idle_since = time.monotonic()
        while not stop.is_set():
            batch = self._drain()
            if batch:
                self.process(batch)
                idle_since = time.monotonic()
            elif idle_exit_s is not None and time.monotonic() - idle_since > idle_exit_s:
                return
            self._maybe_tick()

    def _drain(self) -> list[_Message]:
        try:
            first = self._inbox.get(timeout=0.1)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.config.flush_s
        while len(batch) < self.config.batch_max:
            remaining = deadline - time.monotonic()
            try:
                batch.append(self._inbox.get(timeout=max(remaining, 0)) if remaining > 0 else self._inbox.get_nowait())
            except queue.Empty:
                break
        return batch

    def process(self, batch: list[_Message]) -> list[AlarmEvent]:
        """Log, evaluate (arrival order), write to the sink, then acknowledge the batch."""
        events = self.handle([(_MESSAGE, m.redelivered, m.payload) for m in batch])
        for message in batch:
            self._client.ack(message.mid, 1)
        if self.on_batch is not None:
            self.on_batch(len(batch), events, batch[0].received)
        self._maybe_snapshot()
        return events


@dataclass(frozen=True)
class BrokerEndpoint:
    """Where and how the worker reaches its MQTT broker."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False


def parse_broker_url(url: str) -> BrokerEndpoint:
    """``mqtt://[user[:password]@]host[:port]`` (1883) or ``mqtts://…`` (TLS, 8883)."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url if "://" in url else f"mqtt://{url}")
    if parts.scheme not in ("mqtt", "tcp", "mqtts", "ssl") or not parts.hostname:
        raise InvalidInput(f"mqtt url: {url.split('@')[-1]!r} is not mqtt[s]://[user:password@]host:port")
    tls = parts.scheme in ("mqtts", "ssl")
    return BrokerEndpoint(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
    )


def parse_mqtt_url(url: str) -> tuple[str, int]:
    """``mqtt://host:port`` → (host, port)."""
    endpoint = parse_broker_url(url)
    return endpoint.host, endpoint.port
