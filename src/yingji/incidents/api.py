"""Command routes: incidents, response, plans, tasks, timeline, situation reports, organisations,
reporting deadlines, notifications, duty desk, metrics. Parse, call the service, return schemas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

import pydantic_core
from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from yingji.api_common import ApiDateTime, IdPath, ListRequestDep, Page, ScopeDep, SessionDep
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.incidents import plans, service
from yingji.incidents.handover import service as handover_service
from yingji.incidents.incident_types import IncidentType
from yingji.incidents.lifecycle import IncidentStatus
from yingji.incidents.models import DutyItem, Incident
from yingji.incidents.schemas import (
    ContactIn,
    ContactRead,
    DueReportRead,
    DutyActionIn,
    DutyCloseIn,
    DutyItemIn,
    DutyItemRead,
    DutyLogIn,
    DutyLogRead,
    EscalationRead,
    FigureChangeRead,
    FiguresUpdate,
    HandoverIn,
    IncidentCreate,
    IncidentRead,
    IncidentSummary,
    IncidentUpdate,
    MetricsGroup,
    MetricsRead,
    NotificationRead,
    OrganisationIn,
    OrganisationRead,
    PlanRead,
    ReportMadeIn,
    ResponseActionIn,
    ResponseActionRead,
    ShiftIn,
    ShiftRead,
    SituationReportEdit,
    SituationReportIn,
    SituationReportRead,
    SituationReportStatus,
    StatusChange,
    TaskCreate,
    TaskRead,
    TaskUpdate,
    TimelineIn,
    TimelineRead,
)
from yingji.schemas_common import Schema

router = APIRouter(prefix="/api/v1", tags=["incidents"])
SUMMARY_FIELDS = tuple(IncidentSummary.model_fields)
Search = Annotated[str | None, Query(max_length=50, pattern=r"^[^\x00]*$")]
DivisionQuery = Annotated[str | None, Query(pattern=r"^\d{6}(\d{3}){0,2}$")]
STALE: dict[int | str, dict[str, Any]] = {
    409: {"description": "stale version: the problem body carries the current state in `current`"}
}


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


def incident_read(incident: Incident) -> IncidentRead:
    return IncidentRead.model_validate(incident)


def _versioned(
    change: Callable[..., Incident], incident_id: int, version: int, session: Session, scope: Scope, **fields: Any
) -> IncidentRead:
    """The incident after ``change`` (a service operation) at the ``version`` the caller read: a stale one answers
    409 with the current state."""
    return incident_read(change(session=session, scope=scope, incident_id=incident_id, version=version, **fields))


def _incident_rows(
    segment: str, rows_of: Callable[..., Sequence[Any]], read: type[Schema], operation: str, name: str
) -> None:
    """The route ``GET /incidents/{incident_id}/{segment}`` named ``name``: the incident's rows as ``rows_of`` (a
    service read) gives them, each as ``read``."""

    def incident_rows(incident_id: IdPath, session: SessionDep, scope: ScopeDep) -> list[Schema]:
        return [read.model_validate(r) for r in rows_of(session=session, scope=scope, incident_id=incident_id)]

    incident_rows.__name__ = name
    router.add_api_route(
        f"/incidents/{{incident_id}}/{segment}",
        incident_rows,
        methods=["GET"],
        response_model=list[read],  # type: ignore[valid-type]
        operation_id=operation,
    )


# -- incidents ---------------------------------------------------------------------------------------


@router.get("/incidents", response_model=Page[IncidentSummary], operation_id="incidents_list")
def list_incidents(
    req: ListRequestDep,
    status: IncidentStatus | None = None,
    incident_type: IncidentType | None = None,
    division: DivisionQuery = None,
    exercise: bool | None = None,
    q: Search = None,
    since: ApiDateTime | None = None,
    until: ApiDateTime | None = None,
) -> Response:
    """Incidents covering a division you may read, newest report first."""
    rows, total = req.rows(
        service.list_incident_rows,
        fields=SUMMARY_FIELDS,
        status=status.value if status else None,
        incident_type=incident_type.value if incident_type else None,
        division=division,
        exercise=exercise,
        q=q,
        since=_aware(since),
        until=_aware(until),
    )
    # The body Page[IncidentSummary] would give (pydantic's own JSON encoder, the model's field order), from
    # the rows as they come: no model per row to build, validate and dump.
    items = [dict(zip(SUMMARY_FIELDS, row, strict=True)) for row in rows]
    body = {"items": items, "total": total, "limit": req.page.limit, "offset": req.page.offset}
    return Response(pydantic_core.to_json(body), media_type="application/json")


@router.post("/incidents", response_model=IncidentRead, status_code=201, operation_id="incidents_create")
def create_incident(body: IncidentCreate, session: SessionDep, scope: ScopeDep) -> IncidentRead:
    """Report an incident (graded at once from its figures)."""
    return incident_read(service.create(session=session, scope=scope, incident_in=body))


@router.get("/incidents/metrics", response_model=MetricsRead, operation_id="incidents_metrics")
def incident_metrics(
    session: SessionDep,
    scope: ScopeDep,
    by: Literal["type", "division", "type_division", "all"] = "type_division",
    division_digits: Annotated[int | None, Query(ge=2, le=12)] = None,
    since: ApiDateTime | None = None,
) -> MetricsRead:
    """Time to first report, verification, response and closure (seconds), per type and division;
    exercises never count."""
    fields: dict[str, tuple[Literal["incident_type", "division"], ...]] = {
        "type": ("incident_type",),
        "division": ("division",),
        "type_division": ("incident_type", "division"),
        "all": (),
    }
    grouping = fields[by]
    result = service.response_metrics(
        session=session, scope=scope, by=grouping, division_digits=division_digits, since=_aware(since)
    )
    groups = []
    for key, summaries in result.items():
        named = dict(zip(grouping, key, strict=True))
        groups.append(
            MetricsGroup(
                incident_type=named.get("incident_type"),
                division=named.get("division"),
                intervals=dict(summaries),
            )
        )
    return MetricsRead(groups=groups)


@router.get("/incidents/{incident_id}", response_model=IncidentRead, operation_id="incidents_get")
def get_incident(incident_id: IdPath, session: SessionDep, scope: ScopeDep) -> Response:
    # Built and validated once here; returned as a Response, FastAPI does not validate it again.
    body = IncidentRead.model_validate(service.get_fields(session=session, scope=scope, incident_id=incident_id))
    return Response(body.model_dump_json(), media_type="application/json")


@router.patch("/incidents/{incident_id}", response_model=IncidentRead, responses=STALE, operation_id="incidents_update")
def update_incident(incident_id: IdPath, body: IncidentUpdate, session: SessionDep, scope: ScopeDep) -> IncidentRead:
    """Change details; carries the version read (a stale one answers 409 with the current state)."""
    return incident_read(service.update_incident(session=session, scope=scope, incident_id=incident_id, change=body))


@router.post(
    "/incidents/{incident_id}/figures", response_model=IncidentRead, responses=STALE, operation_id="incidents_figures"
)
def change_figures(incident_id: IdPath, body: FiguresUpdate, session: SessionDep, scope: ScopeDep) -> IncidentRead:
    """Change figures (kept with time and source) and re-grade."""
    fields = {"figures": body.figures, "source": body.source, "at": body.at}
    return _versioned(service.change_figures, incident_id, body.version, session, scope, **fields)


_incident_rows("figures", service.figure_history, FigureChangeRead, "incidents_figure_history", "figure_history")


@router.post(
    "/incidents/{incident_id}/status", response_model=IncidentRead, responses=STALE, operation_id="incidents_status"
)
def change_status(incident_id: IdPath, body: StatusChange, session: SessionDep, scope: ScopeDep) -> IncidentRead:
    """Move the status (reported → verified → responding → recovering → closed; dismissals need a reason)."""
    fields = {"target": body.status, "reason": body.reason, "at": body.at}
    return _versioned(service.change_status, incident_id, body.version, session, scope, **fields)


# -- response ----------------------------------------------------------------------------------------


_incident_rows(
    "response", service.response_actions, ResponseActionRead, "incidents_response_history", "response_history"
)


@router.post(
    "/incidents/{incident_id}/response",
    response_model=IncidentRead,
    responses=STALE,
    operation_id="incidents_respond",
)
def respond(incident_id: IdPath, body: ResponseActionIn, session: SessionDep, scope: ScopeDep) -> IncidentRead:
    """Recommend, activate (creates the plan's tasks), escalate, de-escalate (with reasons) or end a response."""
    fields = {"action": body.action, "level": body.level, "reason": body.reason}
    return _versioned(service.respond, incident_id, body.version, session, scope, **fields)


@router.get("/plans", response_model=list[PlanRead], operation_id="plans_list")
def list_plans(scope: ScopeDep) -> list[PlanRead]:
    """The packaged example response plans (预案), used where no stored plan covers an incident's type.

    Tasks per incident type and level. Bureaus' own plans are under ``/response-plans``."""
    scope.require("incidents:read")
    return [PlanRead.model_validate(p.as_dict()) for p in plans.packaged_plans()]


# -- tasks -------------------------------------------------------------------------------------------


_incident_rows("tasks", service.tasks_of, TaskRead, "incidents_tasks_list", "list_tasks")


@router.post(
    "/incidents/{incident_id}/tasks", response_model=TaskRead, status_code=201, operation_id="incidents_tasks_create"
)
def create_task(incident_id: IdPath, body: TaskCreate, session: SessionDep, scope: ScopeDep) -> TaskRead:
    return TaskRead.model_validate(
        service.create_task(session=session, scope=scope, incident_id=incident_id, task_in=body)
    )


@router.get("/tasks/{task_id}", response_model=TaskRead, operation_id="tasks_get")
def get_task(task_id: IdPath, session: SessionDep, scope: ScopeDep) -> TaskRead:
    return TaskRead.model_validate(service.get_task(session=session, scope=scope, task_id=task_id))


@router.patch("/tasks/{task_id}", response_model=TaskRead, operation_id="tasks_update")
def update_task(task_id: IdPath, body: TaskUpdate, session: SessionDep, scope: ScopeDep) -> TaskRead:
    """Acknowledge, progress, complete or cancel a task; add feedback."""
    return TaskRead.model_validate(service.update_task(session=session, scope=scope, task_id=task_id, change=body))


# -- timeline ----------------------------------------------------------------------------------------


@router.get("/incidents/{incident_id}/timeline", response_model=Page[TimelineRead], operation_id="incidents_timeline")
def timeline(incident_id: IdPath, req: ListRequestDep) -> Page[TimelineRead]:
    return req.of(service.timeline, TimelineRead.model_validate, incident_id=incident_id)


@router.post(
    "/incidents/{incident_id}/timeline",
    response_model=TimelineRead,
    status_code=201,
    operation_id="incidents_timeline_add",
)
def add_timeline(incident_id: IdPath, body: TimelineIn, session: SessionDep, scope: ScopeDep) -> TimelineRead:
    entry = service.add_timeline_entry(
        session=session, scope=scope, incident_id=incident_id, kind=body.kind, text=body.text
    )
    return TimelineRead.model_validate(entry)


# -- situation reports -------------------------------------------------------------------------------


_incident_rows("situation-reports", service.reports_of, SituationReportRead, "situation_reports_list", "list_reports")


@router.post(
    "/incidents/{incident_id}/situation-reports",
    response_model=SituationReportRead,
    status_code=201,
    operation_id="situation_reports_create",
)
def create_report(
    incident_id: IdPath, body: SituationReportIn, session: SessionDep, scope: ScopeDep
) -> SituationReportRead:
    report = service.create_report(session=session, scope=scope, incident_id=incident_id, report_in=body)
    return SituationReportRead.model_validate(report)


@router.get("/situation-reports/{report_id}", response_model=SituationReportRead, operation_id="situation_reports_get")
def get_report(report_id: IdPath, session: SessionDep, scope: ScopeDep) -> SituationReportRead:
    return SituationReportRead.model_validate(service.get_report(session=session, scope=scope, report_id=report_id))


@router.patch(
    "/situation-reports/{report_id}",
    response_model=SituationReportRead,
    responses=STALE,
    operation_id="situation_reports_edit",
)
def edit_report(
    report_id: IdPath, body: SituationReportEdit, session: SessionDep, scope: ScopeDep
) -> SituationReportRead:
    """Edit a draft (a new revision; carries the revision read)."""
    report = service.edit_report(
        session=session,
        scope=scope,
        report_id=report_id,
        revision=body.revision,
        report_in=body,
    )
    return SituationReportRead.model_validate(report)


@router.post(
    "/situation-reports/{report_id}/status",
    response_model=SituationReportRead,
    responses=STALE,
    operation_id="situation_reports_status",
)
def report_status(
    report_id: IdPath, body: SituationReportStatus, session: SessionDep, scope: ScopeDep
) -> SituationReportRead:
    """Approve a draft, publish an approved report."""
    report = service.set_report_status(
        session=session, scope=scope, report_id=report_id, revision=body.revision, status=body.status
    )
    return SituationReportRead.model_validate(report)


# -- organisations -----------------------------------------------------------------------------------


@router.get("/organisations", response_model=Page[OrganisationRead], operation_id="organisations_list")
def list_organisations(req: ListRequestDep, q: Search = None) -> Page[OrganisationRead]:
    return req.of(service.list_organisations, OrganisationRead.model_validate, q=q)


@router.post("/organisations", response_model=OrganisationRead, status_code=201, operation_id="organisations_create")
def create_organisation(body: OrganisationIn, session: SessionDep, scope: ScopeDep) -> OrganisationRead:
    organisation = service.create_organisation(session=session, scope=scope, organisation_in=body)
    return OrganisationRead.model_validate(organisation)


@router.get("/organisations/{organisation_id}", response_model=OrganisationRead, operation_id="organisations_get")
def get_organisation(organisation_id: IdPath, session: SessionDep, scope: ScopeDep) -> OrganisationRead:
    organisation = service.get_organisation(session=session, scope=scope, organisation_id=organisation_id)
    return OrganisationRead.model_validate(organisation)


@router.post(
    "/organisations/{organisation_id}/contacts",
    response_model=ContactRead,
    status_code=201,
    operation_id="organisations_contacts_add",
)
def add_contact(organisation_id: IdPath, body: ContactIn, session: SessionDep, scope: ScopeDep) -> ContactRead:
    contact = service.add_contact(session=session, scope=scope, organisation_id=organisation_id, contact_in=body)
    return ContactRead.model_validate(contact)


# -- reporting deadlines, notifications ----------------------------------------------------------------


def _due_reports(session: Session, scope: Scope, incident_id: int, now: dt.datetime) -> list[DueReportRead]:
    """The information reports the incident owes, with their status at ``now``."""
    reports = service.due_reports(session=session, scope=scope, incident_id=incident_id, now=now)
    return [DueReportRead.model_validate(r.as_dict(now)) for r in reports]


@router.get(
    "/incidents/{incident_id}/deadlines", response_model=list[DueReportRead], operation_id="incidents_deadlines"
)
def deadlines(
    incident_id: IdPath, session: SessionDep, scope: ScopeDep, at: ApiDateTime | None = None
) -> list[DueReportRead]:
    """The information reports this incident owes, with their status now (or at ``at``)."""
    return _due_reports(session, scope, incident_id, _aware(at) or utcnow())


@router.post(
    "/incidents/{incident_id}/deadlines",
    response_model=list[DueReportRead],
    status_code=201,
    operation_id="incidents_report_made",
)
def report_made(incident_id: IdPath, body: ReportMadeIn, session: SessionDep, scope: ScopeDep) -> list[DueReportRead]:
    """Record a due report as made; answers the updated list."""
    service.record_report_made(
        session=session, scope=scope, incident_id=incident_id, key=body.key, made_at=body.made_at
    )
    return _due_reports(session, scope, incident_id, utcnow())


@router.get("/notifications", response_model=Page[NotificationRead], operation_id="notifications_list")
def notifications(req: ListRequestDep) -> Page[NotificationRead]:
    return req.of(service.list_notifications, NotificationRead.model_validate)


# -- duty desk ---------------------------------------------------------------------------------------


def item_read(item: DutyItem) -> DutyItemRead:
    out = DutyItemRead.model_validate(item)
    now = utcnow()
    out.escalations = [
        EscalationRead(action=e.action, due_at=e.due_at, done_at=e.done_at, status=e.status(now).value)
        for e in service.escalations_of(item, now)
    ]
    return out


@router.get("/duty/shifts", response_model=Page[ShiftRead], operation_id="duty_shifts_list")
def list_shifts(req: ListRequestDep, at: ApiDateTime | None = None) -> Page[ShiftRead]:
    """The shift roster (``at``: the shifts on duty at that moment)."""
    return req.of(service.list_shifts, ShiftRead.model_validate, at=_aware(at))


@router.post("/duty/shifts", response_model=ShiftRead, status_code=201, operation_id="duty_shifts_create")
def create_shift(body: ShiftIn, session: SessionDep, scope: ScopeDep) -> ShiftRead:
    return ShiftRead.model_validate(service.create_shift(session=session, scope=scope, shift_in=body))


@router.post("/duty/shifts/{shift_id}/handover", response_model=ShiftRead, operation_id="duty_shifts_handover")
def hand_over(shift_id: IdPath, body: HandoverIn, session: SessionDep, scope: ScopeDep) -> ShiftRead:
    handover_service.hand_over(session=session, scope=scope, shift_id=shift_id, note=body.note)
    return ShiftRead.model_validate(handover_service.get_shift(session=session, scope=scope, shift_id=shift_id))


@router.get("/duty/log", response_model=Page[DutyLogRead], operation_id="duty_log_list")
def duty_log(req: ListRequestDep) -> Page[DutyLogRead]:
    return req.of(service.list_log, DutyLogRead.model_validate)


@router.post("/duty/log", response_model=DutyLogRead, status_code=201, operation_id="duty_log_add")
def add_log(body: DutyLogIn, session: SessionDep, scope: ScopeDep) -> DutyLogRead:
    return DutyLogRead.model_validate(service.add_log_entry(session=session, scope=scope, entry_in=body))


@router.get("/duty/items", response_model=Page[DutyItemRead], operation_id="duty_items_list")
def list_items(req: ListRequestDep, status: Literal["open", "incident", "closed"] | None = None) -> Page[DutyItemRead]:
    """Information received by the duty desk, with each escalation timer's state."""
    return req.of(service.list_items, item_read, status=status)


@router.post("/duty/items", response_model=DutyItemRead, status_code=201, operation_id="duty_items_receive")
def receive(body: DutyItemIn, session: SessionDep, scope: ScopeDep) -> DutyItemRead:
    return item_read(service.receive(session=session, scope=scope, item_in=body))


@router.get("/duty/items/{item_id}", response_model=DutyItemRead, operation_id="duty_items_get")
def get_item(item_id: IdPath, session: SessionDep, scope: ScopeDep) -> DutyItemRead:
    return item_read(service.get_item(session=session, scope=scope, item_id=item_id))


@router.post("/duty/items/{item_id}/actions", response_model=DutyItemRead, operation_id="duty_items_action")
def duty_action(item_id: IdPath, body: DutyActionIn, session: SessionDep, scope: ScopeDep) -> DutyItemRead:
    """Mark an escalation step done: ``leader_told`` (10 min), ``forwarded`` (30 min)."""
    item = service.record_duty_action(session=session, scope=scope, item_id=item_id, action=body.action, at=body.at)
    return item_read(item)


@router.post(
    "/duty/items/{item_id}/incident",
    response_model=IncidentRead,
    status_code=201,
    operation_id="duty_items_to_incident",
)
def to_incident(item_id: IdPath, body: IncidentCreate, session: SessionDep, scope: ScopeDep) -> IncidentRead:
    """The received information becomes an incident."""
    return incident_read(service.item_to_incident(session=session, scope=scope, item_id=item_id, incident_in=body))


@router.post("/duty/items/{item_id}/close", response_model=DutyItemRead, operation_id="duty_items_close")
def close_item(item_id: IdPath, body: DutyCloseIn, session: SessionDep, scope: ScopeDep) -> DutyItemRead:
    """Close received information with a reason (no incident)."""
    return item_read(service.close_item(session=session, scope=scope, item_id=item_id, reason=body.reason))
