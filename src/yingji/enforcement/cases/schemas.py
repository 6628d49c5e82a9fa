"""What the inspection and penalty-case API accepts and returns."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from yingji.enforcement import clocks
from yingji.schemas_common import Input, RowId

StepKind = Literal["investigate", "notify", "hearing_waived", "hearing_requested", "hearing_notified", "heard",
                   "extend", "decide", "serve", "execute", "close"]  # fmt: skip


class InspectionIn(Input):
    """From a draw (``draw_id``: the pair drawn for the enterprise) or named (``inspector_ids``, two or more)."""

    enterprise_id: RowId
    inspected_on: dt.date
    draw_id: RowId | None = None
    plan_id: RowId | None = None
    inspector_ids: list[int] = Field([], max_length=10)
    summary: str = Field("", max_length=5000)
    rectification_deadline: dt.date | None = None


class FindingIn(Input):
    text: str = Field(min_length=1, max_length=5000)
    violation: bool = False
    hazard_title: str | None = Field(None, min_length=1, max_length=200, description="report it as a hazard")


class FindingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    inspection_id: int
    text: str
    violation: bool
    hazard_id: int | None
    created_by: str
    created_at: dt.datetime


class InspectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    division_code: str
    enterprise_id: int
    plan_id: int | None
    draw_id: int | None
    inspector_ids: list[int]
    inspected_on: dt.date
    summary: str
    rectification_deadline: dt.date | None
    created_by: str
    created_at: dt.datetime
    findings: list[FindingRead] = []


class FollowUpItemIn(Input):
    """One ordered item (a finding of the inspection) at the follow-up."""

    finding_id: RowId
    rectified: bool
    note: str = Field("", max_length=2000)


class FollowUpIn(Input):
    """A follow-up inspection (复查): every finding of the inspection once; ``open_case`` files a penalty case for
    the items not rectified (otherwise they stay open)."""

    inspected_on: dt.date
    inspector_ids: list[int] = Field(min_length=2, max_length=10)
    summary: str = Field("", max_length=5000)
    items: list[FollowUpItemIn] = Field(min_length=1, max_length=200)
    open_case: bool = False
    case_title: str | None = Field(None, min_length=1, max_length=200)


class FollowUpItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    finding_id: int
    text: str = ""
    rectified: bool
    note: str
    hazard_id: int | None
    hazard_action: str = Field(description="the hazard's move (verify, reject, fail_verification) or empty")


class FollowUpRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    inspection_id: int
    division_code: str
    enterprise_id: int
    inspector_ids: list[int]
    inspected_on: dt.date
    summary: str
    order_number: str = Field("", description="the rectification order's number (责令限期整改指令书)")
    rectification_deadline: dt.date | None = None
    case_id: int | None
    created_by: str
    created_at: dt.datetime
    items: list[FollowUpItemRead] = []


class CaseIn(Input):
    enterprise_id: RowId
    inspection_id: RowId | None = None
    title: str = Field(min_length=1, max_length=200)
    facts: str = Field("", max_length=5000)
    legal_basis: str = Field("", max_length=500)
    filed_on: dt.date


class StepIn(Input):
    kind: StepKind
    on: dt.date
    note: str = Field("", max_length=2000)
    facts: str | None = Field(None, max_length=5000)
    legal_basis: str | None = Field(None, max_length=500)
    proposed_penalty: str | None = Field(None, max_length=500, description="with notify: the penalty proposed")
    decision: str | None = Field(None, max_length=1000, description="with decide: the penalty decided")
    fine_yuan: int | None = Field(None, ge=0, le=1_000_000_000)
    hearing_at: dt.date | None = Field(None, description="with hearing_notified: the day of the hearing")
    approval: str | None = Field(None, max_length=200, description="with extend: who approved")


class EvidenceRead(BaseModel):
    """An evidence file of a case (证据): what, at which stage, its SHA-256, who added it and when."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    stage: str
    description: str
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: dt.datetime


class ClockRead(clocks.ClockState):
    pass  # the clock's own fields, in order (no docstring: it would become the schema's description)


class CaseEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    on: dt.date
    from_state: str
    to_state: str
    note: str
    actor: str
    recorded_at: dt.datetime


class CaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    division_code: str
    enterprise_id: int
    inspection_id: int | None
    title: str
    facts: str
    legal_basis: str
    proposed_penalty: str
    decision: str
    fine_yuan: int | None
    regime_id: str
    state: str
    filed_on: dt.date
    decision_days: int | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    clocks: list[ClockRead] = []
    events: list[CaseEventRead] = []


class InspectionFigures(BaseModel):
    total: int | None
    by_category: dict[str, int | None] = Field(description="by the enterprise's supervision category")
    findings: int | None
    violations: int | None
    hazards_reported: int | None


class CaseFigures(BaseModel):
    total: int | None
    by_category: dict[str, int | None]
    by_state: dict[str, int | None]
    fined: int | None
    fines_total_yuan: int | None = Field(description="withheld over fewer than suppressed_below fined cases")
    median_days_to_decision: float | None
    median_days_to_close: float | None


class DivisionFigures(BaseModel):
    code: str
    name: str
    inspections: int | None
    cases: int | None


class EnforcementStatistics(BaseModel):
    """Public figures; a count from 1 to ``suppressed_below`` − 1 is withheld (null), and so are enough other
    cells of a breakdown that no withheld one can be had back from the total."""

    division: str
    year: int | None
    suppressed_below: int
    inspections: InspectionFigures
    cases: CaseFigures
    by_division: list[DivisionFigures] = Field(description="the divisions one level below (provinces by default)")
