"""Reserves registries: depots, the stock ledger, transfers, shelters, rescue teams, vehicles.

Jurisdiction: a row is registered at a division (``division_code``). Callers read and write rows in
their subtree, read (never write) rows registered on their ancestor chain, and see nothing else.
Services never commit; every write appends an audit entry.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeVar

import numpy as np
import shapely
from pydantic import BaseModel, ValidationError
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.db import paginate, utcnow
from yingji.errors import Conflict, DomainError, InvalidInput, NotFound
from yingji.geo import service as division_service
from yingji.geo import spatial
from yingji.geo.codes import code_range, level_of, prefix
from yingji.geo.models import Division
from yingji.relief.inputs import CatalogueItem, builtin_catalogue
from yingji.relief.travel import FallbackSpeed
from yingji.resources import coverage, rules
from yingji.resources.models import (
    Depot,
    RescueTeam,
    Shelter,
    ShelterEvent,
    StockHold,
    StockMinimum,
    StockMovement,
    Transfer,
    TransferLine,
    Vehicle,
)
from yingji.resources.schemas import (
    DepotIn,
    DepotPatch,
    MinimumIn,
    MovementIn,
    OccupancyIn,
    ShelterIn,
    ShelterPatch,
    TeamIn,
    TeamPatch,
    TransferIn,
    VehicleIn,
    VehiclePatch,
)

R = TypeVar("R", Depot, Shelter, RescueTeam, Vehicle)
READ, WRITE = "resources:read", "resources:write"


# -- shared helpers -----------------------------------------------------------------------------------


def catalogue() -> dict[str, CatalogueItem]:
    """The relief-item catalogue (``standards/relief_items.yaml``, shared with the dispatch engine)."""
    return builtin_catalogue()


def item_id(raw: str) -> str:
    """A catalogue item by id or Chinese name; unknown items are refused."""
    items = catalogue()
    if raw in items:
        return raw
    for key, item in items.items():
        if item.name_zh == raw:
            return key
    raise InvalidInput(f"unknown item {raw!r}; the catalogue has {', '.join(items)}", field="item")


def _record(session: Session, scope: Scope, action: str, entity: str, row: Any, before: dict[str, Any] | None) -> None:
    audit.record(
        session=session,
        scope=scope,
        action=action,
        entity=entity,
        entity_id=row.id,
        division_code=row.division_code,
        before=before,
        after=audit.snapshot(row),
    )


def _page(session: Session, stmt: Select[Any], order: Any, limit: int | None, offset: int) -> tuple[list[Any], int]:
    return paginate(session, stmt, order, limit=limit, offset=offset)


def _under(column: InstrumentedAttribute[str], code: str | None, session: Session, scope: Scope) -> Any:
    """Rows registered in the subtree of the division ``code`` (which the caller must be able to read)."""
    division = division_service.get(session=session, scope=scope, code=code or "")
    low, high = code_range(prefix(division.code, division.level))
    return column.between(low, high)


def _readable(session: Session, scope: Scope, model: type[R], row_id: int, what: str) -> R:
    scope.require(READ)
    row = session.get(model, row_id)
    if row is None or not scope.can_read(row.division_code):
        raise NotFound(f"{what} {row_id} not found")
    return row


def _writable(session: Session, scope: Scope, model: type[R], row_id: int, what: str, lock: bool = False) -> R:
    scope.require(WRITE)
    row = session.get(model, row_id, with_for_update=lock)
    if row is None or not scope.can_read(row.division_code):
        raise NotFound(f"{what} {row_id} not found")
    scope.require_write(row.division_code, what)
    return row


def _registering_division(session: Session, scope: Scope, code: str) -> Division:
    """The division a new row is registered at: readable, and in the caller's own subtree."""
    division = division_service.get(session=session, scope=scope, code=code)
    scope.require_write(division.code, "division")
    return division


def check_position(session: Session, division: Division, lon: float, lat: float, what: str) -> None:
    """Refuse a position outside the division it is registered at (when boundaries are known) or
    outside every known division.

    The division's own boundary decides when it has one; else the county boundary containing the point
    must lie in the division's subtree; else (no boundary there) the point must lie within the extent of
    the division's known places, widened by one degree.
    """
    if division.boundary_wkb is not None:  # the one check every domain uses (with its tolerance)
        division_service.check_position(session=session, division_codes=[division.code], lon=lon, lat=lat,
                                        what=f"{what} position")
        return
    code_prefix = prefix(division.code, division.level)
    county = spatial.locate_points(session, [lon], [lat], "county")[0]
    if county is not None:
        if not county.startswith(code_prefix):
            raise InvalidInput(
                f"{what} position ({lon}, {lat}) lies in division {county}, outside {division.name} ({division.code})",
                field="lon",
            )
        return
    low, high = code_range(code_prefix)
    extent = session.execute(
        select(func.min(Division.lon), func.max(Division.lon), func.min(Division.lat), func.max(Division.lat)).where(
            Division.code.between(low, high), Division.lon.is_not(None)
        )
    ).one()
    if extent[0] is None:
        return  # nothing known about where this division lies
    min_lon, max_lon, min_lat, max_lat = (float(v) for v in extent)
    if not (min_lon - 1 <= lon <= max_lon + 1 and min_lat - 1 <= lat <= max_lat + 1):
        raise InvalidInput(
            f"{what} position ({lon}, {lat}) lies outside all divisions of {division.name} ({division.code})",
            field="lon",
        )


def _apply(row: Any, values: dict[str, Any]) -> None:
    for key, value in values.items():
        setattr(row, key, value)


# -- depots ---------------------------------------------------------------------------------------------


