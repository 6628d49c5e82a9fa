"""The map's switchable layers. Each domain registers its layers here; the map page offers those whose
permission the user holds. A layer's URL answers, scoped to the caller, a GeoJSON FeatureCollection (point
features may carry ``properties.colour``, ``properties.label`` and ``properties.href``: the card shows the
properties) or, for dense point layers, the compact form ``{"points": [[id, lon, lat, style], ...],
"styles": [colour, ...], "card": "/map/layers/<id>/{id}"}``: no text per point, the card's properties read
from ``card`` when a point is clicked, styles ordered most serious first (a cluster takes the colour of its
lowest style)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MapLayer:
    id: str
    label_key: str  # message key in messages.yaml
    url: str
    permission: str
    kind: str = "points"  # "points" (clustered markers) or "areas" (polygons)
    visible: bool = True


# Open incidents the map draws at most (newest first); past it the layer answers ``truncated`` and the page
# says so, rather than leaving the oldest out silently.
INCIDENT_MAP_LIMIT = 20_000

LAYERS: list[MapLayer] = [
    MapLayer("incidents", "layer.incidents", "/map/layers/incidents", "incidents:read"),
]


def register(layer: MapLayer) -> None:
    if all(existing.id != layer.id for existing in LAYERS):
        LAYERS.append(layer)


@dataclass(frozen=True)
class NavItem:
    """A top-bar link; each page module registers its own, shown to users holding ``permission``."""

    id: str
    path: str
    label_key: str
    permission: str


NAV: list[NavItem] = [
    NavItem("map", "/", "nav.map", "divisions:read"),
    NavItem("incidents", "/incidents", "nav.incidents", "incidents:read"),
    NavItem("duty", "/duty", "nav.duty", "incidents:read"),
    NavItem("stats", "/stats", "nav.stats", "incidents:read"),
]


def register_nav(item: NavItem) -> None:
    if all(existing.id != item.id for existing in NAV):
        NAV.append(item)
