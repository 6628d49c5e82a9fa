"""Independent items: one min-cost flow per item (OR-Tools), in parallel when asked (pure)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from yingji.relief.dispatch.problem import COST_SCALE, DeprivationCost, Plan, ReliefProblem, SolverStatus, _finish
from yingji.relief.travel import FloatArray, IntArray

# --- min-cost flow -------------------------------------------------------------------------------


def transport_flow(
    supply: IntArray,
    demand: IntArray,
    tail: IntArray,
    head: IntArray,
    unit_cost: IntArray,
    shortage_cost: int,
) -> tuple[IntArray, bool]:
    """Single-commodity transport by min-cost flow: flows on arcs ``tail[a] (supplier) → head[a]
    (receiver)``; each receiver's shortfall costs ``shortage_cost`` per unit; unused supply is free.

    Returns the flow per arc and whether OR-Tools proved optimality.
    """
    from ortools.graph.python import min_cost_flow

    ns, nr = supply.size, demand.size
    if tail.size == 0:
        return np.zeros(0, np.int64), True
    shortage, surplus = ns + nr, ns + nr + 1
    caps = np.minimum(supply[tail], demand[head])
    # The shortage source holds every receiver's demand: what it does not send to a receiver (at the
    # shortage cost) it passes to the surplus sink for free, which also takes all unused supply.
    tails = np.concatenate([tail, np.full(nr, shortage), np.arange(ns), [shortage]]).astype(np.int64)
    heads = np.concatenate([ns + head, ns + np.arange(nr), np.full(ns, surplus), [surplus]]).astype(np.int64)
    capacity = np.concatenate([caps, demand, supply, [demand.sum()]]).astype(np.int64)
    costs = np.concatenate([unit_cost, np.full(nr, shortage_cost), np.zeros(ns + 1)]).astype(np.int64)
    supplies = np.concatenate([supply, -demand, [demand.sum(), -supply.sum()]]).astype(np.int64)
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, capacity, costs)
    smcf.set_nodes_supplies(np.arange(ns + nr + 2, dtype=np.int64), supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        return np.zeros(tail.size, np.int64), False
    flows = np.asarray(smcf.flows(np.arange(tail.size, dtype=np.int64)), dtype=np.int64)
    return flows, True


def _int_costs(cost: DeprivationCost, hours: FloatArray) -> tuple[IntArray, int]:
    arc = np.rint(cost.unit_cost(hours) * COST_SCALE).astype(np.int64)
    return arc, round(cost.unmet_unit_cost * COST_SCALE)


ItemJob = tuple[IntArray, IntArray, IntArray, IntArray, IntArray, int, bool]
ItemResult = tuple[IntArray, IntArray, bool, IntArray | None, IntArray | None]


def _item_flow(job: ItemJob) -> ItemResult:
    """One item's min-cost flow: (route indices used, quantities, proved optimal) and, when asked,
    its depot and place prices (:func:`_item_prices`) — computed where the flow is, so that with
    several processes the prices are computed in parallel too."""
    stock, need, depot, place, arc_cost, unmet_cost, with_prices = job
    live = np.flatnonzero((stock[depot] > 0) & (need[place] > 0) & (arc_cost < unmet_cost))
    flows, optimal = transport_flow(stock, need, depot[live], place[live], arc_cost[live], unmet_cost)
    moved = flows > 0
    used, qty = live[moved], flows[moved]
    if not with_prices:
        return used, qty, optimal, None, None
    flow = np.zeros(depot.size, np.int64)
    flow[used] = qty
    depot_price, place_price = _item_prices(stock, need, depot, place, flow, arc_cost, unmet_cost)
    return used, qty, optimal, depot_price, place_price


class _Items:
    """Solves items' min-cost flows, in ``workers`` processes when more than one (the solver holds
    the interpreter lock, so threads would not help). One pool serves every round of a pruned plan:
    starting processes (and importing the solver in each) is paid once."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: Any = None

    def __enter__(self) -> _Items:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def solve(self, jobs: list[ItemJob]) -> list[ItemResult]:
        if self.workers <= 1 or len(jobs) <= 1:
            return [_item_flow(job) for job in jobs]
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        # largest jobs first, so that the last one to finish is a short one
        order = sorted(range(len(jobs)), key=lambda j: -int(jobs[j][1].sum()))
        done = dict(zip(order, self._pool.map(_item_flow, [jobs[j] for j in order]), strict=True))
        return [done[j] for j in range(len(jobs))]


def _item_jobs(
    problem: ReliefProblem, items: Sequence[int], arc_cost: IntArray, unmet_cost: int, with_prices: bool = False
) -> list[ItemJob]:
    arcs = problem.arcs
    return [
        (problem.stock[:, i], problem.need[:, i], arcs.depot, arcs.place, arc_cost, unmet_cost, with_prices)
        for i in items
    ]


def _solve_items(
    problem: ReliefProblem, items: Sequence[int], arc_cost: IntArray, unmet_cost: int, workers: int = 1
) -> list[tuple[IntArray, IntArray, bool]]:
    """Min-cost flow of each item in ``items``: (route indices, quantities, proved optimal)."""
    with _Items(workers) as solver:
        return [(a, q, ok) for a, q, ok, _, _ in solver.solve(_item_jobs(problem, items, arc_cost, unmet_cost))]


