"""Hazard routes: report, read, move along the lifecycle to closure, list for supervision, the board."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from yingji.api_common import IdPath, IdQuery, ListRequestDep, Page, ScopeDep, SessionDep
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.hazards import lifecycle
from yingji.hazards.enterprises import service as enterprise_service
from yingji.hazards.register import service
from yingji.hazards.register.models import Hazard
from yingji.hazards.register.rollups import service as rollups
from yingji.hazards.register.schemas import (
    ActionIn,
    Board,
    HazardEventRead,
    HazardIn,
    HazardRead,
    ListingIn,
)

router = APIRouter(prefix="/api/v1/hazards", tags=["work safety"])
HAZARD_PAGE, BOARD, JSON = TypeAdapter(Page[HazardRead]), TypeAdapter(Board), "application/json"
LIST_CACHE_S = 2.0
ActionPath = Annotated[str, Path(pattern=r"^[a-z_]{1,32}$")]


def hazard_out(row: Hazard) -> HazardRead:
    return HazardRead.model_validate(row).model_copy(
        update={"allowed_actions": list(lifecycle.allowed_actions(lifecycle.HazardState(row.state)))}
    )


def _answer(session: Session, scope: Scope, key: tuple[Any, ...], compute: Callable[[], bytes], *,
            shared: bool = True, max_age: float | None = None) -> Response:  # fmt: skip
    """A JSON answer. A regulator's depends only on the jurisdiction and ``key`` (the filters): the regulators
    of one jurisdiction polling the same view share one computation while no hazard changes (rollups.reused).
    An enterprise user's, or one not ``shared`` (computed from the clock or one enterprise), is computed."""
    if not shared or enterprise_service.is_enterprise_user(scope):
        return Response(compute(), media_type=JSON)
    scope.require(service.READ)
    return Response(rollups.reused(session, (key[0], scope.prefix, *key[1:]), compute, max_age), media_type=JSON)


@router.get("/board", response_model=Board, operation_id="hazards_board")
def board(session: SessionDep, scope: ScopeDep, group_by: Literal["division", "category"] = "division") -> Response:
    """动态清零 board: open major/general hazards, overdue, closure rate, median days to close, per child
    division (or supervision category) of the caller's jurisdiction; and the trend of the last 12 months
    (hazards reported and closed per month) over the whole jurisdiction."""

    def compute() -> bytes:
        rows = service.board(session=session, scope=scope, group_by=group_by)
        return BOARD.dump_json(Board(group_by=group_by, rows=rows, trend=service.trend(session=session, scope=scope)))

    return _answer(session, scope, ("board-answer", group_by), compute)


@router.get("", response_model=Page[HazardRead], operation_id="hazards_list")
def list_hazards(
    req: ListRequestDep,
    state: Annotated[str | None, Query(pattern=r"^[a-z]{1,16}$")] = None,
    level: Literal["general", "major"] | None = None,
    division: Annotated[str | None, Query(pattern=r"^\d{6}(\d{3}){0,2}$")] = None,
    enterprise_id: IdQuery = None,
    overdue: bool = False,
) -> Response:
    """Hazards the caller may see, newest first."""

    def compute() -> bytes:
        return HAZARD_PAGE.dump_json(req.of(
            service.list_hazards, hazard_out, state=state, level=level, division=division, enterprise_id=enterprise_id,
            overdue_at=utcnow() if overdue else None,
        ))  # fmt: skip

    key = ("page", state, level, division, req.page.limit, req.page.offset)
    shared = not (overdue or enterprise_id)
    return _answer(req.session, req.scope, key, compute, shared=shared, max_age=LIST_CACHE_S)


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
