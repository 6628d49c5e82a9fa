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

``geometry`` holds the norms, sites and the straight-line model; ``arcs`` the candidate depot–place arcs,
cut areas and air transport; ``roads`` road networks; ``frontier`` the pruned candidates for exact
pruning.
"""

from __future__ import annotations

from yingji.relief.travel.arcs import AirLift, CandidateArcs, CutAreas, Helicopter, air_arcs, fallback_arcs, with_air
from yingji.relief.travel.frontier import FallbackRoutes, split_frontier
from yingji.relief.travel.geometry import (
    EARTH_RADIUS_KM,
    BoolArray,
    FallbackSpeed,
    FloatArray,
    IntArray,
    Sites,
    chord_to_km,
    fallback_hours,
    great_circle_km,
    nearest,
    relief_norms,
    road_speeds,
    unit_vectors,
)
from yingji.relief.travel.roads import RoadNetwork, feature_id, road_arcs, road_hours

__all__ = [
    "EARTH_RADIUS_KM",
    "AirLift",
    "BoolArray",
    "CandidateArcs",
    "CutAreas",
    "FallbackRoutes",
    "FallbackSpeed",
    "FloatArray",
    "Helicopter",
    "IntArray",
    "RoadNetwork",
    "Sites",
    "air_arcs",
    "chord_to_km",
    "fallback_arcs",
    "fallback_hours",
    "feature_id",
    "great_circle_km",
    "nearest",
    "relief_norms",
    "road_arcs",
    "road_hours",
    "road_speeds",
    "split_frontier",
    "unit_vectors",
    "with_air",
]
