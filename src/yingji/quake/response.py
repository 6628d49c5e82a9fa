"""Earthquake disaster grade and response level for the rapid assessment, from the Command domain's
official rule sets (``yingji.incidents.grading`` with ``standards/incident_grading/earthquake-2012.yaml``,
国家地震应急预案 2012) — the one place the thresholds live. This module only adds what the rapid
assessment needs on top:

* the population-density class of the shaken area (the plan names 人口密集 / 人口较密集 without numbers;
  the bounds below are this project's, see :data:`DENSE_PER_KM2`);
* both readings of the plan at once. The plan grades by magnitude first (初判) and by casualties once
  they are known; a rapid assessment holds an initial grade *and* an estimated death toll, so the level
  returned is the higher of the two (the conservative reading), with a reason saying which decided it.
  Expected deaths are compared as whole people (floor), so 299.9 expected deaths do not reach the
  300-death tier.

Economic-loss criteria (≥ 1 % of the province's GDP) are not applied here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from yingji.errors import InvalidInput
from yingji.incidents import grading
from yingji.incidents.incident_types import IncidentType
from yingji.incidents.rulesets import PopulationDensity

DensityClass = Literal["dense", "fairly_dense", "sparse"]
DENSITY_CLASSES: tuple[DensityClass, ...] = ("dense", "fairly_dense", "sparse")
EARTHQUAKE = IncidentType("earthquake")

# Population density classes. Some local plans define 人口密集 as a county density > 200 people/km²
# (docs/sources.md §S2, status P, not national). The 较密集 bound of 20 people/km² is a project assumption
# (status U).
DENSE_PER_KM2 = 200.0
FAIRLY_DENSE_PER_KM2 = 20.0


@dataclass(frozen=True)
class ResponseLevel:
    level: int | None
    grade: str | None  # e.g. 特别重大地震灾害
    reason: str
    grade_key: str | None = None  # particularly_serious … general (as Command stores it)
    rules_version: str | None = None
    basis: list[dict[str, Any]] = field(default_factory=list)


def density_class(people_per_km2: float) -> DensityClass:
    if not (math.isfinite(people_per_km2) and people_per_km2 >= 0):
        raise InvalidInput("population density must be a non-negative number of people per km²")
    if people_per_km2 > DENSE_PER_KM2:
        return "dense"
    if people_per_km2 > FAIRLY_DENSE_PER_KM2:
        return "fairly_dense"
    return "sparse"


def initial_grading(magnitude: float, density: DensityClass) -> grading.GradingResult:
    """初判: the plan's grading by magnitude and density alone."""
    figures = grading.Figures(magnitude=magnitude, population_density=PopulationDensity(density))
    return grading.grade_incident(EARTHQUAKE, figures)


def death_grading(estimated_deaths: float) -> grading.GradingResult:
    """The plan's grading by deaths (incl. missing), fed the expected deaths in whole people."""
    return grading.grade_incident(EARTHQUAKE, grading.Figures(deaths=max(math.floor(estimated_deaths), 0)))


def level_from_magnitude(magnitude: float, density: DensityClass) -> int | None:
    return initial_grading(magnitude, density).response_level


def level_from_deaths(deaths: float) -> int | None:
    return death_grading(deaths).response_level


def response_level(magnitude: float, density: DensityClass, estimated_deaths: float | None) -> ResponseLevel:
    """The earthquake response level (1–4, or None when no criterion is met)."""
    if density not in DENSITY_CLASSES:
        raise InvalidInput(f"density {density!r} must be one of: {', '.join(DENSITY_CLASSES)}")
    by_magnitude = initial_grading(magnitude, density)
    by_deaths = death_grading(estimated_deaths) if estimated_deaths is not None else None
    results = [r for r in (by_magnitude, by_deaths) if r is not None and r.response_level is not None]
    if not results:
        return ResponseLevel(
            None, None, "no criterion of the national earthquake plan is met", rules_version=by_magnitude.rules_version
        )
    decided = min(results, key=lambda r: r.response_level or 5)
    level = decided.response_level
    assert level is not None
    magnitude_level = by_magnitude.response_level
    deaths_level = by_deaths.response_level if by_deaths is not None else None
    if deaths_level == level and magnitude_level != level:
        reason = f"estimated deaths {estimated_deaths:.0f}"
    elif magnitude_level == level and deaths_level != level:
        reason = f"initial grading: M{magnitude:.1f} in a {density.replace('_', ' ')} area"
    else:
        reason = f"initial grading (M{magnitude:.1f}, {density.replace('_', ' ')}) and estimated deaths agree"
    grade_key = decided.grade
    grade_name = f"{grading.GRADE_ZH[grade_key]}地震灾害" if grade_key else None
    basis = [rule.as_dict() for r in results for rule in r.basis if rule.tier == level]
    return ResponseLevel(level, grade_name, reason, grade_key, decided.rules_version, basis)
