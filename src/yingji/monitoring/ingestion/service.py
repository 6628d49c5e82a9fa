"""Readings in through HTTP or a file: parsed, run through each site's rule engine (its state kept between
batches), dead letters kept; stored readings of a sensor; the worker's database sink."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.db import paginate, utcnow
from yingji.errors import InvalidInput, NotFound
from yingji.monitoring.alarms.service import apply_events
from yingji.monitoring.clock import format_timestamp, to_epoch_ms
from yingji.monitoring.ingest import Monitor
from yingji.monitoring.models import (
    DeadLetterRow,
    MonitoredSensor,
    MonitoredSite,
    SensorReading,
)
from yingji.monitoring.readings import DeadLetter, Reading, parse_payload, split
from yingji.monitoring.rules import AlarmEvent
from yingji.monitoring.sites.service import (
    _IN_CHUNK,
    READ,
    WRITE,
    _engine_for,
    _lock_site,
    _save_engine,
    site_ruleset,
)

MAX_READINGS_PER_REQUEST = 10_000
DEAD_LETTERS_STORED_PER_REQUEST = 1_000


def _sensors_by_code(session: Session, codes: Sequence[str]) -> dict[str, MonitoredSensor]:
    found: dict[str, MonitoredSensor] = {}
    for start in range(0, len(codes), _IN_CHUNK):
        chunk = codes[start : start + _IN_CHUNK]
        for sensor in session.scalars(select(MonitoredSensor).where(MonitoredSensor.code.in_(chunk))):
            found[sensor.code] = sensor
    return found


def _letter(reading: Reading, reason: str, detail: str) -> DeadLetter:
    return DeadLetter(reason, detail, f"{reading.sensor_id},{format_timestamp(reading.ts)},{reading.value!r}")


def ingest(*, session: Session, scope: Scope, payload: bytes | str, channel: str = "http") -> dict[str, Any]:
    """Readings (any payload form of ``readings.py``) → dead letters, stored readings and alarms.

    Sensors the registry does not know, or that lie outside the caller's jurisdiction, are dead letters
    (``unknown_sensor``), as are values outside a sensor's measuring range (``out_of_range``) and late
    readings. A repeated (sensor, ts) is a duplicate: counted, never a second alarm."""
    scope.require(WRITE)
    readings, letters = split(parse_payload(payload))
    if len(readings) + len(letters) > MAX_READINGS_PER_REQUEST:
        raise InvalidInput(f"at most {MAX_READINGS_PER_REQUEST} readings per request", field="body")
    sensors = _sensors_by_code(session, sorted({r.sensor_id for r in readings}))
    site_ids: dict[int, str] = {}
    by_site: dict[int, list[Reading]] = defaultdict(list)
    for reading in readings:
        sensor = sensors.get(reading.sensor_id)
        if sensor is None or not scope.covers(site_ids.setdefault(sensor.site_id, sensor.site.division_code)):
            letters.append(_letter(reading, "unknown_sensor", f"sensor {reading.sensor_id!r} is not registered"))
        elif (
            sensor.range_low is not None
            and sensor.range_high is not None
            and not (sensor.range_low <= reading.value <= sensor.range_high)
        ):
            letters.append(_letter(reading, "out_of_range", "value outside the sensor's measuring range"))
        else:
            by_site[sensor.site_id].append(reading)
    totals: Counter[str] = Counter()
    for site_id in sorted(by_site):
        site = _lock_site(session, site_id)
        ruleset = site_ruleset(site)
        monitor = Monitor(ruleset, engine=_engine_for(session, site, ruleset))
        newest = {code: monitor.engine.last_timestamp(code) for code in {r.sensor_id for r in by_site[site_id]}}
        accepted: list[Reading] = []
        for reading in by_site[site_id]:
            last = newest[reading.sensor_id]
            if last is None or reading.ts > last:
                accepted.append(reading)
                newest[reading.sensor_id] = reading.ts
        events = monitor.feed(by_site[site_id])
        letters.extend(monitor.dead_letters)
        totals["readings"] += monitor.counters.readings
        totals["duplicates"] += monitor.counters.duplicates
        for reading in accepted:
            session.add(SensorReading(sensor_id=sensors[reading.sensor_id].id, ts=reading.ts, value=reading.value))
        _save_engine(session, site, monitor.engine)
        session.flush()
        raised, cleared = apply_events(session=session, scope=scope, site=site, events=events)
        totals["alarms_raised"] += raised
        totals["alarms_cleared"] += cleared
    reasons = Counter(letter.reason for letter in letters)
    _store_dead_letters(session, scope.division_code, channel, letters)
    result = {
        "readings": totals["readings"],
        "duplicates": totals["duplicates"],
        "dead_letters": len(letters),
        "dead_letter_reasons": dict(reasons),
        "alarms_raised": totals["alarms_raised"],
        "alarms_cleared": totals["alarms_cleared"],
    }
    audit.record(
        session=session,
        scope=scope,
        action="ingest",
        entity="readings",
        entity_id=channel,
        division_code=scope.division_code,
        after=result,
    )
    return result


def _store_dead_letters(session: Session, division: str, channel: str, letters: Sequence[DeadLetter]) -> None:
    now = utcnow()
    for letter in letters[:DEAD_LETTERS_STORED_PER_REQUEST]:
        session.add(
            DeadLetterRow(
                division_code=division,
                received_at=now,
                channel=channel,
                reason=letter.reason,
                detail=letter.detail[:1000],
                raw=letter.raw.replace("\x00", "\ufffd"),
            )
        )


def list_dead_letters(
    *, session: Session, scope: Scope, reason: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[DeadLetterRow], int, dict[str, int]]:
    scope.require(READ)
    stmt = select(DeadLetterRow).where(scope.where_covered(DeadLetterRow.division_code))
    by_reason = dict(
        session.execute(
            select(DeadLetterRow.reason, func.count())
            .where(scope.where_covered(DeadLetterRow.division_code))
            .group_by(DeadLetterRow.reason)
        ).all()
    )
    if reason:
        stmt = stmt.where(DeadLetterRow.reason == reason)
    rows, total = paginate(session, stmt, DeadLetterRow.id.desc(), limit=limit, offset=offset)
    return rows, total, by_reason


def sensor_readings(
    *,
    session: Session,
    scope: Scope,
    sensor_code: str,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 1000,
) -> list[tuple[int, float]]:
    """A sensor's stored readings (time, value) in a period — the trend around an alarm."""
    scope.require(READ)
    sensor = session.scalars(select(MonitoredSensor).where(MonitoredSensor.code == sensor_code)).first()
    if sensor is None or not scope.can_read(sensor.site.division_code):
        raise NotFound("sensor not found")
    stmt = select(SensorReading.ts, SensorReading.value).where(SensorReading.sensor_id == sensor.id)
    if since is not None:
        stmt = stmt.where(SensorReading.ts >= to_epoch_ms(since))
    if until is not None:
        stmt = stmt.where(SensorReading.ts <= to_epoch_ms(until))
    return [(int(t), float(v)) for t, v in session.execute(stmt.order_by(SensorReading.ts).limit(limit))]


