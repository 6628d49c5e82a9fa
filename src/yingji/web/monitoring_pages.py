"""Monitoring and warning pages: the alarm console (live list and unacknowledged count, acknowledge and
shelve, notes, promotion to an incident, the sensor trend around an alarm as a server-drawn SVG), the
warnings page (the warning map and the issue form), a warning's page (update, cancel, call-and-acknowledge
with the receipts of each official's channels), the responsible officials, and the map's ``alarms`` and
``warnings`` layers. Everything reads and writes through the scoped services."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from yingji.api_common import SessionDep, SettingsDep
from yingji.errors import DomainError, InvalidInput, NotFound
from yingji.geo import service as division_service
from yingji.incidents.incident_types import IncidentType
from yingji.monitoring import service as monitoring
from yingji.monitoring.clock import to_epoch_ms
from yingji.monitoring.models import MonitoredSite
from yingji.monitoring.rules.ruleset import template_rules
from yingji.monitoring.schemas import PromoteIn
from yingji.warnings import cap
from yingji.warnings import service as warnings
from yingji.web import layers, people, pickers, wording
from yingji.web.i18n import catalogue
from yingji.web.pages import PageCtx, ViewerDep, first_error, form_action, now_utc, page_ctx, render

router = APIRouter(include_in_schema=False)
layers.register(layers.MapLayer("alarms", "layer.alarms", "/map/layers/alarms", "monitoring:read"))
layers.register(layers.MapLayer("warnings", "layer.warnings", "/map/layers/warnings", "warnings:read", kind="areas"))
layers.register_nav(layers.NavItem("alarms", "/alarms", "nav.alarms", "monitoring:read"))
layers.register_nav(layers.NavItem("warnings", "/warnings", "nav.warnings", "warnings:read"))
Csrf = Annotated[str, Form(max_length=100)]
# Alarm sites in hues no incident grade uses (web/legends.py): a red alarm would read as a 特别重大 incident.
PRIORITY_COLOURS = {"high": "#8e24aa", "medium": "#d81b60", "low": "#00897b"}
WARNING_COLOURS = {"blue": "#1f6feb", "yellow": "#e6c200", "orange": "#ff8c00", "red": "#d00000"}


def _now_ms() -> int:
    return to_epoch_ms(now_utc())


def _named(ctx: PageCtx, view: dict[str, Any], site: MonitoredSite | None) -> dict[str, Any]:
    """An alarm's view with its rule and sensor by name in the reader's language (``rule_name``,
    ``quantity``); the sensor's code stays beside it, marked as an identifier."""
    known = catalogue()
    origins: dict[str, str] = {}
    titles: dict[str, str] = {}
    quantities: dict[str, str] = {}
    if site is not None:
        try:
            origins = template_rules(yaml.safe_load(site.rules_yaml or "") or {})
        except yaml.YAMLError:
            origins = {}
        titles = {str(r.get("id")): str(r["title"]) for r in site.rules or [] if isinstance(r, dict) and r.get("title")}
        quantities = {s.code: s.quantity for s in site.sensors}
    rule = str(view["rule"])
    quantity = quantities.get(str(view["sensor_code"]))
    return {
        **view,
        "rule_name": wording.rule_name(
            ctx.t, rule, template_rule=origins.get(rule), title=titles.get(rule), known=known
        ),
        "quantity": wording.quantity_name(ctx.t, quantity, known) if quantity else "",
    }


# -- the alarm console ------------------------------------------------------------------------------------


def _console(ctx: PageCtx, session: Any, status_code: int = 200, fragment: str = "") -> HTMLResponse:
    unacknowledged = monitoring.count_unacknowledged(session=session, scope=ctx.scope)
    if fragment == "count":
        _, total = monitoring.list_alarms(session=session, scope=ctx.scope, limit=0)
        return render(ctx, "alarm_count.html", status_code=status_code, unacknowledged=unacknowledged, total=total)
    rows, total = monitoring.list_alarms(session=session, scope=ctx.scope, limit=200)
    sites = (
        {s.id: s for s in session.scalars(select(MonitoredSite).where(MonitoredSite.id.in_({a.site_id for a in rows})))}
        if rows
        else {}
    )
    values = {
        "alarms": [_named(ctx, monitoring.alarm_view(a), sites.get(a.site_id)) for a in rows],
        "total": total,
        "sites": sites,
        "can_write": "monitoring:write" in ctx.scope.permissions,
        "nav": "alarms",
        "unacknowledged": unacknowledged,
    }
    if fragment == "rows":
        return render(ctx, "alarm_rows.html", status_code=status_code, **values)
    return render(ctx, "alarms.html", status_code=status_code, **values)


