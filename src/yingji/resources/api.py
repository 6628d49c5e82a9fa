"""Reserves routes: depots and their stock ledger, transfers, shelters, rescue teams, vehicles, imports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict
from inspect import Parameter, Signature
from typing import Annotated, Any, TypeVar, get_type_hints

from fastapi import APIRouter, Form, Query, UploadFile, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from yingji.api_common import IdPath, IdQuery, ListRequest, ListRequestDep, Page, ScopeDep, SessionDep, printable_html
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.errors import InvalidInput
from yingji.resources import coverage, coverage_report, rules, service
from yingji.resources.models import Depot, RescueTeam, Shelter, Transfer, Vehicle
from yingji.resources.schemas import (
    CatalogueItemRead,
    DepotCoverage,
    DepotRead,
    DepotStock,
    Feature,
    FeatureCollection,
    ImportKind,
    ImportResult,
    MinimumIn,
    MinimumRead,
    MovementIn,
    MovementRead,
    OccupancyIn,
    ShelterCoverage,
    ShelterEventRead,
    ShelterRead,
    StockLine,
    TeamCoverage,
    TeamRead,
    TransferIn,
    TransferRead,
    VehicleRead,
)

R = TypeVar("R", DepotRead, ShelterRead, TeamRead, VehicleRead)

router = APIRouter(prefix="/api/v1/resources", tags=["resources"])
DivisionQuery = Annotated[
    str | None, Query(pattern=r"^\d{6}(\d{3}){0,2}$", description="Only rows under this division")
]
ItemQuery = Annotated[str | None, Query(max_length=64)]


def _registered(read: type[R], row: Depot | Shelter | RescueTeam | Vehicle, scope: Scope, **more: Any) -> R:
    """A registered row as ``read``, ``read_only`` when it lies above the caller's own subtree."""
    return read.model_validate(row).model_copy(update={"read_only": not scope.covers(row.division_code), **more})


def depot_out(row: Depot, scope: Scope) -> DepotRead:
    return _registered(DepotRead, row, scope)


def shelter_out(row: Shelter, scope: Scope) -> ShelterRead:
    missing = rules.missing_facilities(row.shelter_class, row.facilities or [])
    return _registered(ShelterRead, row, scope, missing_facilities=missing)


def team_out(row: RescueTeam, scope: Scope) -> TeamRead:
    return _registered(TeamRead, row, scope)


def vehicle_out(row: Vehicle, scope: Scope) -> VehicleRead:
    return _registered(VehicleRead, row, scope, is_aircraft=row.kind in rules.AIRCRAFT)


def transfer_out(row: Transfer) -> TransferRead:
    return TransferRead.model_validate(row)


def _route(endpoint: Callable[..., Any], method: str, path: str, name: str, doc: str | None, read: Any,
           operation: str, params: dict[str, Any], status_code: int | None = None,
           optional: dict[str, Any] | None = None) -> None:  # fmt: skip
    """Add ``endpoint`` as the route ``name`` (its docstring ``doc``), taking the request's ``params`` and then the
    ``optional`` ones, none by default (name → annotation, as a route function's signature would declare them)."""
    endpoint.__name__, endpoint.__doc__ = name, doc
    endpoint.__signature__ = Signature(  # type: ignore[attr-defined]
        [Parameter(key, Parameter.POSITIONAL_OR_KEYWORD, annotation=value) for key, value in params.items()]
        + [
            Parameter(key, Parameter.KEYWORD_ONLY, annotation=value, default=None)
            for key, value in (optional or {}).items()
        ]
    )
    router.add_api_route(
        path, endpoint, methods=[method], response_model=read, status_code=status_code, operation_id=operation
    )


