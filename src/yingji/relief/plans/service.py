"""Relief dispatch plans (调拨方案): demand from an incident, an assessment or a list of places; solving against the
caller's depots, vehicles, teams and shelters; reading, committing (transfer orders, holds, tasks),
confirming and cancelling. Services never commit; every write is audited."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import paginate, utcnow
from yingji.errors import InvalidInput, NotFound
from yingji.geo.models import Division
from yingji.incidents import service as incident_service
from yingji.quake import service as quake_service
from yingji.relief.dispatch import (
    DeprivationCost,
    Fleet,
    ItemLoad,
    ReliefProblem,
    Site,
    Team,
    assign_shelters,
    assign_teams,
    plan_greedy,
    plan_min_cost_flow,
    plan_with_vehicles,
)
from yingji.relief.models import ReliefPlan
from yingji.relief.needs import estimate_needs
from yingji.relief.roads.service import stored_network
from yingji.relief.schemas import PlanIn, TeamNeed
from yingji.relief.travel import (
    FallbackSpeed,
    RoadNetwork,
    Sites,
    fallback_arcs,
    fallback_hours,
    great_circle_km,
    road_arcs,
    road_hours,
)
from yingji.resources import rules as resource_rules
from yingji.resources import service as resources

PLAN, READ = "relief:plan", "resources:read"
MAX_PLACES = 500  # demand points per plan (the API's bound; the largest townships by displaced are kept)
MAX_PAIRS = 1_000_000  # depot × place pairs routed whole; above, the 20 nearest depots per place
NEAREST_DEPOTS = 20
MAX_SHELTERS = 5_000
ROAD_VEHICLES = ("truck", "van")  # what carries supplies by road in the truck MILP
VEHICLE_TIME_LIMIT_S = 30.0  # HiGHS time limit for a plan with vehicles (1% gap asked)


def items_for_displaced(displaced: int, *, days: int, month: int | None, lat: float, lon: float) -> dict[str, int]:
    """Catalogue items for ``displaced`` people over ``days`` (``relief.needs`` norms; cold weather picks
    cotton tents and adds coats and stoves; food in rations of 2,100 kcal, water in litres)."""
    if displaced <= 0:
        return {}
    needs = estimate_needs(float(displaced), month=month, lat=lat, lon=lon)
    q = {k: v.value for k, v in needs.items.items()}
    ration_kcal = 2100.0  # one 'food' unit (standards/relief_items.yaml: Sphere 2018)
    out = {
        "tent_cotton" if needs.cold else "tent_single": int(q["tents"]),
        "quilt": int(q["quilts"]),
        "cotton_coat": int(q["cotton_coats"]),
        "folding_bed": int(q["folding_beds"]),
        "stove": int(q["stoves"]),
        "water": math.ceil(q["water"] * days),
        "food": math.ceil(q["food"] / ration_kcal * days),
    }
    return {k: v for k, v in out.items() if v > 0}


def _place(pid: str, name: str, code: str | None, lon: float, lat: float, displaced: int,
           need: dict[str, int]) -> dict[str, Any]:  # fmt: skip
    return {"id": pid, "name": name, "code": code, "lon": float(lon), "lat": float(lat),
            "displaced": int(displaced), "need": need}  # fmt: skip


def _incident_demand(session: Session, scope: Scope, incident_id: int, days: int) -> tuple[Any, list[dict[str, Any]]]:
    incident = incident_service.get(session=session, scope=scope, incident_id=incident_id)
    figures = incident.figures or {}
    displaced = int(figures.get("relocated") or figures.get("needing_assistance") or 0)
    if displaced <= 0:
        raise InvalidInput(
            f"incident {incident.id} has no relocated or needing_assistance figure to plan for", field="incident_id"
        )
    month = incident.occurred_at.month
    need = items_for_displaced(displaced, days=days, month=month, lat=incident.lat, lon=incident.lon)
    division = session.get(Division, incident.division_code)
    name = division.name if division else incident.title
    return incident, [_place(f"incident-{incident.id}", name, incident.division_code, incident.lon, incident.lat,
                             displaced, need)]  # fmt: skip


def _assessment_demand(
    session: Session, scope: Scope, assessment_id: int, days: int
) -> tuple[Any, list[dict[str, Any]]]:
    from yingji.quake.losses import estimate_displaced

    row = quake_service.get(session=session, scope=scope, assessment_id=assessment_id)
    rows = [r for r in quake_service.exposure_for(scope, row) if scope.covers(str(r["code"]))]
    towns = [r for r in rows if r.get("level") == "township"] or [r for r in rows if r.get("level") == "county"]
    displaced = {
        str(r["code"]): round(estimate_displaced({int(k): float(v) for k, v in r["people_by_degree"].items()}))
        for r in towns
    }
    chosen = sorted((c for c in displaced if displaced[c] > 0), key=lambda c: -displaced[c])[:MAX_PLACES]
    divisions = {d.code: d for d in session.scalars(select(Division).where(Division.code.in_(chosen)))}
    month = row.origin_time.month
    places = []
    for code in sorted(chosen):
        d = divisions.get(code)
        if d is None or d.lon is None or d.lat is None:
            continue
        need = items_for_displaced(displaced[code], days=days, month=month, lat=d.lat, lon=d.lon)
        places.append(_place(code, d.name, code, d.lon, d.lat, displaced[code], need))
    if not places:
        raise InvalidInput(
            f"assessment {row.id} leaves no displaced people in your jurisdiction to plan for", field="assessment_id"
        )
    return row, places


def _explicit_demand(plan_in: PlanIn) -> list[dict[str, Any]]:
    by_id: dict[str, dict[str, Any]] = {}
    for group in plan_in.displaced:
        p = by_id.setdefault(group.place, _place(group.place, group.place, None, group.lon, group.lat, 0, {}))
        p["displaced"] += group.displaced
    for p in by_id.values():
        p["need"] = items_for_displaced(p["displaced"], days=plan_in.days, month=plan_in.month, lat=p["lat"],
                                        lon=p["lon"])  # fmt: skip
    for line in plan_in.demands:
        p = by_id.setdefault(line.place, _place(line.place, line.place, None, line.lon, line.lat, 0, {}))
        if (p["lon"], p["lat"]) != (line.lon, line.lat):
            raise InvalidInput(f"place {line.place!r} is given at two positions", field="demands")
        item = resources.item_id(line.item)
        p["need"][item] = p["need"].get(item, 0) + line.quantity
    if len(by_id) > MAX_PLACES:
        raise InvalidInput(f"at most {MAX_PLACES} places per plan, got {len(by_id)}", field="demands")
    return list(by_id.values())


def _depots_and_stock(session: Session, scope: Scope, items: Sequence[str]) -> tuple[list[dict[str, Any]], np.ndarray]:
    rows = resources.available_stock(session=session, scope=scope, items=list(items))
    depots: dict[int, dict[str, Any]] = {}
    for r in rows:
        depots.setdefault(r["depot_id"], {k: r[k] for k in ("depot_id", "name", "level", "division_code", "lon",
                                                              "lat", "read_only")})  # fmt: skip
    order = sorted(depots)
    index = {d: i for i, d in enumerate(order)}
    col = {it: j for j, it in enumerate(items)}
    stock = np.zeros((len(order), len(items)), np.int64)
    for r in rows:
        stock[index[r["depot_id"]], col[r["item"]]] += int(r["quantity"])
    return [depots[d] for d in order], stock


def _solve(places: list[dict[str, Any]], depots: list[dict[str, Any]], stock: np.ndarray, items: list[str],
           cost: DeprivationCost, network: RoadNetwork | None = None,
           fleet: Fleet | None = None) -> tuple[Any, Any, bool]:  # fmt: skip
    dep = Sites.of([str(d["depot_id"]) for d in depots], [d["lon"] for d in depots], [d["lat"] for d in depots])
    pl = Sites.of([p["id"] for p in places], [p["lon"] for p in places], [p["lat"] for p in places])
    pruned = len(dep) * len(pl) > MAX_PAIRS
    k = NEAREST_DEPOTS if pruned else None
    if network is not None and len(dep) and len(pl):
        arcs = road_arcs(dep, pl, network, k=k, limit_hours=cost.horizon_hours)
    else:
        arcs = fallback_arcs(dep, pl, k=k)
    need = np.array([[p["need"].get(it, 0) for it in items] for p in places], np.int64).reshape(len(places), len(items))
    problem = ReliefProblem(dep.ids, pl.ids, tuple(items), stock, need, arcs)
    if fleet is not None:
        catalogue = resources.catalogue()
        load = ItemLoad(
            weight_kg=np.array([catalogue[i].weight_kg for i in items], np.float64),
            volume_m3=np.array([catalogue[i].volume_m3 for i in items], np.float64),
            countable=np.array([catalogue[i].countable for i in items], bool),
        )
        best = plan_with_vehicles(problem, fleet, load, cost, mip_gap=0.01, time_limit_s=VEHICLE_TIME_LIMIT_S)
        return best, plan_greedy(problem, cost), pruned
    return plan_min_cost_flow(problem, cost), plan_greedy(problem, cost), pruned


def _fleet(session: Session, scope: Scope, depots: list[dict[str, Any]]) -> tuple[Fleet, dict[str, Any]]:
    """Trucks and vans of the vehicles registry (status available) at each depot of the plan: count,
    and per truck the mean payload (kg) and volume (m³, when every one has it) of that depot's ones."""
    index = {d["depot_id"]: i for i, d in enumerate(depots)}
    listed, _ = resources.list_vehicles(session=session, scope=scope, aircraft=False, limit=None)
    at: dict[int, list[Any]] = {}
    for v in listed:
        if v.kind in ROAD_VEHICLES and v.status == "available" and v.depot_id in index:
            at.setdefault(index[v.depot_id], []).append(v)
    n = len(depots)
    trucks = np.zeros(n, np.int64)
    kg = np.ones(n)
    m3 = np.full(n, np.inf)
    for i, vs in at.items():
        trucks[i] = len(vs)
        kg[i] = float(np.mean([v.payload_kg for v in vs]))
        if all(v.volume_m3 for v in vs):
            m3[i] = float(np.mean([v.volume_m3 for v in vs]))
    volume = np.where(np.isfinite(m3), m3, 1e9) if np.isfinite(m3).any() else None
    summary = {"trucks": int(trucks.sum()), "depots_with_trucks": int((trucks > 0).sum()),
               "vehicle_ids": sorted(v.id for vs in at.values() for v in vs)}  # fmt: skip
    return Fleet(trucks=trucks, capacity_kg=kg, capacity_m3=volume), summary


