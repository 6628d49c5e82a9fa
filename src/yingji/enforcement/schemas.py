"""What the enforcement API accepts and returns: inspectors and recusals, plans, draws."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yingji.hazards.enterprises.schemas import SUPERVISION_CATEGORIES, normalised_division
from yingji.schemas_common import MAX_ID, Input, RowId


class InspectorIn(Input):
    name: str = Field(min_length=1, max_length=50)
    certificate_no: str = Field(min_length=4, max_length=32, pattern=r"^[0-9A-Za-z\-]+$", description="执法证号")
    unit: str = Field("", max_length=100)
    division_code: str = Field(max_length=12, description="6- or 12-digit division code of the bureau")

    _code = field_validator("division_code")(normalised_division)


class InspectorPatch(Input):
    unit: str | None = Field(None, max_length=100)
    active: bool | None = None


class RecusalIn(Input):
    enterprise_id: RowId
    reason: str = Field("", max_length=200)


class RecusalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    inspector_id: int
    enterprise_id: int
    reason: str
    created_at: dt.datetime


class InspectorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    certificate_no: str
    unit: str
    division_code: str
    active: bool
    created_at: dt.datetime
    recusals: list[RecusalRead] = []


class PlanIn(Input):
    division_code: str = Field(max_length=12)
    year: int = Field(ge=2000, le=2100)
    title: str = Field(min_length=1, max_length=200)
    category_counts: dict[str, int] = Field(
        max_length=len(SUPERVISION_CATEGORIES), description="supervision category -> inspections planned this year"
    )
    random_share_pct: int = Field(ge=0, le=100, description="share of each category's count drawn at random")
    key_enterprise_ids: list[int] = Field(
        [], max_length=10_000, description="key enterprises besides those with a major hazard installation"
    )
    include_major_hazards: bool = Field(True, description="every enterprise with a major hazard installation is key")

    _code = field_validator("division_code")(normalised_division)

    @field_validator("category_counts")
    @classmethod
    def _counts(cls, value: dict[str, int]) -> dict[str, int]:
        for category, count in value.items():
            if category not in SUPERVISION_CATEGORIES:
                known = ", ".join(SUPERVISION_CATEGORIES)
                raise ValueError(f"unknown supervision category {category!r}: one of {known}")
            if not 0 <= count <= 1_000_000:
                raise ValueError(f"{category}: the count must lie in 0–1,000,000")
        return value

    @field_validator("key_enterprise_ids")
    @classmethod
    def _ids(cls, value: list[int]) -> list[int]:
        if any(not 1 <= i <= MAX_ID for i in value):
            raise ValueError("enterprise ids are positive 32-bit integers")
        return sorted(set(value))


class PlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    division_code: str
    year: int
    title: str
    category_counts: dict[str, int]
    random_share_pct: int
    key_enterprise_ids: list[int]
    key_rule: str
    created_by: str
    created_at: dt.datetime


class DrawIn(Input):
    reason: str = Field("", max_length=500, description="required for a re-draw: why the earlier draws are set aside")


class PairRead(BaseModel):
    enterprise_id: int
    enterprise_name: str
    inspector_ids: list[int]
    inspector_names: list[str]
    part: str


class DrawRead(BaseModel):
    id: int
    plan_id: int
    division_code: str
    sequence: int
    state: str
    algorithm: str
    seed: str
    seed_source: str
    seed_recorded_at: dt.datetime
    digest: str
    reason: str
    earlier_draw_ids: list[int]
    created_by: str
    created_at: dt.datetime
    published_at: dt.datetime | None
    parts: list[dict[str, Any]]
    pairs: list[PairRead]


class VerifyRead(BaseModel):
    verified: bool
    digest: str
    detail: str
    inputs_current: bool = Field(description="the register today gives the same input lists")


class PublicPair(BaseModel):
    enterprise: str
    inspectors: list[str]  # name (certificate number)
    part: str


class PublicDraw(BaseModel):
    """What the public list shows (公开): who inspects whom, and what anyone needs to check the draw."""

    plan_title: str
    year: int
    division_code: str
    sequence: int
    published_at: dt.datetime
    algorithm: str
    seed: str
    digest: str
    pairs: list[PublicPair]
