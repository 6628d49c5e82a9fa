"""Disaster statistics routes under ``/api/v1/disasters``: events, township reports, review, roll-ups."""

from __future__ import annotations

import tempfile
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response

from yingji.api_common import IdPath, ScopeDep, SessionDep, SettingsDep, run_and_commit
from yingji.disasters import service
from yingji.disasters.evidence import service as evidence_service
from yingji.disasters.models import DisasterReport
from yingji.disasters.schemas import (
    EventIn,
    EventRead,
    MissingRead,
    ReportIn,
    ReportRead,
    ReportType,
    ReviewIn,
    ReviewManyIn,
    ReviewManyRead,
    ReviewOutcome,
    StabilisedIn,
    TotalsRead,
)
from yingji.errors import DomainError, InvalidInput

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPOOL_BYTES = 1024 * 1024  # an uploaded workbook past this size waits on disk, not in memory
_XLSX_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {XLSX: {"schema": {"type": "string", "format": "binary", "description": "The regime's layout"}}},
    }
}
CodesQuery = Annotated[
    str | None,
    Query(pattern=r"^\d{12}(,\d{12}){0,49}$", description="Only these divisions (12-digit codes, comma-separated)."),
]
router = APIRouter(prefix="/api/v1/disasters", tags=["disasters"])
CountyPath = Annotated[str, Path(pattern=r"^\d{6}000000$", description="The county's 12-digit code.")]
StatusQuery = Annotated[
    str | None,
    Query(pattern=r"^(submitted|county_accepted|prefecture_accepted|province_accepted|returned)$"),
]


@router.get("/events", response_model=list[EventRead], operation_id="disasters_events_list")
def list_events(session: SessionDep, scope: ScopeDep) -> list[EventRead]:
    """Disaster events declared in the caller's subtree or over its ancestors, newest first."""
    return service.events_read(session=session, scope=scope, events=service.list_events(session=session, scope=scope))


@router.post(
    "/events", response_model=EventRead, status_code=status.HTTP_201_CREATED, operation_id="disasters_events_create"
)
def create_event(body: EventIn, session: SessionDep, scope: ScopeDep) -> EventRead:
    """Declare a disaster event over a division of the caller's subtree (with its GLIDE number if known)."""
    event = service.create_event(session=session, scope=scope, event_in=body)
    return service.event_read(session=session, scope=scope, event=event)


@router.get("/events/{event_id}", response_model=EventRead, operation_id="disasters_events_get")
def get_event(event_id: IdPath, session: SessionDep, scope: ScopeDep) -> EventRead:
    """One disaster event."""
    return service.event_read(
        session=session, scope=scope, event=service.get_event(session=session, scope=scope, event_id=event_id)
    )


@router.post("/events/{event_id}/stabilised", response_model=EventRead, operation_id="disasters_events_stabilised")
def set_stabilised(event_id: IdPath, body: StabilisedIn, session: SessionDep, scope: ScopeDep) -> EventRead:
    """Record the day (北京时间) the disaster stabilised (灾情稳定): the verified reports (核报) are due by the end of
    the regime's working days after it, and townships that made an initial report without one are then
    escalated. A county user records its own county's day; the bureau of the event's division or one above it
    sets the event-wide day, which applies to every county of the event without a day of its own."""
    event = service.set_stabilised(session=session, scope=scope, event_id=event_id, on=body.on)
    return service.event_read(session=session, scope=scope, event=event)


@router.post(
    "/events/{event_id}/counties/{county_code}/stabilised",
    response_model=EventRead,
    operation_id="disasters_events_county_stabilised",
)
def set_county_stabilised(
    event_id: IdPath, county_code: CountyPath, body: StabilisedIn, session: SessionDep, scope: ScopeDep
) -> EventRead:
    """Record the day (北京时间) one county of the event stabilised, by its bureau or a level above it (a county
    outside the caller's subtree or the event's area: 404): its townships' verified reports (核报) are due by
    the end of the regime's working days after it, whatever the event-wide day says."""
    service.set_county_stabilised(session=session, scope=scope, event_id=event_id, county_code=county_code, on=body.on)
    return service.event_read(
        session=session, scope=scope, event=service.get_event(session=session, scope=scope, event_id=event_id)
    )


