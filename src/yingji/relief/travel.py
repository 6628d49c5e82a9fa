"""Travel times from relief depots to demand points (路径时间) — a pure module.

Two models, one result type (:class:`CandidateArcs`, the depot→place routes a plan may use):

* **Fallback**: great-circle distance × detour factor, driven at a terrain speed (defaults 1.4 and
  40 km/h, ``standards/relief_norms.yaml``). Vectorised with numpy: a full depot × place matrix for
  small instances, or the *k* nearest depots of each place through a KD-tree on 3-D unit vectors
  (chord length is monotone in great-circle distance, so the k nearest by chord are the k nearest
  by fallback time).
* **Road network**: GeoJSON lines, speeds by road class (``standards/road_speeds.yaml``), shortest
  paths by Dijkstra from every depot's node (``scipy.sparse.csgraph``); depots and places are snapped
  to their nearest node and the snap leg is driven at the fallback speed.

Cuts (三断 — roads cut) change the answer: closed road features (by GeoJSON ``id`` or
``properties.id``) lose their edges; a cut-off area (polygon) separates what is inside from what is
outside, so a route exists only between a depot and a place on the same side. Places reachable by no
road route get air routes where helicopters and a landing site near them are configured; otherwise
they get no route at all and a plan reports their need as unmet.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
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


def fallback_arcs(
    depots: Sites,
    places: Sites,
    *,
    speed: FallbackSpeed | None = None,
    k: int | None = None,
    road_cut_off: BoolArray | None = None,
    cut_areas: CutAreas | None = None,
) -> CandidateArcs:
    """Road routes by the fallback model: all pairs (``k=None``) or the ``k`` nearest depots per place.

    ``road_cut_off[p]`` marks places no road reaches (reported from the field); with ``cut_areas``
    a route exists only between a depot and a place on the same side of every area boundary.
    """
    speed = speed or FallbackSpeed()
    areas = cut_areas or CutAreas()
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


# --- road network ---------------------------------------------------------------------------------


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


def feature_id(feature: Mapping[str, Any]) -> str | None:
    """A road feature's id: GeoJSON ``id``, else ``properties.id``."""
    fid = feature.get("id")
    if fid is None:
        fid = (feature.get("properties") or {}).get("id")
    return None if fid is None else str(fid)


def _road_speed(props: Mapping[str, Any], speeds: Mapping[str, float]) -> float:
    explicit = props.get("speed_kmh")
    if explicit is not None:
        value = float(explicit)
        if not (value > 0 and math.isfinite(value)):
            raise ValueError(f"speed_kmh must be a positive number, got {explicit!r}")
        return value
    for key in ("highway", "fclass", "class", "road_class"):
        cls = props.get(key)
        if cls is not None and str(cls) in speeds:
            return speeds[str(cls)]
    return speeds[""]


def _line_positions(geom: Mapping[str, Any]) -> list[list[tuple[float, float]]]:
    """The lines of a LineString / MultiLineString as lists of (lon, lat); ValueError when broken."""
    kind = geom.get("type")
    coords = geom.get("coordinates")
    if kind == "LineString":
        lines = [coords]
    elif kind == "MultiLineString":
        if not isinstance(coords, list) or not coords:
            raise ValueError("MultiLineString has no lines")
        lines = coords
    else:
        raise ValueError(f"geometry type {kind!r} is not a LineString or MultiLineString")
    out = []
    for j, line in enumerate(lines):
        if not isinstance(line, list):
            raise ValueError(f"line {j}: coordinates must be a list of positions")
        pts: list[tuple[float, float]] = []
        for pos in line:
            if not isinstance(pos, list | tuple) or len(pos) < 2:
                raise ValueError(f"line {j}: position {pos!r} is not [lon, lat]")
            try:
                lon, lat = float(pos[0]), float(pos[1])
            except (TypeError, ValueError):
                raise ValueError(f"line {j}: position {pos!r} is not numeric") from None
            if not (math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):
                raise ValueError(f"line {j}: position {pos!r} is outside WGS 84 lon/lat")
            pts.append((lon, lat))
        if len(set(pts)) < 2:
            raise ValueError(f"line {j}: needs at least 2 distinct positions")
        out.append(pts)
    return out


