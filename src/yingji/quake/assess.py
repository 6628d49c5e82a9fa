"""The earthquake rapid assessment (地震灾害快速评估): from an epicentre and a magnitude to the intensity
zones, the people in them, expected deaths and losses with their uncertainty, displaced people and their
relief needs, the aftershock forecast, geohazard sites to inspect and the response level.

Pure apart from reading the input files it is given (population raster, fault traces); no database,
no clock: the origin and assessment times are parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from yingji.errors import InvalidInput
from yingji.quake import aftershocks as rj
from yingji.quake import data as packaged
from yingji.quake import fatality, losses
from yingji.quake.exposure import cached_population_raster, exposure_by_intensity, read_population_raster
from yingji.quake.field import (
    DEFAULT_STEP_DEG,
    Grid,
    IntensityField,
    Zone,
    allen_field,
    chinese_field,
    field_extent_km,
    grid_around,
    offsets_km,
    zones,
    zones_geojson,
)
from yingji.quake.geohazards import GeohazardSite, intensity_at, screen
from yingji.quake.intensity import (
    MAGNITUDE_RANGE,
    EllipticalAttenuation,
    MagnitudeType,
    check_magnitude,
    ms_to_mw,
    mw_to_ms,
)
from yingji.quake.response import density_class, response_level
from yingji.quake.source import (
    Epicentre,
    FaultTraces,
    Orientation,
    choose_region,
    load_fault_traces,
    orient,
    packaged_traces,
)
from yingji.relief.needs import estimate_needs

# Which field feeds the deaths model is part of the named model (``fatality.py``; docs/quake.md):
#   "mmi"     — the Allen et al. (2012) MMI field (PAGER's θ and β were calibrated on MMI exposure);
#   "chinese" — the Chinese-scale field of the GB 18306 regional relation.
# ``loss_intensity`` given without ``model`` picks PAGER's published China curve on that scale (the
# options of the earlier versions); with neither, the default model chosen by cross-validation.
LossIntensity = Literal["mmi", "chinese"]


@dataclass
class EarthquakeInput:
    lon: float
    lat: float
    depth_km: float
    magnitude: float
    magnitude_type: MagnitudeType
    origin_time: datetime
    at: datetime
    strike_deg: float | None = None
    # Fault traces for the long axis: a file or traces; None uses the packaged GEM GAF-DB traces unless
    # ``use_packaged_faults`` is off (then the source is circular without a strike).
    faults: str | Path | FaultTraces | None = None
    use_packaged_faults: bool = True
    population_raster: str | Path | None = None
    # People per grid cell instead of a raster: an array on the assessment's grid, or a function giving
    # one for any grid (e.g. from settlement points or a raster already in memory).
    population: np.ndarray | Callable[[Grid], np.ndarray] | None = None
    region: str | None = None
    step_deg: float = DEFAULT_STEP_DEG
    loss_intensity: LossIntensity | None = None
    model: str | None = None  # a fatality model of ``yingji.quake.fatality`` (None: the calibrated default)
    country: str = "CN"
    year: int | None = None
    aftershock_set: str | None = None
    recorded_aftershocks: Sequence[tuple[float, float]] = ()  # (days after origin, magnitude)
    aftershock_completeness: float | None = None
    temperature_c: float | None = None
    geohazard_sites: Sequence[GeohazardSite] = ()
    # Where ``population`` came from when it is not a raster (e.g. "settlement points (places.csv)"), for
    # the notes and the credits.
    population_source: str | None = None


WORLDPOP_CREDIT = "WorldPop (population, CC BY 4.0)"
GEM_CREDIT = "GEM Global Active Faults Database, GEM GAF-DB (fault traces, CC BY-SA 4.0)"


def credits_for(inp: EarthquakeInput, fault_used: bool) -> list[str]:
    """Credit the data sets the assessment actually used (their licences ask for attribution)."""
    out: list[str] = []
    if inp.population is None:
        name = Path(str(inp.population_raster or packaged.population_raster())).name
        out.append(WORLDPOP_CREDIT if "worldpop" in name.lower() else f"population raster {name}")
    elif inp.population_source:
        out.append(f"population: {inp.population_source}")
    if fault_used:
        if inp.faults is None:
            name = packaged.FAULTS_FILE
        else:
            name = "" if isinstance(inp.faults, FaultTraces) else Path(str(inp.faults)).name.lower()
        out.append(GEM_CREDIT if ("gem" in name or "gaf" in name) else f"fault traces {name or '(given)'}")
    return out


@dataclass
class Assessment:
    inputs: EarthquakeInput
    ms: float
    mw: float
    region: str
    chinese: IntensityField
    mmi: IntensityField
    population: np.ndarray
    zones: list[Zone]
    exposure_chinese: dict[int, float]
    exposure_mmi: dict[int, float]
    fatalities: dict[str, Any]
    economic: dict[str, Any]
    injured: float
    displaced: float
    needs: dict[str, Any]
    aftershocks: list[dict[str, float]]
    aftershock_note: str
    response: dict[str, Any]
    geohazards: list[dict[str, Any]]
    fatality_model: fatality.FatalityModel = field(default_factory=lambda: fatality.model(None))
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The assessment as JSON-ready data (the CLI's ``--json`` output)."""
        orientation = self.chinese.orientation
        return {
            "max_intensity": round(self.chinese.max_intensity, 2),
            "max_intensity_degree": int(np.floor(self.chinese.max_intensity + 0.5)),
            "intensity_scale": "CSIS (GB/T 17742-2020)",
            "source": {
                "lon": self.inputs.lon,
                "lat": self.inputs.lat,
                "depth_km": self.inputs.depth_km,
                "magnitude": self.inputs.magnitude,
                "magnitude_type": self.inputs.magnitude_type,
                "ms": round(self.ms, 3),
                "mw": round(self.mw, 3),
                "origin_time": self.inputs.origin_time.isoformat(),
                "assessed_at": self.inputs.at.isoformat(),
            },
            "model": {
                "region": self.region,
                "relation": EllipticalAttenuation.for_region(self.region).coefficients.name,
                "long_axis": orientation.basis,
                "strike_deg": None if orientation.strike_deg is None else round(orientation.strike_deg, 1),
                "circular": orientation.circular,
                "note": orientation.note,
                "grid_step_deg": self.chinese.grid.step,
                "grid_shape": [self.chinese.grid.ny, self.chinese.grid.nx],
                "loss_intensity": "mmi" if self.fatality_model.field == "allen2012" else "chinese",
                "fatality_model": self.fatality_model.name,
                "fatality_model_description": self.fatality_model.description,
            },
            "zones": [
                {"intensity": z.intensity, "area_km2": round(z.area_km2, 2), "population": round(z.population, 1)}
                for z in self.zones
            ],
            "exposure": {
                "chinese": {str(k): round(v, 1) for k, v in sorted(self.exposure_chinese.items())},
                "mmi": {str(k): round(v, 1) for k, v in sorted(self.exposure_mmi.items())},
            },
            "fatalities": self.fatalities,
            "economic_loss_usd": self.economic,
            "alert": losses.summary_alert(self.fatalities["alert"], self.economic["alert"]),
            "injured": round(self.injured, 1),
            "displaced": round(self.displaced, 1),
            "needs": self.needs,
            "aftershocks": [
                {k: row[k] for k in ("min_magnitude", "days", "probability", "expected_number")}
                for row in self.aftershocks
            ],
            "aftershock_parameters": self.aftershock_note,
            "response_level": self.response["level"],
            "response": self.response,
            "geohazards": self.geohazards,
            "notes": self.notes,
            "credits": credits_for(self.inputs, self.chinese.orientation.basis == "fault_trace"),
        }

    def zones_geojson(self) -> dict[str, Any]:
        return zones_geojson(
            self.zones,
            {"scale": "CSIS", "region": self.region, "long_axis": self.chinese.orientation.basis},
        )


