"""Exact pruning of candidate routes (prices and potentials prove a route unused) and the nearest-depot greedy
baseline (pure)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from yingji.relief.dispatch.flow import _int_costs, _item_jobs, _Items, _prices
from yingji.relief.dispatch.problem import COST_SCALE, DeprivationCost, Plan, ReliefProblem, SolverStatus, _finish
from yingji.relief.travel import CandidateArcs, FloatArray, IntArray

# --- exact pruning ---------------------------------------------------------------------------------

RouteSource = Callable[[IntArray, FloatArray], tuple[CandidateArcs, FloatArray]]


@dataclass(frozen=True)
class PruningReport:
    """Whether the pruned optimum is proved optimal over all routes, after how many rounds, and how
    many places failed the proof in each round."""

    certified: bool
    rounds: int
    violations: tuple[int, ...]
    round_seconds: tuple[float, ...] = ()


def pruning_violations(
    problem: ReliefProblem,
    plan: Plan,
    frontier: FloatArray,
    cost: DeprivationCost,
    prices: Mapping[int, tuple[IntArray, IntArray]] | None = None,
) -> dict[int, tuple[IntArray, IntArray, IntArray]]:
    """Per item, the places failing the certificate, their prices, and every depot's price.

    LP duality of the transport problem (integral, so its LP optimum is the integer one): node
    potentials ``π`` with non-negative reduced costs on every residual arc prove the flow optimal.
    They are the shortest distances in the residual graph of the solved (pruned) problem
    (:func:`_potentials`). Every depot with stock has ``π_d ≥ π_T`` (the surplus sink), so a left-out
    route ``d → p`` keeps its reduced cost non-negative when ``c_dp ≥ π_p − π_T`` — the place's
    price. When the cheapest left-out route of ``p`` (its frontier) costs at least that price, no
    left-out route of ``p`` can help; the plan is optimal over all routes when this holds for every
    place. ``prices`` (item → depot and place prices) saves computing them again when the
    solver already did. If the potentials cannot be computed, the weaker bound ``U`` (the unmet cost) is used.
    """
    arc_cost, unmet_cost = _int_costs(cost, problem.arcs.hours)
    finite = np.isfinite(frontier)
    frontier_cost = np.full(frontier.size, np.iinfo(np.int64).max)
    frontier_cost[finite] = _int_costs(cost, frontier[finite])[0]
    out: dict[int, tuple[IntArray, IntArray, IntArray]] = {}
    for i in range(len(problem.items)):
        if prices is not None and i in prices:
            depot_price, price = prices[i]
        else:
            depot_price, price = _prices(problem, plan, i, arc_cost, unmet_cost)
        bad = np.flatnonzero((problem.need[:, i] > 0) & (frontier_cost < price))
        if bad.size:
            out[i] = (bad, price[bad], depot_price)
    return out


def _hours_for_cost(cost: DeprivationCost, scaled: IntArray) -> FloatArray:
    """Smallest hours whose scaled unit cost reaches ``scaled`` (bisection; unit cost is increasing)."""
    target = scaled.astype(np.float64) / COST_SCALE
    lo, hi = np.zeros(target.size), np.full(target.size, cost.horizon_hours)
    for _ in range(60):
        mid = (lo + hi) / 2
        below = cost.unit_cost(mid) < target
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return np.asarray(hi + 1e-6, dtype=np.float64)


def plan_min_cost_flow_pruned(
    problem: ReliefProblem,
    frontier: FloatArray,
    cost: DeprivationCost | None = None,
    *,
    more_routes: RouteSource | None = None,
    max_rounds: int = 8,
    per_place: int = 10,
    workers: int = 1,
) -> tuple[Plan, PruningReport]:
    """Min-cost flow on pruned routes (e.g. the k fastest depots per place), with a proof.

    ``frontier[p]`` is a lower bound on the hours of every route of place ``p`` left out of
    ``problem.arcs`` (inf when none is). After solving, :func:`pruning_violations` checks the
    optimality certificate. For the places that fail it, column generation: ``more_routes(places,
    max_hours)`` gives every route their price could pay for, each is priced exactly with the
    depot and place prices (reduced cost ``c_dp + μ_d − λ_p``), the ``per_place`` most negative
    ones per place and item are added and the items concerned solved again. It ends when the
    certificate holds or no route prices out negative (status ``optimal``: the plan is optimal over
    all routes), or when ``max_rounds`` is spent (status ``feasible``).
    """
    started = time.perf_counter()
    cost = cost or DeprivationCost()
    ni = len(problem.items)
    results: dict[int, tuple[IntArray, IntArray, IntArray]] = {}  # item -> (depot, place, qty)
    arc_cost, unmet_cost = _int_costs(cost, problem.arcs.hours)
    todo = list(range(ni))
    violations: list[int] = []
    all_optimal = True
    frontier = frontier.copy()
    round_seconds: list[float] = []
    priced_out = False
    # Prices of an item not solved again stay valid: the routes added in between had a
    # non-negative reduced cost for it (or could carry none of it).
    prices: dict[int, tuple[IntArray, IntArray]] = {}
    with _Items(workers) as solver:
        for round_no in range(max_rounds + 1):
            round_started = time.perf_counter()
            solved = solver.solve(_item_jobs(problem, todo, arc_cost, unmet_cost, with_prices=True))
            for i, (a, q, optimal, depot_price, place_price) in zip(todo, solved, strict=True):
                all_optimal &= optimal
                results[i] = (problem.arcs.depot[a], problem.arcs.place[a], q)
                if depot_price is not None and place_price is not None:
                    prices[i] = (depot_price, place_price)
            plan = _assemble(problem, results, cost, "min_cost_flow_pruned", started)
            bad = pruning_violations(problem, plan, frontier, cost, prices)
            places = np.unique(np.concatenate([b[0] for b in bad.values()])) if bad else np.zeros(0, np.int64)
            violations.append(int(places.size))
            round_seconds.append(time.perf_counter() - round_started)
            if not bad or more_routes is None or round_no == max_rounds:
                break
            added, items_added = _price_routes(problem, bad, places, more_routes, cost, per_place)
            if added is None:  # exact pricing found no route that could lower the cost
                priced_out = True
                break
            problem = replace(problem, arcs=problem.arcs.concat(added))
            arc_cost, unmet_cost = _int_costs(cost, problem.arcs.hours)
            todo = items_added
    certified = violations[-1] == 0 or priced_out
    status: SolverStatus = "infeasible" if not all_optimal else ("optimal" if certified else "feasible")
    plan = replace(plan, status=status, solve_seconds=time.perf_counter() - started)
    return plan, PruningReport(certified, len(violations), tuple(violations), tuple(round_seconds))


def _price_routes(
    problem: ReliefProblem,
    bad: dict[int, tuple[IntArray, IntArray, IntArray]],
    places: IntArray,
    more_routes: RouteSource,
    cost: DeprivationCost,
    per_place: int,
) -> tuple[CandidateArcs | None, list[int]]:
    """Routes with a negative reduced cost for the failing places (at most ``per_place`` per place
    and item, most negative first), not yet in the problem, and the items they can improve; None
    when there is none."""
    n_places = len(problem.place_ids)
    top_price = np.zeros(n_places, np.int64)
    for p_idx, price, _ in bad.values():
        np.maximum.at(top_price, p_idx, price)
    cand, _ = more_routes(places, _hours_for_cost(cost, top_price[places]))
    if len(cand) == 0:
        return None, []
    cand_cost = _int_costs(cost, cand.hours)[0]
    fresh = ~np.isin(cand.depot * n_places + cand.place, problem.arcs.depot * n_places + problem.arcs.place)
    chosen = np.zeros(len(cand), dtype=bool)
    items_added: list[int] = []
    for i, (p_idx, price, depot_price) in sorted(bad.items()):
        place_price = np.full(n_places, np.iinfo(np.int64).min // 4, np.int64)
        place_price[p_idx] = price
        reduced = cand_cost + depot_price[cand.depot] - place_price[cand.place]
        ok = np.flatnonzero(fresh & (reduced < 0) & (problem.stock[cand.depot, i] > 0))
        if ok.size == 0:
            continue
        ok = ok[np.lexsort((reduced[ok], cand.place[ok]))]
        first = np.concatenate([[True], cand.place[ok][1:] != cand.place[ok][:-1]])
        group_start = np.maximum.accumulate(np.where(first, np.arange(ok.size), 0))
        chosen[ok[np.arange(ok.size) - group_start < per_place]] = True
        items_added.append(i)
    if not chosen.any():
        return None, []
    added = CandidateArcs(cand.depot[chosen], cand.place[chosen], cand.hours[chosen], cand.by_air[chosen])
    return added, items_added


def _assemble(
    problem: ReliefProblem,
    results: dict[int, tuple[IntArray, IntArray, IntArray]],
    cost: DeprivationCost,
    method: str,
    started: float,
) -> Plan:
    """A plan from per-item (depot, place, quantity) results, mapped onto ``problem.arcs``."""
    arcs = problem.arcs
    n_places = max(len(problem.place_ids), 1)
    key = arcs.depot * n_places + arcs.place
    order = np.argsort(key, kind="stable")
    used_a: list[IntArray] = []
    used_i: list[IntArray] = []
    used_q: list[IntArray] = []
    for i, (d, p, q) in sorted(results.items()):
        pos = np.searchsorted(key[order], d * n_places + p)
        used_a.append(order[pos])
        used_i.append(np.full(q.size, i, np.int64))
        used_q.append(q)
    return _finish(problem, used_a, used_i, used_q, cost, "optimal", method, started)


def plan_greedy(problem: ReliefProblem, cost: DeprivationCost | None = None) -> Plan:
    """Baseline: places in input order, each filled from its nearest depots that still have stock."""
    started = time.perf_counter()
    cost = cost or DeprivationCost()
    arcs = problem.arcs
    offsets = arcs.offsets(len(problem.place_ids)).tolist()
    arc_depot = arcs.depot.tolist()
    useful = (cost.unit_cost(arcs.hours) < cost.unmet_unit_cost).tolist()
    used_a: list[int] = []
    used_i: list[int] = []
    used_q: list[int] = []
    for i in range(len(problem.items)):
        left = problem.stock[:, i].tolist()
        for p, want in enumerate(problem.need[:, i].tolist()):
            for a in range(offsets[p], offsets[p + 1]):
                if want == 0:
                    break
                d = arc_depot[a]
                take = min(want, left[d])
                if take > 0 and useful[a]:
                    left[d] -= take
                    want -= take
                    used_a.append(a)
                    used_i.append(i)
                    used_q.append(take)
    return _finish(
        problem, [np.array(used_a, np.int64)], [np.array(used_i, np.int64)], [np.array(used_q, np.int64)],
        cost, "feasible", "greedy_nearest_depot", started,
    )  # fmt: skip