def _rollup_site(session: Session, code: str) -> MonitoredSite | None:
    """The site a roll-up alarm names (its ``sensor_id`` is a site code). Site codes are unique per
    division, so a code several divisions use names no one site: None (a dead letter) — give the roll-up
    rule a site code used once, or a sensor code."""
    sites = list(session.scalars(select(MonitoredSite).where(MonitoredSite.code == code).limit(2)))
    return sites[0] if len(sites) == 1 else None


class DatabaseSink:
    """The workers' alarm sink (``sinks.AlarmSink``): alarm events and dead letters into the database.

    Writing is idempotent (alarms are identified by rule, sensor and raise time), so a restart that
    re-emits events since the last checkpoint changes nothing; ``rollback`` has nothing to undo."""

    def __init__(self, factory: Any, scope: Scope, channel: str = "mqtt") -> None:
        self._factory = factory
        self._scope = scope
        self._channel = channel
        self._events: list[AlarmEvent] = []
        self._letters: list[DeadLetter] = []

    def write_events(self, events: Sequence[AlarmEvent]) -> None:
        self._events.extend(events)

    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        self._letters.extend(letters)

    def flush(self, *, durable: bool = True) -> None:
        """Commit what was written (visible and durable at once: one transaction per batch)."""
        if not self._events and not self._letters:
            return
        with self._factory() as session, session.begin():
            by_site: dict[int, list[AlarmEvent]] = defaultdict(list)
            sites: dict[int, MonitoredSite] = {}
            codes = sorted({e.sensor_id for e in self._events})
            sensors = _sensors_by_code(session, codes)
            for event in self._events:
                sensor = sensors.get(event.sensor_id)
                site = sensor.site if sensor is not None else _rollup_site(session, event.sensor_id)
                if site is None:  # not in the registry: kept as a dead letter, never dropped in silence
                    self._letters.append(
                        DeadLetter(
                            "unknown_sensor",
                            f"alarm {'raised' if event.raised else 'cleared'} by rule {event.rule} for sensor "
                            f"{event.sensor_id}, which is not in the registry (yingji monitor import) "
                            "or is a site code several divisions use",
                            event.sensor_id,
                        )
                    )
                    continue
                sites[site.id] = site
                by_site[site.id].append(event)
            for site_id, events in by_site.items():
                apply_events(session=session, scope=self._scope, site=sites[site_id], events=events)
            if self._letters:
                _store_dead_letters(session, "000000000000", self._channel, self._letters)
        self._events.clear()
        self._letters.clear()

    def position(self) -> Any:
        return None

    def sensor_codes(self) -> set[str]:
        """The codes of the registered sensors: a worker with ``--db`` turns readings of any other sensor
        into ``unknown_sensor`` dead letters (read at start: restart the worker after an import)."""
        with self._factory() as session:
            return set(session.scalars(select(MonitoredSensor.code)))

    def rollback(self, position: Any) -> None:
        return None
