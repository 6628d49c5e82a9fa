"""Deaths from intensity exposure: the named fatality models the assessment can use, each with its own
uncertainty.

Two families, both of the PAGER form ν(S) = Φ(ln(S/θ)/β) (share of the people exposed at intensity S
who die), summed over the exposure:

* ``pager-*`` — USGS PAGER's published China parameters (Jaiswal & Wald 2010; ``pager_loss_models.yaml``),
  fed MMI (``pager-mmi``, the old default) or the Chinese scale read as MMI (``pager-csis``). Their
  uncertainty is PAGER's own (g of the country).
* calibrated models (``calibrated_models.yaml``, written by ``tools/quake_calibrate.py``) — θ, β and an
  optional vulnerability trend ln θ(year) = ln θ₀ + γ·(year − 2000)/10, or an offset of ln θ per
  GB 18306 attenuation region (building stock differs between the regions; β shared), fitted on Chinese
  events up to 2007 on the scale and source model the yaml names. Their spread σ is set so that the
  central 80 % interval of the lognormal holds 80 % of the cross-validated residuals
  ln(predicted + 1) − ln(toll + 1) of the fitting set (σ = their 80th percentile of |residual| / Φ⁻¹(0.9)),
  so the ranges and the 80 % interval are those of the lognormal with median ``expected`` in the
  (deaths + 1) space.

Pure: numbers in, numbers out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml

from yingji.errors import InvalidInput
from yingji.quake import losses

FieldName = Literal["gb18306", "allen2012"]
Rupture = Literal["fault", "point"]
Z80 = 1.2815515655446004  # Φ⁻¹(0.9): the 80 % central interval is median·exp(±Z80·σ)
TREND_REFERENCE_YEAR = 2000


@dataclass(frozen=True)
class FatalityModel:
    """A named chain: which intensity field feeds which fatality curve, and its spread."""

    name: str
    field: FieldName
    rupture: Rupture  # "fault": long axis / finite rupture along the nearest fault; "point": circular source
    theta: float
    beta: float
    trend_per_decade: float = 0.0
    sigma: float | None = None  # lognormal spread of (deaths + 1); None → PAGER's own g
    pager_country: str | None = None  # PAGER's published curve (degrees 5–9, above IX counted as IX)
    description: str = ""
    region_offsets: Mapping[str, float] | None = None  # ln θ offset per GB 18306 region (None: one curve)

    def theta_in(self, year: int, region: str | None = None) -> float:
        offset = (self.region_offsets or {}).get(region or "", 0.0)
        return self.theta * math.exp(offset + self.trend_per_decade * (year - TREND_REFERENCE_YEAR) / 10.0)

    def expected(self, exposure: Mapping[int, float], year: int, region: str | None = None) -> float:
        """Expected (median) deaths for people per integer degree ``exposure`` in ``year`` (``region``: the
        GB 18306 attenuation region of the epicentre, for the models with a curve per region)."""
        if self.pager_country is not None:
            return losses.expected_fatalities(exposure, losses.fatality_model(self.pager_country))
        theta = self.theta_in(year, region)
        total = 0.0
        for degree, people in exposure.items():
            if degree >= 5 and people > 0:
                total += people * losses.loss_rate(float(degree), theta, self.beta)
        return total

    def estimate(self, exposure: Mapping[int, float], year: int, region: str | None = None) -> dict[str, Any]:
        """``{"expected", "ranges", "range_80", "alert", "model", "sigma"}``."""
        expected = self.expected(exposure, year, region)
        if self.sigma is None:
            country = self.pager_country or "CN"
            g = losses.fatality_model(country).g
            ranges = losses.range_probabilities(expected, g)
            low, high = interval(expected, min(g, losses.MAX_SPREAD), shifted=False)
            spread = g
        else:
            ranges = shifted_range_probabilities(expected, self.sigma)
            low, high = interval(expected, self.sigma, shifted=True)
            spread = self.sigma
        return {
            "expected": expected,
            "ranges": ranges,
            "range_80": [round(low, 1), round(high, 1)],
            "alert": losses.alert_level(expected, "fatalities"),
            "model": self.name,
            "sigma": round(spread, 4),
        }


def interval(expected: float, sigma: float, *, shifted: bool, z: float = Z80) -> tuple[float, float]:
    """Central interval of the lognormal around ``expected`` (of deaths + 1 when ``shifted``)."""
    if shifted:
        return max((expected + 1.0) * math.exp(-z * sigma) - 1.0, 0.0), (expected + 1.0) * math.exp(z * sigma) - 1.0
    if expected <= 0:
        return 0.0, 0.0
    return expected * math.exp(-z * sigma), expected * math.exp(z * sigma)


def shifted_range_probabilities(expected: float, sigma: float) -> dict[str, float]:
    """Probability of each PAGER range when ln(deaths + 1) is normal with mean ln(expected + 1), sd σ."""
    centre = math.log(expected + 1.0)

    def cdf(edge: float) -> float:
        if math.isinf(edge):
            return 1.0
        return losses.standard_normal_cdf((math.log(edge + 1.0) - centre) / sigma)

    edges = losses.RANGE_EDGES
    out = {}
    for i, label in enumerate(losses.RANGE_LABELS):
        low = 0.0 if i == 0 else cdf(edges[i])
        out[label] = cdf(edges[i + 1]) - low
    return out


# --------------------------------------------------------------------------------------------------
# The named models
# --------------------------------------------------------------------------------------------------

PAGER_MMI = "pager-mmi"
PAGER_CSIS = "pager-csis"


def _pager_models() -> dict[str, FatalityModel]:
    cn = losses.fatality_model("CN")
    common = {"theta": cn.theta, "beta": cn.beta, "pager_country": "CN"}
    return {
        PAGER_MMI: FatalityModel(
            PAGER_MMI,
            "allen2012",
            "point",
            description="Allen (2012) MMI, point source unless a strike is given, "
            "PAGER China parameters (the default before the calibration)",
            **common,  # type: ignore[arg-type]
        ),
        PAGER_CSIS: FatalityModel(
            PAGER_CSIS,
            "gb18306",
            "fault",
            description="GB 18306 regional relation (Chinese scale read as MMI), PAGER China parameters",
            **common,  # type: ignore[arg-type]
        ),
    }


@lru_cache(maxsize=1)
def calibrated_table() -> dict[str, Any]:
    """The calibrated models and the default chosen by cross-validation (``calibrated_models.yaml``)."""
    path = resources.files("yingji.quake.data").joinpath("calibrated_models.yaml")
    if not path.is_file():
        return {"default": PAGER_MMI, "models": {}}
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def model_from_row(name: str, row: Mapping[str, Any]) -> FatalityModel:
    return FatalityModel(
        name=name,
        field=row["field"],
        rupture=row["rupture"],
        theta=float(row["theta"]),
        beta=float(row["beta"]),
        trend_per_decade=float(row.get("trend_per_decade", 0.0)),
        sigma=float(row["sigma"]) if row.get("sigma") is not None else None,
        description=str(row.get("description", "")),
        region_offsets=(
            {str(k): float(v) for k, v in row["region_offsets"].items()} if row.get("region_offsets") else None
        ),
    )


def models() -> dict[str, FatalityModel]:
    """Every named model: PAGER's two and the calibrated ones."""
    table = calibrated_table()
    out = _pager_models()
    for name, row in (table.get("models") or {}).items():
        out[name] = model_from_row(name, row)
    return out


def default_model_name() -> str:
    return str(calibrated_table().get("default", PAGER_MMI))


def model(name: str | None) -> FatalityModel:
    """The model called ``name`` (None: the default chosen by cross-validation)."""
    known = models()
    key = name or default_model_name()
    if key not in known:
        raise InvalidInput(f"model {key!r} is not one of: {', '.join(sorted(known))}")
    return known[key]
