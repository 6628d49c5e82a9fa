"""Property tests of the stock ledger: whatever sequence of receipts, issues, adjustments, expiries and
transfers is attempted, stock never goes negative, the balance is the sum of the movements, and a
refused movement changes nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.resources.conftest import DINGRI, inside

from yingji.auth.scope import Scope
from yingji.errors import Conflict
from yingji.resources import rules, service
from yingji.resources.models import StockMovement
from yingji.resources.schemas import DepotIn, MovementIn, TransferIn

BATCHES = ("A", "B", None)
operation = st.tuples(
    st.sampled_from(["receive", "issue", "adjust", "expire", "transfer"]),
    st.integers(min_value=1, max_value=40),
    st.sampled_from(BATCHES),
    st.booleans(),  # adjust: downwards?
)
PROPERTY = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
)


def _ledger(session: Session, depot_id: int) -> list[tuple[str, int]]:
    return [
        (b, d)
        for b, d in session.execute(
            select(StockMovement.batch, StockMovement.delta)
            .where(StockMovement.depot_id == depot_id)
            .order_by(StockMovement.id)
        )
    ]


def _balances(session: Session, depot_id: int) -> dict[str, int]:
    got = service.batch_balances(session=session, depot_id=depot_id, item="quilt").get("quilt", [])
    return {b.batch: b.quantity for b in got}


def _depots(session: Session, scope: Scope) -> tuple[int, int]:
    lon, lat = inside(session, DINGRI)
    ids = []
    for name in ("甲", "乙"):
        body = DepotIn(name=name, level="county", division_code=DINGRI, lon=lon, lat=lat)
        ids.append(service.create_depot(session=session, scope=scope, depot_in=body).id)
    return ids[0], ids[1]


def _attempt(session: Session, scope: Scope, source: int, target: int, op: tuple[str, int, str | None, bool]) -> None:
    kind, quantity, batch, down = op
    if kind == "transfer":
        body = TransferIn.model_validate(
            {"from_depot_id": source, "to_depot_id": target, "lines": [{"item": "quilt", "quantity": quantity,
                                                                         "batch": batch}]}
        )  # fmt: skip
        order = service.create_transfer(session=session, scope=scope, transfer_in=body)
        service.confirm_transfer(session=session, scope=scope, transfer_id=order.id)
        return
    signed = -quantity if kind == "adjust" and down else quantity
    values: dict[str, Any] = {"kind": kind, "item": "quilt", "quantity": signed, "batch": batch}
    service.move_stock(session=session, scope=scope, depot_id=source, movement_in=MovementIn.model_validate(values))


@PROPERTY
@given(ops=st.lists(operation, min_size=1, max_size=12))
def test_stock_never_goes_negative_and_equals_the_sum_of_its_movements(
    session: Session, national: Scope, ops: list[tuple[str, int, str | None, bool]]
) -> None:
    source, target = _depots(session, national)
    for op in ops:
        before = (_ledger(session, source), _ledger(session, target))
        try:
            _attempt(session, national, source, target, op)
        except Conflict:
            assert (_ledger(session, source), _ledger(session, target)) == before  # a refused move changes nothing
        for depot in (source, target):
            balances = _balances(session, depot)
            assert all(q >= 0 for q in balances.values())
            by_batch: dict[str, int] = {}
            for batch, delta in _ledger(session, depot):
                by_batch[batch] = by_batch.get(batch, 0) + delta
            assert {b: q for b, q in by_batch.items() if q} == balances
    total = session.scalar(select(func.sum(StockMovement.delta)).where(StockMovement.depot_id.in_([source, target])))
    assert sum(_balances(session, source).values()) + sum(_balances(session, target).values()) == (total or 0)


@settings(max_examples=200, deadline=None)
@given(
    stock=st.lists(st.tuples(st.sampled_from("ABCD"), st.integers(0, 50)), max_size=4, unique_by=lambda t: t[0]),
    quantity=st.integers(1, 120),
    batch=st.sampled_from(["A", "B", None]),
)
def test_an_allocation_takes_exactly_the_quantity_or_refuses(
    stock: list[tuple[str, int]], quantity: int, batch: str | None
) -> None:
    balances = [rules.BatchBalance(b, None, q) for b, q in stock]
    pool = sum(q for b, q in stock if batch is None or b == batch)
    try:
        takes = rules.allocate(balances, quantity, item="quilt", batch=batch)
    except Conflict:
        assert pool < quantity
        return
    held = dict(stock)
    assert sum(t.quantity for t in takes) == quantity
    assert all(0 < t.quantity <= held[t.batch] for t in takes)
