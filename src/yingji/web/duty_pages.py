"""The duty desk (值班值守) page: today's roster, received information with escalation timers, the log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from yingji.api_common import SessionDep
from yingji.incidents import service as incident_service
from yingji.incidents.incident_types import IncidentType
from yingji.web import people
from yingji.web.forms import required, text_field
from yingji.web.pages import FormPost, PageCtx, PostDep, ViewerDep, form_action, now_utc, render, shown_again

router = APIRouter(include_in_schema=False)


def show_desk(ctx: PageCtx, session: Any, status_code: int = 200) -> HTMLResponse:
    """The desk page (also shown again, with the error, when a form on it fails)."""
    scope, now = ctx.scope, now_utc()
    shifts, _ = incident_service.list_shifts(session=session, scope=scope, at=now, limit=20)
    items, _ = incident_service.list_items(session=session, scope=scope, status="open", limit=100)
    timers = {item.id: [(e, e.status(now).value) for e in incident_service.escalations_of(item, now)] for item in items}
    log, _ = incident_service.list_log(session=session, scope=scope, limit=50)
    return render(
        ctx,
        "duty.html",
        status_code=status_code,
        shifts=shifts,
        items=items,
        timers=timers,
        log=log,
        names=people.display_names(session, [entry.actor for entry in log]),
        can_write="incidents:write" in scope.permissions,
        types=[it.value for it in IncidentType],
        nav="duty",
    )


@router.get("/duty", response_class=HTMLResponse)
def duty_page(session: SessionDep, ctx: ViewerDep) -> Response:
    return show_desk(ctx, session)


def _act(post: FormPost, action: Any) -> Response:
    return form_action(post, action, shown_again(show_desk), "/duty")


@router.post("/duty/log")
def duty_log_add(post: PostDep, text: str = text_field(10_000)) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        from yingji.incidents.schemas import DutyLogIn

        required(ctx, text=text)
        incident_service.add_log_entry(
            session=session,
            scope=ctx.scope,
            entry_in=DutyLogIn(division_code=ctx.scope.division_code, text=text.strip()),
        )

    return _act(post, act)


@router.post("/duty/items")
def duty_item_receive(
    post: PostDep,
    channel: str = text_field(16, "phone"),
    caller: str = text_field(200),
    summary: str = text_field(10_000),
) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        from yingji.errors import InvalidInput
        from yingji.incidents.schemas import DutyItemIn

        required(ctx, summary=summary)
        if channel not in ("phone", "fax", "system", "other"):
            raise InvalidInput(ctx.t("error.choose"), field="channel")
        incident_service.receive(
            session=session,
            scope=ctx.scope,
            item_in=DutyItemIn(
                division_code=ctx.scope.division_code, channel=channel, caller=caller, summary=summary.strip()
            ),
        )

    return _act(post, act)


@router.post("/duty/items/{item_id}/action")
def duty_item_action(
    item_id: int, post: PostDep, action: Annotated[str, Form(max_length=32, pattern=r"^[a-z_]+$")]
) -> Response:
    def act(ctx: PageCtx, session: Any) -> None:
        incident_service.record_duty_action(session=session, scope=ctx.scope, item_id=item_id, action=action)

    return _act(post, act)
