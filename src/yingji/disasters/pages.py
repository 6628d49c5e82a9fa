"""Disaster statistics pages: the events, an event's board (totals with charts, who has reported, escalations),
the township entry form (for a phone) and the review queue. Everything reads through the domain's services
with the caller's scope; forms post with the session's CSRF token; no inline script or style."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from yingji.api_common import SessionDep, SettingsDep
from yingji.disasters import progress, regime, review, service
from yingji.disasters.models import DisasterEscalation, DisasterReport
from yingji.disasters.officers import service as officers
from yingji.disasters.schemas import REVIEW_AT_ONCE, ReportIn, ReviewIn
from yingji.disasters.stabilised import service as stabilised
from yingji.errors import DomainError, InvalidInput
from yingji.geo import service as geo_service
from yingji.geo.codes import level_of
from yingji.web import charts
from yingji.web.forms import text_field
from yingji.web.pages import FormPost, PageCtx, PostDep, ViewerDep, check_id, form_action, render

router = APIRouter(include_in_schema=False)
REPORT_TYPES = ("initial", "follow_up", "verified")
CHART_FIELDS = ("affected", "deaths", "missing", "relocated")


def _forbidden(ctx: PageCtx) -> HTMLResponse:
    return render(ctx, "error.html", status_code=403, message=ctx.t("disaster.forbidden"))


def _not_found(ctx: PageCtx) -> HTMLResponse:
    return render(ctx, "error.html", status_code=404, message=ctx.t("error.not_found"))


def _event_page(ctx: PageCtx, permission: str, show: Callable[[], HTMLResponse]) -> Response:
    """A page of one event: the permission first (403), then the event as the caller may read it (else 404)."""
    if permission not in ctx.scope.permissions:
        return _forbidden(ctx)
    try:
        return show()
    except DomainError:
        return _not_found(ctx)


def _require(ctx: PageCtx, permission: str) -> None:
    """A form's action needs the permission (the refusal shown on the form)."""
    if permission not in ctx.scope.permissions:
        raise InvalidInput(ctx.t("disaster.forbidden"))


@router.get("/disasters", response_class=HTMLResponse)
def events_page(session: SessionDep, ctx: ViewerDep) -> Response:
    if service.READ not in ctx.scope.permissions:
        return _forbidden(ctx)
    rows = service.list_events(session=session, scope=ctx.scope)
    names = geo_service.names_of(session=session, codes=[e.division_code for e in rows])
    return render(ctx, "disaster_events.html", events=rows, names=names, nav="disasters")


def _townships(session: Any, ctx: PageCtx, area_code: str) -> list[Any]:
    area = geo_service.get(session=session, scope=ctx.scope, code=area_code)
    if area.level == "township":
        return [area] if ctx.scope.covers(area.code) else []
    return [
        d
        for d in geo_service.descendants(session=session, scope=ctx.scope, code=area.code, level="township")
        if ctx.scope.covers(d.code)
    ]


def _counties(session: Any, ctx: PageCtx, event: Any) -> list[Any]:
    """The counties of the event's area the caller covers (a county's or a township's event: its county)."""
    low, high = stabilised.event_counties(event.division_code)
    if level_of(event.division_code) in ("county", "township", "village"):
        codes = [low] if ctx.scope.covers(low) else []
        return [geo_service.get(session=session, scope=ctx.scope, code=c) for c in codes]
    return [
        d
        for d in geo_service.descendants(session=session, scope=ctx.scope, code=event.division_code, level="county")
        if ctx.scope.covers(d.code) and low <= d.code <= high
    ]


