from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yingji.errors import InvalidInput
from yingji.quake.field import (
    Grid,
    allen_field,
    chinese_field,
    degree_of,
    field_extent_km,
    grid_around,
    offsets_km,
    rupture_distance_km,
    zone_geometries,
    zones,
    zones_geojson,
)
from yingji.quake.intensity import ELLIPTICAL_COEFFICIENTS, AllenEtAl2012, EllipticalAttenuation
from yingji.quake.source import Epicentre, Orientation, orient

DINGRI = Epicentre(87.45, 28.50, 10.0)


def _field(ms: float = 7.0, strike: float | None = 30.0, step: float = 0.02) -> tuple[Grid, object]:
    model = EllipticalAttenuation.for_region("qinghai_tibet")
    orientation = orient(DINGRI, strike_deg=strike)
    grid = grid_around(DINGRI.lon, DINGRI.lat, field_extent_km(DINGRI, ms, model, orientation), step)
    return grid, chinese_field(grid, DINGRI, ms, model, orientation)


def test_grid_edges_sit_on_multiples_of_the_step() -> None:
    grid = grid_around(87.456, 28.513, 50.0, 0.01)
    assert round(grid.west / 0.01, 6) == round(grid.west / 0.01)
    assert round(grid.north / 0.01, 6) == round(grid.north / 0.01)
    assert grid.west < 87.456 < grid.east and grid.south < 28.513 < grid.north


def test_grid_reaches_below_intensity_5_5_all_round() -> None:
    _grid, fld = _field()
    values = fld.values  # type: ignore[attr-defined]
    edge = np.concatenate([values[0], values[-1], values[:, 0], values[:, -1]])
    assert edge.max() < 5.5


def test_field_peaks_at_the_epicentral_intensity() -> None:
    _, fld = _field()
    model = EllipticalAttenuation.for_region("qinghai_tibet")
    top = model.epicentral_intensity(7.0)
    # The nearest cell centre is up to ~1.5 km from the epicentre, where I falls ~0.16 per km.
    assert top - 0.3 < fld.max_intensity <= top  # type: ignore[attr-defined]


def test_zone_areas_match_the_cells_of_each_band() -> None:
    grid, fld = _field()
    degrees = degree_of(fld.values)  # type: ignore[attr-defined]
    cell_areas = np.broadcast_to(grid.cell_areas_km2()[:, None], degrees.shape)
    for zone in zones(fld, None, centre=(DINGRI.lon, DINGRI.lat)):  # type: ignore[arg-type]
        expected = float(cell_areas[degrees == zone.intensity].sum())
        assert zone.area_km2 == pytest.approx(expected, rel=5e-3)


def test_zones_are_one_per_degree_from_vi_up() -> None:
    _, fld = _field()
    found = [z.intensity for z in zones(fld, None)]  # type: ignore[arg-type]
    assert found == list(range(6, found[-1] + 1))
    assert found[-1] == 9


def test_zone_population_adds_up_to_the_people_at_vi_and_above() -> None:
    grid, fld = _field()
    population = np.random.default_rng(0).uniform(0, 100, (grid.ny, grid.nx))
    total = sum(z.population for z in zones(fld, population))  # type: ignore[arg-type]
    assert total == pytest.approx(float(population[fld.values >= 5.5].sum()))  # type: ignore[attr-defined]


def test_long_axis_follows_the_strike() -> None:
    grid, fld = _field(strike=90.0)
    x, y = offsets_km(grid, DINGRI, 90.0)
    values = fld.values  # type: ignore[attr-defined]
    inside = values >= 6.5
    # The VII area stretches east-west: its extent along x exceeds that along y.
    assert np.abs(x[inside]).max() > 1.3 * np.abs(y[inside]).max()


def test_geojson_has_one_feature_per_zone_with_area_and_people() -> None:
    _, fld = _field()
    collection = zones_geojson(zones(fld, None))  # type: ignore[arg-type]
    assert collection["type"] == "FeatureCollection"
    assert {f["properties"]["intensity"] for f in collection["features"]} == {6, 7, 8, 9}
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in collection["features"])


def test_allen_field_is_strongest_on_the_rupture() -> None:
    grid = grid_around(DINGRI.lon, DINGRI.lat, 100.0, 0.02)
    fld = allen_field(grid, DINGRI, 7.0, Orientation(0.0, "given", ""))
    assert fld.max_intensity > 8.0
    assert fld.values[0, 0] < fld.max_intensity - 2


def test_step_out_of_range_is_refused() -> None:
    with pytest.raises(InvalidInput, match="step"):
        grid_around(87.0, 28.0, 50.0, 0.0)


@settings(max_examples=25, deadline=None)
@given(
    region=st.sampled_from(sorted(ELLIPTICAL_COEFFICIENTS)),
    ms=st.floats(4.5, 8.0),
    azimuth=st.floats(0.0, 2 * np.pi),
    circular=st.booleans(),
)
def test_intensity_never_rises_with_distance_along_a_ray(
    region: str, ms: float, azimuth: float, circular: bool
) -> None:
    model = EllipticalAttenuation.for_region(region)
    distance = np.linspace(0.0, 400.0, 801)
    values = model.at_sites(ms, distance * np.cos(azimuth), distance * np.sin(azimuth), circular=circular)
    assert np.all(np.diff(values) <= 1e-9)


@settings(max_examples=25, deadline=None)
@given(mw=st.floats(4.5, 8.0), azimuth=st.floats(0.0, 2 * np.pi), oriented=st.booleans())
def test_allen_intensity_never_rises_with_distance_along_a_ray(mw: float, azimuth: float, oriented: bool) -> None:
    ray = np.linspace(0.0, 300.0, 301)
    r = rupture_distance_km(ray * np.cos(azimuth), ray * np.sin(azimuth), mw=mw, depth_km=12.0, oriented=oriented)
    values = AllenEtAl2012().at_distances(mw, r)
    assert np.all(np.diff(values) <= 1e-12)


@settings(max_examples=10, deadline=None)
@given(ms=st.floats(5.5, 8.0), strike=st.one_of(st.none(), st.floats(0.0, 180.0)))
def test_each_isoseismal_lies_inside_the_one_of_the_degree_below(ms: float, strike: float | None) -> None:
    _, fld = _field(ms=ms, strike=strike, step=0.05)
    geometries = zone_geometries(fld)  # type: ignore[arg-type]
    from shapely.ops import unary_union

    degrees = sorted(geometries)
    for lower, upper in itertools.pairwise(degrees):
        outer = unary_union([geometries[n] for n in degrees if n >= lower])
        inner = unary_union([geometries[n] for n in degrees if n >= upper])
        assert outer.buffer(1e-9).contains(inner)
