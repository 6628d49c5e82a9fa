"""Dispatch planning: optimality against brute force, cuts respected, unmet need, whole units, baseline."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yingji.errors import InvalidInput
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
    plan_min_cost_flow_pruned,
    plan_with_vehicles,
    shelter_capacity,
)
from yingji.relief.travel import CandidateArcs, FallbackRoutes, RoadNetwork, Sites, fallback_arcs, road_arcs

COST = DeprivationCost(scale=1.0, rate_per_hour=0.05, horizon_hours=72.0)


def unit_cost(hours: float) -> float:
    """Independent statement of the objective: t + scale·(exp(rate·t) − 1)."""
    return hours + 1.0 * (math.exp(0.05 * hours) - 1.0)


def dense_problem(hours: np.ndarray, stock: list[list[int]], need: list[list[int]]) -> ReliefProblem:
    nd, np_ = hours.shape
    d, p = np.meshgrid(np.arange(nd), np.arange(np_), indexing="ij")
    arcs = CandidateArcs.build(d, p, hours)
    ni = len(stock[0])
    return ReliefProblem(tuple(f"d{i}" for i in range(nd)), tuple(f"p{i}" for i in range(np_)),
                         tuple(f"i{i}" for i in range(ni)), np.array(stock, np.int64), np.array(need, np.int64),
                         arcs)  # fmt: skip


def brute_force(hours: np.ndarray, stock: list[int], need: list[int]) -> float:
    """Minimum social cost of one item by enumerating every whole-unit allocation."""
    nd, np_ = hours.shape
    unmet_cost = unit_cost(72.0)
    ranges = [range(min(stock[d], need[p]) + 1) for d in range(nd) for p in range(np_)]
    best = math.inf
    for flat in itertools.product(*ranges):
        x = np.array(flat).reshape(nd, np_)
        if (x.sum(1) > stock).any() or (x.sum(0) > need).any():
            continue
        finite = np.isfinite(hours)
        if (x[~finite] > 0).any():
            continue
        cost = sum(x[d, p] * unit_cost(hours[d, p]) for d in range(nd) for p in range(np_) if x[d, p])
        cost += (sum(need) - x.sum()) * unmet_cost
        best = min(best, cost)
    return best


small_instance = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(0, 2**32 - 1)).map(
    lambda t: (t[0], t[1], np.random.default_rng(t[2]))
)


@settings(max_examples=30, deadline=None)
@given(small_instance)
def test_min_cost_flow_matches_brute_force(instance: tuple[int, int, np.random.Generator]) -> None:
    nd, np_, rng = instance
    hours = rng.uniform(0.5, 90.0, (nd, np_))  # some routes beyond the 72 h horizon
    hours[rng.random((nd, np_)) < 0.2] = np.inf  # some routes cut
    stock = rng.integers(0, 4, nd).tolist()
    need = rng.integers(0, 4, np_).tolist()
    plan = plan_min_cost_flow(dense_problem(hours, [[s] for s in stock], [[n] for n in need]), COST)
    assert plan.objective == pytest.approx(brute_force(hours, stock, need), abs=1e-3 * (sum(need) + 1))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_greedy_is_never_better_than_optimal(seed: int) -> None:
    rng = np.random.default_rng(seed)
    nd, np_, ni = int(rng.integers(1, 6)), int(rng.integers(1, 8)), int(rng.integers(1, 3))
    hours = rng.uniform(0.5, 80.0, (nd, np_))
    stock = rng.integers(0, 20, (nd, ni)).tolist()
    need = rng.integers(0, 15, (np_, ni)).tolist()
    problem = dense_problem(hours, stock, need)
    best, greedy = plan_min_cost_flow(problem, COST), plan_greedy(problem, COST)
    assert greedy.objective >= best.objective - 1e-3 * (np.sum(need) + 1)


def test_greedy_can_be_worse_than_optimal() -> None:
    # place 0 takes depot 0 greedily, leaving place 1 a long trip; the optimum swaps.
    hours = np.array([[1.0, 2.0], [1.5, 30.0]])
    problem = dense_problem(hours, [[1], [1]], [[1], [1]])
    assert plan_greedy(problem, COST).objective > plan_min_cost_flow(problem, COST).objective + 1


def test_demand_beyond_stock_is_unmet_not_a_crash() -> None:
    problem = dense_problem(np.array([[2.0]]), [[5]], [[12]])
    plan = plan_min_cost_flow(problem, COST)
    assert plan.status == "optimal"
    assert plan.to_dict()["unmet"] == [{"to": "p0", "item": "i0", "quantity": 7}]
    assert plan.ship_quantity.tolist() == [5]


def test_place_without_any_route_is_unmet() -> None:
    hours = np.array([[2.0, np.inf]])
    plan = plan_min_cost_flow(dense_problem(hours, [[10]], [[3], [4]]), COST)
    assert plan.to_dict()["unmet"] == [{"to": "p1", "item": "i0", "quantity": 4}]


def test_no_depots_at_all_leaves_every_need_unmet() -> None:
    problem = ReliefProblem((), ("p",), ("tent",), np.zeros((0, 1), np.int64), np.array([[3]]),
                            CandidateArcs.empty())  # fmt: skip
    plan = plan_min_cost_flow(problem, COST)
    assert plan.total_unmet == 3 and plan.objective == pytest.approx(3 * unit_cost(72.0))


def test_quantities_are_whole_units() -> None:
    rng = np.random.default_rng(5)
    problem = dense_problem(rng.uniform(1, 20, (4, 6)), rng.integers(0, 50, (4, 2)).tolist(),
                            rng.integers(0, 30, (6, 2)).tolist())  # fmt: skip
    plan = plan_min_cost_flow(problem, COST)
    assert plan.ship_quantity.dtype.kind == "i" and plan.unmet_quantity.dtype.kind == "i"
    assert all(isinstance(s["quantity"], int) for s in plan.to_dict()["shipments"])


def test_stock_and_need_balance() -> None:
    rng = np.random.default_rng(6)
    problem = dense_problem(rng.uniform(1, 20, (5, 7)), rng.integers(0, 30, (5, 3)).tolist(),
                            rng.integers(0, 30, (7, 3)).tolist())  # fmt: skip
    plan = plan_min_cost_flow(problem, COST)
    assert (plan.shipped() <= problem.stock).all()
    unmet = np.zeros_like(problem.need)
    np.add.at(unmet, (plan.unmet_place, plan.unmet_item), plan.unmet_quantity)
    assert (plan.received() + unmet == problem.need).all()


def test_route_beyond_horizon_is_not_used() -> None:
    plan = plan_min_cost_flow(dense_problem(np.array([[100.0]]), [[5]], [[5]]), COST)
    assert plan.total_unmet == 5


def test_plan_respects_road_cuts() -> None:
    roads = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "r1", "properties": {"speed_kmh": 60},
         "geometry": {"type": "LineString", "coordinates": [[100, 30], [101, 30]]}},
        {"type": "Feature", "id": "r2", "properties": {"speed_kmh": 60},
         "geometry": {"type": "LineString", "coordinates": [[103, 30], [102, 30]]}},
    ]}  # fmt: skip
    net = RoadNetwork.from_geojson(roads)
    depots = Sites.of(["A", "C"], [100.0, 103.0], [30.0, 30.0])
    places = Sites.of(["B", "D"], [101.0, 102.0], [30.0, 30.0])
    open_plan = plan_min_cost_flow(
        ReliefProblem(depots.ids, places.ids, ("tent",), np.array([[5], [5]]), np.array([[3], [3]]),
                      road_arcs(depots, places, net, limit_hours=10)), COST)  # fmt: skip
    assert open_plan.total_unmet == 0
    cut = net.without(["r2"])
    cut_plan = plan_min_cost_flow(
        ReliefProblem(depots.ids, places.ids, ("tent",), np.array([[5], [5]]), np.array([[3], [3]]),
                      road_arcs(depots, places, cut, limit_hours=10)), COST)  # fmt: skip
    assert cut_plan.to_dict()["unmet"] == [{"to": "D", "item": "tent", "quantity": 3}]
    assert all(s["from"] == "A" for s in cut_plan.to_dict()["shipments"])


def test_cut_off_place_is_reported_unmet_per_item() -> None:
    depots = Sites.of(["A"], [100.0], [30.0])
    places = Sites.of(["x", "y"], [100.1, 100.2], [30.0, 30.0])
    arcs = fallback_arcs(depots, places, road_cut_off=np.array([False, True]))
    plan = plan_min_cost_flow(
        ReliefProblem(depots.ids, places.ids, ("tent", "quilt"), np.array([[9, 9]]), np.array([[1, 2], [3, 4]]), arcs),
        COST,
    )
    assert plan.to_dict()["unmet"] == [
        {"to": "y", "item": "tent", "quantity": 3},
        {"to": "y", "item": "quilt", "quantity": 4},
    ]


def test_problem_rejects_negative_stock() -> None:
    with pytest.raises(InvalidInput, match="non-negative"):
        dense_problem(np.array([[1.0]]), [[-1]], [[1]])


def test_plan_dict_has_the_documented_keys() -> None:
    out = plan_min_cost_flow(dense_problem(np.array([[2.0]]), [[5]], [[3]]), COST).to_dict()
    assert {"shipments", "unmet", "objective", "solver_status"} <= out.keys()
    assert {"from", "to", "item", "quantity", "hours"} <= out["shipments"][0].keys()


# --- vehicles (MILP) ------------------------------------------------------------------------------


def test_milp_with_ample_trucks_equals_min_cost_flow() -> None:
    rng = np.random.default_rng(8)
    problem = dense_problem(rng.uniform(1, 20, (3, 5)), rng.integers(0, 20, (3, 2)).tolist(),
                            rng.integers(0, 10, (5, 2)).tolist())  # fmt: skip
    fleet = Fleet(trucks=np.full(3, 50), capacity_kg=np.full(3, 10_000.0))
    load = ItemLoad(weight_kg=np.array([10.0, 2.0]))
    milp = plan_with_vehicles(problem, fleet, load, COST, mip_gap=0.0)
    assert milp.status == "optimal"
    assert milp.objective == pytest.approx(plan_min_cost_flow(problem, COST).objective, rel=1e-6)


def brute_force_trucks(hours: np.ndarray, stock: list[int], need: list[int], w: float, cap: float,
                       trucks: list[int], horizon: float) -> float:  # fmt: skip
    nd, np_ = hours.shape
    best = math.inf
    for flat in itertools.product(*[range(min(stock[d], need[p]) + 1) for d in range(nd) for p in range(np_)]):
        x = np.array(flat).reshape(nd, np_)
        if (x.sum(1) > stock).any() or (x.sum(0) > need).any():
            continue
        trips = np.ceil(x * w / cap - 1e-9)
        # a truck's round trip must fit in the hours available; the fleet's hours are shared
        per_route = np.floor(horizon / (2 * hours)) * np.array(trucks)[:, None]
        if (trips > per_route).any() or ((2 * hours * trips).sum(1) > np.array(trucks) * horizon + 1e-9).any():
            continue
        cost = sum(x[d, p] * unit_cost(hours[d, p]) for d in range(nd) for p in range(np_))
        best = min(best, cost + (sum(need) - x.sum()) * unit_cost(72.0))
    return best


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_milp_matches_brute_force_with_tight_trucks(seed: int) -> None:
    rng = np.random.default_rng(seed)
    hours = rng.uniform(1.0, 20.0, (2, 2))
    stock, need = rng.integers(0, 5, 2).tolist(), rng.integers(0, 5, 2).tolist()
    trucks = rng.integers(0, 3, 2).tolist()
    problem = dense_problem(hours, [[s] for s in stock], [[n] for n in need])
    fleet = Fleet(trucks=np.array(trucks), capacity_kg=np.full(2, 100.0), hours_available=30.0)
    plan = plan_with_vehicles(problem, fleet, ItemLoad(weight_kg=np.array([40.0])), COST, mip_gap=0.0)
    expected = brute_force_trucks(hours, stock, need, 40.0, 100.0, trucks, 30.0)
    assert plan.objective == pytest.approx(expected, abs=1e-6)


def test_milp_reports_gap() -> None:
    problem = dense_problem(np.array([[2.0]]), [[5]], [[3]])
    plan = plan_with_vehicles(problem, Fleet(np.array([1]), np.array([100.0])), ItemLoad(np.array([1.0])), COST)
    assert plan.gap is not None and plan.gap <= 0.01


# --- teams and shelters ---------------------------------------------------------------------------


def test_teams_go_where_their_capability_is_needed() -> None:
    teams = [Team("water", frozenset({"water"})), Team("mine", frozenset({"mine", "collapse"}))]
    sites = [Site("s-collapse", "collapse"), Site("s-flood", "water")]
    plan = assign_teams(teams, sites, np.array([[1.0, 5.0], [2.0, 1.0]]))
    assert sorted(plan.assignments) == [("mine", "s-collapse", 2.0), ("water", "s-flood", 5.0)]
    assert plan.unserved == ()


def test_team_arriving_after_deadline_is_not_assigned() -> None:
    plan = assign_teams([Team("t", frozenset({"collapse"}), ready_hours=70.0)], [Site("s", "collapse")],
                        np.array([[5.0]]))  # fmt: skip
    assert plan.assignments == () and plan.unserved == (("s", 1),)


def test_team_assignment_matches_brute_force() -> None:
    rng = np.random.default_rng(11)
    hours = rng.uniform(1, 30, (4, 3))
    teams = [Team(f"t{i}", frozenset({"collapse"})) for i in range(4)]
    sites = [Site(f"s{j}", "collapse") for j in range(3)]
    best = min(sum(hours[perm[j], j] for j in range(3)) for perm in itertools.permutations(range(4), 3))
    assert assign_teams(teams, sites, hours).total_arrival_hours == pytest.approx(best)


def test_shelter_capacity_is_area_over_one_and_a_half_square_metres() -> None:
    assert shelter_capacity([3000.0, 10.0]).tolist() == [2000, 6]


def test_displaced_people_fill_nearest_shelter_then_next() -> None:
    plan = assign_shelters(["village"], [150], ["near", "far"], [100, 100], np.array([[1.0, 3.0]]))
    assert sorted(plan.moves) == [("village", "far", 50, 3.0), ("village", "near", 100, 1.0)]
    assert plan.unsheltered == ()


def test_people_beyond_shelter_capacity_are_reported() -> None:
    plan = assign_shelters(["a", "b"], [80, 50], ["s"], [100], np.array([[1.0], [2.0]]))
    assert sum(m[2] for m in plan.moves) == 100
    assert sum(n for _, n in plan.unsheltered) == 30


# --- exact pruning --------------------------------------------------------------------------------


def scattered(seed: int, nd: int, np_: int, ni: int) -> tuple[Sites, Sites, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    depots = Sites.of([f"d{i}" for i in range(nd)], rng.uniform(100, 106, nd), rng.uniform(28, 34, nd))
    places = Sites.of([f"p{i}" for i in range(np_)], rng.uniform(100, 106, np_), rng.uniform(28, 34, np_))
    stock = np.floor(rng.gamma(1.0, 40.0, (nd, ni))).astype(np.int64)  # uneven: some depots run out
    need = rng.integers(0, 30, (np_, ni))
    return depots, places, stock, need


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 4))
def test_pruned_plan_with_more_routes_equals_the_full_optimum(seed: int, k: int) -> None:
    depots, places, stock, need = scattered(seed, 25, 60, 2)
    cut = np.random.default_rng(seed).random(60) < 0.2
    source = FallbackRoutes(depots, places, road_cut_off=cut)
    arcs, frontier = source.nearest(k)
    items = ("a", "b")
    pruned, report = plan_min_cost_flow_pruned(
        ReliefProblem(depots.ids, places.ids, items, stock, need, arcs), frontier, COST, more_routes=source.within
    )
    full = plan_min_cost_flow(
        ReliefProblem(depots.ids, places.ids, items, stock, need, fallback_arcs(depots, places, road_cut_off=cut)),
        COST,
    )
    assert report.certified and pruned.status == "optimal"
    # the two sum the same flows' costs in another order: equal up to float rounding (a 2e-9 gap was seen)
    assert pruned.objective == pytest.approx(full.objective, rel=1e-8, abs=1e-6)


def test_uncertified_pruning_is_reported_feasible() -> None:
    # one depot near with no stock left after the first place, a far depot left out by k=1
    depots = Sites.of(["near", "far"], [100.0, 101.0], [30.0, 30.0])
    places = Sites.of(["p"], [100.01], [30.0])
    arcs, frontier = FallbackRoutes(depots, places).nearest(1)
    problem = ReliefProblem(depots.ids, places.ids, ("a",), np.array([[1], [5]]), np.array([[4]]), arcs)
    plan, report = plan_min_cost_flow_pruned(problem, frontier, COST)
    assert not report.certified and plan.status == "feasible" and plan.total_unmet == 3
    plan2, report2 = plan_min_cost_flow_pruned(
        problem, frontier, COST, more_routes=FallbackRoutes(depots, places).within
    )
    assert report2.certified and plan2.total_unmet == 0 and plan2.status == "optimal"


def test_items_solved_in_worker_processes_give_the_same_plan() -> None:
    depots, places, stock, need = scattered(3, 10, 30, 3)
    problem = ReliefProblem(depots.ids, places.ids, ("a", "b", "c"), stock, need, fallback_arcs(depots, places))
    one, two = plan_min_cost_flow(problem, COST), plan_min_cost_flow(problem, COST, workers=2)
    assert two.objective == one.objective
    assert two.ship_quantity.tolist() == one.ship_quantity.tolist()


def test_pruned_plan_in_worker_processes_equals_the_one_in_process() -> None:
    # prices come from the workers and one pool serves every round: same rounds, same optimum
    depots, places, stock, need = scattered(11, 25, 80, 3)
    source = FallbackRoutes(depots, places, road_cut_off=np.random.default_rng(11).random(80) < 0.2)
    arcs, frontier = source.nearest(1)
    problem = ReliefProblem(depots.ids, places.ids, ("a", "b", "c"), stock, need, arcs)
    one, report1 = plan_min_cost_flow_pruned(problem, frontier, COST, more_routes=source.within)
    two, report2 = plan_min_cost_flow_pruned(problem, frontier, COST, more_routes=source.within, workers=2)
    assert report1.rounds > 1 and report2.violations == report1.violations
    assert report2.certified and two.status == "optimal"
    assert two.objective == pytest.approx(one.objective, rel=1e-12)
