"""Coverage of the reserves (储备覆盖), pure: the nearest depot of each reserve level and its travel time
for every place, the delivery targets missed, shelter space against population, and the nearest team
of each capability. Travel times come from the relief engine's fallback model (great-circle distance ×
detour factor at a terrain speed, ``yingji.relief.travel``); numbers in, numbers out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from yingji.relief.travel import FallbackSpeed, FloatArray, IntArray, nearest, relief_norms

# Reserve level → key of its first-delivery target in relief_norms.yaml: county ≤ 6 h, city ≤ 8 h,
# province ≤ 10 h (2024 guidance on relief-supply capacity, docs/sources.md §S7).
TARGET_KEYS = {"county": "county", "city": "city", "provincial": "province"}
# How fast a team of a capability should reach a place: no national figure was found in the stored
# reference (status U), so this default is a project assumption — the county supply target — and a
# parameter of every call.
TEAM_TARGET_HOURS = 6.0


def delivery_targets() -> dict[str, float]:
    """Reserve level → first-delivery target in hours."""
    targets = relief_norms()["delivery_targets_hours"]
    return {level: float(targets[key]["value"]) for level, key in TARGET_KEYS.items()}


@dataclass(frozen=True)
class Nearest:
    """For each place: index of the nearest site (−1 where there is none), km and hours to it."""

    index: IntArray
    km: FloatArray
    hours: FloatArray


def nearest_sites(
    place_lon: FloatArray,
    place_lat: FloatArray,
    site_lon: FloatArray,
    site_lat: FloatArray,
    speed: FallbackSpeed | None = None,
) -> Nearest:
    """The nearest site of each place by fallback travel time (nearest by great circle is nearest by time)."""
    speed = speed or FallbackSpeed()
    n = place_lon.size
    if site_lon.size == 0 or n == 0:
        return Nearest(np.full(n, -1, dtype=np.int64), np.full(n, np.inf), np.full(n, np.inf))
    idx, km = nearest(site_lon, site_lat, place_lon, place_lat, 1)
    return Nearest(idx[:, 0], km[:, 0], speed.hours(km[:, 0]))


def nearest_by_level(
    place_lon: FloatArray,
    place_lat: FloatArray,
    depot_lon: FloatArray,
    depot_lat: FloatArray,
    depot_level: Sequence[str],
    levels: Sequence[str],
    speed: FallbackSpeed | None = None,
) -> dict[str, Nearest]:
    """For each reserve level, every place's nearest depot of that level (indices into the depots)."""
    out: dict[str, Nearest] = {}
    level_arr = np.asarray(depot_level, dtype=object)
    for level in levels:
        members = np.flatnonzero(level_arr == level)
        out[level] = _among(members, nearest_sites(place_lon, place_lat, depot_lon[members], depot_lat[members], speed))
    return out


def _among(members: IntArray, found: Nearest) -> Nearest:
    """Indices into a subset turned into indices into the whole set."""
    if members.size == 0:
        return found
    return Nearest(np.where(found.index >= 0, members[np.clip(found.index, 0, None)], -1), found.km, found.hours)


def missed_targets(by_level: dict[str, Nearest], targets: dict[str, float]) -> list[list[str]]:
    """For each place, the reserve levels whose nearest depot is farther than the target (or absent)."""
    n = next(iter(by_level.values())).index.size if by_level else 0
    missed: list[list[str]] = [[] for _ in range(n)]
    for level, target in targets.items():
        found = by_level.get(level)
        if found is None:
            continue
        for i in np.flatnonzero(~(found.hours <= target)):
            missed[int(i)].append(level)
    return missed


def shelter_adequacy(
    population: Sequence[int | None], area_m2: Sequence[float], capacity: Sequence[int], min_area_per_person: float
) -> list[dict[str, Any]]:
    """Per place: effective area per resident, capacity share, and whether the area meets the norm
    (GB 21734-2008 §5.4: more than 1.5 m² per person) for the whole population."""
    rows: list[dict[str, Any]] = []
    for pop, area, cap in zip(population, area_m2, capacity, strict=True):
        if not pop:
            rows.append({"area_per_resident_m2": None, "capacity_share": None, "meets_area_norm": True})
            continue
        per = float(area) / pop
        rows.append(
            {
                "area_per_resident_m2": round(per, 3),
                "capacity_share": round(float(cap) / pop, 4),
                "meets_area_norm": per >= min_area_per_person,
            }
        )
    return rows


def team_coverage(
    place_lon: FloatArray,
    place_lat: FloatArray,
    team_lon: FloatArray,
    team_lat: FloatArray,
    team_capabilities: Sequence[Sequence[str]],
    capabilities: Sequence[str],
    speed: FallbackSpeed | None = None,
) -> dict[str, Nearest]:
    """For each capability, every place's nearest team having it (indices into the teams)."""
    out: dict[str, Nearest] = {}
    for capability in capabilities:
        members = np.array([i for i, caps in enumerate(team_capabilities) if capability in caps], dtype=np.int64)
        out[capability] = _among(
            members, nearest_sites(place_lon, place_lat, team_lon[members], team_lat[members], speed)
        )
    return out
