"""Acting on an incident's tasks and reporting deadlines from its page: a task is signed for (签收), taken in
hand (处置中) or finished (完成), with feedback; a report the incident owes is marked as made (已报送), at
a time given in local time or now."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from yingji.errors import InvalidInput
from yingji.incidents import service as incident_service
from yingji.incidents.schemas import TaskUpdate
from yingji.web import clock
from yingji.web.forms import text_field
from yingji.web.pages import PageCtx, PostDep, now_utc

router = APIRouter(include_in_schema=False)
TASK_ACTIONS = ("acknowledged", "in_progress", "done")  # 签收 / 处置中 / 完成
# The moves a page button offers from each status (the service's own rules decide).
NEXT_ACTIONS = {
    "open": ("acknowledged", "in_progress", "done"),
    "acknowledged": ("in_progress", "done"),
    "in_progress": ("done",),
}


@router.post("/incidents/{incident_id}/tasks/{task_id}/status")
def task_status(
    incident_id: int, task_id: int, post: PostDep, status: str = text_field(20), feedback: str = text_field(2000)
) -> Response:
    from yingji.web.incident_pages import act_on_incident

    def act(ctx: PageCtx, session: Any) -> None:
        if status not in TASK_ACTIONS:
            raise InvalidInput(ctx.t("error.choose"), field="task")
        task = incident_service.get_task(session=session, scope=ctx.scope, task_id=task_id)
        if task.incident_id != incident_id:
            raise InvalidInput(ctx.t("error.not_found"), field="task")
        if status not in NEXT_ACTIONS.get(task.status, ()):
            raise InvalidInput(ctx.t("tasks.error.moved", status=ctx.t(f"task.{task.status}")), field="task")
        incident_service.update_task(
            session=session,
            scope=ctx.scope,
            task_id=task_id,
            change=TaskUpdate.model_validate({"status": status, "feedback": feedback.strip() or None}),
        )

    return act_on_incident(post, incident_id, act)


@router.post("/incidents/{incident_id}/deadlines")
def deadline_reported(
    incident_id: int, post: PostDep, key: str = text_field(100), made_at: str = text_field(40)
) -> Response:
    from yingji.web.incident_pages import act_on_incident

    def act(ctx: PageCtx, session: Any) -> None:
        when = clock.read(made_at, post.settings.timezone) if made_at.strip() else None
        if made_at.strip() and when is None:
            raise InvalidInput(ctx.t("error.datetime"), field="deadline")
        if when is not None and when > now_utc():
            raise InvalidInput(ctx.t("new_incident.error.future"), field="deadline")
        due = incident_service.due_reports(session=session, scope=ctx.scope, incident_id=incident_id, now=now_utc())
        owed = {d.key: d for d in due}
        if key not in owed or owed[key].is_window:
            raise InvalidInput(ctx.t("error.choose"), field="deadline")
        if owed[key].done_at is not None:
            raise InvalidInput(ctx.t("deadlines.error.done"), field="deadline")
        incident_service.record_report_made(
            session=session, scope=ctx.scope, incident_id=incident_id, key=key, made_at=when
        )

    return act_on_incident(post, incident_id, act)
