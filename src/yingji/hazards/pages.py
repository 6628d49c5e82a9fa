"""Work-safety pages: the 动态清零 board, the enterprise page, the hazard report form (for a phone), and the
map layer of enterprises coloured by risk grade. Everything reads through the domain's services with the
caller's scope (another jurisdiction's or another enterprise's rows are never shown)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError

from yingji.api_common import SessionDep, SettingsDep
from yingji.errors import DomainError, InvalidInput
from yingji.geo import service as division_service
from yingji.hazards import lifecycle
from yingji.hazards.enterprises import service as enterprises
from yingji.hazards.installations import service as installations
from yingji.hazards.register import service as hazards
from yingji.hazards.register.schemas import HazardIn
from yingji.web import layers
from yingji.web.forms import text_field
from yingji.web.pages import LenientPostDep, PageCtx, ViewerDep, first_error, form_action, page_ctx, render

router = APIRouter(include_in_schema=False)
READ = "hazards:read"
RISK_COLOURS = {"red": "#d7301f", "orange": "#fc8d59", "yellow": "#fdcc8a", "blue": "#2b8cbe", "": "#888888"}
layers.register(layers.MapLayer("enterprises", "layer.enterprises", "/map/layers/enterprises", READ, visible=False))
Text = Annotated[str, Form(max_length=5000)]


def _forbidden(ctx: PageCtx) -> HTMLResponse:
    return render(ctx, "error.html", status_code=403, message=ctx.t("hazards.forbidden"))


@router.get("/map/layers/enterprises")
def enterprises_layer(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Enterprises of the caller's view with a position, coloured by four-colour risk grade; those with open
    major hazards are marked."""
    ctx = page_ctx(request, session, settings)
    if ctx is None:
        return JSONResponse({"type": "FeatureCollection", "features": []}, status_code=401)
    if READ not in ctx.scope.permissions:
        return JSONResponse({"type": "FeatureCollection", "features": []}, status_code=403)
    rows, _ = enterprises.list_enterprises(session=session, scope=ctx.scope, limit=20_000)
    open_major, _ = hazards.list_hazards(session=session, scope=ctx.scope, level="major", limit=None)
    marked = {h.enterprise_id for h in open_major if h.state in lifecycle.OPEN_STATES}
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [e.lon, e.lat]},
            "properties": {
                "label": e.name + (" ⚠" if e.id in marked else ""),
                "colour": RISK_COLOURS.get(e.risk_color, "#888888"),
                "href": f"/enterprises/{e.id}",
                "open_major": e.id in marked,
            },
        }
        for e in rows
        if e.lon is not None and e.lat is not None
    ]
    return JSONResponse({"type": "FeatureCollection", "features": features})


@router.get("/hazards/board", response_class=HTMLResponse)
def board_page(
    request: Request, session: SessionDep, ctx: ViewerDep, settings: SettingsDep, group_by: str = "division"
) -> Response:
    if READ not in ctx.scope.permissions:
        return _forbidden(ctx)
    group = group_by if group_by in ("division", "category") else "division"
    rows = hazards.board(session=session, scope=ctx.scope, group_by=group)
    names: dict[str, str] = {}
    if group == "division":
        for row in rows:
            try:
                names[row.key] = division_service.get(
                    session=session, scope=ctx.scope, code=row.key.ljust(12, "0")
                ).name
            except DomainError:
                names[row.key] = row.key
    trend = hazards.trend(session=session, scope=ctx.scope)
    return render(ctx, "hazards_board.html", rows=rows, names=names, group_by=group, trend=trend, nav="hazards")


@router.get("/enterprises/{enterprise_id}", response_class=HTMLResponse)
def enterprise_page(
    enterprise_id: int, request: Request, session: SessionDep, ctx: ViewerDep, settings: SettingsDep
) -> Response:
    if READ not in ctx.scope.permissions:
        return _forbidden(ctx)
    try:
        enterprise = enterprises.get(session=session, scope=ctx.scope, enterprise_id=enterprise_id)
    except DomainError:
        return render(ctx, "error.html", status_code=404, message=ctx.t("error.not_found"))
    units, _ = installations.list_installations(session=session, scope=ctx.scope, enterprise_id=enterprise.id)
    rows, _ = hazards.list_hazards(session=session, scope=ctx.scope, enterprise_id=enterprise.id, limit=500)
    return render(ctx, "enterprise.html", enterprise=enterprise, installations=units, hazards=rows, nav="hazards")


