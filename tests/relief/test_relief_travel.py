"""Travel times: fallback great-circle model, road network with cuts, air routes for cut-off places."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yingji.errors import InvalidInput
from yingji.relief.travel import (
    AirLift,
    CutAreas,
    FallbackSpeed,
    Helicopter,
    RoadNetwork,
    Sites,
    air_arcs,
    fallback_arcs,
    fallback_hours,
    great_circle_km,
    nearest,
    road_arcs,
    with_air,
)


def line(fid: str | None, coords: list[list[float]], **props: Any) -> dict[str, Any]:
    feature: dict[str, Any] = {"type": "Feature", "properties": props,
                               "geometry": {"type": "LineString", "coordinates": coords}}  # fmt: skip
    if fid is not None:
        feature["id"] = fid
    return feature


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


# A (100,30) — r1 — M (100.5,30) — r2 — B (101,30); a slow detour r3 via (100.5,30.5).
ROADS = collection(
    line("r1", [[100, 30], [100.5, 30]], highway="primary"),
    {"type": "Feature", "properties": {"id": "r2", "highway": "primary"},
     "geometry": {"type": "LineString", "coordinates": [[100.5, 30], [101, 30]]}},
    line("r3", [[100, 30], [100.5, 30.5], [101, 30]], highway="track"),
)  # fmt: skip
DEPOT_A = Sites.of(["A"], [100.0], [30.0])
PLACE_B = Sites.of(["B"], [101.0], [30.0])


def test_great_circle_beijing_shanghai_is_about_1068_km() -> None:
    km = great_circle_km(116.4074, 39.9042, 121.4737, 31.2304)
    assert km == pytest.approx(1067.5, abs=5)


def test_one_degree_of_latitude_is_about_111_km() -> None:
    assert great_circle_km(100.0, 30.0, 100.0, 31.0) == pytest.approx(111.19, abs=0.05)


def test_fallback_hours_use_detour_factor_and_terrain_speed() -> None:
    hours = fallback_hours(Sites.of(["d"], [100.0], [30.0]), Sites.of(["p"], [100.0], [31.0]))
    assert hours[0, 0] == pytest.approx(111.19 * 1.4 / 40, rel=1e-3)


def test_fallback_speed_is_configurable() -> None:
    slow = fallback_hours(DEPOT_A, PLACE_B, FallbackSpeed(detour_factor=2.0, speed_kmh=20.0))
    default = fallback_hours(DEPOT_A, PLACE_B)
    assert slow[0, 0] == pytest.approx(default[0, 0] * (2.0 / 20.0) / (1.4 / 40.0))


def test_fallback_speed_rejects_nonsense() -> None:
    with pytest.raises(InvalidInput, match="speed"):
        FallbackSpeed(speed_kmh=0.0)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 6))
def test_kd_tree_nearest_equals_brute_force(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    dl, dt = rng.uniform(73, 135, 20), rng.uniform(18, 53, 20)
    pl, pt = rng.uniform(73, 135, 15), rng.uniform(18, 53, 15)
    idx, km = nearest(dl, dt, pl, pt, k)
    full = great_circle_km(dl[:, None], dt[:, None], pl[None, :], pt[None, :])
    expected = np.sort(full, axis=0)[:k].T
    np.testing.assert_allclose(km, expected, rtol=1e-7, atol=1e-6)
    np.testing.assert_allclose(full[idx, np.arange(15)[:, None]], km, rtol=1e-7, atol=1e-6)


def test_k_nearest_arcs_are_the_fastest_of_all_pairs() -> None:
    rng = np.random.default_rng(3)
    depots = Sites.of([f"d{i}" for i in range(30)], rng.uniform(100, 110, 30), rng.uniform(25, 35, 30))
    places = Sites.of([f"p{i}" for i in range(40)], rng.uniform(100, 110, 40), rng.uniform(25, 35, 40))
    pruned = fallback_arcs(depots, places, k=3)
    full = fallback_hours(depots, places)
    for p in range(40):
        mine = pruned.hours[pruned.place == p]
        np.testing.assert_allclose(np.sort(mine), np.sort(full[:, p])[:3])


def test_place_cut_off_by_road_gets_no_road_route() -> None:
    places = Sites.of(["x", "y"], [100.2, 100.4], [30.0, 30.0])
    arcs = fallback_arcs(DEPOT_A, places, road_cut_off=np.array([True, False]))
    assert arcs.place.tolist() == [1]


SQUARE = {
    "type": "Polygon",
    "coordinates": [[[100.8, 29.8], [101.2, 29.8], [101.2, 30.2], [100.8, 30.2], [100.8, 29.8]]],
}
AREA = CutAreas.from_geojson(collection({"type": "Feature", "properties": {}, "geometry": SQUARE}))


def test_cut_off_area_separates_inside_from_outside_depots() -> None:
    depots = Sites.of(["out", "in"], [100.0, 101.1], [30.0, 30.1])
    arcs = fallback_arcs(depots, PLACE_B, cut_areas=AREA)
    assert arcs.depot.tolist() == [1]


def test_cut_area_polygon_must_be_a_polygon() -> None:
    with pytest.raises(InvalidInput, match="cut-area feature 0"):
        CutAreas.from_geojson(collection(line("x", [[0, 0], [1, 1]])))


def test_road_network_takes_fast_road() -> None:
    net = RoadNetwork.from_geojson(ROADS)
    a, b = net.snap(np.array([100.0, 101.0]), np.array([30.0, 30.0]))[0]
    assert net.route_features(int(a), int(b)) == ["r1", "r2"]


def test_cut_road_is_never_used_and_the_detour_is_slower() -> None:
    net = RoadNetwork.from_geojson(ROADS)
    cut = net.without(["r2"])
    a, b = net.snap(np.array([100.0, 101.0]), np.array([30.0, 30.0]))[0]
    route = cut.route_features(int(a), int(b))
    assert route is not None and "r2" not in route
    assert road_arcs(DEPOT_A, PLACE_B, cut).hours[0] > road_arcs(DEPOT_A, PLACE_B, net).hours[0]


def test_cut_by_properties_id_is_honoured() -> None:
    net = RoadNetwork.from_geojson(ROADS).without(["r2", "r3"])
    assert len(road_arcs(DEPOT_A, PLACE_B, net)) == 0


def test_unknown_cut_id_is_an_error() -> None:
    with pytest.raises(InvalidInput, match="no road feature with id 'r9'"):
        RoadNetwork.from_geojson(ROADS).without(["r9"])


def test_road_hours_follow_class_speed() -> None:
    net = RoadNetwork.from_geojson(collection(line("m", [[100, 30], [101, 30]], highway="motorway")))
    hours = road_arcs(DEPOT_A, PLACE_B, net).hours[0]
    assert hours == pytest.approx(great_circle_km(100, 30, 101, 30) / 80.0, rel=1e-6)


def test_explicit_speed_overrides_class() -> None:
    net = RoadNetwork.from_geojson(collection(line("m", [[100, 30], [101, 30]], highway="motorway", speed_kmh=10)))
    assert road_arcs(DEPOT_A, PLACE_B, net).hours[0] == pytest.approx(great_circle_km(100, 30, 101, 30) / 10.0)


def test_snap_leg_is_added_at_fallback_speed() -> None:
    net = RoadNetwork.from_geojson(collection(line("m", [[100, 30], [101, 30]], speed_kmh=50)))
    off_road = Sites.of(["p"], [101.0], [30.1])
    hours = road_arcs(DEPOT_A, off_road, net).hours[0]
    expected = great_circle_km(100, 30, 101, 30) / 50 + great_circle_km(101, 30, 101, 30.1) * 1.4 / 40
    assert hours == pytest.approx(expected, rel=1e-6)


def test_cut_area_closes_roads_crossing_its_boundary() -> None:
    net = RoadNetwork.from_geojson(ROADS).without(cut_areas=AREA)
    assert len(road_arcs(DEPOT_A, PLACE_B, net, cut_areas=AREA)) == 0


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        ({"type": "LineString", "coordinates": [[100, 30]]}, "at least 2 distinct positions"),
        ({"type": "LineString", "coordinates": [[100, 30], [100, 30]]}, "at least 2 distinct positions"),
        ({"type": "LineString", "coordinates": [[100, 30], ["x", 31]]}, "not numeric"),
        ({"type": "LineString", "coordinates": [[100, 30], [100, 95]]}, "outside WGS 84"),
        ({"type": "Point", "coordinates": [100, 30]}, "not a LineString"),
        (None, "no geometry"),
    ],
)
def test_broken_road_geometry_names_the_feature_and_reason(geometry: Any, reason: str) -> None:
    bad = {"type": "Feature", "id": "bad-1", "properties": {}, "geometry": geometry}
    with pytest.raises(InvalidInput, match=rf"road feature 1 \(id 'bad-1'\): .*{reason}"):
        RoadNetwork.from_geojson(collection(line("ok", [[100, 30], [101, 30]]), bad))


def test_road_file_must_be_a_feature_collection() -> None:
    with pytest.raises(InvalidInput, match="FeatureCollection"):
        RoadNetwork.from_geojson({"type": "Feature"})


def test_parallel_roads_keep_the_fastest() -> None:
    net = RoadNetwork.from_geojson(collection(
        line("slow", [[100, 30], [101, 30]], speed_kmh=10), line("fast", [[100, 30], [101, 30]], speed_kmh=60),
    ))  # fmt: skip
    assert road_arcs(DEPOT_A, PLACE_B, net).hours[0] == pytest.approx(great_circle_km(100, 30, 101, 30) / 60)


HELI = AirLift(helicopters=(Helicopter("h1", 100.0, 30.0, speed_kmh=200, range_km=400),),
               landing_sites=Sites.of(["L"], [101.0], [30.0]), handling_hours=0.5)  # fmt: skip


def test_cut_off_place_gets_air_route_with_helicopter_and_landing_site() -> None:
    road = fallback_arcs(DEPOT_A, PLACE_B, road_cut_off=np.array([True]))
    arcs = with_air(road, DEPOT_A, PLACE_B, HELI)
    assert arcs.by_air.tolist() == [True]
    assert arcs.hours[0] == pytest.approx(great_circle_km(100, 30, 101, 30) / 200 + 0.5)


def test_no_air_route_without_landing_site_nearby() -> None:
    far_site = AirLift(helicopters=HELI.helicopters, landing_sites=Sites.of(["L"], [105.0], [35.0]))
    assert len(air_arcs(DEPOT_A, PLACE_B, np.array([True]), far_site)) == 0


def test_no_air_route_beyond_helicopter_range() -> None:
    short = AirLift(helicopters=(Helicopter("h", 100.0, 30.0, speed_kmh=200, range_km=50),),
                    landing_sites=HELI.landing_sites)  # fmt: skip
    assert len(air_arcs(DEPOT_A, PLACE_B, np.array([True]), short)) == 0


def test_reachable_place_gets_no_air_route() -> None:
    road = fallback_arcs(DEPOT_A, PLACE_B)
    assert not with_air(road, DEPOT_A, PLACE_B, HELI).by_air.any()


def test_sites_reject_positions_outside_wgs84() -> None:
    with pytest.raises(InvalidInput, match="'p'"):
        Sites.of(["p"], [200.0], [30.0])
