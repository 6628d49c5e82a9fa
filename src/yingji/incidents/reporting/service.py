"""Information-reporting deadlines (信息报告时限): the reports an incident owes and when, reports made,
notifications, and the scheduler that flags what is overdue (reports, tasks, duty actions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import paginate, utcnow
from yingji.errors import Conflict, InvalidInput
from yingji.incidents import deadlines, duty
from yingji.incidents.incident_types import IncidentType
from yingji.incidents.lifecycle import IncidentStatus
from yingji.incidents.models import (
    DutyItem,
    Incident,
    Notification,
    ReportMade,
    Task,
)
from yingji.incidents.records.service import _timeline, get, get_for_change
from yingji.incidents.tasks.service import UNFINISHED_TASK


def reporting_facts(session: Session, incident: Incident) -> deadlines.ReportingFacts:
    made = {r.key: r.made_at for r in session.scalars(select(ReportMade).where(ReportMade.incident_id == incident.id))}
    figures = incident.figures or {}
    deaths_and_missing = None
    if figures.get("deaths") is not None or figures.get("missing") is not None:
        deaths_and_missing = int(figures.get("deaths") or 0) + int(figures.get("missing") or 0)
    return deadlines.ReportingFacts(
        incident_type=IncidentType(incident.incident_type),
        occurred_at=incident.occurred_at,
        grade=incident.grade,
        deaths_and_missing=deaths_and_missing,
        unit_informed_at=incident.unit_informed_at,
        response_started_at=incident.response_at,
        stabilised_at=incident.recovering_at or incident.closed_at,
        reports_made=made,
    )


def due_reports(*, session: Session, scope: Scope, incident_id: int, now: dt.datetime) -> list[deadlines.DueReport]:
    incident = get(session=session, scope=scope, incident_id=incident_id)
    return deadlines.due_reports(reporting_facts(session, incident), now=now)


def record_report_made(
    *, session: Session, scope: Scope, incident_id: int, key: str, made_at: dt.datetime | None = None
) -> ReportMade:
    incident = get_for_change(session=session, scope=scope, incident_id=incident_id)
    when = made_at or utcnow()
    keys = {r.key for r in deadlines.due_reports(reporting_facts(session, incident), now=max(when, utcnow()))}
    if key not in keys:
        raise InvalidInput(f"key: {key!r} is not a report this incident owes", field="key")
    if session.scalar(select(ReportMade.id).where(ReportMade.incident_id == incident.id, ReportMade.key == key)):
        raise Conflict(f"report {key} is already recorded as made")
    row = ReportMade(incident_id=incident.id, key=key, made_at=when, actor=scope.actor)
    session.add(row)
    session.flush()
    _timeline(session, scope, incident, "report_made", f"report {key} made", {"key": key}, when)
    audit.created(session, scope, row, entity="incident_report_made", within=incident)
    return row


_LEVEL_DIGITS = {"unit": 6, "county": 6, "municipal": 4, "provincial": 2, "national": 0}


def division_at_level(code: str, level: str) -> str:
    """The division code of ``level`` above (or at) ``code``: 540223… at municipal → 540200000000."""
    return code[: _LEVEL_DIGITS[level]].ljust(12, "0")


def list_notifications(
    *, session: Session, scope: Scope, limit: int = 100, offset: int = 0
) -> tuple[list[Notification], int]:
    stmt = access.covered_rows(scope, Notification, "incidents:read")
    return paginate(session, stmt, Notification.id.desc(), limit=limit, offset=offset)


def _notify(
    session: Session,
    key: str,
    division_code: str,
    kind: str,
    text: str,
    now: dt.datetime,
    *,
    incident_id: int | None = None,
    duty_item_id: int | None = None,
    data: Mapping[str, Any] | None = None,
) -> Notification:
    row = Notification(
        key=key,
        created_at=now,
        division_code=division_code,
        kind=kind,
        text=text,
        incident_id=incident_id,
        duty_item_id=duty_item_id,
        data=dict(data) if data else None,
    )
    session.add(row)
    return row


def flag_overdue(*, session: Session, scope: Scope, now: dt.datetime) -> dict[str, int]:
    """The scheduler's work at ``now``: every overdue information report of an open incident, every
    overdue duty-desk action and every task of an open incident past its due time and not finished is
    flagged once — a notification (reports: to the level that should have received them; tasks: to the
    incident's division, which gave them) and, for reports and tasks, a timeline entry; the clock is the
    caller's."""
    if now.utcoffset() is None:
        raise InvalidInput("now must be timezone-aware", field="now")
    counts = {"reports": 0, "duty": 0, "tasks": 0}
    open_incidents = session.scalars(select(Incident).where(Incident.status != IncidentStatus.CLOSED.value))
    for incident in open_incidents:
        overdue = deadlines.overdue_reports(deadlines.due_reports(reporting_facts(session, incident), now=now), now)
        if not overdue:
            continue
        keys = {f"report:{incident.id}:{r.key}" for r in overdue}
        known = set(session.scalars(select(Notification.key).where(Notification.key.in_(keys))))
        for report in overdue:
            key = f"report:{incident.id}:{report.key}"
            if key in known:
                continue
            text = (
                f"overdue: {report.reporter} → {report.recipient} report {report.key} of incident "
                f"{incident.id} ({incident.title}) was due {report.due_at.isoformat()}"
            )
            data = {"report": report.key, "due_at": report.due_at.isoformat()}
            _notify(
                session,
                key,
                division_at_level(incident.division_code, report.recipient),
                "report_overdue",
                text,
                now,
                incident_id=incident.id,
                data=data,
            )
            _timeline(session, scope, incident, "report_overdue", text, data, now)
            counts["reports"] += 1
    counts["duty"] = _flag_duty(session, now)
    counts["tasks"] = _flag_tasks(session, scope, now)
    session.flush()
    if counts["reports"] or counts["duty"] or counts["tasks"]:
        audit.record(
            session=session,
            scope=scope,
            action="flag_overdue",
            entity="scheduler",
            entity_id=now.isoformat(),
            after=dict(counts),
        )
    return counts


def _flag_tasks(session: Session, scope: Scope, now: dt.datetime) -> int:
    rows = session.execute(
        select(Task, Incident)
        .join(Incident, Incident.id == Task.incident_id)
        .where(
            Task.due_at.is_not(None),
            Task.due_at < now,
            Task.status.in_(UNFINISHED_TASK),
            Incident.status != IncidentStatus.CLOSED.value,
        )
        .order_by(Task.id)
    ).all()
    keys = {f"task:{task.id}:overdue" for task, _ in rows}
    known = set(session.scalars(select(Notification.key).where(Notification.key.in_(keys)))) if keys else set()
    flagged = 0
    for task, incident in rows:
        key = f"task:{task.id}:overdue"
        if key in known or task.due_at is None:
            continue
        who = task.organisation_name or task.team or task.assignee_user or "-"
        text = (
            f"overdue task {task.id} of incident {incident.id} ({incident.title}): {task.title} for {who}, "
            f"due {task.due_at.isoformat()}, still {task.status}"
        )
        data = {"task_id": task.id, "due_at": task.due_at.isoformat(), "status": task.status}
        _notify(session, key, incident.division_code, "task_overdue", text, now, incident_id=incident.id, data=data)
        _timeline(session, scope, incident, "task_overdue", text, data, now)
        flagged += 1
    return flagged


def _done_times(item: DutyItem) -> dict[str, dt.datetime]:
    return {action: dt.datetime.fromisoformat(when) for action, when in (item.done or {}).items()}


def escalations_of(item: DutyItem, now: dt.datetime) -> list[duty.Escalation]:
    return duty.escalations(item.received_at, _done_times(item), now=now, closed_at=item.closed_at)


def _flag_duty(session: Session, now: dt.datetime) -> int:
    flagged = 0
    for item in session.scalars(select(DutyItem).where(DutyItem.status == "open")):
        for escalation in duty.overdue(escalations_of(item, now), now):
            key = f"duty:{item.id}:{escalation.action}"
            if session.scalar(select(Notification.id).where(Notification.key == key)):
                continue
            text = (
                f"overdue duty action {escalation.action} for received information {item.id} "
                f"(due {escalation.due_at.isoformat()}): {item.summary[:80]}"
            )
            _notify(session, key, item.division_code, "duty_overdue", text, now, duty_item_id=item.id)
            flagged += 1
    return flagged


def notify(
    *, session: Session, key: str, division_code: str, kind: str, text: str, now: dt.datetime,
    data: Mapping[str, Any] | None = None,
) -> bool:  # fmt: skip
    """A notification for the users of a division, once per ``key`` (other domains' schedulers use it:
    e.g. an overdue hazard rectification). True when it was new."""
    if session.scalar(select(Notification.id).where(Notification.key == key)) is not None:
        return False
    _notify(session, key, division_code, kind, text, now, data=data)
    return True
