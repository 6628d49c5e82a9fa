"""Earthquake assessment pages: the list with the form to run a new assessment, the assessment page (map of
the zones and geohazard sites, exposure, loss bars, aftershocks, needs) and the map's ``intensity`` layer.
Everything reads through ``yingji.quake.service`` with the caller's scope."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from yingji import timerange
from yingji.api_common import SessionDep, SettingsDep
from yingji.errors import DomainError, InvalidInput
from yingji.quake import service as quake_service
from yingji.quake.report import DEGREE_COLOURS, RANGE_ALERT, ROMAN
from yingji.web import layers, quake_wording, wording
from yingji.web.i18n import catalogue
from yingji.web.pages import (
    CHINA_TIME,
    PageCtx,
    PostDep,
    ViewerDep,
    form_action,
    not_found,
    now_utc,
    page_ctx,
    render,
    shown_again,
    validated,
)

router = APIRouter(include_in_schema=False)
INTENSITY_LAYER = layers.MapLayer("intensity", "layer.intensity", "/map/layers/intensity", "quake:assess", kind="areas")
layers.register(INTENSITY_LAYER)
ALERT_COLOURS = {"green": "#00b050", "yellow": "#ffd700", "orange": "#ff8c00", "red": "#d00000"}
FORM_FIELDS = ("lon", "lat", "depth_km", "magnitude", "magnitude_type", "strike_deg", "origin_time")
Text = Annotated[str, Form(max_length=40)]


# -- the list and the form ---------------------------------------------------------------------------


def _list(ctx: PageCtx, session: Any, status_code: int = 200, form: dict[str, str] | None = None) -> HTMLResponse:
    rows, total = quake_service.list_assessments(session=session, scope=ctx.scope, limit=200)
    return render(
        ctx,
        "quake_list.html",
        status_code=status_code,
        rows=rows,
        total=total,
        form=form or {"magnitude_type": "Ms", "depth_km": "10"},
        can_assess="quake:assess" in ctx.scope.permissions,
        can_create_incident="incidents:write" in ctx.scope.permissions,
        nav="quake",
    )


@router.get("/quake", response_class=HTMLResponse)
def quake_list_page(session: SessionDep, ctx: ViewerDep) -> Response:
    return _list(ctx, session)


def _number(ctx: PageCtx, form: dict[str, str], name: str, required: bool = True) -> float | None:
    raw = form.get(name, "").strip()
    if not raw:
        if required:
            raise InvalidInput(ctx.t("error.required"), field=name)
        return None
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput(ctx.t("error.number"), field=name) from None


def _origin(ctx: PageCtx, raw: str) -> dt.datetime | None:
    """A datetime-local value in China time (the duty officers' clock), or nothing (now)."""
    if not raw.strip():
        return None
    try:
        value = dt.datetime.fromisoformat(raw.strip())
        return timerange.check(value if value.tzinfo else value.replace(tzinfo=CHINA_TIME))
    except ValueError:  # not a time, or outside the accepted range (TimeOutOfRange)
        raise InvalidInput(ctx.t("error.datetime"), field="origin_time") from None


# Which form field an engine message is about (its messages name the parameter first).
_MESSAGE_FIELDS = (
    ("magnitude", "magnitude"),
    ("epicentre", "lon"),
    ("region", "lon"),
    ("population", "form"),
    ("step", "form"),
    ("depth", "depth_km"),
    ("strike", "strike_deg"),
)


def _field_of(detail: str) -> str:
    lowered = detail.lower()
    return next((f for word, f in _MESSAGE_FIELDS if lowered.startswith(word)), "form")


def _assessment_in(ctx: PageCtx, form: dict[str, str], create_incident: bool) -> Any:
    from yingji.quake.schemas import AssessmentIn

    values = {
        "lon": _number(ctx, form, "lon"),
        "lat": _number(ctx, form, "lat"),
        "depth_km": _number(ctx, form, "depth_km"),
        "magnitude": _number(ctx, form, "magnitude"),
        "magnitude_type": form.get("magnitude_type") or "Ms",
        "strike_deg": _number(ctx, form, "strike_deg", required=False),
        "origin_time": _origin(ctx, form.get("origin_time", "")),
        "create_incident": create_incident,
    }
    return validated(AssessmentIn, values, ctx.t("error.range"))


@router.post("/quake")
def quake_run(
    post: PostDep,
    lon: Text = "",
    lat: Text = "",
    depth_km: Text = "",
    magnitude: Text = "",
    magnitude_type: Text = "Ms",
    strike_deg: Text = "",
    origin_time: Text = "",
    create_incident: Text = "",
) -> Response:
    form = {
        "lon": lon,
        "lat": lat,
        "depth_km": depth_km,
        "magnitude": magnitude,
        "magnitude_type": magnitude_type,
        "strike_deg": strike_deg,
        "origin_time": origin_time,
        "create_incident": create_incident,
    }
    created: dict[str, int] = {}

    def act(ctx: PageCtx, session: Any) -> None:
        assessment_in = _assessment_in(ctx, form, create_incident == "on")
        try:
            row = quake_service.run(
                session=session,
                scope=ctx.scope,
                assessment_in=assessment_in,
                now=now_utc(),
                population_raster=post.settings.population_raster,
            )
        except InvalidInput as exc:
            if not exc.extra.get("field"):
                exc.extra["field"] = _field_of(exc.detail)
            raise
        created["id"] = row.id

    # to the new assessment, under the deployment's prefix (form_action's redirect)
    return form_action(post, act, shown_again(_list, form=form), lambda: f"/quake/{created['id']}")


# -- one assessment ----------------------------------------------------------------------------------


def _bars(ranges: dict[str, float]) -> list[dict[str, Any]]:
    return [
        {"range": k, "percent": round(p * 100, 1), "colour": ALERT_COLOURS[RANGE_ALERT.get(k, "red")]}
        for k, p in ranges.items()
    ]


def _aftershock_table(rows: list[dict[str, float]]) -> tuple[list[float], list[tuple[float, list[float]]]]:
    days = sorted({float(r["days"]) for r in rows})
    by_magnitude: dict[float, dict[float, float]] = {}
    for r in rows:
        by_magnitude.setdefault(float(r["min_magnitude"]), {})[float(r["days"])] = float(r["probability"])
    return days, [(m, [by_magnitude[m].get(d, 0.0) for d in days]) for m in sorted(by_magnitude)]


@router.get("/quake/{assessment_id}", response_class=HTMLResponse)
def quake_page(assessment_id: int, session: SessionDep, ctx: ViewerDep) -> Response:
    try:
        row = quake_service.get(session=session, scope=ctx.scope, assessment_id=assessment_id)
    except DomainError:
        return not_found(ctx)
    results = quake_service.results_for(ctx.scope, row)
    known = catalogue()
    words = {
        "notes": [quake_wording.note(ctx.t, str(n), known) for n in results.get("notes", [])],
        "credits": [quake_wording.credit(ctx.t, str(c)) for c in results.get("credits", [])],
        "population_source": quake_wording.population_source(ctx.t, row.population_source),
        "aftershocks": quake_wording.aftershock_note(ctx.t, str(results.get("aftershock_parameters", ""))),
        "model": quake_wording.model_name(ctx.t, str(results["fatalities"].get("model", "")), known),
    }
    days, aftershocks = _aftershock_table(results.get("aftershocks", []))
    sites = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [s["lon"], s["lat"]]},
            "properties": {
                "label": s["name"],
                "rank": s["rank"],
                "intensity": s["intensity"],
                "people_at_risk": s["people_at_risk"],
            },
        }
        for s in results.get("geohazards", [])
        if "lon" in s
    ]
    return render(
        ctx,
        "quake.html",
        row=row,
        results=results,
        words=words,
        zones=[
            {
                **z,
                "roman": ROMAN.get(int(z["intensity"]), str(z["intensity"])),
                "colour": DEGREE_COLOURS.get(int(z["intensity"]), "#6a040f"),
            }
            for z in results["zones"]
        ],
        exposure=quake_service.exposure_for(ctx.scope, row),
        fatality_bars=_bars(results["fatalities"]["ranges"]),
        economic_bars=_bars(results["economic_loss_usd"].get("ranges_musd", {})),
        loss_cny=wording.yuan(ctx.t, float(results["economic_loss_usd"]["expected"])),
        usd_cny=wording.usd_cny(),
        alert_colours=ALERT_COLOURS,
        days=days,
        aftershocks=aftershocks,
        map_data={
            "zones": f"/api/v1/quake/assessments/{row.id}/zones",
            "epicentre": [row.lon, row.lat],
            "sites": {"type": "FeatureCollection", "features": sites},
            "colours": {str(k): v for k, v in DEGREE_COLOURS.items()},
        },
        nav="quake",
    )


