"""Reserves registries (应急资源): depots and their stock ledger, transfers, shelters, rescue teams,
vehicles and aircraft.

Every row carries ``division_code``: the division it is registered at (its jurisdiction). Stock is
never a column that is edited: it is the sum of :class:`StockMovement` rows (the ledger).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yingji.db import Base, Created, IdKey, JSONType, Updated, UTCDateTime, utcnow


def _division() -> Mapped[str]:
    return mapped_column(String(12), ForeignKey("divisions.code"), index=True)


class Registered(Created, Updated):
    """What every registry row (depot, shelter, team, vehicle) ends with: where it came from (an import's
    file, empty when entered by hand) and when it was registered and last changed."""

    source: Mapped[str] = mapped_column(String(200), default="")


class Depot(IdKey, Registered, Base):
    """A relief-supply depot (救灾物资储备库/点) of one reserve level (中央/省/市/县/乡)."""

    __tablename__ = "depots"

    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16), index=True)  # central|provincial|city|county|township
    division_code: Mapped[str] = _division()
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    capacity_m3: Mapped[float | None] = mapped_column(Float)
    floor_area_m2: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(300), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class StockMovement(IdKey, Base):
    """One line of a depot's stock ledger (库存台账). ``delta`` is signed: receipts and transfers in are
    positive, issues, transfers out and expiries negative, adjustments either. Never updated."""

    __tablename__ = "stock_movements"

    depot_id: Mapped[int] = mapped_column(Integer, ForeignKey("depots.id", ondelete="RESTRICT"), index=True)
    division_code: Mapped[str] = _division()
    item: Mapped[str] = mapped_column(String(64))
    batch: Mapped[str] = mapped_column(String(64), default="")
    expiry: Mapped[dt.date | None] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # receive|issue|transfer_out|transfer_in|adjust|expire
    delta: Mapped[int] = mapped_column(Integer)
    transfer_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("transfers.id"), index=True)
    reference: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100), default="")

    __table_args__ = (Index("ix_stock_movements_depot_item_batch", "depot_id", "item", "batch"),)


class StockMinimum(Base):
    """The minimum level (最低储备量) of one item in one depot; below it the stock is flagged."""

    __tablename__ = "stock_minimums"

    depot_id: Mapped[int] = mapped_column(Integer, ForeignKey("depots.id", ondelete="CASCADE"), primary_key=True)
    item: Mapped[str] = mapped_column(String(64), primary_key=True)
    minimum: Mapped[int] = mapped_column(Integer)
    division_code: Mapped[str] = _division()


class Transfer(IdKey, Created, Base):
    """A transfer order (调拨单) between two depots: created → confirmed (stock moves) or cancelled."""

    __tablename__ = "transfers"

    from_depot_id: Mapped[int] = mapped_column(Integer, ForeignKey("depots.id"), index=True)
    to_depot_id: Mapped[int] = mapped_column(Integer, ForeignKey("depots.id"), index=True)
    division_code: Mapped[str] = _division()  # the sending depot's division (who may confirm)
    to_division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="created")
    reference: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(100))

    lines: Mapped[list[TransferLine]] = relationship(
        back_populates="transfer", order_by="TransferLine.id", cascade="all, delete-orphan"
    )


class TransferLine(IdKey, Base):
    __tablename__ = "transfer_lines"

    transfer_id: Mapped[int] = mapped_column(Integer, ForeignKey("transfers.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(String(64))
    batch: Mapped[str | None] = mapped_column(String(64))  # None: first expiry, first out
    quantity: Mapped[int] = mapped_column(Integer)

    transfer: Mapped[Transfer] = relationship(back_populates="lines")


class StockHold(IdKey, Created, Base):
    """Stock promised to a holder (e.g. ``relief_plan:12``, a committed dispatch plan shipping straight
    from the depot) without a transfer order: it stays on hand, but no plan and no manual issue may take
    it. The holder releases it when the stock leaves (issued) or the promise is dropped."""

    __tablename__ = "stock_holds"

    depot_id: Mapped[int] = mapped_column(Integer, ForeignKey("depots.id"), index=True)
    item: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    holder: Mapped[str] = mapped_column(String(64), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")


class Shelter(IdKey, Registered, Base):
    """An emergency shelter (应急避难场所), class Ⅰ/Ⅱ/Ⅲ per GB 21734-2008."""

    __tablename__ = "shelters"

    name: Mapped[str] = mapped_column(String(200))
    shelter_class: Mapped[str] = mapped_column(String(4))  # I|II|III
    division_code: Mapped[str] = _division()
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    effective_area_m2: Mapped[float] = mapped_column(Float)
    capacity: Mapped[int] = mapped_column(Integer)
    facilities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)
    occupancy: Mapped[int] = mapped_column(Integer, default=0)
    checked_in: Mapped[int] = mapped_column(Integer, default=0)
    checked_out: Mapped[int] = mapped_column(Integer, default=0)
    address: Mapped[str] = mapped_column(String(300), default="")


class RescueTeam(IdKey, Registered, Base):
    """A rescue team (救援队伍): national, fire and rescue, professional (mine, hazmat, water, aviation …)
    or social."""

    __tablename__ = "rescue_teams"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), index=True)  # national|fire_rescue|professional|social
    specialty: Mapped[str] = mapped_column(String(32), default="")
    division_code: Mapped[str] = _division()
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    base: Mapped[str] = mapped_column(String(200), default="")
    headcount: Mapped[int] = mapped_column(Integer)
    capabilities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    equipment: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    readiness: Mapped[str] = mapped_column(String(16), default="ready")  # ready|standby|deployed|unavailable
    contact: Mapped[str] = mapped_column(String(200), default="")


class Vehicle(IdKey, Registered, Base):
    """A vehicle or aircraft with its capacities, based at a depot, a team or a position."""

    __tablename__ = "vehicles"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # truck|van|boat|helicopter|fixed_wing|drone
    division_code: Mapped[str] = _division()
    depot_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("depots.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("rescue_teams.id"), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    payload_kg: Mapped[float] = mapped_column(Float)
    volume_m3: Mapped[float | None] = mapped_column(Float)
    passengers: Mapped[int] = mapped_column(Integer, default=0)
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    range_km: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="available")  # available|in_use|maintenance


class ShelterEvent(IdKey, Base):
    """One check-in or check-out count at a shelter (append-only)."""

    __tablename__ = "shelter_events"

    shelter_id: Mapped[int] = mapped_column(Integer, ForeignKey("shelters.id", ondelete="CASCADE"), index=True)
    division_code: Mapped[str] = _division()
    kind: Mapped[str] = mapped_column(String(16))  # check_in|check_out
    people: Mapped[int] = mapped_column(Integer)
    occupancy_after: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100), default="")
