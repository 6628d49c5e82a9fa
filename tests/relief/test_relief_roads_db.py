"""Road networks stored in the database: import checked whole (a broken feature is rejected naming it and
the reason, nothing half-imported), segments listed, cut with a reason (audited) and reopened — and plans
from the database route over the stored network with its current cuts. Both backends."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.resources.conftest import DINGRI, inside, scope_of

from yingji.auth.models import AuditEntry
from yingji.auth.scope import Scope
from yingji.errors import Conflict, InvalidInput, NotFound
from yingji.relief import service as relief
from yingji.relief.models import RoadSegment
from yingji.relief.schemas import PlanIn, RoadImport
from yingji.resources import service as resources
from yingji.resources.schemas import DepotIn, MovementIn

ITEM = "sleeping_bag"


@pytest.fixture
def planner(session: Session) -> Scope:
    return scope_of(session, "dingri_duty")  # with every permission


def _road(fid: str, coords: list[list[float]], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "id": fid, "properties": props, "geometry": {"type": "LineString",
                                                                          "coordinates": coords}}  # fmt: skip


def _import(session: Session, scope: Scope, features: list[dict[str, Any]], network: str = "g318") -> dict[str, Any]:
    body = RoadImport(network=network, geojson={"type": "FeatureCollection", "features": features})
    return relief.import_roads(session=session, scope=scope, road_in=body)


def _segments(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(RoadSegment)) or 0)


def test_a_broken_feature_is_rejected_by_name_and_nothing_is_stored(session: Session, planner: Scope) -> None:
    lon, lat = inside(session, DINGRI)
    good = _road("a", [[lon, lat], [lon + 0.1, lat]], highway="primary")
    broken = _road("b", [[lon, lat], [lon, 95.0]])
    with pytest.raises(InvalidInput, match=r"road feature 1 \(id 'b'\).*outside WGS 84"):
        _import(session, planner, [good, broken])
    with pytest.raises(InvalidInput, match=r"road feature 1 \(id 'a'\): the id of feature 0"):
        _import(session, planner, [good, _road("a", [[lon, lat], [lon, lat + 0.1]])])
    assert _segments(session) == 0


def test_imported_segments_keep_class_speed_and_length(session: Session, planner: Scope) -> None:
    lon, lat = inside(session, DINGRI)
    done = _import(session, planner, [_road("a", [[lon, lat], [lon + 0.1, lat]], highway="primary"),
                                      _road("b", [[lon, lat], [lon, lat + 0.1]], speed_kmh=15)])  # fmt: skip
    assert done["segments"] == 2 and done["division_code"] == DINGRI and 20 < done["length_km"] < 22
    rows, total = relief.list_roads(session=session, scope=planner, network="g318")
    by_id = {r.feature_id: r for r in rows}
    assert total == 2 and by_id["a"].road_class == "primary" and by_id["b"].speed_kmh == 15
    with pytest.raises(Conflict):
        _import(session, planner, [_road("c", [[lon, lat], [lon + 0.1, lat + 0.1]])])  # same network name


def test_a_cut_keeps_its_reason_time_and_author_and_is_audited(session: Session, planner: Scope) -> None:
    lon, lat = inside(session, DINGRI)
    _import(session, planner, [_road("a", [[lon, lat], [lon + 0.1, lat]])])
    seg = relief.list_roads(session=session, scope=planner)[0][0]
    row = relief.cut_road(session=session, scope=planner, segment_id=seg.id, reason="塌方")
    assert row.is_cut and row.cut_reason == "塌方" and row.cut_at is not None and row.cut_by == planner.actor
    with pytest.raises(InvalidInput):
        relief.cut_road(session=session, scope=planner, segment_id=seg.id, reason="again")
    assert relief.list_roads(session=session, scope=planner, cut=True)[1] == 1
    relief.reopen_road(session=session, scope=planner, segment_id=seg.id)
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "road_segment")).all()
    assert list(actions) == ["cut", "reopen"]


def test_another_county_neither_sees_nor_cuts_the_roads(session: Session, planner: Scope) -> None:
    lon, lat = inside(session, DINGRI)
    _import(session, planner, [_road("a", [[lon, lat], [lon + 0.1, lat]])])
    seg = relief.list_roads(session=session, scope=planner)[0][0]
    lazi = scope_of(session, "lazi_duty")
    assert relief.list_roads(session=session, scope=lazi)[1] == 0
    with pytest.raises(NotFound):
        relief.cut_road(session=session, scope=lazi, segment_id=seg.id, reason="x")


def test_plans_route_over_the_stored_network_and_its_cuts(session: Session, planner: Scope) -> None:
    lon, lat = inside(session, DINGRI)
    depot = resources.create_depot(
        session=session,
        scope=planner,
        depot_in=DepotIn(name="路网测试库", level="county", division_code=DINGRI, lon=lon, lat=lat),
    )  # type: ignore[arg-type]
    resources.move_stock(session=session, scope=planner, depot_id=depot.id,
                         movement_in=MovementIn(kind="receive", item=ITEM, quantity=5))  # fmt: skip
    body = PlanIn.model_validate({"division_code": DINGRI, "demands": [
        {"place": "路网村", "lon": lon + 0.2, "lat": lat, "item": ITEM, "quantity": 5}]})  # fmt: skip

    def shipped() -> tuple[int, str, list[float]]:
        plan = relief.create_plan(session=session, scope=planner, plan_in=body)
        mine = [s for s in plan.shipments if s["depot_id"] == depot.id]
        return sum(s["quantity"] for s in mine), plan.parameters["travel"], [s["hours"] for s in mine]

    fallback_q, fallback_travel, fallback_hours = shipped()
    assert fallback_q == 5 and fallback_travel.startswith("fallback")
    _import(session, planner, [_road("a", [[lon, lat], [lon + 0.1, lat]], speed_kmh=100),
                               _road("b", [[lon + 0.1, lat], [lon + 0.2, lat]], speed_kmh=100)])  # fmt: skip
    q, travel, hours = shipped()
    assert q == 5 and travel.startswith("road network g318: 2 open") and max(hours) < min(fallback_hours)
    seg = next(r for r in relief.list_roads(session=session, scope=planner)[0] if r.feature_id == "b")
    relief.cut_road(session=session, scope=planner, segment_id=seg.id, reason="桥梁损毁")
    q, travel, _ = shipped()
    assert q == 0 and "1 cut" in travel  # the only road is cut: the need is unmet, not sent by air or fallback
    relief.reopen_road(session=session, scope=planner, segment_id=seg.id)
    assert shipped()[0] == 5


def test_a_network_name_taken_in_another_county_is_free_here(session: Session, planner: Scope) -> None:
    """Issue 12, finding 11: the name is unique among the networks the importer can read only, so a 409 never
    confirms that another county has a network of that name."""
    from tests.resources.conftest import LAZI

    lazi = scope_of(session, "lazi_duty")
    lon, lat = inside(session, LAZI)
    _import(session, lazi, [_road("a", [[lon, lat], [lon + 0.01, lat]])], network="county-roads")
    lon, lat = inside(session, DINGRI)
    made = _import(session, planner, [_road("a", [[lon, lat], [lon + 0.01, lat]])], network="county-roads")
    assert made["segments"] == 1
    with pytest.raises(Conflict):  # a name the caller can read is taken
        _import(session, planner, [_road("b", [[lon, lat], [lon + 0.01, lat]])], network="county-roads")
