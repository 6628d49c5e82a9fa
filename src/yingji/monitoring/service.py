"""Monitoring services: the registry of sites and sensors with their rules, ingestion of readings into
alarms (HTTP and the workers' database sink), the alarm lifecycle and the fatigue report.

The pure parts are reused, not repeated: parsing and dead letters (``readings``/``ingest.Monitor``),
rule evaluation and checkpoints (``rules.RuleEngine``), the ISA-18.2 state model (``lifecycle``) and the
fatigue analytics (``fatigue``). Services never commit; every write is audited.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.db import is_postgres, paginate, utcnow
from yingji.errors import Conflict, InvalidInput, NotFound
from yingji.geo import service as division_service
from yingji.monitoring import fatigue, lifecycle
from yingji.monitoring.clock import format_timestamp, to_epoch_ms
from yingji.monitoring.ingest import Monitor
from yingji.monitoring.models import (
    Alarm,
    AlarmEventRow,
    DeadLetterRow,
    EngineState,
    MonitoredSensor,
    MonitoredSite,
    SensorReading,
)
from yingji.monitoring.readings import DeadLetter, Reading, parse_payload, split
from yingji.monitoring.registry import Registry
from yingji.monitoring.rules import AlarmEvent, AlarmRecord, RuleEngine
from yingji.monitoring.ruleset import RuleSet, parse_ruleset
from yingji.monitoring.schemas import PromoteIn, SiteIn

READ, WRITE = "monitoring:read", "monitoring:write"
MAX_READINGS_PER_REQUEST = 10_000
DEAD_LETTERS_STORED_PER_REQUEST = 1_000
_IN_CHUNK = 500


# ------------------------------------------------------------------------------------------ helpers


def ms_to_dt(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def _opt_dt(ms: int | None) -> dt.datetime | None:
    return None if ms is None else ms_to_dt(ms)


def parse_rules_yaml(text: str) -> RuleSet:
    """A rules YAML text validated (templates expanded); errors are ``InvalidInput`` naming the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"rules_yaml: not valid YAML ({exc})", field="rules_yaml") from exc
    try:
        return parse_ruleset(data)
    except InvalidInput as exc:
        raise InvalidInput(f"rules_yaml: {exc.detail}", field="rules_yaml") from exc


def _expanded(ruleset: RuleSet) -> list[dict[str, Any]]:
    return [rule.model_dump(mode="json", exclude_none=True) for rule in ruleset.rules]


def site_ruleset(site: MonitoredSite) -> RuleSet:
    return parse_ruleset({"rules": site.rules or []})


def _record(session: Session, scope: Scope, action: str, entity: str, entity_id: int | str, division: str,
            after: dict[str, Any] | None = None) -> None:
    audit.record(session=session, scope=scope, action=action, entity=entity, entity_id=entity_id,
                 division_code=division, after=after, divisions=[division])


# ------------------------------------------------------------------------------------------ registry


def _registering_division(session: Session, scope: Scope, code: str) -> str:
    division = division_service.get(session=session, scope=scope, code=code)
    scope.require_write(division.code, "division")
    return division.code


def _check_free(session: Session, site_code: str, sensor_codes: Sequence[str]) -> None:
    if len(set(sensor_codes)) != len(sensor_codes):
        raise InvalidInput("sensors: each sensor code may appear once", field="sensors")
    if session.scalar(select(MonitoredSite.id).where(MonitoredSite.code == site_code)) is not None:
        raise Conflict(f"site code {site_code!r} is already registered", field="code")
    for start in range(0, len(sensor_codes), _IN_CHUNK):
        taken = session.scalars(
            select(MonitoredSensor.code).where(MonitoredSensor.code.in_(sensor_codes[start : start + _IN_CHUNK]))
        ).first()
        if taken is not None:
            raise Conflict(f"sensor code {taken!r} is already registered", field="sensors")


