"""Enterprises (生产经营单位) and the users of role ``enterprise`` who act for them."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yingji.db import Base, Created, IdKey, Updated


class Enterprise(IdKey, Created, Updated, Base):
    __tablename__ = "enterprises"

    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码, unique nationally
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    industry_code: Mapped[str] = mapped_column(String(5), default="")  # GB/T 4754-2017 (e.g. C2614)
    supervision_category: Mapped[str] = mapped_column(String(32), default="")  # 危险化学品, 工贸, 煤矿 …
    sub_sector: Mapped[str] = mapped_column(String(32), default="")  # 工贸: 冶金, 有色, 建材 …
    address: Mapped[str] = mapped_column(String(300), default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    legal_representative: Mapped[str] = mapped_column(String(50), default="")
    legal_phone: Mapped[str] = mapped_column(String(30), default="")
    safety_lead: Mapped[str] = mapped_column(String(50), default="")
    safety_phone: Mapped[str] = mapped_column(String(30), default="")
    headcount: Mapped[int | None] = mapped_column(Integer)
    risk_color: Mapped[str] = mapped_column(String(8), default="")  # red | orange | yellow | blue (红橙黄蓝)
    risk_basis: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | suspended | closed


class EnterpriseMember(IdKey, Base):
    """A user of role ``enterprise`` acting for this enterprise (their whole scope)."""

    __tablename__ = "enterprise_members"
    __table_args__ = (UniqueConstraint("user_id", "enterprise_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
