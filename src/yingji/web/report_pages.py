"""上报: reporting an incident from the pages — the form at ``/incidents/new`` (type, place by a division
picked by name or a click on the map, time, figures, reporter, description), and a duty-desk item turned
into an incident in one action. Errors come back on the form, next to their field; the form keeps what
was typed. Mounted before ``incident_pages`` so that ``/incidents/new`` is this page, not an incident id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from yingji.api_common import SessionDep, SettingsDep
from yingji.errors import DomainError, InvalidInput
from yingji.geo import service as division_service
from yingji.incidents import service as incident_service
from yingji.incidents.incident_types import IncidentType
from yingji.incidents.schemas import IncidentCreate
from yingji.web import clock, pages, pickers
from yingji.web.forms import form_fields, text_field
from yingji.web.pages import PageCtx, PostDep, ViewerDep, form_action, now_utc, render

router = APIRouter(include_in_schema=False)
# The figures a first report usually has (people as whole numbers; the loss typed in 万元).
PEOPLE_FIGURES = ("deaths", "missing", "injured", "relocated", "collapsed_rooms")
LOSS_FIELD = "direct_loss_wan"


@dataclass
class ReportForm:
    """What the form holds (as typed), so that an error shows it again unchanged."""

    title: str = ""
    incident_type: str = ""
    division: str = ""
    lon: str = ""
    lat: str = ""
    occurred_at: str = ""
    reporter: str = ""
    description: str = ""
    exercise: bool = False
    item: str = ""
    figures: dict[str, str] | None = None


def _zone(ctx: PageCtx) -> str:
    return str(ctx.request.app.state.settings.timezone)


def _divisions(ctx: PageCtx, session: Any) -> list[dict[str, Any]]:
    return pickers.divisions(ctx, session)


def _show(ctx: PageCtx, session: Any, form: ReportForm, status_code: int = 200) -> HTMLResponse:
    item = None
    if form.item:
        item = incident_service.get_item(session=session, scope=ctx.scope, item_id=int(form.item))
    return render(
        ctx,
        "report.html",
        status_code=status_code,
        form=form,
        figures=form.figures or {},
        people_figures=PEOPLE_FIGURES,
        loss_field=LOSS_FIELD,
        types=[it.value for it in IncidentType],
        divisions=_divisions(ctx, session),
        item=item,
        nav="incidents",
    )


@router.get("/incidents/new", response_class=HTMLResponse)
def report_page(
    request: Request, session: SessionDep, ctx: ViewerDep, settings: SettingsDep, item: int | None = None
) -> Response:
    form = ReportForm(occurred_at=clock.for_input(now_utc(), settings.timezone))
    if item is not None:
        try:
            duty_item = incident_service.get_item(session=session, scope=ctx.scope, item_id=item)
        except DomainError:
            return pages.not_found(ctx)
        form = _from_item(ctx, duty_item)
    return _show(ctx, session, form)


def _from_item(ctx: PageCtx, item: Any) -> ReportForm:
    """The form filled from received information: its summary, place, time and caller."""
    return ReportForm(
        title=item.summary[:200],
        division=item.division_code,
        lon="" if item.lon is None else str(item.lon),
        lat="" if item.lat is None else str(item.lat),
        occurred_at=clock.for_input(item.received_at, _zone(ctx)),
        reporter=item.caller,
        description=item.summary,
        item=str(item.id),
    )


def _number(ctx: PageCtx, name: str, text: str, whole: bool) -> float | int | None:
    text = text.strip().replace(",", "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(ctx.t("error.number"), field=name) from None
    if value < 0 or value != value or value > 1e12 or (whole and value != int(value)):
        raise InvalidInput(ctx.t("new_incident.error.whole" if whole else "error.range"), field=name)
    return int(value) if whole else value


def _place(ctx: PageCtx, session: Any, form: ReportForm) -> tuple[str, float, float]:
    """The division and position: a clicked point (its township found when no division was picked), or
    the picked division's own position."""
    point: tuple[float, float] | None = None
    if form.lon.strip() or form.lat.strip():
        try:
            point = (float(form.lon), float(form.lat))
        except ValueError:
            raise InvalidInput(ctx.t("new_incident.error.point"), field="division") from None
    code = form.division.strip()
    if not code and point is not None:
        found = division_service.locate(session=session, scope=ctx.scope, lons=[point[0]], lats=[point[1]])[0]
        if found is None:
            found = division_service.locate(
                session=session, scope=ctx.scope, lons=[point[0]], lats=[point[1]], level="county"
            )[0]
        if found is None:
            raise InvalidInput(ctx.t("new_incident.error.outside"), field="division")
        code = found
    if not code:
        raise InvalidInput(ctx.t("new_incident.error.place"), field="division")
    try:
        division = division_service.get(session=session, scope=ctx.scope, code=code)
    except DomainError:
        raise InvalidInput(ctx.t("new_incident.error.outside"), field="division") from None
    if point is None:
        if division.lon is None or division.lat is None:
            raise InvalidInput(ctx.t("new_incident.error.no_position"), field="division")
        point = (division.lon, division.lat)
    return division.code, point[0], point[1]


