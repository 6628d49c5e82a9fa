"""Monitoring in the database: sites, sensors, their rules, readings, the engine state, alarms with
their history, and dead letters.

Jurisdiction: every row carries (or reaches through its site) the site's ``division_code``.
Times of readings are epoch milliseconds (the rule engine's unit); alarm times are UTC timestamps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yingji.db import Base, Created, IdKey, JSONType, UTCDateTime, utcnow


class MonitoredSite(IdKey, Created, Base):
    """A monitored site (enterprise installation, mine, tailings dam, gauge …) and its rule set."""

    __tablename__ = "monitored_sites"
    # A site code is unique within its division only: a code another county uses is free here, so a
    # refusal never tells a county what exists outside it (docs/security.md, "Uniqueness that reveals
    # nothing"). Sensor codes stay national: they are device identities (see ``MonitoredSensor``).
    __table_args__ = (UniqueConstraint("division_code", "code", name="uq_monitored_sites_division_code"),)

    code: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(32))
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    rules_yaml: Mapped[str | None] = mapped_column(Text)  # as the bureau wrote it
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)  # validated, templates expanded
    source: Mapped[str] = mapped_column(String(200), default="")

    sensors: Mapped[list[MonitoredSensor]] = relationship(
        back_populates="site", cascade="all, delete-orphan", lazy="selectin", order_by="MonitoredSensor.code"
    )

    @property
    def rule_ids(self) -> list[str]:
        """The ids of the site's rules, in order."""
        return [str(r.get("id")) for r in self.rules or []]


class MonitoredSensor(IdKey, Base):
    """A sensor; its code is the device identity readings arrive under (MQTT, NATS, HTTP), unique in the
    deployment. A new code lies in the namespace of its site's division (``sites.service.sensor_code_problem``)."""

    __tablename__ = "monitored_sensors"

    code: Mapped[str] = mapped_column(String(128), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("monitored_sites.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(32), default="")
    range_low: Mapped[float | None] = mapped_column(Float)
    range_high: Mapped[float | None] = mapped_column(Float)

    site: Mapped[MonitoredSite] = relationship(back_populates="sensors")


class EngineState(Base):
    """The rule engine's checkpoint of one site (HTTP ingestion resumes from it)."""

    __tablename__ = "monitoring_engine_states"

    site_id: Mapped[int] = mapped_column(ForeignKey("monitored_sites.id", ondelete="CASCADE"), primary_key=True)
    checkpoint: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SensorReading(Base):
    """An accepted reading (the first delivery of a sensor and timestamp)."""

    __tablename__ = "sensor_readings"

    sensor_id: Mapped[int] = mapped_column(ForeignKey("monitored_sensors.id", ondelete="CASCADE"), primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # epoch ms
    value: Mapped[float] = mapped_column(Float)


class Alarm(IdKey, Base):
    """One alarm occurrence, raise to clear, with its ISA-18.2 lifecycle state (``lifecycle``: the
    :class:`yingji.monitoring.lifecycle.AlarmState` fields; the columns mirror what lists filter on).
    A rule, sensor and raise time identify it: a repeated delivery never makes a second row."""

    __tablename__ = "alarms"
    __table_args__ = (UniqueConstraint("rule", "sensor_code", "raised_at", name="uq_alarms_occurrence"),)

    site_id: Mapped[int] = mapped_column(ForeignKey("monitored_sites.id", ondelete="CASCADE"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    sensor_code: Mapped[str] = mapped_column(String(128))
    rule: Mapped[str] = mapped_column(String(120))
    priority: Mapped[str] = mapped_column(String(8))
    colour: Mapped[str | None] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(24), index=True)
    active: Mapped[bool] = mapped_column(Boolean, index=True)
    shelved: Mapped[bool] = mapped_column(Boolean, default=False)
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    lifecycle: Mapped[dict[str, Any]] = mapped_column(JSONType)
    incident_id: Mapped[int | None] = mapped_column(Integer, index=True)

    events: Mapped[list[AlarmEventRow]] = relationship(
        back_populates="alarm", cascade="all, delete-orphan", lazy="selectin", order_by="AlarmEventRow.id"
    )


class AlarmEventRow(IdKey, Base):
    """The history of an alarm: raised, cleared, acknowledged, shelved, notes, re-annunciations …"""

    __tablename__ = "alarm_events"

    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text, default="")

    alarm: Mapped[Alarm] = relationship(back_populates="events")


class DeadLetterRow(IdKey, Base):
    """A rejected input with its reason; ``division_code`` is the submitter's (or the sensor's site's)."""

    __tablename__ = "monitoring_dead_letters"

    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(16))  # http | mqtt | nats
    reason: Mapped[str] = mapped_column(String(32), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[str] = mapped_column(Text, default="")