def create_depot(*, session: Session, scope: Scope, depot_in: DepotIn, source: str = "") -> Depot:
    scope.require(WRITE)
    division = _registering_division(session, scope, depot_in.division_code)
    allowed = rules.DEPOT_DIVISION_LEVELS[depot_in.level]
    if division.level not in allowed:
        raise InvalidInput(
            f"a {depot_in.level} depot is registered at a {' or '.join(allowed)} division, "
            f"not at the {division.level} {division.code}",
            field="level",
        )
    check_position(session, division, depot_in.lon, depot_in.lat, "depot")
    depot = Depot(
        **depot_in.model_dump(exclude={"division_code"}),
        division_code=division.code,
        active=True,
        source=source,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(depot)
    session.flush()
    _record(session, scope, "create", "depot", depot, None)
    return depot


def get_depot(*, session: Session, scope: Scope, depot_id: int) -> Depot:
    return _readable(session, scope, Depot, depot_id, "depot")


def list_depots(
    *,
    session: Session,
    scope: Scope,
    level: str | None = None,
    division: str | None = None,
    active: bool | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list[Depot], int]:
    """Depots the caller may read: own subtree plus those registered on the ancestor chain."""
    scope.require(READ)
    stmt = select(Depot).where(scope.where_readable(Depot.division_code))
    if level:
        stmt = stmt.where(Depot.level == level)
    if division:
        stmt = stmt.where(_under(Depot.division_code, division, session, scope))
    if active is not None:
        stmt = stmt.where(Depot.active.is_(active))
    return _page(session, stmt, Depot.id, limit, offset)


def update_depot(*, session: Session, scope: Scope, depot_id: int, patch: DepotPatch) -> Depot:
    depot = _writable(session, scope, Depot, depot_id, "depot")
    before = audit.snapshot(depot)
    values = patch.model_dump(exclude_unset=True)
    values = {k: v for k, v in values.items() if v is not None or k in ("capacity_m3", "floor_area_m2")}
    lon, lat = values.get("lon", depot.lon), values.get("lat", depot.lat)
    if "lon" in values or "lat" in values:
        check_position(session, session.get_one(Division, depot.division_code), lon, lat, "depot")
    _apply(depot, values)
    depot.updated_at = utcnow()
    session.flush()
    _record(session, scope, "update", "depot", depot, before)
    return depot


# -- the stock ledger ------------------------------------------------------------------------------------


def batch_balances(*, session: Session, depot_id: int, item: str | None = None) -> dict[str, list[rules.BatchBalance]]:
    """Item → its batches' balances (sums of the ledger), zero batches left out."""
    stmt = (
        select(StockMovement.item, StockMovement.batch, func.max(StockMovement.expiry), func.sum(StockMovement.delta))
        .where(StockMovement.depot_id == depot_id)
        .group_by(StockMovement.item, StockMovement.batch)
    )
    if item is not None:
        stmt = stmt.where(StockMovement.item == item)
    out: dict[str, list[rules.BatchBalance]] = {}
    for it, batch, expiry, total in session.execute(stmt):
        if int(total or 0) != 0:
            out.setdefault(it, []).append(rules.BatchBalance(batch, expiry, int(total)))
    return out


def stock(*, session: Session, scope: Scope, depot_id: int) -> list[dict[str, Any]]:
    """A depot's stock per item: balance (sum of movements), batches, minimum level and its flag."""
    depot = get_depot(session=session, scope=scope, depot_id=depot_id)
    balances = batch_balances(session=session, depot_id=depot.id)
    minimums = {
        m.item: m.minimum for m in session.scalars(select(StockMinimum).where(StockMinimum.depot_id == depot.id))
    }
    items = catalogue()
    out = []
    for key in sorted(set(balances) | set(minimums), key=lambda k: (list(items).index(k) if k in items else 999, k)):
        batches = sorted(balances.get(key, []), key=lambda b: (b.expiry is None, b.expiry or dt.date.max, b.batch))
        quantity = sum(b.quantity for b in batches)
        minimum = minimums.get(key)
        entry = items.get(key)
        out.append(
            {
                "item": key,
                "name_zh": entry.name_zh if entry else key,
                "unit": entry.unit if entry else "",
                "quantity": quantity,
                "minimum": minimum,
                "below_minimum": minimum is not None and quantity < minimum,
                "volume_m3": round(quantity * entry.volume_m3, 3) if entry else None,
                "weight_kg": round(quantity * entry.weight_kg, 1) if entry else None,
                "batches": [{"batch": b.batch, "expiry": b.expiry, "quantity": b.quantity} for b in batches],
            }
        )
    return out


def list_movements(
    *,
    session: Session,
    scope: Scope,
    depot_id: int,
    item: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list[StockMovement], int]:
    depot = get_depot(session=session, scope=scope, depot_id=depot_id)
    stmt = select(StockMovement).where(StockMovement.depot_id == depot.id)
    if item:
        stmt = stmt.where(StockMovement.item == item)
    return _page(session, stmt, StockMovement.id, limit, offset)


def _movement(
    session: Session,
    scope: Scope,
    depot: Depot,
    *,
    kind: str,
    item: str,
    batch: str,
    expiry: dt.date | None,
    delta: int,
    transfer_id: int | None = None,
    reference: str = "",
    note: str = "",
) -> StockMovement:
    row = StockMovement(
        depot_id=depot.id,
        division_code=depot.division_code,
        item=item,
        batch=batch,
        expiry=expiry,
        kind=kind,
        delta=delta,
        transfer_id=transfer_id,
        reference=reference,
        note=note,
        at=utcnow(),
        actor=scope.actor,
    )
    session.add(row)
    session.flush()
    _record(session, scope, kind, "stock_movement", row, None)
    return row


def _receive(
    session: Session,
    scope: Scope,
    depot: Depot,
    *,
    kind: str,
    item: str,
    quantity: int,
    batch: str,
    expiry: dt.date | None,
    transfer_id: int | None = None,
    reference: str = "",
    note: str = "",
) -> StockMovement:
    known = {b.batch: b for b in batch_balances(session=session, depot_id=depot.id, item=item).get(item, [])}
    existing = known.get(batch)
    if existing is not None and existing.expiry is not None and expiry is not None and existing.expiry != expiry:
        raise InvalidInput(
            f"batch {batch!r} of {item} in this depot expires on {existing.expiry}, not {expiry}", field="expiry"
        )
    if existing is not None and expiry is None:
        expiry = existing.expiry
    return _movement(
        session,
        scope,
        depot,
        kind=kind,
        item=item,
        batch=batch,
        expiry=expiry,
        delta=quantity,
        transfer_id=transfer_id,
        reference=reference,
        note=note,
    )


def _withdraw(
    session: Session,
    scope: Scope,
    depot: Depot,
    *,
    kind: str,
    item: str,
    quantity: int,
    batch: str | None,
    transfer_id: int | None = None,
    reference: str = "",
    note: str = "",
) -> list[StockMovement]:
    """Take ``quantity`` out (the named batch, or first expiry first out); refused whole if short."""
    balances = batch_balances(session=session, depot_id=depot.id, item=item).get(item, [])
    takes = rules.allocate(balances, quantity, item=item, batch=batch)
    return [
        _movement(
            session,
            scope,
            depot,
            kind=kind,
            item=item,
            batch=t.batch,
            expiry=t.expiry,
            delta=-t.quantity,
            transfer_id=transfer_id,
            reference=reference,
            note=note,
        )
        for t in takes
    ]


def move_stock(*, session: Session, scope: Scope, depot_id: int, movement_in: MovementIn) -> list[StockMovement]:
    """Receive, issue, adjust or expire stock: one or more ledger lines; never below zero."""
    depot = _writable(session, scope, Depot, depot_id, "depot", lock=True)
    item = item_id(movement_in.item)
    delta = rules.signed_delta(movement_in.kind, movement_in.quantity)
    ref, note = movement_in.reference, movement_in.note
    if delta > 0:
        batch = movement_in.batch or ""
        return [
            _receive(
                session, scope, depot, kind=movement_in.kind, item=item, quantity=delta, batch=batch,
                expiry=movement_in.expiry, reference=ref, note=note,
            )
        ]  # fmt: skip
    if movement_in.expiry is not None:
        raise InvalidInput("expiry is given only when stock comes in", field="expiry")
    if movement_in.kind == "issue":
        # Issuing may not take what open transfer orders reserve or holders hold (expiries and stocktake
        # adjustments record what physically happened and may: the order is then refused when confirmed).
        key = (depot.id, item)
        reserved = reserved_stock(session=session, depot_ids=[depot.id]).get(key, 0)
        holds = held_stock(session=session, depot_ids=[depot.id]).get(key, 0)
        have = on_hand(session=session, depot_ids=[depot.id]).get(key, 0)
        if reserved + holds and have - reserved - holds < -delta:
            raise Conflict(
                f"{item}: {have - reserved - holds} free to issue at depot {depot.id} ({reserved} reserved by "
                f"open transfer orders, {holds} held by committed plans), {-delta} asked"
            )
    return _withdraw(
        session, scope, depot, kind=movement_in.kind, item=item, quantity=-delta, batch=movement_in.batch,
        reference=ref, note=note,
    )  # fmt: skip


def expire_due(*, session: Session, scope: Scope, depot_id: int, on: dt.date) -> list[StockMovement]:
    """Write off every batch of the depot whose expiry date is before ``on`` (one ``expire`` line each)."""
    depot = _writable(session, scope, Depot, depot_id, "depot", lock=True)
    out = []
    for item, batches in sorted(batch_balances(session=session, depot_id=depot.id).items()):
        for b in sorted(batches, key=lambda x: x.batch):
            if b.expiry is not None and b.expiry < on and b.quantity > 0:
                out.append(
                    _movement(
                        session, scope, depot, kind="expire", item=item, batch=b.batch, expiry=b.expiry,
                        delta=-b.quantity, reference=f"expired before {on.isoformat()}",
                    )
                )  # fmt: skip
    return out


StockKey = tuple[int, str]  # (depot id, item)


def reserved_stock(*, session: Session, depot_ids: Collection[int] | None = None) -> dict[StockKey, int]:
    """Stock promised by open transfer orders (status ``created``), per sending depot and item.

    An open order reserves its lines: they stay on hand (the ledger moves them only when the order is
    confirmed) but no plan may allocate them again; confirming or cancelling the order releases them.
    """
    stmt = (
        select(Transfer.from_depot_id, TransferLine.item, func.sum(TransferLine.quantity))
        .join(TransferLine, TransferLine.transfer_id == Transfer.id)
        .where(Transfer.status == "created")
        .group_by(Transfer.from_depot_id, TransferLine.item)
    )
    if depot_ids is not None:
        stmt = stmt.where(Transfer.from_depot_id.in_(list(depot_ids)))
    return {(int(d), str(i)): int(q or 0) for d, i, q in session.execute(stmt)}


def held_stock(
    *, session: Session, depot_ids: Collection[int] | None = None, exclude_holder: str | None = None
) -> dict[StockKey, int]:
    """Stock held without a transfer order (:class:`StockHold`), per depot and item; with
    :func:`reserved_stock`, all the stock promised. Every holder counts, whatever the caller's jurisdiction:
    a depot's stock is one pool."""
    stmt = select(StockHold.depot_id, StockHold.item, func.sum(StockHold.quantity)).group_by(
        StockHold.depot_id, StockHold.item
    )
    if depot_ids is not None:
        stmt = stmt.where(StockHold.depot_id.in_(list(depot_ids)))
    if exclude_holder is not None:
        stmt = stmt.where(StockHold.holder != exclude_holder)
    return {(int(d), str(i)): int(q or 0) for d, i, q in session.execute(stmt)}


def promised_stock(
    *, session: Session, depot_ids: Collection[int], exclude_holder: str | None = None
) -> dict[StockKey, int]:
    """All the stock promised per depot and item: open transfer orders' lines plus holds (less those of
    ``exclude_holder``). What is on hand less this is free to allocate or issue."""
    out = reserved_stock(session=session, depot_ids=depot_ids)
    for key, quantity in held_stock(session=session, depot_ids=depot_ids, exclude_holder=exclude_holder).items():
        out[key] = out.get(key, 0) + quantity
    return out


def hold_stock(*, session: Session, scope: Scope, holder: str, lines: Sequence[tuple[int, str, int, str]]) -> None:
    """Hold ``(depot id, item, quantity, note)`` lines for ``holder``. The caller has checked, with the depots
    locked (:func:`lock_depots`), that the stock is free."""
    for depot_id, item, quantity, note in lines:
        if quantity <= 0:
            raise InvalidInput(f"a hold needs a positive quantity (got {quantity})", field="quantity")
        session.add(StockHold(depot_id=depot_id, item=item_id(item), quantity=quantity, holder=holder,
                              note=note[:2000], created_by=scope.actor))  # fmt: skip
    session.flush()


def release_holds(*, session: Session, holder: str) -> int:
    """End every hold of ``holder``; how many there were."""
    rows = list(session.scalars(select(StockHold).where(StockHold.holder == holder)))
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)


