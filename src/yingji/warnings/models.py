"""Public warnings in the database: issued and imported warnings with their CAP, the divisions they
warn, delivery receipts, the responsible officials and the call-and-acknowledge (叫应) records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yingji.db import Base, CoversDivisions, IdKey, JSONType, UTCDateTime, utcnow


class PublicWarning(IdKey, CoversDivisions, Base):
    """One public warning (its current CAP message). ``division_code`` is the issuer's division (for an
    imported warning: the importer's); ``divisions`` lists the divisions it warns."""

    __tablename__ = "public_warnings"

    identifier: Mapped[str] = mapped_column(String(200), unique=True)
    sender: Mapped[str] = mapped_column(String(200))
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # issued | imported
    colour: Mapped[str | None] = mapped_column(String(8))
    type: Mapped[str | None] = mapped_column(String(40))
    headline: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    instruction: Mapped[str] = mapped_column(Text, default="")
    area: Mapped[dict[str, Any]] = mapped_column(JSONType)  # description, polygons, circles, divisions
    status: Mapped[str] = mapped_column(String(16), index=True)  # active | cancelled
    msg_type: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer, default=1)
    references: Mapped[list[str]] = mapped_column(JSONType, default=list)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cap_xml: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    divisions: Mapped[list[WarningDivision]] = relationship(
        back_populates="warning", cascade="all, delete-orphan", lazy="selectin", order_by="WarningDivision.code"
    )


class WarningDivision(Base):
    __tablename__ = "warning_divisions"

    warning_id: Mapped[int] = mapped_column(ForeignKey("public_warnings.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), primary_key=True, index=True)
    warning: Mapped[PublicWarning] = relationship(back_populates="divisions")


class WarningDelivery(IdKey, Base):
    """A receipt: one delivery attempt of a warning to one recipient over one channel."""

    __tablename__ = "warning_deliveries"

    warning_id: Mapped[int] = mapped_column(ForeignKey("public_warnings.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # webhook | mqtt | smtp | sms
    recipient: Mapped[str] = mapped_column(String(300))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    delivered: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[str] = mapped_column(Text, default="")


class WarningOfficial(IdKey, Base):
    """A responsible official (责任人) of a division, called when a warning covers it."""

    __tablename__ = "warning_officials"

    name: Mapped[str] = mapped_column(String(100))
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    superior_id: Mapped[int | None] = mapped_column(ForeignKey("warning_officials.id"))
    contact: Mapped[str] = mapped_column(String(300), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    # No longer responsible: never called again; past calls keep naming them (dash_0003).
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class WarningCall(IdKey, Base):
    """叫应: an official called for a warning; acknowledged, or escalated to their superior."""

    __tablename__ = "warning_calls"
    __table_args__ = (UniqueConstraint("warning_id", "official_id", name="uq_warning_calls_warning_official"),)

    warning_id: Mapped[int] = mapped_column(ForeignKey("public_warnings.id", ondelete="CASCADE"), index=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("warning_officials.id"))
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    called_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