def _report_form(
    ctx: PageCtx, session: Any, status_code: int = 200, form: dict[str, str] | None = None
) -> HTMLResponse:
    rows, _ = enterprises.list_enterprises(session=session, scope=ctx.scope, limit=500)
    return render(ctx, "hazard_report.html", status_code=status_code, enterprises=rows, form=form or {}, nav="hazards")


@router.get("/hazards/report", response_class=HTMLResponse)
def report_page(request: Request, session: SessionDep, ctx: ViewerDep, settings: SettingsDep) -> Response:
    if "hazards:write" not in ctx.scope.permissions:
        return _forbidden(ctx)
    return _report_form(ctx, session)


@router.post("/hazards/report")
def report_submit(
    post: LenientPostDep, enterprise_id: str = text_field(12), title: str = text_field(200), description: Text = ""
) -> Response:
    form = {"enterprise_id": enterprise_id, "title": title, "description": description}
    made: dict[str, int] = {}

    def act(ctx: PageCtx, session: Any) -> None:
        try:
            body = HazardIn(enterprise_id=int(enterprise_id or 0), title=title, description=description)
        except (ValidationError, ValueError) as exc:
            field, message = (
                first_error(exc, ("enterprise_id", "title", "description"))
                if isinstance(exc, ValidationError)
                else ("enterprise_id", str(exc))
            )
            raise InvalidInput(message, field=field) from None
        hazard = hazards.report(session=session, scope=ctx.scope, hazard_in=body)
        made["enterprise"] = hazard.enterprise_id

    def show(ctx: PageCtx, session: Any, status: int) -> HTMLResponse:
        return _report_form(ctx, session, status, form)

    return form_action(post, act, show, lambda: f"/enterprises/{made['enterprise']}")


def _tag_secret(settings: Any) -> str:
    return str(settings.secret_key.get_secret_value())


@router.get("/installations/{installation_id}/qr.svg")
def installation_qr(installation_id: int, session: SessionDep, ctx: ViewerDep) -> Response:
    """The QR code of an installation's label: it opens the check page with the presence tag."""
    import io

    import segno

    from yingji.hazards import presence

    try:
        unit = installations.get(session=session, scope=ctx.scope, installation_id=installation_id)
    except DomainError:
        return render(ctx, "error.html", status_code=404, message=ctx.t("error.not_found"))
    label = presence.tag(_tag_secret(ctx.request.app.state.settings), unit.id)
    url = f"{str(ctx.request.base_url).rstrip('/')}/installations/{unit.id}/check?tag={label}"
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=4)
    return Response(out.getvalue(), media_type="image/svg+xml")


def _check_page(
    ctx: PageCtx, session: Any, unit_id: int, tag: str, status_code: int = 200, done: bool = False
) -> HTMLResponse:
    unit = installations.get(session=session, scope=ctx.scope, installation_id=unit_id)
    return render(ctx, "installation_check.html", status_code=status_code, unit=unit, tag=tag, done=done, nav="hazards")


@router.get("/installations/{installation_id}/check", response_class=HTMLResponse)
def check_page(
    installation_id: int, session: SessionDep, ctx: ViewerDep, tag: str = "", done: bool = False
) -> Response:
    try:
        return _check_page(ctx, session, installation_id, tag[:64], done=done)
    except DomainError:
        return render(ctx, "error.html", status_code=404, message=ctx.t("error.not_found"))


@router.post("/installations/{installation_id}/check")
def check_submit(installation_id: int, post: LenientPostDep,
                 tag: str = text_field(64), note: Text = "") -> Response:  # fmt: skip
    from yingji.hazards import presence

    def act(ctx: PageCtx, session: Any) -> None:
        present = presence.verify(_tag_secret(post.settings), installation_id, tag)
        if not present:
            installations.get(session=session, scope=ctx.scope, installation_id=installation_id)  # 404 first
            raise InvalidInput(ctx.t("installation.check.bad_tag"), field="tag")
        installations.record_check(session=session, scope=ctx.scope, installation_id=installation_id, present=True,
                                   note=note)  # fmt: skip

    def show(ctx: PageCtx, session: Any, status: int) -> HTMLResponse:
        return _check_page(ctx, session, installation_id, tag, status)

    return form_action(post, act, show, f"/installations/{installation_id}/check?done=1")