def create_site(*, session: Session, scope: Scope, site_in: SiteIn, source: str = "") -> MonitoredSite:
    """Register a site with its sensors and (optionally) its rules YAML."""
    scope.require(WRITE)
    division = _registering_division(session, scope, site_in.division_code)
    _check_free(session, site_in.code, [s.code for s in site_in.sensors])
    division_service.check_position(session=session, division_codes=[division], lon=site_in.lon, lat=site_in.lat,
                                    what="site position")
    ruleset = parse_rules_yaml(site_in.rules_yaml) if site_in.rules_yaml is not None else None
    site = MonitoredSite(
        code=site_in.code, name=site_in.name, kind=site_in.kind, division_code=division, lon=site_in.lon,
        lat=site_in.lat, rules_yaml=site_in.rules_yaml, rules=_expanded(ruleset) if ruleset else [],
        source=source, created_at=utcnow(),
    )
    site.sensors = [MonitoredSensor(**s.model_dump()) for s in site_in.sensors]
    audit.created(session=session, scope=scope, row=site, entity="monitored_site", division_code=division,
                  divisions=[division])
    return site


def list_sites(
    *, session: Session, scope: Scope, kind: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[MonitoredSite], int]:
    scope.require(READ)
    stmt = select(MonitoredSite).where(scope.where_readable(MonitoredSite.division_code))
    if kind:
        stmt = stmt.where(MonitoredSite.kind == kind)
    return paginate(session, stmt, MonitoredSite.code, limit=limit, offset=offset)


def get_site(*, session: Session, scope: Scope, site_id: int) -> MonitoredSite:
    scope.require(READ)
    site = session.get(MonitoredSite, site_id)
    if site is None or not scope.can_read(site.division_code):
        raise NotFound("site not found")
    return site


def set_rules(*, session: Session, scope: Scope, site_id: int, rules_yaml: str) -> MonitoredSite:
    """Replace a site's rules (the engine state restarts: it belonged to the old rules)."""
    scope.require(WRITE)
    site = get_site(session=session, scope=scope, site_id=site_id)
    scope.require_write(site.division_code, "site")
    ruleset = parse_rules_yaml(rules_yaml)
    site.rules_yaml = rules_yaml
    site.rules = _expanded(ruleset)
    state = session.get(EngineState, site.id)
    if state is not None:
        session.delete(state)
    session.flush()
    ids = [r.id for r in ruleset.rules]
    _record(session, scope, "rules", "monitored_site", site.id, site.division_code, {"rules": ids})
    return site


def import_registry(
    *, session: Session, scope: Scope, registry_yaml: str, rules_yaml: str | None = None, source: str = ""
) -> dict[str, int]:
    """Sites and sensors from a registry YAML (the file form of ``registry.py``), all or nothing."""
    try:
        data = yaml.safe_load(registry_yaml)
        registry = Registry.model_validate(data)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"registry_yaml: not valid YAML ({exc})", field="registry_yaml") from exc
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"registry_yaml: {detail}", field="registry_yaml") from exc
    counts = {"sites": 0, "sensors": 0}
    for site in registry.sites:
        if site.division is None:
            raise InvalidInput(f"registry_yaml: site {site.id} needs a division", field="registry_yaml")
        sensors = [
            {"code": s.id, "quantity": s.quantity, "unit": s.unit,
             "range_low": s.range[0] if s.range else None, "range_high": s.range[1] if s.range else None}
            for s in site.sensors
        ]
        try:
            site_in = SiteIn.model_validate({"code": site.id, "name": site.name, "kind": site.kind,
                                             "division_code": site.division, "lon": site.lon, "lat": site.lat,
                                             "sensors": sensors, "rules_yaml": rules_yaml})
        except ValidationError as exc:
            message = f"registry_yaml: site {site.id}: {exc.errors()[0]['msg']}"
            raise InvalidInput(message, field="registry_yaml") from exc
        create_site(session=session, scope=scope, site_in=site_in, source=source)
        counts["sites"] += 1
        counts["sensors"] += len(sensors)
    return counts