def _stabilised(session: Any, ctx: PageCtx, event: Any) -> dict[str, Any]:
    """The day stabilised of each county the caller covers (its own, else the event's) and when its townships'
    verified reports are due; and whether the caller may set the event-wide day."""
    own = stabilised.county_days(session=session, scope=ctx.scope, event_ids=[event.id]).get(event.id, {})
    rows = []
    for county in _counties(session, ctx, event):
        day = own.get(county.code, event.stabilised_on)
        due = stabilised.verified_due(event, day)
        rows.append({"code": county.code, "name": county.name, "day": day, "own": county.code in own, "due": due})
    county_user = stabilised.bureau_county(ctx.scope) is not None
    return {"rows": rows, "event_wide": ctx.scope.covers(event.division_code) and not county_user}


def show_event(ctx: PageCtx, session: Any, event_id: int, status_code: int = 200) -> HTMLResponse:
    """The event board: totals (with the relief response level), charts over time and by county, the day each
    county the caller covers stabilised (with a form to record it), and the progress of every township the
    caller covers."""
    event = service.get_event(session=session, scope=ctx.scope, event_id=event_id)
    totals, levels = service.event_totals(session=session, scope=ctx.scope, event_id=event.id)
    rows = service.list_reports(session=session, scope=ctx.scope, event_id=event.id)
    townships = _townships(session, ctx, event.division_code)
    escalated = set(
        session.scalars(
            select(DisasterEscalation.township_code).where(
                DisasterEscalation.event_id == event.id, ctx.scope.where_covered(DisasterEscalation.township_code)
            )
        )
    )
    board = progress.township_progress(
        [d.code for d in townships], [(r.township_code, r.report_type, r.status) for r in rows], escalated
    )
    t = ctx.t
    days, series = progress.totals_over_time(
        [(r.submitted_at, r.township_code, r.figures) for r in rows if r.status in review.COUNTED], CHART_FIELDS
    )
    labels = {f: t(f"disaster.ind.{f}") for f in CHART_FIELDS}
    over_time = (
        charts.stacked_bars(
            days,
            {"deaths": series["deaths"], "missing": series["missing"]},
            title=t("disaster.chart.time"),
            labels=labels,
        )
        if days
        else ""
    )
    codes = [c for c in totals if level_of(c) == "county"]
    names = geo_service.names_of(session=session, codes=[*totals, *[d.code for d in townships]])
    by_county = (
        charts.horizontal_bars(
            {c: float(totals[c].get("affected", 0)) for c in codes},
            title=t("disaster.chart.county"),
            unit=t("disaster.unit.person"),
            labels={c: names.get(c, c) for c in codes},
        )
        if codes
        else ""
    )
    reg = regime.default_regime()
    return render(
        ctx,
        "disaster_event.html",
        status_code=status_code,
        event=event,
        stabilised=_stabilised(session, ctx, event),
        totals=totals,
        levels=levels,
        names=names,
        indicators=[
            i
            for i in reg.indicators
            if i.code
            in (
                "affected",
                "deaths",
                "missing",
                "injured",
                "relocated",
                "needing_assistance",
                "houses_collapsed_households",
                "direct_loss_cny",
            )
        ],
        board=board,
        reported=sum(1 for b in board if b.initial in ("submitted", "accepted")),
        chart_time=over_time,
        chart_county=by_county,
        can_report=service.REPORT in ctx.scope.permissions,
        can_review=service.REVIEW in ctx.scope.permissions,
        nav="disasters",
    )


@router.get("/disasters/{disaster_event_id}", response_class=HTMLResponse)
def event_page(disaster_event_id: int, session: SessionDep, ctx: ViewerDep) -> Response:
    return _event_page(ctx, service.READ, lambda: show_event(ctx, session, disaster_event_id))


