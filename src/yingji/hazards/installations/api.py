"""Major hazard installation routes: register, replace the inventory (recomputed), history."""

from __future__ import annotations

from fastapi import APIRouter, status

from yingji.api_common import IdPath, IdQuery, ListRequestDep, Page, ScopeDep, SessionDep
from yingji.db import utcnow
from yingji.hazards.installations import service
from yingji.hazards.installations.schemas import AssessmentRead, InstallationIn, InstallationRead, InventoryIn

router = APIRouter(prefix="/api/v1/installations", tags=["work safety"])


@router.get("", response_model=Page[InstallationRead], operation_id="installations_list")
def list_installations(
    req: ListRequestDep, enterprise_id: IdQuery = None, major: bool | None = None
) -> Page[InstallationRead]:
    """Installations of the enterprises the caller may see."""
    return req.of(service.list_installations, InstallationRead.model_validate, enterprise_id=enterprise_id, major=major)


@router.post(
    "", response_model=InstallationRead, status_code=status.HTTP_201_CREATED, operation_id="installations_create"
)
def create_installation(body: InstallationIn, session: SessionDep, scope: ScopeDep) -> InstallationRead:
    """Register a unit with its inventory; S, R and the grade are computed by GB 18218-2018."""
    return InstallationRead.model_validate(service.create(session=session, scope=scope, installation_in=body))


@router.get("/{installation_id}", response_model=InstallationRead, operation_id="installations_get")
def get_installation(installation_id: IdPath, session: SessionDep, scope: ScopeDep) -> InstallationRead:
    """One installation, with whether its online monitoring is connected and alive."""
    row = service.get(session=session, scope=scope, installation_id=installation_id)
    status = service.monitoring(session=session, scope=scope, installation=row, now=utcnow())
    return InstallationRead.model_validate(row).model_copy(update={"monitoring": status})


@router.put("/{installation_id}/inventory", response_model=InstallationRead, operation_id="installations_set_inventory")
def set_inventory(installation_id: IdPath, body: InventoryIn, session: SessionDep, scope: ScopeDep) -> InstallationRead:
    """Replace the inventory lines; the unit is assessed again and the assessment kept in its history."""
    row = service.set_inventory(session=session, scope=scope, installation_id=installation_id, inventory=body)
    return InstallationRead.model_validate(row)


@router.get(
    "/{installation_id}/assessments", response_model=list[AssessmentRead], operation_id="installations_assessments"
)
def assessments(installation_id: IdPath, session: SessionDep, scope: ScopeDep) -> list[AssessmentRead]:
    """Every assessment of the installation, oldest first."""
    rows = service.assessments(session=session, scope=scope, installation_id=installation_id)
    return [AssessmentRead.model_validate(r) for r in rows]
