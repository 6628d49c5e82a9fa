"""What the reserves API and CLI accept and return."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from yingji.geo.schemas import DivisionFeature, FeatureCollectionOf
from yingji.relief.inputs import CatalogueItem
from yingji.resources.rules import DepotLevel, Readiness, ShelterClass, TeamKind, VehicleKind
from yingji.schemas_common import RowId, Schema

DivisionCode = Annotated[str, StringConstraints(pattern=r"^\d{6}(\d{3}){0,2}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
ShortText = Annotated[str, StringConstraints(max_length=300)]
ItemId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Batch = Annotated[str, StringConstraints(max_length=64)]
Lon = Annotated[float, Field(ge=-180, le=180)]
Lat = Annotated[float, Field(ge=-90, le=90)]
Quantity = Annotated[int, Field(ge=1, le=1_000_000_000)]
Area = Annotated[float, Field(gt=0, le=1e9)]
Amount = Annotated[float, Field(ge=0, le=1e9)]


# -- depots and stock --------------------------------------------------------------------------------


class DepotIn(Schema):
    name: Name
    level: DepotLevel
    division_code: DivisionCode
    lon: Lon
    lat: Lat
    capacity_m3: Amount | None = None
    floor_area_m2: Amount | None = None
    address: ShortText = ""
    contact: Annotated[str, StringConstraints(max_length=200)] = ""


class DepotPatch(Schema):
    name: Name | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    capacity_m3: Amount | None = None
    floor_area_m2: Amount | None = None
    address: ShortText | None = None
    contact: Annotated[str, StringConstraints(max_length=200)] | None = None
    active: bool | None = None


class DepotRead(Schema):
    id: int
    name: str
    level: str
    division_code: str
    lon: float
    lat: float
    capacity_m3: float | None
    floor_area_m2: float | None
    address: str
    contact: str
    active: bool
    source: str
    read_only: bool = False


class BatchRead(Schema):
    batch: str
    expiry: dt.date | None
    quantity: int


class StockLine(Schema):
    item: str
    name_zh: str
    unit: str
    quantity: int
    minimum: int | None
    below_minimum: bool
    volume_m3: float | None = Field(description="Packed volume of the quantity (catalogue volume per unit)")
    weight_kg: float | None
    batches: list[BatchRead]


class DepotStock(Schema):
    depot_id: int
    capacity_m3: float | None
    volume_m3: float = Field(description="Packed volume of all stock on hand")
    over_capacity: bool
    items: list[StockLine]


class MovementIn(Schema):
    kind: Literal["receive", "issue", "adjust", "expire"]
    item: ItemId
    quantity: Annotated[int, Field(ge=-1_000_000_000, le=1_000_000_000)] = Field(
        description="Units of the item; positive, except an adjustment, which carries its sign"
    )
    batch: Batch | None = Field(None, description="Batch; omitted on a withdrawal: first expiry, first out")
    expiry: dt.date | None = None
    reference: Annotated[str, StringConstraints(max_length=200)] = ""
    note: Annotated[str, StringConstraints(max_length=2000)] = ""


class MovementRead(Schema):
    id: int
    depot_id: int
    item: str
    batch: str
    expiry: dt.date | None
    kind: str
    delta: int
    transfer_id: int | None
    reference: str
    note: str
    at: dt.datetime
    actor: str


class MinimumIn(Schema):
    item: ItemId
    minimum: Annotated[int, Field(ge=0, le=1_000_000_000)]


class MinimumRead(Schema):
    depot_id: int
    item: str
    minimum: int


class TransferLineIn(Schema):
    item: ItemId
    quantity: Quantity
    batch: Batch | None = None


class TransferIn(Schema):
    from_depot_id: RowId
    to_depot_id: RowId
    lines: list[TransferLineIn] = Field(min_length=1, max_length=200)
    reference: Annotated[str, StringConstraints(max_length=200)] = ""
    note: Annotated[str, StringConstraints(max_length=2000)] = ""


class TransferLineRead(Schema):
    item: str
    quantity: int
    batch: str | None


class TransferRead(Schema):
    id: int
    from_depot_id: int
    to_depot_id: int
    division_code: str
    to_division_code: str
    status: str
    reference: str
    note: str
    created_at: dt.datetime
    created_by: str
    closed_at: dt.datetime | None
    closed_by: str | None
    lines: list[TransferLineRead]


@dataclass(frozen=True)
class CatalogueItemRead(CatalogueItem):
    # An item of the relief-item catalogue as the API answers it: the catalogue's own item, by this schema's name.
    pass


# -- shelters ----------------------------------------------------------------------------------------


class ShelterIn(Schema):
    name: Name
    shelter_class: ShelterClass
    division_code: DivisionCode
    lon: Lon
    lat: Lat
    effective_area_m2: Area
    capacity: Annotated[int, Field(ge=0, le=1_000_000_000)] | None = Field(
        None, description="People; at most effective area / 1.5 m² (GB 21734-2008 §5.4), which is the default"
    )
    facilities: list[Annotated[str, StringConstraints(max_length=64)]] = Field(default_factory=list, max_length=50)
    is_open: bool = False
    address: ShortText = ""


class ShelterPatch(Schema):
    name: Name | None = None
    shelter_class: ShelterClass | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    effective_area_m2: Area | None = None
    capacity: Annotated[int, Field(ge=0, le=1_000_000_000)] | None = None
    facilities: list[Annotated[str, StringConstraints(max_length=64)]] | None = Field(None, max_length=50)
    is_open: bool | None = None
    address: ShortText | None = None


class ShelterRead(Schema):
    id: int
    name: str
    shelter_class: str
    division_code: str
    lon: float
    lat: float
    effective_area_m2: float
    capacity: int
    facilities: list[str]
    missing_facilities: list[str] = Field(default_factory=list)
    is_open: bool
    occupancy: int
    checked_in: int
    checked_out: int
    address: str
    source: str
    read_only: bool = False


class ShelterEventRead(Schema):
    id: int
    shelter_id: int
    kind: str
    people: int
    occupancy_after: int
    at: dt.datetime
    actor: str


class OccupancyIn(Schema):
    kind: Literal["check_in", "check_out"]
    people: Annotated[int, Field(ge=1, le=10_000_000)]


# -- teams and vehicles ------------------------------------------------------------------------------


class TeamIn(Schema):
    name: Name
    kind: TeamKind
    specialty: Annotated[str, StringConstraints(max_length=32)] = ""
    division_code: DivisionCode
    lon: Lon
    lat: Lat
    base: Annotated[str, StringConstraints(max_length=200)] = ""
    headcount: Annotated[int, Field(ge=1, le=1_000_000)]
    capabilities: list[Annotated[str, StringConstraints(max_length=32)]] = Field(default_factory=list, max_length=30)
    equipment: dict[Annotated[str, StringConstraints(max_length=64)], Annotated[int, Field(ge=0, le=1_000_000)]] = (
        Field(default_factory=dict, max_length=100, description="Equipment name → count")
    )
    readiness: Readiness = "ready"
    contact: Annotated[str, StringConstraints(max_length=200)] = ""


class TeamPatch(Schema):
    name: Name | None = None
    specialty: Annotated[str, StringConstraints(max_length=32)] | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    base: Annotated[str, StringConstraints(max_length=200)] | None = None
    headcount: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    capabilities: list[Annotated[str, StringConstraints(max_length=32)]] | None = Field(None, max_length=30)
    equipment: (
        dict[Annotated[str, StringConstraints(max_length=64)], Annotated[int, Field(ge=0, le=1_000_000)]] | None
    ) = Field(None, max_length=100)
    readiness: Readiness | None = None
    contact: Annotated[str, StringConstraints(max_length=200)] | None = None


class TeamRead(Schema):
    id: int
    name: str
    kind: str
    specialty: str
    division_code: str
    lon: float
    lat: float
    base: str
    headcount: int
    capabilities: list[str]
    equipment: dict[str, Any]
    readiness: str
    contact: str
    source: str
    read_only: bool = False


class VehicleIn(Schema):
    name: Name
    kind: VehicleKind
    division_code: DivisionCode
    depot_id: RowId | None = None
    team_id: RowId | None = None
    lon: Lon | None = Field(None, description="Defaults to the depot's or team's position")
    lat: Lat | None = None
    payload_kg: Amount
    volume_m3: Amount | None = None
    passengers: Annotated[int, Field(ge=0, le=10_000)] = 0
    speed_kmh: Annotated[float, Field(gt=0, le=2000)] | None = None
    range_km: Annotated[float, Field(gt=0, le=50_000)] | None = None
    status: Literal["available", "in_use", "maintenance"] = "available"


class VehiclePatch(Schema):
    name: Name | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    payload_kg: Amount | None = None
    volume_m3: Amount | None = None
    passengers: Annotated[int, Field(ge=0, le=10_000)] | None = None
    speed_kmh: Annotated[float, Field(gt=0, le=2000)] | None = None
    range_km: Annotated[float, Field(gt=0, le=50_000)] | None = None
    status: Literal["available", "in_use", "maintenance"] | None = None


class VehicleRead(Schema):
    id: int
    name: str
    kind: str
    is_aircraft: bool = False
    division_code: str
    depot_id: int | None
    team_id: int | None
    lon: float
    lat: float
    payload_kg: float
    volume_m3: float | None
    passengers: int
    speed_kmh: float | None
    range_km: float | None
    status: str
    source: str
    read_only: bool = False


ImportKind = Literal["depots", "stock", "shelters", "teams"]


class ImportResult(Schema):
    kind: str
    imported: int


# -- coverage ----------------------------------------------------------------------------------------


class NearestDepot(Schema):
    depot_id: int
    name: str
    hours: float
    km: float


class PlaceCoverage(Schema):
    code: str
    name: str
    level: str
    population: int | None
    nearest: dict[str, NearestDepot | None]
    outside_targets: list[str] = Field(description="Reserve levels whose delivery target this place misses")


class DivisionRef(Schema):
    code: str
    name: str


class DepotCoverage(Schema):
    targets_hours: dict[str, float]
    travel_model: str
    places: list[PlaceCoverage]
    counties_without_county_depot: list[DivisionRef]


class ShelterCoverageRow(Schema):
    code: str
    name: str
    population: int | None
    shelters: int
    effective_area_m2: float
    capacity: int
    area_per_resident_m2: float | None
    capacity_share: float | None = Field(description="Capacity / population")
    meets_area_norm: bool = Field(description="Effective area ≥ 1.5 m² per resident (GB 21734-2008 §5.4)")


class ShelterCoverage(Schema):
    min_area_per_person_m2: float
    townships: list[ShelterCoverageRow]


class TeamCoverageRow(Schema):
    capability: str
    code: str
    name: str
    team_id: int | None
    team_name: str | None
    hours: float | None
    within_target: bool


class TeamCoverage(Schema):
    target_hours: float
    travel_model: str
    rows: list[TeamCoverageRow]


class Feature(DivisionFeature):
    pass  # a map layer's point: GeoJSON, as the divisions' boundaries


class FeatureCollection(FeatureCollectionOf[Feature]):
    pass
