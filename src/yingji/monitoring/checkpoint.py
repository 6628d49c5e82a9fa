"""What an ingestion worker keeps on disk to resume: snapshots of the rule engine (JSON with its
arrays in a binary file beside it) and the write-ahead log of what the engine was fed since.

Record kinds in the log are the worker's (:mod:`yingji.monitoring.worker`), except the batch end the
log writes itself.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from yingji.errors import InvalidInput
from yingji.monitoring.ingest import Counters
from yingji.monitoring.rules import RuleEngine
from yingji.monitoring.rules.ruleset import RuleSet


def write_snapshot(path: Path, data: dict[str, Any], generation: int) -> None:
    """``data`` (numpy arrays anywhere inside) as a JSON file whose arrays live in a binary file beside
    it (``<name>.arrays.<generation>``, raw bytes: no base64 to encode, no JSON string to scan).
    Arrays first (fsynced), then the JSON atomically (write, fsync, rename), then older array files go."""
    arrays: list[npt.NDArray[Any]] = []
    offset = 0

    def strip(value: Any) -> Any:
        nonlocal offset
        if isinstance(value, np.ndarray):
            array = np.ascontiguousarray(value)
            arrays.append(array)
            spec = {"$array": offset, "dtype": array.dtype.str, "length": len(array)}
            offset += array.nbytes
            return spec
        if isinstance(value, dict):
            return {key: strip(item) for key, item in value.items()}
        if isinstance(value, list) and any(isinstance(item, dict | list | np.ndarray) for item in value):
            return [strip(item) for item in value]
        return value  # including lists of plain values (the sensor ids)

    header = strip(data)
    binary = path.with_name(f"{path.name}.arrays.{generation}")
    with binary.open("wb") as handle:
        for array in arrays:
            handle.write(array.view(np.uint8).data if array.nbytes else b"")
        handle.flush()
        os.fsync(handle.fileno())
    header["arrays"] = binary.name
    temporary = path.with_suffix(path.suffix + ".tmp")
    with temporary.open("w", encoding="utf-8") as text:
        json.dump(header, text)
        text.flush()
        os.fsync(text.fileno())
    os.replace(temporary, path)
    for old in path.parent.glob(f"{path.name}.arrays.*"):
        if old.suffix[1:].isdigit() and int(old.suffix[1:]) < generation:
            old.unlink()


def read_snapshot(path: Path) -> dict[str, Any]:
    """A file :func:`write_snapshot` wrote (or an older all-JSON one), arrays back as numpy arrays."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if "arrays" not in data:
        return dict(data)
    blob = (path.parent / data.pop("arrays")).read_bytes()

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            if "$array" in value:
                dtype = np.dtype(value["dtype"])
                return np.frombuffer(blob, dtype, value["length"], value["$array"]).copy()
            return {key: fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item) for item in value]
        return value

    out: dict[str, Any] = fill(data)
    return out


def load_checkpoint(path: Path, ruleset: RuleSet) -> tuple[RuleEngine, Counters, Any, int] | None:
    if not path.exists():
        return None
    try:
        data = read_snapshot(path)
        engine = RuleEngine.restore(ruleset, data["engine"])
        return engine, Counters(**data["counters"]), data.get("sink"), int(data.get("wal", 0))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"checkpoint {path}: unreadable ({exc})") from exc


_RECORD = struct.Struct(">BBI")  # kind, redelivered, payload length
_END = 2  # the worker's record kinds are 0 (message) and 1 (clock tick)


class WriteAheadLog:
    """Append-only log of what the engine was fed since the last snapshot (messages, clock ticks,
    batch ends), fsynced before messages are acknowledged. A restart restores the snapshot and
    replays the log, batch by batch, to the same state and the same alarm events."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle = path.open("ab")

    def append(self, records: Sequence[tuple[int, bool, bytes]], *, sync: bool = True) -> None:
        """Append one batch; durable on return with ``sync``, else once :meth:`sync` returns."""
        chunks = []
        for kind, redelivered, payload in records:
            chunks.append(_RECORD.pack(kind, int(redelivered), len(payload)))
            chunks.append(payload)
        chunks.append(_RECORD.pack(_END, 0, 0))
        self._handle.write(b"".join(chunks))
        self._handle.flush()
        if sync:
            self.sync()

    def sync(self) -> None:
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()

    @staticmethod
    def batches(path: Path) -> list[list[tuple[int, bool, bytes]]]:
        """Complete batches in the log (a torn last batch, cut by a crash, is dropped: it was never
        acknowledged, so the broker delivers it again)."""
        if not path.exists():
            return []
        data = path.read_bytes()
        out: list[list[tuple[int, bool, bytes]]] = []
        current: list[tuple[int, bool, bytes]] = []
        offset = 0
        while offset + _RECORD.size <= len(data):
            kind, redelivered, length = _RECORD.unpack_from(data, offset)
            offset += _RECORD.size
            if offset + length > len(data):
                break
            payload = data[offset : offset + length]
            offset += length
            if kind == _END:
                out.append(current)
                current = []
            else:
                current.append((kind, bool(redelivered), payload))
        return out
