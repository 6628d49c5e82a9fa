"""Enforcement pages (server-rendered, no script): the board of plans with their draws and of penalty cases
with their clocks, and a draw's page with its pairs and the result of re-running it; forms to draw a plan (a
re-draw with its reason) and to publish the latest draw (公开), for users with enforcement:write. Everything is
read and written through the domain's services with the caller's scope."""

from __future__ import annotations

from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from yingji.api_common import SessionDep, SettingsDep
from yingji.enforcement import service
from yingji.enforcement.cases import service as cases
from yingji.enforcement.cases.schemas import FollowUpIn, FollowUpItemIn
from yingji.enforcement.checklists import service as checklists
from yingji.enforcement.followups import service as follow_ups
from yingji.enforcement.schemas import DrawIn
from yingji.errors import DomainError
from yingji.web.forms import text_field
from yingji.web.pages import LenientPostDep, PageCtx, ViewerDep, form_action, render

router = APIRouter(include_in_schema=False)
READ, WRITE = service.READ, service.WRITE


def _forbidden(ctx: PageCtx) -> HTMLResponse:
    return render(ctx, "error.html", status_code=403, message=ctx.t("enforcement.forbidden"))


def _board(ctx: PageCtx, session: Any, status: int = 200) -> HTMLResponse:
    plans, _ = service.list_plans(session=session, scope=ctx.scope, limit=200)
    draws = {p.id: service.list_draws(session=session, scope=ctx.scope, plan_id=p.id) for p in plans}
    rows, _ = cases.list_cases(session=session, scope=ctx.scope, limit=200)
    events = cases.events_of(session=session, case_ids=[r.id for r in rows])
    today = cases.today()
    clocks = {r.id: cases.case_clocks(r, events[r.id], today) for r in rows}
    inspections, _ = cases.list_inspections(session=session, scope=ctx.scope, limit=50)
    names = _enterprise_names(session, {i.enterprise_id for i in inspections})
    return render(ctx, "enforcement_board.html", status_code=status, plans=plans, draws=draws, cases=rows,
                  clocks=clocks, inspections=inspections, enterprise_names=names,
                  may_write=WRITE in ctx.scope.permissions, nav="enforcement")  # fmt: skip


def _enterprise_names(session: Any, ids: set[int]) -> dict[int, str]:
    """Names of the enterprises of inspections the caller already reads (same division)."""
    from sqlalchemy import select

    from yingji.hazards.enterprises.models import Enterprise

    if not ids:
        return {}
    return {i: n for i, n in session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(ids)))}


@router.get("/enforcement", response_class=HTMLResponse)
def board_page(session: SessionDep, ctx: ViewerDep) -> Response:
    if READ not in ctx.scope.permissions:
        return _forbidden(ctx)
    return _board(ctx, session)


@router.post("/enforcement/plans/{plan_id}/draw", response_class=HTMLResponse)
def draw_action(plan_id: int, post: LenientPostDep, reason: str = text_field(500)) -> Response:
    """Draw the plan (the seed from the CSPRNG, recorded before the result), as ``POST /api/v1/enforcement/
    plans/{id}/draws``; a re-draw needs a reason. Goes to the new draw's page."""
    made: dict[str, int] = {}

    def act(ctx: PageCtx, session: Any) -> None:
        row = service.make_draw(session=session, scope=ctx.scope, plan_id=plan_id, draw_in=DrawIn(reason=reason),
                                seed_source=service.seed_source_for(post.settings))  # fmt: skip
        made["draw"] = row.id

    def show(ctx: PageCtx, session: Any, status: int) -> HTMLResponse:
        ctx.errors.setdefault(f"plan-{plan_id}", ctx.errors.pop("reason", "") or ctx.errors.pop("form", ""))
        return _board(ctx, session, status)

    return form_action(post, act, show, lambda: f"/enforcement/draws/{made['draw']}")


@router.post("/enforcement/draws/{draw_id}/publish", response_class=HTMLResponse)
def publish_action(draw_id: int, post: LenientPostDep) -> Response:
    """Publish the plan's latest draw (公开), as ``POST /api/v1/enforcement/draws/{id}/publish``."""

    def act(ctx: PageCtx, session: Any) -> None:
        service.publish_draw(session=session, scope=ctx.scope, draw_id=draw_id)

    return _form_on(post, act, _draw, draw_id, f"/enforcement/draws/{draw_id}")


def _form_on(post: Any, act: Any, view: Any, row_id: int, url: str) -> Response:
    """A write form on one record's page: ``act`` in its own transaction; refused, ``view`` shows the page again
    with the error (and the refusal's status)."""
    return form_action(post, act, lambda ctx, session, status: view(ctx, session, row_id, status), url)


def _draw(ctx: PageCtx, session: Any, draw_id: int, status: int = 200) -> HTMLResponse:
    try:
        row = service.get_draw(session=session, scope=ctx.scope, draw_id=draw_id)
        verified, detail, current = service.verify_draw(session=session, scope=ctx.scope, draw_id=draw_id)
    except DomainError:
        return render(ctx, "error.html", status_code=404, message=ctx.t("error.not_found"))
    enterprises, inspectors = service.names(session, row)
    pairs = [
        (part, enterprises.get(e, str(e)), [inspectors[i].name if i in inspectors else str(i) for i in ids])
        for part, e, ids in service.pairs_of(row)
    ]  # fmt: skip
    return render(ctx, "enforcement_draw.html", status_code=status, draw=row, pairs=pairs, verified=verified,
                  detail=detail, current=current, may_write=WRITE in ctx.scope.permissions,
                  nav="enforcement")  # fmt: skip


