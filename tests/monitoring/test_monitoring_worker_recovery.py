"""The worker's write-ahead log and snapshots without a broker: a worker killed at any point —
including while a snapshot is being written in the background — resumes to exactly the alarms and
counters of an uninterrupted run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from yingji.monitoring import worker as worker_module
from yingji.monitoring.checkpoint import read_snapshot
from yingji.monitoring.clock import format_timestamp, parse_timestamp
from yingji.monitoring.rules.ruleset import parse_ruleset
from yingji.monitoring.sinks import MemorySink
from yingji.monitoring.worker import _MESSAGE, WorkerConfig, _Pipeline

RULES = parse_ruleset(
    {
        "rules": [
            {"id": "high", "kind": "limit", "high": 8.0, "deadband": 1.0, "on_delay_s": 120},
            {"id": "rise", "kind": "rate", "high": 3.0},
            {"id": "rain-1h", "kind": "window", "agg": "sum", "window_s": 3600, "high": 60.0},
            {"id": "silent", "kind": "stale", "timeout_s": 900},
        ]
    }
)
T0 = parse_timestamp("2026-07-01T00:00:00")


def batches(count: int = 60) -> list[list[tuple[int, bool, bytes]]]:
    """Each batch: one message per site with that minute's readings of its level and rain sensors."""
    out = []
    for minute in range(count):
        records = []
        for site in range(4):
            stamp = format_timestamp(T0 + minute * 60_000)
            level = (minute % 40) / 4.0 + site * 0.5
            rain = 3.0 if (minute // 20) % 2 == 0 else 0.0
            body = [
                {"sensor_id": f"S{site}-L", "ts": stamp, "value": level},
                {"sensor_id": f"S{site}-R", "ts": stamp, "value": rain},
            ]
            records.append((_MESSAGE, False, json.dumps(body).encode()))
        out.append(records)
    return out


def pipeline(tmp_path: Path, sink: MemorySink) -> _Pipeline:
    return _Pipeline(RULES, WorkerConfig(checkpoint=tmp_path / "state.json", tick_s=None), sink)


def outcome(sink: MemorySink, running: _Pipeline) -> tuple[list[Any], int, int]:
    events = sorted((e.at, e.raised, e.rule, e.sensor_id) for e in sink.events)
    return events, running.monitor.counters.readings, running.monitor.counters.dead_letters


def kill(running: _Pipeline) -> None:
    """What SIGKILL leaves: files as written, nothing closed cleanly, no thread finishing its work."""
    running._wait_for_writer()  # (a background snapshot that finished before the kill)
    if running._wal is not None:
        running._wal.close()


def test_killed_while_a_snapshot_is_written_and_again_after_recovery_equals_an_uninterrupted_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = batches()
    whole_sink = MemorySink()
    whole = pipeline(tmp_path / "whole", whole_sink) if (tmp_path / "whole").mkdir() is None else None
    assert whole is not None
    for records in data:
        whole.handle(records)
    want = outcome(whole_sink, whole)
    assert want[0] and want[1] == 60 * 8 and want[2] == 0

    sink = MemorySink()
    running = pipeline(tmp_path, sink)
    for records in data[:15]:
        running.handle(records)
    running._snapshot()  # a snapshot that completes
    for records in data[15:25]:
        running.handle(records)

    def killed_while_writing(*args: Any) -> None:  # the process dies before the new snapshot is in place
        raise SystemExit

    monkeypatch.setattr(worker_module, "write_snapshot", killed_while_writing)
    with pytest.raises(SystemExit):
        running._snapshot()  # a new log is begun, the snapshot never lands
    monkeypatch.undo()
    for records in data[25:35]:
        running.handle(records)  # into the new log
    kill(running)
    assert len(list(tmp_path.glob("state.json.wal.*"))) == 2

    running = pipeline(tmp_path, sink)  # replays both logs
    for records in data[35:45]:
        running.handle(records)
    kill(running)  # killed again before its next snapshot

    running = pipeline(tmp_path, sink)
    for records in data[45:]:
        running.handle(records)
    assert outcome(sink, running) == want
    running.close()
    assert read_snapshot(tmp_path / "state.json")["counters"]["readings"] == want[1]


def test_a_snapshot_whose_copy_stalled_ingestion_long_spaces_out_the_next(tmp_path: Path) -> None:
    running = pipeline(tmp_path, MemorySink())  # snapshot_s 5, stalls at most 0.5 % of the time
    running._snapshot_stall = 0.1  # the last copy held the ingest path 100 ms: next one in 20 s
    generation = running._generation
    running._last_snapshot -= 10
    running._maybe_snapshot()
    assert running._generation == generation
    running._last_snapshot -= 11
    running._maybe_snapshot()
    assert running._generation == generation + 1
    running.close()