# ------------------------------------------------------------------------------------------ alarms from events


def _to_state(alarm: Alarm) -> lifecycle.AlarmState:
    return lifecycle.AlarmState(**alarm.lifecycle)


def _store_state(alarm: Alarm, state: lifecycle.AlarmState) -> None:
    data = dataclasses.asdict(state)
    data.pop("notes", None)
    alarm.lifecycle = data
    alarm.state = state.state
    alarm.active = state.active
    alarm.shelved = state.shelved
    alarm.priority = state.priority
    alarm.cleared_at = _opt_dt(state.cleared_at)


def _event(alarm: Alarm, at: int, kind: str, actor: str, text: str = "") -> None:
    alarm.events.append(AlarmEventRow(at=ms_to_dt(at), kind=kind, actor=actor, text=text))


def apply_events(
    *, session: Session, scope: Scope, site: MonitoredSite, events: Iterable[AlarmEvent]
) -> tuple[int, int]:
    """Alarm events of the rule engine → alarm rows. Idempotent: an alarm is identified by rule, sensor
    and raise time, so a repeated delivery of the same events changes nothing."""
    raised = cleared = 0
    for event in events:
        at = ms_to_dt(event.at)
        if event.raised:
            known = session.scalar(
                select(Alarm.id).where(Alarm.rule == event.rule, Alarm.sensor_code == event.sensor_id,
                                       Alarm.raised_at == at)
            )
            if known is not None:
                continue
            state, _ = lifecycle.raise_alarm(lifecycle.new_alarm(event.rule, event.sensor_id, event.priority), event.at)
            alarm = Alarm(site_id=site.id, division_code=site.division_code, sensor_code=event.sensor_id,
                          rule=event.rule, colour=event.colour, raised_at=at, incident_id=None)
            _store_state(alarm, state)
            _event(alarm, event.at, "raised", scope.actor)
            session.add(alarm)
            session.flush()
            _record(session, scope, "raise", "alarm", alarm.id, site.division_code,
                    {"rule": alarm.rule, "sensor": alarm.sensor_code, "priority": alarm.priority})
            raised += 1
        else:
            open_alarm = session.scalars(
                select(Alarm)
                .where(Alarm.rule == event.rule, Alarm.sensor_code == event.sensor_id, Alarm.active.is_(True),
                       Alarm.raised_at <= at)
                .order_by(Alarm.raised_at.desc())
                .limit(1)
            ).first()
            if open_alarm is None:
                continue
            state, _ = lifecycle.clear_alarm(_to_state(open_alarm), event.at)
            _store_state(open_alarm, state)
            _event(open_alarm, event.at, "cleared", scope.actor)
            session.flush()
            _record(session, scope, "clear", "alarm", open_alarm.id, site.division_code, {"state": open_alarm.state})
            cleared += 1
    return raised, cleared


# ------------------------------------------------------------------------------------------ ingestion


def _engine_for(session: Session, site: MonitoredSite, ruleset: RuleSet) -> RuleEngine:
    state = session.get(EngineState, site.id)
    if state is not None:
        try:
            return RuleEngine.restore(ruleset, state.checkpoint)
        except (InvalidInput, KeyError, ValueError):
            pass  # written for other rules: start afresh
    return RuleEngine(ruleset)


def _save_engine(session: Session, site: MonitoredSite, engine: RuleEngine) -> None:
    state = session.get(EngineState, site.id)
    if state is None:
        session.add(EngineState(site_id=site.id, checkpoint=engine.checkpoint(), updated_at=utcnow()))
    else:
        state.checkpoint = engine.checkpoint()
        state.updated_at = utcnow()