@router.get("/enforcement/draws/{draw_id}", response_class=HTMLResponse)
def draw_page(draw_id: int, session: SessionDep, ctx: ViewerDep) -> Response:
    return _readable(ctx, session, _draw, draw_id)


def _readable(ctx: PageCtx, session: Any, view: Any, row_id: int) -> Response:
    """A record's page for a reader of enforcement (403 for others)."""
    return view(ctx, session, row_id) if READ in ctx.scope.permissions else _forbidden(ctx)  # type: ignore[no-any-return]


@router.get("/enforcement/inspections/{inspection_id}/checklist", response_class=HTMLResponse)
def checklist_page(inspection_id: int, session: SessionDep, ctx: ViewerDep, settings: SettingsDep) -> Response:
    """An inspection's checklist as synced from the inspectors' devices: each item's current result, notes,
    findings, photos, the sealed syncs and whether the chains and seals verify (read only)."""
    if READ not in ctx.scope.permissions:
        return _forbidden(ctx)
    try:
        state = checklists.checklist(session=session, scope=ctx.scope, inspection_id=inspection_id)
        verified = checklists.verify(session=session, scope=ctx.scope, inspection_id=inspection_id,
                                     secrets=settings.secret_keys)  # fmt: skip
    except DomainError:
        return render(ctx, "error.html", status_code=404, message=ctx.t("error.not_found"))
    devices = {d["device_id"]: d["head"] for d in state["devices"]}
    return render(ctx, "enforcement_checklist.html", state=state, verified=verified, devices=devices,
                  enterprise=state["enterprise_name"], may_write=WRITE in ctx.scope.permissions,
                  nav="enforcement")  # fmt: skip


def _follow_up(ctx: PageCtx, session: Any, inspection_id: int, status: int = 200) -> HTMLResponse:
    try:
        inspection = cases.get_inspection(session=session, scope=ctx.scope, inspection_id=inspection_id)
        earlier = follow_ups.list_for(session=session, scope=ctx.scope, inspection_id=inspection_id)
    except DomainError:
        return render(ctx, "error.html", status_code=404, message=ctx.t("error.not_found"))
    findings = cases.findings_of(session=session, inspection_ids=[inspection.id])[inspection.id]
    inspectors, _ = service.list_inspectors(session=session, scope=ctx.scope, active=True, limit=500)
    items = follow_ups.items_of(session=session, follow_up_ids=[f.id for f in earlier])
    names = _enterprise_names(session, {inspection.enterprise_id})
    return render(ctx, "enforcement_follow_up.html", status_code=status, inspection=inspection, findings=findings,
                  order_number=cases.order_number(inspection), earlier=earlier, items=items, inspectors=inspectors,
                  enterprise=names.get(inspection.enterprise_id, ""), may_write=WRITE in ctx.scope.permissions,
                  nav="enforcement")  # fmt: skip


@router.get("/enforcement/inspections/{inspection_id}/follow-up", response_class=HTMLResponse)
def follow_up_page(inspection_id: int, session: SessionDep, ctx: ViewerDep) -> Response:
    """The follow-ups (复查) of an inspection's rectification order, and for writers the form to record one."""
    return _readable(ctx, session, _follow_up, inspection_id)


@router.post("/enforcement/inspections/{inspection_id}/follow-up", response_class=HTMLResponse)
def follow_up_action(
    inspection_id: int,
    post: LenientPostDep,
    inspected_on: str = text_field(10),
    inspector_ids: Annotated[list[int], Form(max_length=10)] = [],  # noqa: B006 (FastAPI copies defaults)
    finding_ids: Annotated[list[int], Form(max_length=200)] = [],  # noqa: B006
    rectified: Annotated[list[int], Form(max_length=200)] = [],  # noqa: B006
    notes: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006
    summary: str = text_field(5000),
    open_case: Annotated[bool, Form()] = False,
) -> Response:
    """Record a follow-up, as ``POST /api/v1/enforcement/inspections/{id}/follow-ups``: each finding of the form
    rectified when its box is checked; ``notes`` in the findings' order."""
    from pydantic import ValidationError

    from yingji.errors import InvalidInput
    from yingji.web.pages import first_error

    def act(ctx: PageCtx, session: Any) -> None:
        try:
            body = FollowUpIn(
                inspected_on=inspected_on, inspector_ids=inspector_ids, summary=summary, open_case=open_case,  # type: ignore[arg-type]
                items=[FollowUpItemIn(finding_id=f, rectified=f in rectified, note=(notes[n] if n < len(notes) else ""))
                       for n, f in enumerate(finding_ids)],
            )  # fmt: skip
        except ValidationError as exc:
            field, message = first_error(exc)
            raise InvalidInput(message, field=field) from None
        follow_ups.create(session=session, scope=ctx.scope, inspection_id=inspection_id, follow_up_in=body)

    return _form_on(post, act, _follow_up, inspection_id, f"/enforcement/inspections/{inspection_id}/follow-up")


@router.get("/enforcement/checklist-sw.js")
def checklist_worker() -> Response:
    """The offline checklist's service worker (static; served here so that its scope covers /enforcement/)."""
    script = files("yingji.web").joinpath("static", "checklist-sw.js").read_bytes()
    return Response(script, media_type="text/javascript", headers={"Cache-Control": "no-cache"})
