"""What the hazard API accepts and returns."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from yingji.schemas_common import Input, RowId

Source = Literal["self_check", "inspection", "tip", "monitoring", "other"]
ListedLevel = Literal["province", "prefecture", "county"]


class HazardIn(Input):
    enterprise_id: RowId
    installation_id: RowId | None = None
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    source: Source = "self_check"


class PlanIn(Input):
    """整改方案; for a major hazard all five are required (五落实)."""

    responsible: str = Field("", max_length=100)  # 责任落实
    measures: str = Field("", max_length=5000)  # 措施落实
    funds: str = Field("", max_length=200)  # 资金落实
    deadline: dt.datetime | None = None  # 时限落实
    contingency: str = Field("", max_length=5000)  # 预案落实


class ActionIn(Input):
    reason: str = Field("", max_length=2000)
    level: Literal["general", "major"] | None = None  # determine
    items: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list, max_length=20
    )  # determine: item ids cited
    plan: PlanIn | None = None  # plan
    note: str = Field("", max_length=5000)  # progress, completion or verification remarks
    evidence: list[Annotated[str, Field(max_length=300)]] = Field(
        default_factory=list, max_length=20
    )  # file references


class ListingIn(Input):
    """挂牌督办 by a level of government, with its own deadline and public notice text."""

    level: ListedLevel
    deadline: dt.datetime
    notice: str = Field(min_length=1, max_length=5000)


class HazardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    installation_id: int | None
    division_code: str
    supervision_category: str
    title: str
    description: str
    source: str
    state: str
    level: str | None
    items: list[str]
    plan: dict[str, Any]
    deadline: dt.datetime | None
    verified: bool
    listed_level: str
    listed_deadline: dt.datetime | None
    listed_notice: str
    overdue_flagged_at: dt.datetime | None
    reported_at: dt.datetime
    reported_by: str
    closed_at: dt.datetime | None
    allowed_actions: list[str] = []


class HazardEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    actor: str
    action: str
    from_state: str
    to_state: str
    reason: str
    data: dict[str, Any]


class BoardRow(BaseModel):
    key: str
    open_major: int
    open_general: int
    overdue: int
    closed: int
    total: int
    closure_rate: float | None
    median_days_to_close: float | None


class TrendMonth(BaseModel):
    month: str  # YYYY-MM, China time
    reported: int
    closed: int


class Board(BaseModel):
    group_by: str
    rows: list[BoardRow]
    trend: list[TrendMonth] = []  # the last months of the whole jurisdiction, oldest first