def _lock_site(session: Session, site_id: int) -> MonitoredSite:
    """The site row, locked on PostgreSQL so that two requests never evaluate one site's engine at once."""
    stmt = select(MonitoredSite).where(MonitoredSite.id == site_id)
    if is_postgres(session):
        stmt = stmt.with_for_update()
    site = session.scalars(stmt).one()
    return site


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
        elif sensor.range_low is not None and sensor.range_high is not None and not (
            sensor.range_low <= reading.value <= sensor.range_high
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
        "readings": totals["readings"], "duplicates": totals["duplicates"], "dead_letters": len(letters),
        "dead_letter_reasons": dict(reasons), "alarms_raised": totals["alarms_raised"],
        "alarms_cleared": totals["alarms_cleared"],
    }
    _record(session, scope, "ingest", "readings", channel, scope.division_code, result)
    return result


def _store_dead_letters(session: Session, division: str, channel: str, letters: Sequence[DeadLetter]) -> None:
    now = utcnow()
    for letter in letters[:DEAD_LETTERS_STORED_PER_REQUEST]:
        session.add(DeadLetterRow(division_code=division, received_at=now, channel=channel, reason=letter.reason,
                                  detail=letter.detail[:1000], raw=letter.raw.replace("\x00", "\ufffd")))


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
    *, session: Session, scope: Scope, sensor_code: str, since: dt.datetime | None = None,
    until: dt.datetime | None = None, limit: int = 1000,
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


# ------------------------------------------------------------------------------------------ alarm lifecycle


def list_alarms(
    *, session: Session, scope: Scope, state: str | None = None, active: bool | None = None,
    priority: str | None = None, site_id: int | None = None, since: dt.datetime | None = None,
    limit: int = 100, offset: int = 0,
) -> tuple[list[Alarm], int]:
    scope.require(READ)
    stmt = select(Alarm).where(scope.where_readable(Alarm.division_code))
    if state:
        stmt = stmt.where(Alarm.state == state)
    if active is not None:
        stmt = stmt.where(Alarm.active.is_(active))
    if priority:
        stmt = stmt.where(Alarm.priority == priority)
    if site_id is not None:
        stmt = stmt.where(Alarm.site_id == site_id)
    if since is not None:
        stmt = stmt.where(Alarm.raised_at >= since)
    return paginate(session, stmt, Alarm.raised_at.desc(), Alarm.id.desc(), limit=limit, offset=offset)


UNACKNOWLEDGED = ("unacknowledged", "rtn_unacknowledged")


def count_unacknowledged(*, session: Session, scope: Scope) -> int:
    """Alarms awaiting an operator's acknowledgement (active or returned to normal) — the console's count."""
    scope.require(READ)
    stmt = select(func.count()).select_from(Alarm).where(scope.where_readable(Alarm.division_code),
                                                         Alarm.state.in_(UNACKNOWLEDGED))
    return session.scalar(stmt) or 0


def get_alarm(*, session: Session, scope: Scope, alarm_id: int) -> Alarm:
    scope.require(READ)
    alarm = session.get(Alarm, alarm_id)
    if alarm is None or not scope.can_read(alarm.division_code):
        raise NotFound("alarm not found")
    return alarm


def _for_change(session: Session, scope: Scope, alarm_id: int) -> Alarm:
    scope.require(WRITE)
    alarm = get_alarm(session=session, scope=scope, alarm_id=alarm_id)
    scope.require_write(alarm.division_code, "alarm")
    return alarm


def _changed(session: Session, scope: Scope, alarm: Alarm, action: str) -> Alarm:
    session.flush()
    _record(session, scope, action, "alarm", alarm.id, alarm.division_code, {"state": alarm.state,
                                                                              "priority": alarm.priority})
    return alarm


def acknowledge(*, session: Session, scope: Scope, alarm_id: int, now: int, note: str | None = None) -> Alarm:
    alarm = _for_change(session, scope, alarm_id)
    _store_state(alarm, lifecycle.acknowledge(_to_state(alarm), now, scope.actor))
    _event(alarm, now, "acknowledged", scope.actor, note or "")
    return _changed(session, scope, alarm, "acknowledge")


