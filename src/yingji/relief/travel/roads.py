"""Road networks from GeoJSON lines: the graph, shortest travel times and candidate arcs over it (pure)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

import numpy as np

from yingji.errors import InvalidInput
from yingji.relief.travel.arcs import CandidateArcs, CutAreas, RouteOptions, _features
from yingji.relief.travel.geometry import (
    BoolArray,
    FallbackSpeed,
    FloatArray,
    IntArray,
    Sites,
    great_circle_km,
    nearest,
    road_speeds,
)

# --- road network ---------------------------------------------------------------------------------


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


# A road feature: its id, speed (km/h) and lines, each a list of [lon, lat] positions.
RoadLines = tuple[str | None, float, Sequence[Sequence[Sequence[float]]]]


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
        parsed: list[RoadLines] = []
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
            parsed.append((fid, speed, lines))
        if not any(pts for _, _, lines in parsed for pts in lines):
            raise InvalidInput("road file: no road lines")
        return cls.from_lines(parsed)

    @classmethod
    def from_lines(cls, features: Sequence[RoadLines]) -> RoadNetwork:
        """Build from road features, each (id, speed km/h, its lines as [(lon, lat), …])."""
        lons: list[float] = []
        lats: list[float] = []
        vertex_line: list[int] = []
        line_feature: list[int] = []
        for f, (_, _, lines) in enumerate(features):
            for pts in lines:
                line_feature.append(f)
                for lon, lat in pts:
                    lons.append(float(lon))
                    lats.append(float(lat))
                    vertex_line.append(len(line_feature) - 1)
        return cls.from_vertices(
            np.array(lons, np.float64), np.array(lats, np.float64), np.array(vertex_line, np.int64),
            np.array(line_feature, np.int64), np.array([float(s) for _, s, _ in features], np.float64),
            tuple(fid for fid, _, _ in features),
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
    origins: Sites,
    places: Sites,
    network: RoadNetwork,
    *,
    speed: FallbackSpeed | None = None,
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
    depots: Sites, places: Sites, network: RoadNetwork, *, limit_hours: float = np.inf, **options: Unpack[RouteOptions]
) -> CandidateArcs:
    """Road routes over ``network`` (already cut with :meth:`RoadNetwork.without`).

    Hours = snap leg (depot → its node, fallback speed) + shortest path + snap leg (node → place).
    With ``k`` only the k fastest depots per place are kept; routes longer than ``limit_hours`` and
    routes across a cut-off area's boundary are dropped.
    """
    k, road_cut_off, cut_areas = options.get("k"), options.get("road_cut_off"), options.get("cut_areas")
    hours = road_hours(depots, places, network, speed=options.get("speed"), limit_hours=limit_hours)
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
