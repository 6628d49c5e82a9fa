"""Travel-time basics: the relief norms (speeds, detour), sites, great-circle distances and the fallback
straight-line travel model (pure)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from yingji.errors import InvalidInput

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@cache
def relief_norms() -> dict[str, Any]:
    """The packaged ``relief_norms.yaml`` (defaults of this domain, each with its source)."""
    text = files("yingji.standards").joinpath("relief_norms.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@cache
def road_speeds() -> dict[str, float]:
    """Planning speed (km/h) by road class from the packaged ``road_speeds.yaml``; key ``""`` = default."""
    text = files("yingji.standards").joinpath("road_speeds.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    speeds = {str(k): float(v) for k, v in data["speeds_kmh"].items()}
    speeds[""] = float(data["default_kmh"])
    return speeds


def _norm(section: str, key: str) -> float:
    return float(relief_norms()[section][key]["value"])


@dataclass(frozen=True)
class FallbackSpeed:
    """Road distance ≈ great-circle × ``detour_factor``, driven at ``speed_kmh``."""

    detour_factor: float = field(default_factory=lambda: _norm("fallback_travel", "detour_factor"))
    speed_kmh: float = field(default_factory=lambda: _norm("fallback_travel", "speed_kmh"))

    def __post_init__(self) -> None:
        if not (self.detour_factor >= 1.0 and math.isfinite(self.detour_factor)):
            raise InvalidInput(f"detour factor must be a number ≥ 1, got {self.detour_factor}")
        if not (self.speed_kmh > 0 and math.isfinite(self.speed_kmh)):
            raise InvalidInput(f"terrain speed must be a positive number of km/h, got {self.speed_kmh}")

    def hours(self, great_circle_km: FloatArray) -> FloatArray:
        return np.asarray(great_circle_km, dtype=np.float64) * (self.detour_factor / self.speed_kmh)


@dataclass(frozen=True)
class Sites:
    """Named positions (WGS 84 degrees): depots, demand points, landing sites."""

    ids: tuple[str, ...]
    lon: FloatArray
    lat: FloatArray

    @classmethod
    def of(cls, ids: Sequence[str], lon: Iterable[float], lat: Iterable[float]) -> Sites:
        lon_a = np.asarray(list(lon), dtype=np.float64)
        lat_a = np.asarray(list(lat), dtype=np.float64)
        if not (len(ids) == lon_a.size == lat_a.size):
            raise InvalidInput("ids, longitudes and latitudes must have the same length")
        bad = ~(np.isfinite(lon_a) & np.isfinite(lat_a) & (np.abs(lon_a) <= 180) & (np.abs(lat_a) <= 90))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidInput(f"site {ids[i]!r}: position ({lon_a[i]}, {lat_a[i]}) is not a WGS 84 lon/lat")
        return cls(tuple(ids), lon_a, lat_a)

    def __len__(self) -> int:
        return len(self.ids)


# --- great-circle geometry --------------------------------------------------------------------------


def great_circle_km(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> FloatArray:
    """Haversine distance in km; numpy broadcasting (e.g. ``lon1[:, None]`` against ``lon2[None, :]``)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=np.float64)


def unit_vectors(lon: FloatArray, lat: FloatArray) -> FloatArray:
    """Points on the unit sphere (n, 3): Euclidean nearest neighbours there are great-circle ones."""
    lam, phi = np.radians(lon), np.radians(lat)
    cos_phi = np.cos(phi)
    return np.column_stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)])


def chord_to_km(chord: FloatArray) -> FloatArray:
    """Great-circle km from the chord length between unit vectors."""
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2, 0.0, 1.0)), dtype=np.float64)


def fallback_hours(depots: Sites, places: Sites, speed: FallbackSpeed | None = None) -> FloatArray:
    """Full (depots × places) matrix of fallback travel hours."""
    speed = speed or FallbackSpeed()
    km = great_circle_km(depots.lon[:, None], depots.lat[:, None], places.lon[None, :], places.lat[None, :])
    return speed.hours(km)


def nearest(
    from_lon: FloatArray, from_lat: FloatArray, to_lon: FloatArray, to_lat: FloatArray, k: int
) -> tuple[IntArray, FloatArray]:
    """For each ``to`` point, the indices of its ``k`` nearest ``from`` points and their great-circle km.

    Shapes (n_to, k'), k' = min(k, n_from), sorted nearest first.
    """
    from scipy.spatial import cKDTree

    n_from = from_lon.size
    kk = min(k, n_from)
    if kk == 0 or to_lon.size == 0:
        return np.zeros((to_lon.size, 0), dtype=np.int64), np.zeros((to_lon.size, 0))
    tree = cKDTree(unit_vectors(from_lon, from_lat))
    chord, idx = tree.query(unit_vectors(to_lon, to_lat), k=kk)
    chord = np.asarray(chord, dtype=np.float64).reshape(to_lon.size, kk)
    idx = np.asarray(idx, dtype=np.int64).reshape(to_lon.size, kk)
    return idx, chord_to_km(chord)