def _magnitudes(magnitude: float, magnitude_type: str) -> tuple[float, float]:
    check_magnitude(magnitude, valid=MAGNITUDE_RANGE)
    if magnitude_type == "Ms":
        return magnitude, ms_to_mw(magnitude)
    if magnitude_type == "Mw":
        return mw_to_ms(magnitude), magnitude
    raise InvalidInput(f"magnitude-type {magnitude_type!r} must be Ms or Mw")


def fatality_model_for(inp: EarthquakeInput) -> fatality.FatalityModel:
    """The named deaths model: ``model``, else PAGER's curve on ``loss_intensity``, else the default."""
    if inp.model is None and inp.loss_intensity is not None:
        return fatality.model(fatality.PAGER_MMI if inp.loss_intensity == "mmi" else fatality.PAGER_CSIS)
    return fatality.model(inp.model)


def loss_orientation(model: fatality.FatalityModel, orientation: Orientation) -> Orientation:
    """The source geometry the deaths model was calibrated with: "point" models use a circular source
    unless the strike was given; "fault" models the long axis chosen for the zones."""
    if model.rupture == "fault" or orientation.basis == "given":
        return orientation
    return Orientation(None, "circular", "circular source (the deaths model's calibration)")


def _traces(inp: EarthquakeInput) -> FaultTraces | None:
    if inp.faults is None:
        return packaged_traces() if inp.use_packaged_faults else None
    if isinstance(inp.faults, FaultTraces):
        return inp.faults
    return load_fault_traces(inp.faults)


