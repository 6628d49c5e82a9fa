"""A server-sent-events reader for tests: a thread reads one stream and queues its events."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable
from typing import Any

import httpx


class SseReader:
    """Reads ``GET url`` as a stream in a thread; ``next_event`` returns the next event's data (or the
    string ``"<closed>"`` once the server has closed the stream)."""

    CLOSED = "<closed>"

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.events: queue.Queue[dict[str, Any] | str] = queue.Queue()
        self.opened = threading.Event()
        self.status = 0
        self._thread = threading.Thread(target=self._read, args=(url, headers), daemon=True)
        self._thread.start()

    def _read(self, url: str, headers: dict[str, str]) -> None:
        try:
            with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(10, read=120)) as response:
                self.status = response.status_code
                self.opened.set()
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        self.events.put(json.loads(line[6:]))
        except httpx.HTTPError:
            pass
        finally:
            self.opened.set()
            self.events.put(self.CLOSED)

    def next_event(self, timeout: float = 60) -> dict[str, Any] | str:
        return self.events.get(timeout=timeout)

    def subscribed(self, write: Callable[[], str], entity: str, attempts: int = 60) -> None:
        """Make writes (``write`` returns the new record's id) until the stream shows one: from then on the
        stream is subscribed, and every later write reaches it."""
        for _ in range(attempts):
            wanted = write()
            try:
                while True:
                    event = self.next_event(timeout=1)
                    if event == self.CLOSED:
                        raise AssertionError("the stream closed")
                    if isinstance(event, dict) and event["entity"] == entity and event["id"] == wanted:
                        return
            except queue.Empty:
                continue
        raise AssertionError("the stream never showed a write")

    def wait_for(self, entity: str, entity_id: str, timeout: float = 60) -> list[dict[str, Any] | str]:
        """Every event up to and including the one for (entity, id); stops early when the stream closes."""
        seen: list[dict[str, Any] | str] = []
        while True:
            event = self.next_event(timeout)
            seen.append(event)
            if event == self.CLOSED or (
                isinstance(event, dict) and event["entity"] == entity and event["id"] == entity_id
            ):
                return seen