@router.post(
    "/events/{event_id}/reports",
    response_model=ReportRead,
    status_code=status.HTTP_201_CREATED,
    operation_id="disasters_reports_submit",
)
async def submit_report(event_id: IdPath, body: ReportIn, session: SessionDep, scope: ScopeDep) -> ReportRead:
    """A township's 初报/续报/核报 (a later one corrects the earlier; history is kept). Cross-field rule
    failures come back as findings; a jump or drop beyond the set ratio needs an explanation (422)."""

    def work() -> ReportRead:
        report = service.submit_report(session=session, scope=scope, event_id=event_id, report_in=body)
        return ReportRead.model_validate(report)

    return await run_and_commit(session, work)


@router.get("/events/{event_id}/reports", response_model=list[ReportRead], operation_id="disasters_reports_list")
def list_reports(
    event_id: IdPath, session: SessionDep, scope: ScopeDep, status: StatusQuery = None
) -> list[ReportRead]:
    """The event's reports in the caller's subtree; with ``status`` a review queue (e.g. submitted)."""
    rows = service.list_reports(session=session, scope=scope, event_id=event_id, status=status)
    return [ReportRead.model_validate(r) for r in rows]


@router.get("/reports/{report_id}", response_model=ReportRead, operation_id="disasters_reports_get")
def get_report(report_id: IdPath, session: SessionDep, scope: ScopeDep) -> ReportRead:
    """One report with its findings and review trail."""
    return ReportRead.model_validate(service.get_report(session=session, scope=scope, report_id=report_id))


@router.post("/reports/{report_id}/review", response_model=ReportRead, operation_id="disasters_reports_review")
async def review_report(report_id: IdPath, body: ReviewIn, session: SessionDep, scope: ScopeDep) -> ReportRead:
    """Accept or return (with a reason) at the level the report waits for: county, prefecture, province."""

    def work() -> ReportRead:
        report = service.review_report(session=session, scope=scope, report_id=report_id, review_in=body)
        return ReportRead.model_validate(report)

    return await run_and_commit(session, work)


@router.post("/reports/reviews", response_model=ReviewManyRead, operation_id="disasters_reports_review_many")
async def review_reports(body: ReviewManyIn, session: SessionDep, scope: ScopeDep) -> ReviewManyRead:
    """A review queue's "accept (or return) selected": up to 200 reports, each judged and answered on its own.

    Each report named is judged as its own review would judge it and answered in ``results`` in the order
    named: reviewed (``status`` 200 with the report), or refused with the status, code and detail its own
    review would have answered (404 unknown or outside the caller's subtree, 409 awaiting no review, 403
    another level's turn) and left as it was. A missing permission (403) or a return without a reason (422)
    refuses the whole request."""

    def work() -> ReviewManyRead:
        outcomes = service.review_reports(session=session, scope=scope, report_ids=body.report_ids, review_in=body)
        return ReviewManyRead(results=[_outcome(i, o) for i, o in zip(body.report_ids, outcomes, strict=True)])

    return await run_and_commit(session, work)


def _outcome(report_id: int, outcome: DisasterReport | DomainError) -> ReviewOutcome:
    if isinstance(outcome, DomainError):
        return ReviewOutcome(report_id=report_id, status=outcome.status, code=outcome.code, detail=outcome.detail)
    return ReviewOutcome(report_id=report_id, status=200, report=ReportRead.model_validate(outcome))


@router.get("/events/{event_id}/totals", response_model=TotalsRead, operation_id="disasters_totals")
def totals(event_id: IdPath, session: SessionDep, scope: ScopeDep, codes: CodesQuery = None) -> TotalsRead:
    """Roll-ups for every township and ancestor the caller covers (sums of the latest accepted figures) and
    the national relief response level each covered province's totals trigger. With ``codes`` (up to 50
    division codes, comma-separated) only those divisions, summed in the database (cheap for a large event)."""
    if codes:
        wanted = codes.split(",")
        figures, levels = service.division_totals(session=session, scope=scope, event_id=event_id, codes=wanted)
    else:
        figures, levels = service.event_totals(session=session, scope=scope, event_id=event_id)
    return TotalsRead(event_id=event_id, totals=figures, relief_response=levels)


