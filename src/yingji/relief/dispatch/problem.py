"""The relief dispatch problem and its answer: deprivation cost, the problem (places, depots, items, routes), the
plan, and its social cost (pure). The method is described in the package docstring (yingji.relief.dispatch)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from yingji.errors import InvalidInput
from yingji.relief.travel import CandidateArcs, FloatArray, IntArray, relief_norms

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