def _registry_routes(kind: str, name: str, out: Callable[[Any, Scope], R], listed: str, /, **filters: Any) -> None:
    """The four routes every registry has — list rows, register a row, read one, change one — for one kind of
    registered row: ``GET /{kind}``, ``POST /{kind}``, ``GET`` and ``PATCH /{kind}/{{name}_id}``, calling the
    service's ``list_{kind}``, ``create_{name}``, ``get_{name}`` and ``update_{name}``. The list takes the
    ``filters`` (name → annotation) as optional query parameters and is described by ``listed``; the other three
    are named and documented as the service operations they call, take the bodies those operations take
    (``{name}_in``, ``patch``). Every route answers the rows as ``out`` reads them for the caller."""
    list_rows_of, create, get, update = (
        getattr(service, f"{verb}_{noun}")
        for verb, noun in (("list", kind), ("create", name), ("get", name), ("update", name))
    )
    key, read, deps = f"{name}_id", get_type_hints(out)["return"], {"session": SessionDep, "scope": ScopeDep}
    row_in, patch = get_type_hints(create)[f"{name}_in"], get_type_hints(update)["patch"]

    def list_rows(req: ListRequest, **given: Any) -> Page[R]:
        return req.of(list_rows_of, lambda row: out(row, req.scope), **given)

    def create_row(body: BaseModel, session: Session, scope: Scope) -> R:
        return out(create(session=session, scope=scope, **{f"{name}_in": body}), scope)

    def get_row(session: Session, scope: Scope, **row_id: int) -> R:
        return out(get(session=session, scope=scope, **row_id), scope)

    def update_row(body: BaseModel, session: Session, scope: Scope, **row_id: int) -> R:
        return out(update(session=session, scope=scope, patch=body, **row_id), scope)

    one, ids = f"/{kind}/{{{key}}}", {key: IdPath}
    _route(list_rows, "GET", f"/{kind}", f"list_{kind}", listed, Page[read], f"{kind}_list",  # type: ignore[valid-type]
           {"req": ListRequestDep}, optional=filters)  # fmt: skip
    _route(create_row, "POST", f"/{kind}", create.__name__, create.__doc__, read, f"{kind}_create",
           {"body": row_in, **deps}, 201)  # fmt: skip
    _route(get_row, "GET", one, get.__name__, get.__doc__, read, f"{kind}_get", {**ids, **deps})
    _route(update_row, "PATCH", one, update.__name__, update.__doc__, read, f"{kind}_update",
           {**ids, "body": patch, **deps})  # fmt: skip


# -- catalogue ----------------------------------------------------------------------------------------


@router.get("/items", response_model=list[CatalogueItemRead], operation_id="resources_items")
def items(scope: ScopeDep) -> list[CatalogueItemRead]:
    """The relief-item catalogue (units, weight, volume) that stock and transfers are counted in."""
    scope.require(service.READ)
    return [CatalogueItemRead(**asdict(item)) for item in service.catalogue().values()]


# -- depots and stock ---------------------------------------------------------------------------------


_registry_routes(
    "depots", "depot", depot_out, "Depots of the caller's subtree, plus the higher-level depots above it (read-only).",
    level=rules.DepotLevel | None, division=DivisionQuery, active=bool | None,
)  # fmt: skip


@router.get("/depots/{depot_id}/stock", response_model=DepotStock, operation_id="depots_stock")
def depot_stock(depot_id: IdPath, session: SessionDep, scope: ScopeDep) -> DepotStock:
    """Stock on hand per item (the sum of the ledger), its batches and expiry, minimum-level flags, and the
    packed volume against the depot's capacity."""
    depot = service.get_depot(session=session, scope=scope, depot_id=depot_id)
    lines = [StockLine.model_validate(line) for line in service.stock(session=session, scope=scope, depot_id=depot_id)]
    volume = round(sum(line.volume_m3 or 0.0 for line in lines), 3)
    return DepotStock(
        depot_id=depot.id,
        capacity_m3=depot.capacity_m3,
        volume_m3=volume,
        over_capacity=depot.capacity_m3 is not None and volume > depot.capacity_m3,
        items=lines,
    )


@router.get("/depots/{depot_id}/movements", response_model=Page[MovementRead], operation_id="depots_movements")
def depot_movements(depot_id: IdPath, req: ListRequestDep, item: ItemQuery = None) -> Page[MovementRead]:
    """The depot's stock ledger, oldest first."""
    return req.of(service.list_movements, MovementRead.model_validate, depot_id=depot_id, item=item)


@router.post(
    "/depots/{depot_id}/movements",
    response_model=list[MovementRead],
    status_code=status.HTTP_201_CREATED,
    operation_id="depots_move_stock",
)
def move_stock(depot_id: IdPath, body: MovementIn, session: SessionDep, scope: ScopeDep) -> list[MovementRead]:
    """Receive, issue, adjust or expire stock. A withdrawal without a batch takes first expiry first out;
    one that would leave less than zero is refused whole (409) and nothing is written."""
    rows = service.move_stock(session=session, scope=scope, depot_id=depot_id, movement_in=body)
    return [MovementRead.model_validate(r) for r in rows]


