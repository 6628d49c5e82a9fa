"""Vehicles and aircraft: registration and changes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.errors import InvalidInput, NotFound
from yingji.resources import rules
from yingji.resources.models import Depot, RescueTeam, Vehicle
from yingji.resources.registry import service as registry
from yingji.resources.schemas import VehicleIn, VehiclePatch

# -- vehicles and aircraft ------------------------------------------------------------------------------


def create_vehicle(*, session: Session, scope: Scope, vehicle_in: VehicleIn, source: str = "") -> Vehicle:
    """Register a vehicle or aircraft with its payload, volume, passengers, speed and range."""
    scope.require(registry.WRITE)
    division = registry.registering_division(session, scope, vehicle_in.division_code)
    lon, lat = vehicle_in.lon, vehicle_in.lat
    owners: tuple[tuple[int | None, type[Depot] | type[RescueTeam], str], ...] = (
        (vehicle_in.depot_id, Depot, "depot"),
        (vehicle_in.team_id, RescueTeam, "team"),
    )
    for owner_id, model, what in owners:
        if owner_id is None:
            continue
        owner: Depot | RescueTeam | None = session.get(model, owner_id)  # type: ignore[assignment]
        if owner is None or not scope.can_read(owner.division_code):
            raise NotFound(f"{what} {owner_id} not found")
        scope.require_write(owner.division_code, what)
        if lon is None or lat is None:
            lon, lat = owner.lon, owner.lat
    if lon is None or lat is None:
        raise InvalidInput("give the vehicle's position (lon, lat) or its depot or team", field="lon")
    if vehicle_in.kind in rules.AIRCRAFT and vehicle_in.range_km is None:
        raise InvalidInput("an aircraft needs its range (range_km)", field="range_km")
    registry.check_position(session, division, lon, lat, "vehicle base")
    return registry.register(
        session,
        scope,
        Vehicle,
        division,
        entity="vehicle",
        source=source,
        **vehicle_in.model_dump(exclude={"division_code", "lon", "lat"}),
        lon=lon,
        lat=lat,
    )


def get_vehicle(*, session: Session, scope: Scope, vehicle_id: int) -> Vehicle:
    """One vehicle or aircraft."""
    return registry.readable(session, scope, Vehicle, vehicle_id, "vehicle")


list_vehicles = registry.registered(
    Vehicle,
    "kind",
    "depot_id",
    where={"aircraft": lambda air: Vehicle.kind.in_(rules.AIRCRAFT) if air else Vehicle.kind.not_in(rules.AIRCRAFT)},
)


def update_vehicle(*, session: Session, scope: Scope, vehicle_id: int, patch: VehiclePatch) -> Vehicle:
    """Change a vehicle's position, capacities or status."""
    vehicle = registry.writable(session, scope, Vehicle, vehicle_id, "vehicle")
    before = audit.snapshot(vehicle)
    values = registry.patch_values(session, vehicle, patch, "vehicle base")
    registry.save_patch(session, scope, vehicle, before, values, entity="vehicle")
    return vehicle
