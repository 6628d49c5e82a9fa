"""Synthetic township and village layers for a region whose counties have only centroids (pure).

Real boundaries are not shipped, so the demo and the benchmarks make plausible ones: Voronoi cells of
the county centroids clipped to a buffered hull, then random township seeds inside each county and
village seeds inside each township, each layer clipped to its parent. Deterministic for a given seed.
Every record this produces is synthetic and is labelled so by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon
from shapely.geometry.base import BaseGeometry


@dataclass
class Cell:
    code: str
    parent_code: str
    lon: float
    lat: float
    boundary: BaseGeometry
    population: int


def voronoi_cells(lons: Sequence[float], lats: Sequence[float], clip: BaseGeometry) -> list[BaseGeometry]:
    """One cell per seed point (same order), clipped to ``clip``."""
    if len(lons) == 1:
        return [clip]
    points = MultiPoint(list(zip(lons, lats, strict=True)))
    cells = shapely.voronoi_polygons(points, extend_to=clip, ordered=True)
    return [cell.intersection(clip) for cell in cells.geoms]


def random_points_in(polygon: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points inside the polygon (rejection sampling in its bounding box)."""
    min_x, min_y, max_x, max_y = polygon.bounds
    shapely.prepare(polygon)
    found: list[np.ndarray] = []
    count = 0
    while count < n:
        xy = np.column_stack([rng.uniform(min_x, max_x, 4 * n), rng.uniform(min_y, max_y, 4 * n)])
        inside = shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])
        found.append(xy[inside])
        count += int(inside.sum())
    return np.concatenate(found)[:n]


def region_hull(lons: Sequence[float], lats: Sequence[float], buffer_deg: float) -> Polygon:
    hull = MultiPoint(list(zip(lons, lats, strict=True))).convex_hull.buffer(buffer_deg)
    assert isinstance(hull, Polygon)
    return hull


def subdivide(
    parent_code: str, parent_prefix: str, boundary: BaseGeometry, population: int, n: int, rng: np.random.Generator
) -> list[Cell]:
    """Split a division into ``n`` child cells with codes ``prefix + 001…`` and populations summing to
    the parent's."""
    seeds = random_points_in(boundary, n, rng)
    cells = voronoi_cells(seeds[:, 0].tolist(), seeds[:, 1].tolist(), boundary)
    weights = rng.gamma(2.0, 1.0, n)
    shares = np.floor(population * weights / weights.sum()).astype(int)
    shares[0] += population - int(shares.sum())
    width = 12 - len(parent_prefix)
    digits = 3 if width >= 6 else width
    out = []
    for i, (cell, (x, y)) in enumerate(zip(cells, seeds, strict=True)):
        code = (parent_prefix + f"{i + 1:0{digits}d}").ljust(12, "0")
        out.append(
            Cell(
                code=code, parent_code=parent_code, lon=float(x), lat=float(y), boundary=cell, population=int(shares[i])
            )
        )
    return out