@dataclass(frozen=True)
class RoadNetwork:
    """An undirected road graph: nodes at line vertices, one edge per segment, tagged by feature."""

    node_lon: FloatArray
    node_lat: FloatArray
    edge_u: IntArray
    edge_v: IntArray
    edge_km: FloatArray
    edge_hours: FloatArray
    edge_feature: IntArray  # index into feature_ids
    feature_ids: tuple[str | None, ...]

    @property
    def n_nodes(self) -> int:
        return int(self.node_lon.size)

    @property
    def n_edges(self) -> int:
        return int(self.edge_u.size)

    @classmethod
    def from_geojson(cls, obj: Mapping[str, Any], speeds: Mapping[str, float] | None = None) -> RoadNetwork:
        """Parse road lines; a broken feature raises :class:`InvalidInput` naming it and the reason."""
        speeds = dict(speeds) if speeds is not None else road_speeds()
        speeds.setdefault("", road_speeds()[""])
        feats = _features(obj, "road file")
        lons: list[float] = []
        lats: list[float] = []
        vertex_line: list[int] = []
        line_feature: list[int] = []
        feature_speed: list[float] = []
        ids: list[str | None] = []
        for i, f in enumerate(feats):
            fid = feature_id(f)
            try:
                geom = f.get("geometry")
                if not isinstance(geom, Mapping):
                    raise ValueError("no geometry")
                lines = _line_positions(geom)
                props = f.get("properties") or {}
                if not isinstance(props, Mapping):
                    raise ValueError("properties must be an object")
                speed = _road_speed(props, speeds)
            except (ValueError, TypeError) as exc:
                name = f"road feature {i}" + (f" (id {fid!r})" if fid is not None else "")
                raise InvalidInput(f"{name}: {exc}") from None
            ids.append(fid)
            feature_speed.append(speed)
            for pts in lines:
                line_no = len(line_feature)
                line_feature.append(i)
                for lon, lat in pts:
                    lons.append(lon)
                    lats.append(lat)
                    vertex_line.append(line_no)
        if not lons:
            raise InvalidInput("road file: no road lines")
        return cls.from_vertices(
            np.array(lons), np.array(lats), np.array(vertex_line), np.array(line_feature),
            np.array(feature_speed), tuple(ids),
        )  # fmt: skip

    @classmethod
    def from_vertices(
        cls,
        lon: FloatArray,
        lat: FloatArray,
        vertex_line: IntArray,
        line_feature: IntArray,
        feature_speed_kmh: FloatArray,
        feature_ids: tuple[str | None, ...],
    ) -> RoadNetwork:
        """Build from flat vertex arrays (vertices of one line are consecutive). Vertices closer than
        about 1 cm (7 decimal places) are one node, which is how lines connect."""
        key = np.round(np.column_stack([lon, lat]), 7)
        nodes_any, inverse = np.unique(key, axis=0, return_inverse=True)
        nodes = np.asarray(nodes_any, dtype=np.float64)
        inverse = inverse.ravel()
        same_line = vertex_line[1:] == vertex_line[:-1]
        u, v = inverse[:-1][same_line], inverse[1:][same_line]
        feat = line_feature[vertex_line[:-1][same_line]]
        keep = u != v  # repeated vertices make no edge
        u, v, feat = u[keep], v[keep], feat[keep]
        km = great_circle_km(nodes[u, 0], nodes[u, 1], nodes[v, 0], nodes[v, 1])
        hours = km / feature_speed_kmh[feat]
        return cls(nodes[:, 0].copy(), nodes[:, 1].copy(), u.astype(np.int64), v.astype(np.int64), km,
                   hours, feat.astype(np.int64), feature_ids)  # fmt: skip

    def without(self, cut_ids: Iterable[str] = (), cut_areas: CutAreas | None = None) -> RoadNetwork:
        """The network with cut road features closed and no edge crossing a cut-off area's boundary.

        An unknown id in ``cut_ids`` is an error (a typo must not leave a road open)."""
        cut = {str(c) for c in cut_ids}
        known = {f for f in self.feature_ids if f is not None}
        unknown = sorted(cut - known)
        if unknown:
            raise InvalidInput(f"cut: no road feature with id {', '.join(map(repr, unknown))}")
        closed = np.array([f in cut for f in self.feature_ids], dtype=np.bool_)
        open_edge = ~closed[self.edge_feature] if closed.size else np.ones(self.n_edges, bool)
        if cut_areas is not None and cut_areas.polygons:
            open_edge &= ~self._crosses(cut_areas)
        return RoadNetwork(
            self.node_lon, self.node_lat, self.edge_u[open_edge], self.edge_v[open_edge],
            self.edge_km[open_edge], self.edge_hours[open_edge], self.edge_feature[open_edge], self.feature_ids,
        )  # fmt: skip

    def _crosses(self, areas: CutAreas) -> BoolArray:
        import shapely

        label = areas.labels(self.node_lon, self.node_lat)
        crossing = label[self.edge_u] != label[self.edge_v]
        segs = shapely.linestrings(
            np.stack(
                [
                    np.column_stack([self.node_lon[self.edge_u], self.node_lat[self.edge_u]]),
                    np.column_stack([self.node_lon[self.edge_v], self.node_lat[self.edge_v]]),
                ],
                axis=1,
            )
        )
        for poly in areas.polygons:
            crossing |= shapely.intersects(segs, poly.boundary)
        return np.asarray(crossing, dtype=np.bool_)

    def snap(self, lon: FloatArray, lat: FloatArray) -> tuple[IntArray, FloatArray]:
        """Nearest node of each point and the great-circle km to it."""
        idx, km = nearest(self.node_lon, self.node_lat, np.asarray(lon, float), np.asarray(lat, float), 1)
        return idx[:, 0], km[:, 0]

    def graph(self) -> Any:
        """Symmetric CSR matrix of edge hours (parallel edges: the fastest one)."""
        from scipy.sparse import coo_matrix

        n = self.n_nodes
        lo, hi = np.minimum(self.edge_u, self.edge_v), np.maximum(self.edge_u, self.edge_v)
        pair = lo * n + hi
        order = np.lexsort((self.edge_hours, pair))
        pair_sorted = pair[order]
        first = np.concatenate([[True], pair_sorted[1:] != pair_sorted[:-1]]) if pair.size else pair_sorted
        best = order[first]
        # csgraph treats an explicit 0 as "no edge": a floor of 1e-9 h keeps coincident hops.
        w = np.maximum(self.edge_hours[best], 1e-9)
        return coo_matrix((w, (lo[best], hi[best])), shape=(n, n)).tocsr()

    def hours_between(self, from_nodes: IntArray, limit: float = np.inf) -> FloatArray:
        """Shortest hours from each node in ``from_nodes`` to every node (rows follow ``from_nodes``)."""
        from scipy.sparse.csgraph import dijkstra

        uniq, inv = np.unique(from_nodes, return_inverse=True)
        dist = dijkstra(self.graph(), directed=False, indices=uniq, limit=limit)
        return np.asarray(dist, dtype=np.float64).reshape(uniq.size, self.n_nodes)[inv.ravel()]

    def route_features(self, from_node: int, to_node: int) -> list[str | None] | None:
        """Feature ids along the fastest route between two nodes (None when unreachable)."""
        from scipy.sparse.csgraph import dijkstra

        g = self.graph()
        dist, pred = dijkstra(g, directed=False, indices=from_node, return_predecessors=True)
        if not np.isfinite(dist[to_node]):
            return None
        lookup: dict[tuple[int, int], tuple[float, int]] = {}
        for u, v, h, f in zip(self.edge_u, self.edge_v, self.edge_hours, self.edge_feature, strict=True):
            key = (int(min(u, v)), int(max(u, v)))
            if key not in lookup or h < lookup[key][0]:
                lookup[key] = (float(h), int(f))
        out: list[str | None] = []
        node = to_node
        while node != from_node:
            prev = int(pred[node])
            out.append(self.feature_ids[lookup[(min(prev, node), max(prev, node))][1]])
            node = prev
        return out[::-1]


