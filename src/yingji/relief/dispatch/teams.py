"""Rescue teams to sites: an assignment by travel time (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from yingji.errors import InvalidInput
from yingji.relief.travel import FloatArray

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
