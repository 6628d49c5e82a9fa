"""Intensity field on a regular lon/lat grid and the isoseismal zones drawn from it.

The grid's rows run north to south (like a raster), cell centres at ``west + (j + ½)·step`` and
``north − (i + ½)·step``; its edges sit on multiples of the step so grids of different events line up.
Distances from the epicentre are great-circle distances on a sphere, and the bearing of each cell
gives its offset along and across the fault strike (an azimuthal-equidistant frame).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from yingji.errors import InvalidInput
from yingji.quake.intensity import (
    AllenEtAl2012,
    EllipticalAttenuation,
    ms_to_mw,
)
from yingji.quake.source import EARTH_RADIUS_KM, KM_PER_DEGREE, Epicentre, Orientation

FloatArray = NDArray[np.float64]

DEFAULT_STEP_DEG = 0.01
FIELD_FLOOR = 5.5  # the field reaches out to where the intensity falls below this (zone VI starts at 5.5)
MIN_ZONE_DEGREE = 6
MAX_DEGREE = 12
MAX_RADIUS_KM = 1500.0


@dataclass(frozen=True)
class Grid:
    """A regular lon/lat grid (degrees), rows north to south."""

    west: float
    north: float
    step: float
    nx: int
    ny: int

    @property
    def east(self) -> float:
        return self.west + self.nx * self.step

    @property
    def south(self) -> float:
        return self.north - self.ny * self.step

    def lons(self) -> FloatArray:
        return np.asarray(self.west + (np.arange(self.nx) + 0.5) * self.step, dtype=np.float64)

    def lats(self) -> FloatArray:
        return np.asarray(self.north - (np.arange(self.ny) + 0.5) * self.step, dtype=np.float64)

    def x_edges(self) -> FloatArray:
        return np.asarray(self.west + np.arange(self.nx + 1) * self.step, dtype=np.float64)

    def y_edges(self) -> FloatArray:
        """Row edges from north to south."""
        return np.asarray(self.north - np.arange(self.ny + 1) * self.step, dtype=np.float64)

    def cell_areas_km2(self) -> FloatArray:
        """Area of one cell in each row (km², on the sphere): R²·Δλ·(sin φ_north − sin φ_south)."""
        edges = np.radians(self.y_edges())
        area: FloatArray = EARTH_RADIUS_KM**2 * math.radians(self.step) * (np.sin(edges[:-1]) - np.sin(edges[1:]))
        return area

    def transform(self) -> Any:
        """The affine transform of the grid (for rasterio)."""
        from affine import Affine

        return Affine(self.step, 0.0, self.west, 0.0, -self.step, self.north)


def grid_around(lon: float, lat: float, radius_km: float, step: float = DEFAULT_STEP_DEG) -> Grid:
    """The smallest grid (edges on multiples of ``step``) covering ``radius_km`` around a point."""
    if not (math.isfinite(step) and 0.0005 <= step <= 1.0):
        raise InvalidInput(f"step {step} must be a grid spacing in degrees within 0.0005–1")
    radius_km = min(max(radius_km, step * KM_PER_DEGREE), MAX_RADIUS_KM)
    dlat = radius_km / KM_PER_DEGREE
    coslat = max(math.cos(math.radians(min(abs(lat) + dlat, 89.0))), 0.01)
    dlon = min(radius_km / (KM_PER_DEGREE * coslat), 179.0)
    west = math.floor((lon - dlon) / step) * step
    east = math.ceil((lon + dlon) / step) * step
    south = max(math.floor((lat - dlat) / step) * step, -90.0)
    north = min(math.ceil((lat + dlat) / step) * step, 90.0)
    return Grid(west, north, step, round((east - west) / step), round((north - south) / step))


def offsets_km(grid: Grid, epicentre: Epicentre, strike_deg: float | None) -> tuple[FloatArray, FloatArray]:
    """(along-strike, across-strike) offsets in km of every cell centre from the epicentre.

    With no strike the along axis is north; circular models use only the distance √(x² + y²).
    """
    lam = np.radians(grid.lons())[None, :]
    phi = np.radians(grid.lats())[:, None]
    lam0 = math.radians(epicentre.lon)
    phi0 = math.radians(epicentre.lat)
    dlam = lam - lam0
    # Haversine distance and forward azimuth on the sphere.
    sin_dphi = np.sin((phi - phi0) / 2.0)
    sin_dlam = np.sin(dlam / 2.0)
    h = sin_dphi**2 + math.cos(phi0) * np.cos(phi) * sin_dlam**2
    distance = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    azimuth = np.arctan2(
        np.sin(dlam) * np.cos(phi), math.cos(phi0) * np.sin(phi) - math.sin(phi0) * np.cos(phi) * np.cos(dlam)
    )
    theta = azimuth - math.radians(strike_deg or 0.0)
    x: FloatArray = distance * np.cos(theta)
    y: FloatArray = distance * np.sin(theta)
    return x, y


# --------------------------------------------------------------------------------------------------
# Rupture size for the distance-to-rupture models
# --------------------------------------------------------------------------------------------------

# Wells & Coppersmith (1994) Table 2A, all slip types: log10 RLD = −2.44 + 0.59·Mw (subsurface rupture
# length, km); log10 RW = −1.01 + 0.32·Mw (down-dip width, km). Status U in our reference (background
# knowledge; check against BSSA 84(4):974–1002 before relying on it).
WC1994_LENGTH = (-2.44, 0.59)
WC1994_WIDTH = (-1.01, 0.32)


def rupture_length_km(mw: float) -> float:
    return float(10 ** (WC1994_LENGTH[0] + WC1994_LENGTH[1] * mw))


def rupture_top_km(mw: float, depth_km: float) -> float:
    """Depth to the top of a vertical rupture centred on the hypocentre."""
    width = 10 ** (WC1994_WIDTH[0] + WC1994_WIDTH[1] * mw)
    return max(0.0, depth_km - width / 2.0)


def rupture_distance_km(
    x_km: FloatArray, y_km: FloatArray, *, mw: float, depth_km: float, oriented: bool
) -> FloatArray:
    """Closest distance (km) to the rupture.

    With a known strike the rupture is a vertical plane of Wells–Coppersmith length along the strike,
    centred on the epicentre; without one, a point at the hypocentre.
    """
    if not oriented:
        point: FloatArray = np.sqrt(x_km * x_km + y_km * y_km + depth_km * depth_km)
        return point
    half = rupture_length_km(mw) / 2.0
    along = np.maximum(np.abs(x_km) - half, 0.0)
    top = rupture_top_km(mw, depth_km)
    plane: FloatArray = np.sqrt(along * along + y_km * y_km + top * top)
    return plane


# --------------------------------------------------------------------------------------------------
# Fields
# --------------------------------------------------------------------------------------------------

FieldModel = Literal["chinese", "allen2012"]


@dataclass
class IntensityField:
    """Intensity at every cell of ``grid`` (``values`` shape (ny, nx)) on the model's scale."""

    grid: Grid
    values: FloatArray
    scale: str
    model: str
    orientation: Orientation
    notes: list[str] = field(default_factory=list)

    @property
    def max_intensity(self) -> float:
        return float(np.max(self.values))


