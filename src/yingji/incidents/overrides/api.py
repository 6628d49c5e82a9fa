"""Routes for the per-jurisdiction grading overrides (``overrides.py``)."""

from __future__ import annotations

from fastapi import APIRouter

from yingji.api_common import IdPath, ListRequestDep, Page, ScopeDep, SessionDep
from yingji.incidents.overrides import service as overrides
from yingji.incidents.schemas import GradingOverrideIn, GradingOverrideRead

router = APIRouter(prefix="/api/v1", tags=["incidents"])


@router.get("/grading-overrides", response_model=Page[GradingOverrideRead], operation_id="grading_overrides_list")
def list_overrides(req: ListRequestDep, active_only: bool = True) -> Page[GradingOverrideRead]:
    """Local plans' grading thresholds that apply in the caller's jurisdiction (its own and its ancestors')."""
    return req.of(overrides.list_overrides, GradingOverrideRead.model_validate, active_only=active_only)


@router.post(
    "/grading-overrides", response_model=GradingOverrideRead, status_code=201, operation_id="grading_overrides_create"
)
def add_override(body: GradingOverrideIn, session: SessionDep, scope: ScopeDep) -> GradingOverrideRead:
    """Register a local plan's thresholds for a division of the caller's subtree; incidents graded from now
    on in that subtree use them (checked against the rule set first: a broken ladder is refused)."""
    return GradingOverrideRead.model_validate(overrides.add(session=session, scope=scope, body=body))


@router.get(
    "/grading-overrides/{override_id}", response_model=GradingOverrideRead, operation_id="grading_overrides_get"
)
def get_override(override_id: IdPath, session: SessionDep, scope: ScopeDep) -> GradingOverrideRead:
    """One entry (the caller's own, or an ancestor's that applies to them)."""
    return GradingOverrideRead.model_validate(overrides.get(session=session, scope=scope, override_id=override_id))


@router.post(
    "/grading-overrides/{override_id}/retire",
    response_model=GradingOverrideRead,
    operation_id="grading_overrides_retire",
)
def retire_override(override_id: IdPath, session: SessionDep, scope: ScopeDep) -> GradingOverrideRead:
    """Stop applying an entry (kept for the record)."""
    return GradingOverrideRead.model_validate(overrides.retire(session=session, scope=scope, override_id=override_id))
