"""Stock reserved between plans: a committed plan reserves what it ships from the caller's depots (open
transfer orders, or a hold when no transfer carries it), so another plan cannot allocate it; confirming
moves the stock through the ledger and ends the reservation; cancelling ends it too. Both backends."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.resources.conftest import DINGRI, inside, scope_of

from yingji.auth.scope import Scope
from yingji.errors import Conflict, InvalidInput
from yingji.relief import service as relief
from yingji.relief.schemas import PlanIn
from yingji.resources import service as resources
from yingji.resources.models import Depot, StockMovement
from yingji.resources.schemas import DepotIn, MovementIn

ITEM = "sleeping_bag"


def _depot(session: Session, scope: Scope, name: str, shift: float = 0.0, stock: int = 0) -> Depot:
    lon, lat = inside(session, DINGRI)
    body = DepotIn(name=name, level="county", division_code=DINGRI, lon=lon + shift, lat=lat)  # type: ignore[arg-type]
    d = resources.create_depot(session=session, scope=scope, depot_in=body)
    if stock:
        resources.move_stock(session=session, scope=scope, depot_id=d.id,
                             movement_in=MovementIn(kind="receive", item=ITEM, quantity=stock))  # fmt: skip
    return d


def _only_depot(session: Session, scope: Scope, stock: int) -> Depot:
    """The caller's only depot: no transfer can carry a shipment from it, so a committed plan holds it."""
    only = _depot(session, scope, "唯一", stock=stock)
    own = [d for d in resources.list_depots(session=session, scope=scope, active=True, limit=None)[0]
           if scope.covers(d.division_code)]  # fmt: skip
    if len(own) != 1:
        pytest.skip("other depots of this county exist in the database")
    return only


def _plan(session: Session, scope: Scope, at: Depot, quantity: int, place: str = "村") -> relief.ReliefPlan:
    body = PlanIn.model_validate({"division_code": DINGRI, "demands": [
        {"place": place, "lon": at.lon, "lat": at.lat, "item": ITEM, "quantity": quantity}]})  # fmt: skip
    return relief.create_plan(session=session, scope=scope, plan_in=body)


def _from(plan: relief.ReliefPlan, d: Depot) -> int:
    return sum(s["quantity"] for s in plan.shipments if s["depot_id"] == d.id)


def _free(session: Session, scope: Scope, d: Depot) -> int:
    rows = resources.available_stock(session=session, scope=scope, items=[ITEM])
    return sum(r["quantity"] for r in rows if r["depot_id"] == d.id)


def _on_hand(session: Session, d: Depot) -> int:
    return resources.on_hand(session=session, depot_ids=[d.id]).get((d.id, ITEM), 0)


@pytest.fixture
def planner(session: Session) -> Scope:
    return scope_of(session, "dingri_duty")  # with every permission


def test_a_committed_plan_reserves_its_stock_from_a_second_plan(session: Session, planner: Scope) -> None:
    a, b = _depot(session, planner, "甲", stock=30), _depot(session, planner, "乙", shift=0.05)
    first = _plan(session, planner, a, 20)
    assert _from(first, a) == 20
    relief.commit_plan(session=session, scope=planner, plan_id=first.id)
    assert _on_hand(session, a) == 30 and _free(session, planner, a) == 10  # reserved, not moved
    second = _plan(session, planner, a, 20)
    assert _from(second, a) == 10 and b.id not in {s["depot_id"] for s in second.shipments}


def test_a_stale_plan_cannot_commit_stock_another_plan_took(session: Session, planner: Scope) -> None:
    a = _depot(session, planner, "甲", stock=30)
    _depot(session, planner, "乙", shift=0.05)
    one, two = _plan(session, planner, a, 20), _plan(session, planner, a, 20)  # both saw 30 free
    relief.commit_plan(session=session, scope=planner, plan_id=one.id)
    transfers_before = resources.list_transfers(session=session, scope=planner, limit=None)[1]
    with pytest.raises(Conflict, match="plan again"):
        relief.commit_plan(session=session, scope=planner, plan_id=two.id)
    assert resources.list_transfers(session=session, scope=planner, limit=None)[1] == transfers_before


def test_confirming_moves_the_stock_and_ends_the_reservation(session: Session, planner: Scope) -> None:
    a, b = _depot(session, planner, "甲", stock=30), _depot(session, planner, "乙", shift=0.05)
    plan = _plan(session, planner, a, 20)
    relief.commit_plan(session=session, scope=planner, plan_id=plan.id)
    done = relief.confirm_plan(session=session, scope=planner, plan_id=plan.id)
    assert done.status == "confirmed" and done.commit_result and done.commit_result["confirmed_transfers"]
    assert (_on_hand(session, a), _on_hand(session, b)) == (10, 20)  # through the ledger, to the receiving depot
    assert _free(session, planner, a) == 10 and resources.reserved_stock(session=session, depot_ids=[a.id]) == {}
    with pytest.raises(InvalidInput):
        relief.confirm_plan(session=session, scope=planner, plan_id=plan.id)


