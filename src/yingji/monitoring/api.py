"""Monitoring routes: the registry (sites, sensors, rules), HTTP ingestion of readings (machine tokens),
dead letters, sensor trends, alarms with their lifecycle actions, promotion to an incident, fatigue."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from yingji.api_common import ApiDateTime, IdPath, ListRequestDep, Page, PageDep, ScopeDep, SessionDep
from yingji.auth.security import MACHINE_TOKEN_PREFIX
from yingji.errors import Forbidden, InvalidInput
from yingji.monitoring import service
from yingji.monitoring.clock import to_epoch_ms
from yingji.monitoring.models import Alarm, MonitoredSite
from yingji.monitoring.schemas import (
    AckIn,
    AlarmDetail,
    AlarmEventRead,
    AlarmRead,
    AlarmState,
    DeadLetterRead,
    FatigueReport,
    FlagIn,
    ImportResult,
    IngestResult,
    NoteIn,
    PromoteIn,
    ReadingPoint,
    RegistryImport,
    RulesIn,
    ShelveIn,
    SiteIn,
    SiteRead,
)

router = APIRouter(prefix="/api/v1", tags=["monitoring"])
MAX_BODY = 4 * 1024 * 1024
Priority = Annotated[str | None, Query(pattern="^(high|medium|low)$")]
Since = Annotated[ApiDateTime | None, Query()]


def _now() -> int:
    return to_epoch_ms(dt.datetime.now(dt.UTC))


def site_read(site: MonitoredSite) -> SiteRead:
    return SiteRead.model_validate(site)  # the sensors and the rule ids come from the row's attributes


def alarm_read(alarm: Alarm) -> AlarmRead:
    return AlarmRead.model_validate(service.alarm_view(alarm))


def alarm_detail(alarm: Alarm) -> AlarmDetail:
    return AlarmDetail(**service.alarm_view(alarm), events=[AlarmEventRead.model_validate(e) for e in alarm.events])


# ---- registry


@router.post("/monitoring/sites", response_model=SiteRead, status_code=201, operation_id="monitoring_sites_create")
def create_site(site_in: SiteIn, session: SessionDep, scope: ScopeDep) -> SiteRead:
    """Register a monitored site in the caller's jurisdiction with its sensors and (optionally) its rules YAML.
    The site code must be free in its division; each sensor code free in the deployment and in the caller's
    namespace: beginning with the code prefix of the site's division or of a division above it that the caller
    covers (``540223-CH4-01``); codes not beginning with a digit are for national users."""
    return site_read(service.create_site(session=session, scope=scope, site_in=site_in))


@router.get("/monitoring/sites", response_model=Page[SiteRead], operation_id="monitoring_sites_list")
def list_sites(req: ListRequestDep, kind: Annotated[str | None, Query(max_length=32)] = None) -> Page[SiteRead]:
    """Monitored sites the caller may read."""
    return req.of(service.list_sites, site_read, kind=kind)


@router.get("/monitoring/sites/{site_id}", response_model=SiteRead, operation_id="monitoring_sites_get")
def get_site(site_id: IdPath, session: SessionDep, scope: ScopeDep) -> SiteRead:
    """One monitored site with its sensors and rules."""
    return site_read(service.get_site(session=session, scope=scope, site_id=site_id))


@router.put("/monitoring/sites/{site_id}/rules", response_model=SiteRead, operation_id="monitoring_site_rules_set")
def set_rules(site_id: IdPath, body: RulesIn, session: SessionDep, scope: ScopeDep) -> SiteRead:
    """Replace a site's rules (YAML, validated; templates expanded)."""
    return site_read(service.set_rules(session=session, scope=scope, site_id=site_id, rules_yaml=body.rules_yaml))


@router.post(
    "/monitoring/sites/import", response_model=ImportResult, status_code=201, operation_id="monitoring_sites_import"
)
def import_sites(body: RegistryImport, session: SessionDep, scope: ScopeDep) -> ImportResult:
    """Import a registry YAML (sites and sensors), all or nothing; the rules YAML, if given, goes to each site."""
    counts = service.import_registry(
        session=session, scope=scope, registry_yaml=body.registry_yaml, rules_yaml=body.rules_yaml, source="api import"
    )
    return ImportResult(**counts)


@router.get(
    "/monitoring/sensors/{sensor_code}/readings",
    response_model=list[ReadingPoint],
    operation_id="monitoring_sensor_readings",
)
def sensor_readings(
    sensor_code: Annotated[str, Path(min_length=1, max_length=128)],
    session: SessionDep,
    scope: ScopeDep,
    since: Since = None,
    until: Since = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[ReadingPoint]:
    """A sensor's stored readings in a period (the trend around an alarm)."""
    points = service.sensor_readings(
        session=session, scope=scope, sensor_code=sensor_code, since=since, until=until, limit=limit
    )
    return [ReadingPoint(ts=service.ms_to_dt(t), value=v) for t, v in points]


# ---- ingestion


_READINGS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"description": "One reading, a batch or compact series (docs/monitoring.md)"}
            }
        },
    }
}


@router.post("/readings", response_model=IngestResult, operation_id="readings_ingest", openapi_extra=_READINGS_BODY)
async def ingest_readings(request: Request, session: SessionDep, scope: ScopeDep) -> IngestResult:
    """HTTP batch ingestion, for machine tokens only: malformed rows, unknown or foreign sensors, values out of
    range and late rows become dead letters (stored and counted); a repeated (sensor, ts) never alarms twice."""
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer " + MACHINE_TOKEN_PREFIX):
        raise Forbidden("readings are accepted from machine tokens only")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise InvalidInput(f"body: at most {MAX_BODY} bytes per request", field="body")
        chunks.append(chunk)
    payload = b"".join(chunks)
    result = await run_in_threadpool(lambda: service.ingest(session=session, scope=scope, payload=payload))
    return IngestResult.model_validate(result)


