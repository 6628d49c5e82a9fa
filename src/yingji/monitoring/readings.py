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

import functools
import json
import math
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

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
    if not isinstance(raw, str) or not raw or len(raw) > MAX_SENSOR_ID:
        return DeadLetter("malformed", f"sensor_id must be a non-empty string of ≤ {MAX_SENSOR_ID} characters")
    # isprintable() is False for control characters and every space but " " (checked separately)
    if not raw.isprintable() or " " in raw:
        return DeadLetter("malformed", "sensor_id must not contain spaces or control characters")
    if registry is not None and raw not in registry:
        return DeadLetter("unknown_sensor", f"sensor {raw!r} is not in the registry")
    return raw


def _value(raw: Any) -> float | DeadLetter:
    if type(raw) is float:  # the common case first
        return raw if math.isfinite(raw) else DeadLetter("bad_value", "value must be finite")
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


@functools.lru_cache(maxsize=8192)
def _timestamp_text(raw: str) -> int | DeadLetter:
    """Readings of one period share their timestamp text: parse each text once."""
    try:
        return parse_timestamp(raw)
    except InvalidInput as exc:
        return DeadLetter("bad_timestamp", exc.detail)


def _timestamp(raw: Any) -> int | DeadLetter:
    if not isinstance(raw, str):
        return DeadLetter("bad_timestamp", "ts must be an ISO 8601 string")
    return _timestamp_text(raw)


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


_FULL_KEYS = frozenset({"sensor_id", "ts", "value", "unit", "quality"})


def _full(item: Mapping[str, Any], registry: Container[str] | None) -> list[Reading | DeadLetter]:
    if not (item.keys() <= _FULL_KEYS and "sensor_id" in item and "ts" in item and "value" in item):
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
            quick = _quick(entry, registry)
            if quick is not None:
                out.append(quick)
            else:
                out.extend(_one(entry, registry))
        return out
    return _one(item, registry)


def _quick(entry: Any, registry: Container[str] | None) -> Reading | None:
    """The common well-formed reading, checked with the fewest steps; None sends it the long way."""
    if type(entry) is not dict or len(entry) != 3:
        return None
    sensor, stamp, value = entry.get("sensor_id"), entry.get("ts"), entry.get("value")
    if not (type(sensor) is str and type(stamp) is str and type(value) is float and math.isfinite(value)):
        return None
    if not (0 < len(sensor) <= MAX_SENSOR_ID and sensor.isprintable() and " " not in sensor):
        return None
    if registry is not None and sensor not in registry:
        return None
    moment = _timestamp_text(stamp)
    return Reading(sensor, moment, value) if type(moment) is int else None


_CHECKED_SENSORS: set[str] = set()  # sensor ids already found well formed (bounded below)
_CHECKED_MAX = 1_000_000


def _well_formed_sensors(unique: set[str]) -> bool:
    """Whether every id is a non-empty printable string without spaces, ≤ MAX_SENSOR_ID characters;
    ids seen before are known at the cost of one set difference."""
    fresh = unique - _CHECKED_SENSORS
    if not fresh:
        return True
    if not all(type(s) is str and 0 < len(s) <= MAX_SENSOR_ID and s.isprintable() and " " not in s for s in fresh):
        return False
    if len(_CHECKED_SENSORS) > _CHECKED_MAX:
        _CHECKED_SENSORS.clear()
    _CHECKED_SENSORS.update(fresh)
    return True


def _quick_batch(
    entries: list[Any], registry: Container[str] | None
) -> tuple[list[str], list[int], list[float]] | None:
    """A whole batch of well-formed readings checked column by column, the checks running over the
    distinct types, ids and timestamps of the batch (None: some entry needs the long way, which then
    sorts out every entry of the batch)."""
    if set(map(type, entries)) != {dict} or set(map(len, entries)) != {3}:
        return None
    try:
        sensors = [e["sensor_id"] for e in entries]
        stamps = [e["ts"] for e in entries]
        values = [e["value"] for e in entries]
    except KeyError:
        return None
    if set(map(type, values)) != {float} or not math.isfinite(sum(values)):  # NaN/inf: long way
        return None
    if set(map(type, sensors)) != {str} or set(map(type, stamps)) != {str}:
        return None
    unique = set(sensors)
    if not _well_formed_sensors(unique):
        return None
    if registry is not None and not all(s in registry for s in unique):
        return None
    moments: dict[str, Any] = {text: _timestamp_text(text) for text in set(stamps)}
    if not all(type(m) is int for m in moments.values()):
        return None
    return sensors, list(map(moments.__getitem__, stamps)), values


def _one(entry: Any, registry: Container[str] | None) -> list[Reading | DeadLetter]:
    quick = _quick(entry, registry)
    if quick is not None:
        return [quick]
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


@dataclass
class Columns:
    """Readings as three parallel lists (the worker's fast path) plus the dead letters met."""

    sensor_ids: list[str]
    ts: list[int]
    values: list[float]
    dead: list[DeadLetter]


def _entries(payload: bytes) -> list[Any] | None:
    """The readings list a payload holds in the common forms (a list, ``{"readings": [...]}``, one
    full reading), or None for anything that needs :func:`parse_payload`."""
    try:
        decoded = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None  # parse_payload decides (json accepts a little more: NaN, huge integers)
    if type(decoded) is dict:
        if len(decoded) == 1:
            decoded = decoded.get("readings")
        elif len(decoded) == 3 and "sensor_id" in decoded:
            return [decoded]
    if type(decoded) is list and 0 < len(decoded) <= MAX_BATCH:
        return decoded
    return None


def parse_columns(payloads: Iterable[bytes], registry: Container[str] | None = None) -> Columns:
    """Many payloads at once into columns, in arrival order; same rules as :func:`parse_payload`.

    The common case — every payload a list of well-formed readings — is checked as one column per
    field over the whole drained batch, so the per-message cost is little more than decoding."""
    payloads = payloads if isinstance(payloads, list) else list(payloads)
    decoded = [_entries(payload) for payload in payloads]
    if None not in decoded:
        whole = _quick_batch([entry for entries in decoded for entry in entries], registry)  # type: ignore[union-attr]
        if whole is not None:
            return Columns(whole[0], whole[1], whole[2], [])
    out = Columns([], [], [], [])
    sensors, stamps, values = out.sensor_ids, out.ts, out.values
    for payload, entries in zip(payloads, decoded, strict=True):
        if entries is None:
            _add(out, parse_payload(payload, registry))
            continue
        whole = _quick_batch(entries, registry)
        if whole is not None:
            sensors.extend(whole[0])
            stamps.extend(whole[1])
            values.extend(whole[2])
            continue
        for entry in entries:
            quick = _quick(entry, registry)
            if quick is None:
                _add(out, _one(entry, registry))
            else:
                sensors.append(quick.sensor_id)
                stamps.append(quick.ts)
                values.append(quick.value)
    return out


def _add(out: Columns, items: list[Reading | DeadLetter]) -> None:
    for item in items:
        if isinstance(item, Reading):
            out.sensor_ids.append(item.sensor_id)
            out.ts.append(item.ts)
            out.values.append(item.value)
        else:
            out.dead.append(item)


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
