"""What the installation API accepts and returns."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from yingji.schemas_common import Input, RowId


class InventoryLineIn(Input):
    substance: str = Field(min_length=1, max_length=200, description="Table 1 name, alias, CAS number or symbol")
    quantity_t: str = Field(pattern=r"^\d{1,9}(\.\d{1,6})?$", description="tonnes, a decimal text (exact)")
    category: str = Field("", max_length=8, description="Table 4 symbol overriding the table's β")


class InstallationIn(Input):
    enterprise_id: RowId
    name: str = Field(min_length=1, max_length=200)
    unit_kind: Literal["production", "storage"] = "storage"
    exposed_people: int = Field(0, ge=0, le=10_000_000)
    lines: list[InventoryLineIn] = Field(default_factory=list, max_length=200)
    monitoring_site: str = Field("", max_length=64)


class InventoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exposed_people: int = Field(ge=0, le=10_000_000)
    lines: list[InventoryLineIn] = Field(max_length=200)


class InstallationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    division_code: str
    name: str
    unit_kind: str
    exposed_people: int
    lines: list[dict[str, Any]]
    s: str
    r: str | None
    major: bool
    grade: int | None
    monitoring_site: str
    updated_at: dt.datetime
    monitoring: dict[str, Any] | None = None  # connected, alive, device alarms (the detail view only)


class AssessmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    actor: str
    lines: list[dict[str, Any]]
    exposed_people: int
    s: str
    r: str | None
    major: bool
    grade: int | None
