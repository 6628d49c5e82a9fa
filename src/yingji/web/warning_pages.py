"""Warning pages: the warnings page (the warning map and the issue form), a warning's page (update, cancel,
call-and-acknowledge with the receipts of each official's channels), the responsible officials, and the
map's ``warnings`` layer (registered with the alarms layer in ``monitoring_pages``). Everything reads and
writes through the scoped services."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError

from yingji.api_common import SessionDep, SettingsDep
from yingji.errors import DomainError, InvalidInput
from yingji.geo import service as division_service
from yingji.monitoring.clock import to_epoch_ms
from yingji.warnings import cap
from yingji.warnings import service as warnings
from yingji.warnings.calls import service as warning_calls
from yingji.web import cap_reading, clock, pickers, wording
from yingji.web.forms import form_fields, required, text_field
from yingji.web.i18n import catalogue
from yingji.web.pages import (
    FormPost,
    PageCtx,
    PostDep,
    ViewerDep,
    check_id,
    first_error,
    form_action,
    not_found,
    now_utc,
    page_ctx,
    record_page,
    render,
    shown_again,
    validated,
)

router = APIRouter(include_in_schema=False)
WARNING_COLOURS = {"blue": "#1f6feb", "yellow": "#e6c200", "orange": "#ff8c00", "red": "#d00000"}


def _now_ms() -> int:
    return to_epoch_ms(now_utc())


def _show(ctx: PageCtx, template: str, status_code: int, **values: Any) -> HTMLResponse:
    """A warnings page: the top bar's warnings entry marked, and whether the caller may issue."""
    return render(
        ctx,
        template,
        status_code=status_code,
        nav="warnings",
        can_issue="warnings:issue" in ctx.scope.permissions,
        **values,
    )


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
    return _show(
        ctx,
        "warnings.html",
        status_code,
        warnings=rows,
        total=total,
        types=list(cap.warning_types().values()),
        colours=list(cap.COLOUR_LEVELS),
        features=warning_features([w for w in rows if w.status == "active"]),
        form=form or {"colour": "blue", "expires_hours": "24", "area_division": ctx.scope.division_code},
        divisions=pickers.divisions(ctx, session) if "warnings:issue" in ctx.scope.permissions else [],
    )


# The fields an issued warning and its update share, with their longest lengths.
WARNING_FIELDS = {"colour": 10, "headline": 300, "instruction": 5000, "polygon": 20_000}


@router.get("/warnings", response_class=HTMLResponse)
def warnings_page(session: SessionDep, ctx: ViewerDep) -> Response:
    return _warnings_page(ctx, session)


@router.post("/warnings")
def warnings_issue(
    post: PostDep,
    form: dict[str, str] = form_fields(**WARNING_FIELDS, type=40, area_division=12, expires_hours=text_field(10, "24")),
) -> Response:
    """Issue a warning from the page: over the area drawn on the map (the CAP polygon; its divisions are those
    it covers), else over the division picked by name (else the user's own)."""

    def act(ctx: PageCtx, session: Any) -> None:
        from yingji.warnings.schemas import WarningIn

        headline, polygon, area_division = form["headline"], form["polygon"], form["area_division"]
        required(ctx, headline=headline)
        if area_division and not area_division.isdigit():
            raise InvalidInput(ctx.t("error.choose"), field="area_division")
        picked = area_division or ctx.scope.division_code
        area: dict[str, Any] = {"polygons": [polygon.strip()]} if polygon.strip() else {"divisions": [picked]}
        try:
            hours = float(form["expires_hours"] or 24)
        except ValueError:
            raise InvalidInput(ctx.t("warning.invalid"), field="form") from None
        body = validated(
            WarningIn,
            {
                "colour": form["colour"],
                "type": form["type"],
                "headline": headline.strip(),
                "instruction": form["instruction"].strip(),
                "area": area,
                "expires_hours": hours,
            },
            ctx.t("warning.invalid"),
        )
        warnings.issue(
            session=session,
            scope=ctx.scope,
            warning_in=body,
            now=_now_ms(),
            organisation=post.settings.warning_organisation,
            sender_name=post.settings.warning_sender_name,
            call_config=warnings.channel_config(post.settings),
        )

    return form_action(post, act, shown_again(_warnings_page, form=form), "/warnings")


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
    rows = warning_calls.list_officials(session=session, scope=ctx.scope)
    names = division_service.names_of(
        session=session, codes=sorted({o.division_code for o in rows} | {ctx.scope.division_code})
    )
    return _show(
        ctx,
        "warning_officials.html",
        status_code,
        officials=rows,
        names=names,
        by_id={o.id: o for o in rows},
        form=form or {"division_code": ctx.scope.division_code},
        edits=edits or {},
        covers=ctx.scope.covers,
        contact_parts=_contact_parts,
        divisions=pickers.divisions(ctx, session),
    )


