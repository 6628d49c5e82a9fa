"""Dispatch planning (调拨方案) of relief supplies, rescue teams and displaced people — a pure module.

**Objective (social cost).** After Holguín-Veras et al. (2013, J. Oper. Mgmt 31(5):262-280,
doi:10.1016/j.jom.2013.06.002): social cost = logistics cost + deprivation cost, the deprivation cost
being a convex, increasing function of how long people go without the item. Here a unit delivered
over a route of ``t`` hours costs ``t + D(t)`` (transport time plus deprivation while it travels) and
a unit never delivered costs ``H + D(H)`` with ``H`` the planning horizon, where
``D(t) = scale·(exp(rate·t) − 1)`` (the exponential shape of Holguín-Veras et al. 2016; parameters in
``standards/relief_norms.yaml``).

**How the convex penalty is linearised.** Deprivation is convex in *time*, not in quantity: once a
unit's route is chosen its deprivation time is fixed (its route's hours, or ``H`` when unmet). So
``D`` is evaluated once per candidate route and per unmet slot, and enters the model as a constant
unit cost on that arc — the objective is exactly linear in the quantities, no piecewise
approximation is needed, and the convexity shows in the costs: a route twice as long costs more than
twice as much, so the optimiser spreads stock to serve the far places first-hand rather than leaving
them to the slow routes. Routes longer than ``H`` cost more than leaving the need unmet and are never
used.

**Solvers.** Independent items: one min-cost flow per item (OR-Tools ``SimpleMinCostFlow``; integer
flows, so countable items move in whole units; costs are scaled to integers of 1/``COST_SCALE``
hour-equivalents). A shortage source that can feed every place at the unmet cost and a surplus sink
that absorbs stock keep every instance feasible, so infeasible demand comes back as unmet need.
Vehicles with capacities tie the items together: :func:`plan_with_vehicles` solves a MILP with HiGHS.
:func:`plan_greedy` is the nearest-depot baseline.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from yingji.errors import InvalidInput
from yingji.relief.travel import BoolArray, CandidateArcs, FloatArray, IntArray, relief_norms

SolverStatus = Literal["optimal", "feasible", "infeasible"]
COST_SCALE = 10_000  # integer cost units per hour-equivalent in the min-cost flow


def _norm(key: str) -> float:
    return float(relief_norms()["deprivation_cost"][key]["value"])


@dataclass(frozen=True)
class DeprivationCost:
    """Per-unit social cost of a delivery time: ``t + D(t)``, ``D(t) = scale·(exp(rate·t) − 1)``."""

    scale: float = field(default_factory=lambda: _norm("scale"))
    rate_per_hour: float = field(default_factory=lambda: _norm("rate_per_hour"))
    horizon_hours: float = field(default_factory=lambda: _norm("horizon_hours"))

    def __post_init__(self) -> None:
        for name in ("scale", "rate_per_hour", "horizon_hours"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise InvalidInput(f"deprivation cost: {name} must be a non-negative number, got {value}")
        if self.horizon_hours <= 0:
            raise InvalidInput("deprivation cost: horizon_hours must be positive")

    def deprivation(self, hours: Any) -> FloatArray:
        t = np.asarray(hours, dtype=np.float64)
        return np.asarray(self.scale * np.expm1(self.rate_per_hour * t), dtype=np.float64)

    def unit_cost(self, hours: Any) -> FloatArray:
        """Cost of one unit delivered after ``hours``."""
        t = np.asarray(hours, dtype=np.float64)
        return np.asarray(t + self.deprivation(t), dtype=np.float64)

    @property
    def unmet_unit_cost(self) -> float:
        """Cost of one unit never delivered: as if it arrived at the horizon."""
        return float(self.unit_cost(self.horizon_hours))


@dataclass(frozen=True)
class ReliefProblem:
    """Stock per depot and item, need per place and item, and the routes (``arcs``) between them."""

    depot_ids: tuple[str, ...]
    place_ids: tuple[str, ...]
    items: tuple[str, ...]
    stock: IntArray  # (depots, items), whole units
    need: IntArray  # (places, items), whole units
    arcs: CandidateArcs

    def __post_init__(self) -> None:
        nd, np_, ni = len(self.depot_ids), len(self.place_ids), len(self.items)
        if self.stock.shape != (nd, ni) or self.need.shape != (np_, ni):
            raise InvalidInput("stock must be depots × items and need places × items")
        if (self.stock < 0).any() or (self.need < 0).any():
            raise InvalidInput("stock and need must be non-negative")
        if len(self.arcs) and (self.arcs.depot.max() >= nd or self.arcs.place.max() >= np_):
            raise InvalidInput("a route names a depot or place outside the problem")


@dataclass(frozen=True)
class Plan:
    """A dispatch plan in array form (convert with :meth:`to_dict`).

    Shipments: route index into ``problem.arcs``, item index, quantity. Unmet: place, item, quantity.
    """

    problem: ReliefProblem
    ship_arc: IntArray
    ship_item: IntArray
    ship_quantity: IntArray
    unmet_place: IntArray
    unmet_item: IntArray
    unmet_quantity: IntArray
    objective: float
    status: SolverStatus
    method: str
    gap: float | None = None
    solve_seconds: float = 0.0

    @property
    def total_unmet(self) -> int:
        return int(self.unmet_quantity.sum())

    def shipped(self) -> IntArray:
        """Shipped quantity per (depot, item)."""
        out = np.zeros_like(self.problem.stock)
        np.add.at(out, (self.problem.arcs.depot[self.ship_arc], self.ship_item), self.ship_quantity)
        return out

    def received(self) -> IntArray:
        """Delivered quantity per (place, item)."""
        out = np.zeros_like(self.problem.need)
        np.add.at(out, (self.problem.arcs.place[self.ship_arc], self.ship_item), self.ship_quantity)
        return out

    def to_dict(self) -> dict[str, Any]:
        p, arcs = self.problem, self.problem.arcs
        shipments = [
            {
                "from": p.depot_ids[int(arcs.depot[a])],
                "to": p.place_ids[int(arcs.place[a])],
                "item": p.items[int(i)],
                "quantity": int(q),
                "hours": round(float(arcs.hours[a]), 3),
                "mode": "air" if bool(arcs.by_air[a]) else "road",
            }
            for a, i, q in zip(self.ship_arc, self.ship_item, self.ship_quantity, strict=True)
        ]
        unmet = [
            {"to": p.place_ids[int(pl)], "item": p.items[int(i)], "quantity": int(q)}
            for pl, i, q in zip(self.unmet_place, self.unmet_item, self.unmet_quantity, strict=True)
        ]
        out: dict[str, Any] = {
            "shipments": shipments,
            "unmet": unmet,
            "objective": round(self.objective, 6),
            "solver_status": self.status,
            "method": self.method,
        }
        if self.gap is not None:
            out["gap"] = self.gap
        return out


def social_cost(problem: ReliefProblem, plan_flows: tuple[IntArray, IntArray], cost: DeprivationCost) -> float:
    """Objective of shipments (route index, quantity) with the unmet rest charged at the horizon."""
    arc, qty = plan_flows
    delivered = float((qty * cost.unit_cost(problem.arcs.hours[arc])).sum())
    unmet = int(problem.need.sum()) - int(qty.sum())
    return delivered + unmet * cost.unmet_unit_cost


def _finish(
    problem: ReliefProblem,
    arcs_used: list[IntArray],
    items_used: list[IntArray],
    qty_used: list[IntArray],
    cost: DeprivationCost,
    status: SolverStatus,
    method: str,
    started: float,
    gap: float | None = None,
) -> Plan:
    arc = np.concatenate(arcs_used) if arcs_used else np.zeros(0, np.int64)
    item = np.concatenate(items_used) if items_used else np.zeros(0, np.int64)
    qty = np.concatenate(qty_used) if qty_used else np.zeros(0, np.int64)
    received = np.zeros_like(problem.need)
    np.add.at(received, (problem.arcs.place[arc], item), qty)
    short = problem.need - received
    up, ui = np.nonzero(short > 0)
    return Plan(
        problem, arc.astype(np.int64), item.astype(np.int64), qty.astype(np.int64),
        up.astype(np.int64), ui.astype(np.int64), short[up, ui].astype(np.int64),
        social_cost(problem, (arc, qty), cost), status, method, gap, time.perf_counter() - started,
    )  # fmt: skip


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


# --- vehicles: MILP ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fleet:
    """Trucks at each depot: count and capacity (kg and optionally m³) per truck.

    A truck's trips from its depot, out and back, must fit in ``hours_available`` (default: the
    deprivation horizon); each trip to a place costs ``truck_hour_cost`` per driven hour.
    """

    trucks: IntArray  # per depot
    capacity_kg: FloatArray  # per depot (per truck)
    capacity_m3: FloatArray | None = None
    hours_available: float | None = None
    truck_hour_cost: float = 0.0


@dataclass(frozen=True)
class ItemLoad:
    """Per item: weight (kg) and volume (m³) of one unit, and whether it is countable (whole units)."""

    weight_kg: FloatArray
    volume_m3: FloatArray | None = None
    countable: BoolArray | None = None


def plan_with_vehicles(
    problem: ReliefProblem,
    fleet: Fleet,
    load: ItemLoad,
    cost: DeprivationCost | None = None,
    *,
    mip_gap: float = 0.01,
    time_limit_s: float = 60.0,
    threads: int | None = None,
    heuristic_effort: float = 0.25,
) -> Plan:
    """Plan where truck capacity ties the items together: a MILP solved by HiGHS.

    Variables: quantity ``x[a, i]`` per route and item (integer for countable items), unmet
    ``u[p, i]``, truck trips ``y[a]`` per road route (integer). Constraints: stock per depot and item;
    delivered + unmet = need; load per route ≤ trips × truck capacity (kg, and m³ when given);
    trips × 2 × route hours ≤ trucks × hours available, per depot, and no route gets more trips than
    its depot's trucks can drive out and back within the hours available. Air routes carry no truck
    load (helicopter payload is not modelled).
    Status ``optimal`` when HiGHS closes the gap to 1e-4, ``feasible`` when it stops with a plan at
    the requested ``mip_gap`` or the time limit (the gap is reported), ``infeasible`` otherwise.
    """
    import highspy
    from scipy.sparse import coo_matrix

    started = time.perf_counter()
    cost = cost or DeprivationCost()
    arcs = problem.arcs
    nd, np_, ni = len(problem.depot_ids), len(problem.place_ids), len(problem.items)
    unit = cost.unit_cost(arcs.hours)
    unmet_cost = cost.unmet_unit_cost
    horizon = fleet.hours_available if fleet.hours_available is not None else cost.horizon_hours
    countable = load.countable if load.countable is not None else np.ones(ni, bool)

    # x columns: (arc, item) pairs that can carry something useful
    xa, xi = np.nonzero((problem.stock[arcs.depot] > 0) & (problem.need[arcs.place] > 0) & (unit < unmet_cost)[:, None])
    nx = xa.size
    ua, ui = np.nonzero(problem.need > 0)
    nu = ua.size
    road = np.flatnonzero(~arcs.by_air)
    road = road[np.isin(road, xa)]
    y_of_arc = np.full(len(arcs), -1, np.int64)
    y_of_arc[road] = np.arange(road.size)
    ny = road.size
    n_col = nx + nu + ny

    col_cost = np.concatenate([unit[xa], np.full(nu, unmet_cost), fleet.truck_hour_cost * 2 * arcs.hours[road]])
    col_lower = np.zeros(n_col)
    x_upper = np.minimum(problem.stock[arcs.depot[xa], xi], problem.need[arcs.place[xa], xi])
    trips_cap = np.floor(horizon / np.maximum(2 * arcs.hours[road], 1e-9))
    trips_cap = np.minimum(trips_cap * fleet.trucks[arcs.depot[road]], 1e9)
    col_upper = np.concatenate([x_upper, problem.need[ua, ui], trips_cap]).astype(np.float64)
    integrality = np.concatenate([countable[xi], np.zeros(nu, bool), np.ones(ny, bool)])

    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[FloatArray] = []
    lo: list[FloatArray] = []
    hi: list[FloatArray] = []
    r0 = 0
    # stock rows (d, i)
    stock_row = arcs.depot[xa] * ni + xi
    rows.append(r0 + stock_row)
    cols.append(np.arange(nx))
    vals.append(np.ones(nx))
    lo.append(np.full(nd * ni, -np.inf))
    hi.append(problem.stock.ravel().astype(np.float64))
    r0 += nd * ni
    # demand rows (p, i): x + u = need
    rows += [r0 + arcs.place[xa] * ni + xi, r0 + ua * ni + ui]
    cols += [np.arange(nx), nx + np.arange(nu)]
    vals += [np.ones(nx), np.ones(nu)]
    lo.append(problem.need.ravel().astype(np.float64))
    hi.append(problem.need.ravel().astype(np.float64))
    r0 += np_ * ni
    # load rows per road route: Σ w_i x − cap y ≤ 0 (kg, then m³)
    on_road = y_of_arc[xa] >= 0
    capacities: list[tuple[FloatArray, FloatArray]] = [(load.weight_kg, fleet.capacity_kg)]
    if load.volume_m3 is not None and fleet.capacity_m3 is not None:
        capacities.append((load.volume_m3, fleet.capacity_m3))
    for per_unit, per_truck in capacities:
        rows += [r0 + y_of_arc[xa[on_road]], r0 + np.arange(ny)]
        cols += [np.flatnonzero(on_road), nx + nu + np.arange(ny)]
        vals += [per_unit[xi[on_road]].astype(np.float64), -per_truck[arcs.depot[road]].astype(np.float64)]
        lo.append(np.full(ny, -np.inf))
        hi.append(np.zeros(ny))
        r0 += ny
    # Linking rows x[a, i] ≤ ub[a, i] · y[a]: implied by the load rows for integer y, but they make
    # the LP relaxation much tighter (a route carrying anything needs a whole truck).
    n_link = int(on_road.sum())
    rows += [r0 + np.arange(n_link), r0 + np.arange(n_link)]
    cols += [np.flatnonzero(on_road), nx + nu + y_of_arc[xa[on_road]]]
    vals += [np.ones(n_link), -x_upper[on_road].astype(np.float64)]
    lo.append(np.full(n_link, -np.inf))
    hi.append(np.zeros(n_link))
    r0 += n_link
    # fleet-hour rows per depot: Σ 2 t y ≤ trucks × hours
    rows.append(r0 + arcs.depot[road])
    cols.append(nx + nu + np.arange(ny))
    vals.append(2 * arcs.hours[road])
    lo.append(np.full(nd, -np.inf))
    hi.append(fleet.trucks.astype(np.float64) * horizon)
    r0 += nd

    matrix = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r0, n_col)).tocsc()
    row_lower, row_upper = np.concatenate(lo), np.concatenate(hi)

    def model(lower: FloatArray, upper: FloatArray, integer: BoolArray | None) -> Any:
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n_col, r0
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = col_cost, lower, upper
        lp.row_lower_, lp.row_upper_ = row_lower, row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        if integer is not None:
            kind = highspy.HighsVarType
            lp.integrality_ = [kind.kInteger if f else kind.kContinuous for f in integer]
        return lp

    def solver(limit: float, gap: float) -> Any:
        h = _quiet_highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("mip_rel_gap", float(gap))
        h.setOptionValue("time_limit", max(float(limit), 0.1))
        if threads is not None:
            h.setOptionValue("threads", int(threads))
        return h

    # A fallback plan: LP relaxation, trips rounded up (then down where a depot's truck-hours
    # overflow), quantities re-optimised with those trips fixed. It is *not* given to HiGHS as a
    # start: measured on bench/relief.py (c), a start kept HiGHS in its root loop without running
    # its sub-MIP heuristics, which find much better plans. It is used when HiGHS returns a worse
    # plan or none (e.g. a short time limit).
    fallback = _rounded_start(
        model, solver, col_lower, col_upper, integrality, nx + nu, ny, arcs.depot[road],
        2 * arcs.hours[road], fleet.trucks.astype(np.float64) * horizon, time_limit_s / 8,
    )  # fmt: skip
    h = solver(time_limit_s - (time.perf_counter() - started), mip_gap)
    # More effort on primal heuristics than HiGHS's default 0.05: on bench/relief.py (c) the bound is
    # tight from the root and the time goes into finding plans; 0.25 reached a 0.14% gap where the
    # default stalled near 3% on a loaded machine.
    h.setOptionValue("mip_heuristic_effort", float(heuristic_effort))
    h.passModel(model(col_lower, col_upper, integrality))
    h.run()
    model_status = h.getModelStatus()
    info = h.getInfo()
    values: FloatArray | None = None
    objective = math.inf
    if info.primal_solution_status == 2:  # kSolutionStatusFeasible
        values, objective = np.asarray(h.getSolution().col_value), float(info.objective_function_value)
    if fallback is not None and float(col_cost @ fallback) < objective - 1e-9:
        values, objective = fallback, float(col_cost @ fallback)
    if values is None:
        return _finish(problem, [], [], [], cost, "infeasible", "milp_highs", started, None)
    bound = float(info.mip_dual_bound)
    gap = abs(objective - bound) / max(abs(objective), 1e-9) if math.isfinite(bound) else None
    proved = model_status == highspy.HighsModelStatus.kOptimal and (gap or 0.0) <= 1e-4
    status: SolverStatus = "optimal" if proved else "feasible"
    q = np.rint(values[:nx]).astype(np.int64)
    moved = q > 0
    plan = _finish(problem, [xa[moved]], [xi[moved]], [q[moved]], cost, status, "milp_highs", started, gap)
    trips = np.rint(values[nx + nu :]).astype(np.int64)
    return _with_trips(plan, road, trips, fleet, cost)


def _rounded_start(
    model: Callable[[FloatArray, FloatArray, BoolArray | None], Any],
    solver: Callable[[float, float], Any],
    lower: FloatArray,
    upper: FloatArray,
    integer: BoolArray,
    y0: int,
    ny: int,
    y_depot: IntArray,
    y_hours: FloatArray,
    depot_hours: FloatArray,
    time_limit_s: float,
) -> FloatArray | None:
    """A feasible MILP solution by relax-and-round (None when one step fails)."""
    relax = solver(time_limit_s, 1.0)
    relax.passModel(model(lower, upper, None))
    relax.run()
    if relax.getInfo().primal_solution_status != 2:
        return None
    y_lp = np.asarray(relax.getSolution().col_value)[y0 : y0 + ny]
    trips = np.minimum(np.ceil(y_lp - 1e-6), upper[y0 : y0 + ny])
    for d in np.unique(y_depot):
        mine = np.flatnonzero(y_depot == d)
        over = float((y_hours[mine] * trips[mine]).sum()) - float(depot_hours[d])
        # give back the trips rounded up least usefully (largest rounding × hours) until it fits
        for j in mine[np.argsort(-(trips[mine] - y_lp[mine]) * y_hours[mine])]:
            if over <= 1e-9:
                break
            if trips[j] > np.floor(y_lp[j] + 1e-6):
                trips[j] -= 1
                over -= float(y_hours[j])
    fixed_lower, fixed_upper = lower.copy(), upper.copy()
    fixed_lower[y0 : y0 + ny] = trips
    fixed_upper[y0 : y0 + ny] = trips
    fixed = solver(time_limit_s, 1e-3)
    fixed.passModel(model(fixed_lower, fixed_upper, integer))
    fixed.run()
    if fixed.getInfo().primal_solution_status != 2:
        return None
    return np.asarray(fixed.getSolution().col_value, dtype=np.float64)


def _quiet_highs() -> Any:
    """A HiGHS instance, without the banner it prints on standard output when created (it would
    corrupt the CLI's JSON)."""
    import os
    import sys

    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return h


def _with_trips(plan: Plan, road: IntArray, trips: IntArray, fleet: Fleet, cost: DeprivationCost) -> Plan:
    """Add the truck-hour cost of the trips to the plan's objective."""
    extra = float(fleet.truck_hour_cost * (2 * plan.problem.arcs.hours[road] * trips).sum())
    return Plan(
        plan.problem, plan.ship_arc, plan.ship_item, plan.ship_quantity, plan.unmet_place, plan.unmet_item,
        plan.unmet_quantity, plan.objective + extra, plan.status, plan.method, plan.gap, plan.solve_seconds,
    )  # fmt: skip


# --- rescue teams ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Team:
    """A rescue team (救援队伍): what it can do and when it can leave its base."""

    id: str
    capabilities: frozenset[str]
    ready_hours: float = 0.0


@dataclass(frozen=True)
class Site:
    """A place needing teams of one capability, by a deadline (e.g. the golden 72 hours)."""

    id: str
    capability: str
    teams_needed: int = 1
    deadline_hours: float = 72.0


@dataclass(frozen=True)
class TeamPlan:
    assignments: tuple[tuple[str, str, float], ...]  # team, site, arrival hours
    unserved: tuple[tuple[str, int], ...]  # site, teams still missing
    total_arrival_hours: float


def assign_teams(teams: Sequence[Team], sites: Sequence[Site], travel_hours: FloatArray) -> TeamPlan:
    """Teams to sites (assignment problem, ``scipy.optimize.linear_sum_assignment``).

    A team may serve a site when it has the capability and arrives (ready + travel) by the deadline.
    First as many slots as possible are filled, then the total arrival time is minimal: forbidden
    pairs cost more than any set of allowed ones. Each team goes to at most one site.
    """
    from scipy.optimize import linear_sum_assignment

    travel = np.asarray(travel_hours, dtype=np.float64)
    if travel.shape != (len(teams), len(sites)):
        raise InvalidInput("travel hours must be teams × sites")
    slots = [j for j, s in enumerate(sites) for _ in range(max(s.teams_needed, 0))]
    if not teams or not slots:
        return TeamPlan((), tuple((s.id, s.teams_needed) for s in sites if s.teams_needed > 0), 0.0)
    ready = np.array([t.ready_hours for t in teams])[:, None]
    arrival = ready + travel[:, slots]
    able = np.array([[sites[j].capability in t.capabilities for j in slots] for t in teams])
    deadline = np.array([sites[j].deadline_hours for j in slots])[None, :]
    allowed = able & np.isfinite(arrival) & (arrival <= deadline)
    big = (float(np.where(allowed, arrival, 0).sum()) + 1.0) * 2
    matrix = np.where(allowed, arrival, big)
    rows, cols = linear_sum_assignment(matrix)
    chosen = [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if allowed[r, c]]
    filled = np.zeros(len(sites), np.int64)
    out = []
    for r, c in chosen:
        j = slots[c]
        filled[j] += 1
        out.append((teams[r].id, sites[j].id, float(arrival[r, c])))
    unserved = tuple((s.id, s.teams_needed - int(filled[j])) for j, s in enumerate(sites) if s.teams_needed > filled[j])
    return TeamPlan(tuple(out), unserved, float(sum(a for _, _, a in out)))


# --- displaced people to shelters ------------------------------------------------------------------


def shelter_capacity(effective_area_m2: Any, area_per_person_m2: float | None = None) -> IntArray:
    """People a shelter holds: effective area / per-capita area (GB 21734-2008 §5.4: > 1.5 m²)."""
    per = area_per_person_m2 or float(relief_norms()["shelter"]["min_area_per_person_m2"]["value"])
    return np.floor(np.asarray(effective_area_m2, dtype=np.float64) / per).astype(np.int64)


@dataclass(frozen=True)
class ShelterPlan:
    moves: tuple[tuple[str, str, int, float], ...]  # group, shelter, people, hours
    unsheltered: tuple[tuple[str, int], ...]  # group, people without a place
    person_hours: float
    status: SolverStatus


def assign_shelters(
    group_ids: Sequence[str],
    people: Any,
    shelter_ids: Sequence[str],
    capacity: Any,
    travel_hours: FloatArray,
    *,
    max_hours: float = np.inf,
) -> ShelterPlan:
    """Displaced people (紧急转移安置) to open shelters by capacity and travel time (min-cost flow).

    People are not split needlessly but may be: a group goes to several shelters when one is full.
    Groups no shelter within ``max_hours`` can take are reported as unsheltered.
    """
    ppl = np.asarray(people, dtype=np.int64)
    cap = np.asarray(capacity, dtype=np.int64)
    hours = np.asarray(travel_hours, dtype=np.float64)
    if hours.shape != (ppl.size, cap.size) or len(group_ids) != ppl.size or len(shelter_ids) != cap.size:
        raise InvalidInput("travel hours must be groups × shelters, matching the ids")
    if (ppl < 0).any() or (cap < 0).any():
        raise InvalidInput("people and shelter capacity must be non-negative")
    s_idx, g_idx = np.nonzero((max_hours >= hours.T) & np.isfinite(hours.T))
    h = hours[g_idx, s_idx]
    unit = np.rint(h * COST_SCALE).astype(np.int64)
    shortage = int(unit.max(initial=0)) * 2 + COST_SCALE
    flows, optimal = transport_flow(cap, ppl, s_idx, g_idx, unit, shortage)
    moved = flows > 0
    moves = tuple(
        (group_ids[int(g)], shelter_ids[int(s)], int(f), float(t))
        for g, s, f, t in zip(g_idx[moved], s_idx[moved], flows[moved], h[moved], strict=True)
    )
    housed = np.zeros(ppl.size, np.int64)
    np.add.at(housed, g_idx[moved], flows[moved])
    left = ppl - housed
    unsheltered = tuple((group_ids[int(g)], int(left[g])) for g in np.flatnonzero(left > 0))
    return ShelterPlan(
        moves, unsheltered, float((flows[moved] * h[moved]).sum()), "optimal" if optimal else "infeasible"
    )