@router.get("/alarms", response_class=HTMLResponse)
def alarms_page(session: SessionDep, ctx: ViewerDep, fragment: str = "") -> Response:
    return _console(ctx, session, fragment=fragment if fragment in ("rows", "count") else "")


def trend_svg(points: list[tuple[int, float]], mark: int, width: int = 640, height: int = 180) -> str:
    """A small line chart (SVG markup, no script) of a sensor's readings, the alarm's raise time marked."""
    if not points:
        return ""
    pad = 24
    t0, t1 = min(t for t, _ in points), max(max(t for t, _ in points), mark)
    t0 = min(t0, mark)
    v0, v1 = min(v for _, v in points), max(v for _, v in points)
    span_t, span_v = max(t1 - t0, 1), (v1 - v0) or 1.0

    def x(t: int) -> float:
        return pad + (t - t0) / span_t * (width - 2 * pad)

    def y(v: float) -> float:
        return height - pad - (v - v0) / span_v * (height - 2 * pad)

    line = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in points)
    return (
        f'<svg class="trend" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">'
        f'<line x1="{x(mark):.1f}" y1="{pad}" x2="{x(mark):.1f}" y2="{height - pad}" stroke="#d00000" '
        f'stroke-dasharray="4 3"/><polyline fill="none" stroke="#1f6feb" stroke-width="2" points="{line}"/>'
        f'<text x="{pad}" y="{pad - 6}" font-size="11">{v1:g}</text>'
        f'<text x="{pad}" y="{height - 6}" font-size="11">{v0:g}</text></svg>'
    )


def _detail(
    ctx: PageCtx, session: Any, alarm_id: int, status_code: int = 200, form: dict[str, str] | None = None
) -> HTMLResponse:
    _check_id(alarm_id)
    alarm = monitoring.get_alarm(session=session, scope=ctx.scope, alarm_id=alarm_id)
    raised = alarm.raised_at
    points: list[tuple[int, float]] = []
    try:
        points = monitoring.sensor_readings(
            session=session,
            scope=ctx.scope,
            sensor_code=alarm.sensor_code,
            since=raised - dt.timedelta(hours=6),
            until=raised + dt.timedelta(hours=6),
        )
    except DomainError:  # a site-level alarm (compound, roll-up) has no sensor of its own
        points = []
    site = session.get(MonitoredSite, alarm.site_id)
    can_write = "monitoring:write" in ctx.scope.permissions and ctx.scope.covers(alarm.division_code)
    return render(
        ctx,
        "alarm.html",
        status_code=status_code,
        alarm=_named(ctx, monitoring.alarm_view(alarm), site),
        events=alarm.events,
        site=site,
        trend=trend_svg(points, to_epoch_ms(raised)),
        names=people.display_names(session, [e.actor for e in alarm.events]),
        can_write=can_write,
        nav="alarms",
        form=form or {},
        can_promote=can_write and "incidents:write" in ctx.scope.permissions,
        incident_types=[it.value for it in IncidentType],
        default_type=monitoring.incident_type_of_site(site.kind if site else "other"),
    )


@router.get("/alarms/{alarm_id}", response_class=HTMLResponse)
def alarm_page(alarm_id: int, session: SessionDep, ctx: ViewerDep) -> Response:
    if not 1 <= alarm_id <= 2_147_483_647:
        return render(ctx, "error.html", status_code=404, message=ctx.t("error.not_found"))
    try:
        return _detail(ctx, session, alarm_id)
    except DomainError:
        return render(ctx, "error.html", status_code=404, message=ctx.t("error.not_found"))


