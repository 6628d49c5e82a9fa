"""Earthquake disaster grade and national response level (国家地震应急预案, 2012 revision, §2 of
/work/shared/reference/standards.md): a deliberately small pure function for the rapid assessment.

A general grading module for all incident types is being written in ``yingji.incidents.grading``; this
one should be merged into it (as its earthquake rule set) once that lands.

Grades and levels (1 = 特别重大 / Ⅰ级, highest … 4 = 一般 / Ⅳ级):

=====  ==========================  =========================  ==================
Level  Deaths incl. missing        Initial: 人口较密集地区      Initial: 人口密集地区
=====  ==========================  =========================  ==================
1      ≥ 300                       M ≥ 7.0                    M ≥ 6.0
2      50–300                      6.0 ≤ M < 7.0              5.0 ≤ M < 6.0
3      10–50                       5.0 ≤ M < 6.0              4.0 ≤ M < 5.0
4      < 10 (here: ≥ 1 expected)   4.0 ≤ M < 5.0              —
=====  ==========================  =========================  ==================

Bounds follow the Chinese convention "以上含本数，以下不含本数" (lower bound inclusive). The plan grades
by magnitude first (初判) and then by the casualties; a rapid assessment holds both an initial grade
and an *estimated* death toll, so the level returned is the higher of the two (the conservative
reading), and a reason says which decided it. Economic-loss criteria (≥ 1 % of the province's GDP) are
not applied here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from yingji.errors import InvalidInput

DensityClass = Literal["dense", "fairly_dense", "sparse"]

GRADE_NAMES = {1: "特别重大地震灾害", 2: "重大地震灾害", 3: "较大地震灾害", 4: "一般地震灾害"}

# (lower magnitude bound, level), highest first — 2012 plan, standards.md §2 (status V/P).
MAGNITUDE_LEVELS: dict[DensityClass, tuple[tuple[float, int], ...]] = {
    "dense": ((6.0, 1), (5.0, 2), (4.0, 3)),
    "fairly_dense": ((7.0, 1), (6.0, 2), (5.0, 3), (4.0, 4)),
    "sparse": (),
}
# (lower death bound incl. missing, level) — 2012 plan. "< 10" is level 4; we start it at one expected death.
DEATH_LEVELS = ((300.0, 1), (50.0, 2), (10.0, 3), (1.0, 4))

# Population density classes. The national plan names 人口密集 / 人口较密集 without numbers; some local
# plans define 人口密集 as a county density > 200 people/km² (standards.md §2, status P, not national).
# The 较密集 bound of 20 people/km² is a project assumption (status U).
DENSE_PER_KM2 = 200.0
FAIRLY_DENSE_PER_KM2 = 20.0


@dataclass(frozen=True)
class ResponseLevel:
    level: int | None
    grade: str | None
    reason: str


def density_class(people_per_km2: float) -> DensityClass:
    if not (math.isfinite(people_per_km2) and people_per_km2 >= 0):
        raise InvalidInput("population density must be a non-negative number of people per km²")
    if people_per_km2 > DENSE_PER_KM2:
        return "dense"
    if people_per_km2 > FAIRLY_DENSE_PER_KM2:
        return "fairly_dense"
    return "sparse"


def level_from_magnitude(magnitude: float, density: DensityClass) -> int | None:
    for bound, level in MAGNITUDE_LEVELS[density]:
        if magnitude >= bound:
            return level
    return None


def level_from_deaths(deaths: float) -> int | None:
    for bound, level in DEATH_LEVELS:
        if deaths >= bound:
            return level
    return None


def response_level(magnitude: float, density: DensityClass, estimated_deaths: float | None) -> ResponseLevel:
    """The earthquake response level (1–4, or None when no criterion is met)."""
    if density not in MAGNITUDE_LEVELS:
        raise InvalidInput(f"density {density!r} must be one of: {', '.join(MAGNITUDE_LEVELS)}")
    by_magnitude = level_from_magnitude(magnitude, density)
    by_deaths = level_from_deaths(estimated_deaths) if estimated_deaths is not None else None
    candidates = [lv for lv in (by_magnitude, by_deaths) if lv is not None]
    if not candidates:
        return ResponseLevel(None, None, "no criterion of the 2012 national earthquake plan is met")
    level = min(candidates)
    if by_deaths == level and by_magnitude != level:
        reason = f"estimated deaths {estimated_deaths:.0f}"
    elif by_magnitude == level and by_deaths != level:
        reason = f"initial grading: M{magnitude:.1f} in a {density.replace('_', ' ')} area"
    else:
        reason = f"initial grading (M{magnitude:.1f}, {density.replace('_', ' ')}) and estimated deaths agree"
    return ResponseLevel(level, GRADE_NAMES[level], reason)
