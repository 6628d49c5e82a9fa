"""The one-page printable report of an assessment (地震灾害快速评估报告): intensity map, exposure table,
loss ranges as PAGER-style bars, aftershock table, response level, needs.

Pure: the assessment's JSON (``Assessment.to_dict()``), its zones GeoJSON and the county seats to label
go in; one self-contained HTML document comes out (inline CSS and SVG, no external URL), so it can be
mailed, archived or printed offline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from markupsafe import Markup, escape

# Fill colours of the isoseismal bands (light to dark with the degree), as on printed intensity maps.
DEGREE_COLOURS = {
    6: "#fff3b0",
    7: "#ffd166",
    8: "#f8961e",
    9: "#f3722c",
    10: "#d62828",
    11: "#9d0208",
    12: "#6a040f",
}
ROMAN = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ", 5: "Ⅴ", 6: "Ⅵ", 7: "Ⅶ", 8: "Ⅷ", 9: "Ⅸ", 10: "Ⅹ", 11: "Ⅺ", 12: "Ⅻ"}
# PAGER colours the bars of the loss histograms by the alert each range would raise (docs/sources.md §E1.3).
RANGE_ALERT = {
    "0-1": "green",
    "1-10": "yellow",
    "10-100": "yellow",
    "100-1000": "orange",
    "1000-10000": "red",
    "10000-100000": "red",
    "100000+": "red",
}
ALERT_COLOURS = {"green": "#00b050", "yellow": "#ffd700", "orange": "#ff8c00", "red": "#d00000"}
NEED_LABELS = {
    "covered_space": "住所面积 covered space",
    "tents": "帐篷 tents",
    "water": "饮用水 water",
    "food": "食物 food",
    "quilts": "棉被 quilts",
    "cotton_coats": "棉大衣 cotton coats",
    "folding_beds": "折叠床 folding beds",
    "stoves": "取暖炉 stoves",
}
LEVEL_NAMES = {1: "Ⅰ级", 2: "Ⅱ级", 3: "Ⅲ级", 4: "Ⅳ级"}


@dataclass(frozen=True)
class Seat:
    """A place labelled on the map (a county seat)."""

    name: str
    lon: float
    lat: float


@lru_cache(maxsize=1)
def cpca_seats() -> tuple[Seat, ...]:
    """The county seats of cpca's public ``adcodes.csv`` (county centroids), to label the map without a
    database."""
    from yingji.quake.scenarios import counties_from_cpca

    counties = counties_from_cpca()
    return tuple(
        Seat(name, float(lon), float(lat))
        for name, lon, lat in zip(counties.names, counties.lons, counties.lats, strict=True)
    )


@dataclass(frozen=True)
class _Frame:
    """Lon/lat → SVG pixels (equirectangular, x scaled by cos of the mid latitude so shapes keep their form)."""

    west: float
    north: float
    scale: float  # pixels per degree of latitude
    coslat: float
    pad: float

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (
            self.pad + (lon - self.west) * self.coslat * self.scale,
            self.pad + (self.north - lat) * self.scale,
        )


def _bounds(zones: dict[str, Any], centre: tuple[float, float]) -> tuple[float, float, float, float]:
    import shapely
    from shapely.geometry import shape

    geoms = [shape(f["geometry"]) for f in zones.get("features", []) if f.get("geometry")]
    if not geoms:
        lon, lat = centre
        return lon - 0.5, lat - 0.5, lon + 0.5, lat + 0.5
    west, south, east, north = shapely.total_bounds(geoms)
    # A margin of 8 % so the outer band does not touch the frame.
    mx, my = (east - west) * 0.08 + 0.01, (north - south) * 0.08 + 0.01
    return float(west - mx), float(south - my), float(east + mx), float(north + my)


def _frame(bounds: tuple[float, float, float, float], width: float, height: float, pad: float) -> _Frame:
    west, south, east, north = bounds
    coslat = max(math.cos(math.radians((north + south) / 2.0)), 0.05)
    scale = min((width - 2 * pad) / ((east - west) * coslat), (height - 2 * pad) / (north - south))
    return _Frame(west, north, scale, coslat, pad)


def _ring_path(ring: Sequence[Sequence[float]], frame: _Frame) -> str:
    points = [frame.xy(float(p[0]), float(p[1])) for p in ring]
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z"


def _geometry_path(geometry: Any, frame: _Frame) -> str:
    from shapely.geometry import MultiPolygon, Polygon

    polygons = list(geometry.geoms) if isinstance(geometry, MultiPolygon) else [geometry]
    parts: list[str] = []
    for polygon in polygons:
        if not isinstance(polygon, Polygon) or polygon.is_empty:
            continue
        parts.append(_ring_path(list(polygon.exterior.coords), frame))
        parts.extend(_ring_path(list(hole.coords), frame) for hole in polygon.interiors)
    return "".join(parts)


def intensity_map_svg(
    zones: dict[str, Any],
    epicentre: tuple[float, float],
    seats: Sequence[Seat] = (),
    *,
    width: int = 520,
    height: int = 420,
) -> Markup:
    """An SVG map of the isoseismal bands, the epicentre (star) and the county seats inside the frame."""
    from shapely.geometry import shape

    pad = 18.0
    bounds = _bounds(zones, epicentre)
    frame = _frame(bounds, width, height, pad)
    tolerance = 0.6 / frame.scale  # simplify to about half a pixel: the 0.01° staircase is invisible
    out = [
        f'<svg class="intensity-map" viewBox="0 0 {width} {height}" style="width:100%;height:auto" '
        'role="img" aria-label="intensity map">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f4f6f8" stroke="#999"/>',
    ]
    features = sorted(zones.get("features", []), key=lambda f: int(f["properties"]["intensity"]))
    for feature in features:
        degree = int(feature["properties"]["intensity"])
        geometry = shape(feature["geometry"]).simplify(tolerance, preserve_topology=True)
        colour = DEGREE_COLOURS.get(degree, "#6a040f")
        out.append(
            f'<path class="zone" data-intensity="{degree}" d="{_geometry_path(geometry, frame)}" '
            f'fill="{colour}" fill-rule="evenodd" stroke="#7a5c00" stroke-width="0.6"/>'
        )
    west, south, east, north = bounds
    for seat in seats:
        if not (west <= seat.lon <= east and south <= seat.lat <= north):
            continue
        x, y = frame.xy(seat.lon, seat.lat)
        out.append(
            f'<g class="seat"><circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#fff" stroke="#222" stroke-width="1.2"/>'
            f'<text x="{x + 5:.1f}" y="{y - 4:.1f}" font-size="13" fill="#111">{escape(seat.name)}</text></g>'
        )
    ex, ey = frame.xy(*epicentre)
    star = _star(ex, ey, 12.0, 5.0)
    out.append(f'<path class="epicentre" d="{star}" fill="#d00000" stroke="#fff" stroke-width="1"/>')
    out.append(_scale_bar(frame, width, height))
    out.append(
        f'<text x="{pad}" y="{height - 5}" font-size="9" fill="#555">'
        f"{west:.2f}°E–{east:.2f}°E, {south:.2f}°N–{north:.2f}°N</text>"
    )
    out.append("</svg>")
    return Markup("".join(out))


def _star(cx: float, cy: float, outer: float, inner: float) -> str:
    points = []
    for k in range(10):
        radius = outer if k % 2 == 0 else inner
        angle = math.pi / 2 + k * math.pi / 5
        points.append(f"{cx + radius * math.cos(angle):.1f},{cy - radius * math.sin(angle):.1f}")
    return "M" + "L".join(points) + "Z"


def _scale_bar(frame: _Frame, width: int, height: int) -> str:
    km_per_px = 111.195 / frame.scale
    target = km_per_px * width / 5.0
    length_km = next((n for n in (1000, 500, 200, 100, 50, 20, 10, 5, 2, 1) if n <= target), 1)
    length_px = length_km / km_per_px
    x0, y0 = width - frame.pad - length_px, height - 12
    return (
        f'<g class="scale"><rect x="{x0:.1f}" y="{y0 - 4:.1f}" width="{length_px:.1f}" height="4" fill="#222"/>'
        f'<text x="{x0:.1f}" y="{y0 - 7:.1f}" font-size="10" fill="#222">{length_km} km</text></g>'
    )


@lru_cache(maxsize=1)
def _template() -> Any:
    from jinja2 import Environment, select_autoescape

    env = Environment(autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
    text = resources.files("yingji.quake").joinpath("templates/report.html").read_text(encoding="utf-8")
    return env.from_string(text)


def _percent(p: float) -> str:
    if p >= 0.995:
        return ">99%"
    if p < 0.005:
        return "<1%" if p > 0 else "0%"
    return f"{p * 100:.0f}%"


def _bars(ranges: dict[str, float]) -> list[dict[str, Any]]:
    return [
        {
            "range": key,
            "probability": p,
            "percent": _percent(p),
            "height": max(round(p * 100, 1), 0.0),
            "colour": ALERT_COLOURS[RANGE_ALERT.get(key, "red")],
        }
        for key, p in ranges.items()
    ]


def _aftershock_rows(rows: Sequence[dict[str, float]]) -> tuple[list[float], list[dict[str, Any]]]:
    days = sorted({float(r["days"]) for r in rows})
    by_magnitude: dict[float, dict[float, float]] = {}
    for r in rows:
        by_magnitude.setdefault(float(r["min_magnitude"]), {})[float(r["days"])] = float(r["probability"])
    table = [
        {"magnitude": m, "cells": [_percent(by_magnitude[m].get(d, 0.0)) for d in days]} for m in sorted(by_magnitude)
    ]
    return days, table


def render_report(
    data: dict[str, Any],
    zones: dict[str, Any],
    seats: Sequence[Seat] = (),
    *,
    title: str | None = None,
    generated_at: str | None = None,
    divisions: Sequence[dict[str, Any]] = (),
) -> str:
    """The report as one HTML document. ``data`` is ``Assessment.to_dict()`` (or the stored results);
    ``divisions`` optionally lists exposure by division (``{"name", "code", "people_vi_plus", ...}``)."""
    source = data["source"]
    days, aftershocks = _aftershock_rows(data.get("aftershocks", []))
    level = data.get("response_level")
    fatalities = data["fatalities"]
    economic = data["economic_loss_usd"]
    return str(
        _template().render(
            title=title or "地震灾害快速评估报告",
            data=data,
            source=source,
            generated_at=generated_at or source.get("assessed_at", ""),
            map_svg=intensity_map_svg(zones, (float(source["lon"]), float(source["lat"])), seats),
            zones=[{**z, "roman": ROMAN.get(int(z["intensity"]), str(z["intensity"]))} for z in data["zones"]],
            degree_colours=DEGREE_COLOURS,
            fatality_bars=_bars(fatalities["ranges"]),
            economic_bars=_bars(economic.get("ranges_musd", {})),
            fatalities=fatalities,
            economic=economic,
            alert_colours=ALERT_COLOURS,
            days=days,
            aftershocks=aftershocks,
            level=level,
            level_name=LEVEL_NAMES.get(level) if isinstance(level, int) else None,
            response=data.get("response", {}),
            needs=data.get("needs", {}),
            need_labels=NEED_LABELS,
            geohazards=list(data.get("geohazards", []))[:10],
            divisions=list(divisions)[:15],
            notes=data.get("notes", []),
            credits=data.get("credits", []),
            max_degree=ROMAN.get(int(data.get("max_intensity_degree", 0)), ""),
        )
    )