@router.get("/warnings/officials", response_class=HTMLResponse)
def officials_page(session: SessionDep, ctx: ViewerDep) -> Response:
    return _officials_page(ctx, session)


def _official_form(
    name: str = text_field(100),
    division_code: str = text_field(12),
    superior_id: str = text_field(12),
    contact: str = text_field(300),
    username: str = text_field(64),
) -> dict[str, str]:
    """The official form's fields as typed (the add form and each row's edit form)."""
    return {
        "name": name,
        "division_code": division_code,
        "superior_id": superior_id,
        "contact": contact,
        "username": username,
    }


OfficialForm = Annotated[dict[str, str], Depends(_official_form)]


@router.post("/warnings/officials")
def officials_create(post: PostDep, form: OfficialForm) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        warning_calls.create_official(
            session=session,
            scope=ctx.scope,
            official_in=_official_in(ctx, form),
            webhook_allowed=post.settings.webhook_allowed_targets,
        )

    return form_action(post, act, shown_again(_officials_page, form=form), "/warnings/officials")


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
def officials_edit(official_id: int, post: PostDep, form: OfficialForm) -> Response:
    """Change an official from their row: the next call round of an active warning follows the change."""
    prefix = f"edit-{official_id}-"

    def act(ctx: PageCtx, session: Any) -> None:
        check_id(official_id)
        try:
            warning_calls.update_official(
                session=session,
                scope=ctx.scope,
                official_id=official_id,
                official_in=_official_in(ctx, form, prefix),
                webhook_allowed=post.settings.webhook_allowed_targets,
            )
        except DomainError as exc:
            field = str(exc.extra.get("field") or "")
            exc.extra["field"] = field if field.startswith(prefix) else prefix + (field or "form")
            raise

    return form_action(post, act, shown_again(_officials_page, edits={official_id: form}), "/warnings/officials")


@router.post("/warnings/officials/{official_id}/remove")
def officials_remove(official_id: int, post: PostDep) -> Response:
    """The official is no longer responsible: no call round reaches them again."""

    def act(ctx: PageCtx, session: Any) -> None:
        check_id(official_id)
        warning_calls.remove_official(session=session, scope=ctx.scope, official_id=official_id, now=now_utc())

    return form_action(post, act, shown_again(_officials_page), "/warnings/officials")


# -- one warning: update, cancel, call-and-acknowledge ----------------------------------------------------


def _type_name(ctx: PageCtx, type_id: str | None) -> str:
    known = cap.warning_types().get(type_id or "")
    if known is None:
        return type_id or "—"
    return str(known.zh) if ctx.lang == "zh" else str(known.id)


def _warning_detail(
    ctx: PageCtx, session: Any, warning_id: int, status_code: int = 200, form: dict[str, str] | None = None
) -> HTMLResponse:
    check_id(warning_id)
    warning = warnings.get(session=session, scope=ctx.scope, warning_id=warning_id)
    board = warning_calls.call_board(session=session, scope=ctx.scope, warning_id=warning.id)
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
    return _show(
        ctx,
        "warning.html",
        status_code,
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
    )


@router.get("/warnings/{warning_id}", response_class=HTMLResponse)
def warning_page(warning_id: int, session: SessionDep, ctx: ViewerDep) -> Response:
    return record_page(ctx, lambda: _warning_detail(ctx, session, warning_id))


