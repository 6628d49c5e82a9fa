"""Situation reports (情况报告): drafts with revisions, approval and publication."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    func,
    select,
)
from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.errors import Conflict
from yingji.incidents.models import (
    SituationReport,
    SituationReportRevision,
)
from yingji.incidents.records.service import (
    _timeline,
    claim_version,
    get,
    get_child,
    get_for_change,
    stale_version,
)
from yingji.incidents.schemas import (
    SituationReportIn,
    SituationReportRead,
)


def create_report(*, session: Session, scope: Scope, incident_id: int, report_in: SituationReportIn) -> SituationReport:
    incident = get_for_change(session=session, scope=scope, incident_id=incident_id)
    number = (
        session.scalar(select(func.max(SituationReport.number)).where(SituationReport.incident_id == incident.id)) or 0
    ) + 1
    now = utcnow()
    report = SituationReport(
        incident_id=incident.id,
        number=number,
        revision=1,
        status="draft",
        **report_in.model_dump(),
        created_by=scope.actor,
        created_at=now,
        updated_at=now,
    )
    session.add(report)
    session.flush()
    _save_revision(session, scope, report)
    _timeline(
        session,
        scope,
        incident,
        "sitrep",
        f"situation report no. {number} drafted",
        {"report_id": report.id, "number": number, "state": "drafted"},
    )
    audit.created(session, scope, report, entity="situation_report", within=incident)
    return report


def _save_revision(session: Session, scope: Scope, report: SituationReport) -> None:
    session.add(
        SituationReportRevision(
            report_id=report.id,
            revision=report.revision,
            **report.texts(),
            edited_by=scope.actor,
            edited_at=utcnow(),
        )
    )


def reports_of(*, session: Session, scope: Scope, incident_id: int) -> list[SituationReport]:
    get(session=session, scope=scope, incident_id=incident_id)
    stmt = select(SituationReport).where(SituationReport.incident_id == incident_id)
    return list(session.scalars(stmt.order_by(SituationReport.number)))


def get_report(*, session: Session, scope: Scope, report_id: int) -> SituationReport:
    return get_child(session=session, scope=scope, model=SituationReport, row_id=report_id, what="situation report")


def _changed_since(revision: int) -> Callable[[int], str]:
    return lambda now_at: f"situation report changed since revision {revision}; it is now revision {now_at}"


def _claim_report(session: Session, report: SituationReport, revision: int) -> None:
    claim_version(session, report, "revision", revision, SituationReportRead, _changed_since(revision))


def edit_report(
    *, session: Session, scope: Scope, report_id: int, revision: int, report_in: SituationReportIn
) -> SituationReport:
    report = get_report(session=session, scope=scope, report_id=report_id)
    incident = get_for_change(session=session, scope=scope, incident_id=report.incident_id)
    if report.status != "draft":
        raise Conflict(f"a {report.status} situation report cannot be edited; draft a new one", current=report.status)
    _claim_report(session, report, revision)
    before = audit.snapshot(report)
    report.conditions, report.actions, report.needs = report_in.conditions, report_in.actions, report_in.needs
    report.updated_at = utcnow()
    _save_revision(session, scope, report)
    audit.changed(session, scope, report, before, entity="situation_report", within=incident)
    return report


def report_revisions(*, session: Session, scope: Scope, report_id: int) -> list[SituationReportRevision]:
    get_report(session=session, scope=scope, report_id=report_id)
    stmt = select(SituationReportRevision).where(SituationReportRevision.report_id == report_id)
    return list(session.scalars(stmt.order_by(SituationReportRevision.revision)))


def set_report_status(*, session: Session, scope: Scope, report_id: int, revision: int, status: str) -> SituationReport:
    """draft → approved → published (approving and publishing are command decisions)."""
    report = get_report(session=session, scope=scope, report_id=report_id)
    incident = get_for_change(session=session, scope=scope, incident_id=report.incident_id)
    scope.require("incidents:command")
    allowed = {("draft", "approved"), ("approved", "published")}
    if (report.status, status) not in allowed:
        raise Conflict(f"a {report.status} situation report cannot become {status}", current=report.status)
    if report.revision != revision:
        raise stale_version(report, "revision", SituationReportRead, _changed_since(revision))
    before = audit.snapshot(report)
    now = utcnow()
    report.status = status
    if status == "approved":
        report.approved_by, report.approved_at = scope.actor, now
    else:
        report.published_by, report.published_at = scope.actor, now
    _timeline(
        session,
        scope,
        incident,
        "sitrep",
        f"situation report no. {report.number} {status}",
        {"report_id": report.id, "number": report.number, "state": status},
    )
    audit.changed(session, scope, report, before, entity="situation_report", action=status, within=incident)
    return report
