"""Reserves and relief pages: the reserves overview (depots with stock, shelters, teams by capability,
coverage gaps), transfer tracking with confirm/cancel, and the map's depots/shelters/teams/gaps layers.
Everything reads through ``yingji.resources.service`` with the caller's scope."""

from __future__ import annotations

from typing import Any, Literal, get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select
from starlette.convertors import StringConvertor, register_url_convertor

from yingji.api_common import SessionDep, SettingsDep
from yingji.errors import DomainError, InvalidInput
from yingji.geo.models import Division
from yingji.resources import rules
from yingji.resources import service as resources
from yingji.resources.models import Depot
from yingji.web import layers, wording
from yingji.web.forms import text_field
from yingji.web.pages import (
    LenientPostDep,
    PageCtx,
    ViewerDep,
    first_error,
    form_action,
    not_found,
    page_ctx,
    record_page,
    render,
    shown_again,
)

router = APIRouter(include_in_schema=False)
READ = "resources:read"
for _id, _kind in (("depots", "points"), ("shelters", "points"), ("teams", "points"), ("gaps", "points")):
    layers.register(layers.MapLayer(_id, f"layer.{_id}", f"/map/layers/{_id}", READ, kind=_kind, visible=False))
PAGE_ROWS = 500  # rows per table on the overview (the API pages through the rest)


# -- map layers ------------------------------------------------------------------------------------------


# The gaps layer marks each place with a gap, coloured by its most serious kind (hues no grade, alarm or
# reserve level uses), instead of painting the places' areas: a county's area would cover its townships.
GAP_KIND_COLOURS = {"no_county_depot": "#4e342e", "depot_beyond_target": "#546e7a", "shelter_area_short": "#9e9d24"}


