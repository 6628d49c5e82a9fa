"""Losses from exposure: USGS PAGER's empirical fatality and economic models with their uncertainty
(expected value, probability of each range, alert colour), and injured/displaced estimates.

Exposure is a mapping degree → people, on the intensity scale the caller chose as the model's input
(see ``docs/quake.md``: MMI by default; the Chinese scale is a documented alternative).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml

from yingji.errors import InvalidInput

Alert = Literal["green", "yellow", "orange", "red"]

# PAGER bins exposure into whole degrees 5–9; exposure above IX counts as IX (losspager emploss.py,
# docs/sources.md §E1.1, status V).
PAGER_DEGREES = (5, 6, 7, 8, 9)
# Loss ranges of PAGER's histograms (docs/sources.md §E1.1, status V); the economic ones are in millions US$.
RANGE_EDGES = (0.0, 1.0, 10.0, 100.0, 1_000.0, 10_000.0, 100_000.0, math.inf)
RANGE_LABELS = ("0-1", "1-10", "10-100", "100-1000", "1000-10000", "10000-100000", "100000+")
MAX_SPREAD = 2.5  # PAGER caps the combined g at 2.5
SMALL_LOSS_SPREAD = 1.7613  # … and uses this when the expected loss is below 1 and g > 1.7


@dataclass(frozen=True)
class FatalityModel:
    country: str
    theta: float
    beta: float
    g: float


@dataclass(frozen=True)
class EconomicModel:
    country: str
    theta: float
    beta: float
    alpha: float
    g: float


@lru_cache(maxsize=1)
def _models() -> dict[str, Any]:
    text = resources.files("yingji.standards").joinpath("pager_loss_models.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@lru_cache(maxsize=1)
def _gdp_table() -> dict[str, dict[int, float]]:
    text = resources.files("yingji.standards").joinpath("gdp_per_capita.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    table: dict[str, dict[int, float]] = {}
    for row in rows:
        table.setdefault(row["country"], {})[int(row["year"])] = float(row["gdp_per_capita_usd"])
    return table


def _country(country: str) -> str:
    code = country.strip().upper()
    if code not in _models()["fatality"]:
        known = ", ".join(sorted(_models()["fatality"]))
        raise InvalidInput(f"country {country!r} has no PAGER model here; known: {known}")
    return code


def fatality_model(country: str) -> FatalityModel:
    row = _models()["fatality"][_country(country)]
    return FatalityModel(_country(country), float(row["theta"]), float(row["beta"]), float(row["g"]))


def economic_model(country: str) -> EconomicModel:
    code = _country(country)
    row = _models()["economic"].get(code)
    if row is None:
        raise InvalidInput(f"country {country!r} has no PAGER economic model here")
    return EconomicModel(code, float(row["theta"]), float(row["beta"]), float(row["alpha"]), float(row["g"]))


def gdp_per_capita(country: str, year: int | None) -> tuple[float, int]:
    """(GDP per capita in current US$, the year it is for): the event year, else the nearest year
    listed (the last one for later years, the first for earlier ones), as PAGER does."""
    series = _gdp_table().get(_country(country))
    if not series:
        raise InvalidInput(f"country {country!r} has no GDP per capita in gdp_per_capita.csv")
    years = sorted(series)
    if year is None or year > years[-1]:
        chosen = years[-1]
    elif year < years[0]:
        chosen = years[0]
    else:
        chosen = max(y for y in years if y <= year)
    return series[chosen], chosen


def standard_normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def loss_rate(intensity: float, theta: float, beta: float) -> float:
    """ν(S) = Φ(ln(S/θ)/β): share of the exposed people killed (or of exposed value lost)."""
    return standard_normal_cdf(math.log(intensity / theta) / beta)


def pager_bins(exposure: Mapping[int, float]) -> dict[int, float]:
    """People per PAGER degree 5–9 (exposure above IX added to IX; below V left out)."""
    bins = dict.fromkeys(PAGER_DEGREES, 0.0)
    for degree, people in exposure.items():
        if people < 0 or not math.isfinite(people):
            raise InvalidInput(f"exposure at intensity {degree} must be a non-negative number of people")
        if degree >= PAGER_DEGREES[0]:
            bins[min(int(degree), PAGER_DEGREES[-1])] += float(people)
    return bins


def expected_fatalities(exposure: Mapping[int, float], model: FatalityModel) -> float:
    bins = pager_bins(exposure)
    return sum(people * loss_rate(s, model.theta, model.beta) for s, people in bins.items())


def expected_economic_loss(exposure: Mapping[int, float], model: EconomicModel, gdp_pc: float) -> float:
    bins = pager_bins(exposure)
    return sum(people * gdp_pc * model.alpha * loss_rate(s, model.theta, model.beta) for s, people in bins.items())


def range_probabilities(expected: float, g: float, *, scale: float = 1.0) -> dict[str, float]:
    """Probability of each PAGER range: P([a, b)) = Φ(ln(b/e)/G) − Φ(ln(a/e)/G) (probs.py,
    docs/sources.md §E1.1). ``scale`` converts the range edges to the loss's unit (1e6 for US$)."""
    spread = min(g, MAX_SPREAD)
    if expected < 1.0 * scale and spread > 1.7:
        spread = SMALL_LOSS_SPREAD
    if expected <= 0:
        return {label: (1.0 if i == 0 else 0.0) for i, label in enumerate(RANGE_LABELS)}

    def cdf(edge: float) -> float:
        if edge == 0:
            return 0.0
        if math.isinf(edge):
            return 1.0
        return standard_normal_cdf(math.log(edge * scale / expected) / spread)

    return {label: cdf(RANGE_EDGES[i + 1]) - cdf(RANGE_EDGES[i]) for i, label in enumerate(RANGE_LABELS)}


