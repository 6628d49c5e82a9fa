"""Transfers of stock between depots: ordered, confirmed (stock moves) or cancelled."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.errors import InvalidInput, NotFound
from yingji.resources import rules
from yingji.resources.models import (
    Depot,
    Transfer,
    TransferLine,
)
from yingji.resources.registry.service import READ, WRITE, item_id
from yingji.resources.schemas import (
    TransferIn,
)
from yingji.resources.stock.service import Posting, _receive, _withdraw, batch_balances

# -- transfers ------------------------------------------------------------------------------------------


def _transfer_depot(session: Session, scope: Scope, depot_id: int, side: str) -> Depot:
    depot = access.get_readable(
        session=session, scope=scope, model=Depot, row_id=depot_id, what=f"{side} depot {depot_id}"
    )
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
    audit.created(session, scope, transfer, entity="transfer", division_code=transfer.division_code)
    return transfer


def get_transfer(*, session: Session, scope: Scope, transfer_id: int) -> Transfer:
    scope.require(READ)
    transfer = session.get(Transfer, transfer_id)
    if transfer is None or not (scope.can_read(transfer.division_code) or scope.can_read(transfer.to_division_code)):
        raise NotFound(f"transfer {transfer_id} not found")
    return transfer


def _listed(session: Session, scope: Scope) -> Select[Transfer]:
    scope.require(READ)
    return select(Transfer).where(
        or_(scope.where_readable(Transfer.division_code), scope.where_readable(Transfer.to_division_code))
    )


# Transfers whose sending or receiving depot the caller may read.
list_transfers = access.Listing(
    Transfer,
    rows=_listed,
    order=(Transfer.id.desc(),),
    equal=("status",),
    where={"depot_id": lambda depot: or_(Transfer.from_depot_id == depot, Transfer.to_depot_id == depot)},
)


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
    out_of, into = (Posting(kind, ref, transfer_id=transfer.id) for kind in ("transfer_out", "transfer_in"))
    for line in transfer.lines:
        for out in _withdraw(session, scope, source, out_of, line.item, line.quantity, line.batch):
            _receive(session, scope, target, into, line.item, -out.delta, out.batch, out.expiry)
    transfer.status = "confirmed"
    transfer.closed_at = utcnow()
    transfer.closed_by = scope.actor
    audit.changed(session, scope, transfer, before, entity="transfer", action="confirm")
    return transfer


def cancel_transfer(*, session: Session, scope: Scope, transfer_id: int) -> Transfer:
    transfer = _open_transfer(session, scope, transfer_id)
    before = audit.snapshot(transfer)
    transfer.status = "cancelled"
    transfer.closed_at = utcnow()
    transfer.closed_by = scope.actor
    audit.changed(session, scope, transfer, before, entity="transfer", action="cancel")
    return transfer
