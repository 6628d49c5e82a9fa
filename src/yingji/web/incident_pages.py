"""Incident pages: the list with filters, the detail page with its actions, the map layer, statistics."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from yingji import timerange
from yingji.api_common import SessionDep, SettingsDep
from yingji.auth import service as auth_service
from yingji.errors import DomainError
from yingji.geo import service as division_service
from yingji.incidents import service as incident_service
from yingji.incidents.incident_types import IncidentType
from yingji.incidents.lifecycle import IncidentStatus
from yingji.web import clock, figures_pages, layers, pages, task_pages
from yingji.web import timeline as timeline_text
from yingji.web.forms import form_fields, required, text_field
from yingji.web.pages import FormPost, PageCtx, PostDep, ViewerDep, form_action, now_utc, page_ctx, render

router = APIRouter(include_in_schema=False)
GRADE_COLOURS = {
    "particularly_serious": "#c0392b",
    "serious": "#e67e22",
    "relatively_serious": "#f1c40f",
    "general": "#2980b9",
    None: "#7f8c8d",
}
STATUSES = [s.value for s in IncidentStatus]
Version = Annotated[int, Form(ge=1)]  # the version (revision) of the record the form was read from
Choice = Annotated[str, Form(max_length=20)]  # a required pick: a status, an action
REPORT_PARTS = ("conditions", "actions", "needs")  # a situation report's three texts (one of them at least)
GRADES = ["particularly_serious", "serious", "relatively_serious", "general"]


def _parse_day(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return timerange.check(dt.datetime.fromisoformat(value).replace(tzinfo=dt.timezone(dt.timedelta(hours=8))))
    except ValueError:  # not a date, or outside the accepted range (TimeOutOfRange): no filter
        return None


def _filters(request: Request) -> dict[str, Any]:
    q = request.query_params
    exercise = {"real": False, "exercise": True}.get(q.get("exercise", ""))
    return {
        "incident_type": q.get("type") or None,
        "status": q.get("status") or None,
        "division": q.get("division") or None,
        "exercise": exercise,
        "since": _parse_day(q.get("since")),
        "until": _parse_day(q.get("until")),
        "grade": q.get("grade") or None,
    }


@router.get("/incidents", response_class=HTMLResponse)
def incidents_page(request: Request, session: SessionDep, ctx: ViewerDep) -> Response:
    filters = _filters(request)
    grade = filters.pop("grade")
    error = ""
    try:
        rows, total = incident_service.list_incidents(session=session, scope=ctx.scope, limit=500, **filters)
    except DomainError as exc:
        rows, total, error = [], 0, ctx.error_text(exc)
    if grade:
        rows = [r for r in rows if r.grade == grade]
    names = division_service.names_of(session=session, codes=[r.division_code for r in rows])
    template = "incident_rows.html" if request.query_params.get("fragment") == "rows" else "incidents.html"
    return render(
        ctx,
        template,
        rows=rows,
        total=total,
        names=names,
        error=error,
        query=request.query_params,
        types=[it.value for it in IncidentType],
        statuses=STATUSES,
        grades=GRADES,
        nav="incidents",
    )


def actor_names(ctx: PageCtx, session: Any, usernames: set[str]) -> dict[str, str]:
    """People by their display name (a user name is a login, not a name); the platform's own processes
    (scheduler, workers) as 系统."""
    out = {}
    for username in sorted(usernames):
        user = auth_service.get_by_username(session=session, username=username)
        if user is not None and user.display_name:
            out[username] = user.display_name
        elif user is None:
            out[username] = ctx.t("actor.system")
    return out


def _detail(
    ctx: PageCtx,
    session: Any,
    incident_id: int,
    status_code: int = 200,
    typed: dict[str, str] | None = None,
    **extra: Any,
) -> HTMLResponse:
    scope, now = ctx.scope, now_utc()
    incident = incident_service.get(session=session, scope=scope, incident_id=incident_id)
    timeline, _ = incident_service.timeline(session=session, scope=scope, incident_id=incident_id, limit=200)
    tasks = incident_service.tasks_of(session=session, scope=scope, incident_id=incident_id)
    history = list(reversed(incident_service.figure_history(session=session, scope=scope, incident_id=incident_id)))
    extra.update(
        figure_fields=figures_pages.FIELDS,
        figure_values=typed if typed is not None else figures_pages.shown_values(incident.figures or {}),
        figure_history=history,
        source_kinds=figures_pages.SOURCE_KINDS,
        figure_text=lambda name, value: figures_pages.display(ctx.t, name, value),
        densities=figures_pages.DENSITIES,
        task_moves=task_pages.NEXT_ACTIONS,
        division_names=division_service.names_of(session=session, codes=incident.division_codes),
        actor_names=actor_names(ctx, session, {e.actor for e in timeline} | {c.actor for c in history}),
        timeline_lines=[
            timeline_text.describe(
                t=ctx.t,
                show_time=lambda value: clock.show(value, str(ctx.request.app.state.settings.timezone)),
                kind=entry.kind,
                text=entry.text,
                data=entry.data if isinstance(entry.data, dict) else None,
                task_titles={task.id: task.title for task in tasks},
                figure_text=lambda name, value: figures_pages.display(ctx.t, name, value),
            )
            for entry in timeline
        ],
        figure_errors=bool(set(ctx.errors) & figures_pages.FORM_FIELDS),
    )
    return render(
        ctx,
        "incident.html",
        status_code=status_code,
        incident=incident,
        timeline=timeline,
        tasks=tasks,
        overdue_tasks={
            t.id
            for t in tasks
            if t.due_at is not None and t.due_at < now and t.status in incident_service.UNFINISHED_TASK
        },
        reports=incident_service.reports_of(session=session, scope=scope, incident_id=incident_id),
        due=[
            (d, d.status(now).value)
            for d in incident_service.due_reports(session=session, scope=scope, incident_id=incident_id, now=now)
        ],
        can_write=scope.covers_any(incident.division_codes) and "incidents:write" in scope.permissions,
        can_command=scope.covers_any(incident.division_codes) and "incidents:command" in scope.permissions,
        nav="incidents",
        **extra,
    )


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(incident_id: int, session: SessionDep, ctx: ViewerDep) -> Response:
    return pages.record_page(ctx, lambda: _detail(ctx, session, incident_id))


def act_on_incident(post: FormPost, incident_id: int, action: Any, typed: dict[str, str] | None = None) -> Response:
    """Run a form of the incident page; on an error the page again, with the error (and, for the figures
    form, what was typed)."""
    return form_action(post, action, pages.shown_again(_detail, incident_id, typed=typed), f"/incidents/{incident_id}")


def _versioned(ctx: PageCtx, session: Any, incident_id: int, version: int, reason: str) -> dict[str, Any]:
    """What every change of the incident from its page passes the service: who, which incident, read at which
    version, and why."""
    return {"session": session, "scope": ctx.scope, "incident_id": incident_id, "version": version, "reason": reason}


@router.post("/incidents/{incident_id}/status")
def incident_status(
    incident_id: int, post: PostDep, version: Version, status: Choice, reason: str = text_field(500)
) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        if status not in STATUSES:
            raise _field_error("status", ctx.t("error.choose"))
        change = _versioned(ctx, session, incident_id, version, reason)
        incident_service.change_status(**change, target=IncidentStatus(status))

    return act_on_incident(post, incident_id, act)


@router.post("/incidents/{incident_id}/respond")
def incident_respond(
    incident_id: int,
    post: PostDep,
    version: Version,
    action: Choice,
    level: str = text_field(2),
    reason: str = text_field(500),
) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        if level not in ("", "1", "2", "3", "4"):
            raise _field_error("level", ctx.t("error.choose"))
        change = _versioned(ctx, session, incident_id, version, reason)
        incident_service.respond(**change, action=action, level=int(level) if level else None)

    return act_on_incident(post, incident_id, act)


@router.post("/incidents/{incident_id}/tasks")
def incident_add_task(
    incident_id: int, post: PostDep, form: dict[str, str] = form_fields(title=300, team=100, due_at=40)
) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        from yingji.incidents.schemas import TaskCreate

        title, due_at = form["title"], form["due_at"]
        required(ctx, title=title)
        due = _parse_day(due_at) if due_at else None
        if due_at and due is None:
            raise _field_error("due_at", ctx.t("error.datetime"))
        task_in = TaskCreate(title=title.strip(), team=form["team"], due_at=due)
        incident_service.create_task(session=session, scope=ctx.scope, incident_id=incident_id, task_in=task_in)

    return act_on_incident(post, incident_id, act)


@router.post("/incidents/{incident_id}/reports")
def incident_add_report(
    incident_id: int, post: PostDep, form: dict[str, str] = form_fields(**dict.fromkeys(REPORT_PARTS, 5000))
) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        from yingji.incidents.schemas import SituationReportIn

        if not any(form[part].strip() for part in REPORT_PARTS):
            raise _field_error("conditions", ctx.t("error.required"))
        report_in = SituationReportIn(**form)
        incident_service.create_report(session=session, scope=ctx.scope, incident_id=incident_id, report_in=report_in)

    return act_on_incident(post, incident_id, act)


@router.post("/incidents/{incident_id}/reports/{report_id}/status")
def incident_report_status(
    incident_id: int,
    report_id: int,
    post: PostDep,
    revision: Version,
    status: Choice,
) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        if status not in ("approved", "published"):
            raise _field_error("report", ctx.t("error.choose"))
        report = incident_service.get_report(session=session, scope=ctx.scope, report_id=report_id)
        if report.incident_id != incident_id:
            raise _field_error("report", ctx.t("error.not_found"))
        incident_service.set_report_status(
            session=session, scope=ctx.scope, report_id=report_id, revision=revision, status=status
        )

    return act_on_incident(post, incident_id, act)


def _field_error(field: str, message: str) -> DomainError:
    from yingji.errors import InvalidInput

    return InvalidInput(message, field=field)


# -- the map layer ------------------------------------------------------------------------------------


@router.get("/map/layers/incidents")
def incidents_layer(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Open incidents in the caller's jurisdiction in the compact point form of ``layers.py``: one
    ``[id, lon, lat, style]`` per incident (coordinates to 4 decimals, about 10 m), the style being the grade
    (most serious first, so a cluster takes its most serious member's colour); the card is read on a click."""
    ctx = page_ctx(request, session, settings)
    if ctx is None:
        return JSONResponse({"points": []}, status_code=401)
    style: dict[str | None, int] = {grade: i for i, grade in enumerate(GRADES)}
    rows = incident_service.map_points(session=session, scope=ctx.scope, limit=layers.INCIDENT_MAP_LIMIT + 1)
    points = [
        [incident_id, round(lon, 4), round(lat, 4), style.get(grade, len(GRADES))]
        for incident_id, grade, lon, lat in rows[: layers.INCIDENT_MAP_LIMIT]
    ]
    body = {
        "points": points,
        "styles": [GRADE_COLOURS[g] for g in [*GRADES, None]],
        "card": INCIDENT_CARD,
        # The newest INCIDENT_MAP_LIMIT only: the page says so rather than silently leaving the oldest out.
        "truncated": len(rows) > layers.INCIDENT_MAP_LIMIT,
    }
    return Response(orjson.dumps(body), media_type="application/json")


INCIDENT_CARD = "/map/layers/incidents/{id}"


@router.get("/map/layers/incidents/{incident_id}")
def incident_card(incident_id: int, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The card of a clicked incident on the map (the layer itself carries no text)."""
    ctx = page_ctx(request, session, settings)
    if ctx is None:
        return JSONResponse({}, status_code=401)
    try:
        incident = incident_service.get(session=session, scope=ctx.scope, incident_id=incident_id)
    except DomainError:
        return JSONResponse({}, status_code=404)
    t = ctx.t
    return JSONResponse(
        {
            "label": incident.title,
            "colour": GRADE_COLOURS.get(incident.grade, GRADE_COLOURS[None]),
            "href": f"/incidents/{incident.id}",
            "status": t(f"status.{incident.status}"),
            "grade": t(f"grade.{incident.grade}" if incident.grade else "grade.none"),
            "type": t(f"type.{incident.incident_type}"),
            "reported_at": clock.show(incident.reported_at, settings.timezone),
        }
    )


# -- statistics: web/stats_pages.py (calendar weeks, filters, xlsx export) ------------------------
