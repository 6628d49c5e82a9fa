"""Disaster statistics tables: events and township reports (初报 / 续报 / 核报) with their review trail.

A report row is never overwritten by a later figure: a correction is a new row (``corrects_id`` names the
report it corrects), so the history of what each township said, and what each level did with it, stays.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yingji.db import Base, Created, IdKey, JSONType, UTCDateTime, utcnow


class DisasterEvent(IdKey, Created, Base):
    """One disaster event (一次灾害过程) declared over a division; ``glide`` is its GLIDE number if known."""

    __tablename__ = "disaster_events"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # an incident type of the natural-disaster families
    glide: Mapped[str | None] = mapped_column(String(32))
    # the incident whose figures the accepted totals update (an integer without a foreign key, as the quake
    # assessments keep it, so this branch of the migrations stands alone)
    incident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # the event-wide day (北京时间) the disaster stabilised (灾情稳定), set by the bureau of the event's division
    # or above: the day of every county of the event that records none of its own (DisasterStabilisedDay);
    # the verified reports (核报) of a township are due within the regime's working days after its county's day
    stabilised_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(100), default="")


class DisasterStabilisedDay(IdKey, Base):
    """The day (北京时间) one county of an event stabilised (灾情稳定), recorded by its bureau or a level above it:
    its townships' verified reports (核报) are due after it, whatever the event-wide day says."""

    __tablename__ = "disaster_stabilised_days"

    event_id: Mapped[int] = mapped_column(Integer, ForeignKey("disaster_events.id", ondelete="RESTRICT"))
    county_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    stabilised_on: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(100), default="")

    __table_args__ = (UniqueConstraint("event_id", "county_code", name="uq_disaster_stabilised_days_county"),)


class DisasterReport(IdKey, Base):
    """A township's report for an event. ``status``: submitted → county_accepted → prefecture_accepted →
    province_accepted, or returned (with ``return_reason``) at any review stage."""

    __tablename__ = "disaster_reports"

    event_id: Mapped[int] = mapped_column(Integer, ForeignKey("disaster_events.id", ondelete="RESTRICT"))
    township_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"))
    county_code: Mapped[str] = mapped_column(String(12), index=True)
    report_type: Mapped[str] = mapped_column(String(16))  # initial | follow_up | verified
    figures: Mapped[dict[str, Any]] = mapped_column(JSONType)
    explanation: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(24), default="submitted")
    return_reason: Mapped[str] = mapped_column(Text, default="")
    reviews: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    corrects_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("disaster_reports.id"))
    submitted_by: Mapped[str] = mapped_column(String(100), default="")
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_disaster_reports_event_township", "event_id", "township_code", "id"),)


class DisasterOfficer(IdKey, Created, Base):
    """A township's disaster information officer (灾害信息员) or a backup: who reports, and who is called when
    a report is overdue. ``rank`` orders them (1 = the officer, 2… the backups)."""

    __tablename__ = "disaster_officers"

    township_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(32))
    rank: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(100), default="")


class DisasterLedgerEntry(IdKey, Created, Base):
    """One line of an event's ledgers (台账): a person dead or missing, or a household whose house was
    damaged. The ID number is kept only encrypted (``id_number_enc``, key from settings) and as a mask."""

    __tablename__ = "disaster_ledger_entries"

    event_id: Mapped[int] = mapped_column(Integer, ForeignKey("disaster_events.id", ondelete="RESTRICT"), index=True)
    township_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # dead | missing | house
    name: Mapped[str] = mapped_column(String(100))
    id_number_enc: Mapped[str] = mapped_column(Text, default="")
    id_number_masked: Mapped[str] = mapped_column(String(32), default="")
    age: Mapped[int | None] = mapped_column(Integer)
    cause: Mapped[str] = mapped_column(String(200), default="")
    place: Mapped[str] = mapped_column(String(300), default="")
    damage: Mapped[str] = mapped_column(String(16), default="")  # house: collapsed | severe | general
    rooms: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(100), default="")


class DisasterEscalation(IdKey, Base):
    """An overdue township report, flagged once by the scheduler (``key`` unique): to whom it went (the
    township's officers, then the county) and when."""

    __tablename__ = "disaster_escalations"

    key: Mapped[str] = mapped_column(String(120))
    event_id: Mapped[int] = mapped_column(Integer, ForeignKey("disaster_events.id", ondelete="RESTRICT"), index=True)
    township_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    report_type: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    flagged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    notified: Mapped[list[Any]] = mapped_column(JSONType, default=list)

    __table_args__ = (UniqueConstraint("key", name="uq_disaster_escalations_key"),)
