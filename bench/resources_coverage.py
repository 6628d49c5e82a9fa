"""Reserve coverage at national size: the nearest depot of each level for every township.

Depots: one county depot at each real county position of the ``cpca`` seed (~2,800), plus a city depot
at each prefecture and a provincial one at each province; places: 40,000 synthetic township points
spread around the counties. ``yingji.resources.coverage.nearest_by_level`` (a KD-tree per level) is
timed against the plain baseline — the full place × depot matrix of fallback hours and an argmin, in
chunks — and both must give the same travel times.

Usage: .venv/bin/python bench/resources_coverage.py [--places 40000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from yingji.geo.service import national_seed_records
from yingji.relief.travel import FallbackSpeed, Sites, fallback_hours
from yingji.resources import coverage

LEVEL_OF = {"county": "county", "prefecture": "city", "province": "provincial"}


def depots() -> tuple[np.ndarray, np.ndarray, list[str]]:
    rows = [r for r in national_seed_records() if r.level in LEVEL_OF and r.lon is not None and r.lat is not None]
    return (
        np.array([float(r.lon or 0) for r in rows]),
        np.array([float(r.lat or 0) for r in rows]),
        [LEVEL_OF[r.level] for r in rows],
    )


def places(lon: np.ndarray, lat: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    pick = rng.integers(0, lon.size, n)
    return lon[pick] + rng.normal(0, 0.3, n), np.clip(lat[pick] + rng.normal(0, 0.3, n), -89, 89)


def baseline(
    plon: np.ndarray, plat: np.ndarray, dlon: np.ndarray, dlat: np.ndarray, levels: list[str]
) -> dict[str, np.ndarray]:
    """Full matrix per level, 2,000 places at a time."""
    level_arr = np.asarray(levels, dtype=object)
    out: dict[str, np.ndarray] = {}
    for level in ("county", "city", "provincial"):
        members = np.flatnonzero(level_arr == level)
        sites = Sites.of([str(i) for i in members], dlon[members], dlat[members])
        hours = np.empty(plon.size)
        for start in range(0, plon.size, 2_000):
            chunk = Sites.of(
                [""] * len(plon[start : start + 2_000]), plon[start : start + 2_000], plat[start : start + 2_000]
            )
            hours[start : start + 2_000] = fallback_hours(sites, chunk).min(axis=0)
        out[level] = hours
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=40_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    dlon, dlat, levels = depots()
    plon, plat = places(dlon, dlat, args.places, rng)
    speed = FallbackSpeed()
    fast, slow = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        found = coverage.nearest_by_level(plon, plat, dlon, dlat, levels, ("county", "city", "provincial"), speed)
        coverage.missed_targets(found, coverage.delivery_targets())
        fast.append(time.perf_counter() - t)
        t = time.perf_counter()
        ref = baseline(plon, plat, dlon, dlat, levels)
        slow.append(time.perf_counter() - t)
    worst = max(float(np.max(np.abs(found[lv].hours - ref[lv]))) for lv in ref)
    print(f"depots: {dlon.size} ({levels.count('county')} county, {levels.count('city')} city, "
          f"{levels.count('provincial')} provincial); places: {plon.size}")  # fmt: skip
    print(f"coverage.nearest_by_level (KD-tree) + targets: median {np.median(fast):.3f} s")
    print(f"baseline full matrix + argmin:               median {np.median(slow):.3f} s")
    print(
        f"ratio baseline / KD-tree: {np.median(slow) / np.median(fast):.1f}×; largest difference in hours: {worst:.2e}"
    )


if __name__ == "__main__":
    main()
