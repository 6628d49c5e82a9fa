"""Depots and their stock ledger: movements, batches and expiry, holds and promised stock, minimum levels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.errors import Conflict, InvalidInput
from yingji.resources import rules
from yingji.resources.models import Depot, StockHold, StockMinimum, StockMovement, Transfer, TransferLine
from yingji.resources.registry import service as registry
from yingji.resources.schemas import DepotIn, DepotPatch, MinimumIn, MovementIn

# -- depots ---------------------------------------------------------------------------------------------


def create_depot(*, session: Session, scope: Scope, depot_in: DepotIn, source: str = "") -> Depot:
    """Register a depot at a division of the caller's subtree; its position must lie inside it."""
    scope.require(registry.WRITE)
    division = registry.registering_division(session, scope, depot_in.division_code)
    allowed = rules.DEPOT_DIVISION_LEVELS[depot_in.level]
    if division.level not in allowed:
        raise InvalidInput(
            f"a {depot_in.level} depot is registered at a {' or '.join(allowed)} division, "
            f"not at the {division.level} {division.code}",
            field="level",
        )
    registry.check_position(session, division, depot_in.lon, depot_in.lat, "depot")
    return registry.register(
        session,
        scope,
        Depot,
        division,
        entity="depot",
        source=source,
        **depot_in.model_dump(exclude={"division_code"}),
        active=True,
    )


def get_depot(*, session: Session, scope: Scope, depot_id: int) -> Depot:
    """One depot."""
    return registry.readable(session, scope, Depot, depot_id, "depot")


# Depots the caller may read: own subtree plus those registered on the ancestor chain.
list_depots = registry.registered(Depot, "level", "active")


def update_depot(*, session: Session, scope: Scope, depot_id: int, patch: DepotPatch) -> Depot:
    """Change a depot's name, position, capacities, contact or active flag (never its stock)."""
    depot = registry.writable(session, scope, Depot, depot_id, "depot")
    before = audit.snapshot(depot)
    values = registry.patch_values(session, depot, patch, "depot", nullable=("capacity_m3", "floor_area_m2"))
    registry.save_patch(session, scope, depot, before, values, entity="depot")
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
    items = registry.catalogue()
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
    return registry.paged(session, stmt, StockMovement.id, limit, offset)


@dataclass(frozen=True)
class Posting:
    """Why stock moves, as each ledger line it writes records it: the movement's kind and what it answers to
    (a transfer order, a reference, a note)."""

    kind: str
    reference: str = ""
    note: str = ""
    transfer_id: int | None = None


def _movement(
    session: Session, scope: Scope, depot: Depot, posting: Posting, item: str, batch: str, expiry: dt.date | None,
    delta: int,
) -> StockMovement:  # fmt: skip
    row = StockMovement(
        depot_id=depot.id,
        division_code=depot.division_code,
        item=item,
        batch=batch,
        expiry=expiry,
        kind=posting.kind,
        delta=delta,
        transfer_id=posting.transfer_id,
        reference=posting.reference,
        note=posting.note,
        at=utcnow(),
        actor=scope.actor,
    )
    session.add(row)
    audit.created(session, scope, row, entity="stock_movement", division_code=row.division_code, action=posting.kind)
    return row


def _receive(
    session: Session, scope: Scope, depot: Depot, posting: Posting, item: str, quantity: int, batch: str,
    expiry: dt.date | None,
) -> StockMovement:  # fmt: skip
    """Put ``quantity`` into a batch (of the expiry it already has when ``expiry`` is not given)."""
    known = {b.batch: b for b in batch_balances(session=session, depot_id=depot.id, item=item).get(item, [])}
    existing = known.get(batch)
    if existing is not None and existing.expiry is not None and expiry is not None and existing.expiry != expiry:
        raise InvalidInput(
            f"batch {batch!r} of {item} in this depot expires on {existing.expiry}, not {expiry}", field="expiry"
        )
    if existing is not None and expiry is None:
        expiry = existing.expiry
    return _movement(session, scope, depot, posting, item, batch, expiry, quantity)


def _withdraw(
    session: Session, scope: Scope, depot: Depot, posting: Posting, item: str, quantity: int, batch: str | None
) -> list[StockMovement]:
    """Take ``quantity`` out (the named batch, or first expiry first out); refused whole if short."""
    balances = batch_balances(session=session, depot_id=depot.id, item=item).get(item, [])
    takes = rules.allocate(balances, quantity, item=item, batch=batch)
    return [_movement(session, scope, depot, posting, item, t.batch, t.expiry, -t.quantity) for t in takes]


def move_stock(*, session: Session, scope: Scope, depot_id: int, movement_in: MovementIn) -> list[StockMovement]:
    """Receive, issue, adjust or expire stock: one or more ledger lines; never below zero."""
    depot = registry.writable(session, scope, Depot, depot_id, "depot", lock=True)
    item = registry.item_id(movement_in.item)
    delta = rules.signed_delta(movement_in.kind, movement_in.quantity)
    posting = Posting(movement_in.kind, movement_in.reference, movement_in.note)
    if delta > 0:
        return [_receive(session, scope, depot, posting, item, delta, movement_in.batch or "", movement_in.expiry)]
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
    return _withdraw(session, scope, depot, posting, item, -delta, movement_in.batch)


def expire_due(*, session: Session, scope: Scope, depot_id: int, on: dt.date) -> list[StockMovement]:
    """Write off every batch of the depot whose expiry date is before ``on`` (one ``expire`` line each)."""
    depot = registry.writable(session, scope, Depot, depot_id, "depot", lock=True)
    out = []
    for item, batches in sorted(batch_balances(session=session, depot_id=depot.id).items()):
        for b in sorted(batches, key=lambda x: x.batch):
            if b.expiry is not None and b.expiry < on and b.quantity > 0:
                out.append(
                    _movement(
                        session, scope, depot, Posting("expire", f"expired before {on.isoformat()}"), item, b.batch,
                        b.expiry, -b.quantity,
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
        session.add(StockHold(depot_id=depot_id, item=registry.item_id(item), quantity=quantity, holder=holder,
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
    wanted = {registry.item_id(i) for i in items} if items else None
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
    depot = registry.writable(session, scope, Depot, depot_id, "depot")
    item = registry.item_id(minimum_in.item)
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
