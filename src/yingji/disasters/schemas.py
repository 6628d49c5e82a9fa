"""What the disaster statistics API accepts and returns."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yingji.api_common import ApiDateTime

ReportType = Literal["initial", "follow_up", "verified"]
Kind = Literal["earthquake", "flood", "geological_hazard", "forest_grassland_fire", "drought", "typhoon", "snow_ice"]
CODE = r"^\d{12}$"
REVIEW_AT_ONCE = 200  # reports one "accept selected" may name


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: Kind
    division_code: str = Field(pattern=CODE, description="The division the event is declared over.")
    started_at: ApiDateTime
    glide: str | None = Field(
        default=None, pattern=r"^[A-Z]{2}-\d{4}-\d{6}-[A-Z]{3}$", description="GLIDE number, e.g. FL-2026-000123-CHN."
    )
    incident_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The incident whose figures the accepted totals update."
    )


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    glide: str | None
    division_code: str
    incident_id: int | None
    started_at: dt.datetime
    stabilised_on: dt.date | None = Field(
        description="The day (北京时间) the disaster stabilised: 核报 are due after it. For a county user, its "
        "county's own day when recorded; otherwise the event-wide day (of every county without a day of its own)."
    )
    created_at: dt.datetime
    stabilised_counties: list[CountyStabilisedRead] = Field(
        default_factory=list, description="The counties' own days the caller covers (each overrides the event's)."
    )


class CountyStabilisedRead(BaseModel):
    county_code: str
    on: dt.date = Field(description="The day (北京时间) the county stabilised: its townships' 核报 are due after it.")


class StabilisedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: dt.date = Field(
        description="The day (北京时间) the disaster stabilised (灾情稳定): from the event's start day to today."
    )


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    township_code: str = Field(pattern=CODE)
    report_type: ReportType
    figures: dict[str, Any] = Field(max_length=64, description="Indicator code → non-negative integer.")
    explanation: str = Field(default="", max_length=4000, description="Needed for a jump or drop beyond the ratio.")


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["accept", "return"]
    reason: str = Field(default="", max_length=2000, description="Required when returning a report.")


class ReviewManyIn(ReviewIn):
    report_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        min_length=1, max_length=REVIEW_AT_ONCE, description="The reports to review, each once (a queue's selection)."
    )

    @field_validator("report_ids")
    @classmethod
    def _each_once(cls, ids: list[int]) -> list[int]:
        if len(set(ids)) != len(ids):
            raise ValueError("a report is named more than once")
        return ids


class ReviewOutcome(BaseModel):
    report_id: int
    status: int = Field(description="What this report's own review would have answered: 200, 403, 404 or 409.")
    code: str | None = Field(default=None, description="The error's code when refused (not_found, conflict, …).")
    detail: str | None = Field(default=None, description="Why it was refused.")
    report: ReportRead | None = Field(default=None, description="The report as reviewed.")


class ReviewManyRead(BaseModel):
    results: list[ReviewOutcome] = Field(description="One per report named, in the order named.")


class ReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    township_code: str
    county_code: str
    report_type: str
    figures: dict[str, int]
    explanation: str
    findings: list[dict[str, Any]]
    status: str
    return_reason: str
    reviews: list[dict[str, Any]]
    corrects_id: int | None
    submitted_by: str
    submitted_at: dt.datetime


class TotalsRead(BaseModel):
    event_id: int
    totals: dict[str, dict[str, int]]
    relief_response: dict[str, dict[str, Any]] = Field(
        description="Per province covered: the national relief response level its totals trigger."
    )


class MissingRead(BaseModel):
    event_id: int
    report_type: ReportType
    townships: list[str]
