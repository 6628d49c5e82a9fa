"""What the command API and CLI accept and return (pydantic)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field

from yingji.incidents.incident_types import IncidentType
from yingji.incidents.lifecycle import IncidentStatus
from yingji.incidents.metrics import IntervalSummary  # the API answers the computed summary as it is
from yingji.schemas_common import MAX_ID, RowId, Schema

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL characters
DivisionCode = Annotated[str, Field(pattern=r"^\d{6}(\d{3}){0,2}$")]
Title = Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]
Note = Annotated[str, Field(max_length=10_000, pattern=NO_NUL)]
Short = Annotated[str, Field(max_length=100, pattern=NO_NUL)]
Version = Annotated[int, Field(ge=1, le=MAX_ID, description="the version you read (optimistic lock)")]
Count = Annotated[int, Field(ge=0, le=1_000_000_000)]
Lon = Annotated[float, Field(ge=-180, le=180)]
Lat = Annotated[float, Field(ge=-90, le=90)]
Level = Annotated[int, Field(ge=1, le=4)]


class FiguresIn(Schema):
    """Figures of an incident (all optional; ``null`` = unknown). ``collapsed_rooms``/``collapsed_households``
    count collapsed plus severely damaged (倒塌和严重损坏)."""

    deaths: Count | None = None
    missing: Count | None = None
    injured: Count | None = None
    serious_injuries: Count | None = None
    relocated: Count | None = None
    needing_assistance: Count | None = None
    collapsed_rooms: Count | None = None
    collapsed_households: Count | None = None
    direct_loss_cny: Annotated[float, Field(ge=0, le=1e15)] | None = None
    provincial_gdp_cny: Annotated[float, Field(gt=0, le=1e16)] | None = None
    magnitude: Annotated[float, Field(ge=-2, le=10)] | None = None
    population_density: Literal["dense", "fairly_dense", "sparse"] | None = None
    drought_needing_assistance: Count | None = None
    agricultural_population: Annotated[int, Field(ge=1, le=2_000_000_000)] | None = None


class Polygon(Schema):
    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[Any] = Field(max_length=1000)


class IncidentCreate(Schema):
    title: Title
    incident_type: IncidentType
    divisions: list[DivisionCode] = Field(min_length=1, max_length=50)
    lon: Lon
    lat: Lat
    area: Polygon | None = None
    description: Note = ""
    occurred_at: AwareDatetime
    reported_at: AwareDatetime | None = None
    unit_informed_at: AwareDatetime | None = None
    exercise: bool = False
    figures: FiguresIn = Field(default_factory=FiguresIn)
    figures_source: Short = "initial report"


class IncidentUpdate(Schema):
    version: Version
    title: Title | None = None
    description: Note | None = None
    divisions: list[DivisionCode] | None = Field(default=None, min_length=1, max_length=50)
    lon: Lon | None = None
    lat: Lat | None = None
    area: Polygon | None = None
    occurred_at: AwareDatetime | None = None
    unit_informed_at: AwareDatetime | None = None


class FiguresUpdate(Schema):
    version: Version
    source: Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]
    figures: FiguresIn
    at: AwareDatetime | None = None


class StatusChange(Schema):
    version: Version
    status: IncidentStatus
    reason: Note = ""
    at: AwareDatetime | None = None


class _IncidentHead(Schema):
    # what every answer about an incident starts with (the full record, a row of the list)
    id: int
    title: str
    incident_type: str
    status: str
    exercise: bool
    division_code: str


class IncidentRead(_IncidentHead):
    division_codes: list[str]
    lon: float
    lat: float
    area: dict[str, Any] | None
    description: str
    occurred_at: dt.datetime
    reported_at: dt.datetime
    unit_informed_at: dt.datetime | None
    verified_at: dt.datetime | None
    response_at: dt.datetime | None
    recovering_at: dt.datetime | None
    closed_at: dt.datetime | None
    status_reason: str
    figures: dict[str, Any]
    grade: str | None
    recommended_level: int | None
    leading_government: str | None
    grading_basis: list[dict[str, Any]]
    rules_version: str | None
    response_level: int | None
    version: int
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime


class IncidentSummary(_IncidentHead):
    """A row of the incident list."""

    lon: float
    lat: float
    occurred_at: dt.datetime
    reported_at: dt.datetime
    grade: str | None
    recommended_level: int | None
    response_level: int | None
    version: int


class FigureChangeRead(Schema):
    id: int
    at: dt.datetime
    actor: str
    source: str
    changes: dict[str, Any]


ResponseActionName = Literal["recommend", "activate", "escalate", "de_escalate", "end"]


class ResponseActionIn(Schema):
    version: Version
    action: ResponseActionName
    level: Level | None = None
    reason: Note = ""


class ResponseActionRead(Schema):
    id: int
    action: str
    level: int | None
    previous_level: int | None
    reason: str
    plan_id: str | None
    response_plan_id: int | None = None
    plan_division_code: str | None = None
    actor: str
    at: dt.datetime


class PlanTaskRead(Schema):
    key: str
    title: str
    organisation: str
    due_minutes: int
    level: int


class PlanRead(Schema):
    id: str
    title: str
    incident_types: list[str]
    tasks: list[PlanTaskRead]


TaskStatus = Literal["open", "acknowledged", "in_progress", "done", "cancelled"]


class TaskCreate(Schema):
    title: Title
    description: Note = ""
    organisation_id: RowId | None = None
    team: Short = ""
    assignee_user: Short = ""
    due_at: AwareDatetime | None = None


class TaskUpdate(Schema):
    status: TaskStatus | None = None
    feedback: Note | None = None
    due_at: AwareDatetime | None = None


class TaskRead(Schema):
    id: int
    incident_id: int
    title: str
    description: str
    organisation_id: int | None
    organisation_name: str
    team: str
    assignee_user: str
    due_at: dt.datetime | None
    status: str
    plan_id: str | None
    plan_task_key: str | None
    response_plan_id: int | None = None
    plan_division_code: str | None = None
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    completed_at: dt.datetime | None
    feedback: str
    created_by: str
    created_at: dt.datetime


class TimelineIn(Schema):
    kind: Annotated[str, Field(min_length=1, max_length=48, pattern=r"^[a-z0-9_.:-]+$")] = "note"
    text: Annotated[str, Field(min_length=1, max_length=10_000, pattern=NO_NUL)]


class TimelineRead(Schema):
    id: int
    incident_id: int
    at: dt.datetime
    kind: str
    text: str
    data: dict[str, Any] | None
    actor: str


class SituationReportIn(Schema):
    conditions: Note = ""
    actions: Note = ""
    needs: Note = ""


class SituationReportEdit(SituationReportIn):
    revision: Version


class SituationReportStatus(Schema):
    status: Literal["approved", "published"]
    revision: Version


class SituationReportRead(Schema):
    id: int
    incident_id: int
    number: int
    revision: int
    status: str
    conditions: str
    actions: str
    needs: str
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None
    published_by: str | None
    published_at: dt.datetime | None


class OrganisationIn(Schema):
    name: Title
    kind: Literal["government", "department", "team", "enterprise", "other"] = "department"
    division_code: DivisionCode
    parent_id: RowId | None = None
    phone: Annotated[str, Field(max_length=50, pattern=NO_NUL)] = ""


class ContactIn(Schema):
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]
    position: Short = ""
    phone: Annotated[str, Field(max_length=50, pattern=NO_NUL)] = ""
    mobile: Annotated[str, Field(max_length=50, pattern=NO_NUL)] = ""
    fax: Annotated[str, Field(max_length=50, pattern=NO_NUL)] = ""
    email: Annotated[str, Field(max_length=200, pattern=NO_NUL)] = ""


class ContactRead(Schema):
    id: int
    organisation_id: int
    name: str
    position: str
    phone: str
    mobile: str
    fax: str
    email: str


class OrganisationRead(Schema):
    id: int
    name: str
    kind: str
    division_code: str
    parent_id: int | None
    phone: str
    contacts: list[ContactRead]


class DueReportRead(Schema):
    key: str
    kind: str
    reporter: str
    recipient: str
    due_at: dt.datetime
    done_at: dt.datetime | None
    status: str
    source: dict[str, str]


class ReportMadeIn(Schema):
    key: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]
    made_at: AwareDatetime | None = None


class NotificationRead(Schema):
    id: int
    created_at: dt.datetime
    division_code: str
    kind: str
    text: str
    incident_id: int | None
    duty_item_id: int | None
    data: dict[str, Any] | None


class ShiftIn(Schema):
    division_code: DivisionCode
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    leader: Annotated[str, Field(min_length=1, max_length=100, pattern=NO_NUL)]
    officers: list[Short] = Field(default_factory=list, max_length=20)


class HandoverIn(Schema):
    note: Annotated[str, Field(min_length=1, max_length=10_000, pattern=NO_NUL)]


class ShiftRead(Schema):
    id: int
    division_code: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    leader: str
    officers: list[str]
    handover_note: str
    handed_over_at: dt.datetime | None
    handed_over_by: str | None
    created_by: str


class DutyLogIn(Schema):
    division_code: DivisionCode
    text: Annotated[str, Field(min_length=1, max_length=10_000, pattern=NO_NUL)]
    shift_id: RowId | None = None


class DutyLogRead(Schema):
    id: int
    division_code: str
    shift_id: int | None
    at: dt.datetime
    actor: str
    text: str


class DutyItemIn(Schema):
    division_code: DivisionCode
    received_at: AwareDatetime | None = None
    channel: Literal["phone", "fax", "system", "other"]
    caller: Annotated[str, Field(max_length=200, pattern=NO_NUL)] = ""
    summary: Annotated[str, Field(min_length=1, max_length=10_000, pattern=NO_NUL)]
    lon: Lon | None = None
    lat: Lat | None = None


class DutyActionIn(Schema):
    action: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z_]+$")]
    at: AwareDatetime | None = None


class DutyCloseIn(Schema):
    reason: Annotated[str, Field(min_length=1, max_length=10_000, pattern=NO_NUL)]


class EscalationRead(Schema):
    action: str
    due_at: dt.datetime
    done_at: dt.datetime | None
    status: str


class DutyItemRead(Schema):
    id: int
    division_code: str
    received_at: dt.datetime
    channel: str
    caller: str
    summary: str
    lon: float | None
    lat: float | None
    status: str
    incident_id: int | None
    close_reason: str
    closed_at: dt.datetime | None
    received_by: str
    escalations: list[EscalationRead] = Field(default_factory=list)


class MetricsGroup(Schema):
    incident_type: str | None
    division: str | None
    intervals: dict[str, IntervalSummary]


class MetricsRead(Schema):
    groups: list[MetricsGroup]


# -- grading overrides (overrides.py) -------------------------------------------------------------------


class ThresholdIn(Schema):
    tier: int = Field(ge=1, le=4)
    criterion: str = Field(max_length=64)
    threshold: float | None = Field(default=None, ge=0, description="null removes the national rule")
    population_density: str | None = Field(default=None, max_length=32)
    clause: str = Field(default="", max_length=200)
    status: Literal["V", "P", "U"] | None = None
    text: str = Field(default="", max_length=2000)


class GradingOverrideIn(Schema):
    division_code: str = Field(pattern=r"^\d{12}$", description="the division whose plan this is")
    applies_to: str = Field(min_length=1, max_length=64, description="rule-set id or family name")
    document: str = Field(min_length=1, max_length=500, description="the local plan, e.g. 某县自然灾害救助应急预案")
    status: Literal["V", "P", "U"] = "U"
    thresholds: list[ThresholdIn] = Field(min_length=1, max_length=200)


class GradingOverrideRead(GradingOverrideIn):
    id: int
    active: bool
    created_by: str
    created_at: dt.datetime
    retired_at: dt.datetime | None = None


# -- stored response plans (response_plans.py) ------------------------------------------------------------

PlanText = Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]
PlanKey = Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)]


class PlanTaskIn(Schema):
    key: PlanKey
    title: PlanText
    organisation: PlanText = Field(description="matched by exact name in the organisations directory")
    due_minutes: int = Field(ge=1, le=525_600, description="minutes after activation")


class PlanDocument(Schema):
    """One plan in the ``response_plans.yaml`` entry format."""

    id: PlanKey
    title: PlanText
    incident_types: list[IncidentType] = Field(min_length=1, max_length=len(IncidentType))
    levels: dict[Level, Annotated[list[PlanTaskIn], Field(max_length=200)]] = Field(
        min_length=1, max_length=4, description="response level (1 highest … 4) → its tasks"
    )


class ResponsePlanIn(Schema):
    division_code: str = Field(pattern=r"^\d{12}$", description="the division whose plan this is")
    plan: PlanDocument
    replace: bool = Field(
        default=False,
        description="retire the division's active plans that cover one of these types (or have this id), "
        "instead of refusing with 409",
    )


class ResponsePlanRead(Schema):
    id: int
    division_code: str
    plan_id: str
    title: str
    incident_types: list[str]
    document: PlanDocument
    active: bool
    created_by: str
    created_at: dt.datetime
    retired_at: dt.datetime | None = None


class ResponsePlanCreated(ResponsePlanRead):
    retired: list[int] = Field(default_factory=list, description="plans this one replaced (retired now)")
