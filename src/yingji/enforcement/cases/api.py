"""Inspection and penalty-case routes: inspections and findings, cases with their clocks and steps, documents
as PDF."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from yingji.api_common import IdPath, IdQuery, ListRequestDep, Page, ScopeDep, SessionDep, SettingsDep
from yingji.enforcement.cases import service
from yingji.enforcement.cases.models import CaseEvidence, FollowUp, Inspection, PenaltyCase
from yingji.enforcement.cases.schemas import (
    CaseEventRead,
    CaseIn,
    CaseRead,
    ClockRead,
    EnforcementStatistics,
    EvidenceRead,
    FindingIn,
    FindingRead,
    FollowUpIn,
    FollowUpItemRead,
    FollowUpRead,
    InspectionIn,
    InspectionRead,
    StepIn,
)
from yingji.enforcement.evidence import service as evidence
from yingji.enforcement.followups import service as follow_ups
from yingji.errors import InvalidInput

router = APIRouter(prefix="/api/v1/enforcement", tags=["enforcement"])
PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}, "description": "the document as PDF"}}


def _inspection_out(row: Inspection, findings: list[FindingRead]) -> InspectionRead:
    return InspectionRead.model_validate(row).model_copy(update={"findings": findings})


def _with_findings(session: SessionDep, rows: Sequence[Inspection]) -> list[InspectionRead]:
    found = service.findings_of(session=session, inspection_ids=[r.id for r in rows])
    return [_inspection_out(r, [FindingRead.model_validate(f) for f in found[r.id]]) for r in rows]


def _pdf(content: bytes, name: str) -> Response:
    return Response(
        content, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}.pdf"'}
    )


@router.get("/inspections", response_model=Page[InspectionRead], operation_id="enforcement_inspections_list")
def list_inspections(req: ListRequestDep, enterprise_id: IdQuery = None) -> Page[InspectionRead]:
    """Inspections of the caller's subtree, latest first, with their findings."""
    rows, total = req.rows(service.list_inspections, enterprise_id=enterprise_id)
    return Page.of(_with_findings(req.session, rows), total, req.page)


@router.post("/inspections", response_model=InspectionRead, status_code=status.HTTP_201_CREATED,
             operation_id="enforcement_inspections_create")  # fmt: skip
def create_inspection(body: InspectionIn, session: SessionDep, scope: ScopeDep) -> InspectionRead:
    """Record an inspection: the pair drawn for the enterprise (draw_id) or two or more named inspectors,
    none with a recusal tie to it."""
    return _inspection_out(service.create_inspection(session=session, scope=scope, inspection_in=body), [])


@router.get("/inspections/{inspection_id}", response_model=InspectionRead, operation_id="enforcement_inspections_get")
def get_inspection(inspection_id: IdPath, session: SessionDep, scope: ScopeDep) -> InspectionRead:
    """One inspection with its findings."""
    return _with_findings(session, [service.get_inspection(session=session, scope=scope, inspection_id=inspection_id)])[
        0
    ]


@router.post("/inspections/{inspection_id}/findings", response_model=FindingRead, status_code=status.HTTP_201_CREATED,
             operation_id="enforcement_findings_create")  # fmt: skip
def add_finding(inspection_id: IdPath, body: FindingIn, session: SessionDep, scope: ScopeDep) -> FindingRead:
    """Record a finding; with hazard_title it is reported as a hazard (source inspection) and linked."""
    row = service.add_finding(session=session, scope=scope, inspection_id=inspection_id, finding_in=body)
    return FindingRead.model_validate(row)


@router.get("/inspections/{inspection_id}/documents/{kind}", response_class=Response, responses=PDF,
            operation_id="enforcement_inspection_document")  # fmt: skip
def inspection_document(
    inspection_id: IdPath, kind: Literal["record", "rectification"], session: SessionDep, scope: ScopeDep
) -> Response:
    """现场检查记录 (record) or 责令限期整改指令书 (rectification) as PDF."""
    pdf = service.inspection_document(session=session, scope=scope, inspection_id=inspection_id, kind=kind)
    return _pdf(pdf, f"inspection-{inspection_id}-{kind}")


def follow_up_out(session: SessionDep, row: FollowUp, inspection: Inspection) -> FollowUpRead:
    items = follow_ups.items_of(session=session, follow_up_ids=[row.id])[row.id]
    listed = [FollowUpItemRead.model_validate(i).model_copy(update={"text": text}) for i, text in items]
    return FollowUpRead.model_validate(row).model_copy(update={
        "order_number": service.order_number(inspection), "rectification_deadline": inspection.rectification_deadline,
        "items": listed})  # fmt: skip


