"""The earthquake source as the intensity models need it: the attenuation region chosen from the
epicentre, and the orientation of the long axis (a given strike, else the strike of the nearest mapped
fault trace, else none — circular isoseismals, and the result says so)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from numpy.typing import NDArray

from yingji.errors import InvalidInput

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG), for the spherical distances used on the grid
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180.0

# A mapped trace farther than this from the epicentre does not decide the strike: the source is then
# treated as circular. 50 km is about the half-length of an Ms 7.5 rupture.
DEFAULT_MAX_TRACE_DISTANCE_KM = 50.0

OrientationBasis = Literal["given", "fault_trace", "circular"]


@dataclass(frozen=True)
class Epicentre:
    lon: float
    lat: float
    depth_km: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lon) and -180.0 <= self.lon <= 180.0):
            raise InvalidInput(f"lon {self.lon} must be a longitude in -180..180")
        if not (math.isfinite(self.lat) and -90.0 <= self.lat <= 90.0):
            raise InvalidInput(f"lat {self.lat} must be a latitude in -90..90")
        if not (math.isfinite(self.depth_km) and 0.0 <= self.depth_km <= 700.0):
            raise InvalidInput(f"depth {self.depth_km} km must be within 0–700 km")


@dataclass(frozen=True)
class Orientation:
    """Direction of the long axis of the isoseismals (degrees clockwise from north, 0–180)."""

    strike_deg: float | None
    basis: OrientationBasis
    note: str
    trace_id: Any = None
    trace_distance_km: float | None = None

    @property
    def circular(self) -> bool:
        return self.strike_deg is None


# --------------------------------------------------------------------------------------------------
# Regions
# --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _region_table() -> tuple[dict[str, Any], ...]:
    text = resources.files("yingji.standards").joinpath("quake_regions.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return tuple(data["regions"])


def _inside_ring(lon: float, lat: float, ring: list[list[float]]) -> bool:
    """Point in polygon by ray casting; points on a shared edge count as inside."""
    inside = False
    n = len(ring)
    for i in range(n - 1):
        x1, y1 = ring[i]
        x2, y2 = ring[i + 1]
        # On the edge (collinear and within the segment's box)?
        cross = (x2 - x1) * (lat - y1) - (y2 - y1) * (lon - x1)
        if abs(cross) < 1e-12 and min(x1, x2) <= lon <= max(x1, x2) and min(y1, y2) <= lat <= max(y1, y2):
            return True
        if (y1 > lat) != (y2 > lat):
            x_at = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < x_at:
                inside = not inside
    return inside


def region_keys() -> list[str]:
    return [r["key"] for r in _region_table()]


def choose_region(lon: float, lat: float, override: str | None = None) -> str:
    """The GB 18306-2015 attenuation region containing the epicentre, or ``override`` when given
    (any key of :data:`yingji.quake.intensity.ELLIPTICAL_COEFFICIENTS`)."""
    if override is not None:
        from yingji.quake.intensity import ELLIPTICAL_COEFFICIENTS

        if override not in ELLIPTICAL_COEFFICIENTS:
            raise InvalidInput(f"region {override!r} is not one of: {', '.join(ELLIPTICAL_COEFFICIENTS)}")
        return override
    for region in _region_table():
        if _inside_ring(lon, lat, region["ring"]):
            return str(region["key"])
    raise InvalidInput(
        f"epicentre lon={lon}, lat={lat} is outside every attenuation region "
        f"({', '.join(region_keys())}); give region explicitly to override"
    )


# --------------------------------------------------------------------------------------------------
# Fault traces
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultTraces:
    """Mapped fault traces as straight segments (lon/lat degrees) with the id of the trace each
    belongs to."""

    lon1: NDArray[np.float64]
    lat1: NDArray[np.float64]
    lon2: NDArray[np.float64]
    lat2: NDArray[np.float64]
    trace_ids: tuple[Any, ...]
    segment_trace: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.trace_ids)


def _lines_of(geometry: dict[str, Any]) -> list[list[list[float]]]:
    kind = geometry.get("type")
    if kind == "LineString":
        return [geometry["coordinates"]]
    if kind == "MultiLineString":
        return list(geometry["coordinates"])
    return []


def load_fault_traces(path: str | Path) -> FaultTraces:
    """Read fault traces from a GeoJSON FeatureCollection of (Multi)LineStrings in lon/lat."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        features = data["features"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"faults file {path} is not a readable GeoJSON FeatureCollection: {exc}") from None
    starts: list[NDArray[np.float64]] = []
    ends: list[NDArray[np.float64]] = []
    owner: list[NDArray[np.int64]] = []
    ids: list[Any] = []
    try:
        for index, feature in enumerate(features):
            props = feature.get("properties") or {}
            ids.append(props.get("trace", feature.get("id", index)))
            for line in _lines_of(feature.get("geometry") or {}):
                points = np.asarray([point[:2] for point in line], dtype=np.float64)
                if len(points) < 2:
                    continue
                starts.append(points[:-1])
                ends.append(points[1:])
                owner.append(np.full(len(points) - 1, len(ids) - 1, dtype=np.int64))
    except (AttributeError, TypeError, ValueError) as exc:
        raise InvalidInput(f"faults file {path} has a malformed feature: {exc}") from None
    if not starts:
        raise InvalidInput(f"faults file {path} holds no line strings")
    first = np.concatenate(starts)
    last = np.concatenate(ends)
    return FaultTraces(first[:, 0], first[:, 1], last[:, 0], last[:, 1], tuple(ids), np.concatenate(owner))