def _alarm_act(
    request: Request,
    settings: Any,
    csrf_token: str,
    alarm_id: int,
    action: Any,
    back: str = "",
    form: dict[str, str] | None = None,
    success: Any = None,
) -> Response:
    """Run a form action; success returns to the console when the form was on it, else to the alarm."""

    def checked(ctx: PageCtx, session: Any) -> None:
        _check_id(alarm_id)
        action(ctx, session)

    return form_action(
        request,
        settings,
        csrf_token,
        checked,
        lambda ctx, session, status: _detail(ctx, session, alarm_id, status_code=status, form=form),
        success or ("/alarms" if back == "console" else f"/alarms/{alarm_id}"),
    )


@router.post("/alarms/{alarm_id}/acknowledge")
def alarm_acknowledge(
    alarm_id: int,
    request: Request,
    settings: SettingsDep,
    csrf_token: Csrf,
    note: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        monitoring.acknowledge(
            session=session, scope=ctx.scope, alarm_id=alarm_id, now=_now_ms(), note=note.strip() or None
        )

    return _alarm_act(request, settings, csrf_token, alarm_id, act, back)


@router.post("/alarms/{alarm_id}/shelve")
def alarm_shelve(
    alarm_id: int,
    request: Request,
    settings: SettingsDep,
    csrf_token: Csrf,
    minutes: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        if not reason.strip():
            raise InvalidInput(ctx.t("error.required"), field="reason")
        try:
            count = int(minutes)
        except ValueError:
            raise InvalidInput(ctx.t("error.number"), field="minutes") from None
        if not 1 <= count <= 24 * 60:
            raise InvalidInput(ctx.t("alarm.shelve_range"), field="minutes")
        monitoring.shelve(
            session=session, scope=ctx.scope, alarm_id=alarm_id, now=_now_ms(), reason=reason.strip(), minutes=count
        )

    return _alarm_act(request, settings, csrf_token, alarm_id, act)


@router.post("/alarms/{alarm_id}/unshelve")
def alarm_unshelve(alarm_id: int, request: Request, settings: SettingsDep, csrf_token: Csrf) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        monitoring.unshelve(session=session, scope=ctx.scope, alarm_id=alarm_id, now=_now_ms())

    return _alarm_act(request, settings, csrf_token, alarm_id, act)


def _flag_action(kind: str, alarm_id: int, on: str, reason: str) -> Any:
    """Suppress by design / put out of service (``on`` = "1"), or lift it ("0"); putting on needs a reason."""

    def act(ctx: PageCtx, session: Any) -> None:
        if on not in ("0", "1"):
            raise InvalidInput(ctx.t("error.choose"), field=kind)
        if on == "1" and not reason.strip():
            raise InvalidInput(ctx.t("error.required"), field=f"{kind}_reason")
        change = monitoring.suppress if kind == "suppress" else monitoring.out_of_service
        change(session=session, scope=ctx.scope, alarm_id=alarm_id, now=_now_ms(), on=on == "1", reason=reason.strip())

    return act


@router.post("/alarms/{alarm_id}/suppress")
def alarm_suppress(
    alarm_id: int,
    request: Request,
    settings: SettingsDep,
    csrf_token: Csrf,
    on: Annotated[str, Form(max_length=1)] = "1",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Suppressed by design (the equipment is stopped, say): the alarm stays but does not annunciate."""
    return _alarm_act(request, settings, csrf_token, alarm_id, _flag_action("suppress", alarm_id, on, reason))


@router.post("/alarms/{alarm_id}/out-of-service")
def alarm_out_of_service(
    alarm_id: int,
    request: Request,
    settings: SettingsDep,
    csrf_token: Csrf,
    on: Annotated[str, Form(max_length=1)] = "1",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Out of service (the sensor is under maintenance), with the reason; back in service with on=0."""
    return _alarm_act(request, settings, csrf_token, alarm_id, _flag_action("out_of_service", alarm_id, on, reason))


@router.post("/alarms/{alarm_id}/note")
def alarm_note(
    alarm_id: int,
    request: Request,
    settings: SettingsDep,
    csrf_token: Csrf,
    text: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        if not text.strip():
            raise InvalidInput(ctx.t("error.required"), field="text")
        monitoring.add_note(session=session, scope=ctx.scope, alarm_id=alarm_id, now=_now_ms(), text=text)

    return _alarm_act(request, settings, csrf_token, alarm_id, act, form={"text": text})


@router.post("/alarms/{alarm_id}/promote")
def alarm_promote(
    alarm_id: int,
    request: Request,
    settings: SettingsDep,
    csrf_token: Csrf,
    incident_type: Annotated[str, Form(max_length=40)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Promote the alarm to a new incident in one action (Command's service); success opens the incident."""
    made: list[int] = []

    def act(ctx: PageCtx, session: Any) -> None:
        if incident_type not in {it.value for it in IncidentType}:
            raise InvalidInput(ctx.t("error.choose"), field="incident_type")
        named = title.strip()
        if not named:  # the service's default names the rule by its id: name it in the reader's language
            alarm = monitoring.get_alarm(session=session, scope=ctx.scope, alarm_id=alarm_id)
            site = session.get(MonitoredSite, alarm.site_id)
            view = _named(ctx, monitoring.alarm_view(alarm), site)
            named = ctx.t("alarm.promote_title", site=site.name if site else "", rule=view["rule_name"])[:200]
        body = PromoteIn(incident_type=incident_type, title=named)
        _, incident_id = monitoring.promote(
            session=session, scope=ctx.scope, alarm_id=alarm_id, now=_now_ms(), body=body
        )
        made.append(incident_id)

    return _alarm_act(
        request,
        settings,
        csrf_token,
        alarm_id,
        act,
        form={"incident_type": incident_type, "title": title},
        success=lambda: f"/incidents/{made[0]}",
    )


@router.get("/map/layers/alarms")
def alarms_layer(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Sites with alarms not yet back to normal, coloured by the highest priority."""
    ctx = page_ctx(request, session, settings)
    if ctx is None:
        return JSONResponse({"type": "FeatureCollection", "features": []}, status_code=401)
    rows, _ = monitoring.list_alarms(session=session, scope=ctx.scope, active=True, limit=1000)
    rank = {"low": 0, "medium": 1, "high": 2}
    worst: dict[int, str] = {}
    count: dict[int, int] = {}
    for alarm in rows:
        if rank.get(alarm.priority, 0) >= rank.get(worst.get(alarm.site_id, "low"), 0):
            worst[alarm.site_id] = alarm.priority
        count[alarm.site_id] = count.get(alarm.site_id, 0) + 1
    features = []
    for site in session.scalars(select(MonitoredSite).where(MonitoredSite.id.in_(set(worst)))) if worst else []:
        if site.lon is None or site.lat is None:
            continue
        features.append(
            {
                "type": "Feature",
                "id": site.id,
                "geometry": {"type": "Point", "coordinates": [site.lon, site.lat]},
                "properties": {
                    "label": f"{site.name or site.code} ({count[site.id]})",
                    "colour": PRIORITY_COLOURS[worst[site.id]],
                    "href": "/alarms",
                },
            }
        )
    return JSONResponse({"type": "FeatureCollection", "features": features})


# -- warnings -----------------------------------------------------------------------------------------------


def _circle_ring(lat: float, lon: float, radius_km: float, steps: int = 36) -> list[list[float]]:
    ring = []
    for k in range(steps + 1):
        angle = 2 * math.pi * k / steps
        dlat = radius_km / 111.32 * math.cos(angle)
        dlon = radius_km / (111.32 * max(math.cos(math.radians(lat)), 0.01)) * math.sin(angle)
        ring.append([round(lon + dlon, 6), round(lat + dlat, 6)])
    return ring


def _imported_rings(area: dict[str, Any]) -> list[list[list[float]]]:
    """Polygons and circles of an imported warning, kept as the issuer's CAP text (unreadable ones skipped)."""
    rings = []
    for text in area.get("cap_polygons", []):
        try:
            rings.append([[p[1], p[0]] for p in cap.parse_polygon(text)])
        except InvalidInput:
            continue
    for text in area.get("cap_circles", []):
        try:
            circle = cap.parse_circle(text)
        except InvalidInput:
            continue
        rings.append(_circle_ring(circle.lat, circle.lon, circle.radius_km))
    return rings


def warning_features(rows: list[Any]) -> list[dict[str, Any]]:
    """GeoJSON polygons of the warnings' areas (CAP polygons are lat,lon; GeoJSON lon,lat)."""
    features = []
    for w in rows:
        rings = [[[p[1], p[0]] for p in ring] for ring in w.area.get("polygons", [])]
        rings += [_circle_ring(c["lat"], c["lon"], c["radius_km"]) for c in w.area.get("circles", [])]
        rings += _imported_rings(w.area)
        if not rings:
            continue
        features.append(
            {
                "type": "Feature",
                "id": w.id,
                "geometry": {"type": "MultiPolygon", "coordinates": [[ring] for ring in rings]},
                "properties": {
                    "label": w.headline,
                    "colour": WARNING_COLOURS.get(w.colour or "", "#777"),
                    "href": f"/warnings/{w.id}",
                },
            }
        )
    return features


@router.get("/map/layers/warnings")
def warnings_layer(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    ctx = page_ctx(request, session, settings)
    if ctx is None:
        return JSONResponse({"type": "FeatureCollection", "features": []}, status_code=401)
    rows, _ = warnings.list_warnings(session=session, scope=ctx.scope, status="active", limit=500)
    return JSONResponse({"type": "FeatureCollection", "features": warning_features(rows)})


def _warnings_page(
    ctx: PageCtx, session: Any, status_code: int = 200, form: dict[str, str] | None = None
) -> HTMLResponse:
    rows, total = warnings.list_warnings(session=session, scope=ctx.scope, limit=200)
    return render(
        ctx,
        "warnings.html",
        status_code=status_code,
        warnings=rows,
        total=total,
        types=list(cap.warning_types().values()),
        colours=list(cap.COLOUR_LEVELS),
        features=warning_features([w for w in rows if w.status == "active"]),
        form=form or {"colour": "blue", "expires_hours": "24", "area_division": ctx.scope.division_code},
        divisions=pickers.divisions(ctx, session) if "warnings:issue" in ctx.scope.permissions else [],
        can_issue="warnings:issue" in ctx.scope.permissions,
        nav="warnings",
    )


@router.get("/warnings", response_class=HTMLResponse)
def warnings_page(session: SessionDep, ctx: ViewerDep) -> Response:
    return _warnings_page(ctx, session)


@router.post("/warnings")
def warnings_issue(
    request: Request,
    settings: SettingsDep,
    csrf_token: Csrf,
    colour: Annotated[str, Form(max_length=10)] = "",
    type: Annotated[str, Form(max_length=40)] = "",
    headline: Annotated[str, Form(max_length=300)] = "",
    instruction: Annotated[str, Form(max_length=5000)] = "",
    polygon: Annotated[str, Form(max_length=20_000)] = "",
    area_division: Annotated[str, Form(max_length=12)] = "",
    expires_hours: Annotated[str, Form(max_length=10)] = "24",
) -> Response:
    """Issue a warning from the page: over the area drawn on the map (the CAP polygon; its divisions are those
    it covers), else over the division picked by name (else the user's own)."""
    form = {
        "colour": colour,
        "type": type,
        "headline": headline,
        "instruction": instruction,
        "polygon": polygon,
        "area_division": area_division,
        "expires_hours": expires_hours,
    }

    def act(ctx: PageCtx, session: Any) -> None:
        from yingji.warnings.schemas import WarningIn

        if not headline.strip():
            raise InvalidInput(ctx.t("error.required"), field="headline")
        if area_division and not area_division.isdigit():
            raise InvalidInput(ctx.t("error.choose"), field="area_division")
        picked = area_division or ctx.scope.division_code
        area: dict[str, Any] = {"polygons": [polygon.strip()]} if polygon.strip() else {"divisions": [picked]}
        try:
            body = WarningIn.model_validate(
                {
                    "colour": colour,
                    "type": type,
                    "headline": headline.strip(),
                    "instruction": instruction.strip(),
                    "area": area,
                    "expires_hours": float(expires_hours or 24),
                }
            )
        except (ValidationError, ValueError) as exc:
            where = first_error(exc)[0] if isinstance(exc, ValidationError) else "form"
            raise InvalidInput(ctx.t("warning.invalid"), field=where) from None
        warnings.issue(
            session=session,
            scope=ctx.scope,
            warning_in=body,
            now=_now_ms(),
            organisation=settings.warning_organisation,
            sender_name=settings.warning_sender_name,
            call_config=warnings.channel_config(settings),
        )

    return form_action(
        request,
        settings,
        csrf_token,
        act,
        lambda ctx, session, status: _warnings_page(ctx, session, status_code=status, form=form),
        "/warnings",
    )


# -- responsible officials --------------------------------------------------------------------------------


def _contact_parts(contact: str) -> list[tuple[str, str, str]]:
    """An official's contact as shown: each entry a channel by name with its target (marked as an identifier),
    or the entry as typed (a landline for people to dial)."""
    from yingji.warnings import channels

    parts: list[tuple[str, str, str]] = []
    for entry in re.split(r"[;；\n]", contact or ""):
        if not entry.strip():
            continue
        targets = channels.contact_targets(entry)
        if targets:
            parts.extend(("channel", channel, target) for channel, target in targets)
        else:
            parts.append(("text", "", entry.strip()))
    return parts


def _officials_page(
    ctx: PageCtx,
    session: Any,
    status_code: int = 200,
    form: dict[str, str] | None = None,
    edits: dict[int, dict[str, str]] | None = None,
) -> HTMLResponse:
    rows = warnings.list_officials(session=session, scope=ctx.scope)
    names = division_service.names_of(
        session=session, codes=sorted({o.division_code for o in rows} | {ctx.scope.division_code})
    )
    return render(
        ctx,
        "warning_officials.html",
        status_code=status_code,
        officials=rows,
        names=names,
        by_id={o.id: o for o in rows},
        form=form or {"division_code": ctx.scope.division_code},
        edits=edits or {},
        covers=ctx.scope.covers,
        contact_parts=_contact_parts,
        divisions=pickers.divisions(ctx, session),
        can_issue="warnings:issue" in ctx.scope.permissions,
        nav="warnings",
    )


@router.get("/warnings/officials", response_class=HTMLResponse)
def officials_page(session: SessionDep, ctx: ViewerDep) -> Response:
    return _officials_page(ctx, session)


@router.post("/warnings/officials")
def officials_create(
    request: Request,
    settings: SettingsDep,
    csrf_token: Csrf,
    name: Annotated[str, Form(max_length=100)] = "",
    division_code: Annotated[str, Form(max_length=12)] = "",
    superior_id: Annotated[str, Form(max_length=12)] = "",
    contact: Annotated[str, Form(max_length=300)] = "",
    username: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    form = {
        "name": name,
        "division_code": division_code,
        "superior_id": superior_id,
        "contact": contact,
        "username": username,
    }

    def act(ctx: PageCtx, session: Any) -> None:
        warnings.create_official(
            session=session,
            scope=ctx.scope,
            official_in=_official_in(ctx, form),
            webhook_allowed=settings.webhook_allowed_targets,
        )

    return form_action(
        request,
        settings,
        csrf_token,
        act,
        lambda ctx, session, status: _officials_page(ctx, session, status_code=status, form=form),
        "/warnings/officials",
    )


def _official_in(ctx: PageCtx, form: dict[str, str], prefix: str = "") -> Any:
    """The official a form describes; a refusal names the form's field (``prefix`` + name)."""
    from yingji.warnings.schemas import OfficialIn

    if not form["name"].strip():
        raise InvalidInput(ctx.t("error.required"), field=prefix + "name")
    if form["superior_id"] and not form["superior_id"].isdigit():
        raise InvalidInput(ctx.t("error.choose"), field=prefix + "superior_id")
    try:
        return OfficialIn.model_validate(
            {
                "name": form["name"].strip(),
                "division_code": form["division_code"].strip(),
                "superior_id": int(form["superior_id"]) if form["superior_id"] else None,
                "contact": form["contact"].strip(),
                "username": form["username"].strip() or None,
            }
        )
    except ValidationError as exc:
        raise InvalidInput(ctx.t("warning.invalid"), field=prefix + first_error(exc)[0]) from None


@router.post("/warnings/officials/{official_id}")
def officials_edit(
    official_id: int,
    request: Request,
    settings: SettingsDep,
    csrf_token: Csrf,
    name: Annotated[str, Form(max_length=100)] = "",
    division_code: Annotated[str, Form(max_length=12)] = "",
    superior_id: Annotated[str, Form(max_length=12)] = "",
    contact: Annotated[str, Form(max_length=300)] = "",
    username: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Change an official from their row: the next call round of an active warning follows the change."""
    form = {
        "name": name,
        "division_code": division_code,
        "superior_id": superior_id,
        "contact": contact,
        "username": username,
    }
    prefix = f"edit-{official_id}-"

    def act(ctx: PageCtx, session: Any) -> None:
        _check_id(official_id)
        try:
            warnings.update_official(
                session=session,
                scope=ctx.scope,
                official_id=official_id,
                official_in=_official_in(ctx, form, prefix),
                webhook_allowed=settings.webhook_allowed_targets,
            )
        except DomainError as exc:
            field = str(exc.extra.get("field") or "")
            exc.extra["field"] = field if field.startswith(prefix) else prefix + (field or "form")
            raise

    return form_action(
        request,
        settings,
        csrf_token,
        act,
        lambda ctx, session, status: _officials_page(ctx, session, status_code=status, edits={official_id: form}),
        "/warnings/officials",
    )


@router.post("/warnings/officials/{official_id}/remove")
def officials_remove(official_id: int, request: Request, settings: SettingsDep, csrf_token: Csrf) -> Response:
    """The official is no longer responsible: no call round reaches them again."""

    def act(ctx: PageCtx, session: Any) -> None:
        _check_id(official_id)
        warnings.remove_official(session=session, scope=ctx.scope, official_id=official_id, now=now_utc())

    return form_action(
        request,
        settings,
        csrf_token,
        act,
        lambda ctx, session, status: _officials_page(ctx, session, status_code=status),
        "/warnings/officials",
    )


# -- one warning: update, cancel, call-and-acknowledge ----------------------------------------------------


def _type_name(ctx: PageCtx, type_id: str | None) -> str:
    known = cap.warning_types().get(type_id or "")
    if known is None:
        return type_id or "—"
    return str(known.zh) if ctx.lang == "zh" else str(known.id)


def _warning_detail(
    ctx: PageCtx, session: Any, warning_id: int, status_code: int = 200, form: dict[str, str] | None = None
) -> HTMLResponse:
    _check_id(warning_id)
    warning = warnings.get(session=session, scope=ctx.scope, warning_id=warning_id)
    board = warnings.call_board(session=session, scope=ctx.scope, warning_id=warning.id)
    calls = [b["call"] for b in board]
    divisions = warnings.visible_divisions(ctx.scope, warning)
    names = division_service.names_of(session=session, codes=sorted({*divisions, *(c.division_code for c in calls)}))
    can_change = (
        "warnings:issue" in ctx.scope.permissions
        and ctx.scope.covers(warning.division_code)
        and warning.source == "issued"
        and warning.status == "active"
    )
    summary = {
        "called": len(calls),
        "acknowledged": sum(c.acknowledged_at is not None for c in calls),
        "escalated": sum(c.escalated_at is not None for c in calls),
        "pending": sum(c.acknowledged_at is None and c.escalated_at is None for c in calls),
    }
    return render(
        ctx,
        "warning.html",
        status_code=status_code,
        warning=warning,
        board=board,
        summary=summary,
        divisions=divisions,
        names=names,
        colours=list(cap.COLOUR_LEVELS),
        approximate=set((warning.area or {}).get("approximate_divisions", [])),
        receipts=warnings.deliveries(session=session, scope=ctx.scope, warning_id=warning.id),
        features=warning_features([warning]),
        can_change=can_change,
        type_name=_type_name(ctx, warning.type),
        receipt_detail=lambda detail: wording.receipt_detail(ctx.t, ctx.lang, detail or ""),
        can_acknowledge=warning.status == "active" and "warnings:issue" in ctx.scope.permissions,
        actor=ctx.scope.actor,
        form=form or {"colour": warning.colour or "", "headline": warning.headline, "instruction": warning.instruction},
        nav="warnings",
    )


@router.get("/warnings/{warning_id}", response_class=HTMLResponse)
def warning_page(warning_id: int, session: SessionDep, ctx: ViewerDep) -> Response:
    if not 1 <= warning_id <= 2_147_483_647:
        return render(ctx, "error.html", status_code=404, message=ctx.t("error.not_found"))
    try:
        return _warning_detail(ctx, session, warning_id)
    except DomainError:
        return render(ctx, "error.html", status_code=404, message=ctx.t("error.not_found"))


def _check_id(number: int) -> None:
    """An id outside the database's integer range names nothing (and must never reach a query)."""
    if not 1 <= number <= 2_147_483_647:
        raise NotFound("not found")


def _warning_act(
    request: Request, settings: Any, csrf_token: str, warning_id: int, action: Any, form: dict[str, str] | None = None
) -> Response:
    def checked(ctx: PageCtx, session: Any) -> None:
        _check_id(warning_id)
        action(ctx, session)

    return form_action(
        request,
        settings,
        csrf_token,
        checked,
        lambda ctx, session, status: _warning_detail(ctx, session, warning_id, status_code=status, form=form),
        f"/warnings/{warning_id}",
    )


@router.post("/warnings/{warning_id}/update")
def warning_update(
    warning_id: int,
    request: Request,
    settings: SettingsDep,
    csrf_token: Csrf,
    colour: Annotated[str, Form(max_length=10)] = "",
    headline: Annotated[str, Form(max_length=300)] = "",
    instruction: Annotated[str, Form(max_length=5000)] = "",
    polygon: Annotated[str, Form(max_length=20_000)] = "",
    expires_hours: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """A CAP Update referencing the message it replaces (the service builds it, as the API does)."""
    form = {
        "colour": colour,
        "headline": headline,
        "instruction": instruction,
        "polygon": polygon,
        "expires_hours": expires_hours,
    }

    def act(ctx: PageCtx, session: Any) -> None:
        from yingji.warnings.schemas import WarningUpdate

        if not headline.strip():
            raise InvalidInput(ctx.t("error.required"), field="headline")
        if colour not in cap.COLOUR_LEVELS:
            raise InvalidInput(ctx.t("error.choose"), field="colour")
        change: dict[str, Any] = {"colour": colour, "headline": headline.strip(), "instruction": instruction.strip()}
        if polygon.strip():
            change["area"] = {"polygons": [polygon.strip()]}
        if expires_hours.strip():
            try:
                change["expires_hours"] = float(expires_hours)
            except ValueError:
                raise InvalidInput(ctx.t("error.number"), field="expires_hours") from None
        try:
            body = WarningUpdate.model_validate(change)
        except ValidationError as exc:
            raise InvalidInput(ctx.t("warning.invalid"), field=first_error(exc)[0]) from None
        warnings.update(
            session=session,
            scope=ctx.scope,
            warning_id=warning_id,
            change=body,
            now=_now_ms(),
            sender_name=settings.warning_sender_name,
        )

    return _warning_act(request, settings, csrf_token, warning_id, act, form)


@router.post("/warnings/{warning_id}/cancel")
def warning_cancel(
    warning_id: int,
    request: Request,
    settings: SettingsDep,
    csrf_token: Csrf,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """A CAP Cancel referencing the message it replaces; the reason is required on the page."""

    def act(ctx: PageCtx, session: Any) -> None:
        if not reason.strip():
            raise InvalidInput(ctx.t("error.required"), field="reason")
        warnings.cancel(
            session=session,
            scope=ctx.scope,
            warning_id=warning_id,
            now=_now_ms(),
            reason=reason.strip(),
            sender_name=settings.warning_sender_name,
        )

    return _warning_act(request, settings, csrf_token, warning_id, act)


@router.post("/warnings/{warning_id}/calls/send")
def warning_calls_send(warning_id: int, request: Request, settings: SettingsDep, csrf_token: Csrf) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        warnings.call_officials(
            session=session, scope=ctx.scope, warning_id=warning_id, config=warnings.channel_config(settings)
        )

    return _warning_act(request, settings, csrf_token, warning_id, act)


@router.post("/warnings/{warning_id}/calls/{official_id}/acknowledge")
def warning_call_acknowledge(
    warning_id: int, official_id: int, request: Request, settings: SettingsDep, csrf_token: Csrf
) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        _check_id(official_id)
        warnings.acknowledge_call(
            session=session, scope=ctx.scope, warning_id=warning_id, official_id=official_id, now=_now_ms()
        )

    return _warning_act(request, settings, csrf_token, warning_id, act)
