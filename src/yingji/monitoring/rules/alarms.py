"""What the rule engine emits: alarm events and batch results, and the pairing of raise/clear events into
alarm records (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from yingji.monitoring.rules.arrays import IntArray
from yingji.monitoring.rules.ruleset import (
    Priority,
)


@dataclass(frozen=True, order=True)
class AlarmEvent:
    """An alarm raised (``raised=True``) or cleared at ``at`` (epoch ms) for a sensor (or a site)."""

    at: int
    raised: bool
    rule: str
    sensor_id: str
    priority: Priority = "medium"
    colour: str | None = None


@dataclass(frozen=True)
class BatchResult:
    """What one batch did: events in time order, and the input positions that were not evaluated."""

    events: list[AlarmEvent]
    evaluated: int
    duplicates: IntArray  # positions (in the caller's batch) of repeated (sensor, ts) readings
    late: IntArray  # positions of readings older than the sensor's newest accepted reading


# ------------------------------------------------------------------------------ alarm records


@dataclass
class AlarmRecord:
    """One alarm from raise to clear (``cleared_at`` None while active)."""

    sensor_id: str
    rule: str
    priority: Priority
    raised_at: int
    cleared_at: int | None = None
    colour: str | None = None


def pair_events(
    events: Iterable[AlarmEvent], open_alarms: dict[tuple[str, str], AlarmRecord] | None = None
) -> list[AlarmRecord]:
    """Alarm records from a stream of events (raise opens, clear closes the open one)."""
    records: list[AlarmRecord] = []
    active = open_alarms if open_alarms is not None else {}
    for event in events:
        key = (event.rule, event.sensor_id)
        if event.raised:
            record = AlarmRecord(event.sensor_id, event.rule, event.priority, event.at, None, event.colour)
            active[key] = record
            records.append(record)
        elif key in active:
            active.pop(key).cleared_at = event.at
    return records
