"""Scenario sets (大震巨灾应对准备): run many scenario earthquakes — from a catalogue file or a
generated stochastic set — and aggregate the expected exposure, deaths, displaced people and relief
needs per county, on Dask (a local cluster by default, or a scheduler's address).

Each scenario is assessed as in :mod:`yingji.quake.assess` (Chinese field for the zones and the
displaced, Allen 2012 MMI for PAGER deaths by default) on a coarser grid (default 0.05°), and every
grid cell is credited to the county whose seat is nearest (the county seats are points: cpca's
``adcodes.csv`` centroids by default; polygons can replace them later) within 80 km — cells farther
from every seat (mostly across the border) are left out. Results are expected values
over the set: the weighted mean of the scenarios (weights default to 1), or, when the catalogue gives
annual rates, the annual expectation Σ rate × value.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from yingji.errors import InvalidInput
from yingji.quake import losses
from yingji.quake.exposure import cached_population_raster
from yingji.quake.field import (
    MAX_DEGREE,
    allen_field,
    chinese_field,
    degree_of,
    field_extent_km,
    grid_around,
    offsets_km,
)
from yingji.quake.intensity import EllipticalAttenuation, check_magnitude, ms_to_mw, mw_to_ms
from yingji.quake.source import KM_PER_DEGREE, Epicentre, choose_region, orient

FloatArray = NDArray[np.float64]
DEFAULT_SCENARIO_STEP = 0.05
# Cells farther than this from every county seat are credited to no county: with seats as points, this
# keeps most people across the border (the population raster covers the neighbours too) out of Chinese
# counties. A project assumption (status U) until county polygons replace the seats.
MAX_COUNTY_DISTANCE_KM = 80.0
ZONE_DEGREES = tuple(range(6, MAX_DEGREE + 1))
# Columns of one county's result row: people at VI … XII, expected deaths, displaced.
COLUMNS = (*(f"exposure_{n}" for n in ZONE_DEGREES), "deaths", "displaced")


@dataclass(frozen=True)
class Scenario:
    scenario_id: str
    lon: float
    lat: float
    depth_km: float
    magnitude: float
    magnitude_type: str = "Ms"
    strike_deg: float | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class Counties:
    """County seats (points): code, name and position."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    lons: FloatArray
    lats: FloatArray

    def __len__(self) -> int:
        return len(self.codes)


def counties_from_cpca() -> Counties:
    """The 2,800-odd Chinese county-level seats of cpca's ``adcodes.csv`` (rows without coordinates
    are skipped; see shared/data/README.md for its caveats)."""
    from importlib import resources

    text = resources.files("cpca").joinpath("resources/adcodes.csv").read_text(encoding="utf-8")
    codes, names, lons, lats = [], [], [], []
    for row in csv.DictReader(text.splitlines()):
        code = row["adcode"]
        if code[4:6] == "00" or not row["longitude"] or not row["latitude"]:
            continue  # province or prefecture, or no position
        codes.append(code)
        names.append(row["name"])
        lons.append(float(row["longitude"]))
        lats.append(float(row["latitude"]))
    return Counties(tuple(codes), tuple(names), np.asarray(lons), np.asarray(lats))


def read_counties(path: str | Path) -> Counties:
    """County seats from a CSV with columns ``code, name, lon, lat``."""
    try:
        with Path(path).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        return Counties(
            tuple(r["code"] for r in rows),
            tuple(r.get("name", "") for r in rows),
            np.asarray([float(r["lon"]) for r in rows]),
            np.asarray([float(r["lat"]) for r in rows]),
        )
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidInput(f"counties file {path} is not readable (code, name, lon, lat): {exc}") from None


# --------------------------------------------------------------------------------------------------
# Scenario sources
# --------------------------------------------------------------------------------------------------


def read_catalogue(path: str | Path) -> list[Scenario]:
    """Scenarios from a CSV: ``lon, lat, depth_km, magnitude`` and optionally ``id,
    magnitude_type, strike, rate`` (annual rate, used as the weight)."""
    try:
        with Path(path).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        return [
            Scenario(
                scenario_id=str(r.get("id") or i),
                lon=float(r["lon"]),
                lat=float(r["lat"]),
                depth_km=float(r["depth_km"]),
                magnitude=float(r["magnitude"]),
                magnitude_type=str(r.get("magnitude_type") or "Ms"),
                strike_deg=float(r["strike"]) if r.get("strike") else None,
                weight=float(r["rate"]) if r.get("rate") else 1.0,
            )
            for i, r in enumerate(rows)
        ]
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidInput(f"catalogue {path} is not readable (lon, lat, depth_km, magnitude): {exc}") from None