def shelve(
    *, session: Session, scope: Scope, alarm_id: int, now: int, reason: str, minutes: int | None = None,
    one_shot: bool = False,
) -> Alarm:
    alarm = _for_change(session, scope, alarm_id)
    until = None if minutes is None else now + minutes * 60_000
    _store_state(alarm, lifecycle.shelve(_to_state(alarm), now, scope.actor, until=until, one_shot=one_shot,
                                         reason=reason))
    _event(alarm, now, "shelved", scope.actor, reason)
    return _changed(session, scope, alarm, "shelve")


def unshelve(*, session: Session, scope: Scope, alarm_id: int, now: int) -> Alarm:
    alarm = _for_change(session, scope, alarm_id)
    if not alarm.shelved:
        raise Conflict("the alarm is not shelved")
    state, _ = lifecycle.unshelve(_to_state(alarm), now, scope.actor)
    _store_state(alarm, state)
    _event(alarm, now, "unshelved", scope.actor)
    return _changed(session, scope, alarm, "unshelve")


def suppress(*, session: Session, scope: Scope, alarm_id: int, now: int, on: bool, reason: str = "") -> Alarm:
    alarm = _for_change(session, scope, alarm_id)
    _store_state(alarm, lifecycle.set_suppressed(_to_state(alarm), on))
    _event(alarm, now, "suppressed" if on else "unsuppressed", scope.actor, reason)
    return _changed(session, scope, alarm, "suppress")


def out_of_service(*, session: Session, scope: Scope, alarm_id: int, now: int, on: bool, reason: str = "") -> Alarm:
    alarm = _for_change(session, scope, alarm_id)
    _store_state(alarm, lifecycle.set_out_of_service(_to_state(alarm), now, scope.actor, on, reason or "-"))
    _event(alarm, now, "out_of_service" if on else "in_service", scope.actor, reason)
    return _changed(session, scope, alarm, "out_of_service")


def add_note(*, session: Session, scope: Scope, alarm_id: int, now: int, text: str) -> Alarm:
    alarm = _for_change(session, scope, alarm_id)
    if not text.strip():
        raise InvalidInput("text: a note must not be empty", field="text")
    _event(alarm, now, "note", scope.actor, text.strip())
    return _changed(session, scope, alarm, "note")


_INCIDENT_TYPE_OF_SITE = {
    "enterprise_installation": "hazardous_chemicals", "mine": "coal_mine", "tailings_dam": "non_coal_mine",
    "rain_gauge": "flood", "river_gauge": "flood", "landslide": "geological_hazard", "other": "other",
}


def incident_type_of_site(kind: str) -> str:
    """The incident type an alarm of a site of this kind is promoted to unless told otherwise."""
    return _INCIDENT_TYPE_OF_SITE.get(kind, "other")


def promote(*, session: Session, scope: Scope, alarm_id: int, now: int, body: PromoteIn) -> tuple[Alarm, int]:
    """Promote an alarm to an incident in one action (a new one, or an existing one by id) through Command's
    service; the incident's timeline links the alarm."""
    from yingji.incidents import service as incidents
    from yingji.incidents.schemas import IncidentCreate

    alarm = _for_change(session, scope, alarm_id)
    if alarm.incident_id is not None:
        raise Conflict(f"the alarm is already linked to incident {alarm.incident_id}")
    site = session.get(MonitoredSite, alarm.site_id)
    assert site is not None
    if body.incident_id is not None:
        incident_id = incidents.get_for_change(session=session, scope=scope, incident_id=body.incident_id).id
    else:
        kind = body.incident_type or _INCIDENT_TYPE_OF_SITE.get(site.kind, "other")
        try:
            incident_in = IncidentCreate.model_validate({
                "title": body.title or f"{site.name or site.code}: {alarm.rule} ({alarm.sensor_code})",
                "incident_type": kind, "divisions": [site.division_code],
                "lon": site.lon if site.lon is not None else 0.0, "lat": site.lat if site.lat is not None else 0.0,
                "occurred_at": alarm.raised_at.isoformat(),
                "description": f"promoted from alarm {alarm.id}",
            })
        except ValidationError as exc:
            raise InvalidInput(f"incident: {exc.errors()[0]['msg']}", field="incident_type") from exc
        incident_id = incidents.create(session=session, scope=scope, incident_in=incident_in).id
    incidents.add_timeline_entry(
        session=session, scope=scope, incident_id=incident_id, kind="alarm",
        text=f"alarm {alarm.id}: {alarm.rule} on {alarm.sensor_code} raised {alarm.raised_at.isoformat()}",
        data={"alarm_id": alarm.id, "rule": alarm.rule, "sensor": alarm.sensor_code, "site": site.code},
    )
    alarm.incident_id = incident_id
    _event(alarm, now, "promoted", scope.actor, f"incident {incident_id}")
    _changed(session, scope, alarm, "promote")
    return alarm, incident_id