@router.post("/disasters/{disaster_event_id}/stabilised")
def stabilised_submit(
    disaster_event_id: int, post: PostDep, county_code: str = text_field(12), on: str = text_field(10)
) -> Response:
    """Record the day a county of the event stabilised (or, with no county, the event-wide day)."""

    def act(ctx: PageCtx, session: Any) -> None:
        _require(ctx, service.REPORT)
        try:
            day = dt.date.fromisoformat(on)
        except ValueError:
            raise InvalidInput(ctx.t("disaster.stabilised.bad_day"), field="on") from None
        if county_code:
            service.set_county_stabilised(
                session=session, scope=ctx.scope, event_id=disaster_event_id, county_code=county_code, on=day
            )
        else:
            service.set_stabilised(session=session, scope=ctx.scope, event_id=disaster_event_id, on=day)

    return form_action(
        post, act,
        lambda ctx, session, status: show_event(ctx, session, disaster_event_id, status),
        f"/disasters/{disaster_event_id}",
    )  # fmt: skip


def show_entry(
    ctx: PageCtx, session: Any, event_id: int, status_code: int = 200, report_type: str = "initial"
) -> HTMLResponse:
    event = service.get_event(session=session, scope=ctx.scope, event_id=event_id)
    townships = _townships(session, ctx, event.division_code)
    reg = regime.default_regime()
    kind = report_type if report_type in REPORT_TYPES else "initial"
    return render(
        ctx,
        "disaster_entry.html",
        status_code=status_code,
        event=event,
        townships=townships,
        report_type=kind,
        report_types=REPORT_TYPES,
        indicators=[i for i in reg.indicators if kind in i.reports],
        nav="disasters",
    )


@router.get("/disasters/{disaster_event_id}/report", response_class=HTMLResponse)
def entry_page(disaster_event_id: int, session: SessionDep, ctx: ViewerDep, type: str = "initial") -> Response:
    """The township information officer's form: one number field per indicator the report type carries."""
    return _event_page(ctx, service.REPORT, lambda: show_entry(ctx, session, disaster_event_id, report_type=type))


@router.post("/disasters/{disaster_event_id}/report")
async def entry_submit(disaster_event_id: int, request: Request, settings: SettingsDep) -> Response:
    form = await request.form(max_fields=100, max_files=0)
    values = {k: str(v)[:4000] for k, v in form.items() if isinstance(v, str)}
    report_type = values.get("report_type", "initial")
    reg = regime.default_regime()

    def act(ctx: PageCtx, session: Any) -> None:
        _require(ctx, service.REPORT)
        if report_type not in REPORT_TYPES:
            raise InvalidInput(ctx.t("error.choose"), field="report_type")
        figures = {
            i.code: values[f"f_{i.code}"].strip()
            for i in reg.indicators
            if report_type in i.reports and values.get(f"f_{i.code}", "").strip()
        }
        if not figures:
            raise InvalidInput(ctx.t("disaster.error.no_figures"), field="figures")
        try:
            report_in = ReportIn.model_validate(
                {"township_code": values.get("township_code", ""), "report_type": report_type, "figures": figures,
                 "explanation": values.get("explanation", "")}
            )  # fmt: skip
        except ValueError:
            raise InvalidInput(ctx.t("error.choose"), field="township_code") from None
        service.submit_report(session=session, scope=ctx.scope, event_id=disaster_event_id, report_in=report_in)

    return form_action(
        FormPost(request, settings, values.get("csrf_token", "")), act,
        lambda ctx, session, status: show_entry(ctx, session, disaster_event_id, status, report_type),
        f"/disasters/{disaster_event_id}",
    )  # fmt: skip


# How many of a queue's "accept selected" were accepted, and how many had changed meanwhile (shown once).
Selected = Annotated[int | None, Query(ge=0, le=REVIEW_AT_ONCE)]