def stochastic_set(
    count: int,
    *,
    seed: int,
    bbox: tuple[float, float, float, float] = (73.0, 20.0, 135.0, 50.0),
    magnitudes: tuple[float, float] = (5.0, 8.0),
    b_value: float = 1.0,
) -> list[Scenario]:
    """``count`` scenario earthquakes: epicentres uniform over ``bbox`` (west, south, east, north) and
    inside an attenuation region, Ms from a truncated Gutenberg–Richter law with ``b_value``, depth
    uniform 5–25 km, strike uniform 0–180°. Reproducible for a given ``seed``."""
    if count < 1:
        raise InvalidInput("count of scenarios must be at least 1")
    rng = np.random.default_rng(seed)
    low, high = magnitudes
    beta = b_value * math.log(10)
    scenarios: list[Scenario] = []
    while len(scenarios) < count:
        lon = float(rng.uniform(bbox[0], bbox[2]))
        lat = float(rng.uniform(bbox[1], bbox[3]))
        try:
            choose_region(lon, lat)
        except InvalidInput:
            continue
        u = float(rng.uniform())
        magnitude = low - math.log(1 - u * (1 - math.exp(-beta * (high - low)))) / beta
        scenarios.append(
            Scenario(
                scenario_id=f"s{len(scenarios):05d}",
                lon=round(lon, 4),
                lat=round(lat, 4),
                depth_km=round(float(rng.uniform(5, 25)), 1),
                magnitude=round(magnitude, 2),
                strike_deg=round(float(rng.uniform(0, 180)), 1),
            )
        )
    return scenarios


# --------------------------------------------------------------------------------------------------
# One scenario
# --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _county_tree(lons: bytes, lats: bytes) -> Any:
    from scipy.spatial import cKDTree

    lon = np.frombuffer(lons)
    lat = np.frombuffer(lats)
    return cKDTree(np.column_stack([lon * np.cos(np.radians(lat)), lat]))


def nearest_county(
    counties: Counties, lons: FloatArray, lats: FloatArray, max_km: float = math.inf
) -> NDArray[np.int64]:
    """Index of the nearest county seat of each point (local equirectangular distance), −1 where the
    nearest seat is farther than ``max_km``."""
    tree = _county_tree(counties.lons.tobytes(), counties.lats.tobytes())
    distance, index = tree.query(np.column_stack([lons * np.cos(np.radians(lats)), lats]))
    result = np.asarray(index, dtype=np.int64)
    result[np.asarray(distance) * KM_PER_DEGREE > max_km] = -1
    return result


