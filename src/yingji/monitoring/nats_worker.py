"""NATS JetStream ingestion: readings partitioned by site, one durable consumer per partition.

Publishers send each site's messages to ``yingji.readings.<partition>`` where ``partition =
crc32(site) mod N`` (:func:`partition_of`), with a ``Nats-Msg-Id`` header so a retried publish is
stored once. A worker owns a fixed set of partitions (``--partitions``) through durable pull
consumers named ``<durable>-p<k>``, so all of a sensor's readings — and its rule state — live in one
worker. The worker shares the MQTT worker's pipeline: write-ahead log, sink, snapshot, then the
acknowledgement (``AckAll`` on the batch's last message). A worker that dies is restarted by its
supervisor and resumes from its snapshot and log; JetStream redelivers what was not acknowledged.

A dead worker may have received messages it never logged (the rest of a fetch that arrived after the
fetch's timeout, or was still in flight): JetStream counts them as delivered and pending until
``ack_wait``, hands the next worker only newer messages, and that worker's ``AckAll`` would then
acknowledge the unseen ones — readings lost. So a starting worker recreates each partition's consumer
from its acknowledgement floor (:func:`resume_consumer`): everything after the last acknowledged
message comes again, in stream order, and what a previous incarnation was already sent counts as a
redelivery (its readings may be in the log already).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections.abc import Callable, Container, Sequence
from typing import Any

from yingji.errors import ServiceUnavailable
from yingji.monitoring.rules import AlarmEvent
from yingji.monitoring.rules.ruleset import RuleSet
from yingji.monitoring.sinks import AlarmSink
from yingji.monitoring.worker import _MESSAGE, WorkerConfig, _Pipeline, settle_heap

log = logging.getLogger("yingji.monitoring.nats")

STREAM = "YINGJI_READINGS"
SUBJECT_PREFIX = "yingji.readings"
IDLE_FETCH_S = 0.05  # how long a fetch waits for a first message when nothing came in the last round


def partition_of(site: str, partitions: int) -> int:
    """The partition of a site: stable across processes and restarts (CRC-32, not Python's hash)."""
    return zlib.crc32(site.encode("utf-8")) % partitions


def subject(partition: int) -> str:
    return f"{SUBJECT_PREFIX}.{partition}"


async def ensure_stream(js: Any) -> None:
    """Create the readings stream (file storage, all partitions) if it does not exist."""
    from nats.js.api import StorageType, StreamConfig
    from nats.js.errors import NotFoundError

    try:
        await js.stream_info(STREAM)
    except NotFoundError:
        await js.add_stream(StreamConfig(name=STREAM, subjects=[f"{SUBJECT_PREFIX}.*"], storage=StorageType.FILE))


async def resume_consumer(js: Any, name: str, partition: int) -> tuple[Any, int]:
    """The config of a durable consumer for ``partition`` that delivers everything after the last
    acknowledged message, and the last stream sequence a previous incarnation was sent (0: none).
    An existing consumer is deleted (its worker is gone: a partition has one worker) and recreated
    from its acknowledgement floor, so nothing it delivered but nobody logged is skipped."""
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
    from nats.js.errors import NotFoundError

    config = ConsumerConfig(
        durable_name=name,
        filter_subject=subject(partition),
        ack_policy=AckPolicy.ALL,
        ack_wait=30,
        max_ack_pending=-1,
    )
    try:
        info = await js.consumer_info(STREAM, name)
    except NotFoundError:
        return config, 0
    floor = info.ack_floor.stream_seq if info.ack_floor is not None else 0
    sent = info.delivered.stream_seq if info.delivered is not None else 0
    await js.delete_consumer(STREAM, name)
    if floor:
        config.deliver_policy = DeliverPolicy.BY_START_SEQUENCE
        config.opt_start_seq = floor + 1
    return config, sent


class NatsWorker(_Pipeline):
    """Pulls batches from its partitions' durable consumers and feeds the rule engine."""

    def __init__(
        self,
        ruleset: RuleSet,
        config: WorkerConfig,
        sink: AlarmSink,
        *,
        url: str,
        partitions: Sequence[int],
        durable: str = "yingji-monitor",
        fetch: int = 500,
        registry: Container[str] | None = None,
        clock: Callable[[], float] = time.time,
        on_batch: Callable[[int, list[AlarmEvent], float], None] | None = None,
    ) -> None:
        super().__init__(ruleset, config, sink, registry=registry, clock=clock, on_batch=on_batch)
        self.url = url
        self.partitions = list(partitions)
        self.durable = durable
        self.fetch = fetch

    async def run(self, stop: asyncio.Event, *, idle_exit_s: float | None = None) -> None:
        import nats
        from nats.errors import NoServersError
        from nats.errors import TimeoutError as NatsTimeout

        try:
            connection = await nats.connect(self.url, max_reconnect_attempts=-1, reconnect_time_wait=0.5)
        except (NoServersError, OSError) as exc:
            raise ServiceUnavailable(f"NATS {self.url}: {exc}") from exc
        js = connection.jetstream()
        await ensure_stream(js)
        subscriptions = []
        sent_before: list[int] = []  # per partition: the last stream sequence an earlier worker was sent
        for k in self.partitions:
            config, sent = await resume_consumer(js, f"{self.durable}-p{k}", k)
            subscriptions.append(
                await js.pull_subscribe(subject(k), durable=config.durable_name, stream=STREAM, config=config)
            )
            sent_before.append(sent)
        settle_heap()
        idle_since = time.monotonic()
        busy = False
        try:
            while not stop.is_set():
                # one batch from all owned partitions (one log fsync, one pass of the engine); while
                # messages flow, a partition with none holds the others up for flush_s at most
                started = time.monotonic()
                wait = self.config.flush_s if busy else IDLE_FETCH_S
                fetched: list[tuple[Any, int]] = []  # (messages of one partition, what an earlier worker was sent)
                for subscription, sent in zip(subscriptions, sent_before, strict=True):
                    try:
                        messages = await subscription.fetch(self.fetch, timeout=wait)
                    except (TimeoutError, NatsTimeout):
                        continue
                    except Exception as exc:  # connection lost mid-fetch: the client reconnects
                        log.warning("NATS fetch failed, retrying after the reconnect: %s", exc)
                        await asyncio.sleep(0.2)
                        continue
                    if messages:
                        fetched.append((messages, sent))
                busy = bool(fetched)
                if busy:
                    received = time.time()
                    records = [
                        (_MESSAGE, m.metadata.num_delivered > 1 or m.metadata.sequence.stream <= sent, bytes(m.data))
                        for messages, sent in fetched
                        for m in messages
                    ]
                    events = self.handle(records)
                    for messages, _ in fetched:
                        await messages[-1].ack()  # AckAll: acknowledges the partition's part of the batch
                    if self.on_batch is not None:
                        self.on_batch(len(records), events, received)
                    self._maybe_snapshot()
                    idle_since = time.monotonic()
                    # rounds at most every flush_s: a batch gathers that long, as the MQTT worker's
                    # do (1-2 messages a batch cost a worker 2x the CPU, all in per-batch overhead)
                    await asyncio.sleep(max(0.0, started + self.config.flush_s - idle_since))
                elif idle_exit_s is not None and time.monotonic() - idle_since > idle_exit_s:
                    return
                self._maybe_tick()
        finally:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(connection.close(), 5)


async def publish_batches(
    url: str, messages: Sequence[tuple[str, str, bytes]], partitions: int, *, retry_s: float = 60.0
) -> None:
    """Publish ``(site, message id, payload)`` to the site's partition, retrying through outages;
    the message id lets JetStream drop a retried publish it already stored."""
    import nats

    connection = await nats.connect(url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    js = connection.jetstream()
    await ensure_stream(js)
    for site, message_id, payload in messages:
        deadline = time.monotonic() + retry_s
        while True:
            try:
                await js.publish(subject(partition_of(site, partitions)), payload, headers={"Nats-Msg-Id": message_id})
                break
            except Exception as exc:  # any transport error: wait for the reconnect, retry
                if time.monotonic() > deadline:
                    raise
                log.warning("NATS publish failed, retrying: %s", exc)
                await asyncio.sleep(0.2)
    await connection.drain()
