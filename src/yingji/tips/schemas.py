"""What the tips API accepts and returns. The public status (:class:`TipStatus`) carries no field that could
identify the reporter; only :class:`TipDetail` with the identity permission does."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from yingji.api_common import Schema
from yingji.incidents.incident_types import IncidentType
from yingji.schemas_common import RowId
from yingji.tips import categories, handling

DivisionCode = Annotated[str, Field(pattern=r"^\d{6}(\d{6})?$", description="6- or 12-digit division code")]


class TipIn(Schema):
    category: str = Field(max_length=32, description="A category of standards/tip_categories.yaml, e.g. work_safety")
    text: str = Field(min_length=1, max_length=5000)
    division: DivisionCode | None = None
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    anonymous: bool = True
    name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=32, pattern=r"^[0-9+\- ()]{3,32}$")

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in categories.names():
            raise ValueError(f"unknown category; one of {', '.join(categories.names())}")
        return value

    @field_validator("name", "phone", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _place_and_identity(self) -> TipIn:
        if self.division is None and (self.lon is None or self.lat is None):
            raise ValueError("give a division code, or both lon and lat")
        if not self.anonymous and not (self.name and self.phone):
            raise ValueError("a named tip needs name and phone (or send it anonymous)")
        return self


class TipReceipt(Schema):
    tracking_code: str = Field(description="Keep it: the only way to follow the tip (shown once)")
    status: str
    created_at: dt.datetime


class MessageRead(Schema):
    sender: str  # staff | reporter
    text: str
    at: dt.datetime


class RewardPublic(Schema):
    """A reward as the tracking code's holder sees it: the amount and where it stands."""

    amount_yuan: int
    status: str  # proposed | approved | claimed | paid


class TipStatus(Schema):
    """The public view by tracking code: no name, phone, text, place point or photo. The messages exchanged
    through the code and the reply on the outcome are shown to the code's holder."""

    status: str
    category: str
    division_code: str
    division_name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    outcome: str = ""
    reply: str = ""
    messages: list[MessageRead] = Field(default_factory=list)
    reward: RewardPublic | None = Field(default=None, description="The reward once approved (举报奖励)")


class MessageIn(Schema):
    text: str = Field(min_length=1, max_length=2000)


class ActionIn(Schema):
    action: Literal["accept", "reject", "assign", "extend", "verify", "close"]
    assignee: str | None = Field(None, max_length=100)
    outcome: Literal["substantiated", "partly", "unsubstantiated"] | None = None
    reply: str | None = Field(None, max_length=2000, description="the reply on the outcome, shown to the reporter")
    reason: str = Field("", max_length=500)


class PromoteIn(Schema):
    to: Literal["hazard", "case", "incident"]
    enterprise_id: RowId | None = Field(default=None, description="hazard and case: the enterprise")
    title: str = Field(min_length=1, max_length=200)
    incident_type: IncidentType | None = Field(default=None, description="incident: its type (Command)")
    lon: float | None = Field(default=None, ge=-180, le=180, description="incident: where, if the tip has no point")
    lat: float | None = Field(default=None, ge=-90, le=90)

    @model_validator(mode="after")
    def _what_each_needs(self) -> PromoteIn:
        if self.to in ("hazard", "case") and self.enterprise_id is None:
            raise ValueError(f"a {self.to} needs enterprise_id")
        if self.to == "incident" and self.incident_type is None:
            raise ValueError("an incident needs incident_type")
        if (self.lon is None) != (self.lat is None):
            raise ValueError("give both lon and lat, or neither")
        return self


class ClockRead(Schema, handling.Clock):
    pass  # the clock's own fields, in order (no docstring: it would become the schema's description)


class DivisionCount(Schema):
    code: str
    name: str
    count: int | None


class TipStatistics(Schema):
    """Public counts; a count between 1 and ``suppressed_below`` − 1 is withheld (null), and so are enough other
    cells of a breakdown that no withheld one can be had back from the total."""

    division: str
    total: int | None
    by_category: dict[str, int | None]
    by_status: dict[str, int | None]
    by_outcome: dict[str, int | None]
    by_division: list[DivisionCount] = Field(
        default_factory=list, description="by the divisions one level below (provinces by default)"
    )
    median_days_to_close: float | None = Field(
        default=None, description="Median days from receipt to closing (withheld over fewer than suppressed_below)"
    )
    median_days_to_close_by_category: dict[str, float | None] = Field(default_factory=dict)
    suppressed_below: int


class PhotoRead(Schema):
    position: int
    sha256: str
    media_type: str
    size: int
    width: int
    height: int


class TipRead(Schema):
    id: int
    category: str
    text: str
    division_code: str
    lon: float | None
    lat: float | None
    anonymous: bool
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime
    photos: list[PhotoRead]
    assigned_to: str = ""
    accepted_on: dt.date | None = None
    extended: bool = False
    closed_on: dt.date | None = None
    outcome: str = ""
    reply: str = ""
    hazard_id: int | None = None
    case_id: int | None = None
    incident_id: int | None = None
    clocks: list[ClockRead] = Field(default_factory=list)


class ReporterRead(Schema):
    """Who reported a named tip: only for the tips:identity permission, each disclosure audited."""

    anonymous: bool
    name: str | None
    phone: str | None


class RewardIn(Schema):
    kind: Literal["violation", "concealed_accident"] = Field(
        description="violation: 15 % of the fine (the promoted case's, unless fine_yuan is given); "
        "concealed_accident: per concealed death by the accident's grade"
    )
    fine_yuan: int | None = Field(default=None, ge=0, le=10_000_000_000)
    deaths: int | None = Field(default=None, ge=1, le=100_000)
    grade: Literal["general", "larger", "major", "especially_major"] | None = None


class RewardRead(Schema):
    kind: str
    amount_yuan: int
    basis: str
    status: str
    proposed_by: str
    proposed_at: dt.datetime
    approved_by: str
    approved_at: dt.datetime | None
    claimed_at: dt.datetime | None
    paid_by: str
    paid_at: dt.datetime | None
    payment_ref: str


class RewardClaimIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    phone: str = Field(max_length=32, pattern=r"^[0-9+\- ()]{3,32}$")


class RewardPayIn(Schema):
    payment_ref: str = Field(min_length=1, max_length=100, description="The payment's reference (voucher number)")


class RewardPaid(RewardRead):
    """The payment record with the claimant, shown to the paying officer only (the view is audited)."""

    claimant_name: str | None
    claimant_phone: str | None