def tick(
    *, session: Session, scope: Scope, now: int, policy: lifecycle.LifecyclePolicy | None = None
) -> dict[str, int]:
    """The scheduler's step (clock injected): engines' delays and stale checks reach ``now``; timed
    shelving ends; unacknowledged alarms are re-annunciated and escalated."""
    scope.require(WRITE)
    policy = policy or lifecycle.LifecyclePolicy()
    counts: Counter[str] = Counter()
    states = session.scalars(select(EngineState.site_id).order_by(EngineState.site_id)).all()
    for site_id in states:
        site = _lock_site(session, site_id)
        if not scope.covers(site.division_code):
            continue
        ruleset = site_ruleset(site)
        engine = _engine_for(session, site, ruleset)
        events = engine.tick(now)
        _save_engine(session, site, engine)
        raised, cleared = apply_events(session=session, scope=scope, site=site, events=events)
        counts["raised"] += raised
        counts["cleared"] += cleared
    open_alarms = session.scalars(
        select(Alarm).where(scope.where_covered(Alarm.division_code), (Alarm.state != "normal") | Alarm.shelved)
    ).all()
    for alarm in open_alarms:
        state, notices = lifecycle.tick(_to_state(alarm), now, policy)
        if not notices:
            continue
        _store_state(alarm, state)
        for notice in notices:
            _event(alarm, notice.at, notice.kind, scope.actor, notice.priority)
            counts[notice.kind] += 1
            session.flush()
            _record(session, scope, notice.kind, "alarm", alarm.id, alarm.division_code, {"priority": notice.priority})
    return dict(counts)


def fatigue_report(
    *, session: Session, scope: Scope, since: dt.datetime | None = None, top: int = 10
) -> dict[str, Any]:
    """Floods per operator area (the county), chattering and fleeting alarms, per-rule counts and the
    bad actors with delay suggestions — from the recorded history."""
    scope.require(READ)
    stmt = select(Alarm.rule, Alarm.sensor_code, Alarm.priority, Alarm.raised_at, Alarm.cleared_at, Alarm.colour,
                  Alarm.division_code).where(scope.where_readable(Alarm.division_code))
    if since is not None:
        stmt = stmt.where(Alarm.raised_at >= since)
    area: dict[int, str] = {}
    records: list[AlarmRecord] = []
    for rule, sensor, priority, raised, cleared, colour, division in session.execute(
        stmt.order_by(Alarm.raised_at).limit(200_000)
    ):
        record = AlarmRecord(sensor, rule, priority, to_epoch_ms(raised),  # type: ignore[arg-type]
                             None if cleared is None else to_epoch_ms(cleared), colour)
        area[id(record)] = division
        records.append(record)
    floods = fatigue.flood_periods(records, lambda r: area[id(r)])
    return {
        "alarms": len(records),
        "per_rule": fatigue.per_rule_counts(records),
        "floods": [{**dataclasses.asdict(f), "start": format_timestamp(f.start),
                    "end": None if f.end is None else format_timestamp(f.end)} for f in floods],
        "chattering": [dataclasses.asdict(k) for k in fatigue.chattering(records)],
        "fleeting": [dataclasses.asdict(k) for k in fatigue.fleeting(records)],
        "bad_actors": [dataclasses.asdict(b) for b in fatigue.bad_actors(records, top)],
    }


