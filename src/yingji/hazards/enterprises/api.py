"""Enterprise routes: the register (生产经营单位), scoped; enterprise users see only their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from yingji.api_common import IdPath, ListRequestDep, Page, ScopeDep, SessionDep
from yingji.hazards.enterprises import service
from yingji.hazards.enterprises.schemas import EnterpriseIn, EnterprisePatch, EnterpriseRead, MemberIn

router = APIRouter(prefix="/api/v1/enterprises", tags=["work safety"])


@router.get("", response_model=Page[EnterpriseRead], operation_id="enterprises_list")
def list_enterprises(
    req: ListRequestDep,
    division: Annotated[str | None, Query(pattern=r"^\d{6}(\d{3}){0,2}$")] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    supervision_category: Annotated[str | None, Query(max_length=32)] = None,
) -> Page[EnterpriseRead]:
    """Enterprises of the caller's subtree (an enterprise user: the enterprises they act for)."""
    return req.of(service.list_enterprises, EnterpriseRead.model_validate, division=division, q=q,
                      supervision_category=supervision_category)  # fmt: skip


@router.post("", response_model=EnterpriseRead, status_code=status.HTTP_201_CREATED, operation_id="enterprises_create")
def create_enterprise(body: EnterpriseIn, session: SessionDep, scope: ScopeDep) -> EnterpriseRead:
    """Register an enterprise in the caller's subtree; its 统一社会信用代码 is checked and unique nationally."""
    return EnterpriseRead.model_validate(service.create(session=session, scope=scope, enterprise_in=body))


@router.get("/{enterprise_id}", response_model=EnterpriseRead, operation_id="enterprises_get")
def get_enterprise(enterprise_id: IdPath, session: SessionDep, scope: ScopeDep) -> EnterpriseRead:
    """One enterprise."""
    return EnterpriseRead.model_validate(service.get(session=session, scope=scope, enterprise_id=enterprise_id))


@router.patch("/{enterprise_id}", response_model=EnterpriseRead, operation_id="enterprises_update")
def update_enterprise(
    enterprise_id: IdPath, body: EnterprisePatch, session: SessionDep, scope: ScopeDep
) -> EnterpriseRead:
    """Change an enterprise's details (an enterprise user: its contacts, not its risk grade or status)."""
    row = service.update(session=session, scope=scope, enterprise_id=enterprise_id, patch=body)
    return EnterpriseRead.model_validate(row)


@router.post("/{enterprise_id}/members", status_code=status.HTTP_204_NO_CONTENT, operation_id="enterprises_add_member")
def add_member(enterprise_id: IdPath, body: MemberIn, session: SessionDep, scope: ScopeDep) -> None:
    """Let a user of role enterprise act for this enterprise (regulators of its division)."""
    service.add_member(session=session, scope=scope, enterprise_id=enterprise_id, username=body.username)
