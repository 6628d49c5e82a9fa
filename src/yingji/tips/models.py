"""Tables of public tips (举报): the tip, and its photos (files on disk, named by content hash)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yingji.db import Base, IdKey, Logged, UTCDateTime, utcnow


class Tip(IdKey, Base):
    """A report from the public. Only the SHA-256 of its tracking code is kept; the reporter's name and
    phone only when the tip is not anonymous."""

    __tablename__ = "tips"

    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(Text)
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="received")  # received|accepted|verified|closed
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Handling (staff): who handles it, the clock days, the outcome and the public reply (seen by the code holder).
    assigned_to: Mapped[str] = mapped_column(String(100), default="")
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(32), default="")  # substantiated | partly | unsubstantiated | rejected
    reply: Mapped[str] = mapped_column(Text, default="")
    hazard_id: Mapped[int | None] = mapped_column(Integer)  # promoted to a hazard (work-safety register)
    case_id: Mapped[int | None] = mapped_column(Integer)  # promoted to a penalty case (enforcement)
    incident_id: Mapped[int | None] = mapped_column(Integer)  # promoted to an incident (Command)

    photos: Mapped[list[TipPhoto]] = relationship(
        back_populates="tip", order_by="TipPhoto.position", cascade="all, delete-orphan"
    )


class TipPhoto(IdKey, Base):
    __tablename__ = "tip_photos"

    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(200))  # relative to the tips directory
    media_type: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)

    tip: Mapped[Tip] = relationship(back_populates="photos")


class TipMessage(IdKey, Logged, Base):
    """A message between staff and the reporter, exchanged through the tracking code alone (no identity);
    its ``actor`` is the staff user, or "reporter"."""

    __tablename__ = "tip_messages"

    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(16))  # staff | reporter
    text: Mapped[str] = mapped_column(Text)


class TipReward(IdKey, Base):
    """The reward of a tip (举报奖励), one per tip: proposed (amount and basis) → approved (a second person) →
    claimed (by the tracking code's holder, with the name and phone to pay) → paid (the payment record).
    The claimant's name and phone are read only by the paying officer, at payout, audited."""

    __tablename__ = "tip_rewards"

    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # violation | concealed_accident (standards/tips/rewards.yaml)
    amount_yuan: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="proposed")  # proposed|approved|claimed|paid
    proposed_by: Mapped[str] = mapped_column(String(100))
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by: Mapped[str] = mapped_column(String(100), default="")
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimant_name: Mapped[str | None] = mapped_column(String(100))
    claimant_phone: Mapped[str | None] = mapped_column(String(32))
    paid_by: Mapped[str] = mapped_column(String(100), default="")
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    payment_ref: Mapped[str] = mapped_column(String(100), default="")
