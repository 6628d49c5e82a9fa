"""Approximate areas from positions: a partition that places every position in its own cell, stays in
its parent and within reach; zonal sums that count every person once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from yingji.geo import approximate
from yingji.geo.approximate import COUNTY_REACH, TOWNSHIP_REACH, cells, zonal_sums

positions = st.lists(
    st.tuples(st.floats(100.0, 102.0), st.floats(30.0, 32.0)),
    min_size=1,
    max_size=25,
    unique_by=lambda p: (round(p[0], 2), round(p[1], 2)),
)


@settings(max_examples=40, deadline=None)
@given(positions)
def test_cells_hold_their_own_position_and_never_overlap(points: list[tuple[float, float]]) -> None:
    codes = [f"{i:06d}" for i in range(len(points))]
    areas = cells(codes, [p[0] for p in points], [p[1] for p in points], reach=COUNTY_REACH)
    assert set(areas) == set(codes)
    for code, (lon, lat) in zip(codes, points, strict=True):
        assert areas[code].buffer(1e-9).contains(shapely.Point(lon, lat))
    geoms = list(areas.values())
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            # shared edges only (edges densified to 2 km leave slivers under a ten-thousandth of a cell)
            assert shapely.intersection(geoms[i], geoms[j]).area < 1e-4 * min(geoms[i].area, geoms[j].area)


def test_a_lone_position_reaches_at_most_its_maximum_and_cells_stay_inside_the_parent() -> None:
    lone = cells(["a"], [100.0], [30.0], reach=COUNTY_REACH)["a"]
    assert 0.5 < lone.bounds[2] - lone.bounds[0] < 3.2  # about 2 x 150 km at 30° N, in degrees of longitude
    parent = shapely.box(100.0, 30.0, 100.5, 30.5)
    inside = cells(["t1", "t2", "t3"], [100.1, 100.3, 100.4], [30.1, 30.2, 30.4], reach=TOWNSHIP_REACH, within=parent)
    for area in inside.values():
        assert parent.buffer(1e-4).contains(area)  # within about 10 m (the projection's round trip)


def test_union_of_children_is_the_parent() -> None:
    areas = cells(["a", "b"], [100.0, 100.4], [30.0, 30.0], reach=COUNTY_REACH)
    parent = approximate.union(list(areas.values()))
    assert parent is not None
    assert abs(parent.area - sum(a.area for a in areas.values())) < 1e-9


def test_zonal_sums_count_every_person_once(tmp_path: Path) -> None:
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import from_origin

    data = np.arange(100, dtype=np.float32).reshape(10, 10)  # 0.1° cells over 100–101 E, 30–31 N
    path = tmp_path / "pop.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=10, height=10, count=1, dtype="float32", crs="EPSG:4326",
        transform=from_origin(100.0, 31.0, 0.1, 0.1), nodata=0,
    ) as out:  # fmt: skip
        out.write(data, 1)
    west, east = shapely.box(100.0, 30.0, 100.5, 31.0), shapely.box(100.5, 30.0, 101.0, 31.0)
    sums = zonal_sums(str(path), {"w": west, "e": east})
    assert sums["w"] + sums["e"] == int(data.sum())
    assert sums["w"] == int(data[:, :5].sum())
    tiny = zonal_sums(str(path), {"t": shapely.box(100.01, 30.91, 100.06, 30.96)})  # inside cell (0, 0) … (row 0)
    assert 0 <= tiny["t"] <= int(data[0, 0]) + 1