# -- the map layer -----------------------------------------------------------------------------------


@router.get("/map/layers/intensity")
def intensity_layer(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The zones of the latest assessments the caller may read, as GeoJSON areas coloured by degree."""
    from shapely.geometry import mapping, shape

    ctx = page_ctx(request, session, settings)
    if ctx is None:
        return JSONResponse({"type": "FeatureCollection", "features": []}, status_code=401)
    rows, _ = quake_service.list_assessments(session=session, scope=ctx.scope, limit=10)
    t = ctx.t
    features = []
    for row in rows:
        for zone in row.zones.get("features", []):
            degree = int(zone["properties"]["intensity"])
            features.append(
                {
                    "type": "Feature",
                    "id": f"quake-{row.id}-{degree}",
                    "geometry": mapping(shape(zone["geometry"]).simplify(0.005, preserve_topology=True)),
                    "properties": {
                        "label": t("quake.zone_label", magnitude=f"{row.magnitude:.1f}", degree=ROMAN.get(degree, "")),
                        "colour": DEGREE_COLOURS.get(degree, "#6a040f"),
                        "href": f"/quake/{row.id}",
                        "intensity": degree,
                        "origin_time": row.origin_time.isoformat(),
                    },
                }
            )
    return JSONResponse({"type": "FeatureCollection", "features": features})
