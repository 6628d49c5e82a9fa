"""Routes of the handover record (交接班): read what a shift handed over, acknowledge it (接班确认). The
handover itself is ``POST /api/v1/duty/shifts/{id}/handover`` (incidents.api), which records the record."""

from __future__ import annotations

from fastapi import APIRouter

from yingji.api_common import IdPath, ScopeDep, SessionDep
from yingji.incidents.handover import service
from yingji.incidents.handover.schemas import HandoverRead

router = APIRouter(prefix="/api/v1", tags=["incidents"])


@router.get("/duty/shifts/{shift_id}/handover", response_model=HandoverRead, operation_id="duty_shifts_handover_get")
def get_handover(shift_id: IdPath, session: SessionDep, scope: ScopeDep) -> HandoverRead:
    """What the shift handed over (the matters open then) and whether the next shift acknowledged it."""
    return HandoverRead.model_validate(service.get_handover(session=session, scope=scope, shift_id=shift_id))


@router.post("/duty/shifts/{shift_id}/acknowledge", response_model=HandoverRead, operation_id="duty_shifts_acknowledge")
def acknowledge(shift_id: IdPath, session: SessionDep, scope: ScopeDep) -> HandoverRead:
    """The next shift takes the handover over (someone other than who handed over; once)."""
    return HandoverRead.model_validate(service.acknowledge(session=session, scope=scope, shift_id=shift_id))
