from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from yingji.errors import InvalidInput
from yingji.quake.exposure import (
    exposure_by_division,
    exposure_by_intensity,
    population_from_points,
    read_population_raster,
    read_settlements,
    resample_to_grid,
)
from yingji.quake.field import Grid, grid_around


def _write_raster(
    path: Path, values: np.ndarray, west: float, north: float, step: float, crs: str = "EPSG:4326"
) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        transform=Affine(step, 0.0, west, 0.0, -step, north),
        nodata=0,
    ) as dst:
        dst.write(values.astype("float32"), 1)
    return path


@settings(max_examples=30, deadline=None)
@given(
    source_step=st.sampled_from([0.003, 0.01, 0.0833333, 0.25]),
    grid_step=st.sampled_from([0.01, 0.02, 0.05]),
    offset=st.floats(-0.3, 0.3),
    seed=st.integers(0, 1000),
)
def test_resampling_conserves_the_rasters_people(
    source_step: float, grid_step: float, offset: float, seed: int
) -> None:
    rows, cols = max(2, round(1.0 / source_step)), max(2, round(1.2 / source_step))
    values = np.random.default_rng(seed).uniform(0, 500, (rows, cols))
    x_edges = 100.0 + offset + np.arange(cols + 1) * source_step
    y_edges = 31.0 - np.arange(rows + 1) * source_step
    # A grid covering the whole source holds all its people.
    grid = grid_around(100.0 + offset + cols * source_step / 2, 31.0 - rows * source_step / 2, 200.0, grid_step)
    assert resample_to_grid(values, x_edges, y_edges, grid).sum() == pytest.approx(values.sum(), rel=1e-9)


def test_partial_overlap_keeps_the_overlapped_share() -> None:
    values = np.full((1, 2), 100.0)  # two 1° cells, 100 people each
    grid = Grid(west=100.5, north=31.0, step=0.5, nx=2, ny=2)  # covers half of each source cell
    result = resample_to_grid(values, np.array([100.0, 101.0, 102.0]), np.array([31.0, 30.0]), grid)
    assert result.sum() == pytest.approx(100.0)
    assert result[:, 0].sum() == pytest.approx(50.0)


def test_raster_file_is_read_and_conserved(tmp_path: Path) -> None:
    values = np.arange(1, 101, dtype=float).reshape(10, 10)
    path = _write_raster(tmp_path / "pop.tif", values, 100.0, 31.0, 0.1)
    grid = grid_around(100.5, 30.5, 150.0, 0.01)
    assert read_population_raster(path, grid).sum() == pytest.approx(values.sum(), rel=1e-6)


def test_worldpop_raster_gives_people_around_dingri(population_raster: Path) -> None:
    grid = grid_around(87.45, 28.5, 50.0, 0.01)
    people = read_population_raster(population_raster, grid)
    assert people.shape == (grid.ny, grid.nx)
    assert 1e4 < people.sum() < 1e7


def test_raster_in_a_projected_crs_is_refused_naming_the_raster(tmp_path: Path) -> None:
    path = _write_raster(tmp_path / "utm.tif", np.ones((5, 5)), 500000.0, 3300000.0, 1000.0, crs="EPSG:32645")
    with pytest.raises(InvalidInput, match=r"population raster .*CRS"):
        read_population_raster(path, grid_around(87.0, 29.0, 20.0))


def test_unreadable_raster_is_refused_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "pop.tif"
    bad.write_bytes(b"not a tiff")
    with pytest.raises(InvalidInput, match="population raster"):
        read_population_raster(bad, grid_around(87.0, 29.0, 20.0))


def test_settlement_points_land_in_their_cells(tmp_path: Path) -> None:
    csv_path = tmp_path / "places.csv"
    csv_path.write_text("name,lon,lat,population\nA,100.005,30.995,120\nB,100.015,30.995,30\nC,120,10,999\n")
    lons, lats, people = read_settlements(csv_path)
    grid = Grid(west=100.0, north=31.0, step=0.01, nx=3, ny=3)
    cells = population_from_points(lons, lats, people, grid)
    assert cells[0, 0] == 120 and cells[0, 1] == 30 and cells.sum() == 150


def test_exposure_by_intensity_bins_half_up() -> None:
    intensity = np.array([[5.49, 5.5, 6.49], [6.5, 7.2, 4.0]])
    people = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert exposure_by_intensity(intensity, people, min_degree=5) == {5: 1.0, 6: 5.0, 7: 9.0}


def test_exposure_by_division_uses_the_given_polygons() -> None:
    grid = Grid(west=100.0, north=31.0, step=0.5, nx=4, ny=2)
    intensity = np.array([[7.0, 7.0, 6.0, 6.0], [7.0, 7.0, 6.0, 6.0]])
    people = np.ones((2, 4))
    divisions = {"west": box(100.0, 30.0, 101.0, 31.0), "east": box(101.0, 30.0, 102.0, 31.0)}
    result = exposure_by_division(intensity, people, grid, divisions)
    assert result == {"west": {7: 4.0}, "east": {6: 4.0}}


def test_in_memory_raster_gives_the_same_people_as_a_window_read(tmp_path: Path) -> None:
    from yingji.quake.exposure import PopulationRaster

    values = np.random.default_rng(4).uniform(0, 50, (20, 30))
    path = _write_raster(tmp_path / "pop.tif", values, 100.0, 31.0, 0.1)
    grid = grid_around(101.2, 30.1, 40.0, 0.01)
    assert np.allclose(PopulationRaster.read(path).on_grid(grid), read_population_raster(path, grid))
