from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from yingji.errors import InvalidInput
from yingji.quake.scenarios import (
    COLUMNS,
    Counties,
    Scenario,
    read_catalogue,
    run_scenario_set,
    scenario_by_county,
    stochastic_set,
)
from yingji.quake.source import choose_region

SEATS = Counties(("A", "B"), ("West", "East"), np.array([100.0, 101.0]), np.array([30.0, 30.0]))


@pytest.fixture
def raster(tmp_path: Path) -> Path:
    """100 people in every 0.1° cell over 98.5–102.5 E, 28.5–31.5 N."""
    path = tmp_path / "pop.tif"
    values = np.full((30, 40), 100.0, dtype="float32")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=40,
        height=30,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(0.1, 0.0, 98.5, 0.0, -0.1, 31.5),
        nodata=0,
    ) as dst:
        dst.write(values, 1)
    return path


def _set() -> list[Scenario]:
    return [
        Scenario("a", 100.2, 30.0, 10.0, 6.5, strike_deg=30.0),
        Scenario("b", 100.8, 30.1, 15.0, 7.0, strike_deg=120.0),
        Scenario("c", 100.5, 29.9, 10.0, 5.5),
    ]


def test_stochastic_set_is_reproducible_and_inside_the_regions() -> None:
    first = stochastic_set(50, seed=11)
    assert first == stochastic_set(50, seed=11)
    assert first != stochastic_set(50, seed=12)
    assert all(5.0 <= s.magnitude <= 8.0 for s in first)
    assert all(choose_region(s.lon, s.lat) for s in first)


def test_catalogue_rates_become_weights(tmp_path: Path) -> None:
    path = tmp_path / "cat.csv"
    path.write_text("id,lon,lat,depth_km,magnitude,strike,rate\nq1,100.2,30.0,10,6.5,30,0.01\n")
    (scenario,) = read_catalogue(path)
    assert scenario.scenario_id == "q1" and scenario.weight == 0.01 and scenario.strike_deg == 30.0


def test_scenario_credits_people_to_the_nearest_seat(raster: Path) -> None:
    index, table = scenario_by_county(_set()[0], population_raster=raster, counties=SEATS, step=0.05)
    assert set(index.tolist()) <= {0, 1}
    exposure = table[:, : COLUMNS.index("deaths")].sum()
    assert 0 < exposure <= 100.0 * 30 * 40
    assert table[:, COLUMNS.index("displaced")].sum() < exposure


def test_set_mean_is_the_average_of_the_scenarios(raster: Path) -> None:
    scenarios = _set()
    whole = run_scenario_set(scenarios, population_raster=raster, counties=SEATS, scheduler="sync")
    singles = [
        run_scenario_set([s], population_raster=raster, counties=SEATS, scheduler="sync").expected() for s in scenarios
    ]
    assert np.allclose(whole.expected(), sum(singles) / len(singles))
    assert not whole.annual


def test_rates_give_the_annual_expectation(raster: Path) -> None:
    scenarios = [Scenario("a", 100.2, 30.0, 10.0, 6.5, weight=0.1)]
    once = run_scenario_set(
        [Scenario("a", 100.2, 30.0, 10.0, 6.5)], population_raster=raster, counties=SEATS, scheduler="sync"
    )
    annual = run_scenario_set(scenarios, population_raster=raster, counties=SEATS, scheduler="sync")
    assert annual.annual
    assert np.allclose(annual.expected(), 0.1 * once.expected())


def test_by_county_lists_needs_most_deaths_first(raster: Path) -> None:
    result = run_scenario_set(_set(), population_raster=raster, counties=SEATS, scheduler="sync")
    rows = result.by_county()
    assert rows and all("tents" in r["needs"] for r in rows)
    assert [r["deaths"] for r in rows] == sorted((r["deaths"] for r in rows), reverse=True)


def test_scenarios_outside_every_region_are_skipped_and_reported(raster: Path) -> None:
    result = run_scenario_set(
        [*_set(), Scenario("far", -100.0, 40.0, 10.0, 6.0)], population_raster=raster, counties=SEATS, scheduler="sync"
    )
    assert result.skipped and result.skipped[0].startswith("far")


def test_empty_set_is_refused(raster: Path) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        run_scenario_set([], population_raster=raster, counties=SEATS, scheduler="sync")


@pytest.fixture
def dask_scheduler(tmp_path: Path) -> Iterator[str]:
    """A real `dask scheduler` and one `dask worker`, started as subprocesses."""
    dask = Path(sys.executable).with_name("dask")
    scheduler_file = tmp_path / "scheduler.json"
    common = ["--no-dashboard"]
    scheduler = subprocess.Popen(
        [
            str(dask),
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--scheduler-file",
            str(scheduler_file),
            *common,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert scheduler_file.exists(), "dask scheduler did not start"
        worker = subprocess.Popen(
            [
                str(dask),
                "worker",
                "--scheduler-file",
                str(scheduler_file),
                "--nthreads",
                "1",
                "--nworkers",
                "1",
                *common,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        yield json.loads(scheduler_file.read_text())["address"]
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def test_a_real_dask_scheduler_gives_the_same_result_as_in_process(raster: Path, dask_scheduler: str) -> None:
    seen: list[int] = []
    on_dask = run_scenario_set(
        _set(),
        population_raster=raster,
        counties=SEATS,
        scheduler=dask_scheduler,
        batch_size=1,
        on_progress=lambda done, total: seen.append(done),
    )
    local = run_scenario_set(_set(), population_raster=raster, counties=SEATS, scheduler="sync")
    assert np.allclose(on_dask.totals, local.totals)
    assert seen[-1] == 3
