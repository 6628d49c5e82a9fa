"""Tables of enforcement (执法): the inspector register with recusal ties, annual plans, and every random draw
made for a plan (kept, never deleted; a published draw is never changed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yingji.db import Base, Created, IdKey, JSONType, UTCDateTime


class Inspector(IdKey, Created, Base):
    """An enforcement officer (行政执法人员) holding an enforcement certificate (执法证)."""

    __tablename__ = "enforcement_inspectors"

    name: Mapped[str] = mapped_column(String(50))
    certificate_no: Mapped[str] = mapped_column(String(32), unique=True)  # 执法证号
    unit: Mapped[str] = mapped_column(String(100), default="")  # 执法机构 (e.g. 执法大队)
    division_code: Mapped[str] = mapped_column(String(12), index=True)  # the bureau's division
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Recusal(IdKey, Created, Base):
    """A tie between an inspector and an enterprise that requires recusal (回避: kin, former employer, a
    stake): the inspector is never drawn for it."""

    __tablename__ = "enforcement_recusals"
    __table_args__ = (UniqueConstraint("inspector_id", "enterprise_id"),)

    inspector_id: Mapped[int] = mapped_column(ForeignKey("enforcement_inspectors.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")


class Plan(IdKey, Created, Base):
    """The annual enforcement plan of a division (年度执法计划): inspections planned per supervision category,
    the key enterprises inspected every year (重点检查), and the share of each category's count left to the
    random draw."""

    __tablename__ = "enforcement_plans"
    __table_args__ = (UniqueConstraint("division_code", "year"),)

    division_code: Mapped[str] = mapped_column(String(12), index=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    category_counts: Mapped[dict[str, int]] = mapped_column(JSONType)  # supervision category -> inspections
    random_share_pct: Mapped[int] = mapped_column(Integer)  # 0–100 of each category's count drawn at random
    key_enterprise_ids: Mapped[list[int]] = mapped_column(JSONType)  # fixed when the plan is made
    key_rule: Mapped[str] = mapped_column(String(200), default="")  # why those are key (shown with the plan)
    created_by: Mapped[str] = mapped_column(String(100))


class Draw(IdKey, Created, Base):
    """One random draw of a plan (双随机). The seed comes from the CSPRNG and is recorded (with its time)
    before the result is computed; the canonical input lists are stored, so the draw can be re-run and
    checked at any time. Draws are never deleted; a later draw names its reason and the earlier ones."""

    __tablename__ = "enforcement_draws"
    __table_args__ = (UniqueConstraint("plan_id", "sequence"),)

    plan_id: Mapped[int] = mapped_column(ForeignKey("enforcement_plans.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    sequence: Mapped[int] = mapped_column(Integer)  # 1, 2, … within the plan
    state: Mapped[str] = mapped_column(String(16), default="drawn")  # drawn | published
    algorithm: Mapped[str] = mapped_column(String(32))
    seed: Mapped[str] = mapped_column(String(64))
    seed_source: Mapped[str] = mapped_column(String(32))  # csprng
    seed_recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)  # per pool: inputs, count, digests, pairs
    digest: Mapped[str] = mapped_column(String(64), default="")  # over the parts' digests
    reason: Mapped[str] = mapped_column(String(500), default="")  # why this re-draw (required after the first)
    earlier_draw_ids: Mapped[list[int]] = mapped_column(JSONType)
    created_by: Mapped[str] = mapped_column(String(100))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[str] = mapped_column(String(100), default="")
