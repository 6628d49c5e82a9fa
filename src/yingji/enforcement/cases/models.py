"""Tables of inspections (with their findings) and administrative penalty cases (with their events)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yingji.db import Base, Created, IdKey, JSONType, UTCDateTime, utcnow


class OnSite(IdKey, Created):
    """What an inspection and a follow-up (复查) both are: a visit to an enterprise, on a day, by inspectors."""

    division_code: Mapped[str] = mapped_column(String(12), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    inspector_ids: Mapped[list[int]] = mapped_column(JSONType)
    inspected_on: Mapped[dt.date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100))


class Inspection(OnSite, Base):
    """An on-site inspection (现场检查) of an enterprise by two or more inspectors, from a drawn pair or named."""

    __tablename__ = "enforcement_inspections"

    plan_id: Mapped[int | None] = mapped_column(ForeignKey("enforcement_plans.id"))
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("enforcement_draws.id"))
    rectification_deadline: Mapped[dt.date | None] = mapped_column(Date)  # 责令限期整改 (when findings need it)


class Finding(IdKey, Created, Base):
    """What an inspection found; a hazard found is reported to the work-safety register and linked here."""

    __tablename__ = "enforcement_findings"

    inspection_id: Mapped[int] = mapped_column(ForeignKey("enforcement_inspections.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    violation: Mapped[bool] = mapped_column(Boolean, default=False)  # a violation of law (may lead to a case)
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(100))


class PenaltyCase(IdKey, Created, Base):
    """An administrative penalty case (行政处罚案件): 立案 → 调查取证 → 告知 (陈述申辩, 听证) → 决定 → 送达 → 执行
    → 结案. Its clocks follow the regime in force on its filing day (``standards/enforcement``)."""

    __tablename__ = "enforcement_cases"

    division_code: Mapped[str] = mapped_column(String(12), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("enforcement_inspections.id"))
    title: Mapped[str] = mapped_column(String(200))
    facts: Mapped[str] = mapped_column(Text, default="")  # 违法事实
    legal_basis: Mapped[str] = mapped_column(String(500), default="")  # 违反的条款与处罚依据
    proposed_penalty: Mapped[str] = mapped_column(String(500), default="")  # 拟作出的处罚 (告知)
    decision: Mapped[str] = mapped_column(String(1000), default="")  # 处罚决定
    fine_yuan: Mapped[int | None] = mapped_column(Integer)
    regime_id: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(16), default="filed")
    filed_on: Mapped[dt.date] = mapped_column(Date)
    decision_days: Mapped[int | None] = mapped_column(Integer)  # an approved extension of the decision clock
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseEvent(IdKey, Base):
    """A step of a case, on the day it happened (``on``) and when it was recorded; append-only."""

    __tablename__ = "enforcement_case_events"

    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    on: Mapped[dt.date] = mapped_column(Date)
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(2000), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    actor: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowUp(OnSite, Base):
    """A follow-up inspection (复查) of an inspection's rectification order (责令限期整改指令书): each ordered item
    (a finding of the inspection) found rectified or not; the items not rectified may become a penalty case."""

    __tablename__ = "enforcement_follow_ups"

    inspection_id: Mapped[int] = mapped_column(ForeignKey("enforcement_inspections.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("enforcement_cases.id"))  # opened for items not rectified


class FollowUpItem(IdKey, Base):
    """One ordered item at a follow-up: rectified or not, and what was done to the finding's hazard."""

    __tablename__ = "enforcement_follow_up_items"

    follow_up_id: Mapped[int] = mapped_column(ForeignKey("enforcement_follow_ups.id"), index=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("enforcement_findings.id"), index=True)
    rectified: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(2000), default="")
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id"))
    hazard_action: Mapped[str] = mapped_column(String(32), default="")  # the hazard's move (verify, reject …) or ""


class CaseEvidence(IdKey, Base):
    """An evidence file of a penalty case (证据), kept as uploaded with its SHA-256; added at a stage of the case
    (调查取证 …), never changed or removed, and none added after the case is closed (结案)."""

    __tablename__ = "enforcement_case_evidence"

    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_cases.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    stage: Mapped[str] = mapped_column(String(16))  # a case state (penalty.STATES) the file belongs to
    description: Mapped[str] = mapped_column(String(2000), default="")
    filename: Mapped[str] = mapped_column(String(200), default="")  # as uploaded (shown, never used as a path)
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(100))  # under the evidence directory
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
