"""Tasks of an incident: assignment to an organisation, acknowledgement, progress, completion."""

from __future__ import annotations

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.errors import Conflict
from yingji.incidents.models import (
    Organisation,
    Task,
)
from yingji.incidents.records.service import _timeline, get, get_child, get_for_change
from yingji.incidents.schemas import (
    TaskCreate,
    TaskUpdate,
)

_TASK_MOVES: dict[str, frozenset[str]] = {
    "open": frozenset({"acknowledged", "in_progress", "done", "cancelled"}),
    "acknowledged": frozenset({"in_progress", "done", "cancelled"}),
    "in_progress": frozenset({"done", "cancelled"}),
    "done": frozenset(),
    "cancelled": frozenset(),
}


def _organisation_readable(session: Session, scope: Scope, organisation_id: int) -> Organisation:
    organisation = access.get_readable(
        session=session, scope=scope, model=Organisation, row_id=organisation_id, what="organisation"
    )
    return organisation


def create_task(*, session: Session, scope: Scope, incident_id: int, task_in: TaskCreate) -> Task:
    incident = get_for_change(session=session, scope=scope, incident_id=incident_id)
    organisation = _organisation_readable(session, scope, task_in.organisation_id) if task_in.organisation_id else None
    now = utcnow()
    task = Task(
        incident_id=incident.id,
        title=task_in.title,
        description=task_in.description,
        organisation_id=organisation.id if organisation else None,
        organisation_name=organisation.name if organisation else "",
        team=task_in.team,
        assignee_user=task_in.assignee_user,
        due_at=task_in.due_at,
        status="open",
        feedback="",
        created_by=scope.actor,
        created_at=now,
        updated_at=now,
    )
    session.add(task)
    session.flush()
    data = {"task_id": task.id, "title": task.title}
    _timeline(session, scope, incident, "task", f"task assigned: {task.title}", data)
    audit.created(session, scope, task, entity="incident_task", within=incident)
    return task


def tasks_of(*, session: Session, scope: Scope, incident_id: int) -> list[Task]:
    get(session=session, scope=scope, incident_id=incident_id)
    return list(session.scalars(select(Task).where(Task.incident_id == incident_id).order_by(Task.id)))


def get_task(*, session: Session, scope: Scope, task_id: int) -> Task:
    return get_child(session=session, scope=scope, model=Task, row_id=task_id, what="task")


def update_task(*, session: Session, scope: Scope, task_id: int, change: TaskUpdate) -> Task:
    task = get_task(session=session, scope=scope, task_id=task_id)
    incident = get_for_change(session=session, scope=scope, incident_id=task.incident_id)
    before = audit.snapshot(task)
    now = utcnow()
    if change.status is not None and change.status != task.status:
        if change.status not in _TASK_MOVES[task.status]:
            raise Conflict(f"a {task.status} task cannot become {change.status}", current=task.status)
        if task.acknowledged_at is None and change.status != "cancelled":
            task.acknowledged_at, task.acknowledged_by = now, scope.actor
        if change.status == "done":
            task.completed_at = now
        _timeline(
            session,
            scope,
            incident,
            "task",
            f"task {task.title}: {task.status} → {change.status}",
            {"task_id": task.id, "title": task.title, "from": task.status, "to": change.status},
        )
        task.status = change.status
    if change.feedback is not None:
        task.feedback = change.feedback
        _timeline(
            session,
            scope,
            incident,
            "task.feedback",
            f"feedback on {task.title}: {change.feedback}",
            {"task_id": task.id, "title": task.title, "feedback": change.feedback},
        )
    if "due_at" in change.model_fields_set:
        task.due_at = change.due_at
    task.updated_at = now
    audit.changed(session, scope, task, before, entity="incident_task", within=incident)
    return task


# Task statuses a task can still leave: not done, not cancelled.
UNFINISHED_TASK = tuple(status for status, moves in _TASK_MOVES.items() if moves)
