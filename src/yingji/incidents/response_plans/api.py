"""Routes for the digital response plans stored per jurisdiction (``response_plans.py``)."""

from __future__ import annotations

from fastapi import APIRouter

from yingji.api_common import IdPath, ListRequestDep, Page, ScopeDep, SessionDep
from yingji.incidents.incident_types import IncidentType
from yingji.incidents.response_plans import service as response_plans
from yingji.incidents.schemas import ResponsePlanCreated, ResponsePlanIn, ResponsePlanRead

router = APIRouter(prefix="/api/v1", tags=["incidents"])


@router.get("/response-plans", response_model=Page[ResponsePlanRead], operation_id="response_plans_list")
def list_plans(
    req: ListRequestDep, incident_type: IncidentType | None = None, active_only: bool = True
) -> Page[ResponsePlanRead]:
    """Stored response plans (预案) of the caller's jurisdiction and its ancestors (which apply to it too).

    Optionally only those covering one incident type; retired ones with ``active_only=false``."""
    kind = incident_type.value if incident_type else None
    return req.of(
        response_plans.list_plans, ResponsePlanRead.model_validate, incident_type=kind, active_only=active_only
    )


@router.post(
    "/response-plans", response_model=ResponsePlanCreated, status_code=201, operation_id="response_plans_create"
)
def add_plan(body: ResponsePlanIn, session: SessionDep, scope: ScopeDep) -> ResponsePlanCreated:
    """Store a division's response plan; responses activated from now on in its subtree use it.

    The plan is one entry of the ``response_plans.yaml`` format; the deepest division's plan wins. A broken
    plan is 422; a plan overlapping an active one of the same division is 409 unless ``replace`` is set."""
    row, retired = response_plans.add(session=session, scope=scope, body=body)
    return ResponsePlanCreated.model_validate({**ResponsePlanRead.model_validate(row).model_dump(), "retired": retired})


@router.get("/response-plans/{response_plan_id}", response_model=ResponsePlanRead, operation_id="response_plans_get")
def get_plan(response_plan_id: IdPath, session: SessionDep, scope: ScopeDep) -> ResponsePlanRead:
    """One stored plan (the caller's own, or an ancestor's that applies to them), active or retired."""
    return ResponsePlanRead.model_validate(
        response_plans.get(session=session, scope=scope, response_plan_id=response_plan_id)
    )


@router.post(
    "/response-plans/{response_plan_id}/retire", response_model=ResponsePlanRead, operation_id="response_plans_retire"
)
def retire_plan(response_plan_id: IdPath, session: SessionDep, scope: ScopeDep) -> ResponsePlanRead:
    """Stop applying a plan (kept, so tasks created from it stay traceable)."""
    row = response_plans.retire(session=session, scope=scope, response_plan_id=response_plan_id)
    return ResponsePlanRead.model_validate(row)
