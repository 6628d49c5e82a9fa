"""Hazard routes: report, read, move along the lifecycle to closure, list for supervision, the board."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from yingji.api_common import IdPath, IdQuery, Page, PageDep, ScopeDep, SessionDep
from yingji.db import utcnow
from yingji.hazards import lifecycle
from yingji.hazards.register import service
from yingji.hazards.register.models import Hazard
from yingji.hazards.register.schemas import (
    ActionIn,
    Board,
    HazardEventRead,
    HazardIn,
    HazardRead,
    ListingIn,
)

router = APIRouter(prefix="/api/v1/hazards", tags=["work safety"])
ActionPath = Annotated[str, Path(pattern=r"^[a-z_]{1,32}$")]


def hazard_out(row: Hazard) -> HazardRead:
    return HazardRead.model_validate(row).model_copy(
        update={"allowed_actions": list(lifecycle.allowed_actions(lifecycle.HazardState(row.state)))}
    )


@router.get("/board", response_model=Board, operation_id="hazards_board")
def board(session: SessionDep, scope: ScopeDep, group_by: Literal["division", "category"] = "division") -> Board:
    """动态清零 board: open major/general hazards, overdue, closure rate, median days to close, per child
    division (or supervision category) of the caller's jurisdiction; and the trend of the last 12 months
    (hazards reported and closed per month) over the whole jurisdiction."""
    rows = service.board(session=session, scope=scope, group_by=group_by)
    return Board(group_by=group_by, rows=rows, trend=service.trend(session=session, scope=scope))


@router.get("", response_model=Page[HazardRead], operation_id="hazards_list")
def list_hazards(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    state: Annotated[str | None, Query(pattern=r"^[a-z]{1,16}$")] = None,
    level: Literal["general", "major"] | None = None,
    division: Annotated[str | None, Query(pattern=r"^\d{6}(\d{3}){0,2}$")] = None,
    enterprise_id: IdQuery = None,
    overdue: bool = False,
) -> Page[HazardRead]:
    """Hazards the caller may see, newest first."""
    rows, total = service.list_hazards(
        session=session, scope=scope, state=state, level=level, division=division, enterprise_id=enterprise_id,
        overdue_at=utcnow() if overdue else None, limit=page.limit, offset=page.offset,
    )  # fmt: skip
    return Page.of([hazard_out(r) for r in rows], total, page)


@router.post("", response_model=HazardRead, status_code=status.HTTP_201_CREATED, operation_id="hazards_report")
def report(body: HazardIn, session: SessionDep, scope: ScopeDep) -> HazardRead:
    """Report a hazard at an enterprise (an enterprise user: their own)."""
    return hazard_out(service.report(session=session, scope=scope, hazard_in=body))


@router.get("/{hazard_id}", response_model=HazardRead, operation_id="hazards_get")
def get_hazard(hazard_id: IdPath, session: SessionDep, scope: ScopeDep) -> HazardRead:
    """One hazard (another enterprise's is not found)."""
    return hazard_out(service.get(session=session, scope=scope, hazard_id=hazard_id))


@router.get("/{hazard_id}/history", response_model=list[HazardEventRead], operation_id="hazards_history")
def history(hazard_id: IdPath, session: SessionDep, scope: ScopeDep) -> list[HazardEventRead]:
    """The hazard's history, oldest first (append-only)."""
    return [
        HazardEventRead.model_validate(e) for e in service.history(session=session, scope=scope, hazard_id=hazard_id)
    ]


@router.post("/{hazard_id}/actions/{action}", response_model=HazardRead, operation_id="hazards_act")
def act(hazard_id: IdPath, action: ActionPath, body: ActionIn, session: SessionDep, scope: ScopeDep) -> HazardRead:
    """Move the hazard: confirm, dismiss, determine, return_determination, plan, return_plan, start, complete,
    reject, verify, fail_verification, close, or record progress (409 for a move not allowed or missing what it
    needs, e.g. closing a major hazard without a verification record)."""
    if action == "progress":
        return hazard_out(service.progress(session=session, scope=scope, hazard_id=hazard_id, body=body))
    return hazard_out(service.act(session=session, scope=scope, hazard_id=hazard_id, action=action, body=body))


@router.post("/{hazard_id}/listing", response_model=HazardRead, operation_id="hazards_list_for_supervision")
def listing(hazard_id: IdPath, body: ListingIn, session: SessionDep, scope: ScopeDep) -> HazardRead:
    """挂牌督办: list an open major hazard for supervision with its own deadline and public notice."""
    return hazard_out(service.list_for_supervision(session=session, scope=scope, hazard_id=hazard_id, listing=body))
