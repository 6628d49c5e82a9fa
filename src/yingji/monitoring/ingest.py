"""Parsed readings → the rule engine, with the dead-letter and duplicate bookkeeping every ingestion
path (file replay, MQTT, HTTP) shares. No I/O besides reading replay files."""

from __future__ import annotations

import csv
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from yingji.errors import InvalidInput
from yingji.monitoring.clock import format_timestamp
from yingji.monitoring.readings import Columns, DeadLetter, Reading, parse_reading, parse_rows
from yingji.monitoring.registry import Registry
from yingji.monitoring.rules import AlarmEvent, AlarmRecord, RuleEngine, pair_events
from yingji.monitoring.rules.ruleset import RuleSet

REPLAY_CHUNK = 200_000
DEAD_LETTERS_KEPT = 10_000


@dataclass
class Counters:
    readings: int = 0  # evaluated by the rules
    duplicates: int = 0
    dead_letters: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


class Monitor:
    """A rule engine plus counters and a bounded dead-letter list (the sink may persist them)."""

    def __init__(
        self, ruleset: RuleSet, *, registry: Container[str] | None = None, engine: RuleEngine | None = None
    ) -> None:
        self.engine = engine if engine is not None else RuleEngine(ruleset)
        self.registry = registry
        self.counters = Counters()
        self.dead_letters: list[DeadLetter] = []

    def reject(self, letter: DeadLetter) -> None:
        self.counters.dead_letters += 1
        self.counters.by_reason[letter.reason] = self.counters.by_reason.get(letter.reason, 0) + 1
        if len(self.dead_letters) < DEAD_LETTERS_KEPT:
            self.dead_letters.append(letter)

    def feed(self, items: Iterable[Reading | DeadLetter], *, late_is_duplicate: bool = False) -> list[AlarmEvent]:
        """Evaluate a batch in arrival order; rejected items and late readings become dead letters.

        ``late_is_duplicate``: the batch is a redelivery (MQTT DUP flag) of messages already
        evaluated, so readings older than the newest accepted are repeats, not late data."""
        readings: list[Reading] = []
        for item in items:
            if isinstance(item, Reading):
                readings.append(item)
            else:
                self.reject(item)
        if not readings:
            return []
        columns = Columns([r.sensor_id for r in readings], [r.ts for r in readings], [r.value for r in readings], [])
        return self.feed_columns(columns, late_is_duplicate=late_is_duplicate)

    def feed_columns(self, columns: Columns, *, late_is_duplicate: bool = False) -> list[AlarmEvent]:
        """:meth:`feed` for readings already in columns (the worker's fast path)."""
        for letter in columns.dead:
            self.reject(letter)
        if isinstance(self.registry, Registry) and self.registry.has_ranges:
            columns = self._in_range(columns)
        if not columns.sensor_ids:
            return []
        sensors = self.engine.intern(columns.sensor_ids)
        ts = np.array(columns.ts, np.int64)
        values = np.array(columns.values, np.float64)
        result = self.engine.evaluate(sensors, ts, values)
        self.counters.readings += result.evaluated
        self.counters.duplicates += len(result.duplicates)
        if late_is_duplicate:
            self.counters.duplicates += len(result.late)
            return result.events
        for position in result.late.tolist():
            sensor_id, stamp = columns.sensor_ids[position], columns.ts[position]
            newest = self.engine.last_timestamp(sensor_id)
            self.reject(
                DeadLetter(
                    "late",
                    f"older than the sensor's newest accepted reading ({format_timestamp(newest or 0)})",
                    f"{sensor_id},{format_timestamp(stamp)},{columns.values[position]!r}",
                )
            )
        return result.events

    def _in_range(self, columns: Columns) -> Columns:
        """Readings outside the instrument's measuring range are sensor faults: dead letters."""
        assert isinstance(self.registry, Registry)
        kept = Columns([], [], [], [])
        for sensor_id, stamp, value in zip(columns.sensor_ids, columns.ts, columns.values, strict=True):
            if self.registry.out_of_range(sensor_id, value):
                self.reject(
                    DeadLetter(
                        "out_of_range",
                        "value outside the sensor's measuring range",
                        f"{sensor_id},{format_timestamp(stamp)},{value!r}",
                    )
                )
            else:
                kept.sensor_ids.append(sensor_id)
                kept.ts.append(stamp)
                kept.values.append(value)
        return kept


def _csv_items(path: Path, registry: Container[str] | None) -> Iterator[Reading | DeadLetter]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = csv.reader(handle)
        header = next(rows, None)
        if header is None:
            return
        names = [h.strip() for h in header]
        if names[:3] != ["sensor_id", "ts", "value"]:
            raise InvalidInput(f"{path}: the first row must be the header sensor_id,ts,value (got {header})")
        yield from parse_rows(rows, registry)


def _parquet_items(path: Path, registry: Container[str] | None) -> Iterator[Reading | DeadLetter]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several unrelated types for unreadable files
        raise InvalidInput(f"{path}: not a readable Parquet file ({exc})") from exc
    missing = {"sensor_id", "ts", "value"} - set(table.column_names)
    if missing:
        raise InvalidInput(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    for batch in table.select(["sensor_id", "ts", "value"]).to_batches(max_chunksize=REPLAY_CHUNK):
        sensors = batch.column(0).to_pylist()
        stamps: list[Any] = batch.column(1).to_pylist()
        values = batch.column(2).to_pylist()
        for sensor, stamp, value in zip(sensors, stamps, values, strict=True):
            text = stamp.isoformat() if hasattr(stamp, "isoformat") else stamp
            yield parse_reading(sensor, text, value, registry=registry)


def read_items(path: Path, registry: Container[str] | None = None) -> Iterator[Reading | DeadLetter]:
    """Rows of a replay file (CSV with header ``sensor_id,ts,value``, or Parquet with those columns)."""
    if not path.is_file():
        raise InvalidInput(f"replay file {path} does not exist")
    if path.suffix.lower() in (".parquet", ".pq"):
        return _parquet_items(path, registry)
    return _csv_items(path, registry)


def replay(
    items: Iterable[Reading | DeadLetter],
    ruleset: RuleSet,
    *,
    until: int | None = None,
    registry: Container[str] | None = None,
) -> tuple[list[AlarmRecord], Monitor]:
    """Evaluate a recorded stream in its order, then let the clock reach ``until`` (default: the
    newest timestamp seen) so delays and stale checks see the end of the record."""
    monitor = Monitor(ruleset, registry=registry)
    open_alarms: dict[tuple[str, str], AlarmRecord] = {}
    records: list[AlarmRecord] = []
    newest: int | None = None
    chunk: list[Reading | DeadLetter] = []

    def flush() -> None:
        records.extend(pair_events(monitor.feed(chunk), open_alarms))
        chunk.clear()

    for item in items:
        chunk.append(item)
        if isinstance(item, Reading) and (newest is None or item.ts > newest):
            newest = item.ts
        if len(chunk) >= REPLAY_CHUNK:
            flush()
    flush()
    end = until if until is not None else newest
    if end is not None:
        records.extend(pair_events(monitor.engine.tick(end), open_alarms))
    records.sort(key=lambda r: (r.raised_at, r.rule, r.sensor_id))
    return records, monitor


def alarm_json(record: AlarmRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "sensor_id": record.sensor_id,
        "rule": record.rule,
        "priority": record.priority,
        "raised_at": format_timestamp(record.raised_at),
        "cleared_at": None if record.cleared_at is None else format_timestamp(record.cleared_at),
    }
    if record.colour is not None:
        out["colour"] = record.colour
    return out
