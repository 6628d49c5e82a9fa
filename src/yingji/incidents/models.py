"""Tables of the command domain: incidents (突发事件) and what hangs off them — divisions, figure history,
response actions, tasks, the timeline, situation reports, reporting deadlines, notifications — plus the
organisations directory and the duty desk (值班值守).

Positions are WGS 84 longitude/latitude columns; on PostgreSQL a generated PostGIS ``point_geom`` column
with a GiST index mirrors them (created by the migration, not mapped here).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yingji.db import Base, CoversDivisions, Created, IdKey, JSONType, Logged, UTCDateTime, utcnow


class Incident(IdKey, Created, CoversDivisions, Base):
    """One incident. ``version`` is the optimistic lock: every change bumps it, and a change must carry
    the version it read (a stale one is refused with the current state)."""

    __tablename__ = "incidents"

    title: Mapped[str] = mapped_column(String(200))
    incident_type: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    area: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # GeoJSON polygon, optional
    description: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    unit_informed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    response_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    recovering_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    grade: Mapped[str | None] = mapped_column(String(32))
    recommended_level: Mapped[int | None] = mapped_column(Integer)
    leading_government: Mapped[str | None] = mapped_column(String(16))
    grading_basis: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    rules_version: Mapped[str | None] = mapped_column(String(64))
    response_level: Mapped[int | None] = mapped_column(Integer)  # the level activated, if any
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    divisions: Mapped[list[IncidentDivision]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", lazy="selectin", order_by="IncidentDivision.code"
    )

    # Lists read pages newest first and count in the caller's jurisdiction; on PostgreSQL both indexes carry
    # the columns lists filter on, so a page or a total is an index-only scan (migration 0011).
    __table_args__ = (
        Index(
            "ix_incidents_reported_at_id",
            "reported_at",
            "id",
            postgresql_include=["division_code", "status", "incident_type", "exercise"],
        ),
        Index(
            "ix_incidents_division_reported",
            "division_code",
            "reported_at",
            "id",
            postgresql_include=["status", "incident_type", "exercise"],
        ),
        # The map's incident layer: open incidents only, newest first (migration 0012).
        Index(
            "ix_incidents_open_reported",
            "reported_at",
            "id",
            sqlite_where=text("status <> 'closed'"),
            postgresql_where=text("status <> 'closed'"),
            postgresql_include=["division_code", "grade", "lon", "lat"],
        ),
    )


class IncidentDivision(Base):
    """A division an incident covers; users of each covered division see the incident."""

    __tablename__ = "incident_divisions"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), primary_key=True)
    # The incident's own division (``Incident.division_code``): lists test it on the incident row, and look
    # here only for the other divisions, through the small partial index below.
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    incident: Mapped[Incident] = relationship(back_populates="divisions")

    __table_args__ = (
        Index("ix_incident_divisions_code_incident", "code", "incident_id"),
        Index(
            "ix_incident_divisions_secondary",
            "code",
            "incident_id",
            sqlite_where=text("NOT is_primary"),
            postgresql_where=text("NOT is_primary"),
        ),
    )


class FigureChange(IdKey, Logged, Base):
    """One change of an incident's figures: when, by whom, from which source, old and new values."""

    __tablename__ = "incident_figure_changes"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(200))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType)  # field -> {"old": x, "new": y}


class ResponseAction(IdKey, Logged, Base):
    """Recommending, activating, escalating, de-escalating or ending a response level (who, when, why)."""

    __tablename__ = "incident_response_actions"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # recommend | activate | escalate | de_escalate | end
    level: Mapped[int | None] = mapped_column(Integer)
    previous_level: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    plan_id: Mapped[str | None] = mapped_column(String(64))
    # The stored plan used (``response_plans``) and its owning division; both null for the packaged example.
    response_plan_id: Mapped[int | None] = mapped_column(Integer)
    plan_division_code: Mapped[str | None] = mapped_column(String(12))


class Organisation(IdKey, Created, Base):
    """A body in the directory: government office, department, rescue team, enterprise."""

    __tablename__ = "organisations"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    phone: Mapped[str] = mapped_column(String(50), default="")

    contacts: Mapped[list[Contact]] = relationship(lazy="selectin", order_by="Contact.id")


class Contact(IdKey, Base):
    __tablename__ = "contacts"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    mobile: Mapped[str] = mapped_column(String(50), default="")
    fax: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(200), default="")


class Task(IdKey, Created, Base):
    """A task of an incident, for an organisation, team or user; from a plan or added by hand."""

    __tablename__ = "incident_tasks"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    organisation_name: Mapped[str] = mapped_column(String(200), default="")
    team: Mapped[str] = mapped_column(String(200), default="")
    assignee_user: Mapped[str] = mapped_column(String(64), default="")
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # open | acknowledged | in_progress | done | cancelled
    plan_id: Mapped[str | None] = mapped_column(String(64))
    plan_task_key: Mapped[str | None] = mapped_column(String(64))
    # The stored plan that created the task (``response_plans``) and its owning division; both null for the
    # packaged example plans and for tasks added by hand.
    response_plan_id: Mapped[int | None] = mapped_column(Integer)
    plan_division_code: Mapped[str | None] = mapped_column(String(12))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    feedback: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TimelineEntry(IdKey, Logged, Base):
    """Append-only log of what happened to an incident, written by any domain (triggers refuse changes)."""

    __tablename__ = "incident_timeline"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(48))
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    __table_args__ = (Index("ix_incident_timeline_incident_at", "incident_id", "at", "id"),)


