"""Sensor readings: parsing and validation of what arrives (pure; nothing here raises on bad input).

Every input row becomes either a :class:`Reading` or a :class:`DeadLetter` carrying the reason. The
wire forms (documented in docs/monitoring.md):

* **JSON reading** — ``{"sensor_id": "M1-CH4-01", "ts": "2026-07-01T08:00:00+08:00", "value": 0.42}``;
  a **JSON batch** is a list of these or ``{"readings": [...]}``.
* **Compact** (for MQTT, one sensor's regular series in one message) —
  ``{"s": "RG-001", "t0": "2026-07-01T08:00:00", "dt": 60, "v": [0.2, 0.0, 1.4]}``: reading *k* is at
  ``t0 + k·dt`` seconds; ``null`` in ``v`` skips a slot. A list of compact objects is a batch too.
* **CSV** rows ``sensor_id,ts,value`` (file replay).

Timestamps are ISO 8601; no offset means China time (+08:00).
"""

from __future__ import annotations

import json
import math
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from yingji.errors import InvalidInput
from yingji.monitoring.clock import parse_timestamp

MAX_SENSOR_ID = 128
MAX_BATCH = 100_000
MAX_RAW = 200  # characters of the raw input kept in a dead letter


@dataclass(frozen=True, slots=True)
class Reading:
    sensor_id: str
    ts: int  # epoch milliseconds
    value: float


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A rejected input with the reason (``malformed``, ``bad_timestamp``, ``bad_value``,
    ``unknown_sensor``, ``late``, ``empty``) and a detail line."""

    reason: str
    detail: str
    raw: str = ""


def _clip(raw: Any) -> str:
    try:
        text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):
        text = repr(raw)
    return text[:MAX_RAW]


def _sensor(raw: Any, registry: Container[str] | None) -> str | DeadLetter:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_SENSOR_ID:
        return DeadLetter("malformed", f"sensor_id must be a non-empty string of ≤ {MAX_SENSOR_ID} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in raw):
        return DeadLetter("malformed", "sensor_id must not contain spaces or control characters")
    if registry is not None and raw not in registry:
        return DeadLetter("unknown_sensor", f"sensor {raw!r} is not in the registry")
    return raw


def _value(raw: Any) -> float | DeadLetter:
    if isinstance(raw, bool):
        return DeadLetter("bad_value", "value must be a number, not a boolean")
    if isinstance(raw, str):
        try:
            raw = float(raw.strip())
        except ValueError:
            return DeadLetter("bad_value", "value is not a number")
    if not isinstance(raw, int | float):
        return DeadLetter("bad_value", "value must be a number")
    number = float(raw)
    if not math.isfinite(number):
        return DeadLetter("bad_value", "value must be finite")
    return number


def _timestamp(raw: Any) -> int | DeadLetter:
    if not isinstance(raw, str):
        return DeadLetter("bad_timestamp", "ts must be an ISO 8601 string")
    try:
        return parse_timestamp(raw)
    except InvalidInput as exc:
        return DeadLetter("bad_timestamp", exc.detail)


def parse_reading(
    sensor_id: Any, ts: Any, value: Any, *, registry: Container[str] | None = None, raw: Any = None
) -> Reading | DeadLetter:
    """One reading from its three fields, or the dead letter saying what is wrong."""
    sensor = _sensor(sensor_id, registry)
    stamp = _timestamp(ts)
    number = _value(value)
    for part in (sensor, stamp, number):
        if isinstance(part, DeadLetter):
            source = raw if raw is not None else {"sensor_id": sensor_id, "ts": ts, "value": value}
            return DeadLetter(part.reason, part.detail, _clip(source))
    assert isinstance(sensor, str) and isinstance(stamp, int) and isinstance(number, float)
    return Reading(sensor, stamp, number)


def _full(item: Mapping[str, Any], registry: Container[str] | None) -> list[Reading | DeadLetter]:
    extra = set(item) - {"sensor_id", "ts", "value", "unit", "quality"}
    if extra or not {"sensor_id", "ts", "value"} <= set(item):
        return [
            DeadLetter(
                "malformed",
                "a reading needs exactly sensor_id, ts, value (unit, quality optional)",
                _clip(item),
            )
        ]
    return [parse_reading(item["sensor_id"], item["ts"], item["value"], registry=registry, raw=item)]


def _compact(item: Mapping[str, Any], registry: Container[str] | None) -> list[Reading | DeadLetter]:
    if set(item) - {"s", "t0", "dt", "v"} or not {"s", "t0", "v"} <= set(item):
        return [DeadLetter("malformed", "a compact series needs s, t0, v (and dt when v has > 1 value)", _clip(item))]
    values = item["v"]
    step = item.get("dt", 0)
    if not isinstance(values, list) or not values or len(values) > MAX_BATCH:
        return [DeadLetter("malformed", f"v must be a list of 1–{MAX_BATCH} numbers", _clip(item))]
    if (
        isinstance(step, bool)
        or not isinstance(step, int | float)
        or not math.isfinite(step)
        or step < 0
        or (len(values) > 1 and step <= 0)
    ):
        return [DeadLetter("malformed", "dt must be a positive number of seconds", _clip(item))]
    sensor = _sensor(item["s"], registry)
    start = _timestamp(item["t0"])
    for part in (sensor, start):
        if isinstance(part, DeadLetter):
            return [DeadLetter(part.reason, part.detail, _clip(item))]
    assert isinstance(sensor, str) and isinstance(start, int)
    out: list[Reading | DeadLetter] = []
    for k, raw in enumerate(values):
        if raw is None:
            continue
        number = _value(raw)
        if isinstance(number, DeadLetter):
            out.append(DeadLetter(number.reason, f"v[{k}]: {number.detail}", _clip(item)))
        else:
            out.append(Reading(sensor, start + round(k * step * 1000), number))
    return out


def parse_object(item: Any, registry: Container[str] | None = None) -> list[Reading | DeadLetter]:
    """A decoded JSON value: a reading, a compact series, a list of these, or ``{"readings": [...]}``."""
    if isinstance(item, Mapping) and set(item) == {"readings"}:
        item = item["readings"]
    if isinstance(item, list):
        if not item:
            return [DeadLetter("empty", "the batch holds no readings", "[]")]
        if len(item) > MAX_BATCH:
            return [DeadLetter("malformed", f"a batch holds at most {MAX_BATCH} entries", _clip(item))]
        out: list[Reading | DeadLetter] = []
        for entry in item:
            out.extend(_one(entry, registry))
        return out
    return _one(item, registry)


def _one(entry: Any, registry: Container[str] | None) -> list[Reading | DeadLetter]:
    if not isinstance(entry, Mapping):
        return [DeadLetter("malformed", "expected a JSON object for each reading", _clip(entry))]
    return _compact(entry, registry) if "s" in entry else _full(entry, registry)


def parse_payload(payload: bytes | str, registry: Container[str] | None = None) -> list[Reading | DeadLetter]:
    """An MQTT/HTTP payload (UTF-8 JSON in any of the forms above). Never raises."""
    try:
        text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
        decoded = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raw = payload[:MAX_RAW] if isinstance(payload, str) else payload[:MAX_RAW].decode("utf-8", "replace")
        return [DeadLetter("malformed", f"not UTF-8 JSON: {type(exc).__name__}", raw)]
    try:
        return parse_object(decoded, registry)
    except RecursionError:
        return [DeadLetter("malformed", "payload nested too deeply", _clip(str(payload)[:MAX_RAW]))]


def parse_rows(rows: Iterable[Any], registry: Container[str] | None = None) -> Iterable[Reading | DeadLetter]:
    """CSV-like rows ``(sensor_id, ts, value)`` (a header row must already be skipped)."""
    for row in rows:
        if not isinstance(row, list | tuple) or len(row) != 3:
            yield DeadLetter("malformed", "expected 3 columns: sensor_id, ts, value", _clip(list(row)))
            continue
        yield parse_reading(row[0], row[1], row[2], registry=registry, raw=",".join(map(str, row)))


def split(items: Iterable[Reading | DeadLetter]) -> tuple[list[Reading], list[DeadLetter]]:
    readings: list[Reading] = []
    dead: list[DeadLetter] = []
    for item in items:
        (readings if isinstance(item, Reading) else dead).append(item)  # type: ignore[arg-type]
    return readings, dead