def _hours(origins: Sites, places: Sites, network: RoadNetwork | None) -> np.ndarray:
    """Travel hours origins × places: by the stored roads (cuts removed) when there are any, else the
    fallback model."""
    if network is not None and len(origins) and len(places):
        return road_hours(origins, places, network)
    return fallback_hours(origins, places)


def _team_assignment(session: Session, scope: Scope, needs: Sequence[TeamNeed], standby_hours: float,
                     network: RoadNetwork | None = None) -> dict[str, Any] | None:  # fmt: skip
    """Readable rescue teams (ready, or standby leaving ``standby_hours`` later) to the sites by
    capability and arrival time (``dispatch.assign_teams``: as many sites served as possible, then the
    least total arrival time, each team to one site, arrival by the site's deadline), travelling by the
    stored roads when there are any."""
    if not needs:
        return None
    resource_rules.check_capabilities([n.capability for n in needs])
    teams = [t for t in resources.list_teams(session=session, scope=scope, limit=None)[0]
             if t.readiness in resource_rules.AVAILABLE_READINESS]  # fmt: skip
    sites = [Site(str(i), n.capability, n.teams, n.deadline_hours) for i, n in enumerate(needs)]
    if teams:
        ts = Sites.of([str(t.id) for t in teams], [t.lon for t in teams], [t.lat for t in teams])
        ss = Sites.of([n.place for n in needs], [n.lon for n in needs], [n.lat for n in needs])
        travel = _hours(ts, ss, network)
    else:
        travel = np.zeros((0, len(needs)))
    roster = [Team(str(t.id), frozenset(t.capabilities or []), standby_hours if t.readiness == "standby" else 0.0)
              for t in teams]  # fmt: skip
    result = assign_teams(roster, sites, travel)
    by_id = {str(t.id): t for t in teams}
    row = {str(t.id): i for i, t in enumerate(teams)}
    assignments = []
    for team_id, site, arrival in result.assignments:
        t, need = by_id[team_id], needs[int(site)]
        assignments.append({"team_id": t.id, "team": t.name, "headcount": t.headcount, "readiness": t.readiness,
                            "place": need.place, "lon": need.lon, "lat": need.lat, "capability": need.capability,
                            "travel_hours": round(float(travel[row[team_id], int(site)]), 2),
                            "arrival_hours": round(arrival, 2), "deadline_hours": need.deadline_hours})  # fmt: skip
    unserved = [{"place": needs[int(site)].place, "capability": needs[int(site)].capability, "teams_missing": k}
                for site, k in result.unserved]  # fmt: skip
    return {"assignments": assignments, "unserved": unserved, "standby_hours": standby_hours,
            "total_arrival_hours": round(result.total_arrival_hours, 2)}  # fmt: skip


