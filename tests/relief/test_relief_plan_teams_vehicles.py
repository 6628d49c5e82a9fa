"""Rescue teams and vehicles inside a stored plan: teams from the registry assigned to sites by capability
and arrival time, kept with the plan and made Command tasks on commit; vehicles of the registry turning
a plan into the HiGHS truck MILP (nothing ships from a depot without trucks). Both backends."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.resources.conftest import DINGRI, inside, scope_of

from yingji.auth.scope import Scope
from yingji.errors import InvalidInput
from yingji.incidents import service as incident_service
from yingji.incidents.schemas import IncidentCreate
from yingji.relief import service as relief
from yingji.relief.schemas import PlanIn, RoadImport
from yingji.resources import service as resources
from yingji.resources.models import Depot
from yingji.resources.schemas import DepotIn, MovementIn, TeamIn, VehicleIn

ITEM = "sleeping_bag"


@pytest.fixture
def planner(session: Session) -> Scope:
    return scope_of(session, "dingri_duty")  # with every permission


def _team(session: Session, scope: Scope, name: str, dlon: float, caps: list[str], readiness: str = "ready") -> int:
    lon, lat = inside(session, DINGRI)
    body = TeamIn.model_validate(
        {
            "name": name,
            "kind": "fire_rescue",
            "division_code": DINGRI,
            "lon": lon + dlon,
            "lat": lat,
            "headcount": 20,
            "capabilities": caps,
            "readiness": readiness,
        }
    )
    return resources.create_team(session=session, scope=scope, team_in=body).id


def _needs(session: Session, **extra: Any) -> dict[str, Any]:
    lon, lat = inside(session, DINGRI)
    return {
        "division_code": DINGRI,
        "demands": [{"place": "村", "lon": lon, "lat": lat, "item": ITEM, "quantity": 1}],
        "team_needs": [
            {"place": "倒塌点", "lon": lon, "lat": lat, "capability": "collapse_rescue"},
            {"place": "水域", "lon": lon, "lat": lat, "capability": "water_rescue"},
        ],
        **extra,
    }


def _assigned(plan: relief.ReliefPlan, ours: set[int]) -> list[int]:
    return [a["team_id"] for a in (plan.teams or {}).get("assignments", []) if a["team_id"] in ours]


def test_the_nearest_able_team_is_assigned_and_missing_capabilities_reported(session: Session, planner: Scope) -> None:
    near = _team(session, planner, "近队", 0.05, ["collapse_rescue"])
    far = _team(session, planner, "远队", 0.1, ["collapse_rescue"])
    unable = _team(session, planner, "医疗队", 0.0, ["medical"])
    plan = relief.create_plan(session=session, scope=planner, plan_in=PlanIn.model_validate(_needs(session)))
    assert _assigned(plan, {near, far, unable}) == [near]
    stored = relief.get_plan(session=session, scope=planner, plan_id=plan.id).teams
    assert stored and stored["assignments"][0]["arrival_hours"] > 0
    if not any(a["capability"] == "water_rescue" for a in stored["assignments"]):
        assert {"place": "水域", "capability": "water_rescue", "teams_missing": 1} in stored["unserved"]


def test_a_standby_team_leaves_later_and_may_lose_to_a_farther_ready_one(session: Session, planner: Scope) -> None:
    near = _team(session, planner, "近队", 0.05, ["collapse_rescue"], readiness="standby")
    far = _team(session, planner, "远队", 0.1, ["collapse_rescue"])
    plan = relief.create_plan(session=session, scope=planner,
                              plan_in=PlanIn.model_validate(_needs(session, standby_hours=24)))  # fmt: skip
    assert _assigned(plan, {near, far}) == [far]


def test_teams_travel_by_the_stored_roads_and_their_cuts(session: Session, planner: Scope) -> None:
    """By great circle the nearer team wins; once a fast road joins the farther team to the site, it arrives
    first; with that road cut it cannot come at all."""
    lon, lat = inside(session, DINGRI)
    near = _team(session, planner, "近队", 0.04, ["collapse_rescue"])
    far = _team(session, planner, "路边队", 0.1, ["collapse_rescue"])

    def assigned() -> list[int]:
        plan = relief.create_plan(session=session, scope=planner, plan_in=PlanIn.model_validate(_needs(session)))
        return _assigned(plan, {near, far})

    assert assigned() == [near]
    road = {"type": "Feature", "id": "t1", "properties": {"speed_kmh": 100},
            "geometry": {"type": "LineString", "coordinates": [[lon + 0.1, lat], [lon, lat]]}}  # fmt: skip
    relief.import_roads(session=session, scope=planner, road_in=RoadImport(
        network="team-road", geojson={"type": "FeatureCollection", "features": [road]}))  # fmt: skip
    assert assigned() == [far]
    segment = relief.list_roads(session=session, scope=planner)[0][0]
    relief.cut_road(session=session, scope=planner, segment_id=segment.id, reason="塌方")
    assert assigned() == [near]


def test_an_unknown_capability_is_refused(session: Session, planner: Scope) -> None:
    body = _needs(session)
    body["team_needs"][0]["capability"] = "teleportation"
    with pytest.raises(InvalidInput, match="unknown capability"):
        relief.create_plan(session=session, scope=planner, plan_in=PlanIn.model_validate(body))


def test_committing_gives_each_assigned_team_a_command_task(session: Session, planner: Scope) -> None:
    lon, lat = inside(session, DINGRI)
    _team(session, planner, "近队", 0.05, ["collapse_rescue"])
    t0 = dt.datetime(2026, 11, 28, 8, tzinfo=dt.UTC)
    incident = incident_service.create(session=session, scope=planner, incident_in=IncidentCreate.model_validate({
        "title": "定日县地震", "incident_type": "earthquake", "divisions": [DINGRI], "lon": lon, "lat": lat,
        "occurred_at": t0, "reported_at": t0, "figures": {"relocated": 10}}))  # fmt: skip
    body = {"incident_id": incident.id, "team_needs": _needs(session)["team_needs"]}
    plan = relief.create_plan(session=session, scope=planner, plan_in=PlanIn.model_validate(body))
    done = relief.commit_plan(session=session, scope=planner, plan_id=plan.id)
    assert done.commit_result and len(done.commit_result["team_tasks"]) == len(plan.teams["assignments"]) >= 1
    tasks = incident_service.tasks_of(session=session, scope=planner, incident_id=incident.id)
    assert any(t.title.startswith("派遣救援队 近队") for t in tasks)


def _depot(session: Session, scope: Scope, name: str, dlon: float, stock: int) -> Depot:
    lon, lat = inside(session, DINGRI)
    d = resources.create_depot(
        session=session,
        scope=scope,
        depot_in=DepotIn(name=name, level="county", division_code=DINGRI, lon=lon + dlon, lat=lat),
    )  # type: ignore[arg-type]
    resources.move_stock(session=session, scope=scope, depot_id=d.id,
                         movement_in=MovementIn(kind="receive", item=ITEM, quantity=stock))  # fmt: skip
    return d


def test_a_plan_with_vehicles_ships_only_from_depots_with_trucks(session: Session, planner: Scope) -> None:
    lon, lat = inside(session, DINGRI)
    near = _depot(session, planner, "近库无车", 0.01, 50)
    far = _depot(session, planner, "远库有车", 0.1, 50)
    resources.create_vehicle(
        session=session,
        scope=planner,
        vehicle_in=VehicleIn.model_validate(
            {"name": "卡车", "kind": "truck", "division_code": DINGRI, "depot_id": far.id, "payload_kg": 5000}
        ),
    )
    body = {"division_code": DINGRI, "demands": [{"place": "村", "lon": lon, "lat": lat, "item": ITEM,
                                                  "quantity": 30}]}  # fmt: skip
    free = relief.create_plan(session=session, scope=planner, plan_in=PlanIn.model_validate(body))
    assert sum(s["quantity"] for s in free.shipments if s["depot_id"] == near.id) == 30  # nearest, no trucks needed
    trucked = relief.create_plan(
        session=session, scope=planner, plan_in=PlanIn.model_validate({**body, "vehicles": True})
    )
    assert trucked.method == "milp_highs" and trucked.parameters["vehicles"]["trucks"] >= 1
    assert sum(s["quantity"] for s in trucked.shipments if s["depot_id"] == near.id) == 0
    assert sum(s["quantity"] for s in trucked.shipments if s["depot_id"] == far.id) == 30