def road_hours(
    origins: Sites, places: Sites, network: RoadNetwork, *, speed: FallbackSpeed | None = None,
    limit_hours: float = np.inf,
) -> FloatArray:
    """Hours by road, origins × places (inf where no road joins them): snap leg (origin → its node, at the
    fallback speed) + shortest path over ``network`` + snap leg (node → place)."""
    speed = speed or FallbackSpeed()
    on, okm = network.snap(origins.lon, origins.lat)
    pn, pkm = network.snap(places.lon, places.lat)
    hours: FloatArray = network.hours_between(on, limit=limit_hours)[:, pn]
    return hours + speed.hours(okm)[:, None] + speed.hours(pkm)[None, :]


def road_arcs(
    depots: Sites,
    places: Sites,
    network: RoadNetwork,
    *,
    speed: FallbackSpeed | None = None,
    k: int | None = None,
    road_cut_off: BoolArray | None = None,
    cut_areas: CutAreas | None = None,
    limit_hours: float = np.inf,
) -> CandidateArcs:
    """Road routes over ``network`` (already cut with :meth:`RoadNetwork.without`).

    Hours = snap leg (depot → its node, fallback speed) + shortest path + snap leg (node → place).
    With ``k`` only the k fastest depots per place are kept; routes longer than ``limit_hours`` and
    routes across a cut-off area's boundary are dropped.
    """
    hours = road_hours(depots, places, network, speed=speed, limit_hours=limit_hours)
    if cut_areas is not None and cut_areas.polygons:
        same = cut_areas.labels(depots.lon, depots.lat)[:, None] == cut_areas.labels(places.lon, places.lat)[None, :]
        hours = np.where(same, hours, np.inf)
    if road_cut_off is not None:
        hours[:, road_cut_off] = np.inf
    hours[hours > limit_hours] = np.inf
    n_d = len(depots)
    if k is not None and k < n_d:
        top = np.argpartition(hours, k - 1, axis=0)[:k]  # k × places
        cols = np.broadcast_to(np.arange(len(places))[None, :], top.shape)
        return CandidateArcs.build(top, cols, hours[top, cols])
    rows, cols = np.meshgrid(np.arange(n_d), np.arange(len(places)), indexing="ij")
    return CandidateArcs.build(rows, cols, hours)