def scenario_by_county(
    scenario: Scenario,
    *,
    population_raster: str | Path,
    counties: Counties,
    step: float = DEFAULT_SCENARIO_STEP,
    loss_intensity: str = "mmi",
    country: str = "CN",
) -> tuple[NDArray[np.int64], FloatArray]:
    """(county indices, rows of :data:`COLUMNS`) for the counties the scenario reaches."""
    if scenario.magnitude_type == "Ms":
        ms, mw = scenario.magnitude, ms_to_mw(scenario.magnitude)
    elif scenario.magnitude_type == "Mw":
        ms, mw = mw_to_ms(scenario.magnitude), scenario.magnitude
    else:
        raise InvalidInput(f"scenario {scenario.scenario_id}: magnitude type must be Ms or Mw")
    epicentre = Epicentre(scenario.lon, scenario.lat, scenario.depth_km)
    model = EllipticalAttenuation.for_region(choose_region(scenario.lon, scenario.lat))
    check_magnitude(ms, valid=model.valid_magnitudes)
    orientation = orient(epicentre, strike_deg=scenario.strike_deg)
    grid = grid_around(scenario.lon, scenario.lat, field_extent_km(epicentre, ms, model, orientation), step)
    offsets = offsets_km(grid, epicentre, orientation.strike_deg)
    chinese = degree_of(chinese_field(grid, epicentre, ms, model, orientation, offsets=offsets).values)
    mmi = allen_field(grid, epicentre, mw, orientation, offsets=offsets).values
    people = cached_population_raster(str(population_raster)).on_grid(grid)

    loss_degree = degree_of(mmi) if loss_intensity == "mmi" else chinese
    fatality = losses.fatality_model(country)
    death_rate = np.zeros(MAX_DEGREE + 2)
    for s in range(losses.PAGER_DEGREES[0], MAX_DEGREE + 1):
        death_rate[s] = losses.loss_rate(min(s, losses.PAGER_DEGREES[-1]), fatality.theta, fatality.beta)
    shares = losses.casualty_ratios()["displaced_share_by_degree"]["values"]
    displaced_share = np.zeros(MAX_DEGREE + 2)
    for degree, share in shares.items():
        displaced_share[int(degree)] = float(share)

    reached = ((chinese >= ZONE_DEGREES[0]) | (loss_degree >= losses.PAGER_DEGREES[0])) & (people > 0)
    if not reached.any():
        return np.zeros(0, dtype=np.int64), np.zeros((0, len(COLUMNS)))
    rows, cols = np.nonzero(reached)
    cell_people = people[rows, cols]
    cell_chinese = np.clip(chinese[rows, cols], 0, MAX_DEGREE + 1)
    cell_loss = np.clip(loss_degree[rows, cols], 0, MAX_DEGREE + 1)
    county = nearest_county(counties, grid.lons()[cols], grid.lats()[rows], MAX_COUNTY_DISTANCE_KM)
    kept = county >= 0
    if not kept.any():
        return np.zeros(0, dtype=np.int64), np.zeros((0, len(COLUMNS)))
    county, cell_people, cell_chinese, cell_loss = county[kept], cell_people[kept], cell_chinese[kept], cell_loss[kept]
    touched, local = np.unique(county, return_inverse=True)
    table = np.zeros((len(touched), len(COLUMNS)))
    for k, n in enumerate(ZONE_DEGREES):
        mask = cell_chinese == n
        table[:, k] = np.bincount(local[mask], weights=cell_people[mask], minlength=len(touched))
    table[:, -2] = np.bincount(local, weights=cell_people * death_rate[cell_loss], minlength=len(touched))
    table[:, -1] = np.bincount(local, weights=cell_people * displaced_share[cell_chinese], minlength=len(touched))
    return touched.astype(np.int64), table


def run_batch(
    batch: Sequence[Scenario],
    *,
    population_raster: str,
    counties: Counties,
    step: float,
    loss_intensity: str,
    country: str,
) -> tuple[NDArray[np.int64], FloatArray, float, list[str]]:
    """Weighted sum over a batch: (counties reached, their rows of :data:`COLUMNS`, Σ weights, skipped
    scenario notes) — sparse, so little travels back from a worker."""
    total = np.zeros((len(counties), len(COLUMNS)))
    weight_sum = 0.0
    skipped: list[str] = []
    for scenario in batch:
        try:
            index, table = scenario_by_county(
                scenario,
                population_raster=population_raster,
                counties=counties,
                step=step,
                loss_intensity=loss_intensity,
                country=country,
            )
        except InvalidInput as exc:
            skipped.append(f"{scenario.scenario_id}: {exc.detail}")
            continue
        np.add.at(total, index, scenario.weight * table)
        weight_sum += scenario.weight
    reached = np.flatnonzero(total.any(axis=1))
    return reached, total[reached], weight_sum, skipped


# --------------------------------------------------------------------------------------------------
# The set, on Dask
# --------------------------------------------------------------------------------------------------


