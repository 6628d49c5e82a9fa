"""Enforcement routes: inspectors and recusal ties, annual plans, stored draws (make, list, verify, publish)
and the public list of a published draw."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, status

from yingji.api_common import IdPath, ListRequestDep, Page, ScopeDep, SessionDep, SettingsDep
from yingji.enforcement import service
from yingji.enforcement.models import Draw, Inspector
from yingji.enforcement.schemas import (
    DrawIn,
    DrawRead,
    InspectorIn,
    InspectorPatch,
    InspectorRead,
    PairRead,
    PlanIn,
    PlanRead,
    PublicDraw,
    PublicPair,
    RecusalIn,
    RecusalRead,
    VerifyRead,
)

router = APIRouter(prefix="/api/v1/enforcement", tags=["enforcement"])


def _inspector_out(row: Inspector, recusals: list[RecusalRead]) -> InspectorRead:
    return InspectorRead.model_validate(row).model_copy(update={"recusals": recusals})


def _with_ties(session: SessionDep, rows: Sequence[Inspector]) -> list[InspectorRead]:
    ties = service.recusals_of(session=session, inspector_ids=[r.id for r in rows])
    return [_inspector_out(r, [RecusalRead.model_validate(t) for t in ties[r.id]]) for r in rows]


@router.get("/inspectors", response_model=Page[InspectorRead], operation_id="enforcement_inspectors_list")
def list_inspectors(req: ListRequestDep, active: Annotated[bool | None, Query()] = None) -> Page[InspectorRead]:
    """The inspector register (执法人员) of the caller's subtree, with each one's recusal ties."""
    rows, total = req.rows(service.list_inspectors, active=active)
    return Page.of(_with_ties(req.session, rows), total, req.page)


@router.post("/inspectors", response_model=InspectorRead, status_code=status.HTTP_201_CREATED,
             operation_id="enforcement_inspectors_create")  # fmt: skip
def create_inspector(body: InspectorIn, session: SessionDep, scope: ScopeDep) -> InspectorRead:
    """Register an inspector in the caller's subtree; the certificate number is unique nationally."""
    return _inspector_out(service.create_inspector(session=session, scope=scope, inspector_in=body), [])


@router.get("/inspectors/{inspector_id}", response_model=InspectorRead, operation_id="enforcement_inspectors_get")
def get_inspector(inspector_id: IdPath, session: SessionDep, scope: ScopeDep) -> InspectorRead:
    """One inspector with its recusal ties."""
    return _with_ties(session, [service.get_inspector(session=session, scope=scope, inspector_id=inspector_id)])[0]


@router.patch("/inspectors/{inspector_id}", response_model=InspectorRead, operation_id="enforcement_inspectors_update")
def update_inspector(inspector_id: IdPath, body: InspectorPatch, session: SessionDep, scope: ScopeDep) -> InspectorRead:
    """Change an inspector's unit, or take them off (or back onto) the active list."""
    row = service.update_inspector(session=session, scope=scope, inspector_id=inspector_id, patch=body)
    return _with_ties(session, [row])[0]


@router.post("/inspectors/{inspector_id}/recusals", response_model=RecusalRead, status_code=status.HTTP_201_CREATED,
             operation_id="enforcement_recusals_create")  # fmt: skip
def add_recusal(inspector_id: IdPath, body: RecusalIn, session: SessionDep, scope: ScopeDep) -> RecusalRead:
    """Tie the inspector to an enterprise (回避): they are never drawn for it."""
    row = service.add_recusal(session=session, scope=scope, inspector_id=inspector_id, recusal_in=body)
    return RecusalRead.model_validate(row)