# --- pruned candidates with a frontier (for exact pruning) -----------------------------------------


def split_frontier(arcs: CandidateArcs, n_places: int, k: int) -> tuple[CandidateArcs, FloatArray]:
    """Keep the ``k`` fastest routes of each place (``arcs`` must hold at least the k + 1 fastest).

    Returns the kept routes and, per place, the *frontier*: the hours of the fastest route left out
    (inf when none is), a lower bound on the hours of every route not kept.
    """
    offsets = arcs.offsets(n_places)
    rank = np.arange(len(arcs)) - offsets[arcs.place]
    keep = rank < k
    frontier = np.full(n_places, np.inf)
    nxt = rank == k
    frontier[arcs.place[nxt]] = arcs.hours[nxt]
    kept = CandidateArcs(arcs.depot[keep], arcs.place[keep], arcs.hours[keep], arcs.by_air[keep])
    return kept, frontier


@dataclass(frozen=True)
class FallbackRoutes:
    """Fallback routes on demand, for pruned planning that proves its optimum (see
    :func:`yingji.relief.dispatch.plan_min_cost_flow_pruned`)."""

    depots: Sites
    places: Sites
    speed: FallbackSpeed = field(default_factory=FallbackSpeed)
    road_cut_off: BoolArray | None = None
    cut_areas: CutAreas | None = None

    def nearest(self, k: int) -> tuple[CandidateArcs, FloatArray]:
        """The k fastest routes per place and each place's frontier."""
        arcs = fallback_arcs(self.depots, self.places, speed=self.speed, k=k + 1,
                             road_cut_off=self.road_cut_off, cut_areas=self.cut_areas)  # fmt: skip
        return split_frontier(arcs, len(self.places), k)

    def within(self, place_idx: IntArray, max_hours: FloatArray) -> tuple[CandidateArcs, FloatArray]:
        """Every route to ``place_idx[j]`` of at most ``max_hours[j]``; frontier = ``max_hours`` where
        some route is slower, inf where none is."""
        areas = self.cut_areas or CutAreas()
        dep_label = areas.labels(self.depots.lon, self.depots.lat)
        parts: list[tuple[Any, Any, Any]] = []
        frontier = np.full(place_idx.size, np.inf)
        chunk = max(1, 2_000_000 // max(len(self.depots), 1))
        for s in range(0, place_idx.size, chunk):
            idx = place_idx[s : s + chunk]
            lim = max_hours[s : s + chunk]
            hours = self.speed.hours(great_circle_km(
                self.depots.lon[:, None], self.depots.lat[:, None], self.places.lon[idx], self.places.lat[idx]
            ))  # fmt: skip
            label = areas.labels(self.places.lon[idx], self.places.lat[idx])
            hours[dep_label[:, None] != label[None, :]] = np.inf
            if self.road_cut_off is not None:
                hours[:, self.road_cut_off[idx]] = np.inf
            inside = hours <= lim[None, :]
            beyond = np.isfinite(hours) & ~inside
            frontier[s : s + chunk] = np.where(beyond.any(axis=0), lim, np.inf)
            d, j = np.nonzero(inside)
            parts.append((d, idx[j], hours[d, j]))
        if not parts:
            return CandidateArcs.empty(), frontier
        arcs = CandidateArcs.build(*(np.concatenate([p[i] for p in parts]) for i in range(3)))
        return arcs, frontier