def chinese_reach_km(model: EllipticalAttenuation, ms: float, orientation: Orientation) -> float:
    return model.reach_km(ms, FIELD_FLOOR, circular=orientation.circular)


def allen_reach_km(mw: float, orientation: Orientation, depth_km: float) -> float:
    reach = AllenEtAl2012().reach_km(mw, FIELD_FLOOR)
    if not orientation.circular:
        reach += rupture_length_km(mw) / 2.0
    return reach


def chinese_field(
    grid: Grid,
    epicentre: Epicentre,
    ms: float,
    model: EllipticalAttenuation,
    orientation: Orientation,
    *,
    offsets: tuple[FloatArray, FloatArray] | None = None,
) -> IntensityField:
    """The Chinese elliptical relation on ``grid``; the epicentral intensity caps the field."""
    x, y = offsets if offsets is not None else offsets_km(grid, epicentre, orientation.strike_deg)
    values = model.at_sites(ms, x, y, circular=orientation.circular)
    return IntensityField(grid, values, "CSIS", model.coefficients.key, orientation)


def allen_field(
    grid: Grid,
    epicentre: Epicentre,
    mw: float,
    orientation: Orientation,
    *,
    offsets: tuple[FloatArray, FloatArray] | None = None,
) -> IntensityField:
    """The Allen et al. (2012) MMI field on ``grid`` from the rupture distance of each cell."""
    x, y = offsets if offsets is not None else offsets_km(grid, epicentre, orientation.strike_deg)
    r_rup = rupture_distance_km(x, y, mw=mw, depth_km=epicentre.depth_km, oriented=not orientation.circular)
    values = AllenEtAl2012().at_distances(mw, r_rup)
    return IntensityField(grid, values, "MMI", "allen2012", orientation)