def plan_min_cost_flow(problem: ReliefProblem, cost: DeprivationCost | None = None, *, workers: int = 1) -> Plan:
    """Optimal plan for independent items: one min-cost flow per item (``workers`` processes)."""
    started = time.perf_counter()
    cost = cost or DeprivationCost()
    arc_cost, unmet_cost = _int_costs(cost, problem.arcs.hours)
    used_a: list[IntArray] = []
    used_i: list[IntArray] = []
    used_q: list[IntArray] = []
    all_optimal = True
    solved = _solve_items(problem, range(len(problem.items)), arc_cost, unmet_cost, workers)
    for i, (a, q, optimal) in enumerate(solved):
        all_optimal &= optimal
        used_a.append(a)
        used_i.append(np.full(a.size, i, np.int64))
        used_q.append(q)
    status: SolverStatus = "optimal" if all_optimal else "infeasible"
    return _finish(problem, used_a, used_i, used_q, cost, status, "min_cost_flow", started)


def _prices(
    problem: ReliefProblem, plan: Plan, i: int, arc_cost: IntArray, unmet_cost: int
) -> tuple[IntArray, IntArray]:
    """Prices of item ``i`` in ``plan`` (:func:`_item_prices`)."""
    arcs = problem.arcs
    mine = plan.ship_item == i
    flow = np.zeros(len(arcs), np.int64)
    np.add.at(flow, plan.ship_arc[mine], plan.ship_quantity[mine])
    return _item_prices(problem.stock[:, i], problem.need[:, i], arcs.depot, arcs.place, flow, arc_cost, unmet_cost)


def _item_prices(
    stock: IntArray,
    need: IntArray,
    depot: IntArray,
    place: IntArray,
    flow: IntArray,
    arc_cost: IntArray,
    unmet_cost: int,
) -> tuple[IntArray, IntArray]:
    """Prices of one item from the residual graph of its flow (per route): ``μ_d = π_d − π_T ≥ 0``
    per depot (the value of its stock) and ``λ_p = π_p − π_T`` per place (the value of one more
    unit there)."""
    nd, np_ = stock.size, need.size
    received = np.bincount(place, weights=flow, minlength=np_).astype(np.int64)
    shipped = np.bincount(depot, weights=flow, minlength=nd).astype(np.int64)
    unmet, leftover = need - received, stock - shipped
    S, T = nd + np_, nd + np_ + 1
    cap = np.minimum(stock[depot], need[place])
    fwd = (cap > 0) & (flow < cap)
    back = flow > 0
    pl = np.arange(np_)
    dp = np.arange(nd)
    tails = [depot[fwd], nd + place[back], np.full(int((unmet < need).sum()), S),
             nd + pl[unmet > 0], dp[leftover < stock], np.full(int((leftover > 0).sum()), T)]  # fmt: skip
    heads = [nd + place[fwd], depot[back], nd + pl[unmet < need], np.full(int((unmet > 0).sum()), S),
             np.full(int((leftover < stock).sum()), T), dp[leftover > 0]]  # fmt: skip
    weights = [arc_cost[fwd], -arc_cost[back], np.full(int((unmet < need).sum()), unmet_cost),
               np.full(int((unmet > 0).sum()), -unmet_cost), np.zeros(int((leftover < stock).sum()), np.int64),
               np.zeros(int((leftover > 0).sum()), np.int64)]  # fmt: skip
    total_unmet, total_need = int(unmet.sum()), int(need.sum())
    if total_unmet > 0:  # S → T carries total_need − total_unmet of capacity total_need
        tails.append(np.array([S]))
        heads.append(np.array([T]))
        weights.append(np.zeros(1, np.int64))
    if total_need - total_unmet > 0:
        tails.append(np.array([T]))
        heads.append(np.array([S]))
        weights.append(np.zeros(1, np.int64))
    pi = _potentials(nd + np_ + 2, np.concatenate(tails), np.concatenate(heads), np.concatenate(weights))
    if pi is None:  # not settled: the weak bounds μ = 0, λ = U
        return np.zeros(nd, np.int64), np.full(np_, unmet_cost, np.int64)
    return np.asarray(pi[:nd] - pi[T], dtype=np.int64), np.asarray(pi[nd : nd + np_] - pi[T], dtype=np.int64)


def _potentials(n: int, tail: IntArray, head: IntArray, weight: IntArray, max_rounds: int = 20_000) -> IntArray | None:
    """Shortest distances from a virtual source joined to every node at cost 0 (Bellman-Ford, all
    arcs relaxed at once per round). None if they do not settle (a negative cycle: not optimal)."""
    dist = np.zeros(n, np.int64)
    if tail.size == 0:
        return dist
    order = np.argsort(head, kind="stable")
    tail, head, weight = tail[order], head[order], weight[order].astype(np.int64)
    starts = np.flatnonzero(np.concatenate([[True], head[1:] != head[:-1]]))
    targets = head[starts]
    for _ in range(max_rounds):
        best = np.minimum.reduceat(dist[tail] + weight, starts)
        improved = best < dist[targets]
        if not improved.any():
            return dist
        dist[targets[improved]] = best[improved]
    return None
