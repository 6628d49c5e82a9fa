"""The map's switchable layers. Each domain registers its layers here; the map page offers those whose
permission the user holds. A layer's URL answers a GeoJSON FeatureCollection scoped to the caller;
point features may carry ``properties.colour``, ``properties.label`` and ``properties.href`` (its card)."""

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
