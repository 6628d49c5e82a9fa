"""What the quake API accepts and returns. Inputs are bounded so that one request stays within seconds:
magnitudes within the models' range, a grid no finer than 0.01°, times within a century."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, field_validator

from yingji.api_common import Schema
from yingji.schemas_common import RowId


class AssessmentIn(Schema):
    """An earthquake to assess. Times default to now; the population is the configured raster, else the
    demo data's settlements."""

    lon: float = Field(ge=-180.0, le=180.0, description="Epicentre longitude (degrees east).")
    lat: float = Field(ge=-90.0, le=90.0, description="Epicentre latitude (degrees north).")
    depth_km: float = Field(ge=0.0, le=700.0, description="Focal depth (km).")
    magnitude: float = Field(ge=4.0, le=8.5, description="Magnitude (the Chinese relations hold for Ms 4–8.5).")
    magnitude_type: Literal["Ms", "Mw"] = "Ms"
    strike_deg: float | None = Field(default=None, ge=0.0, le=360.0, description="Fault strike for the long axis.")
    origin_time: dt.datetime | None = None
    at: dt.datetime | None = Field(default=None, description="Assessment time for the aftershock forecast.")
    region: str | None = Field(default=None, max_length=40, description="Attenuation region override.")
    step_deg: float = Field(default=0.01, ge=0.01, le=0.5, description="Grid step (degrees).")
    loss_intensity: Literal["mmi", "chinese"] | None = Field(
        default=None, description="PAGER's China curve on this scale instead of the calibrated default model."
    )
    model: str | None = Field(default=None, max_length=40, description="Deaths model (default: the calibrated one).")
    temperature_c: float | None = Field(default=None, ge=-60.0, le=60.0)
    aftershock_set: str | None = Field(default=None, max_length=60)
    incident_id: RowId | None = Field(default=None, description="Attach to (and update) this incident.")
    create_incident: bool = Field(default=False, description="Create an earthquake incident for the assessment.")

    @field_validator("origin_time", "at")
    @classmethod
    def _aware_and_plausible(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the time must carry its UTC offset")
        if not 1900 <= value.astimezone(dt.UTC).year <= 2200:
            raise ValueError("the time must lie between 1900 and 2200")
        return value


class DivisionExposure(Schema):
    code: str
    name: str
    level: str
    max_degree: int
    people_by_degree: dict[str, float]
    people_vi_plus: float


class AssessmentSummary(Schema):
    id: int
    division_code: str
    lon: float
    lat: float
    depth_km: float
    magnitude: float
    magnitude_type: str
    origin_time: dt.datetime
    assessed_at: dt.datetime
    max_intensity: float
    expected_deaths: float
    response_level: int | None
    population_source: str
    incident_id: int | None
    created_by: str
    created_at: dt.datetime


class AssessmentOut(AssessmentSummary):
    divisions: list[str]
    inputs: dict[str, Any]
    results: dict[str, Any]
    exposure_by_division: list[DivisionExposure]
