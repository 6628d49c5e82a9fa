"""How far positions and areas lie outside a boundary, in metres (pure: shapely and numpy only).

Distances are measured in a local equirectangular frame centred on the point (x scaled by cos latitude):
within a few hundred kilometres of the point the error is well under 1 %, far more than enough to judge a
tolerance of kilometres; farther away the point is refused anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

M_PER_DEG_LAT = 110_574.0  # WGS 84, mean over latitudes 0–60° (own arithmetic; P)
M_PER_DEG_LON_EQUATOR = 111_320.0


def distance_outside_m(boundary: BaseGeometry, lon: float, lat: float) -> float:
    """0 when the point lies in (or on) the boundary polygon, else its distance to it in metres."""
    return float(distances_outside_m(boundary, [lon], [lat])[0])


def distances_outside_m(boundary: BaseGeometry, lons: Sequence[float], lats: Sequence[float]) -> np.ndarray[Any, Any]:
    """For each point, 0 inside the boundary, else its distance to the boundary in metres."""
    x, y = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    out = np.zeros(len(x))
    inside = shapely.intersects_xy(boundary, x, y)  # on the boundary counts as inside
    for i in np.flatnonzero(~inside):
        scale = np.cos(np.radians(y[i])) * M_PER_DEG_LON_EQUATOR

        def to_metres(coords: np.ndarray[Any, Any], x0: float = x[i], y0: float = y[i], s: float = scale) -> Any:
            return np.column_stack(((coords[:, 0] - x0) * s, (coords[:, 1] - y0) * M_PER_DEG_LAT))

        out[i] = shapely.distance(shapely.transform(boundary, to_metres), shapely.Point(0.0, 0.0))
    return out


def ring_problem(ring: Sequence[Sequence[float]]) -> str | None:
    """Why a GeoJSON linear ring is not one (RFC 7946 §3.1.6: four or more positions, the first and the
    last equal), or None."""
    if len(ring) < 4:
        return "a ring needs at least four positions"
    if any(len(p) < 2 for p in ring):
        return "a position needs a longitude and a latitude"
    if list(ring[0][:2]) != list(ring[-1][:2]):
        return "the ring is not closed (its first and last positions differ)"
    return None


def polygon_rings(geometry: dict[str, Any]) -> list[Sequence[Sequence[float]]]:
    """The rings of a GeoJSON Polygon or MultiPolygon (empty for anything else)."""
    coords = geometry.get("coordinates") or []
    if geometry.get("type") == "Polygon":
        return list(coords)
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in coords for ring in polygon]
    return []
