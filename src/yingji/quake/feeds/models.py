"""Earthquakes seen in catalogue feeds (地震目录自动触发): one row per earthquake, whatever the number of
feeds reporting it, with every version of its origin that was assessed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yingji.db import Base, IdKey, JSONType, UTCDateTime


class FeedEarthquake(IdKey, Base):
    """An earthquake from the feeds. ``reports`` maps each feed key ("usgs:us6000pi9w") to the origin it
    last gave; ``versions`` lists every origin that was assessed, oldest first, with its assessment id
    (the stored assessments are kept: a revision adds one, it never overwrites)."""

    __tablename__ = "quake_feed_earthquakes"

    origin_time: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    depth_km: Mapped[float] = mapped_column(Float)
    magnitude: Mapped[float] = mapped_column(Float)
    magnitude_type: Mapped[str] = mapped_column(String(2))
    place: Mapped[str] = mapped_column(String(200), default="")
    reports: Mapped[dict[str, Any]] = mapped_column(JSONType)
    versions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    assessment_id: Mapped[int | None] = mapped_column(Integer)
    incident_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # assessed | out_of_area | below_threshold | failed
    note: Mapped[str] = mapped_column(String(500), default="")
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