def on_hand(*, session: Session, depot_ids: Collection[int]) -> dict[StockKey, int]:
    """Balance (sum of the ledger) per depot and item."""
    stmt = (
        select(StockMovement.depot_id, StockMovement.item, func.sum(StockMovement.delta))
        .where(StockMovement.depot_id.in_(list(depot_ids)))
        .group_by(StockMovement.depot_id, StockMovement.item)
    )
    return {(int(d), str(i)): int(q or 0) for d, i, q in session.execute(stmt)}


def lock_depots(*, session: Session, depot_ids: Collection[int]) -> None:
    """Lock depot rows (in id order, so two callers cannot deadlock) before checking and reserving their
    stock: a second caller waits until the first has committed its reservation, then sees it."""
    for depot_id in sorted(set(depot_ids)):
        session.get(Depot, depot_id, with_for_update=True, populate_existing=True)


def available_stock(
    *,
    session: Session,
    scope: Scope,
    items: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Stock free to allocate per readable active depot and item, with the depot's level and position —
    the supply side of a dispatch plan (``yingji.relief``): on hand less what open transfer orders
    reserve (:func:`reserved_stock`) and less what is held (:func:`held_stock`, e.g. committed plans'
    direct shipments). Rows with nothing free are left out."""
    depots, _ = list_depots(session=session, scope=scope, active=True, limit=None)
    wanted = {item_id(i) for i in items} if items else None
    by_id = {d.id: d for d in depots}
    balances = on_hand(session=session, depot_ids=list(by_id))
    promised_by_key = promised_stock(session=session, depot_ids=list(by_id))
    rows = []
    for (depot_id, item), total in sorted(balances.items()):
        if wanted is not None and item not in wanted:
            continue
        promised = promised_by_key.get((depot_id, item), 0)
        free = total - promised
        if free <= 0:
            continue
        d = by_id[depot_id]
        rows.append(
            {"depot_id": d.id, "name": d.name, "level": d.level, "division_code": d.division_code,
             "lon": d.lon, "lat": d.lat, "item": item, "quantity": free, "on_hand": total, "reserved": promised,
             "read_only": not scope.covers(d.division_code)}
        )  # fmt: skip
    return rows


def set_minimum(*, session: Session, scope: Scope, depot_id: int, minimum_in: MinimumIn) -> StockMinimum:
    depot = _writable(session, scope, Depot, depot_id, "depot")
    item = item_id(minimum_in.item)
    row = session.get(StockMinimum, (depot.id, item))
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = StockMinimum(depot_id=depot.id, item=item, division_code=depot.division_code, minimum=minimum_in.minimum)
        session.add(row)
    row.minimum = minimum_in.minimum
    session.flush()
    audit.record(
        session=session,
        scope=scope,
        action="set_minimum",
        entity="stock_minimum",
        entity_id=f"{depot.id}:{item}",
        division_code=depot.division_code,
        before=before,
        after=audit.snapshot(row),
    )
    return row


# -- transfers ------------------------------------------------------------------------------------------


def _transfer_depot(session: Session, scope: Scope, depot_id: int, side: str) -> Depot:
    depot = session.get(Depot, depot_id)
    if depot is None or not scope.can_read(depot.division_code):
        raise NotFound(f"{side} depot {depot_id} not found")
    scope.require_write(depot.division_code, f"{side} depot")
    if not depot.active:
        raise InvalidInput(f"{side} depot {depot_id} is inactive", field=f"{side}_depot_id")
    return depot


def create_transfer(*, session: Session, scope: Scope, transfer_in: TransferIn) -> Transfer:
    """A transfer order between two depots of the caller's subtree; no stock moves until confirmed."""
    scope.require(WRITE)
    source = _transfer_depot(session, scope, transfer_in.from_depot_id, "from")
    target = _transfer_depot(session, scope, transfer_in.to_depot_id, "to")
    if source.id == target.id:
        raise InvalidInput("a transfer needs two different depots", field="to_depot_id")
    transfer = Transfer(
        from_depot_id=source.id,
        to_depot_id=target.id,
        division_code=source.division_code,
        to_division_code=target.division_code,
        status="created",
        reference=transfer_in.reference,
        note=transfer_in.note,
        created_at=utcnow(),
        created_by=scope.actor,
        lines=[
            TransferLine(item=item_id(line.item), batch=line.batch, quantity=line.quantity)
            for line in transfer_in.lines
        ],
    )
    session.add(transfer)
    session.flush()
    _record(session, scope, "create", "transfer", transfer, None)
    return transfer


def get_transfer(*, session: Session, scope: Scope, transfer_id: int) -> Transfer:
    scope.require(READ)
    transfer = session.get(Transfer, transfer_id)
    if transfer is None or not (scope.can_read(transfer.division_code) or scope.can_read(transfer.to_division_code)):
        raise NotFound(f"transfer {transfer_id} not found")
    return transfer


def list_transfers(
    *,
    session: Session,
    scope: Scope,
    status: str | None = None,
    depot_id: int | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list[Transfer], int]:
    """Transfers whose sending or receiving depot the caller may read."""
    scope.require(READ)
    stmt = select(Transfer).where(
        or_(scope.where_readable(Transfer.division_code), scope.where_readable(Transfer.to_division_code))
    )
    if status:
        stmt = stmt.where(Transfer.status == status)
    if depot_id:
        stmt = stmt.where(or_(Transfer.from_depot_id == depot_id, Transfer.to_depot_id == depot_id))
    return _page(session, stmt, Transfer.id.desc(), limit, offset)


def _open_transfer(session: Session, scope: Scope, transfer_id: int) -> Transfer:
    scope.require(WRITE)
    transfer = get_transfer(session=session, scope=scope, transfer_id=transfer_id)
    scope.require_write(transfer.division_code, "transfer")
    # Lock and re-read the order, so two concurrent confirmations cannot both move its stock.
    session.refresh(transfer, with_for_update=True)
    if transfer.status != "created":
        raise InvalidInput(f"transfer {transfer.id} is already {transfer.status}", field="status")
    return transfer


def confirm_transfer(*, session: Session, scope: Scope, transfer_id: int) -> Transfer:
    """Confirm: every line leaves the sending depot and enters the receiving one, or nothing moves."""
    transfer = _open_transfer(session, scope, transfer_id)
    before = audit.snapshot(transfer)
    source = session.get_one(Depot, transfer.from_depot_id, with_for_update=True)
    target = session.get_one(Depot, transfer.to_depot_id, with_for_update=True)
    scope.require_write(target.division_code, "to depot")
    # Check every line against the stock first, so a short line refuses the whole order.
    needed: dict[tuple[str, str | None], int] = {}
    for line in transfer.lines:
        needed[(line.item, line.batch)] = needed.get((line.item, line.batch), 0) + line.quantity
    balances = batch_balances(session=session, depot_id=source.id)
    by_item: dict[str, int] = {}
    for (item, batch), quantity in needed.items():
        by_item[item] = by_item.get(item, 0) + quantity
        rules.allocate(balances.get(item, []), quantity, item=item, batch=batch)
    for item, quantity in by_item.items():
        rules.allocate(balances.get(item, []), quantity, item=item, batch=None)
    ref = transfer.reference or f"transfer {transfer.id}"
    for line in transfer.lines:
        outs = _withdraw(
            session,
            scope,
            source,
            kind="transfer_out",
            item=line.item,
            quantity=line.quantity,
            batch=line.batch,
            transfer_id=transfer.id,
            reference=ref,
        )
        for out in outs:
            _receive(
                session,
                scope,
                target,
                kind="transfer_in",
                item=line.item,
                quantity=-out.delta,
                batch=out.batch,
                expiry=out.expiry,
                transfer_id=transfer.id,
                reference=ref,
            )
    transfer.status = "confirmed"
    transfer.closed_at = utcnow()
    transfer.closed_by = scope.actor
    session.flush()
    _record(session, scope, "confirm", "transfer", transfer, before)
    return transfer


def cancel_transfer(*, session: Session, scope: Scope, transfer_id: int) -> Transfer:
    transfer = _open_transfer(session, scope, transfer_id)
    before = audit.snapshot(transfer)
    transfer.status = "cancelled"
    transfer.closed_at = utcnow()
    transfer.closed_by = scope.actor
    session.flush()
    _record(session, scope, "cancel", "transfer", transfer, before)
    return transfer


# -- shelters -------------------------------------------------------------------------------------------


def create_shelter(*, session: Session, scope: Scope, shelter_in: ShelterIn, source: str = "") -> Shelter:
    scope.require(WRITE)
    division = _registering_division(session, scope, shelter_in.division_code)
    check_position(session, division, shelter_in.lon, shelter_in.lat, "shelter")
    shelter = Shelter(
        **shelter_in.model_dump(exclude={"division_code", "capacity", "facilities"}),
        division_code=division.code,
        capacity=rules.check_capacity(shelter_in.effective_area_m2, shelter_in.capacity),
        facilities=rules.check_facilities(shelter_in.facilities),
        occupancy=0,
        checked_in=0,
        checked_out=0,
        source=source,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(shelter)
    session.flush()
    _record(session, scope, "create", "shelter", shelter, None)
    return shelter


def get_shelter(*, session: Session, scope: Scope, shelter_id: int) -> Shelter:
    return _readable(session, scope, Shelter, shelter_id, "shelter")


def list_shelters(
    *,
    session: Session,
    scope: Scope,
    shelter_class: str | None = None,
    division: str | None = None,
    is_open: bool | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list[Shelter], int]:
    scope.require(READ)
    stmt = select(Shelter).where(scope.where_readable(Shelter.division_code))
    if shelter_class:
        stmt = stmt.where(Shelter.shelter_class == shelter_class)
    if division:
        stmt = stmt.where(_under(Shelter.division_code, division, session, scope))
    if is_open is not None:
        stmt = stmt.where(Shelter.is_open.is_(is_open))
    return _page(session, stmt, Shelter.id, limit, offset)


def update_shelter(*, session: Session, scope: Scope, shelter_id: int, patch: ShelterPatch) -> Shelter:
    shelter = _writable(session, scope, Shelter, shelter_id, "shelter", lock=True)
    before = audit.snapshot(shelter)
    values = {k: v for k, v in patch.model_dump(exclude_unset=True).items() if v is not None}
    if "lon" in values or "lat" in values:
        check_position(
            session,
            session.get_one(Division, shelter.division_code),
            values.get("lon", shelter.lon),
            values.get("lat", shelter.lat),
            "shelter",
        )
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
    _apply(shelter, values)
    shelter.updated_at = utcnow()
    session.flush()
    _record(session, scope, "update", "shelter", shelter, before)
    return shelter


def record_occupancy(*, session: Session, scope: Scope, shelter_id: int, occupancy_in: OccupancyIn) -> Shelter:
    """Check people in or out; occupancy never exceeds capacity nor goes below zero."""
    shelter = _writable(session, scope, Shelter, shelter_id, "shelter", lock=True)
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
    session.flush()
    _record(session, scope, occupancy_in.kind, "shelter", shelter, before)
    return shelter


def list_shelter_events(
    *, session: Session, scope: Scope, shelter_id: int, limit: int | None = 100, offset: int = 0
) -> tuple[list[ShelterEvent], int]:
    """A shelter's check-ins and check-outs, oldest first."""
    shelter = get_shelter(session=session, scope=scope, shelter_id=shelter_id)
    stmt = select(ShelterEvent).where(ShelterEvent.shelter_id == shelter.id)
    return _page(session, stmt, ShelterEvent.id, limit, offset)


# -- rescue teams ---------------------------------------------------------------------------------------


def _specialty(value: str) -> str:
    if value not in rules.SPECIALTIES:
        raise InvalidInput(f"unknown specialty {value!r}; one of {', '.join(rules.SPECIALTIES)}", field="specialty")
    return value


def create_team(*, session: Session, scope: Scope, team_in: TeamIn, source: str = "") -> RescueTeam:
    scope.require(WRITE)
    division = _registering_division(session, scope, team_in.division_code)
    check_position(session, division, team_in.lon, team_in.lat, "team base")
    if team_in.kind == "professional" and not team_in.specialty:
        raise InvalidInput(
            "a professional team names its specialty (mine, hazmat, water, aviation …)", field="specialty"
        )
    team = RescueTeam(
        **team_in.model_dump(exclude={"division_code", "capabilities", "specialty"}),
        division_code=division.code,
        specialty=_specialty(team_in.specialty),
        capabilities=rules.check_capabilities(team_in.capabilities),
        source=source,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(team)
    session.flush()
    _record(session, scope, "create", "rescue_team", team, None)
    return team


def get_team(*, session: Session, scope: Scope, team_id: int) -> RescueTeam:
    return _readable(session, scope, RescueTeam, team_id, "team")


def list_teams(
    *,
    session: Session,
    scope: Scope,
    kind: str | None = None,
    capability: str | None = None,
    readiness: str | None = None,
    division: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list[RescueTeam], int]:
    scope.require(READ)
    stmt = select(RescueTeam).where(scope.where_readable(RescueTeam.division_code))
    if kind:
        stmt = stmt.where(RescueTeam.kind == kind)
    if readiness:
        stmt = stmt.where(RescueTeam.readiness == readiness)
    if division:
        stmt = stmt.where(_under(RescueTeam.division_code, division, session, scope))
    if capability:
        rules.check_capabilities([capability])
        rows = [t for t in session.scalars(stmt.order_by(RescueTeam.id)) if capability in (t.capabilities or [])]
        end = None if limit is None else offset + limit
        return rows[offset:end], len(rows)
    return _page(session, stmt, RescueTeam.id, limit, offset)


def update_team(*, session: Session, scope: Scope, team_id: int, patch: TeamPatch) -> RescueTeam:
    team = _writable(session, scope, RescueTeam, team_id, "team")
    before = audit.snapshot(team)
    values = {k: v for k, v in patch.model_dump(exclude_unset=True).items() if v is not None}
    if "lon" in values or "lat" in values:
        check_position(
            session,
            session.get_one(Division, team.division_code),
            values.get("lon", team.lon),
            values.get("lat", team.lat),
            "team base",
        )
    if "capabilities" in values:
        values["capabilities"] = rules.check_capabilities(values["capabilities"])
    if "specialty" in values:
        _specialty(values["specialty"])
    _apply(team, values)
    team.updated_at = utcnow()
    session.flush()
    _record(session, scope, "update", "rescue_team", team, before)
    return team


# -- vehicles and aircraft ------------------------------------------------------------------------------


def create_vehicle(*, session: Session, scope: Scope, vehicle_in: VehicleIn, source: str = "") -> Vehicle:
    scope.require(WRITE)
    division = _registering_division(session, scope, vehicle_in.division_code)
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
    check_position(session, division, lon, lat, "vehicle base")
    vehicle = Vehicle(
        **vehicle_in.model_dump(exclude={"division_code", "lon", "lat"}),
        division_code=division.code,
        lon=lon,
        lat=lat,
        source=source,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(vehicle)
    session.flush()
    _record(session, scope, "create", "vehicle", vehicle, None)
    return vehicle


def get_vehicle(*, session: Session, scope: Scope, vehicle_id: int) -> Vehicle:
    return _readable(session, scope, Vehicle, vehicle_id, "vehicle")


def list_vehicles(
    *,
    session: Session,
    scope: Scope,
    kind: str | None = None,
    aircraft: bool | None = None,
    depot_id: int | None = None,
    division: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list[Vehicle], int]:
    scope.require(READ)
    stmt = select(Vehicle).where(scope.where_readable(Vehicle.division_code))
    if kind:
        stmt = stmt.where(Vehicle.kind == kind)
    if aircraft is not None:
        stmt = stmt.where(Vehicle.kind.in_(rules.AIRCRAFT) if aircraft else Vehicle.kind.not_in(rules.AIRCRAFT))
    if depot_id:
        stmt = stmt.where(Vehicle.depot_id == depot_id)
    if division:
        stmt = stmt.where(_under(Vehicle.division_code, division, session, scope))
    return _page(session, stmt, Vehicle.id, limit, offset)


def update_vehicle(*, session: Session, scope: Scope, vehicle_id: int, patch: VehiclePatch) -> Vehicle:
    vehicle = _writable(session, scope, Vehicle, vehicle_id, "vehicle")
    before = audit.snapshot(vehicle)
    values = {k: v for k, v in patch.model_dump(exclude_unset=True).items() if v is not None}
    if "lon" in values or "lat" in values:
        check_position(
            session,
            session.get_one(Division, vehicle.division_code),
            values.get("lon", vehicle.lon),
            values.get("lat", vehicle.lat),
            "vehicle base",
        )
    _apply(vehicle, values)
    vehicle.updated_at = utcnow()
    session.flush()
    _record(session, scope, "update", "vehicle", vehicle, before)
    return vehicle


# -- bulk import ----------------------------------------------------------------------------------------

IMPORT_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # kind -> (required, optional)
    "depots": (
        ("name", "level", "division_code", "lon", "lat"),
        ("capacity_m3", "floor_area_m2", "address", "contact"),
    ),
    "stock": (("depot_id", "item", "quantity"), ("batch", "expiry", "reference", "note")),
    "shelters": (
        ("name", "shelter_class", "division_code", "lon", "lat", "effective_area_m2"),
        ("capacity", "facilities", "is_open", "address"),
    ),
    "teams": (
        ("name", "kind", "division_code", "lon", "lat", "headcount"),
        ("specialty", "capabilities", "readiness", "base", "contact"),
    ),
}
_LIST_COLUMNS = ("facilities", "capabilities")


def _csv_rows(text: str, kind: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _read_csv(reader, kind)
    except csv.Error as exc:
        raise InvalidInput(f"rejected: line {reader.line_num}: not valid CSV ({exc})", line=reader.line_num) from None


def _read_csv(reader: csv.DictReader[str], kind: str) -> list[tuple[int, dict[str, Any]]]:
    required, optional = IMPORT_COLUMNS[kind]
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise InvalidInput(f"rejected: line 1: missing column(s) {', '.join(missing)}", line=1)
    unknown = [c for c in header if c not in required and c not in optional]
    if unknown:
        raise InvalidInput(f"rejected: line 1: unknown column(s) {', '.join(unknown)}", line=1)
    reader.fieldnames = header
    rows = []
    for record in reader:
        line = reader.line_num
        if None in record:
            raise InvalidInput(f"rejected: line {line}: more fields than columns", line=line)
        values: dict[str, Any] = {}
        for key, raw in record.items():
            value = (raw or "").strip()
            if value == "":
                continue
            if key in _LIST_COLUMNS:
                values[key] = [v.strip() for v in value.split(";") if v.strip()]
            elif key == "is_open":
                values[key] = value.lower() in ("1", "true", "yes", "y", "是", "open")
            else:
                values[key] = value
        rows.append((line, values))
    if not rows:
        raise InvalidInput("rejected: the file has no rows", line=1)
    return rows


def _parse(model: type[BaseModel], values: dict[str, Any]) -> Any:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()))
        raise InvalidInput(f"{where}: {err.get('msg')}" if where else str(err.get("msg"))) from None


def _import_stock_row(session: Session, scope: Scope, values: dict[str, Any], source: str) -> Any:
    try:
        depot_id = int(values.get("depot_id", ""))
    except ValueError:
        raise InvalidInput("depot_id must be a whole number", field="depot_id") from None
    quantity_text = str(values.get("quantity", ""))
    try:
        quantity = int(quantity_text)
    except ValueError:
        raise InvalidInput(f"quantity {quantity_text!r} must be a whole number of units", field="quantity") from None
    if quantity <= 0:
        raise InvalidInput(f"quantity must be positive (stock is received), got {quantity}", field="quantity")
    movement = _parse(
        MovementIn,
        {
            "kind": "receive",
            "item": values.get("item", ""),
            "quantity": quantity,
            "batch": values.get("batch"),
            "expiry": values.get("expiry"),
            "reference": values.get("reference", source[:200]),
            "note": values.get("note", ""),
        },
    )
    return move_stock(session=session, scope=scope, depot_id=depot_id, movement_in=movement)


def import_csv(*, session: Session, scope: Scope, kind: str, text: str, source: str = "import") -> int:
    """Import depots, stock receipts, shelters or teams from CSV: every line checked; on the first bad
    line the whole file is rejected with the line and the reason, and nothing is written."""
    scope.require(WRITE)
    if kind not in IMPORT_COLUMNS:
        raise InvalidInput(f"unknown import kind {kind!r}; one of {', '.join(IMPORT_COLUMNS)}", field="kind")
    rows = _csv_rows(text, kind)
    creators: dict[str, tuple[type[BaseModel] | None, Callable[..., Any]]] = {
        "depots": (DepotIn, lambda v: create_depot(session=session, scope=scope, depot_in=v, source=source)),
        "shelters": (ShelterIn, lambda v: create_shelter(session=session, scope=scope, shelter_in=v, source=source)),
        "teams": (TeamIn, lambda v: create_team(session=session, scope=scope, team_in=v, source=source)),
        "stock": (None, lambda v: _import_stock_row(session, scope, v, source)),
    }
    model, create = creators[kind]
    # The error propagates out of the one transaction of the request or command, which rolls back
    # every row written before the rejected line.
    for line, values in rows:
        try:
            create(_parse(model, values) if model is not None else values)
        except DomainError as exc:
            raise InvalidInput(f"rejected: line {line}: {exc.detail}", line=line, reason=exc.detail) from None
    return len(rows)


# -- coverage -------------------------------------------------------------------------------------------


def _places(session: Session, scope: Scope, division: str | None, levels: Sequence[str]) -> list[Division]:
    """Places of the caller's own subtree (optionally under ``division``) with a known position."""
    scope.require(READ)
    stmt = select(Division).where(
        scope.where_covered(Division.code), Division.level.in_(levels), Division.lon.is_not(None)
    )
    if division:
        stmt = stmt.where(_under(Division.code, division, session, scope))
    return list(session.scalars(stmt.order_by(Division.code)))


def _xy(rows: Sequence[Any]) -> tuple[np.ndarray[Any, np.dtype[np.float64]], np.ndarray[Any, np.dtype[np.float64]]]:
    return (
        np.array([float(r.lon) for r in rows], dtype=np.float64),
        np.array([float(r.lat) for r in rows], dtype=np.float64),
    )


def _hours(value: float) -> float:
    return round(float(value), 2)


def depot_coverage(
    *, session: Session, scope: Scope, division: str | None = None, level: str | None = None
) -> dict[str, Any]:
    """Every county and township of the caller's subtree: the nearest readable depot of each reserve
    level, its travel time, the delivery targets missed; and the counties without a county depot."""
    places = _places(session, scope, division, (level,) if level else ("county", "township"))
    depots, _ = list_depots(session=session, scope=scope, active=True, limit=None)
    plon, plat = _xy(places)
    dlon, dlat = _xy(depots)
    by_level = coverage.nearest_by_level(plon, plat, dlon, dlat, [d.level for d in depots], rules.DEPOT_LEVELS)
    targets = coverage.delivery_targets()
    missed = coverage.missed_targets(by_level, targets)
    rows = []
    for i, place in enumerate(places):
        nearest: dict[str, Any] = {}
        for depot_level, found in by_level.items():
            j = int(found.index[i])
            nearest[depot_level] = (
                None
                if j < 0
                else {
                    "depot_id": depots[j].id,
                    "name": depots[j].name,
                    "hours": _hours(found.hours[i]),
                    "km": round(float(found.km[i]), 1),
                }
            )
        rows.append(
            {
                "code": place.code,
                "name": place.name,
                "level": place.level,
                "population": place.population,
                "nearest": nearest,
                "outside_targets": missed[i],
            }
        )
    with_county_depot = {d.division_code[:6] for d in depots if d.level == "county"}
    counties = _places(session, scope, division, ("county",)) if level == "township" else places
    return {
        "targets_hours": targets,
        "travel_model": _travel_model(),
        "places": rows,
        "counties_without_county_depot": [
            {"code": c.code, "name": c.name}
            for c in counties
            if c.level == "county" and c.code[:6] not in with_county_depot
        ],
    }


def _travel_model() -> str:
    speed = FallbackSpeed()
    return (
        f"fallback: great-circle distance × {speed.detour_factor:g} at {speed.speed_kmh:g} km/h "
        "(no road network in the database; yingji.relief.travel)"
    )


def shelter_coverage(*, session: Session, scope: Scope, division: str | None = None) -> dict[str, Any]:
    """Per township of the caller's subtree: shelters, effective area and capacity against population."""
    towns = _places(session, scope, division, ("township",))
    shelters, _ = list_shelters(session=session, scope=scope, limit=None)
    located = spatial.locate_points(session, [s.lon for s in shelters], [s.lat for s in shelters], "township")
    totals: dict[str, list[float]] = {}
    for shelter, town in zip(shelters, located, strict=True):
        code = town or (shelter.division_code if level_of(shelter.division_code) == "township" else None)
        if code is None:
            continue
        acc = totals.setdefault(code, [0, 0.0, 0])
        acc[0] += 1
        acc[1] += shelter.effective_area_m2
        acc[2] += shelter.capacity
    sums = [totals.get(t.code, [0, 0.0, 0]) for t in towns]
    norm = rules.min_area_per_person_m2()
    judged = coverage.shelter_adequacy(
        [t.population for t in towns], [s[1] for s in sums], [int(s[2]) for s in sums], norm
    )
    rows = [
        {
            "code": t.code,
            "name": t.name,
            "population": t.population,
            "shelters": int(s[0]),
            "effective_area_m2": round(float(s[1]), 1),
            "capacity": int(s[2]),
            **j,
        }
        for t, s, j in zip(towns, sums, judged, strict=True)
    ]
    return {"min_area_per_person_m2": norm, "townships": rows}


def team_coverage(
    *,
    session: Session,
    scope: Scope,
    division: str | None = None,
    capability: str | None = None,
    target_hours: float = coverage.TEAM_TARGET_HOURS,
    level: str = "county",
) -> dict[str, Any]:
    """For each capability, every place's nearest available (ready or standby) team having it."""
    capabilities = rules.check_capabilities([capability]) if capability else list(rules.CAPABILITIES)
    places = _places(session, scope, division, (level,))
    teams = [
        t for t in list_teams(session=session, scope=scope, limit=None)[0] if t.readiness in rules.AVAILABLE_READINESS
    ]
    plon, plat = _xy(places)
    tlon, tlat = _xy(teams)
    found = coverage.team_coverage(plon, plat, tlon, tlat, [t.capabilities or [] for t in teams], capabilities)
    rows = []
    for cap in capabilities:
        near = found[cap]
        for i, place in enumerate(places):
            j = int(near.index[i])
            rows.append(
                {
                    "capability": cap,
                    "code": place.code,
                    "name": place.name,
                    "team_id": teams[j].id if j >= 0 else None,
                    "team_name": teams[j].name if j >= 0 else None,
                    "hours": _hours(near.hours[i]) if j >= 0 else None,
                    "within_target": bool(j >= 0 and near.hours[i] <= target_hours),
                }
            )
    return {"target_hours": target_hours, "travel_model": _travel_model(), "rows": rows}


# -- map layers -----------------------------------------------------------------------------------------


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


# Marker colours of the map layers (``properties.colour``, as the dashboard's layers expect).
LEVEL_COLOURS = {
    "central": "#6c3483",
    "provincial": "#1f618d",
    "city": "#117a65",
    "county": "#b7950b",
    "township": "#7f8c8d",
}
READINESS_COLOURS = {"ready": "#1e8449", "standby": "#b7950b", "deployed": "#2874a6", "unavailable": "#7f8c8d"}
GAP_COLOUR = "#c0392b"


def _shelter_colour(s: Shelter) -> str:
    if not s.is_open:
        return "#7f8c8d"
    return "#c0392b" if s.occupancy >= s.capacity else "#1e8449"


def layer(*, session: Session, scope: Scope, name: str, division: str | None = None) -> list[dict[str, Any]]:
    """GeoJSON features of one map layer: depots, shelters, teams or gaps (coverage problems)."""
    scope.require(READ)
    if name == "depots":
        rows, _ = list_depots(session=session, scope=scope, division=division, limit=None)
        return [
            {
                "id": f"depot/{d.id}",
                "geometry": _point(d.lon, d.lat),
                "properties": {
                    "id": d.id,
                    "name": d.name,
                    "level": d.level,
                    "division_code": d.division_code,
                    "active": d.active,
                    "read_only": not scope.covers(d.division_code),
                    "label": d.name,
                    "colour": LEVEL_COLOURS.get(d.level, "#7f8c8d"),
                },
            }
            for d in rows
        ]
    if name == "shelters":
        shelters, _ = list_shelters(session=session, scope=scope, division=division, limit=None)
        return [
            {
                "id": f"shelter/{s.id}",
                "geometry": _point(s.lon, s.lat),
                "properties": {
                    "id": s.id,
                    "name": s.name,
                    "class": s.shelter_class,
                    "capacity": s.capacity,
                    "occupancy": s.occupancy,
                    "is_open": s.is_open,
                    "division_code": s.division_code,
                    "label": s.name,
                    "colour": _shelter_colour(s),
                },
            }
            for s in shelters
        ]
    if name == "teams":
        teams, _ = list_teams(session=session, scope=scope, division=division, limit=None)
        return [
            {
                "id": f"team/{t.id}",
                "geometry": _point(t.lon, t.lat),
                "properties": {
                    "id": t.id,
                    "name": t.name,
                    "kind": t.kind,
                    "specialty": t.specialty,
                    "headcount": t.headcount,
                    "readiness": t.readiness,
                    "capabilities": t.capabilities,
                    "division_code": t.division_code,
                    "label": t.name,
                    "colour": READINESS_COLOURS.get(t.readiness, "#7f8c8d"),
                },
            }
            for t in teams
        ]
    if name == "gaps":
        return _gap_features(session, scope, division)
    raise InvalidInput(f"unknown layer {name!r}; one of depots, shelters, teams, gaps", field="layer")


GAP_TEXTS = {  # English texts of the gap codes (pages render the codes in zh/en from messages.yaml)
    "no_county_depot": "no county-level depot",
    "depot_beyond_target": "no {level} depot within {hours:g} h",
    "shelter_area_short": "shelter area {area_m2} m² per resident (< {norm_m2:g})",
}


def gap_codes(*, session: Session, scope: Scope, division: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Division code → the coverage problems found there, each a machine-readable ``code`` with its
    ``params`` (``GAP_TEXTS`` gives the English sentence; pages translate the code)."""
    found: dict[str, list[dict[str, Any]]] = {}
    depots = depot_coverage(session=session, scope=scope, division=division)
    for c in depots["counties_without_county_depot"]:
        found.setdefault(c["code"], []).append({"code": "no_county_depot", "params": {}})
    for place in depots["places"]:
        for level in place["outside_targets"]:
            hours = float(depots["targets_hours"][level])
            found.setdefault(place["code"], []).append(
                {"code": "depot_beyond_target", "params": {"level": level, "hours": hours}}
            )
    for town in shelter_coverage(session=session, scope=scope, division=division)["townships"]:
        if not town["meets_area_norm"]:
            params = {"area_m2": town["area_per_resident_m2"], "norm_m2": float(rules.min_area_per_person_m2())}
            found.setdefault(town["code"], []).append({"code": "shelter_area_short", "params": params})
    return found


def gap_text(gap: dict[str, Any]) -> str:
    """The English sentence of one coded gap."""
    return GAP_TEXTS[gap["code"]].format(**gap["params"])


def gaps(*, session: Session, scope: Scope, division: str | None = None) -> dict[str, list[str]]:
    """Division code → the coverage problems found there, as English sentences (:func:`gap_codes`)."""
    coded = gap_codes(session=session, scope=scope, division=division)
    return {code: [gap_text(g) for g in problems] for code, problems in coded.items()}


def _gap_features(session: Session, scope: Scope, division: str | None) -> list[dict[str, Any]]:
    coded = gap_codes(session=session, scope=scope, division=division)
    problems = {code: [gap_text(g) for g in found] for code, found in coded.items()}
    places = {d.code: d for d in session.scalars(select(Division).where(Division.code.in_(list(problems))))}
    features = []
    for code in sorted(problems):
        place = places[code]
        if place.boundary_wkb is not None:
            geometry = json.loads(shapely.to_geojson(shapely.from_wkb(place.boundary_wkb)))
        else:
            geometry = _point(float(place.lon or 0), float(place.lat or 0))
        features.append(
            {
                "id": f"gap/{code}",
                "geometry": geometry,
                "properties": {
                    "code": code,
                    "name": place.name,
                    "level": place.level,
                    "problems": problems[code],
                    "gaps": coded[code],
                    "label": place.name,
                    "colour": GAP_COLOUR,
                },
            }
        )
    return features