@router.post(
    "/depots/{depot_id}/expire-due",
    response_model=list[MovementRead],
    status_code=status.HTTP_201_CREATED,
    operation_id="depots_expire_due",
)
def expire_due(
    depot_id: IdPath,
    session: SessionDep,
    scope: ScopeDep,
    on: Annotated[
        dt.date | None, Query(description="Write off batches expiring before this date (default today)")
    ] = None,
) -> list[MovementRead]:
    """Write off every batch that expired before a date: one ``expire`` ledger line per batch."""
    day = on or utcnow().date()
    rows = service.expire_due(session=session, scope=scope, depot_id=depot_id, on=day)
    return [MovementRead.model_validate(r) for r in rows]


@router.put("/depots/{depot_id}/minimums", response_model=MinimumRead, operation_id="depots_set_minimum")
def set_minimum(depot_id: IdPath, body: MinimumIn, session: SessionDep, scope: ScopeDep) -> MinimumRead:
    """Set the minimum level of one item in the depot (stock below it is flagged)."""
    return MinimumRead.model_validate(
        service.set_minimum(session=session, scope=scope, depot_id=depot_id, minimum_in=body)
    )


# -- transfers ----------------------------------------------------------------------------------------


@router.get("/transfers", response_model=Page[TransferRead], operation_id="transfers_list")
def list_transfers(
    req: ListRequestDep,
    status: Annotated[str | None, Query(pattern="^(created|confirmed|cancelled)$")] = None,
    depot_id: IdQuery = None,
) -> Page[TransferRead]:
    """Transfer orders whose sending or receiving depot the caller may read, newest first."""
    return req.of(service.list_transfers, transfer_out, status=status, depot_id=depot_id)


@router.post(
    "/transfers", response_model=TransferRead, status_code=status.HTTP_201_CREATED, operation_id="transfers_create"
)
def create_transfer(body: TransferIn, session: SessionDep, scope: ScopeDep) -> TransferRead:
    """Create a transfer order between two depots of the caller's subtree; stock moves on confirmation."""
    return transfer_out(service.create_transfer(session=session, scope=scope, transfer_in=body))


@router.get("/transfers/{transfer_id}", response_model=TransferRead, operation_id="transfers_get")
def get_transfer(transfer_id: IdPath, session: SessionDep, scope: ScopeDep) -> TransferRead:
    """One transfer order with its lines."""
    return transfer_out(service.get_transfer(session=session, scope=scope, transfer_id=transfer_id))


@router.post("/transfers/{transfer_id}/confirm", response_model=TransferRead, operation_id="transfers_confirm")
def confirm_transfer(transfer_id: IdPath, session: SessionDep, scope: ScopeDep) -> TransferRead:
    """Confirm a transfer: every line moves out of the sending depot and into the receiving one, or,
    when any line is short, nothing moves (409)."""
    return transfer_out(service.confirm_transfer(session=session, scope=scope, transfer_id=transfer_id))


@router.post("/transfers/{transfer_id}/cancel", response_model=TransferRead, operation_id="transfers_cancel")
def cancel_transfer(transfer_id: IdPath, session: SessionDep, scope: ScopeDep) -> TransferRead:
    """Cancel a transfer that is not yet confirmed."""
    return transfer_out(service.cancel_transfer(session=session, scope=scope, transfer_id=transfer_id))


# -- shelters -----------------------------------------------------------------------------------------


_registry_routes(
    "shelters", "shelter", shelter_out, "Shelters of the caller's subtree and those registered above it (read-only).",
    shelter_class=rules.ShelterClass | None, division=DivisionQuery, is_open=bool | None,
)  # fmt: skip


@router.post("/shelters/{shelter_id}/occupancy", response_model=ShelterRead, operation_id="shelters_occupancy")
def shelter_occupancy(shelter_id: IdPath, body: OccupancyIn, session: SessionDep, scope: ScopeDep) -> ShelterRead:
    """Check people in or out of an open shelter; never above its capacity nor below zero."""
    row = service.record_occupancy(session=session, scope=scope, shelter_id=shelter_id, occupancy_in=body)
    return shelter_out(row, scope)


@router.get("/shelters/{shelter_id}/events", response_model=Page[ShelterEventRead], operation_id="shelters_events")
def shelter_events(shelter_id: IdPath, req: ListRequestDep) -> Page[ShelterEventRead]:
    """The shelter's check-in and check-out counts with the occupancy after each, oldest first."""
    return req.of(service.list_shelter_events, ShelterEventRead.model_validate, shelter_id=shelter_id)


# -- rescue teams -------------------------------------------------------------------------------------


_registry_routes(
    "teams", "team", team_out, "Rescue teams of the caller's subtree and those registered above it (read-only).",
    kind=rules.TeamKind | None, capability=Annotated[str | None, Query(max_length=32)],
    readiness=rules.Readiness | None, division=DivisionQuery,
)  # fmt: skip


