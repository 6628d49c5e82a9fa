"""Where the ingestion workers put alarm events and dead letters: the sink protocol (what a
database sink implements), an in-memory sink for tests and a JSON-lines file sink.

A sink can be rolled back to a recorded position: a worker restarted from its checkpoint forgets what
it wrote after the snapshot and writes it again from the replayed log (:mod:`yingji.monitoring.worker`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from yingji.monitoring.clock import format_timestamp
from yingji.monitoring.readings import DeadLetter
from yingji.monitoring.rules import AlarmEvent


class AlarmSink(Protocol):
    """Where alarm events and dead letters go (a database sink plugs in here)."""

    def write_events(self, events: Sequence[AlarmEvent]) -> None: ...

    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> None: ...

    def flush(self, *, durable: bool = True) -> None:
        """Make everything written so far visible to readers and, with ``durable``, safe from a crash.
        With a write-ahead log the worker asks for durability only before each snapshot: between
        snapshots the fsynced log of the inputs already guarantees the events (a restart rolls the
        sink back to the snapshot's position and replays the log)."""

    def position(self) -> Any:
        """A JSON-safe mark of what has been written, stored in the checkpoint."""

    def rollback(self, position: Any) -> None:
        """Forget what was written after ``position`` (a restart re-emits it from the checkpoint).
        A transactional sink (a database) can instead write events and checkpoint in one transaction."""


@dataclass
class MemorySink:
    events: list[AlarmEvent] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)

    def write_events(self, events: Sequence[AlarmEvent]) -> None:
        self.events.extend(events)

    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        self.dead_letters.extend(letters)

    def flush(self, *, durable: bool = True) -> None:
        return None

    def position(self) -> Any:
        return [len(self.events), len(self.dead_letters)]

    def rollback(self, position: Any) -> None:
        del self.events[position[0] :]
        del self.dead_letters[position[1] :]


class JsonLinesSink:
    """Alarm events and dead letters appended as JSON lines (fsynced on flush)."""

    def __init__(self, alarms: Path, dead_letters: Path | None = None) -> None:
        self._alarms = alarms.open("ab")
        self._dead = dead_letters.open("ab") if dead_letters is not None else None

    def write_events(self, events: Sequence[AlarmEvent]) -> None:
        lines = []
        for event in events:
            row = {
                "at": format_timestamp(event.at),
                "raised": event.raised,
                "rule": event.rule,
                "sensor_id": event.sensor_id,
                "priority": event.priority,
                "colour": event.colour,
            }
            lines.append(json.dumps(row, ensure_ascii=False))
        if lines:
            self._alarms.write(("\n".join(lines) + "\n").encode("utf-8"))

    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        if self._dead is None:
            return
        for letter in letters:
            self._dead.write((json.dumps(asdict(letter), ensure_ascii=False) + "\n").encode("utf-8"))

    def flush(self, *, durable: bool = True) -> None:
        for handle in (self._alarms, self._dead):
            if handle is not None:
                handle.flush()
                if durable:
                    os.fsync(handle.fileno())

    def position(self) -> Any:
        return [self._alarms.tell(), self._dead.tell() if self._dead is not None else 0]

    def rollback(self, position: Any) -> None:
        self._alarms.flush()
        self._alarms.truncate(position[0])
        self._alarms.seek(position[0])
        if self._dead is not None:
            self._dead.flush()
            self._dead.truncate(position[1])
            self._dead.seek(position[1])

    def close(self) -> None:
        self.flush()
        self._alarms.close()
        if self._dead is not None:
            self._dead.close()
