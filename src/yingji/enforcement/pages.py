"""Enforcement pages (server-rendered, no script): the board of plans with their draws and of penalty cases
with their clocks, and a draw's page with its pairs and the result of re-running it. Everything is read through
the domain's services with the caller's scope."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from yingji.api_common import SessionDep
from yingji.enforcement import service
from yingji.enforcement.cases import service as cases
from yingji.errors import DomainError
from yingji.web import layers
from yingji.web.pages import PageCtx, ViewerDep, render

router = APIRouter(include_in_schema=False)
READ = service.READ
layers.register_nav(layers.NavItem("enforcement", "/enforcement", "nav.enforcement", READ))


def _forbidden(ctx: PageCtx) -> HTMLResponse:
    return render(ctx, "error.html", status_code=403, message=ctx.t("enforcement.forbidden"))


@router.get("/enforcement", response_class=HTMLResponse)
def board_page(session: SessionDep, ctx: ViewerDep) -> Response:
    if READ not in ctx.scope.permissions:
        return _forbidden(ctx)
    plans, _ = service.list_plans(session=session, scope=ctx.scope, limit=200)
    draws = {p.id: service.list_draws(session=session, scope=ctx.scope, plan_id=p.id) for p in plans}
    rows, _ = cases.list_cases(session=session, scope=ctx.scope, limit=200)
    events = cases.events_of(session=session, case_ids=[r.id for r in rows])
    today = cases.today()
    clocks = {r.id: cases.case_clocks(r, events[r.id], today) for r in rows}
    return render(ctx, "enforcement_board.html", plans=plans, draws=draws, cases=rows, clocks=clocks,
                  nav="enforcement")  # fmt: skip


@router.get("/enforcement/draws/{draw_id}", response_class=HTMLResponse)
def draw_page(draw_id: int, session: SessionDep, ctx: ViewerDep) -> Response:
    if READ not in ctx.scope.permissions:
        return _forbidden(ctx)
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
    return render(ctx, "enforcement_draw.html", draw=row, pairs=pairs, verified=verified, detail=detail,
                  current=current, nav="enforcement")  # fmt: skip