@router.get("/plans", response_model=Page[PlanRead], operation_id="enforcement_plans_list")
def list_plans(req: ListRequestDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> Page[PlanRead]:
    """Annual enforcement plans of the caller's subtree, newest year first."""
    return req.of(service.list_plans, PlanRead.model_validate, year=year)


@router.post("/plans", response_model=PlanRead, status_code=status.HTTP_201_CREATED,
             operation_id="enforcement_plans_create")  # fmt: skip
def create_plan(body: PlanIn, session: SessionDep, scope: ScopeDep) -> PlanRead:
    """A division's plan for a year: counts per supervision category, key enterprises, the random share."""
    return PlanRead.model_validate(service.create_plan(session=session, scope=scope, plan_in=body))


@router.get("/plans/{plan_id}", response_model=PlanRead, operation_id="enforcement_plans_get")
def get_plan(plan_id: IdPath, session: SessionDep, scope: ScopeDep) -> PlanRead:
    """One plan."""
    return PlanRead.model_validate(service.get_plan(session=session, scope=scope, plan_id=plan_id))


def draw_out(session: SessionDep, row: Draw) -> DrawRead:
    enterprises, inspectors = service.names(session, row)
    pairs = [
        PairRead(enterprise_id=e, enterprise_name=enterprises.get(e, ""), inspector_ids=ids,
                 inspector_names=[inspectors[i].name if i in inspectors else "" for i in ids], part=part)
        for part, e, ids in service.pairs_of(row)
    ]  # fmt: skip
    return DrawRead(
        id=row.id, plan_id=row.plan_id, division_code=row.division_code, sequence=row.sequence, state=row.state,
        algorithm=row.algorithm, seed=row.seed, seed_source=row.seed_source, seed_recorded_at=row.seed_recorded_at,
        digest=row.digest, reason=row.reason, earlier_draw_ids=row.earlier_draw_ids, created_by=row.created_by,
        created_at=row.created_at, published_at=row.published_at, parts=row.parts, pairs=pairs,
    )  # fmt: skip


@router.get("/plans/{plan_id}/draws", response_model=list[DrawRead], operation_id="enforcement_draws_list")
def list_draws(plan_id: IdPath, session: SessionDep, scope: ScopeDep) -> list[DrawRead]:
    """Every draw of the plan, first to last (none is ever deleted)."""
    return [draw_out(session, d) for d in service.list_draws(session=session, scope=scope, plan_id=plan_id)]


@router.post("/plans/{plan_id}/draws", response_model=DrawRead, status_code=status.HTTP_201_CREATED,
             operation_id="enforcement_draws_create")  # fmt: skip
def make_draw(plan_id: IdPath, body: DrawIn, session: SessionDep, scope: ScopeDep, settings: SettingsDep) -> DrawRead:
    """Draw the plan: seed from the CSPRNG (or the configured public beacon, its round recorded), written before
    the result; a re-draw needs a reason."""
    seeds = service.seed_source_for(settings)
    return draw_out(session, service.make_draw(session=session, scope=scope, plan_id=plan_id, draw_in=body,
                                               seed_source=seeds))  # fmt: skip


@router.get("/draws/{draw_id}", response_model=DrawRead, operation_id="enforcement_draws_get")
def get_draw(draw_id: IdPath, session: SessionDep, scope: ScopeDep) -> DrawRead:
    """One draw with its inputs, seed, digests and pairs."""
    return draw_out(session, service.get_draw(session=session, scope=scope, draw_id=draw_id))


@router.get("/draws/{draw_id}/verify", response_model=VerifyRead, operation_id="enforcement_draws_verify")
def verify_draw(draw_id: IdPath, session: SessionDep, scope: ScopeDep) -> VerifyRead:
    """Re-run the stored draw from its stored inputs; says also whether today's register gives the same inputs."""
    row = service.get_draw(session=session, scope=scope, draw_id=draw_id)
    ok, detail, current = service.verify_draw(session=session, scope=scope, draw_id=draw_id)
    return VerifyRead(verified=ok, digest=row.digest, detail=detail, inputs_current=current)


@router.post("/draws/{draw_id}/publish", response_model=DrawRead, operation_id="enforcement_draws_publish")
def publish_draw(draw_id: IdPath, session: SessionDep, scope: ScopeDep) -> DrawRead:
    """Publish the plan's latest draw (公开); from then on it never changes."""
    return draw_out(session, service.publish_draw(session=session, scope=scope, draw_id=draw_id))


@router.get("/public/draws/{draw_id}", response_model=PublicDraw, operation_id="enforcement_public_draw")
def public_draw(draw_id: IdPath, session: SessionDep) -> PublicDraw:
    """A published draw as the public list (no sign-in): enterprise, inspectors (name and certificate
    number), and the seed and digest to check it. Unpublished draws are 404."""
    row, plan = service.published(session=session, draw_id=draw_id)
    enterprises, inspectors = service.names(session, row)
    pairs = [
        PublicPair(enterprise=enterprises.get(e, ""), part=part,
                   inspectors=[f"{inspectors[i].name}（{inspectors[i].certificate_no}）" for i in ids
                               if i in inspectors])
        for part, e, ids in service.pairs_of(row)
    ]  # fmt: skip
    assert row.published_at is not None
    return PublicDraw(plan_title=plan.title, year=plan.year, division_code=row.division_code, sequence=row.sequence,
                      published_at=row.published_at, algorithm=row.algorithm, seed=row.seed, digest=row.digest,
                      pairs=pairs)  # fmt: skip