def test_cancelling_releases_the_reservation(session: Session, planner: Scope) -> None:
    a = _depot(session, planner, "甲", stock=30)
    _depot(session, planner, "乙", shift=0.05)
    plan = _plan(session, planner, a, 25)
    relief.commit_plan(session=session, scope=planner, plan_id=plan.id)
    assert _free(session, planner, a) == 5
    cancelled = relief.cancel_plan(session=session, scope=planner, plan_id=plan.id)
    assert cancelled.status == "cancelled" and _free(session, planner, a) == 30 and _on_hand(session, a) == 30
    for tid in cancelled.commit_result["transfers"] if cancelled.commit_result else []:
        assert resources.get_transfer(session=session, scope=planner, transfer_id=tid).status == "cancelled"
    with pytest.raises(InvalidInput):
        relief.commit_plan(session=session, scope=planner, plan_id=plan.id)


def test_a_shipment_without_a_receiving_depot_is_held_then_issued(session: Session, planner: Scope) -> None:
    a = _only_depot(session, planner, stock=12)
    plan = relief.commit_plan(session=session, scope=planner, plan_id=_plan(session, planner, a, 8).id)
    assert plan.commit_result and plan.commit_result["transfers"] == []
    assert sum(h["quantity"] for h in plan.commit_result["held"]) == 8 and _free(session, planner, a) == 4
    assert _from(_plan(session, planner, a, 8), a) == 4
    relief.confirm_plan(session=session, scope=planner, plan_id=plan.id)
    assert _on_hand(session, a) == 4 and _free(session, planner, a) == 4
    issued = session.scalar(select(func.sum(StockMovement.delta)).where(
        StockMovement.depot_id == a.id, StockMovement.kind == "issue"))  # fmt: skip
    assert issued == -8


def test_issuing_by_hand_may_not_take_stock_a_committed_plan_holds(session: Session, planner: Scope) -> None:
    a = _only_depot(session, planner, stock=12)
    plan = relief.commit_plan(session=session, scope=planner, plan_id=_plan(session, planner, a, 8).id)
    assert resources.held_stock(session=session, depot_ids=[a.id]) == {(a.id, ITEM): 8}
    with pytest.raises(Conflict, match="8 held by committed plans"):
        resources.move_stock(session=session, scope=planner, depot_id=a.id,
                             movement_in=MovementIn(kind="issue", item=ITEM, quantity=5))  # fmt: skip
    resources.move_stock(session=session, scope=planner, depot_id=a.id,
                         movement_in=MovementIn(kind="issue", item=ITEM, quantity=4))  # fmt: skip
    relief.cancel_plan(session=session, scope=planner, plan_id=plan.id)
    assert resources.held_stock(session=session, depot_ids=[a.id]) == {}
    resources.move_stock(session=session, scope=planner, depot_id=a.id,
                         movement_in=MovementIn(kind="issue", item=ITEM, quantity=8))  # fmt: skip
    assert _on_hand(session, a) == 0


def test_issuing_may_not_take_stock_an_open_transfer_reserves(session: Session, planner: Scope) -> None:
    a = _depot(session, planner, "甲", stock=30)
    _depot(session, planner, "乙", shift=0.05)
    relief.commit_plan(session=session, scope=planner, plan_id=_plan(session, planner, a, 25).id)
    with pytest.raises(Conflict, match="reserved"):
        resources.move_stock(session=session, scope=planner, depot_id=a.id,
                             movement_in=MovementIn(kind="issue", item=ITEM, quantity=6))  # fmt: skip
    resources.move_stock(session=session, scope=planner, depot_id=a.id,
                         movement_in=MovementIn(kind="issue", item=ITEM, quantity=5))  # fmt: skip
    assert _on_hand(session, a) == 25 and _free(session, planner, a) == 0


# -- property: whatever plans are made, committed, confirmed or cancelled --------------------------------

step = st.tuples(st.sampled_from(["plan", "commit", "confirm", "cancel"]), st.integers(1, 40), st.integers(0, 5))
PROPERTY = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
)


@PROPERTY
@given(steps=st.lists(step, min_size=1, max_size=10))
def test_reserved_stock_never_exceeds_what_is_on_hand(
    session: Session, planner: Scope, steps: list[tuple[str, int, int]]
) -> None:
    a = _depot(session, planner, "甲", stock=50)
    b = _depot(session, planner, "乙", shift=0.05, stock=10)
    plans: list[int] = []
    for kind, quantity, pick in steps:
        try:
            if kind == "plan":
                plans.append(_plan(session, planner, a, quantity).id)
            elif plans:
                run = {"commit": relief.commit_plan, "confirm": relief.confirm_plan, "cancel": relief.cancel_plan}[kind]
                with session.begin_nested():  # a refused step leaves nothing behind
                    run(session=session, scope=planner, plan_id=plans[pick % len(plans)])
        except (Conflict, InvalidInput):
            pass
        for d in (a, b):
            have = _on_hand(session, d)
            promised = resources.reserved_stock(session=session, depot_ids=[d.id]).get((d.id, ITEM), 0)
            promised += resources.held_stock(session=session, depot_ids=[d.id]).get((d.id, ITEM), 0)
            assert have >= 0 and promised <= have  # every reservation can still be honoured
            assert _free(session, planner, d) == have - promised
