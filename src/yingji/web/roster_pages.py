"""The duty roster page (值班表与交接班): a week's shifts of the desk, planned from the page; the shift on
duty hands over with a note and the matters open at the desk, and the next shift acknowledges them (接班确认).
Weeks are calendar weeks in local time (Monday 00:00 to Sunday 24:00, ``YINGJI_TIMEZONE``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from yingji.api_common import SessionDep
from yingji.errors import InvalidInput
from yingji.incidents.handover import service as handover_service
from yingji.incidents.schemas import ShiftIn
from yingji.web import clock, people
from yingji.web.forms import required, text_field
from yingji.web.pages import FormPost, PageCtx, PostDep, ViewerDep, form_action, now_utc, render, shown_again

router = APIRouter(include_in_schema=False)
OFFICER_SEPARATORS = ("、", "，", ",", ";", "；", "\n")


def week_start(day: dt.date) -> dt.date:
    """The Monday of the calendar week holding ``day``."""
    return day - dt.timedelta(days=day.weekday())


def _week_of(text: str | None, zone_name: str) -> dt.date:
    today = now_utc().astimezone(clock.zone(zone_name)).date()
    try:
        day = dt.date.fromisoformat(text) if text else today
    except ValueError:
        day = today
    return week_start(day)


def _officers(text: str) -> list[str]:
    names = [text]
    for sep in OFFICER_SEPARATORS:
        names = [part for name in names for part in name.split(sep)]
    return [n.strip() for n in names if n.strip()]


def show_roster(ctx: PageCtx, session: Any, week: str | None = None, status_code: int = 200) -> HTMLResponse:
    settings = ctx.request.app.state.settings
    zone_name = settings.timezone
    monday = _week_of(week, zone_name)
    start = dt.datetime.combine(monday, dt.time(), tzinfo=clock.zone(zone_name))
    end = start + dt.timedelta(days=7)
    now = now_utc()
    shifts = handover_service.roster(session=session, scope=ctx.scope, start=start, end=end)
    handovers = handover_service.handovers_of(session=session, scope=ctx.scope, shift_ids=[s.id for s in shifts])
    can_write = "incidents:write" in ctx.scope.permissions
    rows = []
    for s in shifts:
        h = handovers.get(s.id)
        if h is not None:
            state = "acknowledged" if h.acknowledged_at else "handed_over"
        else:
            state = "upcoming" if s.starts_at > now else ("on_duty" if s.ends_at > now else "ended")
        rows.append(
            {
                "shift": s,
                "handover": h,
                "state": state,
                "can_hand_over": can_write and h is None and s.starts_at <= now and ctx.scope.covers(s.division_code),
                "can_acknowledge": can_write
                and h is not None
                and h.acknowledged_at is None
                and s.handed_over_by != ctx.scope.actor
                and ctx.scope.covers(s.division_code),
            }
        )
    names = people.display_names(
        session, [s.handed_over_by for s in shifts] + [h.acknowledged_by for h in handovers.values()]
    )
    matters = handover_service.open_matters(session=session, scope=ctx.scope, division_code=ctx.scope.division_code)
    default_start = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    return render(
        ctx,
        "roster.html",
        status_code=status_code,
        rows=rows,
        matters=matters,
        names=names,
        can_write=can_write,
        monday=monday,
        sunday=monday + dt.timedelta(days=6),
        previous_week=(monday - dt.timedelta(days=7)).isoformat(),
        next_week=(monday + dt.timedelta(days=7)).isoformat(),
        default_start=clock.for_input(default_start, zone_name),
        default_end=clock.for_input(default_start + dt.timedelta(hours=24), zone_name),
        nav="duty",
    )


@router.get("/duty/roster", response_class=HTMLResponse)
def roster_page(session: SessionDep, ctx: ViewerDep, week: str | None = None) -> Response:
    return show_roster(ctx, session, week=week[:10] if week else None)


def _act(post: FormPost, action: Any, week: str = "") -> Response:
    target = f"/duty/roster?week={week}" if week else "/duty/roster"
    return form_action(post, action, shown_again(show_roster, week=week or None), target)


@router.post("/duty/roster/shifts")
def plan_shift(
    post: PostDep,
    leader: str = text_field(100),
    officers: str = text_field(2000),
    starts_at: str = text_field(40),
    ends_at: str = text_field(40),
) -> Response:
    start = clock.read(starts_at, post.settings.timezone)
    end = clock.read(ends_at, post.settings.timezone)
    week = week_start(start.astimezone(clock.zone(post.settings.timezone)).date()).isoformat() if start else ""

    def act(ctx: PageCtx, session: Any) -> None:
        required(ctx, leader=leader)
        if start is None:
            raise InvalidInput(ctx.t("error.datetime"), field="starts_at")
        if end is None:
            raise InvalidInput(ctx.t("error.datetime"), field="ends_at")
        if end <= start:
            raise InvalidInput(ctx.t("roster.error.order"), field="ends_at")
        names = _officers(officers)
        if len(names) > 20 or any(len(n) > 100 for n in names):
            raise InvalidInput(ctx.t("roster.error.officers"), field="officers")
        try:
            shift_in = ShiftIn(
                division_code=ctx.scope.division_code,
                starts_at=start,
                ends_at=end,
                leader=leader.strip(),
                officers=names,
            )
        except ValidationError as exc:
            raise InvalidInput(ctx.t("roster.error.officers"), field="officers") from exc
        handover_service.plan_shift(session=session, scope=ctx.scope, shift_in=shift_in)

    return _act(post, act, week)


@router.post("/duty/roster/shifts/{shift_id}/handover")
def hand_over(shift_id: int, post: PostDep, note: str = text_field(10_000), week: str = text_field(10)) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        required(ctx, **{f"note-{shift_id}": note})
        shift = handover_service.get_shift(session=session, scope=ctx.scope, shift_id=shift_id)
        if shift.handed_over_at is not None:
            raise InvalidInput(ctx.t("roster.error.handed_over"), field=f"note-{shift_id}")
        if shift.starts_at > now_utc():
            raise InvalidInput(ctx.t("roster.error.not_begun"), field=f"note-{shift_id}")
        handover_service.hand_over(session=session, scope=ctx.scope, shift_id=shift_id, note=note.strip())

    return _act(post, act, _week_param(week))


@router.post("/duty/roster/shifts/{shift_id}/acknowledge")
def acknowledge(shift_id: int, post: PostDep, week: str = text_field(10)) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        shift = handover_service.get_shift(session=session, scope=ctx.scope, shift_id=shift_id)
        if shift.handed_over_at is None:
            raise InvalidInput(ctx.t("roster.error.not_handed_over"), field=f"ack-{shift_id}")
        if shift.handed_over_by == ctx.scope.actor:
            raise InvalidInput(ctx.t("roster.error.same_person"), field=f"ack-{shift_id}")
        if handover_service.get_handover(session=session, scope=ctx.scope, shift_id=shift_id).acknowledged_at:
            raise InvalidInput(ctx.t("roster.error.acknowledged"), field=f"ack-{shift_id}")
        handover_service.acknowledge(session=session, scope=ctx.scope, shift_id=shift_id)

    return _act(post, act, _week_param(week))


def _week_param(text: str) -> str:
    try:
        return week_start(dt.date.fromisoformat(text)).isoformat() if text else ""
    except ValueError:
        return ""
