"""Vehicles with capacities tie the items together: a mixed-integer programme solved with HiGHS (pure)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from yingji.relief.dispatch.problem import DeprivationCost, Plan, ReliefProblem, SolverStatus, _finish
from yingji.relief.travel import BoolArray, FloatArray, IntArray

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