def alarm_view(alarm: Alarm) -> dict[str, Any]:
    """An alarm as the API shows it (lifecycle fields flattened)."""
    life = alarm.lifecycle
    return {
        "id": alarm.id, "site_id": alarm.site_id, "division_code": alarm.division_code,
        "sensor_code": alarm.sensor_code, "rule": alarm.rule, "priority": alarm.priority, "colour": alarm.colour,
        "state": alarm.state, "active": alarm.active, "shelved": alarm.shelved,
        "suppressed": bool(life.get("suppressed")), "out_of_service": bool(life.get("out_of_service")),
        "raised_at": alarm.raised_at, "cleared_at": alarm.cleared_at,
        "acknowledged_at": _opt_dt(life.get("acknowledged_at")), "acknowledged_by": life.get("acknowledged_by"),
        "shelved_until": _opt_dt(life.get("shelved_until")), "escalations": int(life.get("escalations") or 0),
        "incident_id": alarm.incident_id,
    }


# ------------------------------------------------------------------------------------------ worker sink


class DatabaseSink:
    """The workers' alarm sink (``worker.AlarmSink``): alarm events and dead letters into the database.

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
                site = sensor.site if sensor is not None else session.scalars(
                    select(MonitoredSite).where(MonitoredSite.code == event.sensor_id)).first()
                if site is None:  # not in the registry: kept as a dead letter, never dropped in silence
                    self._letters.append(
                        DeadLetter(
                            "unknown_sensor",
                            f"alarm {'raised' if event.raised else 'cleared'} by rule {event.rule} for sensor "
                            f"{event.sensor_id}, which is not in the registry (yingji monitor import)",
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


# ------------------------------------------------------------------------------ for other domains (hazards)

DEVICE_RULE_KINDS = ("stale", "flatline")  # a device dead, silent or frozen — not the process itself


def site_health(*, session: Session, scope: Scope, site_code: str, now: dt.datetime) -> dict[str, Any] | None:
    """Whether a site's monitoring is alive, for other domains (a major hazard installation's online
    monitoring): its sensors, newest reading, and its device-health alarms — stale or flat-lined sensors
    and alarms put out of service — active now (with since when), and when the last such alarm cleared.
    None when the site is not there or not readable."""
    site = session.scalars(select(MonitoredSite).where(MonitoredSite.code == site_code)).first()
    if site is None or not scope.can_read(site.division_code):
        return None
    kinds = {str(r.get("name")): str(r.get("kind")) for r in site.rules or []}
    sensors = session.scalar(select(func.count()).where(MonitoredSensor.site_id == site.id)) or 0
    newest = session.scalar(
        select(func.max(SensorReading.ts)).join(MonitoredSensor).where(MonitoredSensor.site_id == site.id)
    )
    active: list[dict[str, Any]] = []
    last_clear: dt.datetime | None = None
    for alarm in session.scalars(select(Alarm).where(Alarm.site_id == site.id)):
        out = bool((alarm.lifecycle or {}).get("out_of_service"))
        if kinds.get(alarm.rule) not in DEVICE_RULE_KINDS and not out:
            continue
        if alarm.active or out:
            kind = "out_of_service" if out else kinds.get(alarm.rule)
            active.append(
                {"alarm_id": alarm.id, "sensor": alarm.sensor_code, "rule": alarm.rule, "kind": kind,
                 "since": alarm.raised_at}
            )  # fmt: skip
        elif alarm.cleared_at is not None and (last_clear is None or alarm.cleared_at > last_clear):
            last_clear = alarm.cleared_at
    return {
        "site": site.code,
        "sensors": int(sensors),
        "last_reading_at": ms_to_dt(int(newest)) if newest is not None else None,
        "alive": bool(sensors) and newest is not None and not active,
        "device_alarms": active,
        "last_device_clear": last_clear,
    }