def _gap_markers(ctx: PageCtx, features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    import shapely
    from shapely.geometry import shape

    out = []
    for f in features:
        props = f["properties"]
        kinds = {g["code"] for g in props.get("gaps", [])}
        kind = next((k for k in GAP_KIND_COLOURS if k in kinds), "depot_beyond_target")
        where = shapely.point_on_surface(shape(f["geometry"]))
        out.append(
            {
                "id": f["id"],
                "geometry": {"type": "Point", "coordinates": [round(where.x, 5), round(where.y, 5)]},
                "properties": {
                    "label": props["name"],
                    "gap": "；".join(_gap_text(ctx, g) for g in props.get("gaps", [])),
                    "colour": GAP_KIND_COLOURS[kind],
                },
            }
        )
    return out


def _layer(request: Request, session: Any, settings: Any, name: str) -> Response:
    ctx = page_ctx(request, session, settings)
    if ctx is None:
        return JSONResponse({"type": "FeatureCollection", "features": []}, status_code=401)
    if READ not in ctx.scope.permissions:
        return JSONResponse({"type": "FeatureCollection", "features": []}, status_code=403)
    features = resources.layer(session=session, scope=ctx.scope, name=name)
    if name == "gaps":
        features = _gap_markers(ctx, features)
    return JSONResponse({"type": "FeatureCollection", "features": [{"type": "Feature", **f} for f in features]})


def _layer_route(name: str, doc: str) -> None:
    """``GET /map/layers/<name>``: the resources layer ``name`` (``doc`` says what it draws)."""

    def layer(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
        return _layer(request, session, settings, name)

    layer.__doc__ = doc
    router.add_api_route(f"/map/layers/{name}", layer, methods=["GET"], name=f"{name}_layer")


for _name, _doc in (
    ("depots", "Readable depots (own subtree and the levels above), coloured by reserve level."),
    ("shelters", "Readable shelters, coloured open / full / closed."),
    ("teams", "Readable rescue teams, coloured by readiness."),
    ("gaps", "Places of the caller's subtree with a coverage problem (no depot in time, too little shelter)."),
):
    _layer_route(_name, _doc)


# -- the reserves overview -------------------------------------------------------------------------------


def _depot_rows(ctx: PageCtx, session: Any) -> list[dict[str, Any]]:
    depots, _ = resources.list_depots(session=session, scope=ctx.scope, limit=PAGE_ROWS)
    return [
        {"depot": d, "stock": resources.stock(session=session, scope=ctx.scope, depot_id=d.id),
         "read_only": not ctx.scope.covers(d.division_code)}
        for d in depots
    ]  # fmt: skip


def _teams_by_capability(ctx: PageCtx, session: Any) -> list[dict[str, Any]]:
    teams, _ = resources.list_teams(session=session, scope=ctx.scope, limit=PAGE_ROWS)
    out = []
    for cap in rules.CAPABILITIES:
        having = [t for t in teams if cap in (t.capabilities or [])]
        if having:
            ready = [t for t in having if t.readiness in rules.AVAILABLE_READINESS]
            out.append({"capability": cap, "teams": having, "available": len(ready),
                        "headcount": sum(t.headcount for t in ready)})  # fmt: skip
    return out


def _gap_text(ctx: PageCtx, gap: dict[str, Any]) -> str:
    params = dict(gap["params"])
    if "level" in params:
        params["level"] = ctx.t("reserves.level." + params["level"])
    return str(ctx.t("gap." + gap["code"], **params))


def _gap_rows(ctx: PageCtx, session: Any) -> list[dict[str, Any]]:
    problems = resources.gap_codes(session=session, scope=ctx.scope)
    names = dict(session.execute(select(Division.code, Division.name).where(Division.code.in_(list(problems)))).all())
    return [{"code": code, "name": names.get(code, code), "problems": [_gap_text(ctx, g) for g in problems[code]]}
            for code in sorted(problems)]  # fmt: skip


@router.get("/reserves", response_class=HTMLResponse)
def reserves_page(session: SessionDep, ctx: ViewerDep) -> Response:
    if READ not in ctx.scope.permissions:
        return render(ctx, "error.html", status_code=403, message=ctx.t("reserves.forbidden"))
    shelters, _ = resources.list_shelters(session=session, scope=ctx.scope, limit=PAGE_ROWS)
    return render(
        ctx,
        "reserves.html",
        depots=_depot_rows(ctx, session),
        shelters=shelters,
        capabilities=_teams_by_capability(ctx, session),
        capability_names=rules.CAPABILITIES,
        gaps=_gap_rows(ctx, session),
        nav="reserves",
    )


# -- transfers -----------------------------------------------------------------------------------------


def _transfers(ctx: PageCtx, session: Any, status_code: int = 200, acted: int | None = None) -> HTMLResponse:
    rows, total = resources.list_transfers(session=session, scope=ctx.scope, limit=PAGE_ROWS)
    ids = {t.from_depot_id for t in rows} | {t.to_depot_id for t in rows}
    names = dict(session.execute(select(Depot.id, Depot.name).where(Depot.id.in_(list(ids)))).all()) if ids else {}
    return render(
        ctx,
        "transfers.html",
        status_code=status_code,
        rows=rows,
        total=total,
        names=names,
        acted=acted,
        can_write="resources:write" in ctx.scope.permissions,
        writable={t.id for t in rows if ctx.scope.covers(t.division_code) and ctx.scope.covers(t.to_division_code)},
        nav="reserves",
    )


@router.get("/reserves/transfers", response_class=HTMLResponse)
def transfers_page(session: SessionDep, ctx: ViewerDep) -> Response:
    if READ not in ctx.scope.permissions:
        return render(ctx, "error.html", status_code=403, message=ctx.t("reserves.forbidden"))
    return _transfers(ctx, session)


def _register_actions(name: str, actions: Any) -> None:
    """``{action:<name>}``: a path segment that matches only the words of the ``Literal`` ``actions``, so
    another word is no route (404), as for any unknown address (a ``Literal`` parameter alone would match
    it and answer 422)."""
    segment = type(f"{name}_segment", (StringConvertor,), {"regex": "|".join(get_args(actions))})
    register_url_convertor(name, segment())


TransferAction = Literal["confirm", "cancel"]
_register_actions("transfer_action", TransferAction)


@router.post("/reserves/transfers/{transfer_id}/{action:transfer_action}")
def transfer_action(transfer_id: int, action: TransferAction, post: LenientPostDep) -> Response:
    """Confirm or cancel the transfer from the transfers page; that page again on a refusal."""
    run = {"confirm": resources.confirm_transfer, "cancel": resources.cancel_transfer}[action]

    def act(ctx: PageCtx, session: Any) -> None:
        run(session=session, scope=ctx.scope, transfer_id=transfer_id)

    def show(ctx: PageCtx, session: Any, status: int) -> HTMLResponse:
        try:
            resources.get_transfer(session=session, scope=ctx.scope, transfer_id=transfer_id)
        except DomainError:
            return not_found(ctx)
        return _transfers(ctx, session, status, acted=transfer_id)

    return form_action(post, act, show, "/reserves/transfers")


# -- dispatch plans --------------------------------------------------------------------------------------

PLAN = "relief:plan"
FORM_FIELDS = ("incident_id", "assessment_id", "days")


def _plans(ctx: PageCtx, session: Any, status_code: int = 200, form: dict[str, str] | None = None) -> HTMLResponse:
    from yingji.incidents import service as incident_service
    from yingji.quake import service as quake_service
    from yingji.relief import service as relief

    rows, total = relief.list_plans(session=session, scope=ctx.scope, limit=200)
    can_plan = PLAN in ctx.scope.permissions
    incidents = assessments = []
    if can_plan:
        if "incidents:read" in ctx.scope.permissions:
            incidents = incident_service.list_incidents(session=session, scope=ctx.scope, open_only=True, limit=100)[0]
        if "quake:assess" in ctx.scope.permissions:
            assessments = quake_service.list_assessments(session=session, scope=ctx.scope, limit=50)[0]
    return render(ctx, "relief_plans.html", status_code=status_code, rows=rows, total=total, can_plan=can_plan,
                  incidents=incidents, assessments=assessments, form=form or {"days": "3"}, nav="relief")  # fmt: skip


@router.get("/relief/plans", response_class=HTMLResponse)
def plans_page(session: SessionDep, ctx: ViewerDep) -> Response:
    if READ not in ctx.scope.permissions:
        return render(ctx, "error.html", status_code=403, message=ctx.t("reserves.forbidden"))
    return _plans(ctx, session)


def _plan_in(ctx: PageCtx, form: dict[str, str]) -> Any:
    from pydantic import ValidationError

    from yingji.relief.schemas import PlanIn

    values: dict[str, Any] = {}
    for name in FORM_FIELDS:
        raw = form.get(name, "").strip()
        if raw:
            try:
                values[name] = int(raw)
            except ValueError:
                raise InvalidInput(ctx.t("error.number"), field=name) from None
    if ("incident_id" in values) == ("assessment_id" in values):
        raise InvalidInput(ctx.t("relief.error.one_source"), field="incident_id")
    try:
        return PlanIn(**values)
    except ValidationError as exc:
        name, message = first_error(exc, FORM_FIELDS)
        raise InvalidInput(message, field=name) from None


@router.post("/relief/plans")
def plan_create(
    post: LenientPostDep,
    incident_id: str = text_field(12),
    assessment_id: str = text_field(12),
    days: str = text_field(4, "3"),
) -> Response:
    from yingji.relief import service as relief

    form = {"incident_id": incident_id, "assessment_id": assessment_id, "days": days}
    created: dict[str, int] = {}

    def act(ctx: PageCtx, session: Any) -> None:
        plan = relief.create_plan(session=session, scope=ctx.scope, plan_in=_plan_in(ctx, form))
        created["id"] = plan.id

    # to the new plan, under the deployment's prefix (form_action's redirect)
    return form_action(post, act, shown_again(_plans, form=form), lambda: f"/relief/plans/{created['id']}")


def _plan_page(ctx: PageCtx, session: Any, plan_id: int, status_code: int = 200) -> HTMLResponse:
    from yingji.relief import service as relief

    plan = relief.get_plan(session=session, scope=ctx.scope, plan_id=plan_id)
    places = {p["id"]: p for p in plan.places}
    return render(ctx, "relief_plan.html", status_code=status_code, plan=plan, places=places,
                  groups=sorted(relief.shipment_groups(plan), key=lambda g: -g["quantity"]),
                  can_commit=PLAN in ctx.scope.permissions and plan.status == "planned",
                  can_settle=PLAN in ctx.scope.permissions and plan.status in ("planned", "committed"),
                  map_data={"flows": f"/api/v1/relief/plans/{plan.id}/flows"}, nav="relief",
                  capability_names=rules.CAPABILITIES,
                  item_names=wording.item_names({k: i.name_zh for k, i in resources.catalogue().items()}, ctx.lang),
                  travel=wording.travel(ctx.t, str(plan.parameters.get("travel") or "")))  # fmt: skip


@router.get("/relief/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(plan_id: int, session: SessionDep, ctx: ViewerDep) -> Response:
    return record_page(ctx, lambda: _plan_page(ctx, session, plan_id))


PlanAction = Literal["commit", "confirm", "cancel"]
_register_actions("plan_action", PlanAction)


@router.post("/relief/plans/{plan_id}/{action:plan_action}")
def plan_action(plan_id: int, action: PlanAction, post: LenientPostDep) -> Response:
    """Commit, confirm or cancel the plan from its page (``relief.<action>_plan``); the page again on a refusal."""
    from yingji.relief import service as relief

    run = {"commit": relief.commit_plan, "confirm": relief.confirm_plan, "cancel": relief.cancel_plan}[action]

    def act(ctx: PageCtx, session: Any) -> None:
        run(session=session, scope=ctx.scope, plan_id=plan_id)

    def show(ctx: PageCtx, session: Any, status: int) -> HTMLResponse:
        return _plan_page(ctx, session, plan_id, status)

    return form_action(post, act, show, f"/relief/plans/{plan_id}")
