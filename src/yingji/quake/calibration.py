"""Calibration of the deaths chain on past Chinese earthquakes, and its skill scores.

The event table (``data/calibration_events.csv``, rules in ``docs/quake-calibration.md``) has a fitting
set (1973–2007) and a validation set (2008 on). Everything here that fits or chooses looks at the
fitting set only; the validation set is only ever scored.

For each event and each candidate source/intensity path the exposure (people per integer degree) is
computed once with the packaged WorldPop 2020 raster scaled to the event year by the national census
totals; fatality curves are then fitted on those exposures (least squares on ln(deaths + 1)), and
scored by leave-one-out cross-validation.

Pure apart from reading the packaged files; no database, no clock.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import numpy as np

from yingji.quake import fatality

# Census totals of mainland China (31 provinces, people), National Bureau of Statistics communiqués of the
# 3rd–7th censuses (status U: background knowledge, not checked against a stored copy here). WorldPop
# 2020 is scaled to an event's year by census(year) / census(2020), linear between censuses; the same
# factor everywhere (it ignores the shift from country to town, which a national factor cannot see).
CENSUS_POPULATION = {
    1964: 694_581_759,
    1982: 1_008_180_738,
    1990: 1_133_682_501,
    2000: 1_265_830_000,
    2010: 1_339_724_852,
    2020: 1_411_778_724,
}
RASTER_YEAR = 2020
CALIBRATION_STEP_DEG = 0.02  # the grid the exposures of the calibration are computed on


def population_factor(year: int) -> float:
    """census(year) / census(2020), linear between censuses, 1 from 2020 on."""
    years = sorted(CENSUS_POPULATION)
    if year >= RASTER_YEAR:
        return 1.0
    values = [CENSUS_POPULATION[y] for y in years]
    return float(np.interp(year, years, values)) / CENSUS_POPULATION[RASTER_YEAR]


@dataclass(frozen=True)
class CalibrationEvent:
    event_id: str
    name: str
    date: str
    lon: float
    lat: float
    depth_km: float
    ms: float | None
    mw: float | None
    deaths: int
    missing: int
    vi_area_km2: float | None
    set: str
    status: str

    @property
    def toll(self) -> int:
        return self.deaths + self.missing

    @property
    def year(self) -> int:
        return int(self.date[:4])

    @property
    def magnitude(self) -> tuple[float, str]:
        """Ms where published, else Mw (the table's rule)."""
        if self.ms is not None:
            return self.ms, "Ms"
        if self.mw is not None:
            return self.mw, "Mw"
        raise ValueError(f"event {self.event_id} has no magnitude")


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


def load_events(text: str | None = None) -> list[CalibrationEvent]:
    """The events of the packaged table (or of ``text`` in the same CSV form)."""
    if text is None:
        text = resources.files("yingji.quake.data").joinpath("calibration_events.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    return [
        CalibrationEvent(
            event_id=r["id"],
            name=r["name"],
            date=r["date"],
            lon=float(r["lon"]),
            lat=float(r["lat"]),
            depth_km=float(r["depth_km"]),
            ms=_number(r["ms"]),
            mw=_number(r["mw"]),
            deaths=int(r["deaths"]),
            missing=int(r["missing"] or 0),
            vi_area_km2=_number(r["vi_area_km2"]),
            set=r["set"],
            status=r["status"],
        )
        for r in rows
    ]


# --------------------------------------------------------------------------------------------------
# Exposure of one event along one path
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventExposure:
    exposure: dict[int, float]  # people per integer degree (≥ 5) on the path's scale, at the event year
    vi_area_km2: float  # area at degree VI and above of the Chinese-scale field (the isoseismal figure)
    region: str = ""  # the GB 18306 attenuation region of the epicentre


def event_input(event: CalibrationEvent, *, use_packaged_faults: bool, step: float, **extra: Any) -> Any:
    """The assessment input of a table event (origin and assessment at its date, Ms where published)."""
    from yingji.quake.assess import EarthquakeInput

    magnitude, magnitude_type = event.magnitude
    when = datetime.fromisoformat(event.date).replace(tzinfo=UTC)
    return EarthquakeInput(
        lon=event.lon,
        lat=event.lat,
        depth_km=event.depth_km,
        magnitude=magnitude,
        magnitude_type=magnitude_type,  # type: ignore[arg-type]
        origin_time=when,
        at=when,
        use_packaged_faults=use_packaged_faults,
        step_deg=step,
        **extra,
    )


def event_exposure(
    event: CalibrationEvent, path: tuple[fatality.FieldName, fatality.Rupture], step: float = CALIBRATION_STEP_DEG
) -> EventExposure:
    """People per degree for ``event`` along ``path`` (field, rupture), and the Chinese VI+ area."""
    from yingji.quake import data as packaged
    from yingji.quake.assess import setup
    from yingji.quake.exposure import cached_population_raster, exposure_by_intensity
    from yingji.quake.field import allen_field, chinese_field, offsets_km

    field_name, rupture = path
    inp = event_input(event, use_packaged_faults=rupture == "fault", step=step)
    s = setup(inp)
    offsets = offsets_km(s.grid, s.epicentre, s.orientation.strike_deg)
    chinese = chinese_field(s.grid, s.epicentre, s.ms, s.model, s.orientation, offsets=offsets)
    people = cached_population_raster(str(packaged.population_raster())).on_grid(s.grid) * population_factor(event.year)
    if field_name == "gb18306":
        values = chinese.values
    else:
        values = allen_field(s.grid, s.epicentre, s.mw, s.orientation, offsets=offsets).values
    areas = np.broadcast_to(s.grid.cell_areas_km2()[:, None], chinese.values.shape)
    vi_area = float(areas[chinese.values >= 5.5].sum())
    return EventExposure(exposure_by_intensity(values, people, min_degree=5), vi_area, s.region)


# --------------------------------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A path (field, rupture) and how its fatality curve is obtained: fixed (PAGER's published China
    parameters) or fitted with 2 (θ, β) or 3 (θ, β, trend) free parameters."""

    name: str
    field: fatality.FieldName
    rupture: fatality.Rupture
    free: int  # 0 = PAGER's published parameters
    description: str
    regional: bool = False  # one ln θ offset per GB 18306 region (β shared): 2 free parameters per region

    @property
    def path(self) -> tuple[fatality.FieldName, fatality.Rupture]:
        return (self.field, self.rupture)


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("pager-mmi", "allen2012", "point", 0, "Allen 2012 MMI, point source, PAGER China θ β (old default)"),
    Candidate(
        "pager-mmi-finite", "allen2012", "fault", 0, "Allen 2012 MMI, finite rupture on the nearest fault, PAGER"
    ),
    Candidate("pager-csis", "gb18306", "fault", 0, "GB 18306 regional ellipses on the nearest fault, PAGER θ β"),
    Candidate("cn-mmi-point-2", "allen2012", "point", 2, "Allen 2012 MMI, point source, θ β fitted"),
    Candidate("cn-mmi-finite-2", "allen2012", "fault", 2, "Allen 2012 MMI, finite rupture, θ β fitted"),
    Candidate("cn-mmi-finite-3", "allen2012", "fault", 3, "Allen 2012 MMI, finite rupture, θ β trend fitted"),
    Candidate("cn-csis-circular-2", "gb18306", "point", 2, "GB 18306 regional relation, circular, θ β fitted"),
    Candidate("cn-csis-fault-2", "gb18306", "fault", 2, "GB 18306 regional ellipses on the nearest fault, θ β fitted"),
    Candidate("cn-csis-fault-3", "gb18306", "fault", 3, "GB 18306 ellipses on the nearest fault, θ β trend fitted"),
    Candidate(
        "cn-csis-circular-region",
        "gb18306",
        "point",
        2,
        "GB 18306 regional relation, circular, θ per GB 18306 region and a shared β fitted",
        regional=True,
    ),
    Candidate(
        "cn-csis-fault-region",
        "gb18306",
        "fault",
        2,
        "GB 18306 ellipses on the nearest fault, θ per GB 18306 region and a shared β fitted",
        regional=True,
    ),
)

# The regions of the per-region candidates, fixed in advance: the four of GB 18306-2015.
REGIONS: tuple[str, ...] = ("qinghai_tibet", "xinjiang", "east", "central")
# A region gets its own θ only with at least this many fitting events (in each fold); a region with fewer
# keeps the pooled θ (offset 0), so that no parameter rests on one or two events. Fixed, not tuned.
MIN_REGION_EVENTS = 5
# Ridge weight on the fitted regional offsets of ln θ (in the loss, against the sum of squared residuals in
# ln): it keeps the optimiser off the direction the data cannot see (pooled ln θ against the offsets); after
# the fit the offsets are centred (events-weighted mean 0).
REGION_RIDGE = 1.0

_STARTS = ((9.0, 0.15), (10.5, 0.1), (12.0, 0.2), (14.0, 0.3), (9.5, 0.4))


def _predict(
    params: Sequence[float],
    exposures: Sequence[Mapping[int, float]],
    years: Sequence[int],
    regions: Sequence[str] | None = None,
) -> np.ndarray:
    curve = curve_from(params, regional=regions is not None)
    where = regions if regions is not None else [None] * len(years)
    return np.asarray([curve.expected(e, y, r) for e, y, r in zip(exposures, years, where, strict=True)])


def curve_from(params: Sequence[float], name: str = "fit", *, regional: bool = False) -> fatality.FatalityModel:
    """The curve of fitted parameters: (ln θ, ln β[, trend per decade]) or, ``regional``,
    (ln θ, ln β, ln θ offset of each of :data:`REGIONS`)."""
    ln_theta, ln_beta = params[0], params[1]
    if regional:
        offsets = dict(zip(REGIONS, (float(v) for v in params[2:]), strict=True))
        return fatality.FatalityModel(
            name, "gb18306", "fault", math.exp(ln_theta), math.exp(ln_beta), region_offsets=offsets
        )
    trend = params[2] if len(params) > 2 else 0.0
    return fatality.FatalityModel(name, "gb18306", "fault", math.exp(ln_theta), math.exp(ln_beta), trend)


def residuals(predicted: Iterable[float], tolls: Iterable[float]) -> np.ndarray:
    """ln(predicted + 1) − ln(toll + 1): the fit's and the spread's residual."""
    diff: np.ndarray = np.log1p(np.asarray(list(predicted), dtype=float)) - np.log1p(
        np.asarray(list(tolls), dtype=float)
    )
    return diff


def fit_curve(
    exposures: Sequence[Mapping[int, float]],
    years: Sequence[int],
    tolls: Sequence[int],
    free: int,
    regions: Sequence[str] | None = None,
) -> list[float]:
    """Least squares on ln(deaths + 1): (ln θ, ln β[, trend per decade]), from several starts; with
    ``regions`` (the region of each event) also an offset of ln θ for each of :data:`REGIONS` that has at
    least :data:`MIN_REGION_EVENTS` events (the others 0), ridge-weighted."""
    from scipy.optimize import minimize

    target = np.log1p(np.asarray(tolls, dtype=float))
    if regions is not None:  # the offsets that are fitted; the others stay 0
        own = [k for k, r in enumerate(REGIONS) if list(regions).count(r) >= MIN_REGION_EVENTS]
        extra = len(own)
    else:
        own = []
        extra = 1 if free > 2 else 0

    def full(x: np.ndarray) -> list[float]:
        if regions is None:
            return [float(v) for v in x]
        offsets = [0.0] * len(REGIONS)
        for k, value in zip(own, x[2:], strict=True):
            offsets[k] = float(value)
        return [float(x[0]), float(x[1]), *offsets]

    def loss(x: np.ndarray) -> float:
        if not (-3.5 <= x[1] <= 0.5) or not (1.0 <= x[0] <= 3.6) or (extra and np.max(np.abs(x[2:])) > 2.0):
            return 1e9
        pred = _predict(full(x), exposures, years, regions)
        penalty = REGION_RIDGE * float(np.sum(x[2:] ** 2)) if regions is not None else 0.0
        return float(np.sum((np.log1p(pred) - target) ** 2)) + penalty

    best: Any = None
    for theta, beta in _STARTS:
        x0 = [math.log(theta), math.log(beta)] + [0.0] * extra
        result = minimize(
            loss,
            np.asarray(x0),
            method="Nelder-Mead",
            options={"xatol": 1e-4, "fatol": 1e-6, "maxiter": 4000}
            if regions is None
            else {"xatol": 1e-4, "fatol": 1e-6, "maxiter": 20000, "maxfev": 20000},
        )
        if best is None or result.fun < best.fun:
            best = result
    params = full(best.x)
    if regions is not None and own:
        # The pooled ln θ is the events-weighted mean of the fitted regions' ln θ (the offsets' weighted mean
        # is 0): the θ a region without its own gets. The fitted regions' θ do not change.
        counts = [list(regions).count(REGIONS[k]) for k in own]
        shift = sum(params[2 + k] * n for k, n in zip(own, counts, strict=True)) / sum(counts)
        params[0] += shift
        for k in own:
            params[2 + k] -= shift
    return params


def loo_predictions(
    candidate: Candidate,
    exposures: Sequence[Mapping[int, float]],
    years: Sequence[int],
    tolls: Sequence[int],
    regions: Sequence[str] | None = None,
) -> np.ndarray:
    """Leave-one-out predictions for the fitting events (fixed candidates predict directly); ``regions``
    (each event's GB 18306 region) is needed by the regional candidates."""
    if candidate.free == 0:
        model = fatality.models()[fatality.PAGER_MMI]
        return np.asarray([model.expected(e, y) for e, y in zip(exposures, years, strict=True)])
    if candidate.regional and regions is None:
        raise ValueError(f"candidate {candidate.name} needs the region of every event")
    where = regions if candidate.regional else None
    out = []
    for i in range(len(tolls)):
        keep = [j for j in range(len(tolls)) if j != i]
        params = fit_curve(
            [exposures[j] for j in keep],
            [years[j] for j in keep],
            [tolls[j] for j in keep],
            candidate.free,
            [where[j] for j in keep] if where is not None else None,
        )
        curve = curve_from(params, regional=candidate.regional)
        out.append(curve.expected(exposures[i], years[i], where[i] if where is not None else None))
    return np.asarray(out)


def spread_80(residuals_ln: Sequence[float] | np.ndarray) -> float:
    """σ such that the central 80 % interval of the lognormal, median ± Φ⁻¹(0.9)·σ in ln(deaths + 1),
    holds 80 % of ``residuals_ln`` (cross-validated): the 80th percentile of |residual| / Φ⁻¹(0.9). The
    residuals of ln(deaths + 1) are heavier-tailed than a normal's, so their RMS gives too narrow a range."""
    values = np.abs(np.asarray(residuals_ln, dtype=float))
    return float(np.quantile(values, 0.8)) / fatality.Z80


# --------------------------------------------------------------------------------------------------
# Skill
# --------------------------------------------------------------------------------------------------


def band(deaths: float) -> int:
    """PAGER's fatality alert band: 0 green (< 1), 1 yellow (1–99), 2 orange (100–999), 3 red (≥ 1,000)."""
    return 0 if deaths < 1 else 1 if deaths < 100 else 2 if deaths < 1000 else 3


def within_factor(predicted: float, toll: float, factor: float = 10.0) -> bool:
    """|log10((predicted + 1)/(toll + 1))| ≤ log10(factor): within 10× (a toll of 0 counts as 1)."""
    return abs(math.log10((predicted + 1.0) / (toll + 1.0))) <= math.log10(factor)


@dataclass(frozen=True)
class Skill:
    events: int
    within_10x: int
    same_band: int
    inside_80: int
    ten_plus: int  # events with at least 10 deaths
    ten_plus_within_10x: int
    area_median_abs_log10: float | None
    area_events: int
    rmse_log10: float

    def lines(self, label: str) -> list[str]:
        def share(k: int, n: int) -> str:
            return f"{k}/{n} ({(k / n if n else 0.0):.0%})"

        area = (
            "n/a"
            if self.area_median_abs_log10 is None
            else f"{self.area_median_abs_log10:.3f} ({self.area_events} events)"
        )
        return [
            f"{label}: {self.events} events, RMSE log10(deaths+1) {self.rmse_log10:.3f}",
            f"  deaths within 10x        {share(self.within_10x, self.events)}",
            f"  same alert band          {share(self.same_band, self.events)}",
            f"  toll inside 80% range    {share(self.inside_80, self.events)}",
            f"  >=10 deaths within 10x   {share(self.ten_plus_within_10x, self.ten_plus)}",
            f"  VI+ area |log10 ratio| median: {area}",
        ]


def skill(
    predicted: Sequence[float],
    ranges: Sequence[tuple[float, float]],
    events: Sequence[CalibrationEvent],
    vi_areas: Sequence[float] | None = None,
) -> Skill:
    tolls = [e.toll for e in events]
    within = [within_factor(p, t) for p, t in zip(predicted, tolls, strict=True)]
    ten = [i for i, t in enumerate(tolls) if t >= 10]
    area_errors = [
        abs(math.log10(a / e.vi_area_km2))
        for a, e in zip(vi_areas or [], events, strict=False)
        if e.vi_area_km2 and a > 0
    ]
    return Skill(
        events=len(events),
        within_10x=int(sum(within)),
        same_band=int(sum(band(p) == band(t) for p, t in zip(predicted, tolls, strict=True))),
        inside_80=int(sum(lo <= t <= hi for (lo, hi), t in zip(ranges, tolls, strict=True))),
        ten_plus=len(ten),
        ten_plus_within_10x=int(sum(within[i] for i in ten)),
        area_median_abs_log10=float(np.median(area_errors)) if area_errors else None,
        area_events=len(area_errors),
        rmse_log10=float(np.sqrt(np.mean((residuals(predicted, tolls) / math.log(10)) ** 2))),
    )


def exposures_for(
    events: Sequence[CalibrationEvent],
    paths: Iterable[tuple[fatality.FieldName, fatality.Rupture]],
    step: float = CALIBRATION_STEP_DEG,
    progress: Callable[[str], None] | None = None,
) -> dict[tuple[fatality.FieldName, fatality.Rupture], list[EventExposure]]:
    out = {}
    for path in paths:
        if progress:
            progress(f"exposures {path[0]}/{path[1]} for {len(events)} events")
        out[path] = [event_exposure(e, path, step) for e in events]
    return out


def cv_ranges(predicted: Sequence[float], tolls: Sequence[int]) -> list[tuple[float, float]]:
    """The 80 % range of each cross-validated prediction with σ from the *other* events' residuals
    (:func:`spread_80`), so that the coverage reported on the fitting set is itself out of sample."""
    res = residuals(predicted, tolls)
    out = []
    for i, p in enumerate(predicted):
        sigma = spread_80(np.delete(res, i))
        out.append(fatality.interval(float(p), sigma, shifted=True))
    return out
