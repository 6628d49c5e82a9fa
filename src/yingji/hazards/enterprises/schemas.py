"""What the enterprise API and import accept and return."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yingji.geo.codes import CodeError, normalise_code
from yingji.hazards import credit_code
from yingji.schemas_common import Input

SUPERVISION_CATEGORIES = ("危险化学品", "工贸", "煤矿", "金属非金属矿山", "烟花爆竹", "其他")
RiskColor = Literal["", "red", "orange", "yellow", "blue"]  # 红 橙 黄 蓝 (四色风险等级)
Status = Literal["active", "suspended", "closed"]
# Columns an import file may have, besides the required name, credit_code and division.
IMPORT_COLUMNS = (
    "name",
    "credit_code",
    "division",
    "industry_code",
    "supervision_category",
    "sub_sector",
    "address",
    "lon",
    "lat",
    "legal_representative",
    "legal_phone",
    "safety_lead",
    "safety_phone",
    "headcount",
    "risk_color",
    "risk_basis",
    "status",
)
REQUIRED_COLUMNS = ("name", "credit_code", "division")


def normalised_division(value: str) -> str:
    """A body's ``division_code``, normalised (yingji.geo.codes); else a 422 saying what is wrong with it."""
    try:
        return normalise_code(value)
    except CodeError as exc:
        raise ValueError(str(exc)) from None


class EnterpriseFields(Input):
    industry_code: str = Field("", pattern=r"^([A-T](\d{2}(\d{1,2})?)?)?$", description="GB/T 4754-2017 code")
    supervision_category: str = Field("", max_length=32)
    sub_sector: str = Field("", max_length=32)
    address: str = Field("", max_length=300)
    lon: float | None = Field(None, ge=73, le=136)
    lat: float | None = Field(None, ge=3, le=54)
    legal_representative: str = Field("", max_length=50)
    legal_phone: str = Field("", max_length=30, pattern=r"^[0-9+\- ]*$")
    safety_lead: str = Field("", max_length=50)
    safety_phone: str = Field("", max_length=30, pattern=r"^[0-9+\- ]*$")
    headcount: int | None = Field(None, ge=0, le=10_000_000)
    risk_color: RiskColor = ""
    risk_basis: str = Field("", max_length=500)
    status: Status = "active"

    @field_validator("supervision_category")
    @classmethod
    def _category(cls, value: str) -> str:
        if value and value not in SUPERVISION_CATEGORIES:
            raise ValueError(f"one of {', '.join(SUPERVISION_CATEGORIES)}")
        return value


class EnterpriseIn(EnterpriseFields):
    name: str = Field(min_length=1, max_length=200)
    credit_code: str = Field(max_length=18, description="统一社会信用代码 (GB 32100-2015), check digit verified")
    division_code: str = Field(max_length=12, description="6- or 12-digit division code")

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, value: str) -> str:
        try:
            return credit_code.normalise(value)
        except credit_code.CreditCodeError as exc:
            raise ValueError(str(exc)) from None

    _division = field_validator("division_code")(normalised_division)


class EnterprisePatch(EnterpriseFields):
    name: str | None = Field(None, min_length=1, max_length=200)


class EnterpriseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    credit_code: str
    division_code: str
    industry_code: str
    supervision_category: str
    sub_sector: str
    address: str
    lon: float | None
    lat: float | None
    legal_representative: str
    legal_phone: str
    safety_lead: str
    safety_phone: str
    headcount: int | None
    risk_color: str
    risk_basis: str
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime


class MemberIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)


class ImportResult(BaseModel):
    created: int
    updated: int
    warnings: list[str] = []
