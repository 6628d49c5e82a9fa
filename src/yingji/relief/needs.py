"""Relief needs (救灾需求) of displaced people: covered space, water, food, tents, quilts, cotton coats,
folding beds and stoves, with the cold-weather adjustment ("温暖过冬").

Pure: numbers in, numbers out. Shared by the earthquake rapid assessment (``yingji.quake``) and the
relief domain. Norms come from ``standards/relief_needs.yaml`` (each with its source and status) and can
be replaced whole or in part by the caller.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from yingji.errors import InvalidInput

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str
    basis: str  # how it was computed, with the norm used


@dataclass(frozen=True)
class ReliefNeeds:
    """Needs of ``displaced`` people; ``items`` maps item → quantity with its unit."""

    displaced: float
    cold: bool
    temperature_c: float | None
    temperature_source: str
    items: dict[str, Quantity] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@lru_cache(maxsize=1)
def default_norms() -> dict[str, float]:
    """The default norms (name → value) from ``standards/relief_needs.yaml``."""
    text = resources.files("yingji.standards").joinpath("relief_needs.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return {k: float(v["value"]) for k, v in data.items() if isinstance(v, dict) and "value" in v}


@lru_cache(maxsize=1)
def _normals() -> list[dict[str, str]]:
    text = resources.files("yingji.standards").joinpath("monthly_temperature_normals.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def monthly_normal(month: int, lat: float, lon: float | None = None) -> tuple[float, str]:
    """(mean temperature °C, station used) for ``month`` at the station nearest to (lat, lon), or to
    ``lat`` alone when no longitude is given."""
    if not 1 <= month <= 12:
        raise InvalidInput(f"month {month} must be 1–12")
    if not -90 <= lat <= 90:
        raise InvalidInput(f"lat {lat} must be a latitude")

    def distance(row: dict[str, str]) -> float:
        slat, slon = math.radians(float(row["lat"])), math.radians(float(row["lon"]))
        if lon is None:
            return abs(float(row["lat"]) - lat)
        p1, p2 = math.radians(lat), slat
        h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((slon - math.radians(lon)) / 2) ** 2
        return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))

    station = min(_normals(), key=distance)
    return float(station[MONTHS[month - 1]]), f"monthly normal of {station['station']} ({MONTHS[month - 1]})"


def _resolve_temperature(
    temperature_c: float | None, month: int | None, lat: float | None, lon: float | None
) -> tuple[float | None, str]:
    if temperature_c is not None:
        if not (math.isfinite(temperature_c) and -70 <= temperature_c <= 60):
            raise InvalidInput(f"temperature_c {temperature_c} must be an air temperature in °C")
        return temperature_c, "given"
    if month is not None and lat is not None:
        return monthly_normal(month, lat, lon)
    return None, "unknown (no temperature, or month and lat, given): mild-weather norms used"


def estimate_needs(
    displaced: float,
    *,
    temperature_c: float | None = None,
    month: int | None = None,
    lat: float | None = None,
    lon: float | None = None,
    norms: Mapping[str, float] | None = None,
) -> ReliefNeeds:
    """Relief needs of ``displaced`` people (紧急转移安置人口).

    Parameters
    ----------
    displaced
        People to shelter and supply (≥ 0).
    temperature_c
        Expected mean air temperature (°C) where they shelter; decides the cold-weather rules.
    month, lat, lon
        Used when ``temperature_c`` is not given: the monthly normal of the nearest station in
        ``standards/monthly_temperature_normals.csv`` (nearest by latitude alone if ``lon`` is None).
    norms
        Replacements for any of the default norms (``standards/relief_needs.yaml`` keys, e.g.
        ``{"water_l_per_person_day": 20}``).

    Returns
    -------
    ReliefNeeds
        ``items`` maps each item to a :class:`Quantity` (value, unit, basis): ``covered_space`` (m²),
        ``tents`` (tents), ``water`` (litres/day), ``food`` (kcal/day), ``quilts``, ``cotton_coats``,
        ``folding_beds``, ``stoves`` (pieces). Counts of discrete items are rounded up. Cold weather
        (mean temperature ≤ ``cold_threshold_c``) raises covered space, quilts, coats and stoves, and
        food energy by ``food_kcal_per_5c_below_20c`` for each 5 °C below 20 °C.
    """
    if not (math.isfinite(displaced) and displaced >= 0):
        raise InvalidInput(f"displaced {displaced} must be a non-negative number of people")
    n = {**default_norms(), **(norms or {})}
    unknown = set(norms or {}) - set(default_norms())
    if unknown:
        raise InvalidInput(f"norms has unknown keys: {', '.join(sorted(unknown))}")
    temperature, source = _resolve_temperature(temperature_c, month, lat, lon)
    cold = temperature is not None and temperature <= n["cold_threshold_c"]

    def norm(name: str) -> float:
        return n[f"{name}_cold"] if cold and f"{name}_cold" in n else n[name]

    space_per_person = norm("covered_space_m2_per_person")
    space = displaced * space_per_person
    tents = math.ceil(space / n["tent_area_m2"]) if space > 0 else 0
    kcal = n["food_kcal_per_person_day"]
    if temperature is not None and temperature < 20.0:
        kcal += n["food_kcal_per_5c_below_20c"] * (20.0 - temperature) / 5.0
    items = {
        "covered_space": Quantity(space, "m²", f"{space_per_person} m²/person"),
        "tents": Quantity(float(tents), "tents", f"{n['tent_area_m2']} m² per tent"),
        "water": Quantity(
            displaced * n["water_l_per_person_day"], "l/day", f"{n['water_l_per_person_day']} l/person/day"
        ),
        "food": Quantity(displaced * kcal, "kcal/day", f"{kcal:.0f} kcal/person/day"),
        "quilts": Quantity(
            float(math.ceil(displaced * norm("quilts_per_person"))), "pieces", f"{norm('quilts_per_person')}/person"
        ),
        "cotton_coats": Quantity(
            float(math.ceil(displaced * norm("cotton_coats_per_person"))),
            "pieces",
            f"{norm('cotton_coats_per_person')}/person",
        ),
        "folding_beds": Quantity(
            float(math.ceil(displaced * norm("folding_beds_per_person"))),
            "pieces",
            f"{norm('folding_beds_per_person')}/person",
        ),
        "stoves": Quantity(
            float(math.ceil(tents * norm("stoves_per_tent"))), "pieces", f"{norm('stoves_per_tent')}/tent"
        ),
    }
    return ReliefNeeds(displaced, cold, temperature, source, items)