def _shelter_assignment(
    session: Session,
    scope: Scope,
    places: list[dict[str, Any]],
    max_hours: float,
    open_only: bool,
    network: RoadNetwork | None = None,
) -> dict[str, Any]:
    groups = [p for p in places if p["displaced"] > 0]
    if not groups:
        return {"moves": [], "unsheltered": [], "person_hours": 0.0, "status": "optimal"}
    listed, _ = resources.list_shelters(session=session, scope=scope, is_open=True if open_only else None,
                                        limit=MAX_SHELTERS)  # fmt: skip
    shelters = [s for s in listed if s.capacity > s.occupancy]
    if not shelters:
        return {"moves": [], "unsheltered": [{"place": p["id"], "people": p["displaced"]} for p in groups],
                "person_hours": 0.0, "status": "optimal"}  # fmt: skip
    gs = Sites.of([p["id"] for p in groups], [p["lon"] for p in groups], [p["lat"] for p in groups])
    ss = Sites.of([str(s.id) for s in shelters], [s.lon for s in shelters], [s.lat for s in shelters])
    hours = _hours(gs, ss, network)
    result = assign_shelters(gs.ids, [p["displaced"] for p in groups], ss.ids,
                             [s.capacity - s.occupancy for s in shelters], hours, max_hours=max_hours)  # fmt: skip
    by_id = {str(s.id): s for s in shelters}
    group_at = {p["id"]: p for p in groups}
    moves = []
    for place, shelter_id, people, h in result.moves:
        s, p = by_id[shelter_id], group_at[place]
        km = float(great_circle_km(p["lon"], p["lat"], s.lon, s.lat))
        moves.append({"place": place, "shelter_id": s.id, "shelter": s.name, "people": people,
                      "capacity_left": s.capacity - s.occupancy, "is_open": s.is_open, "hours": round(h, 2),
                      "km": round(km, 1),
                      "lon": s.lon, "lat": s.lat})  # fmt: skip
    return {"moves": moves, "unsheltered": [{"place": g, "people": n} for g, n in result.unsheltered],
            "person_hours": round(result.person_hours, 2), "status": result.status}  # fmt: skip


