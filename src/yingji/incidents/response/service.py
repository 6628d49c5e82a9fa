"""Status moves and response levels: activating, escalating, de-escalating and ending a response, the plan's
tasks it creates, and the record of each action."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.errors import Conflict, InvalidInput
from yingji.geo import service as division_service
from yingji.incidents import lifecycle
from yingji.incidents.lifecycle import IncidentStatus
from yingji.incidents.models import (
    Incident,
    Organisation,
    ResponseAction,
    Task,
)
from yingji.incidents.records.service import _claim, _timeline, get, get_for_change
from yingji.incidents.response_plans import service as response_plans

_STATUS_TIME = {
    IncidentStatus.VERIFIED: "verified_at",
    IncidentStatus.RESPONDING: "response_at",
    IncidentStatus.RECOVERING: "recovering_at",
    IncidentStatus.CLOSED: "closed_at",
}


def _move(
    session: Session, scope: Scope, incident: Incident, target: IncidentStatus, reason: str, at: dt.datetime
) -> None:
    source = lifecycle.parse_status(incident.status)
    step = lifecycle.transition(source, target, reason=reason)
    incident.status = target.value
    column = _STATUS_TIME[target]
    if getattr(incident, column) is None or target is IncidentStatus.CLOSED:
        setattr(incident, column, at)
    if reason:
        incident.status_reason = reason
    text = f"status {source.value} → {target.value}: {step.meaning}" + (f" ({reason})" if reason else "")
    _timeline(session, scope, incident, "status", text, {"from": source.value, "to": target.value}, at)


def change_status(
    *,
    session: Session,
    scope: Scope,
    incident_id: int,
    version: int,
    target: IncidentStatus,
    reason: str = "",
    at: dt.datetime | None = None,
) -> Incident:
    incident = get_for_change(session=session, scope=scope, incident_id=incident_id)
    lifecycle.transition(lifecycle.parse_status(incident.status), target, reason=reason)  # refuse before claiming
    if target is IncidentStatus.RESPONDING and incident.response_level is None:
        raise lifecycle.InvalidTransition("activate a response level to start responding", current=incident.status)
    _claim(session, incident, version)
    before = audit.snapshot(incident)
    when = at or utcnow()
    if when < incident.reported_at:
        raise InvalidInput("the time of a status change must not be before the report", field="at")
    if target is IncidentStatus.RECOVERING and incident.response_level is not None:
        _record_response(session, scope, incident, "end", None, reason or "response ended", None)
        incident.response_level = None
    _move(session, scope, incident, target, reason, when)
    audit.changed(session, scope, incident, before, entity="incident", action="status")
    return incident


def _record_response(
    session: Session,
    scope: Scope,
    incident: Incident,
    action: str,
    level: int | None,
    reason: str,
    applied: response_plans.AppliedPlan | None,
) -> ResponseAction:
    row = ResponseAction(
        incident_id=incident.id,
        action=action,
        level=level,
        previous_level=incident.response_level,
        reason=reason,
        plan_id=applied.plan.id if applied else None,
        response_plan_id=applied.response_plan_id if applied else None,
        plan_division_code=applied.division_code if applied else None,
        actor=scope.actor,
        at=utcnow(),
    )
    session.add(row)
    words = {
        "recommend": "response level recommended",
        "activate": "response activated",
        "escalate": "response escalated",
        "de_escalate": "response de-escalated",
        "end": "response ended",
    }
    text = f"{words[action]}" + (f": level {level}" if level else "") + (f" ({reason})" if reason else "")
    _timeline(
        session, scope, incident, f"response.{action}", text, {"level": level, "previous": incident.response_level}
    )
    return row


def _organisation_named(session: Session, incident: Incident, name: str) -> Organisation | None:
    """The directory entry of that exact name in one of the incident's divisions or their ancestors."""
    codes: set[str] = set()
    for code in incident.division_codes:
        codes.add(code)
        codes.update(d.code for d in division_service.ancestors_unscoped(session=session, code=code))
    stmt = select(Organisation).where(Organisation.name == name, Organisation.division_code.in_(codes))
    return session.scalars(stmt.order_by(Organisation.division_code.desc(), Organisation.id)).first()