def show_queue(
    ctx: PageCtx, session: Any, event_id: int, status_code: int = 200, done: dict[str, int] | None = None
) -> HTMLResponse:
    """Reports waiting for the caller's level (the national level sees every stage)."""
    event = service.get_event(session=session, scope=ctx.scope, event_id=event_id)
    waiting = [
        r
        for r in service.list_reports(session=session, scope=ctx.scope, event_id=event.id)
        if review.may_review(r.status, r.township_code, ctx.scope.division_code, national=not ctx.scope.prefix)
    ]
    previous: dict[int, dict[str, int]] = {}
    for r in waiting:
        if r.corrects_id:
            earlier = session.get(DisasterReport, r.corrects_id)
            if earlier is not None:
                previous[r.id] = earlier.figures
    names = geo_service.names_of(session=session, codes=[r.township_code for r in waiting])
    contacts = {o.township_code: o for o in reversed(officers.list_officers(session=session, scope=ctx.scope))}
    return render(
        ctx, "disaster_review.html", status_code=status_code, event=event, waiting=waiting, previous=previous,
        names=names, contacts=contacts, reg=regime.default_regime(), nav="disasters", done=done,
    )  # fmt: skip


@router.get("/disasters/{disaster_event_id}/review", response_class=HTMLResponse)
def queue_page(
    disaster_event_id: int, session: SessionDep, ctx: ViewerDep, accepted: Selected = None, left: Selected = None
) -> Response:
    """The queue; after "accept selected", how many were accepted and how many had changed meanwhile."""
    done = None if accepted is None else {"accepted": accepted, "left": left or 0}
    return _event_page(ctx, service.REVIEW, lambda: show_queue(ctx, session, disaster_event_id, done=done))


@router.post("/disasters/{disaster_event_id}/accept-selected")
def accept_selected(
    disaster_event_id: int, post: PostDep, report_id: Annotated[list[int] | None, Form()] = None
) -> Response:
    """The queue's "accept selected": each ticked report accepted as its own button would accept it. One that
    another reviewer took first stays as it is (the queue no longer lists it, or lists it at its new stage)."""

    outcome = {"accepted": 0, "left": 0}

    def act(ctx: PageCtx, session: Any) -> None:
        event = service.get_event(session=session, scope=ctx.scope, event_id=disaster_event_id)
        ids = list(dict.fromkeys(report_id or ()))
        if not ids or len(ids) > REVIEW_AT_ONCE:
            raise InvalidInput(ctx.t("disaster.error.select"), field="selected")
        for number in ids:
            check_id(number)
        answers = service.review_reports(session=session, scope=ctx.scope, report_ids=ids,
                                         review_in=ReviewIn(action="accept"), event_id=event.id)  # fmt: skip
        outcome["accepted"] = sum(not isinstance(a, DomainError) for a in answers)
        outcome["left"] = len(answers) - outcome["accepted"]

    return form_action(
        post, act,
        lambda ctx, session, status: show_queue(ctx, session, disaster_event_id, status),
        lambda: f"/disasters/{disaster_event_id}/review?accepted={outcome['accepted']}&left={outcome['left']}",
    )  # fmt: skip


@router.post("/disasters/{disaster_event_id}/review/{report_id}")
def review_submit(
    disaster_event_id: int, report_id: int, post: PostDep, action: str = text_field(10), reason: str = text_field(2000)
) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        if action not in ("accept", "return"):
            raise InvalidInput(ctx.t("error.choose"), field=f"review-{report_id}")
        report = service.get_report(session=session, scope=ctx.scope, report_id=report_id)
        if report.event_id != disaster_event_id:
            raise InvalidInput(ctx.t("error.not_found"), field=f"review-{report_id}")
        if action == "return" and not reason.strip():
            raise InvalidInput(ctx.t("disaster.error.reason"), field=f"review-{report_id}")
        try:
            service.review_report(
                session=session, scope=ctx.scope, report_id=report_id,
                review_in=ReviewIn(action=action, reason=reason.strip()),  # type: ignore[arg-type]
            )  # fmt: skip
        except DomainError as exc:
            exc.extra["field"] = f"review-{report_id}"
            raise

    return form_action(
        post, act,
        lambda ctx, session, status: show_queue(ctx, session, disaster_event_id, status),
        f"/disasters/{disaster_event_id}/review",
    )  # fmt: skip
