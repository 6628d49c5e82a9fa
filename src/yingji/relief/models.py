"""Stored dispatch plans (调拨方案): the demand, the supply seen, the optimal shipments with the unmet need,
the greedy baseline's figures beside them, the shelter assignment of displaced people, and — once
committed — the transfer orders and Command tasks made from the plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yingji.db import Base, Created, IdKey, JSONType, UTCDateTime, utcnow


class ReliefPlan(IdKey, Base):
    """One plan. ``division_code`` is the division it was planned for (its jurisdiction); ``status`` is
    ``planned``, ``committed`` (its stock reserved: open transfer orders, and ``commit_result.held``
    for shipments without one), ``confirmed`` (stock moved) or ``cancelled`` (reservation released).
    Shipments, unmet need and shelter moves are JSON lists (a plan is
    read and drawn whole, never queried row by row)."""

    __tablename__ = "relief_plans"

    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # incident | assessment | explicit
    incident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    assessment_id: Mapped[int | None] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="planned")
    solver_status: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(32))
    objective: Mapped[float] = mapped_column(Float)
    total_need: Mapped[int] = mapped_column(Integer)
    total_unmet: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    places: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    depots: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    shipments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    unmet: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    baseline: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    shelters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    teams: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # assignments, unserved sites
    commit_result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    committed_by: Mapped[str | None] = mapped_column(String(100))
    committed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class RoadSegment(IdKey, Created, Base):
    """One road feature of a stored road network (路网): its lines, class and planning speed, and
    whether it is cut (断路) — with the reason, when and by whom. Plans from the database route over
    the open segments of the networks the caller may read. ``division_code`` is the importing
    division: who may cut or reopen it."""

    __tablename__ = "road_segments"
    # unique within the division: a name taken in another county must not be confirmed to its users
    __table_args__ = (
        UniqueConstraint("division_code", "network", "feature_id", name="uq_road_segments_division_network_feature"),
    )

    network: Mapped[str] = mapped_column(String(100), index=True)
    feature_id: Mapped[str] = mapped_column(String(100))
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    road_class: Mapped[str] = mapped_column(String(32), default="")
    speed_kmh: Mapped[float] = mapped_column(Float)
    lines: Mapped[list[list[list[float]]]] = mapped_column(JSONType)  # [[[lon, lat], …], …]
    length_km: Mapped[float] = mapped_column(Float)
    is_cut: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    cut_reason: Mapped[str] = mapped_column(Text, default="")
    cut_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cut_by: Mapped[str | None] = mapped_column(String(100))