@router.get("/inspections/{inspection_id}/follow-ups", response_model=list[FollowUpRead],
            operation_id="enforcement_follow_ups_list")  # fmt: skip
def list_follow_ups(inspection_id: IdPath, session: SessionDep, scope: ScopeDep) -> list[FollowUpRead]:
    """The follow-up inspections (复查) of the inspection's rectification order, first to last."""
    inspection = service.get_inspection(session=session, scope=scope, inspection_id=inspection_id)
    rows = follow_ups.list_for(session=session, scope=scope, inspection_id=inspection_id)
    return [follow_up_out(session, r, inspection) for r in rows]


@router.post("/inspections/{inspection_id}/follow-ups", response_model=FollowUpRead,
             status_code=status.HTTP_201_CREATED, operation_id="enforcement_follow_ups_create")  # fmt: skip
def create_follow_up(inspection_id: IdPath, body: FollowUpIn, session: SessionDep, scope: ScopeDep) -> FollowUpRead:
    """Record a follow-up (复查) of the rectification order: every finding once, rectified or not; the linked
    hazards move (verify; reject or fail_verification); with open_case the items not rectified become a case."""
    row = follow_ups.create(session=session, scope=scope, inspection_id=inspection_id, follow_up_in=body)
    inspection = service.get_inspection(session=session, scope=scope, inspection_id=inspection_id)
    return follow_up_out(session, row, inspection)


@router.get("/follow-ups/{follow_up_id}", response_model=FollowUpRead, operation_id="enforcement_follow_ups_get")
def get_follow_up(follow_up_id: IdPath, session: SessionDep, scope: ScopeDep) -> FollowUpRead:
    """One follow-up with its items."""
    row = follow_ups.get(session=session, scope=scope, follow_up_id=follow_up_id)
    inspection = service.get_inspection(session=session, scope=scope, inspection_id=row.inspection_id)
    return follow_up_out(session, row, inspection)


@router.get("/follow-ups/{follow_up_id}/document", response_class=Response, responses=PDF,
            operation_id="enforcement_follow_up_document")  # fmt: skip
def follow_up_document(follow_up_id: IdPath, session: SessionDep, scope: ScopeDep) -> Response:
    """整改复查意见书 as PDF."""
    return _pdf(
        follow_ups.document(session=session, scope=scope, follow_up_id=follow_up_id), f"follow-up-{follow_up_id}"
    )


def case_out(session: SessionDep, row: PenaltyCase) -> CaseRead:
    events = service.events_of(session=session, case_ids=[row.id])[row.id]
    clocks = [ClockRead(**vars(c)) for c in service.case_clocks(row, events, service.today())]
    return CaseRead.model_validate(row).model_copy(
        update={"clocks": clocks, "events": [CaseEventRead.model_validate(e) for e in events]}
    )


@router.get("/cases", response_model=Page[CaseRead], operation_id="enforcement_cases_list")
def list_cases(req: ListRequestDep, state: Annotated[str | None, Query(max_length=16)] = None) -> Page[CaseRead]:
    """Penalty cases of the caller's subtree with their clocks (today), latest filed first."""
    return req.of(service.list_cases, partial(case_out, req.session), state=state)


@router.post("/cases", response_model=CaseRead, status_code=status.HTTP_201_CREATED,
             operation_id="enforcement_cases_create")  # fmt: skip
def create_case(body: CaseIn, session: SessionDep, scope: ScopeDep) -> CaseRead:
    """File a penalty case (立案); its clocks follow the rules in force on the filing day."""
    return case_out(session, service.create_case(session=session, scope=scope, case_in=body))


@router.get("/cases/{case_id}", response_model=CaseRead, operation_id="enforcement_cases_get")
def get_case(case_id: IdPath, session: SessionDep, scope: ScopeDep) -> CaseRead:
    """One case with its steps and clocks."""
    return case_out(session, service.get_case(session=session, scope=scope, case_id=case_id))


@router.post("/cases/{case_id}/steps", response_model=CaseRead, operation_id="enforcement_cases_step")
def case_step(case_id: IdPath, body: StepIn, session: SessionDep, scope: ScopeDep) -> CaseRead:
    """Move the case one step (investigate, notify, hearing_*, extend, decide, serve, execute, close)."""
    return case_out(session, service.step(session=session, scope=scope, case_id=case_id, step_in=body))


@router.get("/cases/{case_id}/documents/{kind}", response_class=Response, responses=PDF,
            operation_id="enforcement_case_document")  # fmt: skip
