"""Aftershock forecast (余震趋势) with the Reasenberg–Jones model.

λ(t, M) = 10^(a + b(Mm − M)) · (t + c)^(−p) aftershocks ≥ M per day at t days after a mainshock of
magnitude Mm. The expected number in [t1, t2] is N = 10^(a + b(Mm − M)) · ∫(t + c)^(−p) dt and the
probability of at least one is 1 − e^(−N) (Reasenberg & Jones 1989, 1994; docs/sources.md §E4).

Times are given, never read: the caller passes the origin time and the assessment time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import yaml

from yingji.errors import InvalidInput

DEFAULT_MAGNITUDES = (5.0, 6.0, 7.0)
DEFAULT_WINDOWS_DAYS = (1.0, 7.0, 30.0)
MIN_EVENTS_TO_FIT = 30  # fewer recorded aftershocks than this: keep the generic parameters
A_SAMPLES = 61  # points of the normal distribution of a (±4σ) when a has an uncertainty


@dataclass(frozen=True)
class RJParameters:
    """Reasenberg–Jones parameters; ``sigma0``/``sigma1`` describe the uncertainty of a (0 = none)."""

    a: float
    b: float
    p: float
    c: float
    name: str = ""
    sigma0: float = 0.0
    sigma1: float = 0.0

    def a_sigma(self, magnitude: float) -> float:
        """σ of a for forecasts of magnitude ≥ ``magnitude`` (opensha-oaf GenericRJ_Parameters)."""
        return math.sqrt(self.sigma0**2 + self.sigma1**2 / 10 ** max(magnitude, 6.0))


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    text = resources.files("yingji.standards").joinpath("aftershock_parameters.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def parameter_set_names() -> list[str]:
    return list(_table()["sets"])


def generic_parameters(name: str) -> RJParameters:
    row = _table()["sets"].get(name)
    if row is None:
        raise InvalidInput(f"aftershock parameter set {name!r} is not one of: {', '.join(parameter_set_names())}")
    return RJParameters(
        a=float(row["a"]),
        b=float(row["b"]),
        p=float(row["p"]),
        c=float(row["c"]),
        name=str(row["name"]),
        sigma0=float(row.get("sigma0", 0.0)),
        sigma1=float(row.get("sigma1", 0.0)),
    )


def default_set_for_region(region: str | None) -> str:
    mapping = _table()["default_by_region"]
    return str(mapping.get(region or "", mapping["fallback"]))


def omori_integral(t1: float, t2: float, p: float, c: float) -> float:
    """∫_{t1}^{t2} (t + c)^(−p) dt (days)."""
    if abs(p - 1.0) < 1e-9:
        return math.log((t2 + c) / (t1 + c))
    return float(((t2 + c) ** (1.0 - p) - (t1 + c) ** (1.0 - p)) / (1.0 - p))


def expected_number(params: RJParameters, mainshock: float, magnitude: float, t1: float, t2: float) -> float:
    productivity = 10 ** (params.a + params.b * (mainshock - magnitude))
    return productivity * omori_integral(t1, t2, params.p, params.c)


def probability_at_least_one(params: RJParameters, mainshock: float, magnitude: float, t1: float, t2: float) -> float:
    """P(≥ 1 aftershock ≥ ``magnitude`` in [t1, t2] days), averaged over the uncertainty of a if any."""
    n = expected_number(params, mainshock, magnitude, t1, t2)
    sigma = params.a_sigma(magnitude) if (params.sigma0 or params.sigma1) else 0.0
    if sigma <= 0:
        return 1.0 - math.exp(-n)
    z = np.linspace(-4.0, 4.0, A_SAMPLES)
    weights = np.exp(-0.5 * z * z)
    weights /= weights.sum()
    n_samples = n * np.power(10.0, z * sigma)
    return float(np.sum(weights * -np.expm1(-n_samples)))


def days_between(origin: datetime, at: datetime) -> float:
    if (origin.tzinfo is None) != (at.tzinfo is None):
        raise InvalidInput("origin-time and at must both carry a time zone or both be naive")
    elapsed = (at - origin).total_seconds() / 86400.0
    if elapsed < 0:
        raise InvalidInput(f"at ({at.isoformat()}) is before origin-time ({origin.isoformat()})")
    return elapsed


def forecast(
    params: RJParameters,
    mainshock: float,
    *,
    origin: datetime,
    at: datetime,
    magnitudes: Sequence[float] = DEFAULT_MAGNITUDES,
    windows_days: Sequence[float] = DEFAULT_WINDOWS_DAYS,
) -> list[dict[str, float]]:
    """``[{"min_magnitude", "days", "probability", "expected_number"}]`` for the windows starting at
    ``at`` (the assessment time)."""
    start = days_between(origin, at)
    rows = []
    for magnitude in magnitudes:
        for days in windows_days:
            rows.append(
                {
                    "min_magnitude": float(magnitude),
                    "days": float(days),
                    "probability": probability_at_least_one(params, mainshock, magnitude, start, start + days),
                    "expected_number": expected_number(params, mainshock, magnitude, start, start + days),
                }
            )
    return rows


# --------------------------------------------------------------------------------------------------
# Re-fitting a sequence's own parameters
# --------------------------------------------------------------------------------------------------


def b_value(magnitudes: np.ndarray, completeness: float, bin_width: float = 0.1) -> float:
    """Aki–Utsu maximum-likelihood b-value of events ≥ ``completeness`` (binned at ``bin_width``)."""
    mean_excess = float(np.mean(magnitudes)) - (completeness - bin_width / 2.0)
    if mean_excess <= 0:
        raise InvalidInput("aftershock magnitudes do not exceed the completeness magnitude")
    return math.log10(math.e) / mean_excess


def _omori_negative_log_likelihood(params: np.ndarray, times: np.ndarray, t_start: float, t_end: float) -> float:
    p, log_c = float(params[0]), float(params[1])
    c = 10**log_c
    integral = omori_integral(t_start, t_end, p, c)
    k = len(times) / integral
    log_likelihood = len(times) * math.log(k) - p * float(np.sum(np.log(times + c))) - k * integral
    return -log_likelihood


def fit_parameters(
    times_days: Sequence[float],
    magnitudes: Sequence[float],
    *,
    mainshock: float,
    completeness: float,
    prior: RJParameters,
    t_start: float = 0.0,
    t_end: float | None = None,
    min_events: int = MIN_EVENTS_TO_FIT,
) -> tuple[RJParameters, str]:
    """The sequence's own (a, b, p, c) by maximum likelihood from recorded aftershocks ≥
    ``completeness`` in [t_start, t_end] days, or ``prior`` unchanged when fewer than ``min_events``.

    b: Aki–Utsu; p and c: the Omori–Utsu likelihood (Ogata 1983) maximised numerically with the
    productivity k in closed form; a = log10 k − b·(Mm − Mc). Returns the parameters and a note.
    """
    from scipy.optimize import minimize

    t = np.asarray(times_days, dtype=np.float64)
    m = np.asarray(magnitudes, dtype=np.float64)
    if t.shape != m.shape:
        raise InvalidInput("aftershock times and magnitudes must have the same length")
    end = float(t_end if t_end is not None else (t.max() if t.size else t_start))
    keep = (m >= completeness) & (t >= t_start) & (t <= end)
    t, m = t[keep], m[keep]
    if t.size < min_events:
        return (
            prior,
            f"generic parameters ({prior.name}): {t.size} recorded aftershocks ≥ M{completeness} < {min_events}",
        )
    b = b_value(m, completeness)
    start = np.array([prior.p, math.log10(prior.c)])
    result = minimize(
        _omori_negative_log_likelihood,
        start,
        args=(t, t_start, end),
        method="Nelder-Mead",
        options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 2000},
    )
    p, log_c = float(result.x[0]), float(result.x[1])
    p = min(max(p, 0.3), 2.5)
    c = min(max(10**log_c, 1e-5), 2.0)
    k = t.size / omori_integral(t_start, end, p, c)
    a = math.log10(k) - b * (mainshock - completeness)
    fitted = replace(prior, a=a, b=b, p=p, c=c, name=f"fitted from {t.size} aftershocks", sigma0=0.0, sigma1=0.0)
    return (
        fitted,
        f"fitted from {t.size} recorded aftershocks ≥ M{completeness} (a={a:.2f}, b={b:.2f}, p={p:.2f}, c={c:.3f})",
    )
