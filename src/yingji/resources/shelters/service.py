"""Emergency shelters and their occupancy (check-in, check-out, events)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.errors import InvalidInput
from yingji.resources import rules
from yingji.resources.models import Shelter, ShelterEvent
from yingji.resources.registry import service as registry
from yingji.resources.schemas import OccupancyIn, ShelterIn, ShelterPatch

# -- shelters -------------------------------------------------------------------------------------------


def create_shelter(*, session: Session, scope: Scope, shelter_in: ShelterIn, source: str = "") -> Shelter:
    """Register a shelter (class I/II/III, GB 21734-2008); capacity at most effective area / 1.5 m²."""
    scope.require(registry.WRITE)
    division = registry.registering_division(session, scope, shelter_in.division_code)
    registry.check_position(session, division, shelter_in.lon, shelter_in.lat, "shelter")
    return registry.register(
        session,
        scope,
        Shelter,
        division,
        entity="shelter",
        source=source,
        **shelter_in.model_dump(exclude={"division_code", "capacity", "facilities"}),
        capacity=rules.check_capacity(shelter_in.effective_area_m2, shelter_in.capacity),
        facilities=rules.check_facilities(shelter_in.facilities),
        occupancy=0,
        checked_in=0,
        checked_out=0,
    )


def get_shelter(*, session: Session, scope: Scope, shelter_id: int) -> Shelter:
    """One shelter with its occupancy and the facilities its class expects but it lacks."""
    return registry.readable(session, scope, Shelter, shelter_id, "shelter")


list_shelters = registry.registered(Shelter, "shelter_class", "is_open")


def update_shelter(*, session: Session, scope: Scope, shelter_id: int, patch: ShelterPatch) -> Shelter:
    """Change a shelter: class, area, capacity, facilities, open or closed."""
    shelter = registry.writable(session, scope, Shelter, shelter_id, "shelter", lock=True)
    before = audit.snapshot(shelter)
    values = registry.patch_values(session, shelter, patch, "shelter")
    if "facilities" in values:
        values["facilities"] = rules.check_facilities(values["facilities"])
    if "effective_area_m2" in values or "capacity" in values:
        area = values.get("effective_area_m2", shelter.effective_area_m2)
        values["capacity"] = rules.check_capacity(area, values.get("capacity"))
        if values["capacity"] < shelter.occupancy:
            raise InvalidInput(
                f"capacity {values['capacity']} would be below the {shelter.occupancy} people sheltered now",
                field="capacity",
            )
    if values.get("is_open") is False and shelter.occupancy > 0:
        raise InvalidInput(f"{shelter.occupancy} people are still checked in; check them out first", field="is_open")
    registry.save_patch(session, scope, shelter, before, values, entity="shelter")
    return shelter


def record_occupancy(*, session: Session, scope: Scope, shelter_id: int, occupancy_in: OccupancyIn) -> Shelter:
    """Check people in or out; occupancy never exceeds capacity nor goes below zero."""
    shelter = registry.writable(session, scope, Shelter, shelter_id, "shelter", lock=True)
    before = audit.snapshot(shelter)
    people = occupancy_in.people
    if occupancy_in.kind == "check_in":
        if not shelter.is_open:
            raise InvalidInput(f"shelter {shelter.id} is closed; open it before checking people in", field="kind")
        if shelter.occupancy + people > shelter.capacity:
            raise InvalidInput(
                f"shelter {shelter.id} holds {shelter.capacity}; {shelter.occupancy} are in, "
                f"{people} more would exceed it (room for {shelter.capacity - shelter.occupancy})",
                field="people",
            )
        shelter.occupancy += people
        shelter.checked_in += people
    else:
        if people > shelter.occupancy:
            raise InvalidInput(
                f"only {shelter.occupancy} people are checked in at shelter {shelter.id}; cannot check out {people}",
                field="people",
            )
        shelter.occupancy -= people
        shelter.checked_out += people
    session.add(
        ShelterEvent(
            shelter_id=shelter.id,
            division_code=shelter.division_code,
            kind=occupancy_in.kind,
            people=people,
            occupancy_after=shelter.occupancy,
            at=utcnow(),
            actor=scope.actor,
        )
    )
    shelter.updated_at = utcnow()
    audit.changed(session, scope, shelter, before, entity="shelter", action=occupancy_in.kind)
    return shelter


def list_shelter_events(
    *, session: Session, scope: Scope, shelter_id: int, limit: int | None = 100, offset: int = 0
) -> tuple[list[ShelterEvent], int]:
    """A shelter's check-ins and check-outs, oldest first."""
    shelter = get_shelter(session=session, scope=scope, shelter_id=shelter_id)
    stmt = select(ShelterEvent).where(ShelterEvent.shelter_id == shelter.id)
    return registry.paged(session, stmt, ShelterEvent.id, limit, offset)