@router.get("/events/{event_id}/evidence", response_model=dict[str, Any], operation_id="disasters_evidence")
def evidence(event_id: IdPath, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    """Per division the caller covers: the accepted totals beside the earthquake assessment's estimates,
    shelter occupancy, population and ledger counts, with the plausibility flags (check, figures, reason)."""
    return evidence_service.evidence_for(session=session, scope=scope, event_id=event_id)


@router.get("/events/{event_id}/missing", response_model=MissingRead, operation_id="disasters_missing")
def missing(event_id: IdPath, session: SessionDep, scope: ScopeDep, report_type: ReportType = "initial") -> MissingRead:
    """Townships of the event's area in the caller's subtree that have not sent a report of this type."""
    codes = service.not_reported(session=session, scope=scope, event_id=event_id, report_type=report_type)
    return MissingRead(event_id=event_id, report_type=report_type, townships=codes)


@router.get(
    "/events/{event_id}/export",
    operation_id="disasters_export",
    responses={200: {"content": {"text/csv": {}, "application/json": {}, XLSX: {}}}},
)
def export(
    event_id: IdPath, session: SessionDep, scope: ScopeDep, format: Literal["hxl", "sendai", "xlsx"] = "hxl"
) -> Any:
    """The totals the caller covers in an open format: ``hxl`` (HXL-tagged CSV of aggregate figures),
    ``sendai`` (Sendai Framework indicators, targets A–D, per division) or ``xlsx`` (the regime's table
    layout, money in 万元)."""
    if format == "sendai":
        return service.export_sendai(session=session, scope=scope, event_id=event_id)
    if format == "xlsx":
        data = service.export_xlsx(session=session, scope=scope, event_id=event_id)
        headers = {"Content-Disposition": f'attachment; filename="disaster-{event_id}.xlsx"'}
        return Response(data, media_type=XLSX, headers=headers)
    text = service.export_hxl(session=session, scope=scope, event_id=event_id)
    return PlainTextResponse(text, media_type="text/csv; charset=utf-8")


@router.post(
    "/events/{event_id}/import",
    response_model=list[ReportRead],
    status_code=status.HTTP_201_CREATED,
    operation_id="disasters_import_xlsx",
    openapi_extra=_XLSX_BODY,
)
async def import_xlsx(
    event_id: IdPath,
    request: Request,
    session: SessionDep,
    scope: ScopeDep,
    settings: SettingsDep,
    report_type: ReportType = "follow_up",
    explanation: Annotated[str, Query(max_length=4000)] = "",
) -> list[ReportRead]:
    """Township rows of an xlsx workbook in the regime's layout (sheet 乡镇, codes in row 3), each a report of
    ``report_type``: all or nothing, every problem named with its sheet, row and column (422)."""
    # The body streams to a temporary file (in memory up to 1 MiB, on disk past it): the route's body limit is
    # the upload limit (YINGJI_MAX_UPLOAD_BYTES, yingji.edge.BODY_LIMITS), far above what memory should hold.
    data = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 — closed below
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > settings.max_upload_bytes:
                raise InvalidInput(f"body: at most {settings.max_upload_bytes} bytes", field="body")
            data.write(chunk)  # to the page cache: no wait worth a thread
        data.seek(0)
    except BaseException:
        data.close()
        raise

    def run() -> list[ReportRead]:
        rows = service.import_xlsx(
            session=session,
            scope=scope,
            event_id=event_id,
            data=data,
            report_type=report_type,
            explanation=explanation,
        )
        return [ReportRead.model_validate(r) for r in rows]

    try:
        return await run_in_threadpool(run)
    finally:
        data.close()