def case_document(
    case_id: IdPath, kind: Literal["notice", "decision"], session: SessionDep, scope: ScopeDep
) -> Response:
    """行政处罚告知书 (notice) or 行政处罚决定书 (decision) as PDF."""
    pdf = service.case_document(session=session, scope=scope, case_id=case_id, kind=kind)
    return _pdf(pdf, f"case-{case_id}-{kind}")


_EVIDENCE_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary", "description": "PDF, JPEG or PNG (by content)"},
                   "description": {"type": "string", "maxLength": 2000},
                   "stage": {"type": "string", "enum": list(evidence.STAGES),
                             "description": "a state the case has reached (default: its state)"}}}}}}}  # fmt: skip


@router.post("/cases/{case_id}/evidence", response_model=EvidenceRead, status_code=status.HTTP_201_CREATED,
             operation_id="enforcement_evidence_add", openapi_extra=_EVIDENCE_BODY)  # fmt: skip
async def add_evidence(
    case_id: IdPath, request: Request, session: SessionDep, scope: ScopeDep, settings: SettingsDep
) -> EvidenceRead:
    """Add an evidence file (证据) to the case, as multipart form data: `file` (PDF, JPEG or PNG judged by its
    content, at most YINGJI_EVIDENCE_MAX_BYTES; kept as uploaded, with its SHA-256), `description`, `stage`.
    A closed case takes no more evidence (409)."""
    try:
        form = await request.form(max_files=1, max_fields=2)
    except StarletteHTTPException as exc:
        if exc.status_code == status.HTTP_413_CONTENT_TOO_LARGE:
            raise
        raise InvalidInput(f"the form could not be read: {exc.detail}; one file a request") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("a file is required", field="file")
        description, stage = str(form.get("description") or "").strip(), str(form.get("stage") or "").strip()
        if len(description) > 2000:
            raise InvalidInput("the description is at most 2000 characters", field="description")
        row = await run_in_threadpool(lambda: evidence.add(
            session=session, scope=scope, case_id=case_id, source=upload.file, filename=upload.filename or "",
            description=description, stage=stage or None, settings=settings))  # fmt: skip
    finally:
        await form.close()
    return EvidenceRead.model_validate(row)


@router.get("/cases/{case_id}/evidence", response_model=list[EvidenceRead], operation_id="enforcement_evidence_list")
def list_evidence(case_id: IdPath, session: SessionDep, scope: ScopeDep) -> list[EvidenceRead]:
    """The case's evidence files, first added first (no content)."""
    return [EvidenceRead.model_validate(r) for r in evidence.list_for(session=session, scope=scope, case_id=case_id)]


@router.get("/cases/{case_id}/evidence/{evidence_id}", response_class=FileResponse,
            responses={200: {"content": {m: {} for m in ("application/pdf", "image/jpeg", "image/png")},
                             "description": "the file as uploaded"}},
            operation_id="enforcement_evidence_get")  # fmt: skip
def get_evidence(
    case_id: IdPath, evidence_id: IdPath, request: Request, session: SessionDep, scope: ScopeDep,
    settings: SettingsDep,
) -> FileResponse:  # fmt: skip
    """One evidence file as uploaded (`X-Content-SHA256`); each read is audited."""
    from yingji.db import transaction

    row = evidence.get(session=session, scope=scope, case_id=case_id, evidence_id=evidence_id)
    path = evidence.path_of(row, settings)
    with transaction(request.app.state.session_factory) as writer:  # a GET's session only reads
        evidence.record_read(session=writer, scope=scope, row=writer.get_one(CaseEvidence, row.id))
    extension = path.suffix
    return FileResponse(path, media_type=row.media_type, filename=f"case-{case_id}-evidence-{row.id}{extension}",
                        headers={"X-Content-SHA256": row.sha256, "Cache-Control": "no-store"})  # fmt: skip


@router.get("/public/statistics", response_model=EnforcementStatistics, operation_id="enforcement_statistics")
def public_statistics(
    session: SessionDep,
    division: Annotated[str | None, Query(pattern=r"^\d{6}(\d{6})?$")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> EnforcementStatistics:
    """Public figures of enforcement (no sign-in): inspections (findings, hazards reported) and penalty cases
    (state, fines, median days to decision and to close) by supervision category and by the divisions one level
    below; inspections by their day and cases by their filing day in `year`. Small counts are withheld."""
    return EnforcementStatistics.model_validate(
        service.public_statistics(session=session, division=division, year=year)
    )
