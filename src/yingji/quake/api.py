"""Earthquake assessment routes: run one, list and read them, their zones (GeoJSON) and report (HTML)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from yingji.api_common import (
    IdPath,
    IdQuery,
    ListRequestDep,
    Page,
    ScopeDep,
    SessionDep,
    SettingsDep,
    printable_html,
)
from yingji.db import utcnow
from yingji.quake import service
from yingji.quake.models import QuakeAssessment
from yingji.quake.schemas import AssessmentIn, AssessmentOut, AssessmentSummary, DivisionExposure
from yingji.web import quake_pages

api_router = APIRouter(prefix="/api/v1", tags=["quake"])


def summary(row: QuakeAssessment) -> AssessmentSummary:
    return AssessmentSummary.model_validate(row)


def detail(scope: Any, row: QuakeAssessment) -> AssessmentOut:
    return AssessmentOut(
        **summary(row).model_dump(),
        divisions=[c for c in row.division_codes if scope.can_read(c)],
        inputs=row.inputs,
        results=service.results_for(scope, row),
        exposure_by_division=[DivisionExposure.model_validate(r) for r in service.exposure_for(scope, row)],
    )


@api_router.post("/quake/assessments", response_model=AssessmentOut, status_code=201, operation_id="quake_assess")
def create_assessment(
    assessment_in: AssessmentIn, session: SessionDep, scope: ScopeDep, settings: SettingsDep
) -> AssessmentOut:
    """Run an earthquake rapid assessment and store it. The epicentre's county or a division shaken at VI
    or more must lie in the caller's jurisdiction (else 404); bad input is a 422 and stores nothing."""
    row = service.run(
        session=session,
        scope=scope,
        assessment_in=assessment_in,
        now=utcnow(),
        population_raster=settings.population_raster,
    )
    return detail(scope, row)


@api_router.get("/quake/assessments", response_model=Page[AssessmentSummary], operation_id="quake_assessments_list")
def list_assessments(req: ListRequestDep, incident_id: IdQuery = None) -> Page[AssessmentSummary]:
    """Assessments affecting the caller's jurisdiction, newest origin time first."""
    return req.of(service.list_assessments, summary, incident_id=incident_id)


@api_router.get("/quake/assessments/{assessment_id}", response_model=AssessmentOut, operation_id="quake_assessment_get")
def get_assessment(assessment_id: IdPath, session: SessionDep, scope: ScopeDep) -> AssessmentOut:
    """One assessment: inputs, results, exposure by the caller's divisions."""
    return detail(scope, service.get(session=session, scope=scope, assessment_id=assessment_id))


@api_router.get(
    "/quake/assessments/{assessment_id}/zones", response_model=dict[str, Any], operation_id="quake_assessment_zones"
)
def assessment_zones(assessment_id: IdPath, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    """The intensity zones (isoseismals, degree VI and up) as a GeoJSON FeatureCollection."""
    row = service.get(session=session, scope=scope, assessment_id=assessment_id)
    return dict(row.zones)


@api_router.get(
    "/quake/assessments/{assessment_id}/report", response_class=HTMLResponse, operation_id="quake_assessment_report"
)
def assessment_report(assessment_id: IdPath, session: SessionDep, scope: ScopeDep) -> HTMLResponse:
    """The one-page printable report (HTML, self-contained)."""
    row = service.get(session=session, scope=scope, assessment_id=assessment_id)
    return printable_html(service.report_html(scope=scope, row=row))


# The app mounts ``yingji.quake.api.router``: the API routes above and the quake pages (yingji.web.quake_pages,
# which also registers the map's ``intensity`` layer).
router = APIRouter()
router.include_router(api_router)
router.include_router(quake_pages.router)
