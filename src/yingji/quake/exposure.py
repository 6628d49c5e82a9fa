"""Exposure: people on the intensity grid, from a population raster or from settlement points, and
the people at each intensity degree (overall and per division).

Resampling conserves people: each raster cell's count is shared among the grid cells it overlaps in
proportion to the overlap (in lon/lat, i.e. people are spread evenly over a raster cell), so a grid
that covers the raster holds exactly the raster's total, and one that covers part of it holds the
overlapped fractions. The same weights serve a raster coarser or finer than the grid.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from yingji.errors import InvalidInput
from yingji.quake.field import Grid, degree_of

FloatArray = NDArray[np.float64]


def overlap_weights(target_edges: FloatArray, source_edges: FloatArray) -> FloatArray:
    """W[t, s] = share of source cell s lying in target cell t, along one axis.

    Both edge arrays must be monotonic in the same direction (both increasing, or both decreasing).
    """
    if target_edges[0] > target_edges[-1]:
        target_edges = -target_edges
        source_edges = -source_edges
    t0 = target_edges[:-1, None]
    t1 = target_edges[1:, None]
    s0 = source_edges[None, :-1]
    s1 = source_edges[None, 1:]
    overlap = np.clip(np.minimum(t1, s1) - np.maximum(t0, s0), 0.0, None)
    weights: FloatArray = overlap / (s1 - s0)
    return weights


def resample_to_grid(values: FloatArray, x_edges: FloatArray, y_edges: FloatArray, grid: Grid) -> FloatArray:
    """People per grid cell from counts ``values`` (rows north to south) on cells with the given edges."""
    wx = overlap_weights(grid.x_edges(), x_edges)  # (grid nx, source nx)
    wy = overlap_weights(grid.y_edges(), y_edges)  # (grid ny, source ny)
    result: FloatArray = wy @ values @ wx.T
    return result


def _check_geographic(crs: Any, path: str | Path) -> None:
    epsg = crs.to_epsg() if crs is not None else None
    if crs is None or not crs.is_geographic or epsg not in (4326, None):
        raise InvalidInput(
            f"population raster {path} has CRS {crs}; it must be geographic WGS 84 (EPSG:4326) "
            "longitude/latitude — reproject it first"
        )


def read_population_raster(path: str | Path, grid: Grid) -> FloatArray:
    """People per cell of ``grid`` from a GeoTIFF (or any GDAL raster) of people per cell, WGS 84.

    Nodata and negative cells count as nobody. Parts of the grid outside the raster get zero.
    """
    import rasterio
    from rasterio.errors import RasterioError
    from rasterio.windows import Window

    try:
        src = rasterio.open(path)
    except (RasterioError, OSError) as exc:
        raise InvalidInput(f"population raster {path} cannot be read: {exc}") from None
    with src:
        _check_geographic(src.crs, path)
        t = src.transform
        if t.b != 0 or t.d != 0 or t.a <= 0 or t.e >= 0:
            raise InvalidInput(f"population raster {path} must be north-up without rotation")
        col0 = max(math.floor((grid.west - t.c) / t.a), 0)
        col1 = min(math.ceil((grid.east - t.c) / t.a), src.width)
        row0 = max(math.floor((grid.north - t.f) / t.e), 0)
        row1 = min(math.ceil((grid.south - t.f) / t.e), src.height)
        if col1 <= col0 or row1 <= row0:
            return np.zeros((grid.ny, grid.nx))
        try:
            block = src.read(1, window=Window(col0, row0, col1 - col0, row1 - row0), masked=True)
        except RasterioError as exc:
            raise InvalidInput(f"population raster {path} cannot be read: {exc}") from None
    values = np.asarray(block.filled(0.0), dtype=np.float64)
    values[~np.isfinite(values) | (values < 0)] = 0.0
    x_edges = t.c + np.arange(col0, col1 + 1) * t.a
    y_edges = t.f + np.arange(row0, row1 + 1) * t.e
    return resample_to_grid(values, x_edges, y_edges, grid)


@dataclass(frozen=True)
class PopulationRaster:
    """A whole population raster held in memory (people per cell, rows north to south), for many
    grids in a row — the scenario sets read it once per worker instead of once per scenario. Meant for
    coarse national rasters (5′ ≈ 4 MB); window reads (:func:`read_population_raster`) suit fine ones."""

    values: FloatArray
    west: float
    north: float
    dx: float
    dy: float

    @classmethod
    def read(cls, path: str | Path) -> PopulationRaster:
        import rasterio
        from rasterio.errors import RasterioError

        try:
            with rasterio.open(path) as src:
                _check_geographic(src.crs, path)
                t = src.transform
                if t.b != 0 or t.d != 0 or t.a <= 0 or t.e >= 0:
                    raise InvalidInput(f"population raster {path} must be north-up without rotation")
                block = src.read(1, masked=True)
        except (RasterioError, OSError) as exc:
            raise InvalidInput(f"population raster {path} cannot be read: {exc}") from None
        values = np.asarray(block.filled(0.0), dtype=np.float64)
        values[~np.isfinite(values) | (values < 0)] = 0.0
        return cls(values, float(t.c), float(t.f), float(t.a), float(-t.e))

    def on_grid(self, grid: Grid) -> FloatArray:
        """People per cell of ``grid`` (people conserved, as :func:`read_population_raster`)."""
        height, width = self.values.shape
        col0 = max(math.floor((grid.west - self.west) / self.dx), 0)
        col1 = min(math.ceil((grid.east - self.west) / self.dx), width)
        row0 = max(math.floor((self.north - grid.north) / self.dy), 0)
        row1 = min(math.ceil((self.north - grid.south) / self.dy), height)
        if col1 <= col0 or row1 <= row0:
            return np.zeros((grid.ny, grid.nx))
        x_edges = self.west + np.arange(col0, col1 + 1) * self.dx
        y_edges = self.north - np.arange(row0, row1 + 1) * self.dy
        return resample_to_grid(self.values[row0:row1, col0:col1], x_edges, y_edges, grid)


@lru_cache(maxsize=2)
def cached_population_raster(path: str) -> PopulationRaster:
    """:meth:`PopulationRaster.read`, kept for the life of the process (one per worker)."""
    return PopulationRaster.read(path)


def population_from_points(lons: FloatArray, lats: FloatArray, people: FloatArray, grid: Grid) -> FloatArray:
    """People per grid cell from settlement points (each settlement counted in the cell it falls in;
    settlements outside the grid are left out)."""
    col = np.floor((np.asarray(lons) - grid.west) / grid.step).astype(np.int64)
    row = np.floor((grid.north - np.asarray(lats)) / grid.step).astype(np.int64)
    keep = (col >= 0) & (col < grid.nx) & (row >= 0) & (row < grid.ny)
    counts = np.bincount(row[keep] * grid.nx + col[keep], weights=np.asarray(people)[keep], minlength=grid.nx * grid.ny)
    result: FloatArray = counts.reshape(grid.ny, grid.nx).astype(np.float64)
    return result


def read_settlements(path: str | Path) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Settlement points (lon, lat, population) from a CSV with columns ``lon, lat, population`` or a
    GeoJSON FeatureCollection of points with a ``population`` property."""
    p = Path(path)
    lons: list[float] = []
    lats: list[float] = []
    people: list[float] = []
    try:
        if p.suffix.lower() in (".geojson", ".json"):
            for feature in json.loads(p.read_text(encoding="utf-8"))["features"]:
                lon, lat = feature["geometry"]["coordinates"][:2]
                lons.append(float(lon))
                lats.append(float(lat))
                people.append(float(feature["properties"]["population"]))
        else:
            with p.open(newline="", encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    lons.append(float(row["lon"]))
                    lats.append(float(row["lat"]))
                    people.append(float(row["population"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"settlements file {path} is not readable as lon/lat/population points: {exc}") from None
    return np.asarray(lons), np.asarray(lats), np.asarray(people)


def exposure_by_intensity(intensity: FloatArray, population: FloatArray, min_degree: int = 1) -> dict[int, float]:
    """People at each integer degree n (intensity in [n − 0.5, n + 0.5)), for n ≥ ``min_degree``."""
    degrees = degree_of(intensity).ravel()
    weights = population.ravel()
    keep = degrees >= min_degree
    totals = np.bincount(degrees[keep].astype(np.int64), weights=weights[keep])
    return {n: float(totals[n]) for n in range(min_degree, len(totals)) if totals[n] > 0}


def exposure_by_division(
    intensity: FloatArray,
    population: FloatArray,
    grid: Grid,
    divisions: Mapping[str, Any],
    min_degree: int = 1,
) -> dict[str, dict[int, float]]:
    """People at each degree within each division (keys → shapely polygons in lon/lat).

    A grid cell belongs to the division containing its centre; cells in no division are left out.
    """
    lon_centres, lat_centres = np.meshgrid(grid.lons(), grid.lats())
    result: dict[str, dict[int, float]] = {}
    for key, polygon in divisions.items():
        inside = _centres_inside(polygon, lon_centres, lat_centres)
        result[key] = exposure_by_intensity(intensity[inside], population[inside], min_degree) if inside.any() else {}
    return result


def _centres_inside(polygon: Any, lon_centres: FloatArray, lat_centres: FloatArray) -> NDArray[np.bool_]:
    """Which cell centres the (shapely, lon/lat) polygon contains; only those in its bounds are tested."""
    import shapely

    west, south, east, north = polygon.bounds
    box = (lon_centres >= west) & (lon_centres <= east) & (lat_centres >= south) & (lat_centres <= north)
    inside: NDArray[np.bool_] = np.zeros_like(box)
    if box.any():
        inside[box] = shapely.contains_xy(polygon, lon_centres[box], lat_centres[box])
    return inside


@dataclass(frozen=True)
class DivisionShaking:
    """The shaking and the people of one division: its highest degree and its people at each degree."""

    max_degree: int
    people_by_degree: dict[int, float]

    @property
    def people_vi_plus(self) -> float:
        return float(sum(v for k, v in self.people_by_degree.items() if k >= 6))


def division_shaking(
    intensity: FloatArray, population: FloatArray, grid: Grid, divisions: Mapping[str, Any]
) -> dict[str, DivisionShaking]:
    """For each division (key → shapely polygon, lon/lat) that overlaps the grid: the highest degree of
    the cells whose centres it contains and the people at each degree. A division too small to contain a
    cell centre takes the cell under its representative point. Divisions outside the grid are left out."""
    lon_centres, lat_centres = np.meshgrid(grid.lons(), grid.lats())
    degrees = degree_of(intensity)
    result: dict[str, DivisionShaking] = {}
    for key, polygon in divisions.items():
        inside = _centres_inside(polygon, lon_centres, lat_centres)
        if not inside.any():
            point = polygon.representative_point()
            col = math.floor((point.x - grid.west) / grid.step)
            row = math.floor((grid.north - point.y) / grid.step)
            if not (0 <= col < grid.nx and 0 <= row < grid.ny):
                continue
            inside[row, col] = True
        cell_degrees = degrees[inside].astype(np.int64)
        people = population[inside]
        counts = np.bincount(np.clip(cell_degrees, 0, None), weights=people)
        result[key] = DivisionShaking(
            max_degree=int(cell_degrees.max()),
            people_by_degree={n: float(counts[n]) for n in range(1, len(counts)) if counts[n] > 0},
        )
    return result
