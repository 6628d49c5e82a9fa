"""Metrics in the Prometheus text format, for the server and the monitoring workers (docs/deploy.md).

Each process keeps its own registry (``prometheus_client.CollectorRegistry``, never the library's global
one, so several apps in one test process do not mix). Counts that other objects already keep (the rule
engine's counters, the login throttle's refusals, the open event streams) are read when scraped, not
copied. No database and no web framework here: the server's endpoint and access rule live in
``app.py``; the worker's listener is ``prometheus_client``'s own small HTTP server, bound to loopback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# request latencies: 5 ms … 10 s (a page is ~20-100 ms; an assessment or a report a few seconds)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# worker batches: receipt of a batch's first reading to its alarms written (flush_s is 5 ms)
BATCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0)


class _Read(Collector):
    """Values read from elsewhere at scrape time: ``read()`` gives (name, help, kind, value or
    {label value: value}, label name)."""

    def __init__(self, read: Callable[[], Sequence[tuple[str, str, str, Any, str]]]) -> None:
        self._read = read

    def collect(self) -> Iterator[Any]:
        for name, doc, kind, value, label in self._read():
            family_type = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
            if isinstance(value, dict):
                family = family_type(name, doc, labels=[label])
                for key, number in sorted(value.items()):
                    family.add_metric([str(key)], float(number))
            else:
                family = family_type(name, doc, value=float(value))
            yield family


class ServerMetrics:
    """Requests by route template and status, their latency, open event streams, login refusals."""

    def __init__(self, *, open_streams: Callable[[], int], throttled: Callable[[], int]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "yingji_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "yingji_http_request_duration_seconds",
            "Time to the start of the answer, by route template.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(
            _Read(
                lambda: [
                    ("yingji_event_streams_open", "Server-sent event streams open now.", "gauge", open_streams(), ""),
                    (
                        "yingji_login_throttled",
                        "Sign-in attempts refused by the login throttle (429).",
                        "counter",
                        throttled(),
                        "",
                    ),
                ]
            )
        )

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def exposition(self) -> bytes:
        return bytes(generate_latest(self.registry))


class WorkerMetrics:
    """A monitoring worker's counts: readings, duplicates, dead letters (by reason), alarm events (by
    kind), batches, their latency and the worker's lag. ``counters`` gives the engine's live counters
    (``yingji.monitoring.ingest.Counters``), read at scrape time."""

    def __init__(self, counters: Callable[[], Any], *, clock: Callable[[], float] = time.time) -> None:
        self._counters = counters
        self._clock = clock
        self.registry = CollectorRegistry(auto_describe=True)
        self.alarms = Counter(
            "yingji_worker_alarm_events", "Alarm events written: raised or cleared.", ["kind"], registry=self.registry
        )
        self.batches = Counter("yingji_worker_batches", "Batches evaluated.", registry=self.registry)
        self.batch_latency = Histogram(
            "yingji_worker_batch_latency_seconds",
            "Receipt of a batch's first reading to its alarms written and acknowledged.",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.lag = Gauge(
            "yingji_worker_lag_seconds",
            "Latency of the last batch: how far the worker runs behind the readings it receives.",
            registry=self.registry,
        )
        self.last_batch = Gauge(
            "yingji_worker_last_batch_timestamp_seconds", "When the last batch was evaluated.", registry=self.registry
        )
        self.registry.register(_Read(self._engine_counts))

    def _engine_counts(self) -> list[tuple[str, str, str, Any, str]]:
        counts = self._counters()
        return [
            ("yingji_worker_readings", "Readings evaluated by the rules.", "counter", counts.readings, ""),
            ("yingji_worker_duplicates", "Readings recognised as repeats.", "counter", counts.duplicates, ""),
            ("yingji_worker_dead_letters", "Messages refused (dead letters).", "counter", counts.dead_letters, ""),
            (
                "yingji_worker_dead_letters_by_reason",
                "Dead letters by reason.",
                "counter",
                dict(counts.by_reason),
                "reason",
            ),
        ]

    def on_batch(self, size: int, events: Sequence[Any], received: float) -> None:
        """The pipeline's per-batch hook: ``received`` is when the batch's first message arrived."""
        now = self._clock()
        for event in events:
            self.alarms.labels("raised" if getattr(event, "raised", False) else "cleared").inc()
        self.batches.inc()
        latency = max(0.0, now - received)
        self.batch_latency.observe(latency)
        self.lag.set(latency)
        self.last_batch.set(now)

    def exposition(self) -> bytes:
        return bytes(generate_latest(self.registry))


def serve_on_loopback(registry: CollectorRegistry, port: int) -> Callable[[], None]:
    """Serve ``registry`` at http://127.0.0.1:port/metrics in a daemon thread; returns a stopper.
    Loopback only: the counts name sensors' failure reasons and rates, not for the network."""
    from prometheus_client import start_http_server

    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop


def parse(text: str) -> dict[str, float]:
    """A Prometheus text exposition as {sample name with labels: value} (for ``yingji monitor status``)."""
    from prometheus_client.parser import text_string_to_metric_families

    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = float(sample.value)
    return found


class StreamCount:
    """How many event streams are open (thread-safe; the stream generator enters and leaves)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def __enter__(self) -> StreamCount:
        with self._lock:
            self.value += 1
        return self

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self.value -= 1
