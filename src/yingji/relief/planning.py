"""Planning from files (what ``yingji relief plan`` runs): read and check every input first, then
build the routes and solve. No database; nothing is used until every file has been read whole."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from yingji.errors import InvalidInput
from yingji.relief import inputs
from yingji.relief.dispatch import (
    DeprivationCost,
    Fleet,
    ItemLoad,
    Plan,
    ReliefProblem,
    plan_greedy,
    plan_min_cost_flow,
    plan_min_cost_flow_pruned,
    plan_with_vehicles,
)
from yingji.relief.travel import (
    AirLift,
    CandidateArcs,
    CutAreas,
    FallbackRoutes,
    FallbackSpeed,
    RoadNetwork,
    fallback_arcs,
    road_arcs,
    split_frontier,
    with_air,
)

AUTO_PRUNE_PAIRS = 4_000_000  # above this many depot × place pairs, keep the 10 fastest depots per place


def _geojson(path: Path, what: str) -> Any:
    import json

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"{what} {path.name}: cannot read ({exc.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{what} {path.name}: not a JSON file ({exc})") from None


def plan_from_files(
    *,
    depots: Path,
    demands: Path,
    roads: Path | None = None,
    cut: Sequence[str] = (),
    cut_areas: Path | None = None,
    landing_sites: Path | None = None,
    helicopters: Path | None = None,
    catalogue: str | None = None,
    method: str = "optimal",
    detour: float | None = None,
    speed: float | None = None,
    horizon: float | None = None,
    candidates: int | None = None,
    gap: float = 0.01,
    time_limit: float = 60.0,
) -> Plan:
    """Read, check, route and solve. Raises :class:`InvalidInput` naming the file, line and reason."""
    # 1. read and check everything
    cat = None
    if catalogue == "builtin" or (catalogue is None and method == "vehicles"):
        cat = inputs.builtin_catalogue()
    elif catalogue is not None:
        cat = inputs.load_catalogue(Path(catalogue))
    depot_table = inputs.read_site_table(depots, catalogue=cat, optional=("trucks", "truck_capacity_kg"))
    demand_table = inputs.read_site_table(demands, catalogue=cat, optional=("cut_off",))
    road_cut_off = inputs.flag_column(demands, demand_table, "cut_off")
    areas = CutAreas.from_geojson(_geojson(cut_areas, "cut-area file")) if cut_areas else CutAreas()
    network = RoadNetwork.from_geojson(_geojson(roads, "road file")).without(cut, areas) if roads else None
    if cut and network is None:
        raise InvalidInput("--cut names road features, so it needs --roads")
    sites = inputs.read_positions(landing_sites) if landing_sites else None
    helis = inputs.read_helicopters(helicopters) if helicopters else ()
    fleet = _fleet(depots, depot_table) if method == "vehicles" else None
    fallback = FallbackSpeed(**{k: v for k, v in (("detour_factor", detour), ("speed_kmh", speed)) if v is not None})
    cost = DeprivationCost() if horizon is None else replace(DeprivationCost(), horizon_hours=horizon)

    # 2. the problem
    items = list(dict.fromkeys(depot_table.items() + demand_table.items()))
    dep, pl = depot_table.sites, demand_table.sites
    k = candidates
    if k is None and len(dep) * len(pl) > AUTO_PRUNE_PAIRS:
        k = 10
    frontier = None
    more_routes = None
    if network is not None:
        arcs: CandidateArcs = road_arcs(dep, pl, network, speed=fallback, k=None if k is None else k + 1,
                                        road_cut_off=road_cut_off, cut_areas=areas,
                                        limit_hours=cost.horizon_hours)  # fmt: skip
        if k is not None:
            arcs, frontier = split_frontier(arcs, len(pl), k)
    elif k is not None:
        source = FallbackRoutes(dep, pl, fallback, road_cut_off, areas)
        arcs, frontier = source.nearest(k)
        more_routes = source.within
    else:
        arcs = fallback_arcs(dep, pl, speed=fallback, road_cut_off=road_cut_off, cut_areas=areas)
    airlift = AirLift(helicopters=helis, landing_sites=sites)
    arcs = with_air(arcs, dep, pl, airlift, speed=fallback, k=k)
    problem = ReliefProblem(dep.ids, pl.ids, tuple(items), depot_table.matrix(items), demand_table.matrix(items), arcs)

    # 3. solve
    if method == "greedy":
        return plan_greedy(problem, cost)
    if method == "vehicles":
        assert fleet is not None and cat is not None
        load = ItemLoad(
            weight_kg=np.array([cat[i].weight_kg for i in items]),
            volume_m3=None,
            countable=np.array([cat[i].countable for i in items]),
        )
        return plan_with_vehicles(problem, fleet, load, cost, mip_gap=gap, time_limit_s=time_limit)
    if frontier is not None:
        # pruned: the plan is 'optimal' only when the certificate proves it optimal over all routes
        return plan_min_cost_flow_pruned(problem, frontier, cost, more_routes=more_routes)[0]
    return plan_min_cost_flow(problem, cost)


def _fleet(path: Path, table: inputs.SiteTable) -> Fleet:
    trucks = inputs.number_column(path, table, "trucks")
    capacity = inputs.number_column(path, table, "truck_capacity_kg")
    if (trucks != np.floor(trucks)).any():
        raise InvalidInput(f"{path.name}: trucks must be whole numbers")
    return Fleet(trucks=trucks.astype(np.int64), capacity_kg=capacity)