def _create_plan_tasks(
    session: Session, scope: Scope, incident: Incident, level: int
) -> tuple[response_plans.AppliedPlan | None, int]:
    """Create the tasks of the plan in force for the incident (``response_plans.plan_for``: the deepest
    stored plan on its division's chain, else the packaged example) that it does not have yet. A plan is
    known by its id and owning division, so a revised version of the same plan adds only its new keys."""
    applied = response_plans.plan_for(session, incident.incident_type, incident.division_code)
    if applied is None:
        return None, 0
    plan = applied.plan
    same_plan = [Task.incident_id == incident.id, Task.plan_id == plan.id]
    same_plan.append(
        Task.plan_division_code.is_(None)
        if applied.division_code is None
        else Task.plan_division_code == applied.division_code
    )
    existing = set(session.scalars(select(Task.plan_task_key).where(*same_plan)))
    now = utcnow()
    created = 0
    for item in plan.tasks_for(level):
        if item.key in existing:
            continue
        organisation = _organisation_named(session, incident, item.organisation)
        session.add(
            Task(
                incident_id=incident.id,
                title=item.title,
                description=f"{plan.title}: level {item.level}",
                organisation_id=organisation.id if organisation else None,
                organisation_name=item.organisation,
                team="",
                assignee_user="",
                due_at=now + dt.timedelta(minutes=item.due_minutes),
                status="open",
                plan_id=plan.id,
                plan_task_key=item.key,
                response_plan_id=applied.response_plan_id,
                plan_division_code=applied.division_code,
                feedback="",
                created_by=scope.actor,
                created_at=now,
                updated_at=now,
            )
        )
        created += 1
    if created:
        data = {
            "plan": plan.id,
            "response_plan_id": applied.response_plan_id,
            "plan_division_code": applied.division_code,
            "tasks": created,
        }
        _timeline(session, scope, incident, "plan", f"plan {applied.describe()}: {created} tasks created", data)
    return applied, created


def respond(
    *,
    session: Session,
    scope: Scope,
    incident_id: int,
    version: int,
    action: str,
    level: int | None,
    reason: str = "",
) -> Incident:
    """Recommend, activate, escalate, de-escalate or end the response (level 1 highest … 4)."""
    incident = get_for_change(session=session, scope=scope, incident_id=incident_id)
    if action != "recommend":
        scope.require("incidents:command")
    current = incident.response_level
    status = lifecycle.parse_status(incident.status)
    if action in ("recommend", "activate", "escalate", "de_escalate") and level is None:
        raise InvalidInput(f"{action} needs a level (1 to 4)", field="level")
    if action in ("escalate", "de_escalate", "end") and not reason.strip():
        raise InvalidInput(f"{action} needs a reason", field="reason")
    if action == "activate":
        if current is not None:
            raise Conflict(f"a level-{current} response is already active; escalate or de-escalate it")
        if status not in (IncidentStatus.VERIFIED, IncidentStatus.RECOVERING):
            raise lifecycle.InvalidTransition(
                f"a response can be activated on a verified (or recovering) incident, not a {status.value} one",
                current=status.value,
            )
        if status is IncidentStatus.RECOVERING and not reason.strip():
            raise InvalidInput("re-activating a response during recovery needs a reason", field="reason")
    elif action in ("escalate", "de_escalate", "end"):
        if current is None:
            raise Conflict("no response is active")
        assert level is not None or action == "end"
        if action == "escalate" and not (level is not None and level < current):
            raise InvalidInput(f"escalating needs a higher level (a number below {current})", field="level")
        if action == "de_escalate" and not (level is not None and level > current):
            raise InvalidInput(f"de-escalating needs a lower level (a number above {current})", field="level")
    _claim(session, incident, version)
    before = audit.snapshot(incident)
    applied = None
    if action in ("activate", "escalate"):
        assert level is not None
        applied, _ = _create_plan_tasks(session, scope, incident, level)
    _record_response(session, scope, incident, action, level, reason, applied)
    if action in ("activate", "escalate", "de_escalate"):
        incident.response_level = level
    if action == "activate":
        _move(session, scope, incident, IncidentStatus.RESPONDING, reason, utcnow())
    if action == "end":
        incident.response_level = None
        _move(session, scope, incident, IncidentStatus.RECOVERING, reason, utcnow())
    audit.changed(session, scope, incident, before, entity="incident", action=f"response.{action}")
    return incident


def response_actions(*, session: Session, scope: Scope, incident_id: int) -> list[ResponseAction]:
    get(session=session, scope=scope, incident_id=incident_id)
    stmt = select(ResponseAction).where(ResponseAction.incident_id == incident_id)
    return list(session.scalars(stmt.order_by(ResponseAction.at, ResponseAction.id)))
