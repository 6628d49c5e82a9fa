"""Displaced people to shelters: capacity from effective area and an assignment by distance (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from yingji.errors import InvalidInput
from yingji.relief.dispatch.flow import transport_flow
from yingji.relief.dispatch.problem import COST_SCALE, SolverStatus
from yingji.relief.travel import FloatArray, IntArray, relief_norms

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
