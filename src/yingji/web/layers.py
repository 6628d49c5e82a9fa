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
    """A top-bar link, shown to users holding ``permission``."""

    id: str
    path: str
    label_key: str
    permission: str


# The top bar's links in order: set by ``yingji.app`` from its one list (``app.NAV``), whatever was imported
# before it.
NAV: list[NavItem] = []


def set_nav(items: tuple[NavItem, ...]) -> None:
    """Make the top bar exactly ``items``, in their order."""
    NAV[:] = items