@router.get("/monitoring/dead-letters", response_model=Page[DeadLetterRead], operation_id="monitoring_dead_letters")
def dead_letters(
    session: SessionDep, scope: ScopeDep, page: PageDep, reason: Annotated[str | None, Query(max_length=32)] = None
) -> Page[DeadLetterRead]:
    """Rejected readings submitted in the caller's jurisdiction, newest first."""
    rows, total, _ = service.list_dead_letters(
        session=session, scope=scope, reason=reason, limit=page.limit, offset=page.offset
    )
    return Page.of([DeadLetterRead.model_validate(r) for r in rows], total, page)


# ---- alarms


@router.get("/alarms", response_model=Page[AlarmRead], operation_id="alarms_list")
def list_alarms(
    req: ListRequestDep,
    state: AlarmState | None = None,
    active: bool | None = None,
    priority: Priority = None,
    site_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    since: Since = None,
) -> Page[AlarmRead]:
    """Alarms the caller may read, newest first (filters: state, active, priority, site, raised since)."""
    filters = {"state": state, "active": active, "priority": priority, "site_id": site_id, "since": since}
    return req.of(service.list_alarms, alarm_read, **filters)


@router.get("/alarms/fatigue", response_model=FatigueReport, operation_id="alarms_fatigue")
def fatigue(
    session: SessionDep, scope: ScopeDep, since: Since = None, top: Annotated[int, Query(ge=1, le=100)] = 10
) -> FatigueReport:
    """Alarm-fatigue report from the recorded history: floods, chattering, fleeting, per-rule counts, bad actors."""
    return FatigueReport.model_validate(service.fatigue_report(session=session, scope=scope, since=since, top=top))


@router.get("/alarms/{alarm_id}", response_model=AlarmDetail, operation_id="alarms_get")
def get_alarm(alarm_id: IdPath, session: SessionDep, scope: ScopeDep) -> AlarmDetail:
    """One alarm with its history (raised, cleared, acknowledged, notes …)."""
    return alarm_detail(service.get_alarm(session=session, scope=scope, alarm_id=alarm_id))


@router.post("/alarms/{alarm_id}/acknowledge", response_model=AlarmDetail, operation_id="alarms_acknowledge")
def acknowledge(alarm_id: IdPath, body: AckIn, session: SessionDep, scope: ScopeDep) -> AlarmDetail:
    """Acknowledge an unacknowledged alarm (409 when there is nothing to acknowledge)."""
    return alarm_detail(
        service.acknowledge(session=session, scope=scope, alarm_id=alarm_id, now=_now(), note=body.note)
    )


@router.post("/alarms/{alarm_id}/shelve", response_model=AlarmDetail, operation_id="alarms_shelve")
def shelve(alarm_id: IdPath, body: ShelveIn, session: SessionDep, scope: ScopeDep) -> AlarmDetail:
    """Shelve for ``minutes`` (≤ 24 h) or one-shot until the alarm next clears."""
    return alarm_detail(
        service.shelve(
            session=session,
            scope=scope,
            alarm_id=alarm_id,
            now=_now(),
            reason=body.reason,
            minutes=body.minutes,
            one_shot=body.one_shot,
        )
    )


@router.post("/alarms/{alarm_id}/unshelve", response_model=AlarmDetail, operation_id="alarms_unshelve")
def unshelve(alarm_id: IdPath, session: SessionDep, scope: ScopeDep) -> AlarmDetail:
    """End a shelve now."""
    return alarm_detail(service.unshelve(session=session, scope=scope, alarm_id=alarm_id, now=_now()))


@router.post("/alarms/{alarm_id}/suppress", response_model=AlarmDetail, operation_id="alarms_suppress")
def suppress(alarm_id: IdPath, body: FlagIn, session: SessionDep, scope: ScopeDep) -> AlarmDetail:
    """Suppress by design (``on``) or lift the suppression."""
    return alarm_detail(
        service.suppress(session=session, scope=scope, alarm_id=alarm_id, now=_now(), on=body.on, reason=body.reason)
    )


@router.post("/alarms/{alarm_id}/out-of-service", response_model=AlarmDetail, operation_id="alarms_out_of_service")
def out_of_service(alarm_id: IdPath, body: FlagIn, session: SessionDep, scope: ScopeDep) -> AlarmDetail:
    """Take the alarm out of service (maintenance) or put it back."""
    return alarm_detail(
        service.out_of_service(
            session=session, scope=scope, alarm_id=alarm_id, now=_now(), on=body.on, reason=body.reason
        )
    )


@router.post("/alarms/{alarm_id}/notes", response_model=AlarmDetail, status_code=201, operation_id="alarms_note")
def note(alarm_id: IdPath, body: NoteIn, session: SessionDep, scope: ScopeDep) -> AlarmDetail:
    """Add an operator's note to the alarm's history."""
    return alarm_detail(service.add_note(session=session, scope=scope, alarm_id=alarm_id, now=_now(), text=body.text))


@router.post("/alarms/{alarm_id}/promote", response_model=AlarmDetail, operation_id="alarms_promote")
def promote(alarm_id: IdPath, body: PromoteIn, session: SessionDep, scope: ScopeDep) -> AlarmDetail:
    """Promote the alarm to an incident in one action (new, or an existing one by id); the incident's timeline
    links the alarm. A foreign incident id is 404."""
    alarm, _ = service.promote(session=session, scope=scope, alarm_id=alarm_id, now=_now(), body=body)
    return alarm_detail(alarm)
