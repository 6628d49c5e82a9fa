"""Open formats for roll-up totals (pure): HXL-tagged CSV and the Sendai Framework indicators (A–D).

HXL (Humanitarian Exchange Language) puts a row of hashtags under the header row. The tags used are
core HXL (``#adm1+code`` … ``#affected+killed``, ``+missing``, ``+injured``, ``+displaced``, ``+hh``);
the direct loss uses ``#value+loss+cny`` (a value in yuan). Mapping status: P (own reading of the HXL
dictionary). Sendai: targets A (mortality), B (affected people), C (economic loss), D (damage to
critical infrastructure) with the indicator numbers of the UN monitoring framework; the township regime
gives no critical-infrastructure counts, so D is reported as not available (None).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

# (column, HXL tag, indicator code or a computed key)
HXL_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("affected", "#affected", "affected"),
    ("deaths", "#affected+killed", "deaths"),
    ("missing", "#affected+missing", "missing"),
    ("injured", "#affected+injured", "injured"),
    ("relocated", "#affected+displaced", "relocated"),
    ("needing_assistance", "#inneed", "needing_assistance"),
    ("houses_collapsed_households", "#affected+hh+destroyed", "houses_collapsed_households"),
    ("houses_severe_households", "#affected+hh+damaged+severe", "houses_severe_households"),
    ("direct_loss_cny", "#value+loss+cny", "direct_loss_cny"),
)
LEVEL_TAG = {
    "country": "#country+code",
    "province": "#adm1+code",
    "prefecture": "#adm2+code",
    "county": "#adm3+code",
    "township": "#adm4+code",
}


def hxl_csv(totals: Mapping[str, Mapping[str, int]], divisions: Mapping[str, tuple[str, str]]) -> str:
    """One row per division: code (tagged by level in a ``level`` column), name, and the figures.
    ``divisions`` maps a code to (name, level)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["division", "name", "level", "level_tag", *[c for c, _, _ in HXL_COLUMNS]])
    writer.writerow(["#adm+code", "#adm+name", "#meta+level", "#meta+tag", *[t for _, t, _ in HXL_COLUMNS]])
    for code, figures in totals.items():
        name, level = divisions.get(code, ("", ""))
        writer.writerow([code, name, level, LEVEL_TAG.get(level, ""), *[figures.get(k, 0) for _, _, k in HXL_COLUMNS]])
    return out.getvalue()


def _per_100k(value: int, population: int | None) -> float | None:
    return None if not population else round(value * 100_000 / population, 3)


def sendai(figures: Mapping[str, int], population: int | None) -> dict[str, Any]:
    """The Sendai indicators one division's totals give (absolute numbers; rates per 100,000 where the
    population is known)."""
    deaths, missing = figures.get("deaths", 0), figures.get("missing", 0)
    injured = figures.get("injured", 0)
    destroyed = figures.get("houses_collapsed_households", 0)
    damaged = figures.get("houses_severe_households", 0) + figures.get("houses_general_households", 0)
    directly_affected = injured + figures.get("relocated", 0)
    return {
        "A": {"A-1": _per_100k(deaths + missing, population), "A-2": deaths, "A-3": missing},
        "B": {
            "B-1": _per_100k(directly_affected, population),
            "B-2": injured,
            "B-3": damaged,
            "B-4": destroyed,
            "B-5": None,
        },
        "C": {
            "C-1": figures.get("direct_loss_cny", 0),
            "C-2": figures.get("loss_agriculture_cny", 0),
            "C-3": figures.get("loss_industry_cny", 0),
            "C-4": figures.get("loss_housing_cny", 0),
            "C-5": figures.get("loss_infrastructure_cny", 0),
            "C-6": None,
        },
        "D": {"D-1": None, "D-5": None},
        "population": population,
        "units": {"A-1": "per 100,000", "B-1": "per 100,000", "B-3": "households", "B-4": "households", "C": "CNY"},
    }
