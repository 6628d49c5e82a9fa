"""Candidate arcs from depots to places: the nearest depots by the fallback model, areas cut off, and air
transport (helicopters, air lifts) (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack

import numpy as np

from yingji.errors import InvalidInput
from yingji.relief.travel.geometry import (
    BoolArray,
    FallbackSpeed,
    FloatArray,
    IntArray,
    Sites,
    _norm,
    great_circle_km,
    nearest,
)

# --- candidate arcs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateArcs:
    """The depot→place routes a plan may use, sorted by place then by hours.

    ``by_air`` marks helicopter routes (only for places no road route reaches).
    """

    depot: IntArray
    place: IntArray
    hours: FloatArray
    by_air: BoolArray

    @classmethod
    def build(cls, depot: Any, place: Any, hours: Any, by_air: Any = None) -> CandidateArcs:
        d = np.asarray(depot, dtype=np.int64).ravel()
        p = np.asarray(place, dtype=np.int64).ravel()
        h = np.asarray(hours, dtype=np.float64).ravel()
        a = np.zeros(d.size, dtype=np.bool_) if by_air is None else np.asarray(by_air, dtype=np.bool_).ravel()
        keep = np.isfinite(h)
        d, p, h, a = d[keep], p[keep], h[keep], a[keep]
        order = np.lexsort((h, p))
        return cls(d[order], p[order], h[order], a[order])

    @classmethod
    def empty(cls) -> CandidateArcs:
        return cls.build([], [], [])

    def __len__(self) -> int:
        return int(self.depot.size)

    def concat(self, other: CandidateArcs) -> CandidateArcs:
        return CandidateArcs.build(
            np.concatenate([self.depot, other.depot]),
            np.concatenate([self.place, other.place]),
            np.concatenate([self.hours, other.hours]),
            np.concatenate([self.by_air, other.by_air]),
        )

    def reached(self, n_places: int) -> BoolArray:
        """Which places have at least one route."""
        out = np.zeros(n_places, dtype=np.bool_)
        out[self.place] = True
        return out

    def offsets(self, n_places: int) -> IntArray:
        """CSR offsets: the arcs of place p are ``offsets[p]:offsets[p+1]`` (nearest first)."""
        counts = np.bincount(self.place, minlength=n_places)
        return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


@dataclass(frozen=True)
class CutAreas:
    """Whole areas cut off (polygons, WGS 84): no road route crosses their boundary."""

    polygons: tuple[Any, ...] = ()  # shapely Polygon / MultiPolygon

    @classmethod
    def from_geojson(cls, obj: Mapping[str, Any]) -> CutAreas:
        import shapely

        polys = []
        for i, feature in enumerate(_features(obj, "cut-area file")):
            geom = feature.get("geometry") or {}
            if geom.get("type") not in ("Polygon", "MultiPolygon"):
                raise InvalidInput(f"cut-area feature {i}: geometry must be a Polygon or MultiPolygon")
            try:
                poly = shapely.geometry.shape(geom)
            except Exception as exc:  # shapely raises several types for malformed rings
                raise InvalidInput(f"cut-area feature {i}: broken polygon ({exc})") from exc
            if poly.is_empty or not poly.is_valid:
                raise InvalidInput(f"cut-area feature {i}: invalid polygon ({shapely.is_valid_reason(poly)})")
            polys.append(poly)
        return cls(tuple(polys))

    def labels(self, lon: FloatArray, lat: FloatArray) -> IntArray:
        """0 outside every area, i + 1 inside area i (the first area that contains the point)."""
        import shapely

        out = np.zeros(np.size(lon), dtype=np.int64)
        for i, poly in enumerate(self.polygons):
            inside = shapely.contains_xy(poly, lon, lat) & (out == 0)
            out[inside] = i + 1
        return out


class RouteOptions(TypedDict, total=False):
    """What both road models (:func:`fallback_arcs`, ``roads.road_arcs``) take besides depots and places.

    ``speed``: the fallback model's speeds (default :class:`FallbackSpeed`); ``k``: keep the ``k`` nearest or
    fastest depots per place (``None``: all pairs); ``road_cut_off[p]`` marks places no road reaches (reported
    from the field); with ``cut_areas`` a route exists only between a depot and a place on the same side of
    every area boundary."""

    speed: FallbackSpeed | None
    k: int | None
    road_cut_off: BoolArray | None
    cut_areas: CutAreas | None


def fallback_arcs(depots: Sites, places: Sites, **options: Unpack[RouteOptions]) -> CandidateArcs:
    """Road routes by the fallback model: all pairs (``k=None``) or the ``k`` nearest depots per place."""
    speed = options.get("speed") or FallbackSpeed()
    k = options.get("k")
    road_cut_off = options.get("road_cut_off")
    areas = options.get("cut_areas") or CutAreas()
    dep_label = areas.labels(depots.lon, depots.lat)
    pl_label = areas.labels(places.lon, places.lat)
    open_place = np.ones(len(places), dtype=np.bool_) if road_cut_off is None else ~road_cut_off
    parts: list[tuple[IntArray, IntArray, FloatArray]] = []
    for label in np.unique(pl_label[open_place]):
        dep_idx = np.flatnonzero(dep_label == label)
        pl_idx = np.flatnonzero((pl_label == label) & open_place)
        if dep_idx.size == 0 or pl_idx.size == 0:
            continue
        if k is None or k >= dep_idx.size:
            km = great_circle_km(
                depots.lon[dep_idx, None], depots.lat[dep_idx, None], places.lon[pl_idx], places.lat[pl_idx]
            )
            d = np.broadcast_to(dep_idx[:, None], km.shape)
            p = np.broadcast_to(pl_idx[None, :], km.shape)
        else:
            local, km = nearest(depots.lon[dep_idx], depots.lat[dep_idx], places.lon[pl_idx], places.lat[pl_idx], k)
            d = dep_idx[local]
            p = np.broadcast_to(pl_idx[:, None], km.shape)
        parts.append((d.ravel(), p.ravel(), speed.hours(km).ravel()))
    if not parts:
        return CandidateArcs.empty()
    return CandidateArcs.build(
        np.concatenate([x[0] for x in parts]),
        np.concatenate([x[1] for x in parts]),
        np.concatenate([x[2] for x in parts]),
    )


# --- air transport --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Helicopter:
    """A helicopter at its base: it flies base → depot (loads) → landing site."""

    id: str
    lon: float
    lat: float
    speed_kmh: float = field(default_factory=lambda: _norm("air_transport", "helicopter_speed_kmh"))
    range_km: float = field(default_factory=lambda: _norm("air_transport", "helicopter_range_km"))


@dataclass(frozen=True)
class AirLift:
    """Helicopters and landing sites; a landing site serves places within ``landing_radius_km``."""

    helicopters: tuple[Helicopter, ...] = ()
    landing_sites: Sites | None = None
    landing_radius_km: float = field(default_factory=lambda: _norm("air_transport", "landing_radius_km"))
    handling_hours: float = field(default_factory=lambda: _norm("air_transport", "handling_hours"))

    @property
    def configured(self) -> bool:
        return bool(self.helicopters) and self.landing_sites is not None and len(self.landing_sites) > 0


def air_arcs(
    depots: Sites,
    places: Sites,
    needs_air: BoolArray,
    airlift: AirLift,
    *,
    speed: FallbackSpeed | None = None,
    k: int | None = None,
) -> CandidateArcs:
    """Helicopter routes to the places in ``needs_air`` that have a landing site within reach.

    Hours = flight base → depot → landing site (the fastest helicopter whose range covers the
    legs) + handling + the ground leg from the site to the place at the fallback speed.
    """
    if not airlift.configured or not needs_air.any():
        return CandidateArcs.empty()
    assert airlift.landing_sites is not None
    speed = speed or FallbackSpeed()
    sites = airlift.landing_sites
    pl = np.flatnonzero(needs_air)
    site_idx, site_km = nearest(sites.lon, sites.lat, places.lon[pl], places.lat[pl], 1)
    served = site_km[:, 0] <= airlift.landing_radius_km
    pl, s, last_km = pl[served], site_idx[served, 0], site_km[served, 0]
    if pl.size == 0:
        return CandidateArcs.empty()
    dep_range = np.arange(len(depots)) if k is None else None
    heli_lon = np.array([h.lon for h in airlift.helicopters])
    heli_lat = np.array([h.lat for h in airlift.helicopters])
    heli_speed = np.array([h.speed_kmh for h in airlift.helicopters])
    heli_range = np.array([h.range_km for h in airlift.helicopters])
    # base → depot legs (helicopters × depots)
    base_km = great_circle_km(heli_lon[:, None], heli_lat[:, None], depots.lon[None, :], depots.lat[None, :])
    if dep_range is None:
        assert k is not None
        cand, _ = nearest(depots.lon, depots.lat, sites.lon[s], sites.lat[s], k)
    else:
        cand = np.broadcast_to(dep_range[None, :], (pl.size, dep_range.size))
    # depot → site legs (places × candidates)
    leg_km = great_circle_km(depots.lon[cand], depots.lat[cand], sites.lon[s, None], sites.lat[s, None])
    total_km = base_km[:, cand] + leg_km[None, :, :]  # helicopters × places × candidates
    flight_h = np.where(total_km <= heli_range[:, None, None], total_km / heli_speed[:, None, None], np.inf).min(axis=0)
    hours = flight_h + airlift.handling_hours + speed.hours(last_km)[:, None]
    return CandidateArcs.build(cand, np.broadcast_to(pl[:, None], cand.shape), hours, np.ones(cand.shape, bool))


def with_air(
    road: CandidateArcs,
    depots: Sites,
    places: Sites,
    airlift: AirLift | None,
    *,
    speed: FallbackSpeed | None = None,
    k: int | None = None,
) -> CandidateArcs:
    """Road routes plus air routes for every place no road route reaches."""
    if airlift is None or not airlift.configured:
        return road
    cut_off = ~road.reached(len(places))
    return road.concat(air_arcs(depots, places, cut_off, airlift, speed=speed, k=k))


def _features(obj: Mapping[str, Any], what: str) -> list[Mapping[str, Any]]:
    if not isinstance(obj, Mapping) or obj.get("type") != "FeatureCollection":
        raise InvalidInput(f"{what}: expected a GeoJSON FeatureCollection")
    features = obj.get("features")
    if not isinstance(features, list):
        raise InvalidInput(f"{what}: 'features' must be a list")
    for i, f in enumerate(features):
        if not isinstance(f, Mapping) or f.get("type") != "Feature":
            raise InvalidInput(f"{what}: feature {i} is not a GeoJSON Feature")
    return features