def field_extent_km(epicentre: Epicentre, ms: float, model: EllipticalAttenuation, orientation: Orientation) -> float:
    """How far out the grid must reach: the farther of the Chinese and Allen (Mw from Ms) 5.5 reaches."""
    mw = ms_to_mw(ms)
    return max(chinese_reach_km(model, ms, orientation), allen_reach_km(mw, orientation, epicentre.depth_km))


# --------------------------------------------------------------------------------------------------
# Zones
# --------------------------------------------------------------------------------------------------


def degree_of(values: FloatArray) -> NDArray[np.int16]:
    """Integer degree of each intensity: n for values in [n − 0.5, n + 0.5), capped at XII."""
    degree = np.floor(values + 0.5)
    result: NDArray[np.int16] = np.clip(degree, -1, MAX_DEGREE).astype(np.int16)
    return result


@dataclass
class Zone:
    """One isoseismal band: the cells whose intensity is in [n − 0.5, n + 0.5)."""

    intensity: int
    geometry: Any  # shapely (Multi)Polygon, lon/lat
    area_km2: float
    population: float


def zone_geometries(fld: IntensityField, min_degree: int = MIN_ZONE_DEGREE) -> dict[int, Any]:
    """Polygons (shapely, lon/lat) of the band of each degree ≥ ``min_degree`` present in the field."""
    from rasterio.features import shapes
    from shapely.geometry import shape
    from shapely.ops import unary_union

    degrees = degree_of(fld.values)
    banded = np.where(degrees >= min_degree, degrees, 0).astype(np.int16)
    polygons: dict[int, list[Any]] = {}
    for geom, value in shapes(banded, mask=banded > 0, transform=fld.grid.transform(), connectivity=4):
        polygons.setdefault(int(value), []).append(shape(geom))
    return {n: (parts[0] if len(parts) == 1 else unary_union(parts)) for n, parts in sorted(polygons.items())}


def equal_area_projector(lon0: float, lat0: float) -> Any:
    """A function projecting lon/lat coordinate arrays to a Lambert azimuthal equal-area plane (metres)
    centred on (lon0, lat0) on the WGS 84 ellipsoid."""
    from pyproj import Transformer

    to_laea = Transformer.from_crs(
        "EPSG:4326", f"+proj=laea +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m", always_xy=True
    )

    def project(coords: FloatArray) -> FloatArray:
        x, y = to_laea.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return project


def equal_area_km2(geometry: Any, lon0: float, lat0: float, projector: Any = None) -> float:
    """Area (km²) of a lon/lat geometry in a Lambert azimuthal equal-area projection centred on
    (lon0, lat0)."""
    from shapely import transform

    project = projector or equal_area_projector(lon0, lat0)
    return float(transform(geometry, project).area) / 1e6


def zones(
    fld: IntensityField,
    population: FloatArray | None,
    *,
    min_degree: int = MIN_ZONE_DEGREE,
    centre: tuple[float, float] | None = None,
) -> list[Zone]:
    """The isoseismal zones of ``fld`` (one per degree ≥ ``min_degree``), with area and people."""
    geometries = zone_geometries(fld, min_degree)
    degrees = degree_of(fld.values)
    lon0, lat0 = centre or (
        (fld.grid.west + fld.grid.east) / 2.0,
        (fld.grid.north + fld.grid.south) / 2.0,
    )
    projector = equal_area_projector(lon0, lat0)
    result = []
    for n, geometry in geometries.items():
        people = float(population[degrees == n].sum()) if population is not None else 0.0
        result.append(Zone(n, geometry, equal_area_km2(geometry, lon0, lat0, projector), people))
    return result


def zones_geojson(zone_list: list[Zone], properties: dict[str, Any] | None = None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the zones (lon/lat, WGS 84)."""
    from shapely.geometry import mapping

    features = [
        {
            "type": "Feature",
            "properties": {
                "intensity": z.intensity,
                "area_km2": round(z.area_km2, 3),
                "population": round(z.population, 1),
            },
            "geometry": mapping(z.geometry),
        }
        for z in zone_list
    ]
    return {"type": "FeatureCollection", "properties": properties or {}, "features": features}
