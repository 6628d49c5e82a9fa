"""Two withdrawals at once from the same stock: the depot row lock lets exactly one through."""

from __future__ import annotations

import threading

import pytest
from tests.resources.conftest import DINGRI, inside

from yingji.auth.scope import system_scope
from yingji.db import make_engine, session_factory, transaction
from yingji.errors import Conflict
from yingji.resources import service
from yingji.resources.schemas import DepotIn, MovementIn


def test_concurrent_issues_never_overdraw_the_stock(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers on its own")
    scope = system_scope("test")
    engine = make_engine(db_url)
    factory = session_factory(engine)
    with transaction(factory) as session:
        lon, lat = inside(session, DINGRI)
        depot = service.create_depot(
            session=session,
            scope=scope,
            depot_in=DepotIn(name="库", level="county", division_code=DINGRI, lon=lon, lat=lat),
        )
        service.move_stock(
            session=session,
            scope=scope,
            depot_id=depot.id,
            movement_in=MovementIn(kind="receive", item="quilt", quantity=10),
        )
        depot_id = depot.id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def issue_six() -> None:
        try:
            with transaction(factory) as session:
                barrier.wait(timeout=10)
                service.move_stock(
                    session=session,
                    scope=scope,
                    depot_id=depot_id,
                    movement_in=MovementIn(kind="issue", item="quilt", quantity=6),
                )
            outcomes.append("issued")
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=issue_six) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    with transaction(factory) as session:
        balance = sum(b.quantity for b in service.batch_balances(session=session, depot_id=depot_id)["quilt"])
    engine.dispose()
    assert sorted(outcomes) == ["issued", "refused"] and balance == 4
