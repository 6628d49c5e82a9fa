"""Request and response bodies of the relief API (bounded: a plan has at most 500 places)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from yingji.schemas_common import RowId, Schema

PlaceId = Annotated[str, Field(min_length=1, max_length=100)]
Lon = Annotated[float, Field(ge=-180, le=180)]
Lat = Annotated[float, Field(ge=-90, le=90)]


class DemandLine(Schema):
    place: PlaceId
    lon: Lon
    lat: Lat
    item: Annotated[str, Field(min_length=1, max_length=64)]
    quantity: Annotated[int, Field(ge=1, le=1_000_000_000)]


class DisplacedGroup(Schema):
    place: PlaceId
    lon: Lon
    lat: Lat
    displaced: Annotated[int, Field(ge=1, le=10_000_000)]


class TeamNeed(Schema):
    """A site needing rescue teams of one capability (e.g. collapse search in the golden 72 hours)."""

    place: PlaceId
    lon: Lon
    lat: Lat
    capability: Annotated[str, Field(min_length=1, max_length=32)]
    teams: Annotated[int, Field(ge=1, le=100)] = 1
    deadline_hours: Annotated[float, Field(gt=0, le=720)] = 72.0


class PlanIn(Schema):
    """Exactly one source of demand: ``incident_id`` (its relocated / needing-assistance figure),
    ``assessment_id`` (displaced people per township of a stored earthquake assessment), or explicit
    ``demands`` (item quantities per place) and/or ``displaced`` (people per place → needs)."""

    incident_id: RowId | None = None
    assessment_id: RowId | None = None
    demands: list[DemandLine] = Field(default_factory=list, max_length=2000)
    displaced: list[DisplacedGroup] = Field(default_factory=list, max_length=500)
    division_code: Annotated[str, Field(pattern=r"^\d{12}$")] | None = None
    days: Annotated[int, Field(ge=1, le=30)] = 3
    month: Annotated[int, Field(ge=1, le=12)] | None = None
    horizon_hours: Annotated[float, Field(gt=0, le=720)] | None = None
    title: Annotated[str, Field(max_length=200)] = ""
    shelters: Literal["all", "open"] = "all"  # all: closed shelters are proposed for opening too
    team_needs: list[TeamNeed] = Field(default_factory=list, max_length=200)
    standby_hours: Annotated[float, Field(ge=0, le=72)] = 0.0  # a standby team leaves this much later
    vehicles: bool = Field(False, description="Ship only what the registered trucks can carry (HiGHS MILP)")

    @model_validator(mode="after")
    def _one_source(self) -> PlanIn:
        sources = [self.incident_id is not None, self.assessment_id is not None,
                   bool(self.demands or self.displaced)]  # fmt: skip
        if sum(sources) != 1:
            raise ValueError("give exactly one of incident_id, assessment_id, or demands/displaced")
        return self


class PlanSummary(Schema):
    id: int
    division_code: str
    source: str
    incident_id: int | None
    assessment_id: int | None
    title: str
    status: str
    solver_status: str
    method: str
    objective: float
    total_need: int
    total_unmet: int
    created_by: str
    created_at: dt.datetime
    committed_at: dt.datetime | None


class PlanRead(PlanSummary):
    parameters: dict[str, Any]
    places: list[dict[str, Any]]
    depots: list[dict[str, Any]]
    shipments: list[dict[str, Any]]
    unmet: list[dict[str, Any]]
    baseline: dict[str, Any]
    shelters: dict[str, Any]
    teams: dict[str, Any] | None = None
    commit_result: dict[str, Any] | None
    committed_by: str | None


class FlowCollection(Schema):
    type: str = "FeatureCollection"
    features: list[dict[str, Any]]


class RoadImport(Schema):
    """A road network as a GeoJSON FeatureCollection of LineString / MultiLineString features; speed from
    ``properties.speed_kmh`` or the class (``highway``, ``fclass``, ``class`` or ``road_class``) by
    ``standards/road_speeds.yaml``. Every feature is checked before anything is stored."""

    network: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\s/]+$")]
    division_code: Annotated[str, Field(pattern=r"^\d{12}$")] | None = None
    geojson: dict[str, Any]


class RoadImported(Schema):
    network: str
    division_code: str
    segments: int
    length_km: float


class RoadCut(Schema):
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class RoadSegmentRead(Schema):
    id: int
    network: str
    feature_id: str
    division_code: str
    road_class: str
    speed_kmh: float
    length_km: float
    is_cut: bool
    cut_reason: str
    cut_at: dt.datetime | None
    cut_by: str | None