@lru_cache(maxsize=1)
def packaged_traces() -> FaultTraces:
    """The GEM GAF-DB traces shipped in ``yingji/quake/data`` (CC BY-SA 4.0), read once per process."""
    from yingji.quake import data

    return load_fault_traces(data.fault_traces())


def nearest_trace(lon: float, lat: float, traces: FaultTraces) -> tuple[float, float, int]:
    """(distance km, strike of the nearest segment in degrees 0–180, index of that segment).

    Segments are measured in a local plane tangent at the epicentre (x east, y north, km), good to a
    fraction of a percent over the tens of kilometres that matter here.
    """
    kx = KM_PER_DEGREE * math.cos(math.radians(lat))
    ky = KM_PER_DEGREE
    x1 = (traces.lon1 - lon) * kx
    y1 = (traces.lat1 - lat) * ky
    x2 = (traces.lon2 - lon) * kx
    y2 = (traces.lat2 - lat) * ky
    dx = x2 - x1
    dy = y2 - y1
    length_sq = dx * dx + dy * dy
    safe = np.where(length_sq > 0, length_sq, 1.0)
    t = np.clip(-(x1 * dx + y1 * dy) / safe, 0.0, 1.0)
    px = x1 + t * dx
    py = y1 + t * dy
    dist = np.hypot(px, py)
    best = int(np.argmin(dist))
    strike = math.degrees(math.atan2(dx[best], dy[best])) % 180.0
    return float(dist[best]), strike, best


def orient(
    epicentre: Epicentre,
    *,
    strike_deg: float | None = None,
    traces: FaultTraces | None = None,
    max_trace_distance_km: float = DEFAULT_MAX_TRACE_DISTANCE_KM,
) -> Orientation:
    """Decide the long-axis direction: the given strike, else the nearest trace within
    ``max_trace_distance_km``, else circular."""
    if strike_deg is not None:
        if not (math.isfinite(strike_deg) and -360.0 <= strike_deg <= 360.0):
            raise InvalidInput(f"strike {strike_deg} must be an angle in degrees")
        return Orientation(strike_deg % 180.0, "given", "long axis along the given fault strike")
    if traces is not None and len(traces):
        distance, strike, segment = nearest_trace(epicentre.lon, epicentre.lat, traces)
        trace_id = traces.trace_ids[int(traces.segment_trace[segment])]
        if distance <= max_trace_distance_km:
            return Orientation(
                strike,
                "fault_trace",
                f"long axis along the nearest mapped fault trace ({trace_id}, {distance:.1f} km away)",
                trace_id,
                distance,
            )
        return Orientation(
            None,
            "circular",
            f"circular isoseismals: the nearest mapped fault trace is {distance:.0f} km away "
            f"(> {max_trace_distance_km:.0f} km) and no strike was given",
            trace_id,
            distance,
        )
    return Orientation(None, "circular", "circular isoseismals: no strike given and no fault file loaded")