def create_plan(*, session: Session, scope: Scope, plan_in: PlanIn) -> ReliefPlan:
    """Plan and store. Unmet need (no stock, no route) is stored and shown, never dropped."""
    scope.require(PLAN)
    scope.require(READ)
    incident_id = assessment_id = None
    if plan_in.incident_id is not None:
        incident, places = _incident_demand(session, scope, plan_in.incident_id, plan_in.days)
        source, incident_id, division = "incident", incident.id, incident.division_code
        title = plan_in.title or incident.title
    elif plan_in.assessment_id is not None:
        row, places = _assessment_demand(session, scope, plan_in.assessment_id, plan_in.days)
        source, assessment_id, division = "assessment", row.id, row.division_code
        incident_id = row.incident_id
        if incident_id is not None:
            try:
                incident_service.get(session=session, scope=scope, incident_id=incident_id)
            except NotFound:
                incident_id = None
        title = plan_in.title or f"M{row.magnitude:.1f} {row.origin_time:%Y-%m-%d}"
    else:
        places = _explicit_demand(plan_in)
        source, division = "explicit", plan_in.division_code or scope.division_code
        scope.require_write(division, "division")
        if session.get(Division, division) is None:
            raise NotFound(f"division {division} not found")
        title = plan_in.title or "指定需求调运方案"  # a default title, in the product's first language
    if not scope.covers(division):
        division = scope.division_code  # a shared record planned for the caller's own part of it
    items = list(dict.fromkeys(it for p in places for it in p["need"]))
    cost = DeprivationCost() if plan_in.horizon_hours is None else replace(
        DeprivationCost(), horizon_hours=plan_in.horizon_hours)  # fmt: skip
    depots, stock = _depots_and_stock(session, scope, items) if items else ([], np.zeros((0, 0), np.int64))
    network, travel = stored_network(session=session, scope=scope)
    fleet, fleet_summary = _fleet(session, scope, depots) if plan_in.vehicles else (None, None)
    optimal, greedy, pruned = _solve(places, depots, stock, items, cost, network, fleet)
    depot_of = {str(d["depot_id"]): d for d in depots}
    result = optimal.to_dict()
    shipments = [
        {"depot_id": int(s["from"]), "depot": depot_of[s["from"]]["name"], "place": s["to"], "item": s["item"],
         "quantity": s["quantity"], "hours": s["hours"], "mode": s["mode"]}
        for s in result["shipments"]
    ]  # fmt: skip
    speed = FallbackSpeed()
    plan = ReliefPlan(
        division_code=division, source=source, incident_id=incident_id, assessment_id=assessment_id,
        title=title[:200], status="planned", solver_status=optimal.status, method=optimal.method,
        objective=float(optimal.objective), total_need=int(optimal.problem.need.sum()),
        total_unmet=optimal.total_unmet,
        parameters={"days": plan_in.days, "shelters": plan_in.shelters, "horizon_hours": cost.horizon_hours,
                    "month": plan_in.month,
                    "travel": travel or f"fallback: great-circle × {speed.detour_factor:g} at {speed.speed_kmh:g} km/h",
                    "pruned_to_nearest": NEAREST_DEPOTS if pruned else None,
                    "vehicles": fleet_summary, "gap": optimal.gap},
        places=places, depots=depots, shipments=shipments, unmet=result["unmet"],
        baseline={"method": greedy.method, "objective": float(greedy.objective), "total_unmet": greedy.total_unmet,
                  "solver_status": greedy.status,
                  "objective_ratio": (float(greedy.objective) / float(optimal.objective)
                                      if optimal.objective > 0 else None)},
        shelters=_shelter_assignment(session, scope, places, cost.horizon_hours, plan_in.shelters == "open",
                                     network),
        teams=_team_assignment(session, scope, plan_in.team_needs, plan_in.standby_hours, network),
        created_by=scope.actor, created_at=utcnow(),
    )  # fmt: skip
    session.add(plan)
    session.flush()
    audit.acted(session, scope, plan, entity="relief_plan", action="create", after=_audit_view(plan))
    return plan


