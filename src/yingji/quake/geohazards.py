"""Geohazard screening (地质灾害隐患点排查): which known landslide, rockfall and debris-flow sites to
inspect first after an earthquake, ranked by the shaking at the site and the people they threaten.

Pure: the inventory and the intensity at each site come in; a ranked list goes out.

Ranking rule (project rule, status U — no national ranking formula was found): sites shaken at or
above ``min_intensity`` (default VI, the degree from which GB/T 17742-2020 describes slope failures
in loose material) are ordered by whole degree, highest first, then by people at risk, most first.
Earthquake-triggered slope failure becomes markedly more likely with each degree, so a site one degree
stronger is inspected before a site with more people at a lower degree.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from yingji.errors import InvalidInput
from yingji.quake.field import Grid, IntensityField

KINDS = ("landslide", "rockfall", "debris_flow", "collapse", "ground_fissure", "other")


@dataclass(frozen=True)
class GeohazardSite:
    """One known geohazard site (隐患点)."""

    site_id: str
    name: str
    kind: str
    lon: float
    lat: float
    people_at_risk: float


@dataclass(frozen=True)
class ScreenedSite:
    site: GeohazardSite
    intensity: float
    degree: int
    rank: int


def intensity_at(fld: IntensityField, lons: Sequence[float], lats: Sequence[float]) -> np.ndarray:
    """Intensity of the grid cell holding each point (NaN outside the grid)."""
    grid: Grid = fld.grid
    col = np.floor((np.asarray(lons, dtype=np.float64) - grid.west) / grid.step).astype(np.int64)
    row = np.floor((grid.north - np.asarray(lats, dtype=np.float64)) / grid.step).astype(np.int64)
    inside = (col >= 0) & (col < grid.nx) & (row >= 0) & (row < grid.ny)
    values = np.full(col.shape, np.nan)
    values[inside] = fld.values[row[inside], col[inside]]
    return values


def screen(
    sites: Sequence[GeohazardSite], intensities: Sequence[float], *, min_intensity: float = 5.5
) -> list[ScreenedSite]:
    """The sites shaken at ``min_intensity`` or more, ranked (1 = inspect first)."""
    if len(sites) != len(intensities):
        raise InvalidInput("one intensity per geohazard site is needed")
    shaken = [
        (site, float(i)) for site, i in zip(sites, intensities, strict=True) if np.isfinite(i) and i >= min_intensity
    ]
    shaken.sort(key=lambda item: (-int(np.floor(item[1] + 0.5)), -item[0].people_at_risk, -item[1]))
    return [
        ScreenedSite(site, intensity, int(np.floor(intensity + 0.5)), rank)
        for rank, (site, intensity) in enumerate(shaken, start=1)
    ]


def _site(values: dict[str, object], index: int) -> GeohazardSite:
    kind = str(values.get("kind") or "other")
    if kind not in KINDS:
        raise InvalidInput(f"geohazard site {index}: kind {kind!r} is not one of {', '.join(KINDS)}")
    return GeohazardSite(
        site_id=str(values.get("id") or values.get("site_id") or index),
        name=str(values.get("name") or ""),
        kind=kind,
        lon=float(values["lon"]),  # type: ignore[arg-type]
        lat=float(values["lat"]),  # type: ignore[arg-type]
        people_at_risk=float(values.get("people_at_risk") or 0.0),  # type: ignore[arg-type]
    )


def read_inventory(path: str | Path) -> list[GeohazardSite]:
    """Sites from a CSV (columns id, name, kind, lon, lat, people_at_risk) or a GeoJSON of points with
    those properties."""
    p = Path(path)
    rows: Iterable[dict[str, object]]
    try:
        if p.suffix.lower() in (".geojson", ".json"):
            features = json.loads(p.read_text(encoding="utf-8"))["features"]
            rows = [
                {**f["properties"], "lon": f["geometry"]["coordinates"][0], "lat": f["geometry"]["coordinates"][1]}
                for f in features
            ]
        else:
            with p.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
        return [_site(row, i) for i, row in enumerate(rows)]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"geohazard inventory {path} is not readable: {exc}") from None


SYNTHETIC_LABEL = "（演示）"
_DEMO_KINDS = ("landslide", "rockfall", "debris_flow")
_DEMO_KIND_ZH = {"landslide": "滑坡", "rockfall": "崩塌", "debris_flow": "泥石流"}


def synthetic_sites(
    codes: Sequence[str], names: Sequence[str], lons: Sequence[float], lats: Sequence[float], people: Sequence[float]
) -> list[GeohazardSite]:
    """A clearly labelled synthetic inventory for the demo region: about one settlement in three gets a
    site 1–5 km away threatening 5–30 % of its people. Deterministic per settlement code (the same site
    for the same village whatever the query), so demo screenings repeat exactly. Never real data."""
    sites: list[GeohazardSite] = []
    for code, name, lon, lat, count in zip(codes, names, lons, lats, people, strict=True):
        rng = np.random.default_rng(int("".join(ch for ch in code if ch.isdigit()) or "0") % (2**32))
        if rng.random() >= 0.35:
            continue
        kind = _DEMO_KINDS[int(rng.integers(len(_DEMO_KINDS)))]
        distance_km, bearing = rng.uniform(1.0, 5.0), rng.uniform(0.0, 2 * np.pi)
        dlat = distance_km * np.cos(bearing) / 111.195
        dlon = distance_km * np.sin(bearing) / (111.195 * max(np.cos(np.radians(lat)), 0.01))
        base = name.replace(SYNTHETIC_LABEL, "")
        sites.append(
            GeohazardSite(
                site_id=f"demo-{code}",
                name=f"{base}{_DEMO_KIND_ZH[kind]}隐患点{SYNTHETIC_LABEL}",
                kind=kind,
                lon=round(float(lon + dlon), 5),
                lat=round(float(lat + dlat), 5),
                people_at_risk=float(round(float(count) * rng.uniform(0.05, 0.3))),
            )
        )
    return sites
