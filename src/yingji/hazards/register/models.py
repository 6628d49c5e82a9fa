"""Accident hazards (事故隐患) and their append-only history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yingji.db import Base, IdKey, JSONType, Logged, Updated, UTCDateTime, utcnow


class Hazard(IdKey, Updated, Base):
    __tablename__ = "hazards"
    __table_args__ = (
        Index("ix_hazards_division_state", "division_code", "state"),
        Index("ix_hazards_level_state_division", "level", "state", "division_code"),
    )

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    installation_id: Mapped[int | None] = mapped_column(ForeignKey("hazard_installations.id"))
    division_code: Mapped[str] = mapped_column(String(12))  # the enterprise's, copied for scoping and roll-ups
    supervision_category: Mapped[str] = mapped_column(String(32), default="")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))  # self_check | inspection | tip | monitoring | other
    state: Mapped[str] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(8))  # general | major (一般/重大), once determined
    items: Mapped[list[str]] = mapped_column(JSONType, default=list)  # determination items cited
    plan: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # 五落实
    deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)  # a verification record exists
    listed_level: Mapped[str] = mapped_column(String(12), default="")  # 挂牌督办: province | prefecture | county
    listed_deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    listed_notice: Mapped[str] = mapped_column(Text, default="")
    overdue_flagged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    reported_by: Mapped[str] = mapped_column(String(100), default="")
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class HazardEvent(IdKey, Logged, Base):
    """One step of a hazard's history (append-only: the services only insert)."""

    __tablename__ = "hazard_events"

    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class HazardCount(Base):
    """Roll-up for the 动态清零 board: hazards per division, supervision category, level and state, kept by
    the service on every change (the board reads these few thousand rows, not a province's hazards)."""

    __tablename__ = "hazard_counts"

    division_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    supervision_category: Mapped[str] = mapped_column(String(32), primary_key=True)
    level: Mapped[str] = mapped_column(String(8), primary_key=True)  # "" until determined
    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class HazardCloseDays(Base):
    """Roll-up of closed hazards by whole days from report to closure (the board's median)."""

    __tablename__ = "hazard_close_days"

    division_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    supervision_category: Mapped[str] = mapped_column(String(32), primary_key=True)
    days: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class HazardMonth(Base):
    """Roll-up for the board's trend: hazards reported and closed per division, category and month (China
    time, ``YYYY-MM``)."""

    __tablename__ = "hazard_months"
    __table_args__ = (Index("ix_hazard_months_month_division", "month", "division_code"),)

    division_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    supervision_category: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    reported: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
