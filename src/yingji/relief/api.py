"""Relief API: dispatch plans from the database (demand from an assessment, an incident or given;
supply from readable depots), their flows for the map, and committing a plan into transfer orders and
Command tasks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from yingji.api_common import IdPath, IdQuery, ListRequestDep, Page, ScopeDep, SessionDep
from yingji.relief import service
from yingji.relief.schemas import (
    FlowCollection,
    PlanIn,
    PlanRead,
    PlanSummary,
    RoadCut,
    RoadImport,
    RoadImported,
    RoadSegmentRead,
)

router = APIRouter(prefix="/api/v1/relief", tags=["relief"])


@router.post("/plans", response_model=PlanRead, status_code=status.HTTP_201_CREATED, operation_id="relief_plan_create")
def create_plan(plan_in: PlanIn, session: SessionDep, scope: ScopeDep) -> PlanRead:
    """Plan a dispatch (min-cost flow per item, greedy baseline beside it, displaced people to shelters)
    and store it. Unmet need is reported, never dropped."""
    plan = service.create_plan(session=session, scope=scope, plan_in=plan_in)
    return PlanRead.model_validate(plan)


@router.get("/plans", response_model=Page[PlanSummary], operation_id="relief_plan_list")
def list_plans(req: ListRequestDep, incident_id: IdQuery = None) -> Page[PlanSummary]:
    """Plans of the caller's subtree, newest first."""
    return req.of(service.list_plans, PlanSummary.model_validate, incident_id=incident_id)


@router.get("/plans/{plan_id}", response_model=PlanRead, operation_id="relief_plan_get")
def get_plan(plan_id: IdPath, session: SessionDep, scope: ScopeDep) -> PlanRead:
    """One plan: places with their need, depots, shipments, unmet need, baseline, shelter assignment."""
    return PlanRead.model_validate(service.get_plan(session=session, scope=scope, plan_id=plan_id))


@router.get("/plans/{plan_id}/flows", response_model=FlowCollection, operation_id="relief_plan_flows")
def plan_flows(plan_id: IdPath, session: SessionDep, scope: ScopeDep) -> FlowCollection:
    """The plan as GeoJSON: lines depot → place with quantities (and the places as points)."""
    plan = service.get_plan(session=session, scope=scope, plan_id=plan_id)
    return FlowCollection.model_validate(service.flows(plan))


@router.post("/plans/{plan_id}/commit", response_model=PlanRead, operation_id="relief_plan_commit")
def commit_plan(plan_id: IdPath, session: SessionDep, scope: ScopeDep) -> PlanRead:
    """Turn the plan into transfer orders (created; stock moves on confirmation) and Command tasks on
    its incident, with a timeline entry. Idempotent: committing again creates nothing."""
    return PlanRead.model_validate(service.commit_plan(session=session, scope=scope, plan_id=plan_id))


@router.post("/plans/{plan_id}/confirm", response_model=PlanRead, operation_id="relief_plan_confirm")
def confirm_plan(plan_id: IdPath, session: SessionDep, scope: ScopeDep) -> PlanRead:
    """The plan's supplies left: its open transfer orders are confirmed and its direct shipments issued
    (stock moves through the ledger), which ends its reservation. All or nothing."""
    return PlanRead.model_validate(service.confirm_plan(session=session, scope=scope, plan_id=plan_id))


@router.post("/plans/{plan_id}/cancel", response_model=PlanRead, operation_id="relief_plan_cancel")
def cancel_plan(plan_id: IdPath, session: SessionDep, scope: ScopeDep) -> PlanRead:
    """Drop a planned or committed plan: its open transfer orders are cancelled, and the stock it
    reserved is free for other plans again."""
    return PlanRead.model_validate(service.cancel_plan(session=session, scope=scope, plan_id=plan_id))


@router.post("/roads", response_model=RoadImported, status_code=status.HTTP_201_CREATED,
             operation_id="relief_roads_import")  # fmt: skip
def import_roads(road_in: RoadImport, session: SessionDep, scope: ScopeDep) -> RoadImported:
    """Store a road network (GeoJSON lines) under a new name; a broken feature is rejected naming it and
    the reason, and nothing is stored. Plans from the database route over the stored networks."""
    return RoadImported.model_validate(service.import_roads(session=session, scope=scope, road_in=road_in))


@router.get("/roads", response_model=Page[RoadSegmentRead], operation_id="relief_roads_list")
def list_roads(
    req: ListRequestDep, network: Annotated[str | None, Query(max_length=100)] = None, cut: bool | None = None
) -> Page[RoadSegmentRead]:
    """Road segments the caller may read, cut ones first (with reason, time and who cut them)."""
    return req.of(service.list_roads, RoadSegmentRead.model_validate, network=network, cut=cut)


@router.post("/roads/{segment_id}/cut", response_model=RoadSegmentRead, operation_id="relief_road_cut")
def cut_road(segment_id: IdPath, cut_in: RoadCut, session: SessionDep, scope: ScopeDep) -> RoadSegmentRead:
    """Close a road segment (断路) with the reason; plans made from now on route around it (audited)."""
    row = service.cut_road(session=session, scope=scope, segment_id=segment_id, reason=cut_in.reason)
    return RoadSegmentRead.model_validate(row)


@router.post("/roads/{segment_id}/reopen", response_model=RoadSegmentRead, operation_id="relief_road_reopen")
def reopen_road(segment_id: IdPath, session: SessionDep, scope: ScopeDep) -> RoadSegmentRead:
    """Reopen a cut road segment (audited)."""
    return RoadSegmentRead.model_validate(service.reopen_road(session=session, scope=scope, segment_id=segment_id))