@router.get("/warnings/{warning_id}/cap", response_class=HTMLResponse)
def warning_cap_page(warning_id: int, session: SessionDep, ctx: ViewerDep) -> Response:
    """The warning's CAP 1.2 message as a page: every element by name, coded values by meaning, times on the
    reader's clock; the XML itself is one link away (``/api/v1/warnings/{id}/cap``)."""
    try:
        check_id(warning_id)
        warning = warnings.get(session=session, scope=ctx.scope, warning_id=warning_id)
    except DomainError:
        return not_found(ctx)
    alert = cap.outline(warning.cap_xml.encode("utf-8"))
    geocodes = cap_reading.division_codes(alert)
    names = division_service.names_of(session=session, codes=[g.ljust(12, "0") for g in geocodes])
    known = catalogue()
    zone = ctx.request.app.state.settings.timezone
    words = cap_reading.Words(
        t=ctx.t,
        known=lambda key: key in known,
        time=lambda ms: clock.show(dt.datetime.fromtimestamp(ms / 1000, dt.UTC), zone),
        warning_type=lambda type_id: _type_name(ctx, type_id),
        division=lambda code: f"{names[code.ljust(12, '0')]}（{code}）" if code.ljust(12, "0") in names else code,
    )
    return _show(ctx, "warning_cap.html", 200, warning=warning, message=cap_reading.read(alert, words))


def _warning_act(post: FormPost, warning_id: int, action: Any, form: dict[str, str] | None = None) -> Response:
    def checked(ctx: PageCtx, session: Any) -> None:
        check_id(warning_id)
        action(ctx, session)

    return form_action(post, checked, shown_again(_warning_detail, warning_id, form=form), f"/warnings/{warning_id}")


@router.post("/warnings/{warning_id}/update")
def warning_update(
    warning_id: int,
    post: PostDep,
    form: dict[str, str] = form_fields(**WARNING_FIELDS, expires_hours=10),
) -> Response:
    """A CAP Update referencing the message it replaces (the service builds it, as the API does)."""

    def act(ctx: PageCtx, session: Any) -> None:
        from yingji.warnings.schemas import WarningUpdate

        colour, headline, polygon, hours = form["colour"], form["headline"], form["polygon"], form["expires_hours"]
        required(ctx, headline=headline)
        if colour not in cap.COLOUR_LEVELS:
            raise InvalidInput(ctx.t("error.choose"), field="colour")
        change: dict[str, Any] = {"colour": colour, "headline": headline.strip()}
        change["instruction"] = form["instruction"].strip()
        if polygon.strip():
            change["area"] = {"polygons": [polygon.strip()]}
        if hours.strip():
            try:
                change["expires_hours"] = float(hours)
            except ValueError:
                raise InvalidInput(ctx.t("error.number"), field="expires_hours") from None
        body = validated(WarningUpdate, change, ctx.t("warning.invalid"))
        warnings.update(
            session=session,
            scope=ctx.scope,
            warning_id=warning_id,
            change=body,
            now=_now_ms(),
            sender_name=post.settings.warning_sender_name,
        )

    return _warning_act(post, warning_id, act, form)


@router.post("/warnings/{warning_id}/cancel")
def warning_cancel(warning_id: int, post: PostDep, reason: str = text_field(1000)) -> Response:
    """A CAP Cancel referencing the message it replaces; the reason is required on the page."""

    def act(ctx: PageCtx, session: Any) -> None:
        required(ctx, reason=reason)
        warnings.cancel(
            session=session,
            scope=ctx.scope,
            warning_id=warning_id,
            now=_now_ms(),
            reason=reason.strip(),
            sender_name=post.settings.warning_sender_name,
        )

    return _warning_act(post, warning_id, act)


@router.post("/warnings/{warning_id}/calls/send")
def warning_calls_send(warning_id: int, post: PostDep) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        warnings.call_officials(
            session=session, scope=ctx.scope, warning_id=warning_id, config=warnings.channel_config(post.settings)
        )

    return _warning_act(post, warning_id, act)


@router.post("/warnings/{warning_id}/calls/{official_id}/acknowledge")
def warning_call_acknowledge(warning_id: int, official_id: int, post: PostDep) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        check_id(official_id)
        warning_calls.acknowledge_call(
            session=session, scope=ctx.scope, warning_id=warning_id, official_id=official_id, now=_now_ms()
        )

    return _warning_act(post, warning_id, act)
