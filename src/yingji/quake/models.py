"""Stored earthquake assessments (地震灾害快速评估记录)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yingji.db import Base, CoversDivisions, IdKey, JSONType, UTCDateTime, utcnow


class QuakeAssessment(IdKey, CoversDivisions, Base):
    """One run of the rapid assessment: its inputs, its results (the engine's JSON), the zones as GeoJSON
    and the divisions it affects.

    ``division_code`` is the county of the epicentre (the country root when the epicentre lies in no
    loaded county boundary). ``incident_id`` is the incident the assessment is attached to, if any — an
    integer without a foreign key, so the quake branch of the migrations stands alone.
    """

    __tablename__ = "assessments"

    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    depth_km: Mapped[float] = mapped_column(Float)
    magnitude: Mapped[float] = mapped_column(Float)
    magnitude_type: Mapped[str] = mapped_column(String(2))
    origin_time: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    assessed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    max_intensity: Mapped[float] = mapped_column(Float)
    expected_deaths: Mapped[float] = mapped_column(Float)
    response_level: Mapped[int | None] = mapped_column(Integer)
    population_source: Mapped[str] = mapped_column(String(200))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONType)
    results: Mapped[dict[str, Any]] = mapped_column(JSONType)
    zones: Mapped[dict[str, Any]] = mapped_column(JSONType)  # GeoJSON FeatureCollection
    exposure_by_division: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    incident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    divisions: Mapped[list[AssessmentDivision]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", lazy="selectin", order_by="AssessmentDivision.code"
    )


class AssessmentDivision(Base):
    """A division the assessment affects (shaken at VI or more, or holding the epicentre): the rows
    jurisdiction is checked against — users of each of these divisions can read the assessment."""

    __tablename__ = "assessment_divisions"

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), primary_key=True, index=True)
    assessment: Mapped[QuakeAssessment] = relationship(back_populates="divisions")
