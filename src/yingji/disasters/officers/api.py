"""Information-officer routes under ``/api/v1/disasters``: the register and an event's escalations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from yingji.api_common import IdPath, ScopeDep, SessionDep
from yingji.disasters.officers import service
from yingji.disasters.officers.schemas import EscalationRead, OfficerIn, OfficerRead

router = APIRouter(prefix="/api/v1/disasters", tags=["disasters"])


@router.post(
    "/officers", response_model=OfficerRead, status_code=status.HTTP_201_CREATED, operation_id="disasters_officers_add"
)
def add_officer(body: OfficerIn, session: SessionDep, scope: ScopeDep) -> OfficerRead:
    """Register a township's disaster information officer (rank 1) or a backup (2…)."""
    return OfficerRead.model_validate(service.add_officer(session=session, scope=scope, officer_in=body))


@router.get("/officers", response_model=list[OfficerRead], operation_id="disasters_officers_list")
def list_officers(
    session: SessionDep, scope: ScopeDep, township: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None
) -> list[OfficerRead]:
    """Active information officers of the caller's subtree, by township and calling order."""
    rows = service.list_officers(session=session, scope=scope, township=township)
    return [OfficerRead.model_validate(r) for r in rows]


@router.post(
    "/officers/{officer_id}/deactivate", response_model=OfficerRead, operation_id="disasters_officers_deactivate"
)
def deactivate_officer(officer_id: IdPath, session: SessionDep, scope: ScopeDep) -> OfficerRead:
    """Take an officer off the register (kept for the record)."""
    return OfficerRead.model_validate(service.deactivate_officer(session=session, scope=scope, officer_id=officer_id))


@router.get("/events/{event_id}/escalations", response_model=list[EscalationRead], operation_id="disasters_escalations")
def escalations(event_id: IdPath, session: SessionDep, scope: ScopeDep) -> list[EscalationRead]:
    """Overdue township reports the scheduler flagged, with whom it called (officers, then the county)."""
    rows = service.list_escalations(session=session, scope=scope, event_id=event_id)
    return [EscalationRead.model_validate(r) for r in rows]
