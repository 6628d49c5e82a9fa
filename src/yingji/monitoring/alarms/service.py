"""Alarms: records kept from the engine's events, and their lifecycle (ISA-18.2: acknowledge, shelve,
suppress, out of service, notes), promotion to an incident, the clock tick, the fatigue report."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.errors import Conflict, InvalidInput
from yingji.geo.codes import level_of, prefix
from yingji.monitoring import fatigue, lifecycle
from yingji.monitoring.clock import format_timestamp, to_epoch_ms
from yingji.monitoring.models import (
    Alarm,
    AlarmEventRow,
    EngineState,
    MonitoredSensor,
    MonitoredSite,
    SensorReading,
)
from yingji.monitoring.rules import AlarmEvent, AlarmRecord
from yingji.monitoring.schemas import PromoteIn
from yingji.monitoring.sites.service import (
    READ,
    WRITE,
    _engine_for,
    _lock_site,
    _opt_dt,
    _save_engine,
    ms_to_dt,
    site_ruleset,
)


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
                select(Alarm.id).where(
                    Alarm.rule == event.rule, Alarm.sensor_code == event.sensor_id, Alarm.raised_at == at
                )
            )
            if known is not None:
                continue
            state, _ = lifecycle.raise_alarm(lifecycle.new_alarm(event.rule, event.sensor_id, event.priority), event.at)
            alarm = Alarm(
                site_id=site.id,
                division_code=site.division_code,
                sensor_code=event.sensor_id,
                rule=event.rule,
                colour=event.colour,
                raised_at=at,
                incident_id=None,
            )
            _store_state(alarm, state)
            _event(alarm, event.at, "raised", scope.actor)
            session.add(alarm)
            session.flush()
            after = {"rule": alarm.rule, "sensor": alarm.sensor_code, "priority": alarm.priority}
            audit.acted(session, scope, alarm, entity="alarm", action="raise", after=after)
            raised += 1
        else:
            open_alarm = session.scalars(
                select(Alarm)
                .where(
                    Alarm.rule == event.rule,
                    Alarm.sensor_code == event.sensor_id,
                    Alarm.active.is_(True),
                    Alarm.raised_at <= at,
                )
                .order_by(Alarm.raised_at.desc())
                .limit(1)
            ).first()
            if open_alarm is None:
                continue
            state, _ = lifecycle.clear_alarm(_to_state(open_alarm), event.at)
            _store_state(open_alarm, state)
            _event(open_alarm, event.at, "cleared", scope.actor)
            session.flush()
            audit.acted(session, scope, open_alarm, entity="alarm", action="clear", after={"state": open_alarm.state})
            cleared += 1
    return raised, cleared


# Alarms the caller may read, newest first.
list_alarms = access.Listing.readable(
    Alarm,
    READ,
    order=(Alarm.raised_at.desc(), Alarm.id.desc()),
    equal=("state", "active", "priority", "site_id"),
    where={"since": lambda since: Alarm.raised_at >= since},
)


UNACKNOWLEDGED = ("unacknowledged", "rtn_unacknowledged")


def count_unacknowledged(*, session: Session, scope: Scope) -> int:
    """Alarms awaiting an operator's acknowledgement (active or returned to normal) — the console's count."""
    scope.require(READ)
    stmt = (
        select(func.count())
        .select_from(Alarm)
        .where(scope.where_readable(Alarm.division_code), Alarm.state.in_(UNACKNOWLEDGED))
    )
    return session.scalar(stmt) or 0


def get_alarm(*, session: Session, scope: Scope, alarm_id: int) -> Alarm:
    scope.require(READ)
    alarm = access.get_readable(session=session, scope=scope, model=Alarm, row_id=alarm_id, what="alarm")
    return alarm


def _for_change(session: Session, scope: Scope, alarm_id: int) -> Alarm:
    scope.require(WRITE)
    alarm = get_alarm(session=session, scope=scope, alarm_id=alarm_id)
    scope.require_write(alarm.division_code, "alarm")
    return alarm


def _changed(session: Session, scope: Scope, alarm: Alarm, action: str) -> Alarm:
    session.flush()
    audit.acted(
        session, scope, alarm, entity="alarm", action=action, after={"state": alarm.state, "priority": alarm.priority}
    )
    return alarm


def acknowledge(*, session: Session, scope: Scope, alarm_id: int, now: int, note: str | None = None) -> Alarm:
    alarm = _for_change(session, scope, alarm_id)
    _store_state(alarm, lifecycle.acknowledge(_to_state(alarm), now, scope.actor))
    _event(alarm, now, "acknowledged", scope.actor, note or "")
    return _changed(session, scope, alarm, "acknowledge")


def shelve(
    *,
    session: Session,
    scope: Scope,
    alarm_id: int,
    now: int,
    reason: str,
    minutes: int | None = None,
    one_shot: bool = False,
) -> Alarm:
    alarm = _for_change(session, scope, alarm_id)
    until = None if minutes is None else now + minutes * 60_000
    _store_state(
        alarm, lifecycle.shelve(_to_state(alarm), now, scope.actor, until=until, one_shot=one_shot, reason=reason)
    )
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
    "enterprise_installation": "hazardous_chemicals",
    "mine": "coal_mine",
    "tailings_dam": "non_coal_mine",
    "rain_gauge": "flood",
    "river_gauge": "flood",
    "landslide": "geological_hazard",
    "other": "other",
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
            incident_in = IncidentCreate.model_validate(
                {
                    "title": body.title or f"{site.name or site.code}: {alarm.rule} ({alarm.sensor_code})",
                    "incident_type": kind,
                    "divisions": [site.division_code],
                    "lon": site.lon if site.lon is not None else 0.0,
                    "lat": site.lat if site.lat is not None else 0.0,
                    "occurred_at": alarm.raised_at.isoformat(),
                    "description": f"promoted from alarm {alarm.id}",
                }
            )
        except ValidationError as exc:
            raise InvalidInput(f"incident: {exc.errors()[0]['msg']}", field="incident_type") from exc
        incident_id = incidents.create(session=session, scope=scope, incident_in=incident_in).id
    incidents.add_timeline_entry(
        session=session,
        scope=scope,
        incident_id=incident_id,
        kind="alarm",
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
            audit.acted(session, scope, alarm, entity="alarm", action=notice.kind, after={"priority": notice.priority})
    return dict(counts)


def fatigue_report(
    *, session: Session, scope: Scope, since: dt.datetime | None = None, top: int = 10
) -> dict[str, Any]:
    """Floods per operator area (the county), chattering and fleeting alarms, per-rule counts and the
    bad actors with delay suggestions — from the recorded history."""
    scope.require(READ)
    stmt = select(
        Alarm.rule,
        Alarm.sensor_code,
        Alarm.priority,
        Alarm.raised_at,
        Alarm.cleared_at,
        Alarm.colour,
        Alarm.division_code,
    ).where(scope.where_readable(Alarm.division_code))
    if since is not None:
        stmt = stmt.where(Alarm.raised_at >= since)
    area: dict[int, str] = {}
    records: list[AlarmRecord] = []
    for rule, sensor, priority, raised, cleared, colour, division in session.execute(
        stmt.order_by(Alarm.raised_at).limit(200_000)
    ):
        record = AlarmRecord(
            sensor,
            rule,
            priority,  # type: ignore[arg-type]
            to_epoch_ms(raised),
            None if cleared is None else to_epoch_ms(cleared),
            colour,
        )
        area[id(record)] = division
        records.append(record)
    floods = fatigue.flood_periods(records, lambda r: area[id(r)])
    return {
        "alarms": len(records),
        "per_rule": fatigue.per_rule_counts(records),
        "floods": [
            {
                **dataclasses.asdict(f),
                "start": format_timestamp(f.start),
                "end": None if f.end is None else format_timestamp(f.end),
            }
            for f in floods
        ],
        "chattering": [dataclasses.asdict(k) for k in fatigue.chattering(records)],
        "fleeting": [dataclasses.asdict(k) for k in fatigue.fleeting(records)],
        "bad_actors": [dataclasses.asdict(b) for b in fatigue.bad_actors(records, top)],
    }


def alarm_view(alarm: Alarm) -> dict[str, Any]:
    """An alarm as the API shows it (lifecycle fields flattened)."""
    life = alarm.lifecycle
    return {
        "id": alarm.id,
        "site_id": alarm.site_id,
        "division_code": alarm.division_code,
        "sensor_code": alarm.sensor_code,
        "rule": alarm.rule,
        "priority": alarm.priority,
        "colour": alarm.colour,
        "state": alarm.state,
        "active": alarm.active,
        "shelved": alarm.shelved,
        "suppressed": bool(life.get("suppressed")),
        "out_of_service": bool(life.get("out_of_service")),
        "raised_at": alarm.raised_at,
        "cleared_at": alarm.cleared_at,
        "acknowledged_at": _opt_dt(life.get("acknowledged_at")),
        "acknowledged_by": life.get("acknowledged_by"),
        "shelved_until": _opt_dt(life.get("shelved_until")),
        "escalations": int(life.get("escalations") or 0),
        "incident_id": alarm.incident_id,
    }


# ------------------------------------------------------------------------------ for other domains (hazards)


def _site_by_code(session: Session, scope: Scope, code: str, division_code: str | None) -> MonitoredSite | None:
    stmt = select(MonitoredSite).where(MonitoredSite.code == code, scope.where_readable(MonitoredSite.division_code))
    sites = list(session.scalars(stmt.order_by(MonitoredSite.id)))
    if division_code is None or len(sites) < 2:
        return sites[0] if sites else None
    subtree = prefix(division_code, level_of(division_code))
    return min(sites, key=lambda s: (s.division_code != division_code, not s.division_code.startswith(subtree)))


DEVICE_RULE_KINDS = ("stale", "flatline")  # a device dead, silent or frozen — not the process itself


def site_health(
    *, session: Session, scope: Scope, site_code: str, now: dt.datetime, division_code: str | None = None
) -> dict[str, Any] | None:
    """Whether a site's monitoring is alive, for other domains (a major hazard installation's online
    monitoring): its sensors, newest reading, and its device-health alarms — stale or flat-lined sensors
    and alarms put out of service — active now (with since when), and when the last such alarm cleared.
    None when no readable site has the code. Site codes are unique per division: among readable sites of
    that code, the one in ``division_code`` (the asking record's) comes first, then one in its subtree."""
    site = _site_by_code(session, scope, site_code, division_code)
    if site is None:
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
