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

``problem`` holds the problem, the plan and the cost; ``flow`` the min-cost flows; ``pruning`` the exact
pruning of routes and the greedy baseline; ``vehicles`` the MILP; ``teams`` and ``shelters`` the two
assignments.
"""

from __future__ import annotations

from yingji.relief.dispatch.flow import plan_min_cost_flow, transport_flow
from yingji.relief.dispatch.problem import COST_SCALE, DeprivationCost, Plan, ReliefProblem, SolverStatus, social_cost
from yingji.relief.dispatch.pruning import (
    PruningReport,
    RouteSource,
    plan_greedy,
    plan_min_cost_flow_pruned,
    pruning_violations,
)
from yingji.relief.dispatch.shelters import ShelterPlan, assign_shelters, shelter_capacity
from yingji.relief.dispatch.teams import Site, Team, TeamPlan, assign_teams
from yingji.relief.dispatch.vehicles import Fleet, ItemLoad, plan_with_vehicles

__all__ = [
    "COST_SCALE",
    "DeprivationCost",
    "Fleet",
    "ItemLoad",
    "Plan",
    "PruningReport",
    "ReliefProblem",
    "RouteSource",
    "ShelterPlan",
    "Site",
    "SolverStatus",
    "Team",
    "TeamPlan",
    "assign_shelters",
    "assign_teams",
    "plan_greedy",
    "plan_min_cost_flow",
    "plan_min_cost_flow_pruned",
    "plan_with_vehicles",
    "pruning_violations",
    "shelter_capacity",
    "social_cost",
    "transport_flow",
]