def alert_level(expected: float, kind: Literal["fatalities", "economic_usd"]) -> Alert:
    bounds = _models()["alerts"][kind]
    for colour in ("red", "orange", "yellow"):
        if expected >= float(bounds[colour]):
            return colour  # type: ignore[return-value]
    return "green"


def fatality_estimate(exposure: Mapping[int, float], country: str = "CN") -> dict[str, Any]:
    """``{"expected", "ranges", "alert"}`` for the deaths from ``exposure`` (degree → people)."""
    model = fatality_model(country)
    expected = expected_fatalities(exposure, model)
    return {
        "expected": expected,
        "ranges": range_probabilities(expected, model.g),
        "alert": alert_level(expected, "fatalities"),
    }


def economic_estimate(
    exposure: Mapping[int, float],
    country: str = "CN",
    year: int | None = None,
    *,
    gdp_per_capita_usd: float | None = None,
) -> dict[str, Any]:
    """``{"expected", "ranges_musd", "alert", "gdp_per_capita_usd", "gdp_year"}`` for direct
    economic loss in US$. GDP per capita comes from the data file for ``year`` unless given."""
    model = economic_model(country)
    if gdp_per_capita_usd is not None:
        if not (math.isfinite(gdp_per_capita_usd) and gdp_per_capita_usd > 0):
            raise InvalidInput("gdp_per_capita_usd must be a positive amount")
        gdp_pc, gdp_year = gdp_per_capita_usd, year
    else:
        gdp_pc, gdp_year = gdp_per_capita(country, year)
    expected = expected_economic_loss(exposure, model, gdp_pc)
    return {
        "expected": expected,
        "ranges_musd": range_probabilities(expected, model.g, scale=1e6),
        "alert": alert_level(expected, "economic_usd"),
        "gdp_per_capita_usd": gdp_pc,
        "gdp_year": gdp_year,
    }


def summary_alert(*alerts: Alert) -> Alert:
    """PAGER's summary alert: the higher of the fatality and economic alerts."""
    order: tuple[Alert, ...] = ("green", "yellow", "orange", "red")
    return max(alerts, key=order.index)


# --------------------------------------------------------------------------------------------------
# Injured and displaced
# --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def casualty_ratios() -> dict[str, Any]:
    text = resources.files("yingji.standards").joinpath("quake_casualty_ratios.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def estimate_injured(deaths: float, injured_per_death: float | None = None) -> float:
    ratio = injured_per_death if injured_per_death is not None else casualty_ratios()["injured_per_death"]["value"]
    return float(deaths) * float(ratio)


def estimate_displaced(exposure: Mapping[int, float], shares: Mapping[int, float] | None = None) -> float:
    """People to relocate (紧急转移安置): Σ share(n)·E(n) over degrees n with a listed share."""
    table = shares if shares is not None else casualty_ratios()["displaced_share_by_degree"]["values"]
    top = max(int(k) for k in table)
    total = 0.0
    for degree, people in exposure.items():
        share = table.get(min(int(degree), top), 0.0)
        total += float(share) * float(people)
    return total
