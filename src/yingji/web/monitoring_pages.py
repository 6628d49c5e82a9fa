"""Monitoring pages: the alarm console (live list and unacknowledged count, acknowledge and shelve, notes,
promotion to an incident, the sensor trend around an alarm as a server-drawn SVG) and the map's ``alarms``
layer. The warning pages are in ``warning_pages``; their layer and top-bar entry are registered here,
after the alarms', so the top bar keeps its order. Everything reads and writes through the scoped
services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select

from yingji.api_common import SessionDep, SettingsDep
from yingji.errors import DomainError, InvalidInput
from yingji.incidents.incident_types import IncidentType
from yingji.monitoring import service as monitoring
from yingji.monitoring.clock import to_epoch_ms
from yingji.monitoring.models import MonitoredSite
from yingji.monitoring.rules.ruleset import template_rules
from yingji.monitoring.schemas import PromoteIn
from yingji.web import layers, pages, people, wording
from yingji.web.forms import required, text_field
from yingji.web.i18n import catalogue
from yingji.web.pages import FormPost, PageCtx, PostDep, ViewerDep, form_action, now_utc, page_ctx, render, shown_again

router = APIRouter(include_in_schema=False)
layers.register(layers.MapLayer("alarms", "layer.alarms", "/map/layers/alarms", "monitoring:read"))
layers.register(layers.MapLayer("warnings", "layer.warnings", "/map/layers/warnings", "warnings:read", kind="areas"))
# Alarm sites in hues no incident grade uses (web/legends.py): a red alarm would read as a 特别重大 incident.
PRIORITY_COLOURS = {"high": "#8e24aa", "medium": "#d81b60", "low": "#00897b"}


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
    pages.check_id(alarm_id)
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
    return pages.record_page(ctx, lambda: _detail(ctx, session, alarm_id))


def _alarm_act(
    post: FormPost, alarm_id: int, action: Any, back: str = "", form: dict[str, str] | None = None, success: Any = None
) -> Response:
    """Run a form action; success returns to the console when the form was on it, else to the alarm."""

    def checked(ctx: PageCtx, session: Any) -> None:
        pages.check_id(alarm_id)
        action(ctx, session)

    return form_action(
        post,
        checked,
        shown_again(_detail, alarm_id, form=form),
        success or ("/alarms" if back == "console" else f"/alarms/{alarm_id}"),
    )


@router.post("/alarms/{alarm_id}/acknowledge")
def alarm_acknowledge(
    alarm_id: int, post: PostDep, note: str = text_field(2000), back: str = text_field(20)
) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        monitoring.acknowledge(
            session=session, scope=ctx.scope, alarm_id=alarm_id, now=_now_ms(), note=note.strip() or None
        )

    return _alarm_act(post, alarm_id, act, back)


@router.post("/alarms/{alarm_id}/shelve")
def alarm_shelve(
    alarm_id: int, post: PostDep, minutes: str = text_field(10), reason: str = text_field(500)
) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        required(ctx, reason=reason)
        try:
            count = int(minutes)
        except ValueError:
            raise InvalidInput(ctx.t("error.number"), field="minutes") from None
        if not 1 <= count <= 24 * 60:
            raise InvalidInput(ctx.t("alarm.shelve_range"), field="minutes")
        monitoring.shelve(
            session=session, scope=ctx.scope, alarm_id=alarm_id, now=_now_ms(), reason=reason.strip(), minutes=count
        )

    return _alarm_act(post, alarm_id, act)


@router.post("/alarms/{alarm_id}/unshelve")
def alarm_unshelve(alarm_id: int, post: PostDep) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        monitoring.unshelve(session=session, scope=ctx.scope, alarm_id=alarm_id, now=_now_ms())

    return _alarm_act(post, alarm_id, act)


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
    alarm_id: int, post: PostDep, on: str = text_field(1, "1"), reason: str = text_field(500)
) -> Response:
    """Suppressed by design (the equipment is stopped, say): the alarm stays but does not annunciate."""
    return _alarm_act(post, alarm_id, _flag_action("suppress", alarm_id, on, reason))


@router.post("/alarms/{alarm_id}/out-of-service")
def alarm_out_of_service(
    alarm_id: int, post: PostDep, on: str = text_field(1, "1"), reason: str = text_field(500)
) -> Response:
    """Out of service (the sensor is under maintenance), with the reason; back in service with on=0."""
    return _alarm_act(post, alarm_id, _flag_action("out_of_service", alarm_id, on, reason))


@router.post("/alarms/{alarm_id}/note")
def alarm_note(alarm_id: int, post: PostDep, text: str = text_field(2000)) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        required(ctx, text=text)
        monitoring.add_note(session=session, scope=ctx.scope, alarm_id=alarm_id, now=_now_ms(), text=text)

    return _alarm_act(post, alarm_id, act, form={"text": text})


@router.post("/alarms/{alarm_id}/promote")
def alarm_promote(
    alarm_id: int, post: PostDep, incident_type: str = text_field(40), title: str = text_field(200)
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
        post,
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
