"""Major hazard installations (重大危险源 units) with their inventory and assessment history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yingji.db import Base, Created, IdKey, JSONType, Logged, Updated


class Installation(IdKey, Created, Updated, Base):
    __tablename__ = "hazard_installations"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_kind: Mapped[str] = mapped_column(String(12), default="storage")  # production | storage (生产/储存单元)
    exposed_people: Mapped[int] = mapped_column(Integer, default=0)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)  # substance, quantity_t, category
    s: Mapped[str] = mapped_column(String(64), default="0")  # exact value as a fraction text ("5701/1000")
    r: Mapped[str | None] = mapped_column(String(64))
    major: Mapped[bool] = mapped_column(Boolean, default=False)
    grade: Mapped[int | None] = mapped_column(Integer)
    monitoring_site: Mapped[str] = mapped_column(String(64), default="")  # the monitoring domain's site id


class InstallationAssessment(IdKey, Logged, Base):
    """Each recomputation of an installation (append-only history)."""

    __tablename__ = "hazard_installation_assessments"

    installation_id: Mapped[int] = mapped_column(ForeignKey("hazard_installations.id"), index=True)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    exposed_people: Mapped[int] = mapped_column(Integer)
    s: Mapped[str] = mapped_column(String(64))
    r: Mapped[str | None] = mapped_column(String(64))
    major: Mapped[bool] = mapped_column(Boolean)
    grade: Mapped[int | None] = mapped_column(Integer)