def _aftershock_forecast(inp: EarthquakeInput, region: str) -> tuple[list[dict[str, float]], str]:
    params = rj.generic_parameters(inp.aftershock_set or rj.default_set_for_region(region))
    note = f"generic parameters ({params.name})"
    if inp.recorded_aftershocks:
        times = [t for t, _ in inp.recorded_aftershocks]
        mags = [m for _, m in inp.recorded_aftershocks]
        completeness = inp.aftershock_completeness if inp.aftershock_completeness is not None else min(mags)
        elapsed = rj.days_between(inp.origin_time, inp.at)
        params, note = rj.fit_parameters(
            times, mags, mainshock=inp.magnitude, completeness=completeness, prior=params, t_end=elapsed
        )
    rows = rj.forecast(params, inp.magnitude, origin=inp.origin_time, at=inp.at)
    return rows, note


@dataclass(frozen=True)
class Setup:
    """What the assessment settles before computing any field: magnitudes, region, model, long axis, grid."""

    ms: float
    mw: float
    epicentre: Epicentre
    region: str
    model: EllipticalAttenuation
    orientation: Orientation
    grid: Grid


def setup(inp: EarthquakeInput) -> Setup:
    """Check the source and settle the model and the grid (cheap: callers can bound the work with it)."""
    ms, mw = _magnitudes(inp.magnitude, inp.magnitude_type)
    epicentre = Epicentre(inp.lon, inp.lat, inp.depth_km)
    region = choose_region(inp.lon, inp.lat, inp.region)
    model = EllipticalAttenuation.for_region(region)
    check_magnitude(ms, valid=model.valid_magnitudes)
    orientation = orient(epicentre, strike_deg=inp.strike_deg, traces=_traces(inp))
    grid = grid_around(inp.lon, inp.lat, field_extent_km(epicentre, ms, model, orientation), inp.step_deg)
    return Setup(ms, mw, epicentre, region, model, orientation, grid)


