"""Approximate division areas from positions alone, for an installation that has no boundary files yet:
each division's cell is the part of its parent's area closer to its position than to any sibling's
(a Voronoi cell), cut to a disc around the position so that a division on a coast or a border does not
reach out to sea or abroad. Good enough to place an epicentre or an incident in a county; never good
enough to refuse a position, so such areas are stored marked approximate and only real boundaries do.

Distances are taken in an Albers equal-area projection of China (standard parallels 25° N and 47° N,
central meridian 105° E), not in degrees, whose east-west length shrinks by a third from Hainan to
Heilongjiang. Pure: positions in, polygons out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

CHINA_ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"
_TO_M = Transformer.from_crs("EPSG:4326", CHINA_ALBERS, always_xy=True)
_TO_DEG = Transformer.from_crs(CHINA_ALBERS, "EPSG:4326", always_xy=True)


@dataclass(frozen=True)
class Reach:
    """How far a cell may reach from its position: ``factor`` times the distance to the nearest
    sibling, within [``min_m``, ``max_m``]. Counties: 15–150 km; townships: 3–30 km."""

    min_m: float
    max_m: float
    factor: float = 1.5


COUNTY_REACH = Reach(15_000, 150_000)
TOWNSHIP_REACH = Reach(3_000, 30_000)


def _to_m(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: np.column_stack(_TO_M.transform(xy[:, 0], xy[:, 1])))


def _to_deg(geom: BaseGeometry) -> BaseGeometry:
    # Edges densified to 2 km first: a long straight edge in the projection is a curve in degrees, and two
    # neighbours that split their shared edge differently would otherwise overlap in slivers
    dense = shapely.segmentize(geom, 2_000)
    return shapely.transform(dense, lambda xy: np.column_stack(_TO_DEG.transform(xy[:, 0], xy[:, 1])))


def cells(
    codes: Sequence[str],
    lons: Sequence[float],
    lats: Sequence[float],
    *,
    reach: Reach,
    within: BaseGeometry | None = None,
) -> dict[str, BaseGeometry]:
    """The approximate area (WGS 84) of each position: its Voronoi cell among the given positions,
    cut to its reach and, when given, to ``within`` (the parent's area, WGS 84). Positions that repeat
    share nothing: the first keeps the cell. A cell that comes out empty is left out."""
    if not codes:
        return {}
    x, y = _TO_M.transform(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
    points = shapely.points(x, y)
    unique: dict[tuple[float, float], int] = {}
    for i, (px, py) in enumerate(zip(x, y, strict=True)):
        unique.setdefault((round(float(px)), round(float(py))), i)
    keep = sorted(unique.values())
    radius = _reach_radii(np.asarray(x)[keep], np.asarray(y)[keep], reach)
    discs = shapely.buffer(points[keep], radius, quad_segs=16)
    if len(keep) == 1:
        regions = [discs[0]]
    else:
        envelope = shapely.box(*shapely.total_bounds(discs)).buffer(reach.max_m)
        voronoi = shapely.voronoi_polygons(shapely.multipoints(points[keep]), extend_to=envelope, ordered=True)
        regions = [shapely.intersection(cell, disc) for cell, disc in zip(voronoi.geoms, discs, strict=True)]
    parent = _to_m(shapely.segmentize(within, 0.02)) if within is not None else None  # edges kept on course
    out: dict[str, BaseGeometry] = {}
    for i, region in zip(keep, regions, strict=True):
        if parent is not None:
            region = shapely.intersection(region, parent)
        region = shapely.make_valid(region)
        polygonal = _polygonal(region)
        if polygonal is not None and not polygonal.is_empty:
            out[codes[i]] = _to_deg(polygonal)
    return out


def _reach_radii(x: np.ndarray, y: np.ndarray, reach: Reach) -> np.ndarray:
    if len(x) < 2:
        return np.full(len(x), reach.max_m)
    from scipy.spatial import cKDTree

    distances, _ = cKDTree(np.column_stack([x, y])).query(np.column_stack([x, y]), k=2)
    result: np.ndarray = np.clip(distances[:, 1] * reach.factor, reach.min_m, reach.max_m)
    return result


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    """The polygons of ``geom`` (a clip can leave lines or points on shared edges)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def union(areas: Sequence[BaseGeometry]) -> BaseGeometry | None:
    """A parent's approximate area: the union of its children's (None when it has none)."""
    if not areas:
        return None
    return _polygonal(shapely.make_valid(shapely.union_all(list(areas))))


def zonal_sums(path: str, areas: dict[str, BaseGeometry]) -> dict[str, int]:
    """People in each area: the sum of the raster's cells whose centres lie inside it (the raster in
    WGS 84, counts per cell, nodata as none). An area too small to hold a cell centre gets the cell
    under its representative point, scaled by the share of the cell it covers. Areas should not overlap
    (a cell counts for one area only): give one level at a time."""
    import rasterio
    from rasterio.features import rasterize

    if not areas:
        return {}
    codes = list(areas)
    with rasterio.open(path) as src:
        data = src.read(1, masked=True).filled(0).astype(np.float64)
        transform = src.transform
    data[~np.isfinite(data) | (data < 0)] = 0
    labels = rasterize(
        [(areas[c], i + 1) for i, c in enumerate(codes)], out_shape=data.shape, transform=transform, fill=0,
        dtype="int32",
    )  # fmt: skip
    sums = np.bincount(labels.ravel(), weights=data.ravel(), minlength=len(codes) + 1)
    counts = np.bincount(labels.ravel(), minlength=len(codes) + 1)
    cell_area = abs(transform.a * transform.e)
    out: dict[str, int] = {}
    for i, code in enumerate(codes):
        if counts[i + 1] > 0:
            out[code] = int(sums[i + 1] + 0.5)
            continue
        point = areas[code].representative_point()
        col, row = ~transform * (point.x, point.y)
        r, c = int(row), int(col)
        inside = 0 <= r < data.shape[0] and 0 <= c < data.shape[1]
        out[code] = int(data[r, c] * min(1.0, areas[code].area / cell_area) + 0.5) if inside else 0
    return out
