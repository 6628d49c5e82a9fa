"""Coverage analysis (保障能力分析) — a pure module: which places the depots, shelters and teams reach
in time.

* Depots: for every place, the nearest depot of each level and its travel time; places outside the
  delivery targets — county 6 h, city 8 h, province 10 h after the dispatch order (2024 guidance of
  the 国家防灾减灾救灾委员会办公室, ``standards/relief_norms.yaml``).
* Shelters: capacity (effective area / 1.5 m² per person, GB 21734-2008 §5.4) against population,
  per township.
* Teams: for every place and capability, the earliest team arrival; places no team of that
  capability reaches by the deadline.

Travel times come either from the fallback model (nearest by great circle, through a KD-tree, so it
scales to every township in the country) or from a precomputed hours matrix (e.g. road network).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from yingji.errors import InvalidInput
from yingji.relief.dispatch import Team, shelter_capacity
from yingji.relief.travel import FallbackSpeed, FloatArray, IntArray, Sites, nearest, relief_norms

LEVELS = ("county", "city", "province")


def delivery_targets() -> dict[str, float]:
    """Hours within which a depot of each level must deliver the first batch (relief_norms.yaml)."""
    table = relief_norms()["delivery_targets_hours"]
    return {level: float(table[level]["value"]) for level in LEVELS}


@dataclass(frozen=True)
class LevelCoverage:
    """Per place: the nearest depot of one level (index into the depots, -1 when none) and hours."""

    level: str
    depot: IntArray
    hours: FloatArray
    target_hours: float | None

    @property
    def outside_target(self) -> IntArray:
        """Places whose nearest depot of this level is beyond the target (or missing)."""
        if self.target_hours is None:
            return np.flatnonzero(self.depot < 0)
        return np.flatnonzero(~(self.hours <= self.target_hours))


def depot_coverage(
    depots: Sites,
    depot_levels: Sequence[str],
    places: Sites,
    *,
    speed: FallbackSpeed | None = None,
    hours: FloatArray | None = None,
    targets: Mapping[str, float] | None = None,
) -> dict[str, LevelCoverage]:
    """Nearest depot of each level present among ``depot_levels`` for every place.

    With ``hours`` (depots × places, inf where unreachable) that matrix is used; otherwise fallback
    travel times through a KD-tree.
    """
    if len(depot_levels) != len(depots):
        raise InvalidInput("one level per depot is needed")
    speed = speed or FallbackSpeed()
    goal = dict(delivery_targets() if targets is None else targets)
    levels = np.asarray(depot_levels)
    out: dict[str, LevelCoverage] = {}
    for level in dict.fromkeys(depot_levels):
        members = np.flatnonzero(levels == level)
        if hours is not None:
            sub = np.asarray(hours, dtype=np.float64)[members]
            best = np.argmin(sub, axis=0)
            h = sub[best, np.arange(len(places))]
            idx = np.where(np.isfinite(h), members[best], -1)
        else:
            near, km = nearest(depots.lon[members], depots.lat[members], places.lon, places.lat, 1)
            idx, h = members[near[:, 0]], speed.hours(km[:, 0])
        out[level] = LevelCoverage(level, idx.astype(np.int64), h, goal.get(level))
    return out


def divisions_without_level(division_of_depot: Sequence[str], depot_levels: Sequence[str],
                            divisions: Sequence[str], level: str = "county") -> list[str]:  # fmt: skip
    """Divisions (e.g. counties) with no depot of ``level`` (the 2024 guidance: every county by 2025)."""
    have = {d for d, lv in zip(division_of_depot, depot_levels, strict=True) if lv == level}
    return [d for d in divisions if d not in have]


@dataclass(frozen=True)
class ShelterBalance:
    """Per township: people, shelter places, and the shortfall (0 when covered)."""

    township: tuple[str, ...]
    population: IntArray
    capacity: IntArray

    @property
    def shortfall(self) -> IntArray:
        return np.asarray(np.maximum(self.population - self.capacity, 0), dtype=np.int64)

    @property
    def short_townships(self) -> list[str]:
        return [self.township[i] for i in np.flatnonzero(self.shortfall > 0)]


def shelter_balance(
    township_of_shelter: Sequence[str],
    effective_area_m2: Sequence[float],
    townships: Sequence[str],
    population: Sequence[int],
    *,
    area_per_person_m2: float | None = None,
    open_only: Sequence[bool] | None = None,
) -> ShelterBalance:
    """Shelter capacity against population per township (capacity = area / 1.5 m² per person)."""
    caps = shelter_capacity(np.asarray(effective_area_m2, dtype=np.float64), area_per_person_m2)
    if open_only is not None:
        caps = np.where(np.asarray(open_only, dtype=bool), caps, 0)
    index = {t: i for i, t in enumerate(townships)}
    total = np.zeros(len(townships), np.int64)
    for t, c in zip(township_of_shelter, caps, strict=True):
        if t in index:
            total[index[t]] += int(c)
    return ShelterBalance(tuple(townships), np.asarray(population, dtype=np.int64), total)


@dataclass(frozen=True)
class TeamCoverage:
    """Per capability and place: the earliest arrival (hours) and the team index (-1 when none)."""

    capability: str
    team: IntArray
    arrival_hours: FloatArray
    deadline_hours: float

    @property
    def uncovered(self) -> IntArray:
        return np.flatnonzero(~(self.arrival_hours <= self.deadline_hours))


def team_coverage(
    teams: Sequence[Team],
    travel_hours: FloatArray,
    *,
    capabilities: Sequence[str] | None = None,
    deadline_hours: float = 72.0,
) -> dict[str, TeamCoverage]:
    """Earliest arrival (readiness + travel) of a team of each capability at each place."""
    travel = np.asarray(travel_hours, dtype=np.float64)
    if travel.ndim != 2 or travel.shape[0] != len(teams):
        raise InvalidInput("travel hours must be teams × places")
    caps = capabilities if capabilities is not None else sorted({c for t in teams for c in t.capabilities})
    ready = np.array([t.ready_hours for t in teams], dtype=np.float64)[:, None]
    arrival = ready + travel
    out: dict[str, TeamCoverage] = {}
    for cap in caps:
        able = np.array([cap in t.capabilities for t in teams], dtype=bool)
        if not able.any():
            n = travel.shape[1]
            out[cap] = TeamCoverage(cap, np.full(n, -1, np.int64), np.full(n, np.inf), deadline_hours)
            continue
        sub = np.where(able[:, None], arrival, np.inf)
        best = np.argmin(sub, axis=0)
        h = sub[best, np.arange(sub.shape[1])]
        out[cap] = TeamCoverage(cap, np.where(np.isfinite(h), best, -1).astype(np.int64), h, deadline_hours)
    return out