def assess(inp: EarthquakeInput, prepared: Setup | None = None) -> Assessment:
    """Run the whole rapid assessment (``prepared``: the result of :func:`setup` for ``inp``, if at hand)."""
    s = prepared or setup(inp)
    ms, mw, epicentre, region, model, orientation, grid = (
        s.ms,
        s.mw,
        s.epicentre,
        s.region,
        s.model,
        s.orientation,
        s.grid,
    )
    notes = [orientation.note]
    if inp.magnitude_type == "Mw":
        notes.append(f"Mw {mw:.2f} converted to Ms {ms:.2f} for the Chinese relation (Cheng et al. 2017)")
    else:
        notes.append(f"Ms {ms:.2f} converted to Mw {mw:.2f} for the Allen (2012) MMI field (Cheng et al. 2017)")

    offsets = offsets_km(grid, epicentre, orientation.strike_deg)
    chinese = chinese_field(grid, epicentre, ms, model, orientation, offsets=offsets)
    mmi = allen_field(grid, epicentre, mw, orientation, offsets=offsets)
    deaths_model = fatality_model_for(inp)
    loss_source = loss_orientation(deaths_model, orientation)
    notes.append(f"deaths: model {deaths_model.name} — {deaths_model.description}")
    if deaths_model.field == "allen2012":
        loss_field = mmi
        if loss_source is not orientation:
            loss_field = allen_field(grid, epicentre, mw, loss_source, offsets=offsets)
    else:
        loss_field = chinese
        if loss_source is not orientation:
            loss_field = chinese_field(grid, epicentre, ms, model, loss_source, offsets=offsets)

    if inp.population is not None:
        given = inp.population(grid) if callable(inp.population) else inp.population
        population = np.asarray(given, dtype=np.float64)
        if population.shape != (grid.ny, grid.nx):
            raise InvalidInput(f"population grid shape {population.shape} does not match the grid {(grid.ny, grid.nx)}")
    elif inp.population_raster is not None:
        population = read_population_raster(inp.population_raster, grid)
    else:  # the packaged WorldPop 2020 raster
        population = cached_population_raster(str(packaged.population_raster())).on_grid(grid)

    zone_list = zones(chinese, population, centre=(inp.lon, inp.lat))
    exposure_chinese = exposure_by_intensity(chinese.values, population)
    exposure_mmi = exposure_by_intensity(mmi.values, population)
    year = inp.year if inp.year is not None else inp.origin_time.year
    if inp.country.strip().upper() == "CN":
        fatalities = deaths_model.estimate(exposure_by_intensity(loss_field.values, population), year, region)
    else:  # PAGER's curve of that country on the model's scale
        fatalities = losses.fatality_estimate(exposure_by_intensity(loss_field.values, population), inp.country)
    economic_exposure = exposure_chinese if inp.loss_intensity == "chinese" else exposure_mmi
    economic = losses.economic_estimate(economic_exposure, inp.country, year)
    injured = losses.estimate_injured(fatalities["expected"])
    displaced = losses.estimate_displaced(exposure_chinese)
    needs = estimate_needs(
        displaced, temperature_c=inp.temperature_c, month=inp.at.month, lat=inp.lat, lon=inp.lon
    ).as_dict()

    after, after_note = _aftershock_forecast(inp, region)

    vi_area = sum(z.area_km2 for z in zone_list)
    vi_people = sum(z.population for z in zone_list)
    density = vi_people / vi_area if vi_area > 0 else 0.0
    density_cls = density_class(density)
    level = response_level(inp.magnitude, density_cls, fatalities["expected"])
    response = {
        "level": level.level,
        "grade": level.grade,
        "grade_key": level.grade_key,
        "reason": level.reason,
        "basis": level.basis,
        "population_density_per_km2": round(density, 2),
        "density_class": density_cls,
        "rules": f"国家地震应急预案 ({level.rules_version})" if level.rules_version else "国家地震应急预案",
    }

    sites = list(inp.geohazard_sites)
    screened = screen(sites, list(intensity_at(chinese, [s.lon for s in sites], [s.lat for s in sites])))
    geohazards = [
        {
            "rank": s.rank,
            "id": s.site.site_id,
            "name": s.site.name,
            "kind": s.site.kind,
            "intensity": round(s.intensity, 2),
            "people_at_risk": s.site.people_at_risk,
            "lon": s.site.lon,
            "lat": s.site.lat,
        }
        for s in screened
    ]
    return Assessment(
        inputs=inp,
        ms=ms,
        mw=mw,
        region=region,
        chinese=chinese,
        mmi=mmi,
        population=population,
        zones=zone_list,
        exposure_chinese=exposure_chinese,
        exposure_mmi=exposure_mmi,
        fatalities=fatalities,
        economic=economic,
        injured=injured,
        displaced=displaced,
        needs=needs,
        aftershocks=after,
        aftershock_note=after_note,
        response=response,
        geohazards=geohazards,
        fatality_model=deaths_model,
        notes=notes,
    )