def _audit_view(plan: ReliefPlan) -> dict[str, Any]:
    return {"id": plan.id, "source": plan.source, "incident_id": plan.incident_id,
            "assessment_id": plan.assessment_id, "status": plan.status, "objective": plan.objective,
            "total_need": plan.total_need, "total_unmet": plan.total_unmet, "shipments": len(plan.shipments),
            "commit_result": plan.commit_result}  # fmt: skip


def get_plan(*, session: Session, scope: Scope, plan_id: int, lock: bool = False) -> ReliefPlan:
    scope.require(READ)
    plan = access.get_covered(
        session=session, scope=scope, model=ReliefPlan, row_id=plan_id, what=f"plan {plan_id}", lock=lock
    )
    return plan


def list_plans(
    *, session: Session, scope: Scope, incident_id: int | None = None, limit: int | None = 100, offset: int = 0
) -> tuple[list[ReliefPlan], int]:
    stmt = access.covered_rows(scope, ReliefPlan, READ)
    if incident_id is not None:
        stmt = stmt.where(ReliefPlan.incident_id == incident_id)
    return paginate(session, stmt, ReliefPlan.id.desc(), limit=limit, offset=offset)


def shipment_groups(plan: ReliefPlan) -> list[dict[str, Any]]:
    """Shipments grouped per depot → place, with the items listed."""
    places = {p["id"]: p for p in plan.places}
    depots = {d["depot_id"]: d for d in plan.depots}
    out: dict[tuple[int, str], dict[str, Any]] = {}
    for s in plan.shipments:
        key = (s["depot_id"], s["place"])
        g = out.setdefault(key, {"depot": depots[s["depot_id"]], "place": places[s["place"]], "items": {},
                                 "quantity": 0, "hours": 0.0, "mode": s["mode"]})  # fmt: skip
        g["items"][s["item"]] = g["items"].get(s["item"], 0) + s["quantity"]
        g["quantity"] += s["quantity"]
        g["hours"] = max(g["hours"], s["hours"])
    return list(out.values())