@dataclass
class ScenarioSetResult:
    counties: Counties
    totals: FloatArray  # weighted sums, county × COLUMNS
    weight_sum: float
    scenarios: int
    skipped: list[str]
    annual: bool

    def expected(self) -> FloatArray:
        """Expected values per county: annual (Σ rate·v) when rates were given, else the mean."""
        if self.annual or self.weight_sum == 0:
            return self.totals
        return self.totals / self.weight_sum

    def by_county(self, *, top: int | None = None, temperature_c: float | None = None) -> list[dict[str, Any]]:
        """Counties with any expected exposure, most expected deaths first, with relief needs."""
        from yingji.relief.needs import estimate_needs

        expected = self.expected()
        order = np.argsort(-expected[:, -2], kind="stable")
        rows = []
        for i in order:
            if not expected[i].any():
                continue
            displaced = float(expected[i, -1])
            needs = estimate_needs(displaced, temperature_c=temperature_c)
            rows.append(
                {
                    "code": self.counties.codes[i],
                    "name": self.counties.names[i],
                    "exposure": {
                        str(n): round(float(expected[i, k]), 3)
                        for k, n in enumerate(ZONE_DEGREES)
                        if expected[i, k] > 0
                    },
                    "deaths": float(expected[i, -2]),
                    "displaced": displaced,
                    "needs": {name: q.value for name, q in needs.items.items()},
                }
            )
            if top is not None and len(rows) >= top:
                break
        return rows


def _batches(scenarios: Sequence[Scenario], size: int) -> list[list[Scenario]]:
    return [list(scenarios[i : i + size]) for i in range(0, len(scenarios), size)]


def run_scenario_set(
    scenarios: Sequence[Scenario],
    *,
    population_raster: str | Path,
    counties: Counties,
    step: float = DEFAULT_SCENARIO_STEP,
    loss_intensity: str = "mmi",
    country: str = "CN",
    scheduler: str | None = None,
    workers: int = 2,
    batch_size: int = 50,
    on_progress: Callable[[int, int], None] | None = None,
    client: Any = None,
) -> ScenarioSetResult:
    """Run the set on Dask and add the results up.

    ``scheduler``: ``None`` starts a local cluster of ``workers`` single-threaded processes; an address
    (``tcp://host:8786``) or a scheduler file path connects to a running scheduler; ``"sync"`` runs in
    this process without Dask. ``client`` reuses an existing ``distributed.Client``.
    ``on_progress(done, total)`` is called as scenarios finish.
    """
    if not scenarios:
        raise InvalidInput("the scenario set is empty")
    if not Path(population_raster).exists():
        raise InvalidInput(f"population raster {population_raster} does not exist")
    annual = any(s.weight != 1.0 for s in scenarios)
    batches = _batches(scenarios, batch_size)
    options = {
        "population_raster": str(population_raster),
        "step": step,
        "loss_intensity": loss_intensity,
        "country": country,
    }
    totals = np.zeros((len(counties), len(COLUMNS)))
    weight_sum = 0.0
    skipped: list[str] = []
    done = 0

    def collect(result: tuple[NDArray[np.int64], FloatArray, float, list[str]], size: int) -> None:
        nonlocal weight_sum, done
        totals[result[0]] += result[1]
        weight_sum += result[2]
        skipped.extend(result[3])
        done += size
        if on_progress is not None:
            on_progress(done, len(scenarios))

    if scheduler == "sync":
        for batch in batches:
            collect(run_batch(batch, counties=counties, **options), len(batch))  # type: ignore[arg-type]
    else:
        for result, size in _run_on_dask(batches, counties, options, scheduler, workers, client):
            collect(result, size)
    return ScenarioSetResult(counties, totals, weight_sum, len(scenarios), skipped, annual)


def _run_on_dask(
    batches: list[list[Scenario]],
    counties: Counties,
    options: dict[str, Any],
    scheduler: str | None,
    workers: int,
    client: Any,
) -> Iterable[tuple[tuple[NDArray[np.int64], FloatArray, float, list[str]], int]]:
    from distributed import Client, LocalCluster, as_completed

    owned: list[Any] = []
    if client is None:
        if scheduler is None:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)  # type: ignore[no-untyped-call]
            owned.append(cluster)
            client = Client(cluster)  # type: ignore[no-untyped-call]
        elif scheduler.endswith(".json") and Path(scheduler).exists():
            client = Client(scheduler_file=scheduler)  # type: ignore[no-untyped-call]
        else:
            client = Client(scheduler)  # type: ignore[no-untyped-call]
        owned.insert(0, client)
    try:
        shared = client.scatter(counties, broadcast=True)
        futures = {
            client.submit(run_batch, batch, counties=shared, pure=False, **options): len(batch) for batch in batches
        }
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            yield future.result(), futures[future]
    finally:
        for thing in owned:
            thing.close()
