"""Request and response bodies of the monitoring API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, model_validator

from yingji.monitoring.registry import SiteKind
from yingji.schemas_common import RowId, Schema

DivisionCode = Annotated[str, Field(pattern=r"^\d{6}(\d{3}){0,2}$")]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f]+$")]
SensorCode = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\s\x00-\x1f]+$")]
RulesYaml = Annotated[str, Field(max_length=100_000)]
Finite = Annotated[float, Field(ge=-1e12, le=1e12, allow_inf_nan=False)]
AlarmState = Literal["normal", "unacknowledged", "acknowledged", "rtn_unacknowledged"]


class SensorIn(Schema):
    code: SensorCode
    quantity: str = Field(min_length=1, max_length=64)
    unit: str = Field(default="", max_length=32)
    range_low: Finite | None = None
    range_high: Finite | None = None

    @model_validator(mode="after")
    def _ordered(self) -> SensorIn:
        if (self.range_low is None) != (self.range_high is None):
            raise ValueError("give both range_low and range_high, or neither")
        if self.range_low is not None and self.range_high is not None and not self.range_low < self.range_high:
            raise ValueError("range_low must be below range_high")
        return self


class SiteIn(Schema):
    code: Code
    name: str = Field(default="", max_length=200)
    kind: SiteKind = "other"
    division_code: DivisionCode
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    sensors: list[SensorIn] = Field(default_factory=list, max_length=1000)
    rules_yaml: RulesYaml | None = None


class SensorRead(Schema):
    id: int
    code: str
    quantity: str
    unit: str
    range_low: float | None
    range_high: float | None


class SiteRead(Schema):
    id: int
    code: str
    name: str
    kind: str
    division_code: str
    lon: float | None
    lat: float | None
    sensors: list[SensorRead]
    rules_yaml: str | None
    rule_ids: list[str]
    created_at: dt.datetime


class RulesIn(Schema):
    rules_yaml: RulesYaml


class RegistryImport(Schema):
    """A registry YAML (sites and sensors, docs/monitoring.md) and optionally a rules YAML attached to
    every imported site."""

    registry_yaml: str = Field(max_length=1_000_000)
    rules_yaml: RulesYaml | None = None


class ImportResult(Schema):
    sites: int
    sensors: int


class IngestResult(Schema):
    readings: int
    duplicates: int
    dead_letters: int
    dead_letter_reasons: dict[str, int]
    alarms_raised: int
    alarms_cleared: int


class DeadLetterRead(Schema):
    id: int
    division_code: str
    received_at: dt.datetime
    channel: str
    reason: str
    detail: str
    raw: str


class AlarmEventRead(Schema):
    at: dt.datetime
    kind: str
    actor: str
    text: str


class AlarmRead(Schema):
    id: int
    site_id: int
    division_code: str
    sensor_code: str
    rule: str
    priority: str
    colour: str | None
    state: str
    active: bool
    shelved: bool
    suppressed: bool
    out_of_service: bool
    raised_at: dt.datetime
    cleared_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    shelved_until: dt.datetime | None
    escalations: int
    incident_id: int | None


class AlarmDetail(AlarmRead):
    events: list[AlarmEventRead]


class AckIn(Schema):
    note: str | None = Field(default=None, max_length=2000)


class ShelveIn(Schema):
    minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    one_shot: bool = False
    reason: str = Field(min_length=1, max_length=500)


class FlagIn(Schema):
    on: bool = True
    reason: str = Field(default="", max_length=500)


class NoteIn(Schema):
    text: str = Field(min_length=1, max_length=2000)


class PromoteIn(Schema):
    """Promote to a new incident (``title``, ``incident_type``) or attach to an existing one (``incident_id``)."""

    incident_id: RowId | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)
    incident_type: str | None = Field(default=None, max_length=40)


class ReadingPoint(Schema):
    ts: dt.datetime
    value: float


class FatigueReport(Schema):
    alarms: int
    per_rule: dict[str, int]
    floods: list[dict[str, object]]
    chattering: list[dict[str, object]]
    fleeting: list[dict[str, object]]
    bad_actors: list[dict[str, object]]