def _incident_in(ctx: PageCtx, session: Any, form: ReportForm) -> IncidentCreate:
    if not form.title.strip():
        raise InvalidInput(ctx.t("error.required"), field="title")
    if form.incident_type not in {it.value for it in IncidentType}:
        raise InvalidInput(ctx.t("error.choose"), field="incident_type")
    occurred = clock.read(form.occurred_at, _zone(ctx))
    if occurred is None:
        raise InvalidInput(ctx.t("error.datetime"), field="occurred_at")
    if occurred > now_utc():
        raise InvalidInput(ctx.t("new_incident.error.future"), field="occurred_at")
    code, lon, lat = _place(ctx, session, form)
    typed = form.figures or {}
    figures: dict[str, Any] = {name: _number(ctx, name, typed.get(name, ""), True) for name in PEOPLE_FIGURES}
    loss = _number(ctx, LOSS_FIELD, typed.get(LOSS_FIELD, ""), False)
    figures["direct_loss_cny"] = None if loss is None else round(float(loss) * 10_000, 2)
    return pages.validated(
        IncidentCreate,
        {
            "title": form.title.strip(),
            "incident_type": form.incident_type,
            "divisions": [code],
            "lon": lon,
            "lat": lat,
            "description": form.description.strip(),
            "occurred_at": occurred,
            "exercise": form.exercise,
            "figures": {k: v for k, v in figures.items() if v is not None},
            "figures_source": ctx.t("new_incident.source"),
        },
        ctx.t("new_incident.error.invalid"),
        ("title", "description", "figures"),
    )


@router.post("/incidents/new")
def report_submit(
    post: PostDep,
    typed: dict[str, str] = form_fields(
        title=200,
        incident_type=40,
        division=12,
        lon=30,
        lat=30,
        occurred_at=40,
        reporter=200,
        description=10_000,
        exercise=5,
        item=Form("", max_length=12, pattern=r"^\d*$"),
        **dict.fromkeys(PEOPLE_FIGURES, 20),
        **{LOSS_FIELD: 20},
    ),
) -> Response:
    figures = {name: typed.pop(name) for name in (*PEOPLE_FIGURES, LOSS_FIELD)}
    exercise, reporter = bool(typed.pop("exercise")), typed.pop("reporter").strip()
    form = ReportForm(**typed, reporter=reporter, exercise=exercise, figures=figures)
    made: list[int] = []

    def act(ctx: PageCtx, session: Any) -> None:
        made.append(_report(ctx, session, form))

    return form_action(post, act, pages.shown_again(_show, form), lambda: f"/incidents/{made[0]}")


def _report(ctx: PageCtx, session: Any, form: ReportForm) -> int:
    """Create the incident (from the duty item when the form came from one); the reporter goes on the
    timeline. Returns the new incident's id."""
    incident_in = _incident_in(ctx, session, form)
    if form.item:
        incident = incident_service.item_to_incident(
            session=session, scope=ctx.scope, item_id=int(form.item), incident_in=incident_in
        )
    else:
        incident = incident_service.create(session=session, scope=ctx.scope, incident_in=incident_in)
    if form.reporter:
        incident_service.add_timeline_entry(
            session=session,
            scope=ctx.scope,
            incident_id=incident.id,
            kind="reporter",
            text=ctx.t("new_incident.reporter_entry", reporter=form.reporter),
            data={"reporter": form.reporter},
        )
    return incident.id


@router.post("/duty/items/{item_id}/incident")
def duty_item_report(item_id: int, post: PostDep, incident_type: str = text_field(40)) -> Response:
    """One action on the duty desk: the received information becomes an incident of the chosen type, at its
    own place (or its division's) and time, reported by its caller."""
    from yingji.web.duty_pages import show_desk

    made: list[int] = []

    def act(ctx: PageCtx, session: Any) -> None:
        item = incident_service.get_item(session=session, scope=ctx.scope, item_id=item_id)
        form = _from_item(ctx, item)
        form.incident_type = incident_type
        if not form.title.strip():
            form.title = ctx.t("new_incident.untitled")
        made.append(_report(ctx, session, form))

    return form_action(post, act, show_desk, lambda: f"/incidents/{made[0]}")