class ReportTexts:
    """The sections of a situation report (Conditions / Actions / Needs), held by the report and by each
    saved revision of it."""

    conditions: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(Text, default="")
    needs: Mapped[str] = mapped_column(Text, default="")

    def texts(self) -> dict[str, str]:
        return {"conditions": self.conditions, "actions": self.actions, "needs": self.needs}


class SituationReport(IdKey, Created, ReportTexts, Base):
    """A situation report (情况报告/态势报告): numbered per incident; edited as a draft (each edit a new
    revision), then approved, then published. Conditions / Actions / Needs sections."""

    __tablename__ = "situation_reports"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16))  # draft | approved | published
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[str | None] = mapped_column(String(100))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("incident_id", "number", name="uq_situation_reports_incident_number"),)


class SituationReportRevision(IdKey, ReportTexts, Base):
    """Every saved text of a situation report (revision 1 is the first draft)."""

    __tablename__ = "situation_report_revisions"

    report_id: Mapped[int] = mapped_column(ForeignKey("situation_reports.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    edited_by: Mapped[str] = mapped_column(String(100))
    edited_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportMade(IdKey, Base):
    """A due information report that was made (key from ``deadlines.py``)."""

    __tablename__ = "incident_reports_made"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    made_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("incident_id", "key", name="uq_incident_reports_made_incident_key"),)


class Notification(IdKey, Created, Base):
    """A notice for the users of a division (overdue report, overdue duty action). ``key`` makes the
    scheduler idempotent: one notification per overdue thing."""

    __tablename__ = "notifications"

    key: Mapped[str] = mapped_column(String(200), unique=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    duty_item_id: Mapped[int | None] = mapped_column(ForeignKey("duty_items.id", ondelete="CASCADE"))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class DutyShift(IdKey, Base):
    """A duty shift (值班班次) of a division's duty desk, with its handover note."""

    __tablename__ = "duty_shifts"

    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    leader: Mapped[str] = mapped_column(String(100))  # 带班领导
    officers: Mapped[list[str]] = mapped_column(JSONType, default=list)  # 值班员
    handover_note: Mapped[str] = mapped_column(Text, default="")
    handed_over_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    handed_over_by: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(100))


class DutyLogEntry(IdKey, Logged, Base):
    """One line of the duty log (值班日志)."""

    __tablename__ = "duty_log"

    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("duty_shifts.id"))
    text: Mapped[str] = mapped_column(Text)


class DutyItem(IdKey, Base):
    """Information received by the duty desk (接报): by phone, fax or system; it becomes an incident or is
    closed with a reason. ``done`` maps escalation action → time done (``duty.py``)."""

    __tablename__ = "duty_items"

    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(16))  # phone | fax | system | other
    caller: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))  # open | incident | closed
    done: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    close_reason: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    received_by: Mapped[str] = mapped_column(String(100))


class GradingOverride(IdKey, Created, Base):
    """A local plan's grading thresholds (``rulesets.JurisdictionOverride``) registered for a division: they
    apply to incidents of that division's subtree, the deeper division's entry winning. Retired, not
    deleted, so that an incident's ``rules_version`` can always be traced back to the entry it used."""

    __tablename__ = "grading_overrides"

    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    applies_to: Mapped[str] = mapped_column(String(64))  # rule-set id or family name
    document: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(1), default="U")  # V / P / U as in docs/sources.md
    thresholds: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(100))
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ResponsePlan(IdKey, Created, Base):
    """A bureau's digital response plan (预案) stored for its division (``plans.Plan`` as a document in the
    ``response_plans.yaml`` entry format). It applies to incidents whose own division lies in that
    division's subtree, the deepest division's plan winning. Retired, not deleted, so that tasks created
    from it can always be traced back to it."""

    __tablename__ = "response_plans"

    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    plan_id: Mapped[str] = mapped_column(String(64))  # the document's own id
    title: Mapped[str] = mapped_column(String(200))
    incident_types: Mapped[list[str]] = mapped_column(JSONType)
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(100))
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ResponsePlanType(Base):
    """One incident type a stored plan covers, with the plan's division and state copied: lists filter on
    the type in SQL, activation finds the plan with one indexed lookup, and a partial unique index lets a
    division have at most one active plan per type even under concurrent writers."""

    __tablename__ = "response_plan_types"
    __table_args__ = (
        Index(
            "uq_response_plan_types_active",
            "division_code",
            "incident_type",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    response_plan_id: Mapped[int] = mapped_column(ForeignKey("response_plans.id"), primary_key=True)
    incident_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    division_code: Mapped[str] = mapped_column(String(12))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