def flows(plan: ReliefPlan) -> dict[str, Any]:
    """The plan as GeoJSON lines depot → place (width by quantity), for the map."""
    groups = shipment_groups(plan)
    top = max((g["quantity"] for g in groups), default=1)
    features = [
        {"type": "Feature", "id": f"flow/{g['depot']['depot_id']}/{g['place']['id']}",
         "geometry": {"type": "LineString", "coordinates": [[g["depot"]["lon"], g["depot"]["lat"]],
                                                            [g["place"]["lon"], g["place"]["lat"]]]},
         "properties": {"from": g["depot"]["name"], "depot_id": g["depot"]["depot_id"], "to": g["place"]["name"],
                        "place": g["place"]["id"], "items": g["items"], "quantity": g["quantity"],
                        "hours": round(g["hours"], 2), "mode": g["mode"],
                        "label": f"{g['depot']['name']} → {g['place']['name']}",
                        "width": round(2 + 10 * math.sqrt(g["quantity"] / top), 1),
                        "colour": "#1f618d" if g["mode"] == "road" else "#8e44ad"}}
        for g in groups
    ]  # fmt: skip
    unmet_at = {u["to"] for u in plan.unmet}
    for p in plan.places:
        features.append({"type": "Feature", "id": f"place/{p['id']}",
                         "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
                         "properties": {"label": p["name"], "displaced": p["displaced"], "kind": "place",
                                        "colour": "#c0392b" if p["id"] in unmet_at else "#1e8449"}})  # fmt: skip
    return {"type": "FeatureCollection", "features": features}