# -- vehicles and aircraft ----------------------------------------------------------------------------


_registry_routes(
    "vehicles", "vehicle", vehicle_out,
    "Vehicles and aircraft of the caller's subtree and those registered above it (read-only).",
    kind=rules.VehicleKind | None, aircraft=bool | None, depot_id=IdQuery, division=DivisionQuery,
)  # fmt: skip


# -- bulk import --------------------------------------------------------------------------------------


@router.post("/import", response_model=ImportResult, operation_id="resources_import")
async def import_file(
    file: UploadFile, session: SessionDep, scope: ScopeDep, kind: Annotated[ImportKind, Form()]
) -> ImportResult:
    """Import depots, stock receipts, shelters or teams from CSV; rejected whole with the line and reason."""
    raw = await file.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("file is not UTF-8 text", field="file") from None
    if "\x00" in text:
        raise InvalidInput("file must not contain NUL characters", field="file")
    count = service.import_csv(
        session=session, scope=scope, kind=kind, text=text, source=f"import:{file.filename}"[:200]
    )
    return ImportResult(kind=kind, imported=count)


# -- coverage -----------------------------------------------------------------------------------------

TargetHours = Annotated[float, Query(gt=0, le=240, description="Travel-time target of a team (hours)")]
Capability = Annotated[str | None, Query(max_length=32)]


@router.get("/coverage/depots", response_model=DepotCoverage, operation_id="coverage_depots")
def coverage_depots(
    session: SessionDep,
    scope: ScopeDep,
    division: DivisionQuery = None,
    level: Annotated[str | None, Query(pattern="^(county|township)$")] = None,
) -> DepotCoverage:
    """For every county and township of the caller's subtree: the nearest depot of each reserve level and
    the travel time, the 6/8/10-hour targets missed, and the counties without a county-level depot."""
    return DepotCoverage.model_validate(
        service.depot_coverage(session=session, scope=scope, division=division, level=level)
    )


@router.get("/coverage/shelters", response_model=ShelterCoverage, operation_id="coverage_shelters")
def coverage_shelters(session: SessionDep, scope: ScopeDep, division: DivisionQuery = None) -> ShelterCoverage:
    """Shelter area and capacity against population per township (≥ 1.5 m² per person, GB 21734-2008)."""
    return ShelterCoverage.model_validate(service.shelter_coverage(session=session, scope=scope, division=division))


@router.get("/coverage/teams", response_model=TeamCoverage, operation_id="coverage_teams")
def coverage_teams(
    session: SessionDep,
    scope: ScopeDep,
    division: DivisionQuery = None,
    capability: Capability = None,
    target_hours: TargetHours = coverage.TEAM_TARGET_HOURS,
    level: Annotated[str, Query(pattern="^(county|township)$")] = "county",
) -> TeamCoverage:
    """For each capability, every place's nearest ready or standby team and whether it arrives in time."""
    return TeamCoverage.model_validate(
        service.team_coverage(
            session=session,
            scope=scope,
            division=division,
            capability=capability,
            target_hours=target_hours,
            level=level,
        )
    )


@router.get("/layers", response_model=FeatureCollection, operation_id="resources_layer")
def map_layer(
    session: SessionDep,
    scope: ScopeDep,
    layer: Annotated[str, Query(pattern="^(depots|shelters|teams|gaps)$")],
    division: DivisionQuery = None,
) -> FeatureCollection:
    """A map layer as GeoJSON: depots, shelters, teams, or gaps (places with coverage problems)."""
    features = service.layer(session=session, scope=scope, name=layer, division=division)
    return FeatureCollection(features=[Feature.model_validate(f) for f in features])


@router.get("/coverage/report", response_class=HTMLResponse, operation_id="coverage_report")
def coverage_printable(
    session: SessionDep,
    scope: ScopeDep,
    division: DivisionQuery = None,
    target_hours: TargetHours = coverage.TEAM_TARGET_HOURS,
) -> HTMLResponse:
    """The printable coverage report (HTML): depot gaps, delivery targets, shelter space, team coverage."""
    html = coverage_report.render(
        title="应急物资储备与避难场所覆盖报告 Reserve coverage report",
        generated_at=utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        depots=service.depot_coverage(session=session, scope=scope, division=division),
        shelters=service.shelter_coverage(session=session, scope=scope, division=division),
        teams=service.team_coverage(session=session, scope=scope, division=division, target_hours=target_hours),
    )
    return printable_html(html)
